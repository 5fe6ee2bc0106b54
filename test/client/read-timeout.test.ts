/**
 * A client leaves a silent server at its read timeout (2/3 of the session), as ZooKeeper's
 * ClientCnxn does: it checks the time left on every turn of its loop, not only when it
 * pings. Ours checked only at its pings, a third of the session apart, so it could stay a
 * third of the session longer on a paused server (obsrecipes zab 2057: a group watcher
 * saw a member gone 232 ms after the close, where 200 ms are allowed).
 */
import { describe, expect, it } from 'vitest';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import type { Scenario } from '../../sim/scenario/types.js';

const READ_TIMEOUT_US = (400_000 * 2) / 3;

const scenario = (atMs: number, target: string): Scenario => ({
  title: 'a client on a paused server',
  explanation: 'one client, 400 ms sessions; its server pauses for 600 ms',
  protocols: ['zab'],
  cluster: { servers: 3 },
  network: { latency: { kind: 'uniform', minMs: 0.5, maxMs: 1.5 } },
  workload: { clients: 1, ratePerSec: 1, opsPerClient: 2, sessionTimeoutMs: 400 },
  faults: target === '' ? [] : [{ atMs, action: 'pause', target, durationMs: 600 }],
  durationMs: 2000,
  healMs: 2000,
});

describe('the read timeout', () => {
  it.each([500, 540, 580])('a server paused at %i ms is left within the read timeout of the last word from it', (atMs) => {
    const first = runScenario(scenario(atMs, ''), protocolAdapter('zab'), { seed: 1, keepTrace: true }).trace!.meta.clientConnections as number[][];
    const server = first[0][1];
    const run = runScenario(scenario(atMs, `node:${server}`), protocolAdapter('zab'), { seed: 1, keepTrace: true });
    const connections = run.trace!.meta.clientConnections as number[][];
    const moved = connections[0].find((timeUs, i) => i % 2 === 0 && timeUs > atMs * 1000);
    expect(moved).toBeDefined();
    // The last word came before the pause; the new connection takes a round trip or two.
    expect(moved! - atMs * 1000).toBeLessThanOrEqual(READ_TIMEOUT_US + 5_000);
  });
});
