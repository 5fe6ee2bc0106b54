import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { ROOT, zablabInProcess } from '../cli/helpers.js';

const file = join(ROOT, 'scenarios', 'primary-order.json');
const scenario = parseScenario(readFileSync(file, 'utf8'), file);

describe('primary order: the same faults on Paxos and on ZAB', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: Paxos chooses txns without their predecessor and must discard them; ZAB never does`, () => {
      const paxos = runScenario(scenario, protocolAdapter('paxos'), { seed });
      expect(paxos.invariants.ok).toBe(true); // every slot was decided correctly
      // What the replicas applied keeps primary order, because the stale-txn guard
      // discarded, at apply time, the txns chosen without the one before them.
      expect(paxos.primaryOrder.ok).toBe(true);
      expect(paxos.primaryOrder.discarded).toBeGreaterThan(0);
      expect(paxos.primaryOrder.firstDiscarded).toMatch(/chosen without #\d+ of the same primary/);
      expect(paxos.linearizability.verdict).toBe('linearizable');
      const zab = runScenario(scenario, protocolAdapter('zab'), { seed });
      expect(zab.invariants.ok).toBe(true);
      // ZAB applies every txn as it comes: nothing to discard, and primary order holds.
      expect(zab.primaryOrder.ok).toBe(true);
      expect(zab.primaryOrder.discarded).toBe(0);
      expect(zab.primaryOrder.commits).toBeGreaterThan(100);
      expect(zab.faults.map((f) => f.action)).toEqual(paxos.faults.map((f) => f.action));
    });
  }

  it('the story says what the guard does and why a Paxos-based store checks at apply time', () => {
    expect(scenario.explanation).toMatch(/discards it as stale/);
    expect(scenario.explanation).toMatch(/Paxos Made Live/);
    expect(scenario.explanation).toMatch(/ZAB needs no such check/);
  });

  // In process (the same dispatcher as the binary): the mutation runner's copies have no dist/.
  it('the CLI report shows the discarded txns on Paxos and none on ZAB', async () => {
    const paxos = await zablabInProcess(['run', join(ROOT, 'scenarios', 'primary-order.json'), '--protocol', 'paxos']);
    expect(paxos.code).toBe(0);
    expect(paxos.stdout).toMatch(/primary order ✓ holds over \d+ applied txns; \d+ chosen out of primary order were discarded by the stale-txn guard, not applied/);
    const zab = await zablabInProcess(['run', join(ROOT, 'scenarios', 'primary-order.json'), '--protocol', 'zab']);
    expect(zab.code).toBe(0);
    expect(zab.stdout).toMatch(/primary order ✓ holds over \d+ applied txns\n/);
  });
});
