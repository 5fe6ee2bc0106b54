/**
 * Which overlaps of an exclusive role (lock, leader latch, leader selector) a client's
 * pause explains (sim/check/lock-fencing.ts, pauseBehind): the GC-pause hazard ZooKeeper
 * does not prevent. A client stopped for longer than its session timeout less the ping
 * interval (2/3 of it) may lose its session without knowing — as the earlier holder, or
 * as the later one waking on an answer from before the expiry — and the run's session
 * ends must show the session ending in that pause. Found by h33's latchpause mix, where
 * the checkers named only pauses longer than the whole timeout, and the latch's and
 * selector's checkers none at all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pauseBehind } from '../../sim/check/lock-fencing.js';
import type { RecipeContext, RoleOverlap } from '../../sim/check/recipes.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

const overlap: RoleOverlap = { clients: [2, 0], fromUs: 1_106_000, toUs: 1_122_000 };
const context = (pause: [number, number], ends: number[], client = 2, sessionTimeoutUs = 400_000): RecipeContext => ({
  sessionTimeoutUs,
  leaderChangesUs: [],
  clientPauses: [{ client, fromUs: pause[0], toUs: pause[1] }],
  sessionEndsUs: new Map([[client, ends]]),
});

describe('a pause that explains an overlap', () => {
  it('the earlier holder stopped for more than 2/3 of its session, its session ending at the servers inside the pause', () => {
    expect(pauseBehind(overlap, context([802_000, 1_122_000], [1_105_000]))?.endUs).toBe(1_105_000);
    // Two thirds of the timeout or less: its pings kept the session, or it would have given up first.
    expect(pauseBehind(overlap, context([860_000, 1_122_000], [1_105_000]))).toBeUndefined();
    // The session ended before the pause (while the client ran) or after the other took the role: not this hazard.
    expect(pauseBehind(overlap, context([802_000, 1_122_000], [700_000]))).toBeUndefined();
    expect(pauseBehind(overlap, context([802_000, 1_122_000], [1_110_000]))).toBeUndefined();
    // Without the run's session ends (a trace without them), the pause alone.
    expect(pauseBehind(overlap, { ...context([802_000, 1_122_000], []), sessionEndsUs: undefined })).toBeDefined();
    // Another client's pause explains nothing.
    expect(pauseBehind(overlap, context([802_000, 1_122_000], [1_105_000], 1))).toBeUndefined();
  });

  it('the later one waking on an answer from before its expiry: only right at its wake', () => {
    const woke: RoleOverlap = { clients: [1, 0], fromUs: 544_001, toUs: 547_500 };
    expect(pauseBehind(woke, context([304_000, 544_000], [515_000], 0, 200_000))).toBeDefined();
    // A belief begun a millisecond after waking needed a new answer from a server.
    expect(pauseBehind({ ...woke, fromUs: 545_000 }, context([304_000, 544_000], [515_000], 0, 200_000))).toBeUndefined();
  });
});

describe('a pause during which the leader decided the expiry, applied only after the client woke', () => {
  // slowrecipes zab 736: paused 520-744.9 ms (session 200 ms); expiry proposed at 722.5 ms, applied at 756.0 ms (30 ms disks); the other leads at 757.7 ms.
  const overlap: RoleOverlap = { clients: [3, 0], fromUs: 757_734, toUs: 757_829 };
  const ctx = (proposedUs: number, endUs = 756_032): RecipeContext => ({
    sessionTimeoutUs: 200_000,
    leaderChangesUs: [],
    clientPauses: [{ client: 3, fromUs: 520_000, toUs: 744_857 }],
    sessionEndsUs: new Map([[3, [endUs]]]),
    sessionExpiries: new Map([[3, [{ sessionId: 1, leader: 4, atUs: proposedUs, server: 1, silentUs: 0, leaderPause: null }]]]),
  });
  const window = (fromUs: number) => [{ client: 3, fromUs, toUs: 757_829 }];

  it('names it when the holder believed with the closing session', () => {
    expect(pauseBehind(overlap, ctx(722_507), window(746_125))).toEqual({ pause: { client: 3, fromUs: 520_000, toUs: 744_857 }, endUs: 756_032, decidedUs: 722_507 });
    // The same without the leader's proposal (an older trace): the session ended after the pause, so nothing is named.
    expect(pauseBehind(overlap, { ...ctx(722_507), sessionExpiries: undefined }, window(746_125))).toBeUndefined();
  });

  it('not when the expiry was decided outside the pause, applied after the other took the role, or the belief began with a later session', () => {
    expect(pauseBehind(overlap, ctx(745_000), window(746_125))).toBeUndefined();
    expect(pauseBehind(overlap, ctx(722_507, 757_900), window(746_125))).toBeUndefined();
    expect(pauseBehind(overlap, ctx(722_507), window(756_500))).toBeUndefined();
    expect(pauseBehind(overlap, ctx(722_507))).toBeUndefined();
    // Only the earlier holder: the later one's own expiry explains nothing here.
    expect(pauseBehind({ ...overlap, clients: [0, 3] }, ctx(722_507), window(746_125))).toBeUndefined();
  });
});

describe('the earlier holder taking the role on waking, on an answer from before its expiry', () => {
  // shortsession zab 2809 (before pings were answered behind the session's requests; no seed of 2,000 shows it since): paused 341-349 ms (session 4 ms), session ended at 347.9 ms, led from 349.001 ms; the other from 349.8 ms.
  const overlap: RoleOverlap = { clients: [2, 0], fromUs: 349_814, toUs: 351_470 };
  const ctx = (ends: number[]): RecipeContext => ({ sessionTimeoutUs: 4_000, leaderChangesUs: [], clientPauses: [{ client: 2, fromUs: 341_000, toUs: 349_000 }], sessionEndsUs: new Map([[2, ends]]) });
  it('named when its belief began within a wake of the pause’s end and its session ended in the pause', () => {
    expect(pauseBehind(overlap, ctx([347_939]), [{ client: 2, fromUs: 349_001, toUs: 351_470 }])).toMatchObject({ endUs: 347_939, wokeOnStale: true });
    // A belief begun later needed a new answer from a server; a session that ended after the pause is not this.
    expect(pauseBehind(overlap, ctx([347_939]), [{ client: 2, fromUs: 349_500, toUs: 351_470 }])).toBeUndefined();
    expect(pauseBehind(overlap, ctx([349_300]), [{ client: 2, fromUs: 349_001, toUs: 351_470 }])).toBeUndefined();
  });
});

const FIXTURES: [string, 'zab' | 'paxos', RegExp][] = [
  ['zab-selector-woke-into-closing-session.json', 'zab', /client 3 was paused from 530\.0 ms to 754\.9 ms, longer than its session timeout \(200\.0 ms\), so its session expired \(the leader decided it at 742\.5 ms, during the pause; the servers applied it at 774\.8 ms/],
  ['zab-lock-holder-paused-two-thirds-session.json', 'zab', /client 2 was paused from 802\.0 ms to 1122\.0 ms, longer than its session timeout \(400\.0 ms\) less the third of it between two pings, so its session expired \(at the servers at 1105\.0 ms\) and client 0 acquired the lock/],
  ['zab-latch-woke-on-stale-answer.json', 'zab', /client 0 was paused from 304\.0 ms to 544\.0 ms, longer than its session timeout \(200\.0 ms\), so its session expired \(at the servers at 515\.1 ms\) while client 1 became leader, and on waking it acted on an answer/],
  ['paxos-selector-leader-paused-two-thirds-session.json', 'paxos', /client 1 was paused from 2568\.0 ms to 2888\.0 ms, .* and client 0 became leader while it could not know/],
];

describe('the recipe checkers name the pause (latchpause regressions)', () => {
  for (const [name, protocol, named] of FIXTURES) {
    it(name, () => {
      const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', name);
      const result = runScenario(parseScenario(readFileSync(file, 'utf8'), file), protocolAdapter(protocol));
      expect(failedExpectations(result)).toEqual([]);
      expect(result.recipe?.verdict).toBe('violated');
      expect(result.recipe?.summary).toMatch(/ZooKeeper does not promise more here/);
      expect(result.recipe?.summary).toMatch(named);
      expect(result.recipe?.summary).not.toMatch(/no such pause explains/);
    });
  }
});
