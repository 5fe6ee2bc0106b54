/**
 * Curator's DistributedDoubleBarrier (sim/client/barrier.ts) and its checker
 * (sim/check/recipes.ts, checkDoubleBarrier): the checker on hand-made histories, and
 * deliberately broken barriers on the simulated cluster that it catches.
 */
import { describe, expect, it } from 'vitest';
import { checkDoubleBarrier } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { recipeStory } from '../helpers/recipe-story.js';

const step = (process: number, f: string, round: number, fromMs: number, toMs: number): HistoryEvent[] => [
  { type: 'invoke', process, f, value: round, timeUs: fromMs * 1000 },
  { type: 'ok', process, f, value: round, timeUs: toMs * 1000 },
];

describe('the double barrier checker', () => {
  it('holds when each passes enter after all began entering and leave after all began leaving', () => {
    const report = checkDoubleBarrier([...step(0, 'enter', 1, 0, 30), ...step(1, 'enter', 1, 20, 31), ...step(0, 'leave', 1, 40, 60), ...step(1, 'leave', 1, 50, 61)]);
    expect(report).toMatchObject({ verdict: 'holds' });
    expect(report.summary).toMatch(/1 round\(s\) of 2 member\(s\)/);
  });

  it('fires on a pass before a member entered or left, unless that member\'s session expired inside', () => {
    const early = checkDoubleBarrier([...step(0, 'enter', 1, 0, 10), ...step(1, 'enter', 1, 20, 31)]);
    expect(early.verdict).toBe('violated');
    expect(early.summary).toMatch(/client 0 passed enter of round 1 at 10\.0 ms, before client 1 entered \(at 20\.0 ms\)/);
    const leftEarly = checkDoubleBarrier([...step(0, 'enter', 1, 0, 30), ...step(1, 'enter', 1, 20, 31), ...step(0, 'leave', 1, 40, 45), ...step(1, 'leave', 1, 50, 61)]);
    expect(leftEarly.summary).toMatch(/client 0 passed leave of round 1 at 45\.0 ms, before client 1 left/);
    const expired = checkDoubleBarrier([
      ...step(0, 'enter', 1, 0, 30),
      ...step(1, 'enter', 1, 20, 31),
      ...step(1, 'expired', 1, 42, 42),
      ...step(0, 'leave', 1, 40, 45),
      ...step(1, 'leave', 1, 50, 61),
    ]);
    expect(expired.verdict).toBe('holds');
    expect(expired.summary).toMatch(/1 pass\(es\) before a member whose session expired inside the barrier/);
  });
});

describe('DistributedDoubleBarrier', () => {
  const story = recipeStory('double-barrier');

  it('a barrier that counts the ready node as a member lets one through too early; one that does not wait on leave lets everyone out at once', () => {
    const good = runScenario(story, protocolAdapter('zab'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    const enterEarly = runScenario(story, protocolAdapter('zab'), { seed: 1, recipeFlaws: { barrier: { countReadyNode: true } } });
    expect(enterEarly.recipe?.verdict).toBe('violated');
    expect(enterEarly.recipe?.summary).toMatch(/passed enter of round \d+ at [\d.]+ ms, before client \d entered/);
    const leaveEarly = runScenario(story, protocolAdapter('paxos'), { seed: 1, recipeFlaws: { barrier: { noLeaveWait: true } } });
    expect(leaveEarly.recipe?.verdict).toBe('violated');
    expect(leaveEarly.recipe?.summary).toMatch(/passed leave of round \d+ at [\d.]+ ms, before client \d left/);
  });
});
