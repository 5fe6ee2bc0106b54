/**
 * Test helpers for the linearizability checker: a brute-force reference checker, a
 * compact history builder, and fast-check generators of small histories.
 */
import fc from 'fast-check';
import { pairHistory, type HistoryEvent, type OpType, type Operation } from '../../../sim/check/lin/history.js';
import type { AnyModel } from '../../../sim/check/lin/model.js';

/** `h(['invoke', 0, 'write', 1], ['ok', 0, 'write', 1], …)` */
export function h(...events: [OpType, number | string, string, unknown][]): HistoryEvent[] {
  return events.map(([type, process, f, value]) => ({ type, process, f, value }));
}

/**
 * The obviously-correct reference: try every order of the ok operations plus every
 * subset of the info operations, keeping real-time order (a before b when a completed
 * before b was invoked), on the whole history with the model's initial state (no
 * partitioning, no memoization, no pruning beyond real-time order).
 */
export function bruteForce(events: readonly HistoryEvent[], model: AnyModel): boolean {
  const { ops } = pairHistory(events, model.validate ? { validate: (op) => model.validate?.(op) } : {});
  const n = ops.length;
  const okCount = ops.filter((op) => op.type === 'ok').length;
  const used = new Array<boolean>(n).fill(false);
  const mustPrecede = (a: Operation, b: Operation): boolean => a.type === 'ok' && a.returnIndex < b.callIndex;
  const search = (state: unknown, okDone: number): boolean => {
    if (okDone === okCount) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      const op = ops[i];
      // op can go next only if no unused operation must precede it.
      if (ops.some((other, j) => !used[j] && j !== i && mustPrecede(other, op))) continue;
      const next = model.step(state, op);
      if (next === undefined) continue;
      used[i] = true;
      const found = search(next, okDone + (op.type === 'ok' ? 1 : 0));
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init(), 0);
}

export interface PlannedOp {
  readonly f: string;
  readonly invoke: unknown;
  /** Result for ok; ignored otherwise. */
  readonly result: unknown;
  readonly type: 'ok' | 'fail' | 'info';
}

/**
 * Interleaves per-process operation sequences into a history. `schedule` picks which
 * process moves next (invoke or complete its current operation); a process stops after
 * an info operation (it never invokes again).
 */
export function interleave(processes: readonly (readonly PlannedOp[])[], schedule: readonly number[]): HistoryEvent[] {
  const seqs = processes.map((ops) => {
    const cut = ops.findIndex((op) => op.type === 'info');
    return cut < 0 ? ops : ops.slice(0, cut + 1);
  });
  const next = seqs.map(() => 0);
  const invoked = seqs.map(() => false);
  const events: HistoryEvent[] = [];
  let k = 0;
  for (;;) {
    const active = seqs.map((_, p) => p).filter((p) => next[p] < seqs[p].length);
    if (active.length === 0) return events;
    const p = active[(schedule.length ? schedule[k++ % schedule.length] : 0) % active.length];
    const op = seqs[p][next[p]];
    if (!invoked[p]) {
      events.push({ type: 'invoke', process: p, f: op.f, value: op.invoke });
      invoked[p] = true;
    } else {
      events.push({ type: op.type, process: p, f: op.f, value: op.type === 'ok' ? op.result : op.invoke });
      invoked[p] = false;
      next[p]++;
    }
  }
}

/** A small random history: up to `maxProcesses` processes, `maxOps` operations in all. */
export function historyArb(
  opArb: fc.Arbitrary<PlannedOp>,
  { maxProcesses = 3, maxOps = 7 }: { maxProcesses?: number; maxOps?: number } = {},
): fc.Arbitrary<HistoryEvent[]> {
  return fc
    .record({
      processes: fc.array(fc.array(opArb, { maxLength: 4 }), { minLength: 1, maxLength: maxProcesses }),
      schedule: fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 24 }),
    })
    .map(({ processes, schedule }) => {
      let budget = maxOps;
      const trimmed = processes.map((ops) => {
        const take = Math.min(ops.length, budget);
        budget -= take;
        return ops.slice(0, take);
      });
      return interleave(trimmed, schedule);
    });
}

const type = fc.constantFrom<'ok' | 'fail' | 'info'>('ok', 'ok', 'ok', 'fail', 'info');
const small = fc.integer({ min: 0, max: 2 });

/** Register / cas-register operations with values 0..2 (reads may return nil). */
export function registerOpArb(withCas: boolean): fc.Arbitrary<PlannedOp> {
  const fs = withCas ? (['read', 'write', 'cas', 'cas-false'] as const) : (['read', 'write'] as const);
  return fc.record({ f: fc.constantFrom(...fs), a: small, b: small, r: fc.option(small, { nil: null, freq: 6 }), type }).map(({ f, a, b, r, type }) => {
    if (f === 'read') return { f, invoke: null, result: r, type };
    if (f === 'write') return { f, invoke: a, result: a, type };
    return { f, invoke: [a, b], result: [a, b], type };
  });
}

export const mutexOpArb: fc.Arbitrary<PlannedOp> = fc
  .record({ f: fc.constantFrom('acquire', 'release'), type })
  .map(({ f, type }) => ({ f, invoke: null, result: null, type }));

const keys = fc.constantFrom('x', 'y', 'z');
const micro = fc.oneof(
  fc.tuple(fc.constant('read'), keys, fc.option(small, { nil: null, freq: 4 })),
  fc.tuple(fc.constant('write'), keys, small),
);
export const multiRegisterOpArb: fc.Arbitrary<PlannedOp> = fc
  .record({ txn: fc.array(micro, { minLength: 1, maxLength: 2 }), type })
  .map(({ txn, type }) => ({
    f: 'txn',
    // An invocation does not know what its reads will return.
    invoke: txn.map(([f, k, v]) => (f === 'read' ? [f, k, null] : [f, k, v])),
    result: txn,
    type,
  }));

