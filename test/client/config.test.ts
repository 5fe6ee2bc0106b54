/**
 * Configuration through watches: Curator's NodeCache (sim/client/node-cache.ts) and the
 * config checker (sim/check/recipes.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { ROOT } from '../cli/helpers.js';

const ok = (process: number, f: string, value: number, timeUs: number): HistoryEvent => ({ type: 'ok', process, f, value, timeUs });

describe('the config checker', () => {
  it('holds when versions only move forward and every reader ends on the last published; names who went back or lagged', () => {
    const good = checkConfig([ok(0, 'publish', 1, 10), ok(1, 'observe', 0, 5), ok(1, 'observe', 1, 20), ok(2, 'observe', 1, 21)]);
    expect(good).toMatchObject({ verdict: 'holds' });
    const back = checkConfig([ok(0, 'publish', 2, 10), ok(1, 'observe', 2, 20), ok(1, 'observe', 1, 30), ok(1, 'observe', 2, 40)]);
    expect(back.summary).toMatch(/client 1 saw version 1 after 2/);
    const lagging = checkConfig([ok(0, 'publish', 3, 10), ok(1, 'observe', 3, 20), ok(2, 'observe', 1, 30)]);
    expect(lagging.verdict).toBe('violated');
    expect(lagging.summary).toMatch(/client 2 on 1/);
    expect(lagging.summary).toMatch(/older than the last published \(3\)/);
  });
});

describe('NodeCache', () => {
  const file = join(ROOT, 'scenarios', 'recipes', 'config-through-watches.json');
  const story = parseScenario(readFileSync(file, 'utf8'), file);
  const { nemesis: _nemesis, ...calm } = story;

  // NodeCache's watcher runs reset() on every event: the next read sets the next watch.
  it('a cache that stops setting watches after the first change ends on stale configuration, and the checker says so', () => {
    const good = runScenario(calm, protocolAdapter('paxos'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    expect(good.recipe).toMatchObject({ recipe: 'config', verdict: 'holds' });
    const broken = runScenario(calm, protocolAdapter('paxos'), { seed: 1, recipeFlaws: { config: { noRewatch: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/older than the last published/);
  });
});
