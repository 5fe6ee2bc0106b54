/**
 * ZooKeeper recipes as workloads, written as Curator writes them, on the real data-tree
 * operations, so lessons can show them working and breaking: the lock (lock.ts), the
 * leader latch (latch.ts) and selector (leader-selector.ts), configuration through a
 * NodeCache (node-cache.ts), the distributed queue (queue.ts), group membership
 * (group.ts), the double barrier (barrier.ts) and a counter on versions (counter.ts).
 *
 * `lock` is Curator's InterProcessMutex (lock.ts) on /lock, used as Curator tells
 * applications to use it: acquire, work for a while, release; and a connection-state
 * listener that stops acting as the holder on SUSPENDED or LOST (it releases: the
 * guaranteed delete removes the node once a server is reachable again, or finds it gone
 * with the expired session). The history records the recipe's own `acquire` /
 * `release` operations, checked against the mutex model: acquire is invoked when the
 * client starts trying and ends `ok` when it holds the lock, or `fail` when the retry
 * policy gave up (its node deleted: definitely not held); release ends `ok` once the node
 * is gone. The underlying ZooKeeper operations are in the history too (not checked).
 * The node's creation zxid (czxid) is the fencing token a protected resource would check.
 * With `lockResource`, the holders write to a storage service outside ZooKeeper
 * (resource.ts) every RESOURCE_WRITE_PERIOD_US while they hold the lock, each write a
 * `resource-write` (invoked with the token, ok with the service's order for it, `fail`
 * when a fenced service refused a stale token: the writer then stops acting as the holder).
 */
import type { Rng } from '../core/rng.js';
import type { Cluster } from '../net/cluster.js';
import type { ZkClient } from './session.js';
import type { WorkloadSpec } from './workload.js';
import { CuratorClient } from './curator.js';
import { InterProcessMutex, type LockFlaws } from './lock.js';
import { LeaderLatch, type LatchFlaws } from './latch.js';
import { NodeCache, type NodeCacheFlaws } from './node-cache.js';
import { putItem, QueueConsumer, type QueueFlaws } from './queue.js';
import { GroupMember, GroupWatcher, type GroupFlaws } from './group.js';
import { DistributedDoubleBarrier, type BarrierFlaws } from './barrier.js';
import { DistributedBarrier, type PlainBarrierFlaws } from './distributed-barrier.js';
import { LeaderSelector, type SelectorFlaws } from './leader-selector.js';
import { SharedCounter, type CounterFlaws } from './counter.js';
import { GuardedResource, lockToken } from './resource.js';

export type RecipeName = 'lock' | 'leader-latch' | 'config' | 'queue' | 'membership' | 'barrier' | 'double-barrier' | 'leader-selector' | 'counter';
export const RECIPES: readonly RecipeName[] = ['lock', 'leader-latch', 'config', 'queue', 'membership', 'barrier', 'double-barrier', 'leader-selector', 'counter'];

/** The recipe-level operations of each recipe (what its checker reads from the history). */
export const RECIPE_OPS: Readonly<Record<RecipeName, readonly string[]>> = {
  lock: ['acquire', 'release', 'resource-write'],
  'leader-latch': ['elect', 'resign'],
  config: ['publish', 'observe'],
  queue: ['enqueue', 'take'],
  membership: ['join', 'expired', 'leave', 'view'],
  barrier: ['setBarrier', 'removeBarrier', 'waitOnBarrier'],
  'double-barrier': ['enter', 'leave', 'expired'],
  'leader-selector': ['elect', 'resign'],
  counter: ['increment', 'final'],
};

/**
 * Where a recipe keeps ephemeral nodes that a session expiry deletes without any client
 * operation: the znode model cannot see that delete, so the ZooKeeper calls on these
 * nodes and their parent (whose children they are) are left out of the linearizability
 * check (the recipe's checker covers them).
 */
export const RECIPE_EPHEMERAL_PREFIX: Readonly<Record<RecipeName, string | null>> = {
  membership: '/group',
  'double-barrier': '/barrier',
  // Checked against the mutex model when they run alone; in a mix, by their checkers.
  lock: '/lock',
  'leader-latch': '/election',
  'leader-selector': '/leader-selector',
  config: null,
  queue: null,
  // Persistent nodes: the znode model checks the ZooKeeper calls under the barrier.
  barrier: null,
  counter: null,
};

