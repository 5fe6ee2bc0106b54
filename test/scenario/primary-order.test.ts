import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { PAXOS_PRIMARY_ORDER_NOTE } from '../../sim/check/primary-order.js';
import { ROOT, zablab } from '../cli/helpers.js';

const file = join(ROOT, 'scenarios', 'primary-order.json');
const scenario = parseScenario(readFileSync(file, 'utf8'), file);

describe('primary order: the same faults on Paxos and on ZAB', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: Paxos commits a txn without its predecessor; ZAB never does`, () => {
      const paxos = runScenario(scenario, protocolAdapter('paxos'), { seed });
      expect(paxos.invariants.ok).toBe(true); // every slot was decided correctly
      expect(paxos.primaryOrder.ok).toBe(false);
      expect(paxos.primaryOrder.violations[0].message).toContain(PAXOS_PRIMARY_ORDER_NOTE);
      const zab = runScenario(scenario, protocolAdapter('zab'), { seed });
      expect(zab.invariants.ok).toBe(true);
      expect(zab.primaryOrder.ok).toBe(true);
      expect(zab.primaryOrder.commits).toBeGreaterThan(100);
      expect(zab.faults.map((f) => f.action)).toEqual(paxos.faults.map((f) => f.action));
    });
  }

  it('the CLI report shows the violation on Paxos and none on ZAB', () => {
    const paxos = zablab(['run', 'primary-order', '--protocol', 'paxos']);
    expect(paxos.code).toBe(0);
    expect(paxos.stdout).toMatch(/primary order ✗ LocalPrimaryOrder .*not a Paxos bug, but the reason ZAB exists/);
    const zab = zablab(['run', 'primary-order', '--protocol', 'zab']);
    expect(zab.code).toBe(0);
    expect(zab.stdout).toMatch(/primary order ✓ holds over \d+ commits/);
  });
});
