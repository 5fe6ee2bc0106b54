/**
 * Curator's InterProcessMutex (sim/client/lock.ts) on the simulated cluster: what Curator
 * does (reentrancy, protected creates, the lock loop) and, with deliberately broken
 * variants, that the mutex checker sees two holders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/rng.js';
import { History } from '../../sim/client/history.js';
import { CuratorClient } from '../../sim/client/curator.js';
import { InterProcessMutex, sortBySequence } from '../../sim/client/lock.js';
import { ZkClient, DEFAULT_SESSION_OPTIONS } from '../../sim/client/session.js';
import type { ClientRequest } from '../../sim/core/node.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario, failedExpectations } from '../../sim/scenario/run.js';
import { ROOT } from '../cli/helpers.js';
import { establishedLeader, runFor, servingZab } from '../zab/harness.js';

function story(name: string) {
  const file = join(ROOT, 'scenarios', 'recipes', `${name}.json`);
  return parseScenario(readFileSync(file, 'utf8'), file);
}

function readyCluster() {
  return servingZab({ servers: 3, seed: 9 }).cluster;
}

function children(cluster: ReturnType<typeof readyCluster>, path: string): string[] {
  const leader = establishedLeader(cluster)!;
  const tree = (cluster.behavior(leader) as unknown as { tree: { getChildren(p: string): { ok: boolean; children?: string[] } } }).tree;
  const r = tree.getChildren(path);
  return r.ok ? [...(r.children ?? [])] : [];
}

/** Drops the answer to the client's first protected create (the node is made; the client never hears so). */
function loseFirstProtectedCreateAnswer(client: ZkClient, then?: () => void): { count: number } {
  const lost = { count: 0 };
  const onReply = client.onReply.bind(client);
  client.onReply = (server: number, req: ClientRequest, result: unknown) => {
    const body = req.body as { kind: string; req?: { op: string; path?: string } };
    if (body.kind === 'op' && body.req?.op === 'create' && body.req.path?.includes('_c_') === true && lost.count === 0) {
      lost.count++;
      then?.();
      return;
    }
    onReply(server, req, result);
  };
  return lost;
}

describe('InterProcessMutex', () => {
  it('sorts lock nodes by their sequence number, not by the protected prefix (StandardLockInternalsDriver.fixForSorting)', () => {
    expect(sortBySequence(['_c_ffff-lock-0000000002', '_c_0000-lock-0000000003', '_c_aaaa-lock-0000000001', 'other'], 'lock-')).toEqual([
      '_c_aaaa-lock-0000000001',
      '_c_ffff-lock-0000000002',
      '_c_0000-lock-0000000003',
    ]);
  });

  // InterProcessMutex.internalLock: a thread that holds the lock only bumps lockCount;
  // release deletes the node when the count is back to zero.
  it('is reentrant: a second acquire by the holder counts, and the node goes with the last release', () => {
    const cluster = readyCluster();
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('reentrant'), DEFAULT_SESSION_OPTIONS);
    client.start(0);
    const curator = new CuratorClient(cluster as never, client, new Rng('reentrant-curator'));
    const mutex = new InterProcessMutex(curator, '/lock');
    const held: boolean[] = [];
    mutex.acquire('me', (ok) => held.push(ok));
    runFor(cluster, 200_000);
    expect(held).toEqual([true]);
    const node = mutex.path!;
    expect(node).toMatch(/^\/lock\/_c_[0-9a-f-]{36}-lock-0000000000$/);
    mutex.acquire('me', (ok) => held.push(ok));
    runFor(cluster, 10_000);
    expect(held).toEqual([true, true]);
    expect(children(cluster, '/lock')).toEqual([node.slice('/lock/'.length)]);
    let released = 0;
    mutex.release(() => released++);
    runFor(cluster, 100_000);
    expect(released).toBe(1);
    expect(mutex.isHeld).toBe(true);
    expect(children(cluster, '/lock')).toEqual([node.slice('/lock/'.length)]);
    mutex.release(() => released++);
    runFor(cluster, 100_000);
    expect(released).toBe(2);
    expect(mutex.isHeld).toBe(false);
    expect(children(cluster, '/lock')).toEqual([]);
  });

  // CreateBuilderImpl protected mode: a create whose answer is lost is retried only after
  // looking for a child with our _c_<uuid>- prefix (findProtectedNodeInForeground).
  it('a create whose answer was lost finds the node it made instead of making a second one (protected mode)', () => {
    const cluster = readyCluster();
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('protected'), DEFAULT_SESSION_OPTIONS);
    // Lose the answer to the first create: the node is made, the client never hears so.
    const lost = loseFirstProtectedCreateAnswer(client);
    client.start(0);
    const curator = new CuratorClient(cluster as never, client, new Rng('protected-curator'));
    const outcomes: unknown[] = [];
    curator.mkdirs('/jobs', () => curator.createProtected('/jobs/job-', '', 'persistent-sequential', (o) => outcomes.push(o)));
    runFor(cluster, 2_000_000);
    expect(lost.count).toBe(1);
    const made = children(cluster, '/jobs');
    expect(made).toHaveLength(1);
    expect(outcomes).toEqual([{ ok: true, output: `/jobs/${made[0]}` }]);
    expect(client.history.ops.filter((op) => op.f === 'create' && (op.value as { path: string }).path.startsWith('/jobs/'))).toHaveLength(1);
  });
});