/** Whether a ZooKeeper call is on an ephemeral node of one of `recipes`. */
export function onRecipeEphemeral(recipes: readonly RecipeName[], value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const path = (value as { path?: unknown }).path;
  if (typeof path !== 'string') return false;
  return recipes.some((recipe) => {
    const prefix = RECIPE_EPHEMERAL_PREFIX[recipe];
    return prefix !== null && (path === prefix || path.startsWith(`${prefix}/`));
  });
}

/** The clients of each recipe of a workload: one group for `recipe`, one per distinct name of `clientRecipes` (client i runs clientRecipes[i % length]). */
export interface RecipeGroup {
  readonly recipe: RecipeName;
  readonly clients: readonly number[];
}

export function recipeGroups(workload: { clients: number; recipe?: RecipeName; clientRecipes?: readonly RecipeName[] } | undefined): RecipeGroup[] {
  if (workload === undefined) return [];
  const mix = workload.clientRecipes;
  if (mix === undefined || mix.length === 0) return workload.recipe === undefined ? [] : [{ recipe: workload.recipe, clients: Array.from({ length: workload.clients }, (_, i) => i) }];
  const groups = new Map<RecipeName, number[]>();
  for (let i = 0; i < workload.clients; i++) {
    const recipe = mix[i % mix.length];
    groups.set(recipe, [...(groups.get(recipe) ?? []), i]);
  }
  return [...groups].map(([recipe, clients]) => ({ recipe, clients }));
}

/** Whether a history operation is a recipe's own (its name, from a client of that recipe). */
export function isRecipeOp(groups: readonly RecipeGroup[], op: { f: string; process: unknown }): boolean {
  return groups.some((group) => RECIPE_OPS[group.recipe].includes(op.f) && group.clients.includes(op.process as number));
}

interface RecipeEnv {
  cluster: Cluster;
  client: ZkClient;
  /** The client's index among its recipe's clients (roles: the config writer, the queue's producers, …). */
  local: number;
  rng: Rng;
  spec: WorkloadSpec;
  finish: () => void;
  stopped: () => boolean;
  flaws: RecipeFlaws;
  shared: Map<string, unknown>;
}

/** Deliberate breakage, for tests that show a recipe's checker firing. Never set by scenarios. */
export interface RecipeFlaws {
  lock?: LockFlaws;
  latch?: LatchFlaws;
  config?: NodeCacheFlaws;
  queue?: QueueFlaws;
  membership?: GroupFlaws;
  barrier?: BarrierFlaws;
  plainBarrier?: PlainBarrierFlaws;
  selector?: SelectorFlaws;
  counter?: CounterFlaws;
}

export function runRecipe(
  name: RecipeName,
  cluster: Cluster,
  client: ZkClient,
  rng: Rng,
  spec: WorkloadSpec,
  finish: () => void,
  stopped: () => boolean,
  flaws: RecipeFlaws = {},
  shared: Map<string, unknown> = new Map(),
  local: number = client.index,
): void {
  RECIPE_RUNNERS[name]({ cluster, client, local, rng, spec, finish, stopped, flaws, shared });
}

/**
 * How long a holder works (holds the lock, leads): exponential with the workload's mean,
 * but never past the story's stop time — the application shuts down then, so the
 * liveness phase sees every role handed on, not a random long tail.
 */
function workUs(env: RecipeEnv, meanUs: number): number {
  return Math.max(0, Math.min(env.rng.exponential(meanUs), env.spec.stopUs - env.cluster.nowUs));
}

/** What every recipe client starts with: its Curator layer and the workload's pace. */
function setUp(env: RecipeEnv) {
  const { cluster, client, rng, spec } = env;
  const curator = new CuratorClient(cluster, client, rng);
  const meanUs = 1_000_000 / Math.max(spec.ratePerSec, 1e-9);
  return {
    cluster,
    client,
    rng,
    spec,
    history: client.history,
    curator,
    meanUs,
    think: () => rng.exponential(meanUs),
    /** Runs `fn` once the client has had time to connect (2 ms after its start). */
    begin: (fn: () => void) => curator.later(spec.startUs - cluster.nowUs + 2_000, fn),
    /** The client is done: it stops watching its connection and tells the workload. */
    done: () => {
      curator.stop();
      env.finish();
    },
  };
}

