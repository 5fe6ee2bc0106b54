/**
 * Client histories, Jepsen-style, and the pairing step that turns a flat event list
 * into operations with real-time intervals.
 *
 * ## Semantics
 *
 * A history is a list of events in real-time order. A process (a client thread) invokes
 * an operation (`invoke`) and later completes it with one of:
 *
 * - `ok`   — it took effect, exactly once, at some instant between its invocation and
 *            its completion; the completion's `value` is what it returned;
 * - `fail` — it definitely did not take effect: it is dropped before checking;
 * - `info` — its outcome is unknown: it may take effect at any instant after its
 *            invocation (even after the info event itself), or never. A process that
 *            got `info` never invokes again (Jepsen gives the thread a new process id).
 *
 * Intervals are closed: operation A precedes B in real time iff A's completion comes
 * before B's invocation in the list. When events carry `timeUs`, the list must be
 * non-decreasing in time, and at the same instant an invocation sorts before a
 * completion (so two operations that touch at one instant overlap) — except a process's
 * own: its completion stays before its next invocation at the same instant.
 *
 * ```
 *   p0  [--- write 1 ---]
 *   p1          [--- read → 1 ---]        overlaps: either order is allowed
 *   p2                               [-- read → 0 --]   after write 1 completed: stale
 * ```
 *
 * Processes named `"nemesis"` are not clients; their events are ignored.
 *
 * Malformed histories throw {@link HistoryError} with the source line when known:
 * a completion without a pending invocation, a process invoking while its previous
 * operation is pending or after an `info`, a completion whose `f` differs from its
 * invocation's, an unknown event type, an invocation that never completes (record an
 * `info` completion for operations whose outcome is unknown), or time going backwards.
 */
import { showValue } from './values.js';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export type ProcessId = number | string;

/** One history event, as the simulator's clients (and Jepsen) record them. */
export interface HistoryEvent {
  type: OpType;
  process: ProcessId;
  /** The operation's function, e.g. "read", "write", "cas", "acquire", "create". */
  f: string;
  /** Invocation: the argument (nil/null for a read). Completion: the result. */
  value: unknown;
  /** Virtual time of the event, in microseconds. */
  timeUs?: number;
  /** Position in the source history (informational; list order is authoritative). */
  index?: number;
  /**
   * Completion, optional: where the operation took effect in an order the system itself
   * knows (the simulator's clients record the zxid or log index their answer carried;
   * on an `info` completion, where the run saw the write committed). A hint only: the
   * checker first tries the order these give as a witness and verifies it; a wrong or
   * partial hint costs one linear pass, never a verdict.
   */
  effectAt?: number;
}

/** Malformed input: a message, and the 1-based source line when known. */
export class HistoryError extends Error {
  readonly line?: number;
  constructor(message: string, line?: number) {
    super(message);
    this.name = 'HistoryError';
    if (line !== undefined) this.line = line;
  }
}

/**
 * An operation: an invocation paired with its `ok` or `info` completion (`fail`ed ones
 * are dropped). `callIndex` / `returnIndex` are positions in the normalized real-time
 * event order (the input order, nemesis events removed, invocations moved before
 * completions that share their instant). For `info`, `returnIndex` is the position of
 * the info event, but the operation may take effect after it.
 */
export interface Operation {
  /** Position in invocation order among the checked operations, from 0. */
  readonly id: number;
  readonly process: ProcessId;
  readonly f: string;
  readonly invokeValue: unknown;
  /** The result (ok), or undefined (info). */
  readonly completeValue: unknown;
  readonly type: 'ok' | 'info';
  readonly callIndex: number;
  readonly returnIndex: number;
  readonly invokeTimeUs?: number;
  readonly completeTimeUs?: number;
  /** The completion's `effectAt` hint, when it has one. */
  readonly effectAt?: number;
  /** Source line of the invocation, when the history came from a file. */
  readonly line?: number;
}

/**
 * The value an operation carries, following Knossos: an `ok` operation's invocation
 * value is filled in from its completion (a read's result, a write's value); an `info`
 * operation keeps its invocation value.
 */
export function effectiveValue(op: Operation): unknown {
  if (op.type === 'ok' && op.completeValue !== undefined && op.completeValue !== null) return op.completeValue;
  return op.invokeValue ?? null;
}

export interface PairOptions {
  /** Source line of each event (same length as the events), for error messages. */
  readonly lines?: readonly number[];
  /** Checks one operation's shape for a model; returns an error message or undefined. */
  readonly validate?: (op: Operation) => string | undefined;
}

export interface PairedHistory {
  /** Operations sorted by invocation (`id` = position). */
  readonly ops: Operation[];
  /** Number of `fail`ed operations dropped. */
  readonly failed: number;
  /** Number of client events (after removing nemesis events). */
  readonly events: number;
}

/** Whether a process id names Jepsen's nemesis (whose events are not client operations). */
export function isNemesis(process: unknown): boolean {
  return process === 'nemesis';
}

function describeProcess(p: ProcessId): string {
  return typeof p === 'number' ? `process ${p}` : `process ${showValue(p)}`;
}

