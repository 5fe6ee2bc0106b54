/**
 * What a run knows about the writes whose outcome a client never learned (`info`: it
 * timed out, lost its connection, or the run ended), and Jepsen cannot: whether each one
 * was committed, and when. The linearizability check of a run's history uses it twice:
 *
 * - a write whose data is in no committed txn never took effect: it is left out, as a
 *   failed write is;
 * - a write whose data was committed took effect by its first commit (the leader's, or
 *   the first learner's): it is checked as an operation that completed then, instead of
 *   one that may take effect at any time or never. (Its process makes no other call:
 *   as in Jepsen, a client goes on under a new process id after an unknown outcome.)
 *
 * Both make the history stricter, never looser: a linearization of the new history is
 * one of the old (an op's interval only narrows, and "never" is only taken away where
 * no commit holds its data), so a "linearizable" verdict stays sound. And they make a
 * search among many clients with unknown outcomes cheap: each such write was an operation
 * the search could place anywhere after its call or nowhere (hand-made mix "crowd", zab
 * 96: 80 clients, 56 unknown writes, undecided after 40 million steps; 1,042 with this).
 * The first rule needs only that a value no commit holds was written by nobody; the
 * second, that the commit is this operation's: it applies only to a value that one
 * operation of the whole history writes (the random workload's values are; a recipe
 * may write a value again, as the config publisher's retry does). A write without a data
 * value (delete) keeps its unknown outcome.
 *
 * A third rule settles many of those retries: a txn is the effect of one request (each
 * txn carries its session and cxid, and the leader proposes one per request:
 * ZooKeeper's PrepRequestProcessor), so when a value was committed in a single txn and an
 * operation writing that value was answered with success, that txn is the answered one's,
 * and every other write of the value never took effect: left out too. A queue's put
 * retried after a lost connection writes its item again (a protected create); the lost
 * create, kept as one that may take effect at any time, let the search shift every later
 * sequential name by one at each dead end, and a 30 s queue run (paxos, 5,000 operations,
 * ten such puts) stayed undecided after 5 million steps; without them, 7,000 steps.
 */
import type { HistoryEvent } from '../check/lin/history.js';
import type { TraceEvent } from '../core/trace.js';

/**
 * Each data value a committed txn wrote → when it was first committed, the path it wrote,
 * and the txn's zxid or log index (the `effectAt` of a completion moved to that commit).
 */
export type CommittedWrites = ReadonlyMap<string, CommittedWrite>;

/**
 * A value's first commit; `txns`, the distinct txns (zxids or log indices) that committed
 * it, and `unindexed`, set when a commit of it said no index (then their number is unknown).
 */
export interface CommittedWrite {
  readonly atUs: number;
  readonly path?: string;
  readonly index?: number;
  readonly txns?: readonly number[];
  readonly unindexed?: boolean;
}

/**
 * A `commit` event whose txn took effect on its server: not a replay from disk, not a
 * Paxos txn discarded as stale, not a Paxos write refused at apply as SESSIONMOVED. The
 * run and the lab count commits with this one rule.
 */
export function tookEffect(event: TraceEvent): boolean {
  return event.replay !== true && !discarded(event);
}

/** A `commit` event of a txn its server discarded: a stale Paxos txn, a Paxos write refused at apply as SESSIONMOVED. */
export function discarded(event: TraceEvent): boolean {
  return event.stale === true || event.moved === true;
}

/** A write that carries its data (the client's create, setData and cas). */
const DATA_WRITES = new Set(['create', 'setData', 'cas']);

/** Adds the data values a committed txn wrote (a multi's sub-ops too) to `out`, at `atUs`, keeping the first. */
export function addCommittedWrites(out: Map<string, CommittedWrite>, txn: unknown, atUs: number, index?: number): void {
  if (txn === null || typeof txn !== 'object') return;
  const t = txn as { data?: unknown; path?: unknown; ops?: unknown[]; txns?: unknown[] };
  if (typeof t.data === 'string') {
    const first = out.get(t.data) as { txns: number[]; unindexed?: boolean } | undefined;
    if (first === undefined) {
      const at: { atUs: number; path?: string; index?: number; txns: number[]; unindexed?: boolean } = { atUs, txns: index === undefined ? [] : [index] };
      if (typeof t.path === 'string') at.path = t.path;
      if (index !== undefined) at.index = index;
      else at.unindexed = true;
      out.set(t.data, at);
    } else if (index === undefined) first.unindexed = true;
    else if (!first.txns.includes(index)) first.txns.push(index);
  }
  for (const sub of t.ops ?? t.txns ?? []) addCommittedWrites(out, sub, atUs, index);
}