/** Whether the client should start no new round: stopped, out of rounds, or past the stop time. */
function roundsOver(env: RecipeEnv, rounds: number): boolean {
  const limit = env.spec.opsPerClient !== undefined && env.spec.opsPerClient > 0 && rounds >= env.spec.opsPerClient;
  return env.stopped() || limit || env.cluster.nowUs >= env.spec.stopUs;
}

/** How often a holder writes to the lock's resource (the first write comes a fifth of this after the acquire). */
export const RESOURCE_WRITE_PERIOD_US = 50_000;

/** The storage service the lock's holders share (one per run, made by the first holder to ask). */
function lockResource(env: RecipeEnv): GuardedResource | null {
  const mode = env.spec.lockResource;
  if (mode === undefined) return null;
  let resource = env.shared.get('lock:resource') as GuardedResource | undefined;
  if (resource === undefined) {
    resource = new GuardedResource(env.cluster, mode, env.flaws.lock?.guardIgnoresToken === true);
    env.shared.set('lock:resource', resource);
  }
  return resource;
}

function lockRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, meanUs, think, begin, done } = setUp(env);
  const mutex = new InterProcessMutex(curator, '/lock', 'lock-', env.flaws.lock);
  const resource = lockResource(env);
  let rounds = 0;
  // The holder's work is cut short by a connection problem; `holding` says it is under way.
  let holding = false;
  let holdRound = 0;

  // The holder's work on the resource: a write every RESOURCE_WRITE_PERIOD_US while it
  // believes it holds the lock (one at a time: a write that falls due while the last is
  // unanswered goes out with the answer). A write that falls due while the process is
  // paused goes out when it resumes, before the process handles what arrived later (the
  // expiry of its session).
  const writeWhileHolding = (round: number) => {
    if (resource === null) return;
    const holds = () => holding && holdRound === round;
    let inFlight = false;
    let due = false;
    const send = () => {
      inFlight = true;
      const token = lockToken(mutex.path) ?? -1;
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'resource-write', { token });
      resource.write(client, token, (answer) => {
        inFlight = false;
        if (answer.accepted) history.complete(cluster.nowUs, op, 'ok', { token, seq: answer.seq, appliedUs: answer.appliedUs });
        else history.complete(cluster.nowUs, op, 'fail', { token, refused: 'stale token', newestToken: answer.newestToken });
        if (!holds()) return;
        // Fenced out: a newer holder has written, so our lock is gone. Stop acting as the holder.
        if (!answer.accepted) return release();
        if (due) {
          due = false;
          send();
        }
      });
    };
    const tick = () => {
      if (!holds()) return;
      if (inFlight) due = true;
      else send();
      curator.later(RESOURCE_WRITE_PERIOD_US, tick);
    };
    curator.later(RESOURCE_WRITE_PERIOD_US / 5, tick);
  };

  const startRound = () => {
    if (roundsOver(env, rounds)) {
      done();
      return;
    }
    rounds++;
    const acquire = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'acquire', null);
    mutex.acquire(`c${client.index}`, (held) => {
      // Curator's advice (below) for a SUSPENDED or LOST that came while the acquire was
      // still running: the lock loop can take the lock on an answer read before the
      // connection went (one that waited out a GC pause, processed just before the expiry
      // notice: h36's movepause mix, zab 644), and the listener found nothing held yet.
      // The application cannot be sure it holds the lock: it gives it up unused, its node
      // deleted, and the acquire failed.
      if (held && env.flaws.lock?.keepHoldingWhenSuspended !== true && (curator.state === 'SUSPENDED' || curator.state === 'LOST')) {
        history.complete(cluster.nowUs, acquire, 'fail', 'gave up: SUSPENDED');
        return mutex.release(() => curator.later(think(), startRound));
      }
      history.complete(cluster.nowUs, acquire, held ? 'ok' : 'fail', held ? mutex.path : 'gave up');
      if (!held) return curator.later(think(), startRound);
      holding = true;
      const round = rounds;
      holdRound = round;
      writeWhileHolding(round);
      curator.later(workUs(env, meanUs), () => {
        if (holding && holdRound === round) release();
      });
    });
  };

  const release = () => {
    holding = false;
    const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'release', null);
    mutex.release(() => {
      history.complete(cluster.nowUs, op, 'ok', null);
      curator.later(think(), startRound);
    });
  };

  // Curator's advice for locks: on SUSPENDED you can no longer be sure you hold it.
  curator.onConnectionState((state) => {
    if (env.flaws.lock?.keepHoldingWhenSuspended === true) return;
    if ((state === 'SUSPENDED' || state === 'LOST') && holding) curator.later(0, () => holding && release());
  });

  begin(startRound);
}

