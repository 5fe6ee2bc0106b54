/**
 * The linearizability search for one part of a history: Wing & Gong's algorithm with
 * Lowe's memoization (as in Lowe's "Testing for linearizability" and Porcupine),
 * iterative, over doubly linked lists.
 *
 * List A holds the invocation and completion entries of the `ok` operations not yet
 * linearized, in real-time order. At each configuration the candidates are the
 * operations invoked before the first completion r in A: linearizing one (applying it
 * to the model state) removes its two entries and starts over from the head. When no
 * candidate works, r's operation cannot be linearized before its completion: backtrack.
 * `info` operations never complete; they sit in list B (by invocation) and are tried
 * after the `ok` candidates, only if invoked before r. Everything is linearizable once
 * every `ok` operation is; the remaining `info` ones simply never took effect.
 *
 * ```
 *  A:  call(w1) call(r2) ret(w1) call(w3) ret(r2) ret(w3)
 *      └── candidates ──┘ r = ret(w1): w1 must be linearized before passing it
 * ```
 *
 * Every configuration reached is memoized (see cache.ts); one already seen is a dead
 * end. Two reductions keep the branching down without losing completeness:
 * - a read-only `ok` candidate (model.isReadOnly) that the model accepts is the only
 *   move tried: if any completion σ exists, moving the read to the front of σ gives
 *   one too (it changes no state, and every operation of σ completes after r, so
 *   after the read's invocation: real-time order still holds);
 * - an `info` candidate that leaves the state unchanged is never tried: the
 *   configuration without it can do everything the one with it can;
 * - of identical pending `info` operations (same f and values), only the earliest
 *   invoked is tried: with no deadlines, they are interchangeable.
 *
 * The search records the deepest dead ends: the completion r furthest in the history
 * that some partial linearization reached but could not pass. Its operation is "the
 * first operation that cannot be linearized". When the search stalls there, it may ask
 * a refuter (refute.ts) to prove locally that nothing gets past r, instead of
 * exhausting every configuration since the start of the history.
 */
import { ConfigCache, InfoSets } from './cache.js';
import type { Operation } from './history.js';
import type { Model } from './model.js';
import { splitmix32, valueKey } from './values.js';

/** Work limits, shared by the parts of one history. */
export interface SearchBudget {
  /** Model steps allowed in total. */
  readonly maxSteps: number;
  /** Steps used so far (updated by the search). */
  steps: number;
  /** Absolute deadline on `now()`'s clock; Infinity for none. */
  readonly deadline: number;
  readonly now?: () => number;
}

/** A dead end: a partial linearization that cannot linearize the operation `stuck`. */
export interface DeadEnd<S> {
  /** Local index of the operation that cannot be linearized next. */
  readonly stuck: number;
  /** Its completion's event position. */
  readonly returnIndex: number;
  /** Operations linearized before `path` (not recorded, to keep this small). */
  readonly omitted: number;
  /** State before the first operation of `path`. */
  readonly stateBefore: S;
  /** The last linearized operations (local indices), in order. */
  readonly path: readonly number[];
  /** State after each operation of `path`. */
  readonly states: readonly S[];
  /** State at the dead end. */
  readonly state: S;
  /** Operations that could be linearized next (local indices): all fail or lead to dead ends. */
  readonly candidates: readonly number[];
}

export type SearchResult<S> =
  | { readonly verdict: 'linearizable' }
  | {
      readonly verdict: 'not-linearizable';
      /** Local index of the operation that cannot be linearized. */
      readonly stuck: number;
      /** Up to MAX_DEAD_ENDS dead ends at the stuck operation. */
      readonly deadEnds: readonly DeadEnd<S>[];
      /** Dead ends at operations overlapping the stuck one (other orders failing earlier). */
      readonly nearDeadEnds: readonly DeadEnd<S>[];
      /** Distinct model states at those dead ends (up to MAX_STATES). */
      readonly states: readonly S[];
      /** Number of dead-end configurations found at the stuck operation. */
      readonly deadEndCount: number;
      /** True when a local refutation proved it before every dead end was explored. */
      readonly refuted: boolean;
    }
  | { readonly verdict: 'unknown'; readonly reason: 'steps' | 'timeout' };