const paths = fc.constantFrom('/a', '/b', '/a/x', '/a/y', '/b/x');
const dirs = fc.constantFrom('/', '/a', '/b');
const version = fc.constantFrom(-1, 0, 1);
const zdata = fc.constantFrom('d0', 'd1');
/** Znode operations over a tiny tree, with plausible (often wrong) results. */
export const znodeOpArb: fc.Arbitrary<PlannedOp> = fc.oneof(
  fc.record({ path: paths, data: zdata, ok: fc.boolean(), err: fc.constantFrom('NODEEXISTS', 'NONODE'), type }).map((x) => ({
    f: 'create',
    invoke: { path: x.path, data: x.data },
    result: x.ok ? x.path : x.err,
    type: x.type,
  })),
  fc.record({ dir: dirs, n: fc.integer({ min: 0, max: 2 }), ok: fc.boolean(), type }).map((x) => {
    const prefix = (x.dir === '/' ? '' : x.dir) + '/q-';
    return {
      f: 'create',
      invoke: { path: prefix, data: 'd0', sequential: true },
      result: x.ok ? `${prefix}${String(x.n).padStart(10, '0')}` : 'NONODE',
      type: x.type,
    };
  }),
  fc.record({ path: paths, v: version, err: fc.constantFrom(null, 'NONODE', 'BADVERSION', 'NOTEMPTY'), type }).map((x) => ({
    f: 'delete',
    invoke: { path: x.path, version: x.v },
    result: x.err,
    type: x.type,
  })),
  fc.record({ path: paths, data: zdata, v: version, r: fc.constantFrom<unknown>(1, 2, 'NONODE', 'BADVERSION'), type }).map((x) => ({
    f: 'setData',
    invoke: { path: x.path, data: x.data, version: x.v },
    result: x.r,
    type: x.type,
  })),
  fc.record({ path: paths, data: zdata, v: fc.integer({ min: 0, max: 1 }), none: fc.boolean(), type }).map((x) => ({
    f: 'getData',
    invoke: { path: x.path },
    result: x.none ? 'NONODE' : { data: x.data, version: x.v },
    type: x.type,
  })),
  fc.record({ path: paths, r: fc.boolean(), type }).map((x) => ({ f: 'exists', invoke: { path: x.path }, result: x.r, type: x.type })),
  fc.record({ dir: dirs, names: fc.subarray(['a', 'b', 'x', 'y']), none: fc.boolean(), type }).map((x) => ({
    f: 'getChildren',
    invoke: { path: x.dir },
    result: x.none && x.dir !== '/' ? 'NONODE' : x.names,
    type: x.type,
  })),
);

/** mulberry32, for deterministic executions inside properties. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ExecutedOp<R> {
  process: number;
  f: string;
  invoke: unknown;
  callUs: number;
  effectUs: number;
  returnUs: number;
  /** Outcome: ok (took effect, result), fail (did not), info (took effect or not; unknown). */
  type: 'ok' | 'fail' | 'info';
  applied: boolean;
  result?: R;
  /** Position in the order the operations took effect (applied ones). */
  rank?: number;
}

/**
 * A real execution: each process runs `perProcess` operations back to back with random
 * durations; each takes effect at a random instant inside its interval, applied in
 * that order by `apply` (a reference implementation, independent of the models). An
 * info operation took effect or not (coin flip); its process is then replaced.
 * `withEffects`: each ok completion says where it took effect (`effectAt`, its rank in
 * that order), as the simulator's clients do.
 */
export function execute<R>(
  seed: number,
  processes: number,
  perProcess: number,
  plan: (random: () => number, process: number) => { f: string; invoke: unknown },
  apply: (op: ExecutedOp<R>) => { result: R; fail?: boolean },
  infoRate = 0.1,
  withEffects = false,
): HistoryEvent[] {
  const random = rng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const ops: ExecutedOp<R>[] = [];
  let fresh = processes;
  for (let t = 0; t < processes; t++) {
    let process = t;
    let clock = int(10);
    for (let k = 0; k < perProcess; k++) {
      const { f, invoke } = plan(random, process);
      const callUs = clock;
      const effectUs = callUs + 1 + int(10);
      const returnUs = effectUs + 1 + int(10);
      const info = random() < infoRate;
      ops.push({ process, f, invoke, callUs, effectUs, returnUs, type: info ? 'info' : 'ok', applied: info ? random() < 0.5 : true });
      clock = returnUs + 1 + int(6);
      if (info) process = fresh++;
    }
  }
  let rank = 0;
  for (const op of [...ops].sort((a, b) => a.effectUs - b.effectUs)) {
    if (!op.applied) continue;
    op.rank = rank++;
    const { result, fail } = apply(op);
    op.result = result;
    if (fail && op.type === 'ok') {
      op.type = 'fail';
    }
  }
  const timed: { t: number; invoke: boolean; ev: HistoryEvent }[] = [];
  for (const op of ops) {
    timed.push({ t: op.callUs, invoke: true, ev: { type: 'invoke', process: op.process, f: op.f, value: op.invoke, timeUs: op.callUs } });
    timed.push({
      t: op.returnUs,
      invoke: false,
      ev: {
        type: op.type,
        process: op.process,
        f: op.f,
        value: op.type === 'ok' ? op.result : op.invoke,
        timeUs: op.returnUs,
        ...(withEffects && op.type === 'ok' ? { effectAt: op.rank } : {}),
      },
    });
  }
  timed.sort((a, b) => a.t - b.t || Number(b.invoke) - Number(a.invoke));
  return timed.map((x) => x.ev);
}
