/**
 * Linearizability checker benchmark: cas-register histories of 1k, 10k and 100k
 * operations with 5, 10 and 20 concurrent processes, linearizable and not.
 *
 * Histories come from a simulated real execution (each operation takes effect at a
 * random instant inside its interval, on a real register), so they are linearizable by
 * construction; a "not" history has one stale read about 95% of the way through (it
 * returns a unique value that a later write, completed before the read began, had
 * overwritten), so the search does all the work up to there, then has to rule out
 * every order around it. About 1 in 500 operations ends `info`
 * (their processes are replaced), and compare-and-sets that find another value `fail`.
 */
import { checkHistory } from '../../sim/check/lin/checker.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';

/** mulberry32: a small deterministic PRNG (the bench must not depend on Math.random). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CasHistoryOptions {
  readonly ops: number;
  readonly processes: number;
  readonly seed: number;
  /** Corrupt one read near the end so the history is not linearizable. */
  readonly corrupt?: boolean;
  /** Probability that an operation's outcome is unknown (info). */
  readonly infoRate?: number;
  /** Number of distinct values written. */
  readonly values?: number;
}

interface PlannedOp {
  process: number;
  f: 'read' | 'write' | 'cas';
  arg: unknown;
  callUs: number;
  effectUs: number;
  returnUs: number;
  info: boolean;
  /** For info operations: whether it took effect at effectUs. */
  applied: boolean;
  type: 'ok' | 'fail' | 'info';
  result: unknown;
}

/** A cas-register history from a simulated execution (see the module comment). */
export function generateCasHistory(o: CasHistoryOptions): HistoryEvent[] {
  const random = rng(o.seed);
  const int = (n: number) => Math.floor(random() * n);
  const values = o.values ?? 5;
  const infoRate = o.infoRate ?? 0.002;
  const planned: PlannedOp[] = [];
  const perThread = Math.ceil(o.ops / o.processes);
  let nextProcess = o.processes;
  for (let t = 0; t < o.processes; t++) {
    let process = t;
    let clock = int(20);
    for (let k = 0; k < perThread && planned.length < o.ops; k++) {
      const kind = random();
      const f = kind < 0.5 ? 'read' : kind < 0.75 ? 'write' : 'cas';
      const arg = f === 'read' ? null : f === 'write' ? int(values) : [int(values), int(values)];
      const callUs = clock;
      const effectUs = callUs + 1 + int(20);
      const returnUs = effectUs + 1 + int(20);
      const info = random() < infoRate;
      planned.push({ process, f, arg, callUs, effectUs, returnUs, info, applied: info ? random() < 0.5 : true, type: 'ok', result: arg });
      clock = returnUs + 1 + int(10);
      if (info) process = nextProcess++;
    }
  }
  // A stale read, about 95% of the way through: a read returns the unique value 1000,
  // written by W, although W2 overwrote it (W completed before W2 was invoked, W2
  // completed before the read was invoked, and nothing else writes 1000).
  let staleRead: PlannedOp | undefined;
  if (o.corrupt) {
    const byCall = [...planned].sort((a, b) => a.callUs - b.callUs);
    const definite = (op: PlannedOp, f: PlannedOp['f']) => op.f === f && !op.info;
    staleRead = byCall.slice(Math.floor(byCall.length * 0.95)).find((op) => definite(op, 'read'));
    const latest = (before: number) =>
      byCall.filter((op) => definite(op, 'write') && op.returnUs < before).sort((a, b) => b.returnUs - a.returnUs)[0];
    const w2 = staleRead && latest(staleRead.callUs);
    const w = w2 && latest(w2.callUs);
    if (!staleRead || !w) throw new Error('bench: no place for a stale read');
    w.arg = 1000;
    w.result = 1000;
  }
  // Apply effects in effect order to a real register.
  let register: unknown = 0;
  const byEffect = [...planned].sort((a, b) => a.effectUs - b.effectUs);
  for (const op of byEffect) {
    if (!op.applied) continue;
    if (op.f === 'read') op.result = register;
    else if (op.f === 'write') register = op.arg;
    else {
      const [from, to] = op.arg as [number, number];
      if (from === register) register = to;
      else op.type = 'fail';
    }
  }
  for (const op of planned) if (op.info) op.type = 'info';
  if (staleRead) staleRead.result = 1000;
  const timed: { timeUs: number; invoke: boolean; ev: HistoryEvent }[] = [];
  for (const op of planned) {
    timed.push({ timeUs: op.callUs, invoke: true, ev: { type: 'invoke', process: op.process, f: op.f, value: op.arg, timeUs: op.callUs } });
    const value = op.type === 'ok' ? (op.f === 'read' ? op.result : op.arg) : op.f === 'read' ? null : op.arg;
    timed.push({ timeUs: op.returnUs, invoke: false, ev: { type: op.type, process: op.process, f: op.f, value, timeUs: op.returnUs } });
  }
  timed.sort((a, b) => a.timeUs - b.timeUs || Number(b.invoke) - Number(a.invoke));
  // Write the 0 that the register starts with, before everything.
  return [
    { type: 'invoke', process: -1, f: 'write', value: 0, timeUs: -2 },
    { type: 'ok', process: -1, f: 'write', value: 0, timeUs: -1 },
    ...timed.map((x) => x.ev),
  ];
}

/** Runs the benchmark; keys like "casRegister_100k_p10_linearizable_ms", values in ms. */
export function benchChecker(): Record<string, number> {
  const out: Record<string, number> = {};
  const sizes: [string, number][] = [
    ['1k', 1_000],
    ['10k', 10_000],
    ['100k', 100_000],
  ];
  for (const [label, ops] of sizes) {
    for (const processes of [5, 10, 20]) {
      for (const corrupt of [false, true]) {
        const events = generateCasHistory({ ops, processes, seed: ops + processes, corrupt });
        const expected = corrupt ? 'not-linearizable' : 'linearizable';
        const start = performance.now();
        const result = checkHistory(events, 'cas-register', { now: () => performance.now(), timeoutMs: 60_000 });
        const ms = performance.now() - start;
        if (result.verdict !== expected) {
          throw new Error(`bench: ${label} p${processes}: expected ${expected}, got ${result.verdict} (${result.steps} steps)`);
        }
        out[`casRegister_${label}_p${processes}_${corrupt ? 'notLinearizable' : 'linearizable'}_ms`] = Math.round(ms * 100) / 100;
      }
    }
  }
  return out;
}