export interface SearchOptions {
  /**
   * `ok` operations (by local index) to treat as optional: they may take effect or not,
   * with no deadline (used for the windows of a local refutation).
   */
  readonly optional?: Uint8Array;
  /**
   * info operations (by local index) that may take effect any number of times: an
   * over-approximation used for windows, where it keeps the configuration space small.
   */
  readonly reusable?: Uint8Array;
  /**
   * Proves that the operation completing at event `returnIndex` (local index `stuck`)
   * cannot be linearized in any execution; called when the search stalls there.
   */
  readonly refute?: (stuck: number, returnIndex: number, stepLimit: number) => boolean;
  /** Steps spent at one frontier before the first refutation attempt (default 4096). */
  readonly refuteAfterSteps?: number;
}

const MAX_DEAD_ENDS = 6;
const MAX_NEAR_DEAD_ENDS = 4;
const MAX_STATES = 16;
const MAX_PATH = 24;
const MAX_CANDIDATES = 32;
const ZOBRIST_SEED = 0x5eed1234;
/** Default steps spent at one frontier before the first refutation attempt (then ×4 each time). */
const REFUTE_AFTER_STEPS = 4096;

/**
 * Recorder of the deepest dead ends ("main": at the furthest completion reached) and
 * of a few nearby ones ("near": at completions of operations that overlap the stuck
 * one, i.e. other orders of the same operations failing a little earlier).
 */
class DeadEndRecorder<S> {
  maxIndex = -1;
  stuck = -1;
  count = 0;
  states: S[] = [];
  main: DeadEnd<S>[] = [];
  near: DeadEnd<S>[] = [];
  private stuckCall = -1;

  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    private readonly callOf: (op: number) => number,
  ) {}

  /** 1: a main dead end (deepest so far), 2: a near one to keep, 0: ignore. */
  consider(index: number, stuck: number): number {
    if (index > this.maxIndex) {
      const call = this.callOf(stuck);
      this.near = this.main
        .concat(this.near)
        .filter((d) => d.returnIndex >= call)
        .slice(0, MAX_NEAR_DEAD_ENDS);
      this.main = [];
      this.states = [];
      this.count = 0;
      this.maxIndex = index;
      this.stuck = stuck;
      this.stuckCall = call;
      return 1;
    }
    if (index === this.maxIndex) return 1;
    return index >= this.stuckCall && this.near.length < MAX_NEAR_DEAD_ENDS ? 2 : 0;
  }

  record(
    kind: number,
    stuck: number,
    returnIndex: number,
    state: S,
    depth: number,
    stackOp: Int32Array,
    stackState: (S | undefined)[],
    candidates: Int32Array,
    candidateCount: number,
  ): void {
    if (kind === 1) {
      this.count++;
      if (this.states.length < MAX_STATES && !this.states.some((s) => this.equal(s, state))) this.states.push(state);
      if (this.main.length >= MAX_DEAD_ENDS) return;
    }
    const len = Math.min(depth, MAX_PATH);
    const path: number[] = [];
    const states: S[] = [];
    for (let d = depth - len; d < depth; d++) {
      path.push(stackOp[d]);
      states.push(d + 1 < depth ? (stackState[d + 1] as S) : state);
    }
    const deadEnd: DeadEnd<S> = {
      stuck,
      returnIndex,
      omitted: depth - len,
      stateBefore: len > 0 ? (stackState[depth - len] as S) : state,
      path,
      states,
      state,
      candidates: Array.from(candidates.subarray(0, Math.min(candidateCount, MAX_CANDIDATES))),
    };
    (kind === 1 ? this.main : this.near).push(deadEnd);
  }
}

