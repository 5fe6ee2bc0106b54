/**
 * Group membership (sim/client/group.ts: Curator's GroupMember over PersistentNode, and a
 * watcher of the group) and its checker (sim/check/recipes.ts, checkMembership).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validateScenario } from '../../sim/scenario/load.js';
import { checkMembership } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { recipeStory } from '../helpers/recipe-story.js';

const ms = 1000;
const done = (process: number, f: string, value: unknown, atUs: number): HistoryEvent[] => [
  { type: 'invoke', process, f, value: null, timeUs: atUs },
  { type: 'ok', process, f, value, timeUs: atUs },
];
const view = (atMs: number, ...names: string[]) => done(0, 'view', names, atMs * ms);
/** Member 2 fell silent at `silentMs`, learned of its expiry at `learnedMs` and joined again at `backMs`. */
const expiry = (silentMs: number, learnedMs: number, backMs: number) => [...done(2, 'expired', silentMs * ms, learnedMs * ms), ...done(2, 'join', 1, backMs * ms)];
const context = { sessionTimeoutUs: 400 * ms, leaderChangesUs: [] as number[] };

describe('the membership checker', () => {
  it('holds when the watcher sees an expired member gone within the session timeout of its silence', () => {
    const report = checkMembership([...view(10, 'c1', 'c2'), ...view(500, 'c1'), ...expiry(100, 1200, 1210), ...view(1220, 'c1', 'c2'), ...view(1500)], context);
    expect(report).toMatchObject({ verdict: 'holds' });
    expect(report.summary).toMatch(/1 member session\(s\) expired; .* \(the slowest after 400\.0 ms\)/);
  });

  it('fires when the watcher still lists a member long after it fell silent, or never sees it gone', () => {
    const late = checkMembership([...view(10, 'c1', 'c2'), ...view(800, 'c1', 'c2'), ...view(900, 'c1'), ...expiry(100, 1200, 1210), ...view(1500)], context);
    expect(late.verdict).toBe('violated');
    expect(late.summary).toMatch(/the watcher saw c2 gone only at 900\.0 ms, later than 600\.0 ms after it fell silent/);
    const never = checkMembership([...view(10, 'c1', 'c2'), ...expiry(100, 1200, 1210), ...view(1500)], context);
    expect(never.summary).toMatch(/the watcher never saw c2 gone, though it was away until 1210\.0 ms/);
    const stays = checkMembership([...view(10, 'c1', 'c2'), ...view(1500, 'c2')], context);
    expect(stays.summary).toMatch(/last listing still shows c2 after every member left/);
  });

  it('a listing after the session ended at the servers counts, though the member heard from its server later (swarm zab 71281)', () => {
    // c2's server, cut off from the leader, answered its pings until 1083 ms; the leader,
    // which had not heard of it since, expired its session at 1070 ms and the watcher saw it
    // gone at 1075 ms. Then a create still in flight made the node again briefly (1672 ms)
    // before the member's leave deleted it.
    const events = [...view(10, 'c1', 'c2'), ...view(1075, 'c1'), ...done(2, 'expired', 1083 * ms, 1083 * ms), ...view(1672, 'c1', 'c2'), ...view(1700)];
    expect(checkMembership(events, { ...context, sessionEndsUs: new Map([[2, [1070 * ms]]]) }).verdict).toBe('holds');
    // Without the run's record (the lab), or with the session ended after the listing, it is late.
    expect(checkMembership(events, context).summary).toMatch(/the watcher saw c2 gone only at 1700\.0 ms/);
    expect(checkMembership(events, { ...context, sessionEndsUs: new Map([[2, [1080 * ms]]]) }).verdict).toBe('violated');
  });

  it('the swarm run that found it meets its expectations', () => {
    const scenario = validateScenario(JSON.parse(readFileSync(new URL('../fixtures/swarm-zab-71281-membership.json', import.meta.url), 'utf8')), 'swarm-zab-71281');
    expect(failedExpectations(runScenario(scenario, protocolAdapter('zab'), { seed: scenario.seed }))).toEqual([]);
  });

  it('counts from a later leader change, and lets a member back before the watcher listed again go unseen', () => {
    // A new leader at 600 ms starts every session's clock afresh: gone at 900 ms is in time.
    const afterElection = checkMembership([...view(10, 'c1', 'c2'), ...view(900, 'c1'), ...expiry(100, 1200, 1210), ...view(1500)], { ...context, leaderChangesUs: [600 * ms] });
    expect(afterElection.verdict).toBe('holds');
    const coalesced = checkMembership([...view(10, 'c1', 'c2'), ...expiry(100, 520, 530), ...view(560, 'c1', 'c2'), ...view(1500)], context);
    expect(coalesced.verdict).toBe('holds');
    expect(coalesced.summary).toMatch(/1 expiry\(ies\) the watcher never saw/);
  });
});

describe('GroupMember', () => {
  const story = recipeStory('membership-session-expiry');

  it('a cut-off member disappears with its session; members on persistent nodes never do, and the checker says so', () => {
    const good = runScenario(story, protocolAdapter('zab'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    expect(good.recipe?.summary).toMatch(/^1 member session\(s\) expired/);
    const broken = runScenario(story, protocolAdapter('zab'), { seed: 1, recipeFlaws: { membership: { persistentMembers: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/the watcher never saw c2 gone/);
  });
});
