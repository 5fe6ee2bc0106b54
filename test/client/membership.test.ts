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
import { recipeFromTrace } from '../../sim/scenario/recipe-report.js';

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

  it('counts from when the first server the watcher knows applied the end, and only then (h28 recipes2 zab 555)', () => {
    // c2 fell silent at 100 ms; the leader (server 2) ended its session at 450 ms, but the
    // watcher knows only server 1, which applied it at 1100 ms (cut off, then paused).
    const events = [...view(10, 'c1', 'c2'), ...view(1250, 'c1'), ...expiry(100, 1400, 1410), ...view(1500)];
    const atServers = (s1: number) => new Map([[2, [new Map([[2, 450 * ms], [0, 451 * ms], [1, s1 * ms]])]]]);
    const cutOff = { ...context, sessionEndsUs: new Map([[2, [450 * ms]]]), sessionEndsAtServersUs: atServers(1100), connectStrings: [[1]] };
    const held = checkMembership(events, cutOff);
    expect(held.verdict).toBe('holds');
    expect(held.summary).toMatch(/1 counted from when the first of the watcher's servers applied the end/);
    // The same listing is late if the watcher knows the leader too, or its server applied it on time.
    expect(checkMembership(events, { ...cutOff, connectStrings: [[1, 2]] }).summary).toMatch(/the watcher saw c2 gone only at 1250\.0 ms, later than 600\.0 ms after it fell silent/);
    expect(checkMembership(events, { ...cutOff, sessionEndsAtServersUs: atServers(460) }).verdict).toBe('violated');
    // And a watcher that lists late after its server could tell it is still late.
    const slow = [...view(10, 'c1', 'c2'), ...view(1400, 'c1'), ...expiry(100, 1450, 1460), ...view(1500)];
    expect(checkMembership(slow, cutOff).summary).toMatch(/gone only at 1400\.0 ms, later than 200\.0 ms after the first of the watcher's servers applied its closeSession \(at 1100\.0 ms\)/);
  });

  it('a listing after the member began to leave counts, though its session expired later (h28 recipes2 zab 1247)', () => {
    const leave = (atMs: number) => [{ type: 'invoke' as const, process: 2, f: 'leave', value: 'c2', timeUs: atMs * ms }];
    // c2 leaves at 1000 ms, its delete applies, the watcher sees it gone at 1100 ms; its session expires at 1500 ms.
    const events = [...view(10, 'c1', 'c2'), ...leave(1000), ...view(1100, 'c1'), ...done(2, 'expired', 1500 * ms, 1500 * ms), ...view(1200)];
    expect(checkMembership(events, context).verdict).toBe('holds');
    // Without the leave, the same listings are the watcher never seeing c2 gone after it fell silent.
    const noLeave = events.filter((e) => e.f !== 'leave');
    expect(checkMembership(noLeave, context).summary).toMatch(/the watcher never saw c2 gone/);
    // A join after the leave cancels it: the member was back.
    const rejoined = [...view(10, 'c1', 'c2'), ...leave(1000), ...done(2, 'join', 1, 1050 * ms), ...view(1100, 'c1', 'c2'), ...done(2, 'expired', 1500 * ms, 1500 * ms), ...view(2500, 'c1')];
    expect(checkMembership(rejoined, context).summary).toMatch(/the watcher saw c2 gone only at 2500\.0 ms/);
  });

  it.each(['recipes2-zab-555-membership-watcher-cut-off', 'recipes2-zab-1247-membership-leave-then-expiry'])('the hand-made mix run %s meets its expectations', (name) => {
    const scenario = validateScenario(JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')), name);
    const result = runScenario(scenario, protocolAdapter('zab'), { seed: scenario.seed, keepTrace: true });
    expect(failedExpectations(result)).toEqual([]);
    // The lab's verdict from the trace agrees, with the clients' sessions its meta keeps.
    expect(recipeFromTrace(result.trace!.events, scenario, result.simTimeUs, result.trace!.meta)?.report).toEqual(result.recipe);
  });

  it('without the clients\' sessions, a trace cannot say when the member\'s session ended at the watcher\'s server (zab 555)', () => {
    const name = 'recipes2-zab-555-membership-watcher-cut-off';
    const scenario = validateScenario(JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')), name);
    const result = runScenario(scenario, protocolAdapter('zab'), { seed: scenario.seed, keepTrace: true });
    expect(result.trace!.meta.clientSessions).toEqual([expect.any(Array), expect.any(Array), expect.any(Array)]);
    expect(recipeFromTrace(result.trace!.events, scenario, result.simTimeUs)?.report?.verdict).toBe('violated');
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