/** The search's linked lists (see the module comment), as typed arrays. */
interface Lists {
  /** List A entries (1..m, 0 = sentinel): operation, is-completion, event position. */
  readonly entOp: Int32Array;
  readonly entRet: Uint8Array;
  readonly entIdx: Int32Array;
  /** Entries of each ok operation. */
  readonly callEntry: Int32Array;
  readonly retEntry: Int32Array;
  readonly aNext: Int32Array;
  readonly aPrev: Int32Array;
  /** List B over operations (n = sentinel). */
  readonly bNext: Int32Array;
  readonly bPrev: Int32Array;
  /** Class lists over list B's operations (class k's sentinel is n + k). */
  readonly cNext: Int32Array;
  readonly cPrev: Int32Array;
}

function buildLists<S>(model: Model<S>, ops: readonly Operation[], isOk: Uint8Array, okCount: number, maxIndex: number): Lists {
  const n = ops.length;
  // List A: entries 1..m in event order; 0 is the sentinel of a circular list.
  const m = okCount * 2;
  const entOp = new Int32Array(m + 1);
  const entRet = new Uint8Array(m + 1);
  const entIdx = new Int32Array(m + 1);
  const callEntry = new Int32Array(n);
  const retEntry = new Int32Array(n);
  {
    const byEvent = new Int32Array(maxIndex + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      if (!isOk[i]) continue;
      byEvent[ops[i].callIndex] = i * 2;
      byEvent[ops[i].returnIndex] = i * 2 + 1;
    }
    let e = 0;
    for (let idx = 0; idx <= maxIndex; idx++) {
      const code = byEvent[idx];
      if (code < 0) continue;
      e++;
      const i = code >> 1;
      entOp[e] = i;
      entRet[e] = code & 1;
      entIdx[e] = idx;
      if (code & 1) retEntry[i] = e;
      else callEntry[i] = e;
    }
  }
  const aNext = new Int32Array(m + 1);
  const aPrev = new Int32Array(m + 1);
  for (let e = 0; e <= m; e++) {
    aNext[e] = e === m ? 0 : e + 1;
    aPrev[e] = e === 0 ? m : e - 1;
  }
  // List B: info (and optional) operations by invocation; n is the sentinel.
  const bNext = new Int32Array(n + 1);
  const bPrev = new Int32Array(n + 1);
  {
    let last = n;
    for (let i = 0; i < n; i++) {
      if (isOk[i]) continue;
      bNext[last] = i;
      bPrev[i] = last;
      last = i;
    }
    bNext[last] = n;
    bPrev[n] = last;
  }
  // Identical operations of list B (same f, values and type) have no deadline, so
  // once invoked they are interchangeable: only the earliest pending one of each class
  // is a candidate. Class lists are linked like B; class k's sentinel is n + k.
  const classIds = new Map<string, number>();
  const opClass = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (isOk[i]) continue;
    const op = ops[i];
    let key: string;
    try {
      key = valueKey([op.f, op.type, op.invokeValue, op.completeValue, model.dependsOnProcess ? op.process : 0]);
    } catch {
      key = `#${i}`; // not serializable: a class of its own
    }
    let k = classIds.get(key);
    if (k === undefined) classIds.set(key, (k = classIds.size));
    opClass[i] = k;
  }
  const cNext = new Int32Array(n + classIds.size);
  const cPrev = new Int32Array(n + classIds.size);
  for (let k = 0; k < classIds.size; k++) cNext[n + k] = cPrev[n + k] = n + k;
  for (let i = 0; i < n; i++) {
    if (isOk[i]) continue;
    const sentinel = n + opClass[i];
    const last = cPrev[sentinel];
    cNext[last] = i;
    cPrev[i] = last;
    cNext[i] = sentinel;
    cPrev[sentinel] = i;
  }
  return { entOp, entRet, entIdx, callEntry, retEntry, aNext, aPrev, bNext, bPrev, cNext, cPrev };
}

