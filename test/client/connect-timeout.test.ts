/**
 * The client's connect timeout, as ZooKeeper's ClientCnxn sets it: the session timeout
 * divided by the number of servers the client may use. A fixed 100 ms made a client that
 * knows only a far, slow follower give up every attempt before its createSession
 * committed, and make another session, for ever (swarm zab 5755, shrunk).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'zab-one-server-connect-timeout.json');

describe('connect timeout', () => {
  it('a client that knows one far follower waits a whole session timeout for it: it gets a session, its operations run, the cluster settles', () => {
    const result = runScenario(parseScenario(readFileSync(file, 'utf8'), file), protocolAdapter('zab'));
    expect(failedExpectations(result)).toEqual([]);
    expect(result.ops).toMatchObject({ total: 2, ok: 2 });
  });
});
