/**
 * A client's process stopped (a GC pause; the scenario's pause-client fault): its timers
 * and the packets it receives wait and run in order when it resumes, while the servers go
 * on and may expire its session. Then the GC-pause lock stories (scenarios/recipes/
 * lock-gc-pause-*.json): without fencing the resource takes a stale holder's write, with
 * fencing it refuses it, and a guard that ignores the token is caught by the checker.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/rng.js';
import { History } from '../../sim/client/history.js';
import { ZkClient, DEFAULT_SESSION_OPTIONS, type ClientState } from '../../sim/client/session.js';
import { parseScenario, ScenarioError } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import { checkResourceWrites } from '../../sim/check/lock-fencing.js';
import { runFor, servingZab } from '../zab/harness.js';
import { recipeStory } from '../helpers/recipe-story.js';

function connectedClient(seed: string) {
  const { cluster, leader } = servingZab({ servers: 3, seed: 11 });
  const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng(seed), DEFAULT_SESSION_OPTIONS);
  client.start(leader);
  runFor(cluster, 50_000);
  expect(client.connected).toBe(true);
  return { cluster, client, leader };
}

function rootChildren(cluster: ReturnType<typeof connectedClient>['cluster'], leader: number): string[] {
  const tree = (cluster.behavior(leader) as unknown as { tree: { getChildren(p: string): { ok: boolean; children?: string[] } } }).tree;
  return [...(tree.getChildren('/').children ?? [])];
}

describe('a paused client (pause-client)', () => {
  it('runs nothing while paused; on resume, what fell due runs in the order it fell due, timers and replies alike', () => {
    const { cluster, client } = connectedClient('pause-order');
    const seen: string[] = [];
    const t0 = cluster.nowUs;
    client.submit({ f: 'create', value: '/x', req: { op: 'create', path: '/x', data: 'v', mode: 'persistent' } }, (op) => seen.push(`reply ${op.result} at ${cluster.nowUs - t0}`));
    client.at(t0 + 1, () => seen.push(`early timer at ${cluster.nowUs - t0}`));
    client.at(t0 + 60_000, () => seen.push(`late timer at ${cluster.nowUs - t0}`));
    client.pause();
    runFor(cluster, 100_000);
    // Nothing ran, but the server did its part: the node exists.
    expect(seen).toEqual([]);
    expect(client.busy).toBe(true);
    cluster.at(t0 + 150_000, () => client.resume());
    client.at(t0 + 160_000, () => seen.push(`after resume at ${cluster.nowUs - t0}`));
    runFor(cluster, 100_000);
    expect(seen).toEqual(['early timer at 150000', 'reply ok at 150000', 'late timer at 150000', 'after resume at 160000']);
  });

  it('a pause longer than the session timeout: the servers expire the session, and the client learns it only after resuming', () => {
    const { cluster, client, leader } = connectedClient('pause-expiry');
    const states: { state: ClientState; atUs: number }[] = [];
    client.onState = (state) => states.push({ state, atUs: cluster.nowUs });
    let created: unknown;
    client.submit({ f: 'create', value: '/e', req: { op: 'create', path: '/e', data: 'v', mode: 'ephemeral' } }, (op) => (created = op.result));
    runFor(cluster, 50_000);
    expect(created).toBe('ok');
    expect(rootChildren(cluster, leader)).toContain('e');
    const sessionId = client.sessionId;
    const pausedUs = cluster.nowUs;
    client.pause();
    runFor(cluster, 3 * DEFAULT_SESSION_OPTIONS.sessionTimeoutUs);
    // The servers expired the session and deleted its ephemeral node; the client has not noticed.
    expect(rootChildren(cluster, leader)).not.toContain('e');
    expect(states).toEqual([]);
    expect(client.sessionId).toBe(sessionId);
    const resumedUs = cluster.nowUs;
    client.resume();
    runFor(cluster, 500_000);
    expect(states.map((s) => s.state)).toContain('expired');
    expect(states.every((s) => s.atUs >= resumedUs)).toBe(true);
    expect(client.sessionsLost).toBe(1);
    expect(client.connected).toBe(true);
    expect(client.sessionId).not.toBe(sessionId);
    expect(resumedUs - pausedUs).toBeGreaterThan(DEFAULT_SESSION_OPTIONS.sessionTimeoutUs);
  });

  it('is recorded in the trace and the report, and replays to the same hash', () => {
    const scenario = recipeStory('lock-gc-pause-no-fencing');
    const a = runScenario(scenario, protocolAdapter('zab'), { seed: 1, keepTrace: true });
    const b = runScenario(scenario, protocolAdapter('zab'), { seed: 1 });
    expect(a.traceHash).toBe(b.traceHash);
    const events = a.trace!.events.filter((e) => e.kind === 'pause-client' || e.kind === 'resume-client').map((e) => [e.kind, e.client, e.timeUs]);
    expect(events).toEqual([
      ['pause-client', 0, 300_000],
      ['resume-client', 0, 1_300_000],
    ]);
    expect(a.faults).toContainEqual({ atUs: 300_000, action: 'pause-client', nodes: [], client: 0 });
  });

  it('refuses a client that does not exist, naming the field', () => {
    const scenario = (client: number, extra: object = {}) =>
      JSON.stringify({ title: 't', explanation: 'e', cluster: { servers: 3 }, workload: { clients: 2 }, durationMs: 1000, faults: [{ atMs: 10, action: 'pause-client', client, durationMs: 100, ...extra }] });
    expect(() => parseScenario(scenario(2), 'bad.json')).toThrow(ScenarioError);
    expect(() => parseScenario(scenario(2), 'bad.json')).toThrow(/\$\.faults\[0\]\.client.*client 2 does not exist/);
    expect(() => parseScenario(scenario(-1), 'bad.json')).toThrow(/faults\[0\]\.client/);
    expect(() => parseScenario(scenario(0, { target: 'node:1' }), 'bad.json')).toThrow(ScenarioError);
    expect(() => parseScenario(scenario(1), 'ok.json')).not.toThrow();
  });
});

describe('the GC-pause lock stories', () => {
  for (const protocol of ['zab', 'paxos'] as const) {
    it(`without fencing, two holders and a stale write on the resource, named as not promised by ZooKeeper (${protocol})`, () => {
      const result = runScenario(recipeStory('lock-gc-pause-no-fencing'), protocolAdapter(protocol), { seed: 1 });
      expect(result.recipe?.verdict).toBe('violated');
      expect(result.recipe?.overlaps.length).toBeGreaterThan(0);
      expect(result.recipe?.summary).toMatch(/ZooKeeper does not promise more here: client 0 was paused/);
      expect(result.recipe?.summary).toMatch(/accepted 1 write\(s\) from a stale holder: client 0 wrote with token 0/);
      expect(result.ok).toBe(true);
    });

    it(`with fencing, the stale holder's write is refused and the resource never takes one (${protocol})`, () => {
      const result = runScenario(recipeStory('lock-gc-pause-fencing'), protocolAdapter(protocol), { seed: 1 });
      expect(result.recipe?.verdict).toBe('holds');
      expect(result.recipe?.overlaps.length).toBeGreaterThan(0);
      expect(result.recipe?.summary).toMatch(/never one from a stale holder, and refused 1 carrying a stale token/);
      const refused = result.history.filter((e) => e.f === 'resource-write' && e.type === 'fail');
      expect(refused.map((e) => e.process)).toEqual([0]);
      expect(result.ok).toBe(true);
    });
  }

  it('a guard that ignores the token lets the stale write in, and the resource check fires', () => {
    const result = runScenario(recipeStory('lock-gc-pause-fencing'), protocolAdapter('zab'), { seed: 1, recipeFlaws: { lock: { guardIgnoresToken: true } } });
    expect(result.recipe?.verdict).toBe('violated');
    expect(result.recipe?.summary).toMatch(/the fenced resource accepted 1 write\(s\) from a stale holder: client 0/);
    expect(result.ok).toBe(false);
  });

  it('the resource check reads the service order, not the completion order', () => {
    const w = (process: number, token: number, seq: number, atUs: number) => [
      { type: 'invoke' as const, process, f: 'resource-write', value: { token }, timeUs: atUs - 1, index: 0 },
      { type: 'ok' as const, process, f: 'resource-write', value: { token, seq, appliedUs: atUs }, timeUs: atUs + 1, index: 0 },
    ];
    // Client 0's answer came back late (it was paused), but the service took its write first: not stale.
    expect(checkResourceWrites([...w(1, 1, 2, 20), ...w(0, 0, 1, 10)]).stale).toEqual([]);
    expect(checkResourceWrites([...w(1, 1, 1, 10), ...w(0, 0, 2, 20)]).stale).toEqual([{ client: 0, token: 0, appliedUs: 20, after: { client: 1, token: 1, appliedUs: 10 } }]);
  });
});
