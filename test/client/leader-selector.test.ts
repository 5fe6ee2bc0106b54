/**
 * Curator's LeaderSelector (sim/client/leader-selector.ts, on InterProcessMutex): terms
 * handed on, and a selector whose listener ignores SUSPENDED and LOST leading together
 * with the next one, which the exclusive-role checker (sim/check/recipes.ts) sees.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { recipeStory } from '../helpers/recipe-story.js';

describe('LeaderSelector', () => {
  const story = recipeStory('leader-selector-crash-and-partition');

  it('hands leadership on through a crash and a partition; a listener that ignores SUSPENDED and LOST leads together with the next leader', () => {
    const good = runScenario(story, protocolAdapter('paxos'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    expect(good.recipe).toMatchObject({ recipe: 'leader-selector', verdict: 'holds' });
    // Every client led at least once: the mutex underneath hands the role on.
    expect(new Set(good.recipe!.windows.map((w) => w.client))).toEqual(new Set([0, 1, 2]));
    const broken = runScenario(story, protocolAdapter('paxos'), { seed: 1, recipeFlaws: { selector: { ignoreConnectionLoss: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/two clients believed themselves leader at once .* clients 0 and 1/);
  });

  it('cancels the whole election on SUSPENDED or LOST, the acquire too (CURATOR-518): no acquire runs on with a lost session’s node (recipes2 zab 534)', () => {
    const file = new URL('../fixtures/regressions/zab-selector-acquire-across-lost-session.json', import.meta.url);
    const result = runScenario(parseScenario(readFileSync(file, 'utf8'), file.pathname), protocolAdapter('zab'));
    expect(failedExpectations(result)).toEqual([]);
    expect(result.recipe?.verdict).toBe('holds');
  });
});