/**
 * `leader-latch`: every client runs Curator's LeaderLatch on /election (latch.ts). The
 * history records `elect` (invoked when the client starts waiting, ok when it becomes
 * leader) and `resign` (invoked the moment it stops believing it leads: its term is over
 * and it closes the latch, or the latch lost leadership on SUSPENDED or LOST; ok when it
 * has acted on it). A leader serves a term of random length, closes its latch, and later
 * starts a new one; a latch that lost leadership stays in the election and waits again.
 * The checker (sim/check/recipes.ts) lists who believed itself leader when.
 */
function leaderLatchRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, meanUs, think, begin, done } = setUp(env);
  let rounds = 0;
  let latch: LeaderLatch | null = null;
  let elect: ReturnType<typeof history.invoke> | null = null;
  let term = 0;

  const invokeElect = () => {
    elect = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'elect', null);
    if (latch?.hasLeadership === true) curator.later(0, () => onLeadership(latch, true));
  };
  const resign = (then: (done: () => void) => void, after: () => void) => {
    const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'resign', null);
    then(() => {
      history.complete(cluster.nowUs, op, 'ok', null);
      after();
    });
  };

  const onLeadership = (from: LeaderLatch | null, leader: boolean) => {
    // Only the running latch speaks for this client (a closing one has been replaced by null).
    if (from !== latch || latch === null) return;
    if (leader) {
      if (elect === null || latch?.hasLeadership !== true) return;
      history.complete(cluster.nowUs, elect, 'ok', client.sessionId ?? null);
      elect = null;
      const myTerm = ++term;
      curator.later(workUs(env, meanUs), () => {
        if (myTerm !== term || latch === null || !latch.hasLeadership) return;
        term++;
        const closing = latch;
        latch = null;
        resign(
          (done) => closing.close(done),
          () => curator.later(think(), startRound),
        );
      });
      return;
    }
    // Leadership lost while still in the election (SUSPENDED, LOST, a reset): stop acting
    // as leader now, and wait to be elected again.
    if (elect !== null) return;
    term++;
    resign(
      (done) => curator.later(0, done),
      () => curator.later(0, invokeElect),
    );
  };

  const startRound = () => {
    if (roundsOver(env, rounds)) {
      done();
      return;
    }
    rounds++;
    invokeElect();
    const started: LeaderLatch = new LeaderLatch(curator, '/election', `c${client.index}`, (leader) => onLeadership(started, leader), env.flaws.latch);
    latch = started;
    started.start();
  };

  begin(startRound);
}

/**
 * Roles below ("client 0", "the first half") count the clients of the recipe: alone, all
 * of them; side by side with others (`clientRecipes`), those that run this recipe.
 *
 * `config`: configuration pushed through watches. Client 0 publishes new values of
 * /config (setData in Curator's retry loop: `publish`, ok with the new version); every
 * other client keeps a NodeCache on it (node-cache.ts) and records each value its cache
 * takes as an `observe` (value: the version). A reader finishes once the story is over,
 * the writer is done, and its cache holds at least the writer's last published version.
 */
function configRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, think, begin, done } = setUp(env);
  const path = '/config';
  const writerDone = 'config:writer-done';
  const published = 'config:published';
  if (env.local === 0) {
    let rounds = 0;
    const publish = () => {
      if (roundsOver(env, rounds)) {
        env.shared.set(writerDone, true);
        done();
        return;
      }
      rounds++;
      const data = `v${rounds}`;
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'publish', data);
      curator.call({ f: 'setData', value: { path, data, version: -1 }, req: { op: 'setData', path, data, version: -1 } }, (set) => {
        const version = set.ok && typeof set.output === 'number' ? set.output : null;
        if (version !== null) env.shared.set(published, Math.max(version, (env.shared.get(published) as number | undefined) ?? 0));
        // Retries exhausted: the write may or may not have happened.
        history.complete(cluster.nowUs, op, version !== null ? 'ok' : 'info', version ?? 'gave up');
        curator.later(think(), publish);
      });
    };
    begin(() =>
      curator.call({ f: 'create', value: { path, data: 'v0' }, req: { op: 'create', path, data: 'v0', mode: 'persistent' } }, () => curator.later(0, publish)),
    );
    return;
  }
  let finished = false;
  const maybeFinish = () => {
    if (finished || !env.stopped() || env.shared.get(writerDone) !== true) return;
    const last = (env.shared.get(published) as number | undefined) ?? 0;
    if ((cache.data?.version ?? -1) < last) return;
    finished = true;
    done();
  };
  const cache = new NodeCache(
    curator,
    path,
    (data) => {
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'observe', null);
      history.complete(cluster.nowUs, op, 'ok', data === null ? null : data.version);
      maybeFinish();
    },
    env.flaws.config,
  );
  begin(() => cache.start());
  // The story's end is not an event the cache sees: look now and then whether it may finish.
  const poll = () => {
    maybeFinish();
    if (!finished) curator.later(50_000, poll);
  };
  curator.later(env.spec.stopUs - cluster.nowUs, poll);
}

/**
 * `queue`: Curator's DistributedQueue on /queue (queue.ts). The first half of the clients
 * (at least one) produce: each `enqueue` puts a unique item (`c<client>-<n>`), retried
 * until answered, ok with the node's path. The others consume (a lone client produces, then
 * consumes): every item a consumer tries
 * to take is a `take` (invoked with the node's name), ok with the item when its claim won
 * and the node is gone, `fail` when it was not ours (another consumer's claim, or no
 * server answered: the item stays). A consumer finishes once the story is over, every producer is
 * done and a read after a sync shows the queue empty. The checker is checkQueue.
 */
function queueRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, think, begin, done } = setUp(env);
  const queuePath = '/queue';
  const producers = Math.max(1, Math.floor(env.spec.clients / 2));
  const producersDone = 'queue:producers-done';
  // A lone client is its queue's producer and then its consumer, as one Curator client can
  // put into a DistributedQueue it consumes; a producer alone would leave every item untaken.
  const lone = env.spec.clients === 1;
  const consume = (start: (fn: () => void) => void) => {
    const consumer = new QueueConsumer(
      curator,
      queuePath,
      `c${client.index}`,
      (node, next) => {
        const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'take', node);
        consumer.take(node, (outcome) => {
          if (outcome.kind === 'taken') history.complete(cluster.nowUs, op, 'ok', outcome.data);
          else history.complete(cluster.nowUs, op, 'fail', 'not ours');
          next();
        });
      },
      env.flaws.queue,
    );
    start(() => consumer.start());
    finishWhenEmpty(
      env,
      curator,
      queuePath,
      () => env.stopped() && env.shared.get(producersDone) === producers && consumer.idleAndEmpty,
      () => {
        consumer.close();
        done();
      },
      () => consumer.changed(),
    );
  };
  if (env.local < producers) {
    let rounds = 0;
    const put = () => {
      if (roundsOver(env, rounds)) {
        env.shared.set(producersDone, ((env.shared.get(producersDone) as number | undefined) ?? 0) + 1);
        if (lone) return consume((fn) => fn());
        done();
        return;
      }
      rounds++;
      const item = `c${client.index}-${rounds}`;
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'enqueue', item);
      putItem(curator, queuePath, item, (path) => {
        history.complete(cluster.nowUs, op, path !== null ? 'ok' : 'fail', path ?? 'refused');
        curator.later(think(), put);
      });
    };
    begin(put);
    return;
  }
  consume(begin);
}

/**
 * The end of a story is not an event a watcher sees: every 50 ms from the story's end, once
 * `ready()` says the others are done, list `path` after a sync (a lagging server cannot
 * show it empty too early); empty: `finish()`, otherwise `notEmpty()` (look again).
 */
