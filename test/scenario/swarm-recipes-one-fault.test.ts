/**
 * The swarm's recipes-one-fault profile (sim/scenario/swarm.ts, drawRecipeOneFaultScenario):
 * every draw is a valid scenario with Curator's recipes side by side, sessions of 20-40 ms
 * and exactly one fault; a draw is a pure function of its seed; over a few hundred seeds
 * it reaches every fault kind it promises and the one-client-per-recipe shape.
 */
import { describe, expect, it } from 'vitest';
import { RECIPES } from '../../sim/client/recipes.js';
import { validateScenario } from '../../sim/scenario/load.js';
import { allBugs, grantedSessionTimeoutUs } from '../../sim/scenario/protocols.js';
import { drawRecipeOneFaultScenario, drawSwarmProfileScenario, drawSwarmScenario, RECIPE_FAULT_KINDS, type RecipeFaultKind } from '../../sim/scenario/swarm.js';
import type { FaultAction, ProtocolName } from '../../sim/scenario/types.js';

const SEEDS = 400;

/** Which of the profile's kinds a drawn fault script is (null: not one of them). */
function kindOf(faults: FaultAction[], protocol: ProtocolName): RecipeFaultKind | null {
  const [f, second] = faults;
  if (second !== undefined && !(protocol === 'paxos' && f.action === 'loss' && second.action === 'duplicate' && second.atMs === f.atMs)) return null;
  if (f.action === 'pause') return f.target === 'leader' ? 'leader-pause' : f.target === 'follower' ? 'follower-pause' : null;
  if (f.action === 'crash') return f.target === 'leader' ? 'leader-crash' : 'crash-restart';
  if (f.action === 'clog') return f.from === 'leader' && f.to === 'others' ? 'leader-clog' : null;
  if (f.action === 'partition') return f.isolate === 'leader' ? 'leader-isolate' : null;
  if (f.action === 'loss') return f.rate >= 0.05 && f.rate <= 0.08 ? 'loss-window' : null;
  if (f.action === 'pause-client') return 'client-pause';
  return null;
}

describe('swarm profile recipes-one-fault', () => {
  for (const protocol of ['zab', 'paxos'] as ProtocolName[]) {
    it(`${protocol}: draws recipes side by side, short sessions and exactly one fault, every kind over ${SEEDS} seeds`, () => {
      const known = new Set(allBugs().map((b) => b.name));
      const kinds = new Set<RecipeFaultKind>();
      let oneClientEach = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const { scenario } = drawRecipeOneFaultScenario(protocol, seed);
        expect(() => validateScenario(JSON.parse(JSON.stringify(scenario)), `seed ${seed}`, known)).not.toThrow();
        const w = scenario.workload!;
        const recipes = w.clientRecipes!;
        expect(recipes.length).toBeGreaterThanOrEqual(3);
        expect(new Set(recipes).size).toBe(recipes.length);
        expect(recipes.every((r) => RECIPES.includes(r))).toBe(true);
        if (w.clients === recipes.length) oneClientEach++;
        // Short sessions, as granted.
        const grantedMs = grantedSessionTimeoutUs(scenario, protocol, w.sessionTimeoutMs! * 1000) / 1000;
        expect(grantedMs).toBeGreaterThanOrEqual(20);
        expect(grantedMs).toBeLessThanOrEqual(40);
        if (protocol === 'zab') expect(scenario.cluster.tickTimeMs).toBe(10);
        // One fault, within the story, after the first election.
        const kind = kindOf(scenario.faults ?? [], protocol);
        expect(kind, JSON.stringify(scenario.faults)).not.toBeNull();
        kinds.add(kind!);
        const fault = scenario.faults![0];
        expect(fault.atMs).toBeGreaterThan(protocol === 'zab' ? 400 : 100);
        expect(fault.atMs).toBeLessThan(scenario.durationMs);
        if (fault.action === 'pause' && (kind === 'leader-pause' || kind === 'follower-pause')) {
          expect(fault.durationMs!).toBeGreaterThanOrEqual(0.5 * grantedMs - 1e-9);
          expect(fault.durationMs!).toBeLessThanOrEqual(3 * grantedMs + 1e-9);
        }
        expect(scenario.bugs).toBeUndefined();
        expect(scenario.expect).toMatchObject({ invariants: 'hold', linearizable: true, recipe: 'hold', recovers: true, converge: true });
      }
      expect([...kinds].sort()).toEqual([...RECIPE_FAULT_KINDS].sort());
      expect(oneClientEach).toBeGreaterThan(SEEDS / 5);
    });

    it(`${protocol}: the same seed draws the same scenario, another seed another; the mixed profile is drawSwarmScenario`, () => {
      const a = JSON.stringify(drawRecipeOneFaultScenario(protocol, 77));
      expect(JSON.stringify(drawRecipeOneFaultScenario(protocol, 77))).toBe(a);
      expect(JSON.stringify(drawSwarmProfileScenario('recipes-one-fault', protocol, 77))).toBe(a);
      expect(JSON.stringify(drawRecipeOneFaultScenario(protocol, 78))).not.toBe(a);
      expect(JSON.stringify(drawSwarmProfileScenario('mixed', protocol, 77))).toBe(JSON.stringify(drawSwarmScenario(protocol, 77)));
    });
  }
});