/**
 * Searches one part. `ops` must be sorted by invocation (callIndex), with the event
 * positions of a single history.
 */
export function searchPart<S>(
  model: Model<S>,
  ops: readonly Operation[],
  init: S,
  budget: SearchBudget,
  options: SearchOptions = {},
): SearchResult<S> {
  const n = ops.length;
  const isOk = new Uint8Array(n);
  const readOnly = new Uint8Array(n);
  const keys = new Int32Array(n);
  const callIdx = new Int32Array(n);
  const optional = options.optional;
  const reusable = options.reusable;
  let okCount = 0;
  let maxIndex = 0;
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (i > 0 && op.callIndex <= ops[i - 1].callIndex) throw new Error('searchPart: operations must be sorted by invocation');
    if (op.type === 'ok' && !(optional && optional[i])) {
      isOk[i] = 1;
      okCount++;
    }
    readOnly[i] = model.isReadOnly?.(op) ? 1 : 0;
    callIdx[i] = op.callIndex;
    keys[i] = splitmix32(Math.imul(i, 0x632be5ab) ^ ZOBRIST_SEED);
    maxIndex = Math.max(maxIndex, op.returnIndex, op.callIndex);
  }
  if (okCount === 0) return { verdict: 'linearizable' };

  const { entOp, entRet, entIdx, callEntry, retEntry, aNext, aPrev, bNext, bPrev, cNext, cPrev } = buildLists(
    model,
    ops,
    isOk,
    okCount,
    maxIndex,
  );
  const liftB = (j: number): void => {
    bNext[bPrev[j]] = bNext[j];
    bPrev[bNext[j]] = bPrev[j];
    cNext[cPrev[j]] = cNext[j];
    cPrev[cNext[j]] = cPrev[j];
  };
  const unliftB = (j: number): void => {
    cNext[cPrev[j]] = j;
    cPrev[cNext[j]] = j;
    bNext[bPrev[j]] = j;
    bPrev[bNext[j]] = j;
  };

  const infoSets = new InfoSets(keys);
  const cache = new ConfigCache<S>((a, b) => model.equal(a, b), infoSets);
  const u = new Int32Array(n);
  let uOk = 0;
  /** Fills u with U_ok (the ok operations invoked before the first completion in A); returns that completion's entry. */
  const collectUnlinearized = (): number => {
    let e = aNext[0];
    uOk = 0;
    while (entRet[e] === 0) {
      u[uOk++] = entOp[e];
      e = aNext[e];
    }
    return e;
  };
  /** U_ok, then the info candidates before the first completion (for explanations). */
  const collectCandidates = (): number => {
    const e = collectUnlinearized();
    let len = uOk;
    for (let j = bNext[n]; j !== n && callIdx[j] < entIdx[e] && len < n; j = bNext[j]) u[len++] = j;
    return len;
  };
  const liftA = (i: number): void => {
    const c = callEntry[i];
    const r = retEntry[i];
    aNext[aPrev[c]] = aNext[c];
    aPrev[aNext[c]] = aPrev[c];
    aNext[aPrev[r]] = aNext[r];
    aPrev[aNext[r]] = aPrev[r];
  };
  const unliftA = (i: number): void => {
    const c = callEntry[i];
    const r = retEntry[i];
    aNext[aPrev[r]] = r;
    aPrev[aNext[r]] = r;
    aNext[aPrev[c]] = c;
    aPrev[aNext[c]] = c;
  };

  // Candidate order: read-only operations first (one that the model accepts is a
  // forced move), then by the midpoint of the interval, the best guess of when an
  // operation took effect.
  const priority = new Float64Array(n);
  for (let i = 0; i < n; i++) priority[i] = readOnly[i] ? -1 : ops[i].callIndex + ops[i].returnIndex;

  // Search nodes: node d is the configuration after d moves. Its ok candidates are
  // cand[nodeStart[d] .. nodeStart[d] + nodeLen[d]), sorted; nodePos[d] is the next to try.
  let cand = new Int32Array(Math.max(64, 4 * n));
  let candTop = 0;
  // Stack capacity: one move per operation, plus the moves of reusable operations
  // (which do not leave the lists), so it grows on demand.
  let capacity = n + 1;
  let nodeStart = new Int32Array(capacity);
  let nodeLen = new Int32Array(capacity);
  let nodePos = new Int32Array(capacity);
  let nodeR = new Int32Array(capacity); // entry of the first completion in A
  let stackOp = new Int32Array(capacity);
  let stackForced = new Uint8Array(capacity);
  let stackInfo = new Int32Array(capacity);
  const stackState: (S | undefined)[] = [];
  const growStack = (): void => {
    capacity *= 2;
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (size: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    nodeStart = widen(nodeStart, (k) => new Int32Array(k));
    nodeLen = widen(nodeLen, (k) => new Int32Array(k));
    nodePos = widen(nodePos, (k) => new Int32Array(k));
    nodeR = widen(nodeR, (k) => new Int32Array(k));
    stackOp = widen(stackOp, (k) => new Int32Array(k));
    stackForced = widen(stackForced, (k) => new Uint8Array(k));
    stackInfo = widen(stackInfo, (k) => new Int32Array(k));
  };
  /** Sets up node `d` from u (U_ok) and the first completion `r`. */
  const enterNode = (d: number, r: number): void => {
    if (d + 1 >= capacity) growStack();
    if (candTop + uOk > cand.length) {
      const bigger = new Int32Array(Math.max(cand.length * 2, candTop + uOk));
      bigger.set(cand);
      cand = bigger;
    }
    nodeStart[d] = candTop;
    nodeLen[d] = uOk;
    nodePos[d] = 0;
    nodeR[d] = r;
    for (let k = 0; k < uOk; k++) {
      const x = u[k];
      const px = priority[x];
      let j = candTop + k;
      while (j > candTop && priority[cand[j - 1]] > px) {
        cand[j] = cand[j - 1];
        j--;
      }
      cand[j] = x;
    }
    candTop += uOk;
  };

  let state = init;
  let lHash = 0;
  let infoSet = 0; // interned L_info
  let remainingOk = okCount;
  let depth = 0;
  const recorder = new DeadEndRecorder<S>(
    (a, b) => model.equal(a, b),
    (i) => ops[i].callIndex,
  );
  const refute = options.refute;

  const maxSteps = budget.maxSteps;
  const now = budget.now;
  const deadline = budget.deadline;
  let steps = budget.steps;
  let frontierSteps = steps; // steps when the deepest dead end last moved
  // Steps at one frontier before a refutation attempt: starts at REFUTE_AFTER_STEPS,
  // ×4 per inconclusive attempt at that frontier. Inconclusive attempts also double
  // the starting point (up to ×32), so a linearizable history pays little for them.
  const refuteAfter = options.refuteAfterSteps ?? REFUTE_AFTER_STEPS;
  let refuteBase = refuteAfter;
  let refuteAt = refuteBase;
  const notLinearizable = (refuted: boolean): SearchResult<S> => {
    budget.steps = steps;
    return {
      verdict: 'not-linearizable',
      stuck: recorder.stuck,
      deadEnds: recorder.main,
      nearDeadEnds: recorder.near,
      states: recorder.states.slice(),
      deadEndCount: recorder.count,
      refuted,
    };
  };

  enterNode(0, collectUnlinearized());
  let phase = 0; // 0: ok candidates; 1: info candidates in B; 2: dead end
  let bCur = n;
  for (;;) {
    if (phase === 0) {
      const pos = nodePos[depth];
      if (pos < nodeLen[depth]) {
        nodePos[depth] = pos + 1;
        const i = cand[nodeStart[depth] + pos];
        if (++steps > maxSteps) break;
        if ((steps & 1023) === 0 && now !== undefined && now() > deadline) break;
        const next = model.step(state, ops[i]);
        if (next !== undefined) {
          liftA(i);
          if (--remainingOk === 0) {
            budget.steps = steps;
            return { verdict: 'linearizable' };
          }
          const h = lHash ^ keys[i];
          const r = collectUnlinearized();
          if (cache.insertIfNew(h, model.hash(next), next, u, uOk, infoSet)) {
            stackOp[depth] = i;
            stackState[depth] = state;
            stackForced[depth] = readOnly[i];
            depth++;
            state = next;
            lHash = h;
            enterNode(depth, r);
            continue;
          }
          remainingOk++;
          unliftA(i);
          if (readOnly[i]) {
            // The only move leads to a configuration already explored: dead.
            phase = 2;
            continue;
          }
        }
        continue;
      }
      phase = 1;
      bCur = bNext[n];
    }
    if (phase === 1) {
      let j = bCur;
      // Only the earliest pending operation of each class is a candidate.
      while (j !== n && cPrev[j] < n) j = bNext[j];
      const rEntry = nodeR[depth];
      if (j !== n && callIdx[j] < entIdx[rEntry]) {
        if (++steps > maxSteps) break;
        if ((steps & 1023) === 0 && now !== undefined && now() > deadline) break;
        const next = model.step(state, ops[j]);
        if (next !== undefined && next !== state) {
          const keep = reusable !== undefined && reusable[j] === 1;
          if (!keep) liftB(j);
          const nextInfoSet = keep ? infoSet : infoSets.add(infoSet, j);
          const r = collectUnlinearized();
          if (cache.insertIfNew(lHash, model.hash(next), next, u, uOk, nextInfoSet)) {
            stackOp[depth] = j;
            stackState[depth] = state;
            stackForced[depth] = 0;
            stackInfo[depth] = infoSet;
            depth++;
            state = next;
            infoSet = nextInfoSet;
            enterNode(depth, r);
            phase = 0;
            continue;
          }
          if (!keep) unliftB(j);
        }
        bCur = bNext[j];
        continue;
      }
      // Dead end: no candidate can be linearized before r's operation must be.
      const kind = recorder.consider(entIdx[rEntry], entOp[rEntry]);
      if (kind !== 0) {
        if (kind === 1 && recorder.count === 0) {
          frontierSteps = steps;
          refuteAt = refuteBase;
        }
        const count = collectCandidates();
        recorder.record(kind, entOp[rEntry], entIdx[rEntry], state, depth, stackOp, stackState, u, count);
      }
      if (refute !== undefined && steps - frontierSteps > refuteAt) {
        budget.steps = steps;
        if (refute(recorder.stuck, recorder.maxIndex, Math.max(refuteAt, REFUTE_AFTER_STEPS))) return notLinearizable(true);
        steps = budget.steps; // the refuter's steps count too
        if (steps > maxSteps) break;
        refuteAt = Math.max(refuteAt * 4, 1);
        refuteBase = Math.min(Math.max(refuteBase * 2, 1), refuteAfter * 32);
      }
    }
    // Backtrack: pop the last move; a forced move's parent is dead too.
    let i: number;
    let forcedFrame: boolean;
    do {
      if (depth === 0) return notLinearizable(false);
      candTop = nodeStart[depth];
      depth--;
      i = stackOp[depth];
      state = stackState[depth] as S;
      stackState[depth] = undefined;
      forcedFrame = stackForced[depth] === 1;
      if (isOk[i]) {
        unliftA(i);
        lHash ^= keys[i];
        remainingOk++;
      } else {
        infoSet = stackInfo[depth];
        if (reusable === undefined || reusable[i] === 0) unliftB(i);
      }
    } while (forcedFrame);
    if (isOk[i]) {
      phase = 0;
    } else {
      phase = 1;
      bCur = bNext[i];
    }
  }
  budget.steps = steps;
  return { verdict: 'unknown', reason: steps > maxSteps ? 'steps' : 'timeout' };
}
