/**
 * A shared counter on versions (sim/client/counter.ts, DistributedAtomicInteger's
 * optimistic increment) and its checker (sim/check/recipes.ts, checkCounter).
 */
import { describe, expect, it } from 'vitest';
import { checkCounter } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { recipeStory } from '../helpers/recipe-story.js';

const inc = (process: number, value: number | null, unknown = 0, type: 'ok' | 'info' = 'ok'): HistoryEvent[] => [
  { type: 'invoke', process, f: 'increment', value: null, timeUs: 0 },
  { type, process, f: 'increment', value: value === null ? { unknown } : { value, unknown }, timeUs: 1 },
];
const final = (value: number): HistoryEvent[] => [
  { type: 'invoke', process: 0, f: 'final', value: null, timeUs: 2 },
  { type: 'ok', process: 0, f: 'final', value, timeUs: 3 },
];

describe('the counter checker', () => {
  it('holds when every increment set its own value and the counter ends at their number', () => {
    expect(checkCounter([...inc(0, 1), ...inc(1, 2), ...inc(0, 3), ...final(3)])).toMatchObject({ verdict: 'holds' });
  });

  it('names a lost update, a final value below the increments, and one above them with no write of unknown outcome', () => {
    expect(checkCounter([...inc(0, 1), ...inc(1, 1), ...final(1)]).summary).toMatch(/clients 0 and 1 both set the counter to 1 \(a lost update\)/);
    expect(checkCounter([...inc(0, 1), ...inc(1, 2), ...final(1)]).summary).toMatch(/2 increments succeeded but the counter ends at 1/);
    expect(checkCounter([...inc(0, 1), ...final(2)]).verdict).toBe('violated');
    // A write whose answer was lost may have been applied before its retry: one extra, explained.
    const twice = checkCounter([...inc(0, 2, 1), ...final(2)]);
    expect(twice.verdict).toBe('holds');
    expect(twice.summary).toMatch(/1 more than the successful increments, from writes whose answer was lost/);
    expect(checkCounter([...inc(0, 1), ...inc(0, 1)]).summary).toMatch(/client 0 set 1 after it had set 1/);
  });
});

describe('SharedCounter', () => {
  const story = recipeStory('counter-under-faults');
  const { nemesis: _nemesis, ...calm } = story;

  it('without faults counts exactly; a read-modify-write without the version loses updates, and the checker says so', () => {
    const good = runScenario(calm, protocolAdapter('zab'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    expect(good.recipe?.summary).toMatch(/increment\(s\) succeeded, each setting a value no other set; the counter ends at (\d+)$/);
    const broken = runScenario(calm, protocolAdapter('zab'), { seed: 1, recipeFlaws: { counter: { blindWrite: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/a lost update/);
  });
});
