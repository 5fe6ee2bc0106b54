/**
 * Partial-order reduction for the explorer: sleep sets (Godefroid, "Partial-Order
 * Methods for the Verification of Concurrent Systems", 1996, ch. 5 and 6.2 with state
 * caching).
 *
 * Most choices commute: delivering a message to server 0 and completing a disk sync on
 * server 2 lead to the same state in either order. The fingerprints (fingerprint.ts)
 * already merge the two orders into one state; what is left is the work: without a
 * reduction both orders are computed (restore, step, fingerprint) and one of them is
 * thrown away as a duplicate. A sleep set is the set of choices that need not be taken
 * from a state because a sibling order already covers them: when choice t is taken
 * from s after siblings u₁…uₖ, every uᵢ independent of t goes to sleep in t(s) (its
 * result there is uᵢ(t(s)) = t(uᵢ(s)), reached from uᵢ(s)), and stays asleep along
 * choices independent of it. Sleep sets prune choices, never states: every state the
 * full search reaches is still reached, at the same depth (a commuted path has the
 * same length), so the depth bound, the fingerprints at the bound and the "sometimes"
 * depths are unchanged. With state caching a state may be met again with a sleep set
 * that does not contain the one it was expanded with; the choices asleep then but
 * awake now are taken from it again (Godefroid's fix), and its stored set becomes the
 * intersection.
 *
 * Independence (`independent`) is judged in the state where both choices are enabled,
 * and is deliberately narrow, because the nodes are opaque code:
 * - only events that happen on one server and read nothing but that server's state and
 *   the clock: a message delivered, a disk sync completing, a client request arriving,
 *   and a crash or restart of a server (see serverLocalIndependence for what a crash
 *   does to its connections);
 * - on two different servers, so their handlers touch disjoint state; their sends go
 *   to different FIFO links (a link's head is not changed by appending to it);
 * - the clock does not move between them (timers and the environment's actions move
 *   it, and every handler may read it: they are dependent on everything);
 * - the network rewrites nothing shared between the two: no cut (a send across a cut
 *   breaks a connection, disabling the peer's deliveries), no loss or duplication rate
 *   (they draw per send), and the connection between the two servers is not broken (a
 *   send over a broken one may redial it, which a disconnect notice on the peer races).
 * Other faults (isolate, heal, lose, duplicate), two crashes or restarts, timers, the environment,
 * disconnect notices and replies reaching clients are dependent on everything.
 * The random streams: sends draw latencies from the network stream in either order;
 * under the scheduler a latency only orders nothing (a message is delivered when
 * chosen), and the fingerprint counts draws, not values.
 *
 * Whether this is sound for our nodes is tested, not assumed
 * (test/explore/reduction.test.ts): on bounded spaces, with and without bug switches,
 * the reduced search reaches the same fingerprints and the same invariant verdicts as
 * the full one, and an unsound relation (a crash independent of other servers' events)
 * is caught by the same comparison.
 */
import type { Message } from '../core/node.js';
import type { Cluster } from '../net/cluster.js';
import type { Choice } from './scheduler.js';

export type Reduction = 'none' | 'sleep';
export const REDUCTIONS: readonly Reduction[] = ['none', 'sleep'];

/**
 * A choice as a sleep set holds it: a key that names the same transition in every
 * state where it is enabled (whatever path led there: message ids and event sequence
 * numbers differ between paths, so they are not used), and the server it happens on.
 */
export interface Transition {
  readonly key: string;
  readonly node: number;
  /** A delivery's sender, a disconnect notice's peer; -1 otherwise. */
  readonly from: number;
  /** Taking it moves the clock (a timer, or an event due later than now): then it depends on every handler, which may read the clock. */
  readonly movesClock: boolean;
  /** The step kind ('deliver', 'sync', 'client-request', or another for the tests' relations). */
  readonly kind: string;
}

/** Whether two enabled transitions commute in the world's current state. */
export type Independence = (a: Transition, b: Transition, cluster: Cluster<Message>) => boolean;

/**
 * The transition a choice is, for sleep sets: one server's event; null for choices of
 * no server (the environment, heal, isolate, losing or duplicating a message, a reply
 * reaching a client), which are never put to sleep. `contentHash` hashes a message's
 * contents.
 */
