/**
 * Swarm testing (FoundationDB's buggify, TigerBeetle's VOPR swarm): every seed draws a
 * whole scenario — a cluster at the edges of its settings, a network, disks, a
 * workload, and a fault script — from a *profile* that switches on a random subset of
 * the fault kinds. Runs differ in their mix, not only in their timing: some have one
 * kind at high intensity, some many kinds sparsely, a few none at all. A bug that needs
 * many crashes and no partition (partitions would keep the crashed servers out of the
 * quorum that loses the write) is found by the runs whose profile has crashes only;
 * a uniform mix of every kind rarely produces such a run (Groce et al., "Swarm
 * Testing", ISSTA 2012).
 *
 * A draw is a pure function of (protocol, seed): it uses its own stream
 * (`swarm/<protocol>/<seed>`), never the run's streams, and the run seed is the swarm
 * seed, so `zablab run` of a saved draw replays it exactly.
 *
 * The draw also names what the run must show. Safety always: invariants hold, and the
 * history is linearizable (the run leaves out the sync reads a deposed leader answered,
 * ZOOKEEPER-1675, and checks every read for what its mode promises). Liveness only
 * where the drawn settings allow it: after healing, every server must serve again
 * (`recovers`, with `converge`) only if the timeouts are wider than what the disks and
 * the network need and the quiet time is long enough for elections and syncs; every
 * operation must complete (`allOpsComplete`) only without disruptive faults; a leader
 * within a bound of every fault on the leader (`leaderWithinMs`) only when leader
 * crashes are the only faults. The profile records why a liveness expectation was left
 * out.
 */
import { Rng } from '../core/rng.js';
import { syncCrashFault } from './targets.js';
import { grantedSessionTimeoutUs } from './protocols.js';
import { latencyTailMs, timingProblem, zabLimitNeedsMs, type Timing } from './timing.js';
import type { OpKind } from '../client/workload.js';
import { RECIPES, type RecipeName } from '../client/recipes.js';
import type { ReadMode } from '../client/protocol.js';
import { DEFAULT_SESSION_OPTIONS } from '../client/session.js';
import type { Expectations, FaultAction, LatencyMs, ProtocolName, Scenario, WorkloadSpecMs } from './types.js';

/** The fault kinds a profile switches on or off. */
export type SwarmFaultKind =
  | 'crash' // one server (any, a follower, a numbered one) crashes and restarts later
  | 'leader-crash' // the leader crashes and restarts later
  | 'sync-crash' // the next server to start a synchronization crashes a moment later (target syncing)
  | 'majority-crash' // a majority (or a minority with the leader) crashes at once
  | 'cluster-restart' // every server crashes; all restart together
  | 'pause' // a GC pause of the leader or another server, around tickTime/2 and longer
  | 'partition' // Jepsen's shapes, an isolated server, random groups
  | 'cut' // one-way cuts
  | 'clog' // messages held on a link for a while
  | 'loss' // message loss: windows of a higher rate, and a base rate
  | 'duplicate'; // duplicated datagrams (Paxos only: connections never duplicate)

export const SWARM_FAULT_KINDS: readonly SwarmFaultKind[] = ['crash', 'leader-crash', 'sync-crash', 'majority-crash', 'cluster-restart', 'pause', 'partition', 'cut', 'clog', 'loss', 'duplicate'];

/** The kinds that mean something on a protocol's channel. */
export function swarmFaultKinds(protocol: ProtocolName): SwarmFaultKind[] {
  return SWARM_FAULT_KINDS.filter((kind) => kind !== 'duplicate' || protocol === 'paxos');
}

export interface SwarmProfile {
  /** The fault kinds this run draws from (empty: a run without faults). */
  kinds: SwarmFaultKind[];
  /** Mean time between two faults, and mean length of one. */
  faultIntervalMs: number;
  faultDurationMs: number;
  /** The settings this draw may take to an edge (the others keep plain values). */
  knobs: Knob[];
  /** The settings drawn at an edge, by name (slow-disk, narrow-zxid, tick-min, …). */
  extremes: string[];
  /** The liveness expectations named, and why the others were left out. */
  liveness: { recovers: boolean; allOpsComplete: boolean; leaderWithinMs?: number; omitted: string[] };
}

export interface SwarmDraw {
  scenario: Scenario;
  /** The run seed (the swarm seed itself). */
  seed: number;
  profile: SwarmProfile;
}

export interface SwarmOptions {
  /** Bug switches to turn on in the drawn scenario. */
  bugs?: string[];
}


const round = (ms: number, digits = 3) => Math.round(ms * 10 ** digits) / 10 ** digits;


/** The settings of one draw that the fault script and the expectations depend on. */
interface Draft {
  protocol: ProtocolName;
  rng: Rng;
  servers: number;
  voters: number;
  durationMs: number;
  timing: Timing;
  extremes: string[];
  /** The settings this draw takes to an edge (the others keep their plain values). */
  knobs: ReadonlySet<Knob>;
}

/**
 * The settings a draw may take to an edge. Like the fault kinds, each draw switches on
 * a random subset — none, a few, or nearly all — so that a bug needing one extreme
 * setting and otherwise plain ones is reached as well as one needing many at once.
 */
export type Knob =
  | 'latency' // constant, wide uniform, exponential or heavy-tailed latency
  | 'slow-link' // one server far from the others
  | 'disconnect-detect' // a broken connection noticed after 1 ms or 100 ms
  | 'disk' // disks from sub-millisecond to 60 ms per sync (plain: about 1 ms)
  | 'durable-immediately' // every write durable at once
  | 'observers' // ZAB: some servers observe
  | 'tick' // ZAB: tickTime 1 ms to 250 ms (plain: 20 ms)
  | 'limits' // ZAB: initLimit and syncLimit at the boundary of what the disks and network need, or tiny, or large
  | 'narrow-zxid' // ZAB: a 5-8 bit zxid counter
  | 'tiny-committed-log' // ZAB: a committedLog of 1-5 proposals
  | 'election-timeout' // Paxos: the election timeout at an edge (plain: 20 ms)
  | 'request-timeout' // clients give up after 50, 100 or 1000 ms
  | 'session-timeout' // sessions of 40, 100 or 2000 ms
  | 'hot-key' // one key every client fights over with compare-and-set
  | 'short-heal'; // a quiet time shorter than recovery may take

const ZAB_KNOBS: readonly Knob[] = ['latency', 'slow-link', 'disconnect-detect', 'disk', 'durable-immediately', 'observers', 'tick', 'limits', 'narrow-zxid', 'tiny-committed-log', 'request-timeout', 'session-timeout', 'hot-key', 'short-heal'];
const PAXOS_KNOBS: readonly Knob[] = ['latency', 'slow-link', 'disk', 'durable-immediately', 'election-timeout', 'request-timeout', 'session-timeout', 'hot-key', 'short-heal'];

/** The knobs a protocol has. */
export function swarmKnobs(protocol: ProtocolName): readonly Knob[] {
  return protocol === 'zab' ? ZAB_KNOBS : PAXOS_KNOBS;
}

/**
 * How much likelier than the others a knob is: the disk twice (ZooKeeper's crash-window
 * bugs live between "logged" and "durable"); a short quiet time and durable writes less
 * (the first only takes liveness expectations away, the second closes the crash windows).
 */
const KNOB_WEIGHT: Partial<Record<Knob, number>> = { disk: 2, 'short-heal': 0.25, 'durable-immediately': 0.5 };

