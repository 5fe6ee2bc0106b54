/**
 * A run broken only by a hazard ZooKeeper does not prevent (RecipeReport.hazardOnly,
 * failsOnlyByHazards): a lock, latch or selector whose every overlap a client's pause past
 * its session or a server cut off from its leader explains. Curator's recipes break the
 * same way there, so `zablab swarm` counts such runs apart from failures (41 of 30,629
 * seeds of the recipes-one-fault profile were such "failures" before). Anything else that
 * fails with it — an overlap nothing explains, a fenced resource that took a stale write,
 * another expectation, a run cut short — makes it a failure again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe, combineRecipeReports, type RecipeReport } from '../../sim/check/recipes.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, failsOnlyByHazards, runScenario, type RunResult } from '../../sim/scenario/run.js';
import type { Expectations } from '../../sim/scenario/types.js';

/** Fixtures whose recipe breaks only by a named hazard (they expect `recipe: violated`). */
const HAZARDS: [string, 'zab' | 'paxos'][] = [
  ['zab-lock-holder-paused-two-thirds-session.json', 'zab'],
  ['zab-latch-woke-on-stale-answer.json', 'zab'],
  ['zab-lock-holder-server-cut-off.json', 'zab'],
  ['paxos-selector-leader-paused-two-thirds-session.json', 'paxos'],
  ['paxos-lock-holder-server-cut-off.json', 'paxos'],
];

function run(name: string, protocol: 'zab' | 'paxos', expect: Partial<Expectations>, maxEvents?: number): RunResult {
  const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', name);
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  return runScenario({ ...scenario, expect: { ...scenario.expect, ...expect } }, protocolAdapter(protocol), { maxEvents });
}

describe('a run broken only by named hazards', () => {
  for (const [name, protocol] of HAZARDS) {
    it(`${name}: expected to hold, it fails by hazards only`, () => {
      const result = run(name, protocol, { recipe: 'hold' });
      expect(result.recipe?.verdict).toBe('violated');
      expect(result.recipe?.hazardOnly).toBe(true);
      const failed = failedExpectations(result);
      expect(failed.map((e) => e.hazard)).toEqual([true]);
      expect(failed[0].detail).toMatch(/ZooKeeper does not promise more here/);
      expect(failsOnlyByHazards(result)).toBe(true);
    });
  }

  it('is a failure again with another expectation failing beside it, or cut short', () => {
    const [name, protocol] = HAZARDS[0];
    const other = run(name, protocol, { recipe: 'hold', maxLeaders: 0 });
    expect(failedExpectations(other).length).toBe(2);
    expect(failsOnlyByHazards(other)).toBe(false);
    const cut = run(name, protocol, { recipe: 'hold' }, 2_000);
    expect(cut.limit).toBeDefined();
    expect(failsOnlyByHazards(cut)).toBe(false);
    // A run that passes is not one either.
    expect(failsOnlyByHazards(run(name, protocol, {}))).toBe(false);
  });

  it('the same overlaps with nothing to explain them (no pause, no expiry known) are a plain violation', () => {
    const [name, protocol] = HAZARDS[0];
    const result = run(name, protocol, {});
    const bare = checkRecipe('lock', result.history, result.simTimeUs, { sessionTimeoutUs: 400_000, leaderChangesUs: [] })!;
    expect(bare.verdict).toBe('violated');
    expect(bare.overlaps.length).toBeGreaterThan(0);
    expect(bare.hazardOnly).toBeUndefined();
  });
});

describe('recipes side by side', () => {
  const report = (recipe: string, verdict: 'holds' | 'violated', hazardOnly?: boolean): RecipeReport => ({ recipe, verdict, summary: '', windows: [], overlaps: [], maxOverlapUs: 0, ...(hazardOnly ? { hazardOnly } : {}) });
  it('are broken only by hazards when every violated one is', () => {
    expect(combineRecipeReports([report('lock', 'violated', true), report('queue', 'holds')])?.hazardOnly).toBe(true);
    expect(combineRecipeReports([report('lock', 'violated', true), report('leader-latch', 'violated', true)])?.hazardOnly).toBe(true);
    expect(combineRecipeReports([report('lock', 'violated', true), report('queue', 'violated')])?.hazardOnly).toBeUndefined();
    expect(combineRecipeReports([report('lock', 'holds'), report('queue', 'holds')])?.hazardOnly).toBeUndefined();
  });
});
