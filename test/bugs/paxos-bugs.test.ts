/**
 * The Paxos bug zoo (scenarios/bugs/paxos-*.json): one short story per injectable bug of
 * PROTOCOLS.md §12. Each must break the invariant it names — the first one the checker
 * reports — with its switch on, and the very same faults must be harmless with every
 * switch off: invariants hold, the history is linearizable, the servers converge.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { allBugs, paxosAdapter } from '../../sim/scenario/protocols.js';
import { PAXOS_BUGS } from '../../sim/paxos/index.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { ROOT } from '../cli/helpers.js';

const dir = join(ROOT, 'scenarios', 'bugs');
const files = readdirSync(dir)
  .filter((name) => name.startsWith('paxos-') && name.endsWith('.json'))
  .sort();
const bugNames = new Set(allBugs().map((bug) => bug.name));
const load = (file: string): Scenario => parseScenario(readFileSync(join(dir, file), 'utf8'), file, bugNames);

describe('the Paxos bug zoo', () => {
  it('has one scenario per Paxos switch, named after it', () => {
    expect(files).toEqual(PAXOS_BUGS.map((bug) => `paxos-${bug}.json`).sort());
  });

  for (const file of files) {
    const scenario = load(file);
    const bug = scenario.bugs?.[0] ?? '(none)';
    const violated = scenario.expect?.violated ?? '(none)';

    it(`${file}: a seeded 3-server story with a fault script, one switch and the invariant it breaks`, () => {
      expect(file).toBe(`paxos-${bug}.json`);
      expect(scenario.protocols).toEqual(['paxos']);
      expect(scenario.cluster.servers).toBe(3);
      expect(scenario.bugs).toEqual([bug]);
      expect(PAXOS_BUGS).toContain(bug);
      expect(scenario.seed).toBeTypeOf('number');
      expect(scenario.faults?.length ?? 0).toBeGreaterThan(0);
      expect(scenario.nemesis).toBeUndefined();
      expect(scenario.expect?.violated).toBeTypeOf('string');
      // The story: reference, what goes wrong, the rule, the fix.
      expect(scenario.explanation).toMatch(/Reference:/);
      expect(scenario.explanation).toMatch(/Fix:/);
    });

    it(`${file}: with ${bug} on, the checker reports ${violated} first (seed ${scenario.seed})`, () => {
      const result = runScenario(scenario, paxosAdapter, { name: file });
      const names = result.invariants.violations.map((v) => v.invariant);
      expect(names).toContain(violated);
      expect(names[0]).toBe(violated);
      expect(failedExpectations(result)).toEqual([]);
      expect(result.ok).toBe(true);
    });

    it(`${file}: with every switch off, the same faults break nothing`, () => {
      const correct: Scenario = { ...scenario, bugs: [], expect: { invariants: 'hold', linearizable: true, converge: true } };
      const result = runScenario(correct, paxosAdapter, { name: file });
      expect(result.invariants.violations).toEqual([]);
      expect(result.linearizability.verdict).toBe('linearizable');
      expect(result.convergence.ok).toBe(true);
      expect(failedExpectations(result)).toEqual([]);
    });
  }
});
