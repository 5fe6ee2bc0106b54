/**
 * Several recipes side by side (`workload.clientRecipes`): client i runs
 * clientRecipes[i % length] with the other clients of that recipe; each recipe is checked
 * on its own clients, and the run's recipe verdict holds only when every one holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recipeGroups } from '../../sim/client/recipes.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { parseScenario } from '../../sim/scenario/load.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { ROOT } from '../cli/helpers.js';
import { recipeStory } from '../helpers/recipe-story.js';

describe('recipes side by side', () => {
  it('groups the clients by recipe, round robin', () => {
    expect(recipeGroups({ clients: 5, clientRecipes: ['lock', 'queue'] })).toEqual([
      { recipe: 'lock', clients: [0, 2, 4] },
      { recipe: 'queue', clients: [1, 3] },
    ]);
    expect(recipeGroups({ clients: 2, recipe: 'config' })).toEqual([{ recipe: 'config', clients: [0, 1] }]);
    expect(recipeGroups({ clients: 2 })).toEqual([]);
  });

  it('two leader elections side by side each have one leader at a time (the two leaders are not compared)', () => {
    const scenario: Scenario = {
      title: 'two elections',
      explanation: '',
      cluster: { servers: 3 },
      durationMs: 1500,
      workload: { clients: 4, ratePerSec: 5, clientRecipes: ['leader-latch', 'leader-selector'] },
      expect: { allOpsComplete: true, recipe: 'hold', linearizable: true },
    };
    const result = runScenario(scenario, protocolAdapter('zab'), { seed: 1 });
    expect(failedExpectations(result)).toEqual([]);
    expect(result.recipe?.recipe).toBe('leader-latch+leader-selector');
    // Each election had a leader while the other had one: compared together they would overlap.
    const latch = result.recipe!.windows.filter((w) => w.client % 2 === 0);
    const selector = result.recipe!.windows.filter((w) => w.client % 2 === 1);
    expect(latch.some((a) => selector.some((b) => a.fromUs < (b.toUs ?? Infinity) && b.fromUs < (a.toUs ?? Infinity)))).toBe(true);
  });

  it('a broken recipe among others makes the verdict violated, and names which', () => {
    const { nemesis: _nemesis, ...calm } = recipeStory('recipes-side-by-side');
    const good = runScenario(calm, protocolAdapter('paxos'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    const broken = runScenario(calm, protocolAdapter('paxos'), { seed: 1, recipeFlaws: { counter: { blindWrite: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/lock: .*never two at once; .*counter: clients \d and \d both set the counter/);
  });

  it.each(['zab', 'paxos'])('a recipe with one client finishes: the lone counter client reads the final value, the lone queue client takes what it put (%s)', (protocol) => {
    const file = join(ROOT, 'test', 'fixtures', 'regressions', 'counter-and-queue-one-client-each.json');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const result = runScenario(scenario, protocolAdapter(protocol));
    expect(failedExpectations(result).map((e) => `${e.name}: ${e.detail}`)).toEqual([]);
    expect(result.recipe?.summary).toMatch(/counter: 2 increment\(s\) succeeded.*the counter ends at 2; queue: 2 item\(s\) put, 2 taken/);
  });
});