describe('protected mode across a new session (ProtectedMode.validateFoundNode)', () => {
  // The answer to an ephemeral protected create is lost; before the retry the client's
  // session is gone and it opens a new one. The node found by its prefix belongs to the
  // old session: it is deleted and a new node made, owned by the current session.
  it('an ephemeral node found after the session changed is deleted and made again under the new session', () => {
    const cluster = readyCluster();
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('protected-session'), DEFAULT_SESSION_OPTIONS);
    // The session is lost with the answer: the client will be told so and open another.
    const lost = loseFirstProtectedCreateAnswer(client, () => (client.sessionId = 0x7fff0000));
    client.start(0);
    const curator = new CuratorClient(cluster as never, client, new Rng('protected-session-curator'));
    const outcomes: { ok: boolean; output?: unknown }[] = [];
    curator.mkdirs('/jobs', () => curator.createProtected('/jobs/job-', '', 'ephemeral-sequential', (o) => outcomes.push(o)));
    runFor(cluster, 3_000_000);
    expect(lost.count).toBe(1);
    expect(client.sessionIds.length).toBe(2);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0].ok).toBe(true);
    const leader = establishedLeader(cluster)!;
    const tree = (cluster.behavior(leader) as unknown as { tree: { getData(p: string): { ok: boolean; stat?: { ephemeralOwner: number } } } }).tree;
    const owner = tree.getData(outcomes[0].output as string).stat?.ephemeralOwner;
    expect(owner).toBe(client.sessionId);
    expect(owner).toBe(client.sessionIds[1]);
  });
});

describe('the lock workload and the mutex checker', () => {
  it('the lock holder cut off (story, seed 1): Curator\'s advice keeps the history a mutex; ignoring SUSPENDED gives two holders', () => {
    for (const protocol of ['zab', 'paxos'] as const) {
      const scenario = story('lock-holder-cut-off');
      const good = runScenario(scenario, protocolAdapter(protocol), { seed: 1 });
      expect(failedExpectations(good), protocol).toEqual([]);
      expect(good.linearizability).toMatchObject({ verdict: 'linearizable', model: 'mutex' });
      const broken = runScenario(scenario, protocolAdapter(protocol), { seed: 1, recipeFlaws: { lock: { keepHoldingWhenSuspended: true } } });
      expect(broken.linearizability.verdict, protocol).toBe('not-linearizable');
      expect(broken.linearizability.explanation).toMatch(/can't acquire: held by p0/);
    }
  });

  it('a lock that does not wait for its predecessor has two holders at once, and the checker says so', () => {
    const scenario = story('lock-under-faults');
    const broken = runScenario(scenario, protocolAdapter('zab'), { seed: 1, recipeFlaws: { lock: { noPredecessorCheck: true } } });
    expect(broken.linearizability).toMatchObject({ verdict: 'not-linearizable', model: 'mutex' });
    expect(broken.linearizability.explanation).toMatch(/can't acquire: held by p\d/);
  });

  it('a node made by an expired session of the client is not taken as the lock (CURATOR-604): with the flaw, two holders', () => {
    const file = join(ROOT, 'test', 'fixtures', 'regressions', 'zab-lock-with-expired-session-node.json');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const good = runScenario(scenario, protocolAdapter('zab'));
    expect(failedExpectations(good)).toEqual([]);
    expect(good.recipe).toMatchObject({ recipe: 'lock', verdict: 'holds' });
    const broken = runScenario(scenario, protocolAdapter('zab'), { recipeFlaws: { lock: { holdWithExpiredSessionNode: true } } });
    expect(broken.linearizability).toMatchObject({ verdict: 'not-linearizable', model: 'mutex' });
    expect(broken.recipe?.verdict).not.toBe('holds');
  });

  // Curator's advice holds for a SUSPENDED that came while the acquire was still running:
  // a lock taken on an answer that waited out a GC pause is given up at once.
  it('a lock acquired just after SUSPENDED is given up unused, not held until the next state change', () => {
    const file = join(ROOT, 'test', 'fixtures', 'regressions', 'zab-lock-acquired-after-suspended.json');
    const result = runScenario(parseScenario(readFileSync(file, 'utf8'), file), protocolAdapter('zab'));
    expect(failedExpectations(result)).toEqual([]);
    expect(result.recipe).toMatchObject({ recipe: 'lock', verdict: 'holds' });
    // Client 1's acquire, completed by the lock loop at 748.001 ms, fails: the application gave it up.
    const given = result.history.find((e) => e.process === 1 && e.f === 'acquire' && e.type !== 'invoke' && (e.timeUs ?? 0) > 748_000);
    expect(given).toMatchObject({ type: 'fail', value: 'gave up: SUSPENDED', timeUs: 748_001 });
  });
});