/** The knobs of one draw: each on with probability `weirdness` × its weight, the weirdness drawn per seed. */
function drawKnobs(rng: Rng, protocol: ProtocolName): Set<Knob> {
  const weirdness = rng.pick([0, 0.1, 0.2, 0.35, 0.5, 0.75, 1]);
  return new Set(swarmKnobs(protocol).filter((knob) => rng.chance(Math.min(1, (KNOB_WEIGHT[knob] ?? 1) * weirdness))));
}

// ---------------------------------------------------------------- cluster and timing

/**
 * ZAB's settings. Plain: ZooKeeper's shape (tickTime 20 ms, initLimit 10, syncLimit 5),
 * all voters, 32-bit zxids, a committedLog of 500. At an edge: tickTime from 1 ms to
 * 250 ms; initLimit and syncLimit exactly at the boundary of what the disks and the
 * network need (the fewest ticks that cover an acknowledgement, or one fewer), or 1-3
 * ticks, or many; observers; a zxid counter of 5-8 bits; a committedLog of 1-5.
 */
function drawZabCluster(d: Draft, scenario: Scenario): void {
  const { rng, knobs } = d;
  const cluster: Scenario['cluster'] = { servers: d.servers };
  if (knobs.has('observers')) {
    const count = 1 + rng.int(Math.max(1, d.servers - 3));
    cluster.observers = rng.shuffled(Array.from({ length: d.servers }, (_, i) => i)).slice(0, count).sort((a, b) => a - b);
    d.voters = d.servers - count;
    d.extremes.push('observers');
  }
  const tickTimeMs = knobs.has('tick') ? rng.pick([1, 2, 5, 10, 50, 100, 250]) : 20;
  if (tickTimeMs <= 2) d.extremes.push('tick-min');
  if (tickTimeMs >= 100) d.extremes.push('tick-max');
  cluster.tickTimeMs = tickTimeMs;
  d.timing.tickMs = tickTimeMs;
  const [syncNeedMs, initNeedMs] = zabLimitNeedsMs(d.timing);
  const limit = (name: string, needMs: number, plain: number): number => {
    const needTicks = Math.max(1, Math.ceil(needMs / tickTimeMs));
    // Plain limits with a plain tick are ZooKeeper's; with an extreme tick, enough ticks.
    if (!knobs.has('limits')) return tickTimeMs === 20 ? plain : Math.max(plain, Math.ceil(needTicks * rng.pick([1, 1.5, 3])));
    const roll = rng.next();
    if (roll < 0.5) {
      // At the boundary: just the ticks an acknowledgement needs, or one fewer.
      d.extremes.push(`${name}-boundary`);
      return Math.max(1, needTicks - rng.int(2));
    }
    if (roll < 0.75) return rng.intBetween(1, 3);
    return Math.ceil(needTicks * rng.pick([3, 10]));
  };
  cluster.initLimit = limit('init-limit', initNeedMs, 10);
  cluster.syncLimit = limit('sync-limit', syncNeedMs, 5);
  if (cluster.initLimit === 1) d.extremes.push('init-limit-1');
  if (cluster.syncLimit === 1) d.extremes.push('sync-limit-1');
  if (knobs.has('narrow-zxid')) {
    cluster.counterBits = rng.intBetween(5, 8);
    d.extremes.push('narrow-zxid');
  }
  if (knobs.has('tiny-committed-log')) {
    cluster.committedLogSize = rng.intBetween(1, 5);
    d.extremes.push('tiny-committed-log');
  }
  d.timing.initLimit = cluster.initLimit;
  d.timing.syncLimit = cluster.syncLimit;
  scenario.cluster = cluster;
}

/** Paxos: the election timeout (the heartbeat is a quarter of it), default or at an edge. */
function drawPaxosCluster(d: Draft, scenario: Scenario): void {
  const { rng } = d;
  scenario.cluster = { servers: d.servers };
  if (!d.knobs.has('election-timeout')) return;
  const needMs = 2 * d.timing.hopMs + d.timing.diskMs;
  const electionTimeoutMs = rng.chance(0.6) ? Math.ceil(needMs * rng.pick([1, 1.5, 3])) : rng.pick([2, 5, 10, 50, 100, 200]);
  scenario.cluster.electionTimeoutMs = electionTimeoutMs;
  d.timing.electionTimeoutMs = electionTimeoutMs;
  d.extremes.push(electionTimeoutMs <= 5 ? 'election-timeout-min' : electionTimeoutMs >= 100 ? 'election-timeout-max' : 'election-timeout');
}

// ---------------------------------------------------------------- network and disks

function drawLatency(rng: Rng, d: Draft): LatencyMs {
  switch (rng.int(5)) {
    case 0:
      d.extremes.push('constant-latency');
      return { kind: 'constant', ms: rng.pick([0.05, 0.5, 1, 3]) };
    case 1:
    case 2: {
      d.extremes.push('wide-latency');
      const minMs = rng.pick([0.02, 0.1, 0.3, 0.5]);
      return { kind: 'uniform', minMs, maxMs: round(minMs + rng.pick([0.2, 1, 2, 5, 10])) };
    }
    case 3:
      d.extremes.push('exponential-latency');
      return { kind: 'exponential', minMs: rng.pick([0, 0.1, 0.3]), meanMs: rng.pick([0.5, 1, 2]) };
    default:
      d.extremes.push('heavy-tail-latency');
      return { kind: 'lognormal', minMs: rng.pick([0.05, 0.2]), medianMs: rng.pick([0.5, 1]), sigma: rng.pick([0.5, 1, 1.5]) };
  }
}

function drawNetwork(d: Draft, scenario: Scenario): void {
  const { rng, knobs } = d;
  // Plain: the harness's LAN (uniform 0.5-1.5 ms).
  const latency: LatencyMs = knobs.has('latency') ? drawLatency(rng, d) : { kind: 'uniform', minMs: 0.5, maxMs: 1.5 };
  const network: NonNullable<Scenario['network']> = { latency };
  let hopMs = latencyTailMs(latency);
  if (knobs.has('slow-link')) {
    // One far-away server: every link to it is slow.
    const far = rng.int(d.servers);
    const slow: LatencyMs = { kind: 'uniform', minMs: rng.pick([2, 5, 10]), maxMs: rng.pick([15, 30]) };
    network.links = Array.from({ length: d.servers }, (_, n) => n)
      .filter((n) => n !== far)
      .map((n) => ({ from: far, to: n, latency: slow, symmetric: true }));
    hopMs = Math.max(hopMs, latencyTailMs(slow));
    d.extremes.push('slow-link');
  }
  if (knobs.has('disconnect-detect')) {
    network.disconnectDetectMs = rng.pick([1, 5, 100]);
    d.extremes.push('disconnect-detect');
  }
  d.timing.hopMs = hopMs;
  scenario.network = network;
}

/** Disks from sub-millisecond to 60 ms per sync (plain: 0.2-1 ms), or writes durable at once. */
function drawStorage(d: Draft, scenario: Scenario): void {
  const { rng, knobs } = d;
  if (knobs.has('durable-immediately')) {
    scenario.storage = { durableImmediately: true };
    d.timing.diskMs = 0;
    d.extremes.push('durable-immediately');
    return;
  }
  // Slow disks most often: ZooKeeper's crash-window bugs live between "logged" and "durable".
  const band = knobs.has('disk') ? rng.pick(['fast', 'slow', 'very-slow', 'very-slow'] as const) : 'plain';
  const [minMs, maxMs] = band === 'fast' ? [0.02, rng.pick([0.1, 0.5])] : band === 'plain' ? [0.2, 1] : band === 'slow' ? [2, rng.pick([8, 12])] : [rng.pick([20, 30, 30]), rng.pick([40, 60, 60])];
  scenario.storage = { syncLatency: { kind: 'uniform', minMs, maxMs } };
  d.timing.diskMs = maxMs;
  if (band !== 'plain') d.extremes.push(`${band}-disk`);
}