export function transitionOf(choice: Choice, connection: boolean, nowUs: number, linkPosition: number, contentHash: (message: object) => number): Transition | null {
  const step = choice.step;
  const movesClock = choice.event !== null && choice.event.dueUs > nowUs;
  const at = (key: string, node: number, from = -1): Transition => ({ key, node, from, movesClock, kind: step.e });
  switch (step.e) {
    case 'deliver':
      // On a connection only a link's head is deliverable, so the link names it. A datagram (or a message to oneself) is
      // named by its place among the link's messages in flight and its contents: the fingerprint tells two equal messages
      // apart by their places, so delivering one or the other are different transitions. Its place holds while it sleeps:
      // only a delivery to its receiver (dependent on it) takes a message off its link.
      if (connection && step.from !== step.to) return at(`d ${step.from} ${step.to}`, step.to, step.from);
      return at(`d ${step.from} ${step.to} @${linkPosition} ${contentHash(choice.event!.ref as object)}`, step.to, step.from);
    case 'sync':
      return at(`s ${step.node}`, step.node);
    case 'notice':
      return at(`n ${step.node} ${step.peer}`, step.node, step.peer);
    case 'client-request':
      return at(`r ${step.client} ${step.server}`, step.server);
    case 'crash':
    case 'restart':
      return at(`${step.e} ${step.node}`, step.node);
    // Never independent under the explorer's relation; named so that a test's relation can try.
    case 'client-reply':
      // Not its server's alone: the operation it completes is recorded in the history of the server it was invoked at (the ghost's chain).
      return at(`a ${step.client} ${step.server}`, clientNode(step.client));
    case 'timer':
      return at(`t ${step.node} ${step.name}`, step.node);
    default:
      return null;
  }
}

/** The process number of client `client` in a Transition (servers are 0…n-1). */
function clientNode(client: number): number {
  return -2 - client;
}

/** The kinds of transition that read and write only their own server's state (and not the clock). */
const SERVER_LOCAL = new Set(['deliver', 'sync', 'notice', 'client-request']);
/** A crash or restart: one server's, but a crash also breaks that server's connections. */
const SERVER_FAULT = new Set(['crash', 'restart']);

/** The network rewrites nothing one server's send could make another server see (see the file comment). */
export function networkQuiet(cluster: Cluster<Message>): boolean {
  const net = cluster.net;
  return net.cutCount === 0 && net.lossRate === 0 && net.dupRate === 0;
}

/**
 * The relation the explorer uses (see the file comment): two events of different
 * servers, each a delivery, a sync, a client request, a crash or a restart (not two
 * faults), while the network is quiet and their servers' connection is not broken. A
 * crash breaks the crashed server's connections, which disables a delivery from it on
 * a connection (a datagram in flight still arrives); what else a crash does to a
 * peer's event commutes: a message the peer sends to the crashed server is lost
 * either way (dropped at the send on the broken connection, or stranded on the
 * connection the crash breaks), and the peer's disconnect notice falls due at the same
 * instant (the clock does not move between them).
 */
export const serverLocalIndependence: Independence = (a, b, cluster) => {
  if (a.node === b.node) return false;
  const aFault = SERVER_FAULT.has(a.kind);
  const bFault = SERVER_FAULT.has(b.kind);
  if ((aFault && bFault) || (!aFault && !SERVER_LOCAL.has(a.kind)) || (!bFault && !SERVER_LOCAL.has(b.kind))) return false;
  if (a.movesClock || b.movesClock || !networkQuiet(cluster)) return false;
  const net = cluster.net;
  if (net.channel !== 'connection') return true;
  if (net.connBroken[net.pairIndex(a.node, b.node)] === 1) return false;
  if (a.kind === 'crash' && b.from === a.node) return false;
  if (b.kind === 'crash' && a.from === b.node) return false;
  return true;
};

/** A sleep set: transitions by key. */
export type SleepSet = ReadonlyMap<string, Transition>;
export const EMPTY_SLEEP: SleepSet = new Map();

/** The sleep set of t(s): the members of `asleep` (s's set and t's earlier siblings) independent of t. */
export function sleepAfter(asleep: Iterable<Transition>, taken: Transition | null, cluster: Cluster<Message>, independent: Independence): SleepSet {
  if (taken === null) return EMPTY_SLEEP;
  let out: Map<string, Transition> | null = null;
  for (const u of asleep) {
    if (u.key === taken.key || !independent(u, taken, cluster)) continue;
    out ??= new Map();
    out.set(u.key, u);
  }
  return out ?? EMPTY_SLEEP;
}

/**
 * A state met again with sleep set `now`, expanded (or queued) with `before`: the
 * transitions to take from it again (asleep before, awake now) and its new stored set
 * (the intersection). Null when `before` ⊆ `now` (nothing new can be reached).
 */
export function wake(before: SleepSet, now: SleepSet): { again: SleepSet; stored: SleepSet } | null {
  let again: Map<string, Transition> | null = null;
  for (const [key, t] of before) {
    if (now.has(key)) continue;
    again ??= new Map();
    again.set(key, t);
  }
  if (again === null) return null;
  const stored = new Map<string, Transition>();
  for (const [key, t] of before) if (now.has(key)) stored.set(key, t);
  return { again, stored };
}
