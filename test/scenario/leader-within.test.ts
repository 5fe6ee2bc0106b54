/**
 * `leaderWithinMs`: a fault on the leader owes a new election only when it leaves the
 * cluster without one. Two Paxos proposers can both win phase 1 — ballot 40 first, then a
 * stale ballot 36 with a promise given before the 40 — and the latest election names the
 * stale one; crashing it leaves the ballot-40 leader in charge (swarm paxos 119964).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

const FILE = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'paxos-stale-leader-crashed.json');

describe('a leader within the limit of each fault on the leader', () => {
  it('a crash of a stale leader while a newer-ballot leader leads owes no election', () => {
    const result = runScenario(parseScenario(readFileSync(FILE, 'utf8'), FILE), protocolAdapter('paxos'));
    // The run itself: the ballot-36 leader was elected after the ballot-40 one, and crashed at 1798 ms.
    const late = result.leaders.filter((l) => l.atUs > 1_790_000 && l.atUs < 1_800_000).map((l) => [l.node, l.epoch]);
    expect(late).toEqual([[1, 40], [0, 36]]);
    expect(failedExpectations(result)).toEqual([]);
  });
});