function finishWhenEmpty(env: RecipeEnv, curator: CuratorClient, path: string, ready: () => boolean, finish: () => void, notEmpty: () => void): void {
  let finished = false;
  let looking = false;
  const poll = () => {
    if (finished) return;
    if (!looking && ready()) {
      looking = true;
      curator.call({ f: 'getChildren', value: { path }, req: { op: 'getChildren', path }, readMode: 'sync' }, (listed) => {
        looking = false;
        if (listed.ok && Array.isArray(listed.output) && listed.output.length === 0) {
          finished = true;
          finish();
        } else notEmpty();
      });
    }
    curator.later(50_000, poll);
  };
  curator.later(env.spec.stopUs - env.cluster.nowUs, poll);
}

/**
 * `membership`: group membership under /group (group.ts). Client 0 watches the group and
 * records each listing as a `view` (ok with the member names). Every other client is a
 * member `c<index>`: `join` is invoked when it starts (and again when it learns its
 * session expired) and ends ok once its ephemeral node exists for its current session;
 * `expired` records that it learned of its session's expiry (on reconnect, Curator's
 * LOST), with the last time it had heard from a server before that (its value); at the
 * story's end `leave` deletes its node. The watcher finishes once every member has left
 * and a listing after a sync is empty. The checker is checkMembership.
 */
function membershipRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, begin, done } = setUp(env);
  const groupPath = '/group';
  const membersLeft = 'membership:left';
  const members = env.spec.clients - 1;
  if (env.local === 0) {
    let last: readonly string[] = ['?'];
    const watcher = new GroupWatcher(curator, groupPath, (names) => {
      last = names;
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'view', null);
      history.complete(cluster.nowUs, op, 'ok', [...names]);
    });
    begin(() => watcher.start());
    finishWhenEmpty(
      env,
      curator,
      groupPath,
      () => env.stopped() && env.shared.get(membersLeft) === members && last.length === 0,
      () => {
        watcher.close();
        done();
      },
      () => watcher.changed(),
    );
    return;
  }
  let join: ReturnType<typeof history.invoke> | null = null;
  let silentSinceUs: number | null = null;
  let leaving = false;
  const member = new GroupMember(
    curator,
    groupPath,
    `c${client.index}`,
    (sessionId) => {
      if (join === null) return;
      history.complete(cluster.nowUs, join, 'ok', sessionId);
      join = null;
    },
    env.flaws.membership,
  );
  curator.onConnectionState((state) => {
    if (state === 'SUSPENDED' && silentSinceUs === null) silentSinceUs = client.lastHeardUs;
    else if (state === 'RECONNECTED' || state === 'CONNECTED') silentSinceUs = null;
    else if (state === 'LOST') {
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'expired', null);
      history.complete(cluster.nowUs, op, 'ok', silentSinceUs ?? client.lastHeardUs);
      silentSinceUs = null;
      if (join === null && !leaving) join = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'join', `c${client.index}`);
    }
  });
  begin(() => {
    join = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'join', `c${client.index}`);
    member.start();
  });
  // At the story's end the member leaves, once it is in the group (its join completed).
  const leave = () => {
    if (join !== null) return curator.later(50_000, leave);
    leaving = true;
    const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'leave', `c${client.index}`);
    member.close(() => {
      history.complete(cluster.nowUs, op, 'ok', null);
      env.shared.set(membersLeft, ((env.shared.get(membersLeft) as number | undefined) ?? 0) + 1);
      done();
    });
  };
  curator.later(env.spec.stopUs - cluster.nowUs, leave);
}

/**
 * `barrier`: Curator's DistributedBarrier (distributed-barrier.ts), round k at
 * /distributed-barrier/r<k>. Client 0 is the controller: `setBarrier` (ok once the node
 * exists), holds it for a while (exponential, the workload's mean), `removeBarrier` (ok
 * once it is gone), thinks, and sets the next round, until its rounds or the story are
 * over. Every other client waits: once the controller has set round k (the application
 * tells it, here through the harness), `waitOnBarrier` (invoked with k; ok with k when the
 * node is gone; `fail` when the wait timed out — it waits again at once), then works and
 * moves on to round k+1. A waiter's wait times out after the mean hold, so timeouts happen
 * in ordinary runs. The checker is checkBarrier.
 */
export const BARRIER_PATH = '/distributed-barrier';

function barrierRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, meanUs, think, begin, done } = setUp(env);
  const setKey = 'barrier:set';
  const finalKey = 'barrier:final';
  const listenersKey = 'barrier:listeners';
  const listeners = (env.shared.get(listenersKey) as (() => void)[] | undefined) ?? [];
  env.shared.set(listenersKey, listeners);
  const flaws = env.flaws.plainBarrier ?? {};
  const pathOf = (round: number) => `${BARRIER_PATH}/r${round}`;
  const tell = (key: string, value: number) => {
    env.shared.set(key, value);
    for (const listener of listeners) listener();
  };
  if (env.local === 0) {
    let rounds = 0;
    const next = () => {
      if (roundsOver(env, rounds)) {
        tell(finalKey, rounds);
        return done();
      }
      const round = ++rounds;
      const barrier = new DistributedBarrier(curator, pathOf(round), flaws);
      const set = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'setBarrier', round);
      barrier.setBarrier(() => {
        history.complete(cluster.nowUs, set, 'ok', round);
        tell(setKey, round);
        curator.later(workUs(env, meanUs), () => {
          const remove = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'removeBarrier', round);
          barrier.removeBarrier(() => {
            history.complete(cluster.nowUs, remove, 'ok', round);
            barrier.close();
            curator.later(think(), next);
          });
        });
      });
    };
    begin(next);
    return;
  }
  let passed = 0;
  let waiting = false;
  let finished = false;
  const waitRound = (round: number) => {
    const barrier = new DistributedBarrier(curator, pathOf(round), flaws);
    const attempt = () => {
      const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'waitOnBarrier', round);
      barrier.waitOnBarrier(Math.max(1, Math.round(meanUs)), (through) => {
        if (!through && flaws.ignoreTimeout !== true) {
          history.complete(cluster.nowUs, op, 'fail', 'timed out');
          return curator.later(0, attempt);
        }
        history.complete(cluster.nowUs, op, 'ok', round);
        barrier.close();
        passed = round;
        waiting = false;
        curator.later(think(), tryNext);
      });
    };
    attempt();
  };
  const tryNext = () => {
    if (waiting || finished) return;
    if (passed < ((env.shared.get(setKey) as number | undefined) ?? 0)) {
      waiting = true;
      return waitRound(passed + 1);
    }
    const final = env.shared.get(finalKey) as number | undefined;
    if (final !== undefined && passed >= final) {
      finished = true;
      done();
    }
  };
  // The controller tells the waiters when a round is set (in the waiter's own time: its process may be paused).
  listeners.push(() => curator.later(0, tryNext));
  begin(tryNext);
}

/**
 * `double-barrier`: every client is a member of a DistributedDoubleBarrier (barrier.ts)
 * with memberQty = the number of clients, for `opsPerClient` rounds (default 3; every
 * member does the same number, or the last round would wait for ever), round k at
 * /barrier/r<k>. A round: think, `enter` (invoked when it starts entering, ok when it
 * passes), work, `leave` (invoked when it starts leaving, ok when it passes). A member
 * that learns its session expired records `expired` (its node went with it). The checker
 * is checkDoubleBarrier.
 */
function doubleBarrierRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, meanUs, think, begin, done } = setUp(env);
  const rounds = env.spec.opsPerClient !== undefined && env.spec.opsPerClient > 0 ? env.spec.opsPerClient : 3;
  let round = 0;
  curator.onConnectionState((state) => {
    if (state !== 'LOST') return;
    const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'expired', round);
    history.complete(cluster.nowUs, op, 'ok', round);
  });
  const next = () => {
    if (round >= rounds) return done();
    round++;
    const barrier = new DistributedDoubleBarrier(curator, `/barrier/r${round}`, `c${client.index}`, env.spec.clients, env.flaws.barrier);
    const enter = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'enter', round);
    barrier.enter(() => {
      history.complete(cluster.nowUs, enter, 'ok', round);
      curator.later(env.rng.exponential(meanUs), () => {
        const leave = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'leave', round);
        barrier.leave(() => {
          history.complete(cluster.nowUs, leave, 'ok', round);
          barrier.close();
          curator.later(think(), next);
        });
      });
    });
  };
  begin(() => curator.later(think(), next));
}

