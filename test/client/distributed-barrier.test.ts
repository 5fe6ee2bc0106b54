/**
 * Curator's DistributedBarrier (sim/client/distributed-barrier.ts) and its checker
 * (sim/check/recipes.ts, checkBarrier): the checker on hand-made histories, the stories on
 * the simulated cluster, and deliberately broken waiters that it catches.
 */
import { describe, expect, it } from 'vitest';
import { checkBarrier } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { recipeStory } from '../helpers/recipe-story.js';

const step = (process: number, f: string, round: number, fromMs: number, toMs: number, type: 'ok' | 'fail' = 'ok'): HistoryEvent[] => [
  { type: 'invoke', process, f, value: round, timeUs: fromMs * 1000 },
  { type, process, f, value: type === 'ok' ? round : 'timed out', timeUs: toMs * 1000 },
];

describe('the barrier checker', () => {
  const round1 = [...step(0, 'setBarrier', 1, 0, 10), ...step(0, 'removeBarrier', 1, 50, 60)];

  it('holds when every waiter passes after the removal began, a timed-out wait aside', () => {
    const report = checkBarrier([...round1, ...step(1, 'waitOnBarrier', 1, 12, 30, 'fail'), ...step(1, 'waitOnBarrier', 1, 30, 55), ...step(2, 'waitOnBarrier', 1, 20, 58)]);
    expect(report).toMatchObject({ recipe: 'barrier', verdict: 'holds' });
    expect(report.summary).toMatch(/1 round\(s\), 2 waiter\(s\): nobody passed a barrier before it was removed, every waiter passed every round; 1 wait\(s\) timed out/);
  });

  it('fires on a pass before the removal, and on a waiter that never passes when completion is checked', () => {
    const early = checkBarrier([...round1, ...step(1, 'waitOnBarrier', 1, 12, 40), ...step(2, 'waitOnBarrier', 1, 20, 58)]);
    expect(early.verdict).toBe('violated');
    expect(early.summary).toMatch(/client 1 passed the barrier of round 1 at 40\.0 ms, before it was removed \(at 50\.0 ms\)/);
    const stuck = [...round1, ...step(1, 'waitOnBarrier', 1, 12, 55), { type: 'invoke', process: 2, f: 'waitOnBarrier', value: 1, timeUs: 20_000 } as HistoryEvent];
    expect(checkBarrier(stuck).summary).toMatch(/client 2 never passed the barrier of round 1/);
    // Only the safety promise: a run that need not recover (the swarm).
    expect(checkBarrier(stuck, false).verdict).toBe('holds');
  });

  it('names a wait begun before the barrier was set (Curator passes it at once) instead of failing it', () => {
    const report = checkBarrier([...step(1, 'waitOnBarrier', 1, 0, 2), ...round1]);
    expect(report.verdict).toBe('holds');
    expect(report.summary).toMatch(/1 wait\(s\) began before the barrier was set and passed at once/);
  });
});

describe('DistributedBarrier', () => {
  it('a waiter cut off for longer than its session passes once it is back, on both protocols', () => {
    const story = recipeStory('barrier-waiter-cut-off');
    for (const protocol of ['zab', 'paxos']) {
      const result = runScenario(story, protocolAdapter(protocol), { seed: 1 });
      expect(failedExpectations(result)).toEqual([]);
      expect(result.recipe?.summary).toMatch(/every waiter passed every round/);
      // Client 3 knows only server 4 (down from 300 ms to 1.3 s): it passes nothing meanwhile, and the rounds it missed once it is back.
      const passes = (result.history ?? []).filter((e) => e.process === 3 && e.f === 'waitOnBarrier' && e.type === 'ok').map((e) => e.timeUs ?? 0);
      expect(passes.filter((atUs) => atUs > 400_000 && atUs < 1_300_000)).toEqual([]);
      expect(passes.filter((atUs) => atUs >= 1_300_000).length).toBeGreaterThan(1);
    }
  });

  it('an application that goes on when waitOnBarrier times out passes the barrier before it is removed', () => {
    const story = recipeStory('barrier-waiter-cut-off');
    const broken = runScenario(story, protocolAdapter('zab'), { seed: 1, recipeFlaws: { plainBarrier: { ignoreTimeout: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/client \d passed the barrier of round \d+ at [\d.]+ ms, before it was removed/);
  });

  it("Curator's plain exists (no sync first) lets a waiter whose server has not applied the create through a barrier that is set", () => {
    const broken = runScenario(recipeStory('barrier-under-faults'), protocolAdapter('zab'), { seed: 1, recipeFlaws: { plainBarrier: { plainExists: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/client 2 passed the barrier of round 1 at 225\.3 ms, before it was removed \(at 360\.7 ms\)/);
  });
});