/**
 * The history with what the run knows applied (see the module comment). `events` is a
 * selected client history in event order (one pending operation per process at a time);
 * `all`, the whole history it was selected from (whose writes say which values more than
 * one operation wrote).
 */
export function withKnownWrites(events: readonly HistoryEvent[], committed: CommittedWrites, all: readonly HistoryEvent[] = events): HistoryEvent[] {
  const writers = new Map<string, number>();
  for (const event of all) {
    const data = event.type === 'invoke' ? dataOf(event) : undefined;
    if (data !== undefined) writers.set(data, (writers.get(data) ?? 0) + 1);
  }
  // The values a write answered with success wrote (third rule): its txn is committed.
  const answered = new Set<string>();
  for (const [call, i] of completions(events)) {
    const event = events[i];
    if (call === undefined || event.type !== 'ok' || !succeeded(event)) continue;
    const data = dataOf(events[call]);
    if (data !== undefined) answered.add(data);
  }
  // Positions left out (a never-committed write's invocation, and every completion moved
  // or dropped), the completions moved to their commit, and the unknown ones kept with
  // their commit's place as a hint.
  const skip = new Set<number>();
  const moved: { event: HistoryEvent; atUs: number; order: number }[] = [];
  const hinted = new Map<number, HistoryEvent>();
  for (const [call, i] of completions(events)) {
    const event = events[i];
    if (event.type !== 'info' || call === undefined) continue;
    const invoke = events[call];
    const data = dataOf(invoke);
    if (data === undefined) continue;
    const commit = committed.get(data);
    if (commit === undefined || (answered.has(data) && commit.unindexed !== true && commit.txns?.length === 1)) {
      // Never committed, or its value's only txn is another write's, answered: never took effect.
      skip.add(call).add(i);
      continue;
    }
    const completion = invoke.f === 'create' ? commit.path : null;
    // Kept unknown: a value another operation wrote too, a commit of unknown time. Its
    // commit's place is still a hint of where it took effect (witness.ts).
    if (writers.get(data) !== 1 || !Number.isFinite(commit.atUs) || commit.atUs < (invoke.timeUs ?? 0) || completion === undefined) {
      if (commit.index !== undefined) hinted.set(i, { ...event, effectAt: commit.index });
      continue;
    }
    skip.add(i);
    const done: HistoryEvent = { type: 'ok', process: event.process, f: invoke.f, value: completion, timeUs: commit.atUs };
    if (commit.index !== undefined) done.effectAt = commit.index;
    moved.push({ event: done, atUs: commit.atUs, order: i });
  }
  if (skip.size === 0 && hinted.size === 0) return events.slice();
  // A moved completion goes after every event of its instant (a later completion only
  // weakens real-time order), moved ones among themselves in event order.
  moved.sort((a, b) => a.atUs - b.atUs || a.order - b.order);
  const out: HistoryEvent[] = [];
  let m = 0;
  for (let i = 0; i < events.length; i++) {
    const atUs = events[i].timeUs ?? 0;
    while (m < moved.length && moved[m].atUs < atUs) out.push(moved[m++].event);
    if (!skip.has(i)) out.push(hinted.get(i) ?? events[i]);
  }
  while (m < moved.length) out.push(moved[m++].event);
  return out;
}

/** Each completion's position in `events` with its invocation's (undefined if none is pending). */
function* completions(events: readonly HistoryEvent[]): Generator<[number | undefined, number]> {
  const open = new Map<HistoryEvent['process'], number>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event.type === 'invoke') {
      open.set(event.process, i);
      continue;
    }
    const call = open.get(event.process);
    open.delete(event.process);
    yield [call, i];
  }
}

/** An answered create or setData that succeeded (a created path, a new version), not an error. */
function succeeded(done: HistoryEvent): boolean {
  return (done.f === 'create' && typeof done.value === 'string' && done.value.startsWith('/')) || (done.f === 'setData' && typeof done.value === 'number');
}

/** The data value a write invocation carries (create, setData, cas), if any. */
function dataOf(invoke: HistoryEvent): string | undefined {
  if (!DATA_WRITES.has(invoke.f)) return undefined;
  const data = (invoke.value as { data?: unknown } | null)?.data;
  return typeof data === 'string' ? data : undefined;
}