/**
 * `leader-selector`: every client runs Curator's LeaderSelector with autoRequeue on
 * /leader-selector (leader-selector.ts). The history records, as for the latch, `elect`
 * (invoked when the selector queues, ok when takeLeadership starts, `fail` when the
 * acquire gave up) and `resign` (invoked the moment leadership ends — the term is over
 * and takeLeadership returns, or it was cancelled on SUSPENDED or LOST — ok once the
 * mutex is released). The checker lists who believed itself leader when.
 */
function leaderSelectorRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, meanUs, think, begin, done } = setUp(env);
  let terms = 0;
  let elect: ReturnType<typeof history.invoke> | null = null;
  const stopIfOver = () => {
    if (!roundsOver(env, terms)) return;
    selector.close();
    done();
  };
  const selector = new LeaderSelector(
    curator,
    '/leader-selector',
    `c${client.index}`,
    {
      queued: () => {
        elect = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'elect', null);
      },
      takeLeadership: (relinquish) => {
        terms++;
        if (elect !== null) history.complete(cluster.nowUs, elect, 'ok', client.sessionId ?? null);
        elect = null;
        curator.later(workUs(env, meanUs), relinquish);
      },
      leadershipEnded: (_cancelled, released) => {
        const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'resign', null);
        released(() => {
          history.complete(cluster.nowUs, op, 'ok', null);
          stopIfOver();
        });
      },
      acquireFailed: () => {
        if (elect !== null) history.complete(cluster.nowUs, elect, 'fail', 'gave up');
        elect = null;
        stopIfOver();
      },
    },
    think,
    env.flaws.selector,
  );
  begin(() => selector.start());
}

/**
 * `counter`: every client increments /counter (counter.ts). Each `increment` ends ok with
 * `{ value, unknown }` (the value it set, and how many of its writes had an unknown
 * outcome), `fail` when the retry policy gave up with no write of unknown outcome, `info`
 * otherwise (`{ unknown }`). When every client is done, client 0 reads the counter after a
 * sync and records it as `final`. The checker is checkCounter.
 */
function counterRecipe(env: RecipeEnv): void {
  const { cluster, client, history, curator, think, begin, done } = setUp(env);
  const counter = new SharedCounter(curator, '/counter', env.flaws.counter);
  const finishedKey = 'counter:finished';
  let rounds = 0;
  const readFinal = () => {
    // The others' count: none is 0, so a lone client reads at once (undefined would wait for ever).
    if (((env.shared.get(finishedKey) as number | undefined) ?? 0) !== env.spec.clients - 1) return curator.later(50_000, readFinal);
    const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'final', null);
    const read = () =>
      curator.call({ f: 'getData', value: { path: '/counter' }, req: { op: 'getData', path: '/counter' }, readMode: 'sync' }, (got) => {
        if (!got.ok) return curator.later(curator.policy.maxSleepUs, read);
        const data = typeof got.output === 'object' && got.output !== null ? Number((got.output as { data?: unknown }).data) : 0;
        history.complete(cluster.nowUs, op, 'ok', data);
        done();
      });
    read();
  };
  const next = () => {
    if (roundsOver(env, rounds)) {
      if (env.local === 0) return readFinal();
      env.shared.set(finishedKey, ((env.shared.get(finishedKey) as number | undefined) ?? 0) + 1);
      return done();
    }
    rounds++;
    const op = history.invoke(cluster.nowUs, client.index, client.index, client.server, 'increment', null);
    counter.increment((result) => {
      if (result.ok) history.complete(cluster.nowUs, op, 'ok', { value: result.value, unknown: result.unknownAttempts });
      else history.complete(cluster.nowUs, op, result.unknownAttempts === 0 ? 'fail' : 'info', { unknown: result.unknownAttempts });
      curator.later(think(), next);
    });
  };
  begin(() => curator.later(think(), next));
}

const RECIPE_RUNNERS: Readonly<Record<RecipeName, (env: RecipeEnv) => void>> = {
  lock: lockRecipe,
  'leader-latch': leaderLatchRecipe,
  'leader-selector': leaderSelectorRecipe,
  config: configRecipe,
  queue: queueRecipe,
  membership: membershipRecipe,
  barrier: barrierRecipe,
  'double-barrier': doubleBarrierRecipe,
  counter: counterRecipe,
};
