/**
 * "The leader", for faults and for `leaderWithinMs`. Two Paxos proposers can both win
 * phase 1 — ballot 40 first, then a stale ballot 36 with a promise given before the 40
 * (swarm paxos 119964). The latest election named the stale one, so the next fault on
 * "leader" crashed it and left the ballot-40 leader in charge, and the run expected a new
 * election it was not owed. A fault on the leader now hits the newest established leader
 * still leading; and a fault that spares a leader newer than the one it hits owes none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

const FILE = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'paxos-stale-leader-crashed.json');

describe('a leader within the limit of each fault on the leader', () => {
  it('a fault on the leader hits the newest established leader, not a stale ballot established after it', () => {
    const result = runScenario(parseScenario(readFileSync(FILE, 'utf8'), FILE), protocolAdapter('paxos'));
    // The run itself: the ballot-36 leader was elected after the ballot-40 one ...
    const late = result.leaders.filter((l) => l.atUs > 1_790_000 && l.atUs < 1_800_000).map((l) => [l.node, l.epoch]);
    expect(late).toEqual([[1, 40], [0, 36]]);
    // ... and the crash on "leader" at 1798 ms hits server 1, the ballot-40 leader.
    expect(result.faults.find((f) => f.atUs > 1_797_000 && f.atUs < 1_799_000)?.nodes).toEqual([1]);
    expect(failedExpectations(result)).toEqual([]);
  });
});
