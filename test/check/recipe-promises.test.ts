/**
 * A recipe checker's promises split in two (sim/check/recipes.ts, checkRecipe with
 * `safetyOnly`): safety ones, checked in every run — the swarm's included, whose runs
 * need not recover — and completion ones, checked only where the run heals and has time
 * to finish (`expect.recipe: "hold"`; `"safe"` leaves them out).
 */
import { describe, expect, it } from 'vitest';
import { checkExclusiveRole, checkRecipe, type RecipeContext } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';

const op = (process: number, f: string, input: unknown, output: unknown, fromMs: number, toMs: number, type: 'ok' | 'fail' | 'info' = 'ok'): HistoryEvent[] => [
  { type: 'invoke', process, f, value: input, timeUs: fromMs * 1000 },
  { type, process, f, value: output, timeUs: toMs * 1000 },
];
const full: RecipeContext = { sessionTimeoutUs: 400_000, leaderChangesUs: [] };
const safe: RecipeContext = { ...full, safetyOnly: true };
const verdicts = (recipe: string, events: HistoryEvent[]) => [checkRecipe(recipe, events, 10_000_000, full)?.verdict, checkRecipe(recipe, events, 10_000_000, safe)?.verdict];

describe('recipe promises: safety always, completion only where the run finishes', () => {
  it('queue: an item never taken is a completion failure; an item taken twice is a safety one', () => {
    const put = op(0, 'enqueue', 'c0-1', '/queue/queue-0000000000', 0, 5);
    expect(verdicts('queue', put)).toEqual(['violated', 'holds']);
    const twice = [...put, ...op(1, 'take', 'queue-0000000000', 'c0-1', 10, 20), ...op(2, 'take', 'queue-0000000000', 'c0-1', 15, 25)];
    expect(verdicts('queue', twice)).toEqual(['violated', 'violated']);
  });

  it('config: a reader left on an older version is a completion failure; going back a version is a safety one', () => {
    const behind = [...op(0, 'publish', 'v1', 1, 0, 5), ...op(1, 'observe', null, 0, 1, 1)];
    expect(verdicts('config', behind)).toEqual(['violated', 'holds']);
    const back = [...op(0, 'publish', 'v1', 1, 0, 5), ...op(1, 'observe', null, 1, 6, 6), ...op(1, 'observe', null, 0, 7, 7)];
    expect(verdicts('config', back)).toEqual(['violated', 'violated']);
  });

  it('counter: never read at the end is a completion failure; two increments setting one value is a lost update', () => {
    const unread = op(0, 'increment', null, { value: 1, unknown: 0 }, 0, 5);
    expect(verdicts('counter', unread)).toEqual(['violated', 'holds']);
    const lost = [...unread, ...op(1, 'increment', null, { value: 1, unknown: 0 }, 1, 6)];
    expect(verdicts('counter', lost)).toEqual(['violated', 'violated']);
  });

  it('barrier: a waiter still waiting is a completion failure; a pass before the removal a safety one', () => {
    const set = op(0, 'setBarrier', 1, 1, 0, 5);
    const waiting: HistoryEvent[] = [...set, { type: 'invoke', process: 1, f: 'waitOnBarrier', value: 1, timeUs: 6_000 }];
    expect(verdicts('barrier', waiting)).toEqual(['violated', 'holds']);
    const early = [...set, ...op(1, 'waitOnBarrier', 1, 1, 6, 7), ...op(0, 'removeBarrier', 1, 1, 10, 12)];
    expect(verdicts('barrier', early)).toEqual(['violated', 'violated']);
  });

  it('lock: two holders at once for any time at all is a violation, a handover at one instant is not', () => {
    // Holder 0 acquires at 0-1 ms and invokes release at 10 ms; holder 1's acquire returns at 9.9 ms: 100 µs of two holders.
    const overlap = [...op(0, 'acquire', null, null, 0, 1), ...op(1, 'acquire', null, null, 2, 9.9), ...op(0, 'release', null, null, 10, 11)];
    const report = checkExclusiveRole('lock', overlap, 20_000);
    expect(report.verdict).toBe('violated');
    expect(report.maxOverlapUs).toBe(100);
    const handover = [...op(0, 'acquire', null, null, 0, 1), ...op(0, 'release', null, null, 10, 11), ...op(1, 'acquire', null, null, 2, 10)];
    expect(checkExclusiveRole('lock', handover, 20_000).verdict).toBe('holds');
  });

  it('membership: its promise is one of timing, not checked in a run that need not recover (and says so)', () => {
    const stillListed = [...op(1, 'join', 'c1', 1, 0, 5), ...op(0, 'view', null, ['c1'], 6, 6)];
    expect(verdicts('membership', stillListed)).toEqual(['violated', 'holds']);
    expect(checkRecipe('membership', stillListed, 10_000_000, safe)?.summary).toMatch(/^not checked: its promise is one of timing/);
  });
});