// ---------------------------------------------------------------- workload

const WRITE_KINDS: OpKind[] = ['setData', 'cas', 'create', 'delete'];

/**
 * Clients that keep writing through the whole story (the faults land among writes in
 * flight), at most about 300 operations in all (120 when many may end unknown) so the
 * history stays checkable.
 */
function drawWorkload(d: Draft, scenario: Scenario, frequentFaults: boolean, faulty: boolean): void {
  const { rng } = d;
  if (rng.chance(0.05)) {
    d.extremes.push('no-clients');
    return;
  }
  const hotKey = d.knobs.has('hot-key');
  const mix: Partial<Record<OpKind, number>> = {};
  for (const kind of ['getData', 'setData', 'cas', 'create', 'delete', 'exists'] as OpKind[]) {
    const weight = rng.pick([0, 0, 1, 2, 4]);
    if (weight > 0) mix[kind] = weight;
  }
  // getChildren reads every key at once: the checker cannot split the history by key.
  const wholeTreeReads = rng.chance(0.2);
  if (wholeTreeReads) mix.getChildren = 1;
  if (!WRITE_KINDS.some((kind) => (mix[kind] ?? 0) > 0)) mix.setData = 2;
  if (hotKey) {
    // One key every client fights over with compare-and-set.
    mix.cas = 6;
    d.extremes.push('hot-key-cas');
  }
  const requestTimeoutMs = d.knobs.has('request-timeout') ? rng.pick([50, 100, 1000]) : undefined;
  const sessionTimeoutMs = d.knobs.has('session-timeout') ? rng.pick([40, 100, 2000]) : undefined;
  // Many operations of unknown outcome on one key are what the checker's search cannot
  // get through: frequent faults, short timeouts or sessions, or one hot key get fewer
  // clients; faults at all, at most six; and about one key per two clients.
  const infoHeavy = frequentFaults || (requestTimeoutMs ?? 300) <= 100 || effectiveSessionMs(scenario, d.protocol, sessionTimeoutMs) <= 100;
  const clients = rng.intBetween(1, infoHeavy ? 3 : wholeTreeReads || hotKey ? 4 : faulty ? 6 : 8);
  // A single key with many unknown outcomes took the checker minutes (swarm zab 1950);
  // a request timeout shorter than an operation takes leaves nearly all of them unknown
  // (zab 4922: 43 of 54), which no search gets through.
  const timeoutsLikely = requestTimeoutMs !== undefined && requestTimeoutMs < 2 * operationNeedMs(d.timing);
  const opsInAll = timeoutsLikely ? 40 : infoHeavy || hotKey ? 120 : 300;
  const ratePerSec = rng.pick([10, 50, 100, 200, 500, 1000]);
  const throughStory = Math.ceil((ratePerSec * d.durationMs) / 1000);
  const workload: WorkloadSpecMs = {
    clients,
    ratePerSec,
    keys: hotKey ? 1 : rng.intBetween(Math.ceil(clients / 2), Math.max(Math.ceil(clients / 2), 5)),
    mix,
    readMode: rng.pick<ReadMode>(['local', 'sync', 'quorum', 'quorum']),
    opsPerClient: Math.max(3, Math.min(throughStory, Math.floor(opsInAll / clients), rng.chance(0.3) ? rng.intBetween(3, 20) : Infinity)),
  };
  if (requestTimeoutMs !== undefined) {
    workload.requestTimeoutMs = requestTimeoutMs;
    d.extremes.push('request-timeout');
  }
  if (sessionTimeoutMs !== undefined) {
    workload.sessionTimeoutMs = sessionTimeoutMs;
    d.extremes.push('session-timeout');
  }
  // Reads that set watches, in about half the runs: the server's watch tables, the
  // notifications and SetWatches on reconnect are exercised. Drawn from a stream of its
  // own, so the rest of each seed's draw is what it was before watches existed.
  const watchRng = new Rng(`swarm/${d.protocol}/${scenario.seed}/watches`);
  if (watchRng.chance(0.5)) workload.watches = watchRng.pick([0.25, 0.5, 1]);
  scenario.workload = workload;
}

const EXCLUSIVE_ROLES: readonly RecipeName[] = ['lock', 'leader-latch', 'leader-selector'];

/** The recipes a workload runs (none: the random mix). */
function recipesOf(w: WorkloadSpecMs | undefined): readonly RecipeName[] {
  return w?.clientRecipes ?? (w?.recipe !== undefined ? [w.recipe] : []);
}

/**
 * The share of draws whose clients run Curator's recipes instead of the random mix, of
 * those where recipes can work (a request timeout that covers an operation): about one
 * run in ten in all.
 */
export const RECIPE_SHARE = 0.2;

/**
 * Recipe workloads in a share of the runs: Curator's recipes (one, or several side by
 * side) under the draw's faults and settings, the drawn request and session timeouts
 * kept. Drawn from a stream of its own after the plain workload, whose draw is kept, so
 * a seed's faults, settings and expectations draw exactly as before; only the seeds drawn
 * for a recipe run another workload. A recipe's clients: two to five alone; side by side,
 * two or three per recipe (a queue needs a producer and a consumer).
 */
function drawRecipeWorkload(d: Draft, scenario: Scenario): void {
  const w = scenario.workload;
  if (w === undefined) return;
  const rng = new Rng(`swarm/${d.protocol}/${scenario.seed}/recipes`);
  if (!rng.chance(RECIPE_SHARE)) return;
  // The exclusive roles (lock, latch, selector) promise one holder only where a client
  // hears of trouble before its session can expire: Curator gives the role up on
  // SUSPENDED, 2/3 of the timeout after the client last heard from its server, and the
  // server's clock started a hop earlier, so a hop must stay under about a quarter of the
  // granted timeout. Where it need not (a 20 ms session and wide latency: swarm zab 11040,
  // two selector leaders for 46 ms), ZooKeeper promises nothing and they are not drawn.
  // With a session of a few ticks, a follower's report of a client's pings reaches the
  // leader's session tracker late against the timeout (swarm paxos 12222: a 40 ms
  // session, two latch leaders for 31 ms): sessions of 400 ms or more, as for completion.
  // A request timeout shorter than an operation takes leaves nearly every call unknown
  // and retried for ever: no recipe there (paxos 5286: a queue's history past the
  // checker's search; zab 4268, 14679: recipes that never finish).
  const sessionMs = effectiveSessionMs(scenario, d.protocol, w.sessionTimeoutMs);
  if ((w.requestTimeoutMs ?? 300) < 2 * operationNeedMs(d.timing)) return;
  const rolesHold = sessionMs >= 400 && sessionMs >= 4 * d.timing.hopMs;
  const pool = rolesHold ? RECIPES : RECIPES.filter((name) => !EXCLUSIVE_ROLES.includes(name));
  const side = rng.chance(0.25) ? rng.shuffled(pool).slice(0, 2 + rng.int(3)) : undefined;
  const recipe: RecipeName = side === undefined ? rng.pick(pool) : side[0];
  const clients = side === undefined ? rng.intBetween(2, 5) : side.length * rng.intBetween(2, 3);
  // A double barrier is as fast as its slowest member, round after round, and every member
  // does every round: at most three, at 20 per second or more, so the quiet time sees them
  // through (paxos 18244: six rounds at 5 per second were still going when it ended).
  const slowest = side?.includes('double-barrier') === true || recipe === 'double-barrier';
  const ratePerSec = rng.pick([5, 10, 20, 50]);
  const rounds = rng.intBetween(2, 6);
  const recipes: WorkloadSpecMs = {
    clients,
    ratePerSec: slowest ? Math.max(20, ratePerSec) : ratePerSec,
    readMode: 'local',
    // Rounds: the lock's acquires, the barriers' rounds, the config's publishes, the queue's puts, …
    opsPerClient: slowest ? Math.min(3, rounds) : rounds,
    ...(side === undefined ? { recipe } : { clientRecipes: side }),
    ...(side === undefined && recipe === 'lock' && rng.chance(0.3) ? { lockResource: 'fenced' as const } : {}),
    ...(w.requestTimeoutMs !== undefined ? { requestTimeoutMs: w.requestTimeoutMs } : {}),
    ...(w.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: w.sessionTimeoutMs } : {}),
  };
  scenario.workload = recipes;
}

