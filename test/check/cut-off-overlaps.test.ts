/**
 * Which overlaps of an exclusive role a cut-off server explains (sim/check/cut-off.ts,
 * cutOffBehind): the holder's server, cut off from the leader, goes on answering its pings
 * while the leader, hearing none of its touches, expires the session — the hazard ZooKeeper
 * does not prevent when the session is shorter than the time a server serves without its
 * leader (syncLimit × tickTime). Found by h36's shortsession mix, whose 18 overlaps of this
 * kind the checkers left unexplained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutOffBehind } from '../../sim/check/lock-fencing.js';
import { ExpiryWatch, clientExpiries, type ClientExpiry } from '../../sim/check/cut-off.js';
import type { RecipeContext, RoleOverlap } from '../../sim/check/recipes.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { recipeFromTrace } from '../../sim/scenario/recipe-report.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

const overlap: RoleOverlap = { clients: [2, 1], fromUs: 593_900, toUs: 595_200 };
const expiry: ClientExpiry = { sessionId: 7, leader: 2, atUs: 587_400, server: 0, silentUs: 13_900, leaderPause: null };
const context = (served: ClientExpiry, ends: number[], sessionTimeoutUs = 15_000): RecipeContext => ({
  sessionTimeoutUs,
  leaderChangesUs: [],
  clientPauses: [],
  sessionEndsUs: new Map([[2, ends]]),
  sessionExpiries: new Map([[2, [served]]]),
});

describe('a cut-off server that explains an overlap', () => {
  it('the leader had heard nothing from the holder’s server for half the session or more, and the session ended before the other took the role', () => {
    expect(cutOffBehind(overlap, context(expiry, [592_380]))).toEqual(expiry);
    // A server in touch with the leader (silent less than half the session): a touch it failed to report is a bug, not this hazard.
    expect(cutOffBehind(overlap, context({ ...expiry, silentUs: 7_000 }, [592_380]))).toBeUndefined();
    expect(cutOffBehind(overlap, context({ ...expiry, silentUs: 7_500 }, [592_380]))).toBeDefined();
    // The session ended after the other took the role, or ended before this expiry (otherwise): not this hazard.
    expect(cutOffBehind(overlap, context(expiry, [594_000]))).toBeUndefined();
    expect(cutOffBehind(overlap, context(expiry, [580_000]))).toBeUndefined();
    // An expiry proposed after the overlap began explains nothing.
    expect(cutOffBehind(overlap, context({ ...expiry, atUs: 594_000 }, [594_500]))).toBeUndefined();
    // The later holder's expiry explains nothing without where its close was applied.
    expect(cutOffBehind({ ...overlap, clients: [1, 2] }, context(expiry, [592_380]))).toBeUndefined();
  });

  it('or the later holder, its session so expired, took the role on an answer its server gave before applying the close', () => {
    // zab-selector-leads-on-answer-before-close: client 4 expired at 322.0 ms, server 0 applied the close at 330.1 ms, client 4 led at 330.4 ms.
    const later = { ...overlap, clients: [1, 2] as const };
    const at = (server: number, appliedUs: number): RecipeContext => ({ ...context(expiry, [592_380]), sessionEndsAtServersUs: new Map([[2, [new Map([[server, appliedUs]])]]]) });
    expect(cutOffBehind(later, at(0, 593_500))).toEqual(expiry);
    expect(cutOffBehind(later, at(0, 590_200))).toEqual(expiry); // within a hop (a quarter of the session) of the close
    // Long after its server applied the close: a server that answered a closed session, a bug.
    expect(cutOffBehind(later, at(0, 590_000))).toBeUndefined();
    // Its server never applied that close (only another did): nothing shows the answer came before it.
    expect(cutOffBehind(later, at(1, 593_500))).toBeUndefined();
    // The same silence and expiry rules as for the earlier holder.
    expect(cutOffBehind(later, { ...at(0, 593_500), sessionExpiries: new Map([[2, [{ ...expiry, silentUs: 7_000 }]]]) })).toBeUndefined();
    expect(cutOffBehind({ ...later, fromUs: 587_000 }, at(0, 587_500))).toBeUndefined();
    // Without the run's session ends (an older trace): nothing is named.
    expect(cutOffBehind(overlap, { ...context(expiry, [592_380]), sessionEndsUs: undefined })).toBeUndefined();
  });

  it('or a leader paused for half the session or more before it proposed the close (a report it got on waking was sent before)', () => {
    // shortsession zab 2202: leader paused 428-448 ms, sessions 20 ms; a PING answer sent before the pause is delivered on waking.
    const paused: ClientExpiry = { ...expiry, atUs: 448_000, silentUs: 0, leaderPause: { fromUs: 428_000, toUs: 448_000 } };
    const after = { ...overlap, fromUs: 460_565, toUs: 460_935 };
    expect(cutOffBehind(after, context(paused, [457_402], 20_000))).toEqual(paused);
    // A pause shorter than half the session, or long before its last timeout, explains nothing.
    expect(cutOffBehind(after, context({ ...paused, leaderPause: { fromUs: 439_000, toUs: 448_000 } }, [457_402], 20_000))).toBeUndefined();
    expect(cutOffBehind(after, context({ ...paused, leaderPause: { fromUs: 400_000, toUs: 420_000 } }, [457_402], 20_000))).toBeUndefined();
    // The watch records the leader's latest pause, ended or not.
    const watch = new ExpiryWatch(3);
    watch.observe({ timeUs: 428_000, seq: 1, node: 2, kind: 'pause' });
    watch.proposed(2, { type: 'closeSession', sessionId: 5 }, 430_000);
    watch.observe({ timeUs: 448_000, seq: 2, node: 2, kind: 'resume' });
    watch.proposed(2, { type: 'closeSession', sessionId: 6 }, 448_000);
    expect(watch.proposals.map((p) => p.leaderPause)).toEqual([{ fromUs: 428_000, toUs: 430_000 }, { fromUs: 428_000, toUs: 448_000 }]);
  });

  it('the expiries: the leader’s silence from each server, and the server the client was connected to then', () => {
    const watch = new ExpiryWatch(3);
    watch.delivered(0, 2, 570_000, 'PING');
    watch.delivered(1, 2, 586_000, 'HeartbeatAck');
    watch.delivered(0, 1, 586_500, 'PING'); // to another server: not the leader's silence
    watch.delivered(0, 2, 586_600, 'ACK'); // carries no touches: the leader still has no report
    watch.delivered(0, 2, 586_700, 'REQUEST'); // touches only its own session (another client's): no report of ours
    watch.delivered(0, 2, 586_750, 'Forward');
    watch.proposed(2, { type: 'setData', path: '/a' }, 586_900);
    watch.proposed(2, { type: 'closeSession', sessionId: 11 }, 587_400);
    watch.proposed(2, { type: 'closeSession', sessionId: 12 }, 587_400);
    expect(watch.proposals.map((p) => [p.sessionId, p.silentUs])).toEqual([
      [11, [17_400, 1_400, 0]],
      [12, [17_400, 1_400, 0]],
    ]);
    // Client 0 (session 11) moved from server 2 to server 0 before the expiry; client 1 (session 12) is on the leader itself.
    const served = clientExpiries([[11], [12]], [[100_000, 2, 500_000, 0, 590_000, 1], [100_000, 2]], watch.proposals);
    expect(served.get(0)).toEqual([{ sessionId: 11, leader: 2, atUs: 587_400, server: 0, silentUs: 17_400, leaderPause: null }]);
    expect(served.get(1)).toEqual([{ sessionId: 12, leader: 2, atUs: 587_400, server: 2, silentUs: 0, leaderPause: null }]);
    // A client on the leader itself, or not yet connected, had no cut-off server.
    expect(cutOffBehind(overlap, context({ ...expiry, server: 2, silentUs: 0 }, [592_380]))).toBeUndefined();
    expect(cutOffBehind(overlap, context({ ...expiry, server: -1, silentUs: Number.NaN }, [592_380]))).toBeUndefined();
    expect(clientExpiries([[11]], [[600_000, 0]], watch.proposals).get(0)?.[0].server).toBe(-1);
  });
});

const FIXTURES: [string, 'zab' | 'paxos', RegExp][] = [
  ['zab-latch-leader-paused-expires-served-session.json', 'zab', /client 0's server 0 went on answering its pings, but leader 2 was paused from 481\.0 ms to 561\.0 ms and received none of its touch reports meanwhile, so the leader expired its session \(timeout 100\.0 ms\) at 561\.0 ms and client 2 became leader/],
  ['zab-lock-holder-server-cut-off.json', 'zab', /client 1's server 0 went on answering its pings, but leader 2 had received none of its touch reports for \d+\.\d ms \(the server cut off from it, or the leader paused\), so the leader expired its session \(timeout 15\.0 ms\) at 588\.0 ms and client 0 acquired the lock/],
  ['zab-selector-leads-on-answer-before-close.json', 'zab', /client 4's server 0 went on answering its pings, but leader 2 had received none of its touch reports for 22\.9 ms \(the server cut off from it, or the leader paused\), so the leader expired its session \(timeout 30\.0 ms\) at 322\.0 ms while client 7 became leader, and it acted on an answer its server gave before applying the close/],
  ['paxos-lock-holder-server-cut-off.json', 'paxos', /client 0's server 4 went on answering its pings, but leader 2 had received none of its touch reports .* at 320\.0 ms and client 18 acquired the lock/],
];

describe('the recipe checkers name the cut-off server (shortsession regressions)', () => {
  for (const [name, protocol, named] of FIXTURES) {
    it(`${name}: named by the run, and by the lab from the trace`, () => {
      const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', name);
      const scenario = parseScenario(readFileSync(file, 'utf8'), file);
      const result = runScenario(scenario, protocolAdapter(protocol), { keepTrace: true });
      expect(failedExpectations(result)).toEqual([]);
      expect(result.recipe?.verdict).toBe('violated');
      expect(result.recipe?.summary).toMatch(named);
      expect(result.recipe?.summary).not.toMatch(/no such pause/);
      const meta = result.trace!.meta;
      expect(recipeFromTrace(result.trace!.events, scenario, result.simTimeUs, meta)?.report).toEqual(result.recipe);
      // A trace without the connections (an older one) names nothing it cannot show.
      expect(recipeFromTrace(result.trace!.events, scenario, result.simTimeUs, { protocol: meta.protocol, clientSessions: meta.clientSessions })?.report?.summary).not.toMatch(/cut off/);
    });
  }
});