function locate(position: number, lines: readonly number[] | undefined): string {
  const line = lines?.[position];
  return line !== undefined ? `line ${line}` : `event #${position}`;
}

/** Shape checks of one event; throws HistoryError. */
function checkEventShape(ev: unknown, position: number, lines: readonly number[] | undefined): void {
  const line = lines?.[position];
  const at = line !== undefined ? '' : ` (event #${position})`;
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) {
    throw new HistoryError(`expected an operation object${at}`, line);
  }
  const e = ev as Record<string, unknown>;
  const t = e.type;
  if (t !== 'invoke' && t !== 'ok' && t !== 'fail' && t !== 'info') {
    const shown = t === undefined ? 'missing' : JSON.stringify(t);
    throw new HistoryError(`unknown op type ${shown}${at}: expected invoke, ok, fail or info`, line);
  }
  const p = e.process;
  if (!((typeof p === 'number' && Number.isFinite(p)) || typeof p === 'string')) {
    throw new HistoryError(`process must be a number or a string, got ${p === undefined ? 'nothing' : showValue(p)}${at}`, line);
  }
  if (p === 'nemesis') return;
  if (typeof e.f !== 'string' || e.f.length === 0) {
    throw new HistoryError(`op f must be a non-empty string, got ${e.f === undefined ? 'nothing' : showValue(e.f)}${at}`, line);
  }
  if (e.timeUs !== undefined && (typeof e.timeUs !== 'number' || !Number.isFinite(e.timeUs))) {
    throw new HistoryError(`timeUs must be a finite number${at}`, line);
  }
}

/**
 * Real-time order, as input positions: the input order without nemesis events; when
 * every event carries `timeUs`, time must not go backwards and, at one instant,
 * invocations move before completions (closed intervals), except that a process's own
 * events keep the order it must have done them in.
 */
export function normalizeOrder(events: readonly HistoryEvent[], lines?: readonly number[]): Int32Array {
  const order = new Int32Array(events.length);
  let count = 0;
  let timed = true;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    checkEventShape(ev, i, lines);
    if (ev.process === 'nemesis') continue;
    order[count++] = i;
    if (ev.timeUs === undefined) timed = false;
  }
  const out = order.subarray(0, count);
  if (!timed || count === 0) return out;
  let ties = false;
  for (let k = 1; k < count; k++) {
    const prev = events[out[k - 1]].timeUs as number;
    const cur = events[out[k]].timeUs as number;
    if (cur < prev) {
      throw new HistoryError(`time goes backwards at ${locate(out[k], lines)}: timeUs ${cur} after ${prev}`, lines?.[out[k]]);
    }
    if (cur === prev && events[out[k]].type === 'invoke' && events[out[k - 1]].type !== 'invoke') ties = true;
  }
  if (!ties) return out;
  // At one instant, invocations move before completions, except that a process's own
  // events stay in the order it did them: one whose operation was pending before this
  // instant completes it first, then invokes its next (a monotonic clock read the same
  // time for both); one that was idle invokes first (a zero-length operation).
  const sorted = new Int32Array(count);
  let n = 0;
  const pendingBefore = new Set<ProcessId>();
  const queued = new Map<ProcessId, number[]>(); // process → its invocations at this instant
  for (let i = 0; i < count; ) {
    let j = i;
    const t = events[out[i]].timeUs;
    while (j < count && events[out[j]].timeUs === t) j++;
    const from = n;
    queued.clear();
    for (let k = i; k < j; k++) {
      const ev = events[out[k]];
      if (ev.type !== 'invoke') continue;
      const q = queued.get(ev.process);
      if (q === undefined) queued.set(ev.process, [out[k]]);
      else q.push(out[k]);
    }
    // First the invocations of idle processes...
    for (const [p, q] of queued) if (!pendingBefore.has(p)) sorted[n++] = q.shift() as number;
    // ...then the completions, each followed at once by its process's next invocation, so
    // that invocation still overlaps the completions that come after it. (Two processes
    // that both complete and invoke again at one instant cannot both overlap the other's
    // completion in one event order: the later completion's process loses that overlap.)
    for (let k = i; k < j; k++) {
      const ev = events[out[k]];
      if (ev.type === 'invoke') continue;
      sorted[n++] = out[k];
      const q = queued.get(ev.process);
      if (q !== undefined && q.length > 0) sorted[n++] = q.shift() as number;
    }
    // Invocations left over (a process invoking while pending) stay, for pairing to report.
    for (const q of queued.values()) for (const position of q) sorted[n++] = position;
    for (let k = from; k < n; k++) {
      const ev = events[sorted[k]];
      if (ev.type === 'invoke') pendingBefore.add(ev.process);
      else pendingBefore.delete(ev.process);
    }
    i = j;
  }
  return sorted;
}

type MutableOperation = { -readonly [K in keyof Operation]: Operation[K] };

/**
 * Validates a history and pairs invocations with completions.
 * @throws HistoryError for malformed input (see the module comment).
 */