/**
 * Recipes whose promises a client's GC pause cannot break: none of them rests on a
 * client's belief (the lock's, the latch's, the selector's one holder does: a holder
 * paused past its session believes until it wakes, which ZooKeeper does not prevent) or
 * on timing (membership: a paused watcher sees a member gone late).
 */
const PAUSE_PROOF: readonly RecipeName[] = ['config', 'queue', 'barrier', 'double-barrier', 'counter'];

/**
 * Client pauses (`pause-client`: the client's process stops, as a JVM in a GC pause) in
 * half the recipe draws whose recipes are all PAUSE_PROOF: one to three, from a quarter
 * of the granted session to three sessions long (its session expires while it is
 * stopped). Drawn from a stream of their own, after the fault script.
 */
function drawClientPauses(d: Draft, scenario: Scenario, faults: FaultAction[]): void {
  const w = scenario.workload;
  const recipes = recipesOf(w);
  if (w === undefined || recipes.length === 0 || !recipes.every((name) => PAUSE_PROOF.includes(name))) return;
  const rng = new Rng(`swarm/${d.protocol}/${scenario.seed}/client-pauses`);
  if (!rng.chance(0.5)) return;
  const sessionMs = effectiveSessionMs(scenario, d.protocol, w.sessionTimeoutMs);
  const count = rng.intBetween(1, 3);
  for (let i = 0; i < count; i++) {
    faults.push({ atMs: round(rng.next() * d.durationMs), action: 'pause-client', client: rng.int(w.clients), durationMs: round(sessionMs * rng.pick([0.25, 0.75, 1.5, 3])) });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  d.extremes.push('client-pause');
}

/** The client's connect timeout (sim/client/session.ts, DEFAULT_SESSION_OPTIONS), in ms. */
const CONNECT_TIMEOUT_MS = DEFAULT_SESSION_OPTIONS.connectTimeoutUs / 1000;

/**
 * Connect strings (`workload.connectStrings`) in a quarter of the draws with clients that
 * can connect within the timeout (about one in eight in all):
 * each client knows only some servers, as a ZooKeeper connect string can name part of
 * the ensemble, so a fault on them leaves it no server to move to, and it comes back to
 * a server that restarted meanwhile (hand-made mixes found two lost-watch bugs there).
 * Drawn from a stream of its own after everything else, so a seed's other settings,
 * faults and expectations draw as before. With the membership recipe too: its checker
 * bounds the watcher's lateness from when the first server the watcher knows applied the
 * member's session end (h28 recipes2 zab 555: every server the watcher knew was cut off
 * or paused). Not where a session's
 * creation may outlast the client's connect timeout (100 ms): a client that knows only a
 * far or slow server gives up every attempt before its createSession commits and makes
 * another, for ever (swarm zab 5755: a follower 30 ms from the leader, 60 ms disks).
 */
function drawConnectStrings(d: Draft, scenario: Scenario): void {
  const w = scenario.workload;
  if (w === undefined) return;
  if (4 * d.timing.hopMs + 2 * d.timing.diskMs >= CONNECT_TIMEOUT_MS / 2) return;
  const rng = new Rng(`swarm/${d.protocol}/${scenario.seed}/connect-strings`);
  if (!rng.chance(0.25)) return;
  const all = Array.from({ length: d.servers }, (_, i) => i);
  w.connectStrings = Array.from({ length: rng.intBetween(1, 3) }, () => rng.shuffled(all).slice(0, rng.intBetween(1, d.servers)).sort((a, b) => a - b));
  d.extremes.push('connect-strings');
}

// ---------------------------------------------------------------- faults

/** A random target of one server. */
function oneServer(rng: Rng, servers: number, choices: string[] = ['any', 'follower', 'leader', 'node']): string {
  const choice = rng.pick(choices);
  return choice === 'node' ? `node:${rng.int(servers)}` : choice;
}

/** Random groups of servers: two to four, each non-empty. */
function randomGroups(rng: Rng, servers: number): string[][] {
  const count = Math.min(servers, 2 + rng.int(3));
  const order = rng.shuffled(Array.from({ length: servers }, (_, i) => i));
  const groups: string[][] = Array.from({ length: count }, () => []);
  order.forEach((node, i) => groups[i < count ? i : rng.int(count)].push(`node:${node}`));
  return groups;
}

/** A pause length: around tickTime/2 (ZAB's ping period), around syncLimit, or longer. */
function pauseMs(d: Draft, meanMs: number): number {
  const { rng, timing } = d;
  const halfTickMs = d.protocol === 'zab' ? timing.tickMs / 2 : timing.electionTimeoutMs / 4;
  switch (rng.int(4)) {
    case 0:
      return round(halfTickMs * (0.5 + rng.next()));
    case 1:
      return round(d.protocol === 'zab' ? timing.syncLimit * timing.tickMs * (0.8 + 0.4 * rng.next()) : timing.electionTimeoutMs * (0.8 + 0.4 * rng.next()));
    default:
      return round(Math.max(0.1, rng.exponential(meanMs)));
  }
}

/** The faults of one kind at one instant (a whole-cluster restart is two actions). */
function drawFault(d: Draft, kind: SwarmFaultKind, atMs: number, meanMs: number): FaultAction[] {
  const { rng, servers } = d;
  const durationMs = round(Math.max(0.1, rng.exponential(meanMs)));
  switch (kind) {
    case 'crash':
      return [{ atMs, action: 'crash', target: oneServer(rng, servers, ['any', 'follower', 'node']), durationMs }];
    case 'leader-crash':
      return [{ atMs, action: 'crash', target: 'leader', durationMs }];
    case 'sync-crash':
      return [syncCrashFault(rng, atMs, durationMs)];
    case 'majority-crash':
      return [{ atMs, action: 'crash', target: rng.pick(['majority', 'majority-without-leader', 'minority-with-leader']), durationMs }];
    case 'cluster-restart': {
      if (rng.chance(0.5)) return [{ atMs, action: 'crash', target: 'all', durationMs }];
      // Crash everyone, restart them all together later (restart-all).
      const restartAtMs = Math.min(d.durationMs, round(atMs + durationMs));
      return [
        { atMs, action: 'crash', target: 'all' },
        { atMs: restartAtMs, action: 'restart-all' },
      ];
    }
    case 'pause': {
      if (rng.chance(0.1)) return [{ atMs, action: 'pause', target: 'all' }, { atMs: Math.min(d.durationMs, round(atMs + pauseMs(d, meanMs))), action: 'resume-all' }];
      return [{ atMs, action: 'pause', target: oneServer(rng, servers), durationMs: pauseMs(d, meanMs) }];
    }
    case 'partition':
      switch (rng.int(4)) {
        case 0:
          return [{ atMs, action: 'partition', shape: rng.pick(['halves', 'random-node', 'bridge', 'majorities-ring'] as const), durationMs }];
        case 1:
          return [{ atMs, action: 'partition', isolate: oneServer(rng, servers), durationMs }];
        case 2:
          return [{ atMs, action: 'partition', groups: randomGroups(rng, servers), durationMs }];
        default:
          // A partition that lasts until something heals it (a later heal, or the end of the story).
          return [{ atMs, action: 'partition', isolate: rng.pick(['minority-with-leader', 'leader', 'majority-without-leader']) }];
      }
    case 'cut': {
      // One-way: a server cannot reach the others, or cannot hear them, or one link is cut.
      const server = oneServer(rng, servers);
      const shape = rng.int(3);
      if (shape === 0) return [{ atMs, action: 'cut', from: server, to: 'others', durationMs }];
      if (shape === 1) return [{ atMs, action: 'cut', from: 'all', to: server, durationMs }];
      return [{ atMs, action: 'cut', from: server, to: oneServer(rng, servers), durationMs }];
    }
    case 'clog':
      return [{ atMs, action: 'clog', from: oneServer(rng, servers), to: rng.chance(0.3) ? 'others' : oneServer(rng, servers), durationMs }];
    case 'loss':
      if (rng.chance(0.15)) return [{ atMs, action: 'heal' }];
      return [{ atMs, action: 'loss', rate: rng.pick([0.01, 0.05, 0.2, 0.5, 1]), durationMs }];
    case 'duplicate':
      return [{ atMs, action: 'duplicate', rate: rng.pick([0.05, 0.2, 0.5, 1]), durationMs }];
  }
}

/**
 * The profile: which kinds, how often, how long. A third of the profiles have one kind
 * only, often at high intensity; a few have none.
 */
function drawProfileKinds(rng: Rng, protocol: ProtocolName): SwarmFaultKind[] {
  const available = swarmFaultKinds(protocol);
  if (rng.chance(0.08)) return [];
  const roll = rng.next();
  const count = roll < 0.35 ? 1 : roll < 0.65 ? 2 : roll < 0.85 ? 3 : 3 + rng.int(available.length - 2);
  return rng.shuffled(available).slice(0, count).sort((a, b) => SWARM_FAULT_KINDS.indexOf(a) - SWARM_FAULT_KINDS.indexOf(b));
}

/** A fault script with the profile's kinds, sorted by time; at most 300 actions. */
function drawFaults(d: Draft, kinds: SwarmFaultKind[], intervalMs: number, durationMs: number, scenario: Scenario): FaultAction[] {
  const { rng } = d;
  const faults: FaultAction[] = [];
  if (kinds.includes('loss') && rng.chance(0.4)) {
    scenario.network = { ...scenario.network, lossRate: rng.pick([0.001, 0.01, 0.05]) };
    d.extremes.push('lossy-network');
  }
  if (kinds.includes('duplicate') && rng.chance(0.4)) {
    scenario.network = { ...scenario.network, dupRate: rng.pick([0.01, 0.1, 0.3]) };
    d.extremes.push('duplicating-network');
  }
  if (kinds.length === 0) return faults;
  // ZooKeeper's first election takes FastLeaderElection's 200 ms: most ZAB draws let it
  // finish, so the faults land among writes; the others fault the election itself.
  const firstElectionMs = d.protocol === 'zab' && rng.chance(0.7) ? 250 + 2 * d.timing.initLimit * d.timing.tickMs : 0;
  let t = firstElectionMs + rng.exponential(intervalMs);
  while (t < d.durationMs && faults.length < 300) {
    faults.push(...drawFault(d, rng.pick(kinds), round(t), durationMs));
    t += Math.max(0.1, rng.exponential(intervalMs));
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

// ---------------------------------------------------------------- expectations

/**
 * How long the cluster needs, at worst, to elect a leader and bring every server back
 * into service once the network is healed and every server restarted, in ms.
 */
function recoveryNeedMs(d: Draft): number {
  const { timing } = d;
  const stepMs = 2 * timing.hopMs + timing.diskMs;
  if (d.protocol === 'zab') {
    // A few election rounds (FastLeaderElection waits 200 ms for a better vote, and a
    // server that was alone through the story has backed its notifications off to about
    // the story's length), each followed by discovery and sync within initLimit ticks,
    // and a few dozen round trips and syncs of the log and snapshot.
    const backoffMs = Math.min(60_000, 2 * d.durationMs);
    return backoffMs + 3 * (2 * timing.tickMs + 200 + 2 * timing.initLimit * timing.tickMs) + 40 * stepMs + 500;
  }
  // Backed-off elections: up to 17 election timeouts each, a few of them.
  return 3 * 17 * timing.electionTimeoutMs + 40 * stepMs + 500;
}


/**
 * The session timeout the servers grant: the client's (400 ms by default) within the
 * bounds the protocol's servers are configured with (protocols.ts: 2 and 20 ticks, and a
 * Paxos server's floor of four heartbeats). The scenario's cluster is drawn first.
 */
function effectiveSessionMs(scenario: Scenario, protocol: ProtocolName, requestedMs: number | undefined): number {
  return grantedSessionTimeoutUs(scenario, protocol, Math.round((requestedMs ?? 400) * 1000)) / 1000;
}

/** What an operation takes in service: a few round trips and disk syncs (group commits queue up), in ms. */
function operationNeedMs(timing: Timing): number {
  return 8 * (2 * timing.hopMs + timing.diskMs);
}

/** Timeouts at least twice what the cluster needs: no election without a fault. */
function timingIsRoomy(d: Draft): boolean {
  const { timing } = d;
  if (d.protocol === 'zab') {
    const [syncNeedMs, initNeedMs] = zabLimitNeedsMs(timing);
    return timing.syncLimit * timing.tickMs >= 2 * syncNeedMs && timing.initLimit * timing.tickMs >= 2 * initNeedMs;
  }
  return timing.electionTimeoutMs >= 2 * (2 * timing.hopMs + timing.diskMs);
}

/** The end of the last clog (clogs outlive the story: the liveness phase does not lift them). */
function lastClogEndMs(faults: FaultAction[]): number {
  return faults.reduce((max, f) => (f.action === 'clog' ? Math.max(max, f.atMs + f.durationMs) : max), 0);
}

function drawExpectations(d: Draft, scenario: Scenario, kinds: SwarmFaultKind[], faults: FaultAction[], profile: SwarmProfile): Expectations {
  const { rng } = d;
  const expect: Expectations = { invariants: 'hold' };
  // ZAB promises primary order (ZAB11 §III); Multi-Paxos does not (PROTOCOLS.md §12), and
  // its stale-txn guard discards what would break it, which the linearizability check judges.
  if (d.protocol === 'zab') expect.primaryOrder = 'hold';
  const omitted = profile.liveness.omitted;
  const w = scenario.workload;
  if (w !== undefined) expect.linearizable = true;
  const recipes = recipesOf(w);
  const sessionMs = effectiveSessionMs(scenario, d.protocol, w?.sessionTimeoutMs);
  // Recipes never stop on their own where sessions expire at every hiccup (each expiry
  // deletes their ephemerals, which they make again) or a narrow zxid counter forces an
  // election every few dozen writes (each a hiccup): their traffic runs through the whole
  // quiet time, so the cluster is never caught settled. Measured: swarm zab 351, 497, 520,
  // 818, 977, 1000, 1306 (granted sessions of 20-100 ms, or 5-8 bit counters).
  const recipeChurn =
    recipes.length === 0
      ? null
      : sessionMs < 400
        ? `a granted session of ${sessionMs} ms`
        : scenario.cluster.counterBits !== undefined
          ? 'a narrow zxid counter'
          : null;
  // A session shorter than a touch's way to the leader (a hop to the client's server, up
  // to a tick until that server's next PING answer, a hop on to the leader's session
  // tracker) expires however often its client pings; the client makes a new session (a
  // txn) after every expiry, for ever, so the cluster never settles. Measured: swarm zab
  // 117819 (20 ms sessions granted at tickTime 1 ms, 10-30 ms links to the leader: 28
  // epochs in 23 s, never converged).
  const touchMs = 2 * d.timing.hopMs + d.timing.tickMs;
  // That endless write load matters where syncLimit does not cover an acknowledgement
  // behind a queued disk sync (a follower behind on its disk queue is dropped, and an
  // election follows, for ever).
  const loadedAckMs = zabLimitNeedsMs(d.timing)[0] + d.timing.diskMs;
  const endlessSessions = w !== undefined && d.protocol === 'zab' && sessionMs < touchMs;
  const sessionChurn =
    endlessSessions && d.timing.syncLimit * d.timing.tickMs < loadedAckMs
      ? `a granted session of ${sessionMs} ms, shorter than a touch's way to the leader (${round(touchMs)} ms), and a syncLimit under an acknowledgement behind a queued disk sync (${round(loadedAckMs)} ms)`
      : null;
  // The quiet time after the story: usually generous, sometimes too short on purpose.
  const needMs = recoveryNeedMs(d);
  const clogTailMs = Math.max(0, lastClogEndMs(faults) - d.durationMs);
  const enoughMs = Math.ceil(2 * (needMs + clogTailMs) + 1000);
  const tight = timingProblem(d.protocol, d.timing);
  // Without liveness to wait for, a short quiet time is enough (the final checks still run if the cluster settles).
  const healMs = tight !== null ? Math.min(enoughMs, 1500) : d.knobs.has('short-heal') ? Math.max(50, Math.floor(needMs / rng.pick([4, 20]))) : enoughMs;
  if (tight === null && healMs < enoughMs) d.extremes.push('short-heal');
  scenario.healMs = healMs;
  let live = true;
  if (tight !== null) {
    omitted.push(`recovers, converge: ${tight}`);
    live = false;
  } else if (healMs < enoughMs) {
    omitted.push(`recovers, converge: the quiet time (${healMs} ms) is shorter than an election and a sync may take (${enoughMs} ms)`);
    live = false;
  } else if (sessionChurn !== null) {
    omitted.push(`recovers, converge: with ${sessionChurn}, every session expires and is made again for ever, and the write load that keeps up drops followers`);
    live = false;
  } else if (recipeChurn !== null) {
    omitted.push(`recovers, converge: with ${recipeChurn} the recipes' writes (ephemerals made again after every expiry) never stop`);
    live = false;
  }
  // Even where syncLimit covers that load, the churn never stops writing: the cluster
  // recovers, but no instant of the quiet time need find every server on one tree when a
  // session txn commits more often than a disk sync takes (swarm zab 2948: 20 ms sessions,
  // a server 5-30 ms away, 30-60 ms disks; closeSessions until the very end).
  if (live && endlessSessions) omitted.push(`converge: with a granted session of ${sessionMs} ms, shorter than a touch's way to the leader (${round(touchMs)} ms), sessions expire and are made again for ever, so the quiet time may never find every server on one tree`);
  expect.converge = live && !endlessSessions;
  if (live) {
    expect.recovers = true;
    profile.liveness.recovers = true;
  }
  // Every operation ends ok or fail (never unknown) only when nothing disturbs it: no
  // fault but duplicates and short pauses and clogs (well within the request timeout and
  // the protocol's failure detection); no narrow zxid counter (it runs out and forces an
  // election), no short session (it expires), no lossy network.
  const requestTimeoutMs = w?.requestTimeoutMs ?? 300;
  const detectionMs = d.protocol === 'zab' ? d.timing.syncLimit * d.timing.tickMs : d.timing.electionTimeoutMs;
  const gentleCapMs = Math.min(requestTimeoutMs / 4, detectionMs / 2);
  const gentle = (f: FaultAction) => f.action === 'duplicate' || ((f.action === 'pause' || f.action === 'clog') && f.durationMs !== undefined && f.durationMs <= gentleCapMs);
  const calm = faults.every(gentle) && (scenario.network?.lossRate ?? 0) === 0 && scenario.cluster.counterBits === undefined && sessionMs >= 400;
  const opNeedMs = operationNeedMs(d.timing) + (faults.length > 0 ? gentleCapMs : 0);
  if (w !== undefined) {
    if (!live) omitted.push('allOpsComplete: the cluster need not recover');
    else if (!calm) omitted.push('allOpsComplete: faults, a narrow zxid counter or a short session can leave operations with an unknown outcome');
    else if (requestTimeoutMs < 2 * opNeedMs) omitted.push(`allOpsComplete: the request timeout (${requestTimeoutMs} ms) is shorter than an operation may take`);
    else if (!timingIsRoomy(d)) omitted.push('allOpsComplete: the timeouts are near what the network and the disks need (a needless election leaves operations unknown)');
    else {
      expect.allOpsComplete = true;
      profile.liveness.allOpsComplete = true;
      // Paxos: candidates can duel before a first leader is heard (no pre-vote refuses
      // them yet), and a request to the leader a duelling candidate deposes ends unknown
      // (swarm seed 42447). Operations start once the first election has settled.
      if (d.protocol === 'paxos') {
        const settleMs = round(4 * d.timing.electionTimeoutMs + 8 * d.timing.hopMs);
        if ((w.startMs ?? 0) < settleMs) w.startMs = settleMs;
      }
    }
  }
  // A recipe's safety promises always; its completion ones (every item taken, every waiter
  // through, every reader on the last configuration, a member seen gone in time) only
  // where the cluster recovers and the quiet time lets the clients finish.
  if (recipes.length > 0) {
    expect.recipe = live ? 'hold' : 'safe';
    if (!live) omitted.push(`recipe completion (${recipes.join(', ')}): the cluster need not recover, so only the recipe's safety promises are checked`);
  }
  // A leader soon after the start and after every leader crash: only when leader crashes are the only faults.
  if (live && kinds.every((kind) => kind === 'leader-crash' || kind === 'duplicate') && (scenario.network?.lossRate ?? 0) === 0) {
    const longestCrashMs = faults.reduce((max, f) => (f.action === 'crash' && f.durationMs !== undefined ? Math.max(max, f.durationMs) : max), 0);
    const leaderWithinMs = Math.ceil(longestCrashMs + needMs);
    expect.leaderWithinMs = leaderWithinMs;
    profile.liveness.leaderWithinMs = leaderWithinMs;
  } else {
    omitted.push('leaderWithinMs: faults other than leader crashes can keep a quorum apart');
  }
  return expect;
}

// ---------------------------------------------------------------- the draw

const DEFAULT_TIMING: Timing = { hopMs: 1.5, diskMs: 1, tickMs: 20, initLimit: 10, syncLimit: 5, electionTimeoutMs: 20 };

function describe(protocol: ProtocolName, seed: number, profile: SwarmProfile, scenario: Scenario): string {
  const kinds = profile.kinds.length === 0 ? 'no faults' : `${profile.kinds.join(', ')} (a fault every ~${profile.faultIntervalMs} ms, lasting ~${profile.faultDurationMs} ms)`;
  const lines = [
    `Swarm run ${seed} (${protocol}): ${scenario.cluster.servers} servers; faults: ${kinds}.`,
    `Settings at an edge: ${profile.extremes.length ? profile.extremes.join(', ') : 'none'}.`,
    `Liveness expected: ${[profile.liveness.recovers ? 'recovers' : '', profile.liveness.allOpsComplete ? 'allOpsComplete' : '', profile.liveness.leaderWithinMs !== undefined ? `leader within ${profile.liveness.leaderWithinMs} ms` : ''].filter(Boolean).join(', ') || 'none'}.`,
  ];
  if (profile.liveness.omitted.length) lines.push(`Not expected: ${profile.liveness.omitted.join('; ')}.`);
  return lines.join(' ');
}

/** Draws the scenario of one swarm seed: a pure function of (protocol, seed, options). */
export function drawSwarmScenario(protocol: ProtocolName, seed: number, options: SwarmOptions = {}): SwarmDraw {
  const rng = new Rng(`swarm/${protocol}/${seed}`);
  // Small clusters more often (cheaper, and a crash is a larger share of them); up to 9.
  const servers = rng.pick([3, 3, 3, 4, 5, 5, 6, 7, 8, 9]);
  const kinds = drawProfileKinds(rng, protocol);
  const d: Draft = { protocol, rng, servers, voters: servers, durationMs: 0, timing: { ...DEFAULT_TIMING }, extremes: [], knobs: drawKnobs(rng, protocol) };
  const scenario: Scenario = { title: '', explanation: '', protocols: [protocol], seed, cluster: { servers }, durationMs: 0 };
  // Network and disks first: the boundary settings of the cluster depend on them.
  drawNetwork(d, scenario);
  drawStorage(d, scenario);
  if (protocol === 'zab') drawZabCluster(d, scenario);
  else drawPaxosCluster(d, scenario);
  // Long enough for a first election with slow ticks; ZAB's elections wait 200 ms for a
  // better vote, so its stories are longer.
  d.durationMs = Math.max(rng.pick(protocol === 'zab' ? [1000, 1500, 2000, 4000] : [300, 600, 1000, 2000]), protocol === 'zab' ? 20 * d.timing.tickMs : 20 * d.timing.electionTimeoutMs);
  scenario.durationMs = d.durationMs;
  const intensity = rng.pick([2, 5, 10, 25, 50, 100, 250, 500]);
  const faultIntervalMs = round(rng.chance(0.3) && protocol === 'zab' ? Math.max(1, d.timing.tickMs * rng.pick([0.5, 2, 5])) : intensity);
  const faultDurationMs = rng.pick([1, 5, 20, 60, 150, 400, 1000]);
  // Operations that end unknown (timeouts) make a history hard to check: fewer clients then.
  drawWorkload(d, scenario, kinds.length > 0 && faultIntervalMs <= 25, kinds.length > 0);
  drawRecipeWorkload(d, scenario);
  const faults = drawFaults(d, kinds, faultIntervalMs, faultDurationMs, scenario);
  drawClientPauses(d, scenario, faults);
  drawConnectStrings(d, scenario);
  if (faults.length > 0) scenario.faults = faults;
  if (faults.filter((f) => f.action === 'crash' && (f.target === 'majority' || f.target === 'majority-without-leader')).length >= 2) d.extremes.push('repeated-majority-crash');
  if (faults.some((f) => f.action === 'crash' && f.target === 'all')) d.extremes.push('cluster-restart');
  const profile: SwarmProfile = { kinds, faultIntervalMs, faultDurationMs, knobs: swarmKnobs(protocol).filter((knob) => d.knobs.has(knob)), extremes: d.extremes, liveness: { recovers: false, allOpsComplete: false, omitted: [] } };
  scenario.expect = drawExpectations(d, scenario, kinds, faults, profile);
  if (options.bugs !== undefined && options.bugs.length > 0) scenario.bugs = [...options.bugs];
  const recipes = recipesOf(scenario.workload);
  scenario.title = `swarm ${protocol} ${seed}: ${kinds.length ? kinds.join('+') : 'no faults'}${recipes.length > 0 ? `; recipes: ${recipes.join(', ')}` : ''}`;
  scenario.explanation = describe(protocol, seed, profile, scenario);
  return { scenario, seed, profile };
}

// ---------------------------------------------------------------- the recipes-one-fault profile

/** The swarm's profiles: `mixed` (every fault kind, the draw above) and `recipes-one-fault`. */
export type SwarmProfileName = 'mixed' | 'recipes-one-fault';
export const SWARM_PROFILES: readonly SwarmProfileName[] = ['mixed', 'recipes-one-fault'];

/** The one fault of a `recipes-one-fault` draw. */
export type RecipeFaultKind =
  | 'leader-pause' // the leader stops for half a session to three sessions
  | 'follower-pause' // a follower (Paxos: a server that does not lead) stops as long
  | 'leader-crash' // the leader crashes and restarts later
  | 'crash-restart' // any server crashes and restarts later
  | 'leader-clog' // everything the leader sends is held for a while
  | 'leader-isolate' // the leader is cut off from every other server for a while
  | 'loss-window' // 5-8 % loss for a window (Paxos: with duplicates too)
  | 'client-pause'; // one client's process stops (a GC pause), from a quarter session to three

export const RECIPE_FAULT_KINDS: readonly RecipeFaultKind[] = ['leader-pause', 'follower-pause', 'leader-crash', 'crash-restart', 'leader-clog', 'leader-isolate', 'loss-window', 'client-pause'];

/** The mixed profile's kind a one-fault kind belongs to (for `--json` lines and reports). */
const MIXED_KIND_OF: Record<RecipeFaultKind, SwarmFaultKind | null> = {
  'leader-pause': 'pause',
  'follower-pause': 'pause',
  'leader-crash': 'leader-crash',
  'crash-restart': 'crash',
  'leader-clog': 'clog',
  'leader-isolate': 'partition',
  'loss-window': 'loss',
  'client-pause': null,
};

/** The one fault of a `recipes-one-fault` draw, `sessionMs` the granted session. */
function drawOneRecipeFault(rng: Rng, protocol: ProtocolName, kind: RecipeFaultKind, atMs: number, sessionMs: number, clients: number): FaultAction[] {
  const sessions = (choices: number[]) => round(sessionMs * rng.pick(choices));
  switch (kind) {
    case 'leader-pause':
      return [{ atMs, action: 'pause', target: 'leader', durationMs: sessions([0.5, 0.75, 1, 1.5, 2, 3]) }];
    case 'follower-pause':
      return [{ atMs, action: 'pause', target: 'follower', durationMs: sessions([0.5, 0.75, 1, 1.5, 2, 3]) }];
    case 'leader-crash':
      return [{ atMs, action: 'crash', target: 'leader', durationMs: rng.pick([20, 50, 100, 300]) }];
    case 'crash-restart':
      return [{ atMs, action: 'crash', target: rng.pick(['any', 'follower']), durationMs: rng.pick([20, 50, 100, 300]) }];
    case 'leader-clog':
      return [{ atMs, action: 'clog', from: 'leader', to: 'others', durationMs: sessions([0.5, 0.75, 1, 1.5, 2, 3]) }];
    case 'leader-isolate':
      return [{ atMs, action: 'partition', isolate: 'leader', durationMs: sessions([0.5, 1, 2, 5, 10]) }];
    case 'loss-window': {
      const durationMs = rng.pick([50, 100, 200, 400]);
      const loss: FaultAction = { atMs, action: 'loss', rate: rng.pick([0.05, 0.06, 0.07, 0.08]), durationMs };
      // Connections never duplicate (DESIGN.md, the network): duplicates on Paxos's datagrams only.
      return protocol === 'paxos' ? [loss, { atMs, action: 'duplicate', rate: rng.pick([0.05, 0.2, 0.5]), durationMs }] : [loss];
    }
    case 'client-pause':
      return [{ atMs, action: 'pause-client', client: rng.int(clients), durationMs: sessions([0.25, 0.5, 0.75, 1, 1.5, 2, 3]) }];
  }
}

/**
 * The `recipes-one-fault` profile: Curator's recipes side by side under short sessions
 * and exactly one fault, every other setting plain. Hand-made runs of this shape found
 * bugs the mixed profile does not reach (a lock waiting on its own twin node, a latch on
 * its own orphan, a counter and a queue with one client each): the mixed profile gives
 * exclusive roles sessions of 400 ms or more and every recipe two clients or more, and
 * its many faults bury a one-fault story. Here: 3 or 5 servers on the harness's LAN;
 * ZAB at tickTime 10 ms; sessions of 20-40 ms; three recipes to all nine, one to three
 * clients each (one each in a third of the draws); one fault among leader pause, follower
 * pause, leader crash, crash and restart, clogged leader, isolated leader, a 5-8 % loss
 * window (with duplicates on Paxos) and client pause, once the first election is over and
 * the recipes are at work. Pauses last half a session to three sessions.
 *
 * What it must show: safety (invariants, linearizability, ZAB's primary order, the
 * recipes' promises, where ZooKeeper makes them: the checkers name the hazards it does
 * not prevent), and, after the quiet time, every server serving one tree and every
 * recipe finished. Not that every operation completes: a fault can leave one unknown.
 *
 * Drawn from its own stream (`swarm-recipes/<protocol>/<seed>`): the mixed profile's
 * draws are untouched.
 */
export function drawRecipeOneFaultScenario(protocol: ProtocolName, seed: number, options: SwarmOptions = {}): SwarmDraw {
  const rng = new Rng(`swarm-recipes/${protocol}/${seed}`);
  const servers = rng.pick([3, 3, 5]);
  const extremes: string[] = [];
  const cluster: Scenario['cluster'] = protocol === 'zab' ? { servers, tickTimeMs: 10 } : { servers };
  const scenario: Scenario = {
    title: '',
    explanation: '',
    protocols: [protocol],
    seed,
    cluster,
    durationMs: 0,
    network: { latency: { kind: 'uniform', minMs: 0.5, maxMs: 1.5 } },
    storage: { syncLatency: { kind: 'uniform', minMs: 0.2, maxMs: 1 } },
  };
  const sessionTimeoutMs = rng.pick([20, 30, 40]);
  const sessionMs = effectiveSessionMs(scenario, protocol, sessionTimeoutMs);
  // Three recipes to all nine side by side; one client each in a third of the draws.
  const recipes = rng.shuffled(RECIPES).slice(0, rng.intBetween(3, RECIPES.length));
  const perRecipe = rng.chance(1 / 3) ? 1 : rng.intBetween(2, 3);
  if (perRecipe === 1) extremes.push('one-client-per-recipe');
  const slowest = recipes.includes('double-barrier');
  const rounds = rng.intBetween(2, 4);
  const workload: WorkloadSpecMs = {
    clients: recipes.length * perRecipe,
    // A double barrier is as fast as its slowest member, round after round (see drawRecipeWorkload).
    ratePerSec: Math.max(slowest ? 20 : 0, rng.pick([10, 20, 50])),
    readMode: 'local',
    opsPerClient: slowest ? Math.min(3, rounds) : rounds,
    clientRecipes: [...recipes],
    sessionTimeoutMs,
  };
  scenario.workload = workload;
  // Long enough for ZAB's first election (FastLeaderElection waits 200 ms) and the recipes' rounds.
  const durationMs = rng.pick([1000, 1500, 2000]);
  scenario.durationMs = durationMs;
  const kind = rng.pick(RECIPE_FAULT_KINDS);
  // Once the first election is over and the recipes are at work, and before the story ends.
  const firstElectionMs = protocol === 'zab' ? 450 : 150;
  const atMs = round(firstElectionMs + rng.next() * (0.75 * durationMs - firstElectionMs));
  const faults = drawOneRecipeFault(rng, protocol, kind, atMs, sessionMs, workload.clients);
  scenario.faults = faults;
  if (kind === 'client-pause') extremes.push('client-pause');
  extremes.push(`session-${sessionMs}ms`);
  scenario.healMs = 4000;
  const expect: Expectations = { invariants: 'hold', linearizable: true, recovers: true, converge: true, recipe: 'hold' };
  if (protocol === 'zab') expect.primaryOrder = 'hold';
  scenario.expect = expect;
  if (options.bugs !== undefined && options.bugs.length > 0) scenario.bugs = [...options.bugs];
  const mixedKind = MIXED_KIND_OF[kind];
  const profile: SwarmProfile = {
    kinds: mixedKind === null ? [] : [mixedKind],
    faultIntervalMs: durationMs,
    faultDurationMs: 'durationMs' in faults[0] && faults[0].durationMs !== undefined ? faults[0].durationMs : 0,
    knobs: ['session-timeout'],
    extremes,
    liveness: { recovers: true, allOpsComplete: false, omitted: ['allOpsComplete: the fault can leave an operation unknown', 'leaderWithinMs: not asked of one-fault recipe runs'] },
  };
  const fault = faults[0];
  scenario.title = `swarm recipes-one-fault ${protocol} ${seed}: ${kind}; recipes: ${recipes.join(', ')}`;
  scenario.explanation =
    `Swarm run ${seed} (${protocol}, profile recipes-one-fault): ${servers} servers${protocol === 'zab' ? ', tickTime 10 ms' : ''}, sessions of ${sessionMs} ms granted; ` +
    `${recipes.length} recipe(s) side by side, ${perRecipe} client(s) each: ${recipes.join(', ')}. ` +
    `One fault: ${kind} at ${fault.atMs} ms${'durationMs' in fault && fault.durationMs !== undefined ? ` for ${fault.durationMs} ms` : ''}. ` +
    `Expected: safety, every server back on one tree, every recipe finished; not that every operation completes.`;
  return { scenario, seed, profile };
}

/** The draw of one seed under a profile. */
export function drawSwarmProfileScenario(profile: SwarmProfileName, protocol: ProtocolName, seed: number, options: SwarmOptions = {}): SwarmDraw {
  return profile === 'mixed' ? drawSwarmScenario(protocol, seed, options) : drawRecipeOneFaultScenario(protocol, seed, options);
}