export function pairHistory(events: readonly HistoryEvent[], options: PairOptions = {}): PairedHistory {
  if (!Array.isArray(events)) throw new HistoryError('a history must be a list of events');
  const lines = options.lines;
  const order = normalizeOrder(events, lines);
  const pending = new Map<ProcessId, number>(); // process → rank of its invocation
  const crashed = new Map<ProcessId, number>(); // process → input position of its info
  const byCall: (MutableOperation | undefined)[] = new Array<MutableOperation | undefined>(order.length);
  let failed = 0;
  for (let rank = 0; rank < order.length; rank++) {
    const position = order[rank];
    const ev = events[position];
    const p = ev.process;
    const line = lines?.[position];
    if (ev.type === 'invoke') {
      const prev = pending.get(p);
      if (prev !== undefined) {
        throw new HistoryError(
          `${describeProcess(p)} invokes ${ev.f} while its ${events[order[prev]].f} (${locate(order[prev], lines)}) is still pending`,
          line,
        );
      }
      const info = crashed.get(p);
      if (info !== undefined) {
        throw new HistoryError(
          `${describeProcess(p)} invokes ${ev.f} after its info completion (${locate(info, lines)}); ` +
            'a process whose outcome is unknown must not invoke again (use a new process id)',
          line,
        );
      }
      pending.set(p, rank);
      continue;
    }
    const invRank = pending.get(p);
    if (invRank === undefined) {
      throw new HistoryError(`${ev.type} completion of ${ev.f} for ${describeProcess(p)} without a pending invocation`, line);
    }
    const inv = events[order[invRank]];
    if (inv.f !== ev.f) {
      throw new HistoryError(
        `${ev.type} completion of ${ev.f} for ${describeProcess(p)} does not match its pending ${inv.f} (${locate(order[invRank], lines)})`,
        line,
      );
    }
    pending.delete(p);
    if (ev.type === 'fail') {
      failed++;
      continue;
    }
    if (ev.type === 'info') crashed.set(p, position);
    const op: MutableOperation = {
      id: -1,
      process: p,
      f: ev.f,
      invokeValue: inv.value ?? null,
      completeValue: ev.type === 'ok' ? (ev.value ?? null) : undefined,
      type: ev.type,
      callIndex: invRank,
      returnIndex: rank,
    };
    if (inv.timeUs !== undefined) op.invokeTimeUs = inv.timeUs;
    if (ev.timeUs !== undefined) op.completeTimeUs = ev.timeUs;
    if (typeof ev.effectAt === 'number' && Number.isFinite(ev.effectAt)) op.effectAt = ev.effectAt;
    const invLine = lines?.[order[invRank]];
    if (invLine !== undefined) op.line = invLine;
    byCall[invRank] = op;
  }
  if (pending.size > 0) {
    let first = Infinity;
    for (const rank of pending.values()) first = Math.min(first, rank);
    const inv = events[order[first]];
    throw new HistoryError(
      `${describeProcess(inv.process)}'s ${inv.f} (${locate(order[first], lines)}) never completes; ` +
        'record an info completion when its outcome is unknown',
      lines?.[order[first]],
    );
  }
  const ops: Operation[] = [];
  for (const op of byCall) {
    if (op === undefined) continue;
    op.id = ops.length;
    ops.push(op);
  }
  if (options.validate) {
    for (const op of ops) {
      const problem = options.validate(op);
      if (problem !== undefined) {
        const at = op.line !== undefined ? '' : ` (operation #${op.id}, ${describeProcess(op.process)})`;
        throw new HistoryError(problem + at, op.line);
      }
    }
  }
  return { ops, failed, events: order.length };
}

/**
 * Completes a history the way Knossos reads a Jepsen history: an invocation that never
 * completes is indeterminate, so an `info` completion is appended for it (at the end,
 * in invocation order). Used by the EDN reader; the simulator's own histories must be
 * complete.
 */
export function completePendingAsInfo(events: HistoryEvent[], lines: number[]): void {
  const pending = new Map<ProcessId, number>();
  // In real-time order, as the checker pairs them: at one instant a process's invocation
  // may be listed after its completion.
  for (const i of normalizeOrder(events, lines)) {
    const ev = events[i];
    if (ev.type === 'invoke') pending.set(ev.process, i);
    else pending.delete(ev.process);
  }
  const open = [...pending.values()].sort((a, b) => a - b);
  // When every event carries a time, so does the completion appended at the end (the
  // latest time): a history with one untimed event is read in list order, and the
  // instant's rule (invocations before completions) would silently stop applying.
  let lastUs: number | undefined = -Infinity;
  for (const ev of events) {
    if (isNemesis(ev.process)) continue;
    if (typeof ev.timeUs !== 'number') {
      lastUs = undefined;
      break;
    }
    lastUs = Math.max(lastUs, ev.timeUs);
  }
  for (const i of open) {
    const inv = events[i];
    events.push({ type: 'info', process: inv.process, f: inv.f, value: null, ...(lastUs !== undefined ? { timeUs: lastUs } : {}) });
    lines.push(lines[i]);
  }
}
