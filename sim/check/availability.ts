/**
 * Availability figures of a run, computed from its timeline (timeline.ts), never drawn
 * by hand: "how long were we unavailable, and what did clients see?"
 *
 * - **Per fault**: the time from the fault to the first committed write after it, and
 *   to the first successful read. "After it" means an operation *invoked* at or after
 *   the fault that completed `ok`; its completion time is when service was seen to be
 *   back. An operation already in flight at the fault does not count: its write may
 *   have committed before the fault, and its reply arriving a moment later would say
 *   nothing about recovery. Only faults at or before the last invocation are measured
 *   (afterwards no client is there to notice them); a fault after which no write (or no
 *   read) succeeded has null there.
 * - **Per fault, the next election**: from the fault to the first leader established
 *   after it (an `election` event), the protocol's own recovery; what clients see also
 *   waits for their timeouts and reconnections (the figures above).
 * - **The longest window with no successful operation**: between two successive `ok`
 *   completions (any client, any function), or from the first invocation to the first
 *   `ok`, or from the last `ok` to the last completion (operations still pending when a
 *   run ends are closed as `info` then). With it, the operations that ended `info`
 *   (outcome unknown: timeouts, lost connections) inside it, and how many failed.
 *
 * Pure (no clock, no I/O): the CLI, the lab and the HTML report all call it.
 */
import type { FaultKind, Timeline, TimelineOp } from './timeline.js';

/** How many operation ids a window lists (the count is always exact). */
export const LISTED_OPS_MAX = 20;

export interface FirstSuccess {
  opId: number;
  f: string;
  /** When it completed. */
  atUs: number;
  /** From the fault to its completion. */
  afterUs: number;
}

export interface FaultAvailability {
  kind: FaultKind;
  nodes: number[];
  atUs: number;
  /** When the fault was undone (null: it lasted to the end). */
  endUs: number | null;
  firstWrite: FirstSuccess | null;
  firstRead: FirstSuccess | null;
  /** The first leader established at or after the fault: who, and how long after it (null: none). */
  nextLeader: { node: number; epoch: number; afterUs: number } | null;
}

export interface UnavailableWindow {
  startUs: number;
  endUs: number;
  durationUs: number;
  /** Operations that ended `info` in the window, and the first LISTED_OPS_MAX of their ids. */
  infoOps: number;
  infoOpIds: number[];
  /** Operations that ended `fail` (definitely not applied) in it. */
  failOps: number;
}

export interface Availability {
  faults: FaultAvailability[];
  /** Null when no operation was invoked. */
  longestGap: UnavailableWindow | null;
  okOps: number;
}

/** The index of the first item whose time is at or after `atUs` (items in time order), or items.length. */
function firstAtOrAfter<T>(items: readonly T[], timeOf: (item: T) => number, atUs: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeOf(items[mid]) < atUs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * For each fault time, the first `ok` operation invoked at or after it, by completion:
 * the ops sorted by invocation, with the earliest completion of every suffix, and a
 * binary search per fault (O((ops + faults) log ops), whatever the number of faults).
 */
class FirstSuccessIndex {
  private readonly byInvoke: TimelineOp[];
  /** suffixFirst[i]: the op among byInvoke[i..] that completed first. */
  private readonly suffixFirst: TimelineOp[];

  constructor(oks: readonly TimelineOp[]) {
    this.byInvoke = [...oks].sort((a, b) => a.invokeUs - b.invokeUs || a.opId - b.opId);
    this.suffixFirst = new Array<TimelineOp>(this.byInvoke.length);
    for (let i = this.byInvoke.length - 1; i >= 0; i--) {
      const op = this.byInvoke[i];
      const later = this.suffixFirst[i + 1];
      this.suffixFirst[i] = later !== undefined && (later.completeUs! < op.completeUs! || (later.completeUs === op.completeUs && later.opId < op.opId)) ? later : op;
    }
  }

  after(atUs: number): FirstSuccess | null {
    const op = this.suffixFirst[firstAtOrAfter(this.byInvoke, (o) => o.invokeUs, atUs)];
    return op === undefined ? null : { opId: op.opId, f: op.f, atUs: op.completeUs!, afterUs: op.completeUs! - atUs };
  }
}

function longestGap(ops: readonly TimelineOp[], oks: readonly TimelineOp[]): UnavailableWindow | null {
  if (ops.length === 0) return null;
  let startUs = Infinity;
  let endUs = -Infinity;
  for (const op of ops) {
    startUs = Math.min(startUs, op.invokeUs);
    endUs = Math.max(endUs, op.completeUs ?? op.invokeUs);
  }
  let best = { startUs, endUs: oks.length > 0 ? oks[0].completeUs! : endUs };
  for (let i = 1; i <= oks.length; i++) {
    const from = oks[i - 1].completeUs!;
    const to = i < oks.length ? oks[i].completeUs! : endUs;
    if (to - from > best.endUs - best.startUs) best = { startUs: from, endUs: to };
  }
  const window: UnavailableWindow = { ...best, durationUs: best.endUs - best.startUs, infoOps: 0, infoOpIds: [], failOps: 0 };
  for (const op of ops) {
    if (op.completeUs === undefined || op.completeUs < window.startUs || op.completeUs > window.endUs) continue;
    if (op.result === 'fail') window.failOps++;
    if (op.result !== 'info') continue;
    window.infoOps++;
    if (window.infoOpIds.length < LISTED_OPS_MAX) window.infoOpIds.push(op.opId);
  }
  return window;
}

/** The first election at or after `atUs` (elections are in time order: a binary search). */
function nextLeader(timeline: Timeline, atUs: number): FaultAvailability['nextLeader'] {
  const e = timeline.elections[firstAtOrAfter(timeline.elections, (x) => x.atUs, atUs)];
  return e === undefined ? null : { node: e.leader, epoch: e.epoch, afterUs: e.atUs - atUs };
}

export function availability(timeline: Timeline): Availability {
  const oks = timeline.ops.filter((op) => op.result === 'ok' && op.completeUs !== undefined).sort((a, b) => a.completeUs! - b.completeUs! || a.opId - b.opId);
  let lastInvokeUs = -Infinity;
  for (const op of timeline.ops) lastInvokeUs = Math.max(lastInvokeUs, op.invokeUs);
  const writes = new FirstSuccessIndex(oks.filter((op) => op.write));
  const reads = new FirstSuccessIndex(oks.filter((op) => !op.write));
  const faults = timeline.faults
    .filter((fault) => fault.startUs <= lastInvokeUs)
    .map((fault) => ({
      kind: fault.kind,
      nodes: fault.nodes,
      atUs: fault.startUs,
      endUs: fault.endUs,
      firstWrite: writes.after(fault.startUs),
      firstRead: reads.after(fault.startUs),
      nextLeader: nextLeader(timeline, fault.startUs),
    }));
  return { faults, longestGap: longestGap(timeline.ops, oks), okOps: oks.length };
}

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

export function describeFault(fault: Pick<FaultAvailability, 'kind' | 'nodes' | 'atUs'>): string {
  return `${fault.kind}${fault.nodes.length > 0 ? ` [${fault.nodes.join(',')}]` : ''} at ${ms(fault.atUs)}`;
}

/** The figures as plain lines (the CLI's `availability` lines, the report, the lab's checks panel). */
export function describeAvailability(figures: Availability): string[] {
  const lines: string[] = [];
  const first = (s: FirstSuccess | null) => (s === null ? 'none' : `${ms(s.afterUs)} (op ${s.opId} ${s.f})`);
  const leader = (l: FaultAvailability['nextLeader']) => (l === null ? 'none' : `${ms(l.afterUs)} (server ${l.node})`);
  for (const fault of figures.faults.slice(0, 6)) lines.push(`${describeFault(fault)}: first write ok after ${first(fault.firstWrite)}, first read ok after ${first(fault.firstRead)}; next leader after ${leader(fault.nextLeader)}`);
  if (figures.faults.length > 6) lines.push(`… ${figures.faults.length - 6} more faults (--json has them all)`);
  const gap = figures.longestGap;
  if (gap === null) lines.push('no client operations');
  else {
    const ids = gap.infoOps === 0 ? '' : ` (op ${gap.infoOpIds.join(', ')}${gap.infoOps > gap.infoOpIds.length ? ', …' : ''})`;
    lines.push(`longest window with no successful operation: ${ms(gap.durationUs)}, ${ms(gap.startUs)} – ${ms(gap.endUs)}; ${gap.infoOps} op(s) ended unknown in it${ids}, ${gap.failOps} failed`);
  }
  return lines;
}

/** A run's figures in brief, as a sweep collects them per seed (times in µs, null: never). */
export interface RunFigures {
  faults: { kind: FaultKind; atUs: number; writeUs: number | null; readUs: number | null; leaderUs: number | null }[];
  gapUs: number | null;
}

export function runFigures(figures: Availability): RunFigures {
  return {
    faults: figures.faults.map((f) => ({ kind: f.kind, atUs: f.atUs, writeUs: f.firstWrite?.afterUs ?? null, readUs: f.firstRead?.afterUs ?? null, leaderUs: f.nextLeader?.afterUs ?? null })),
    gapUs: figures.longestGap?.durationUs ?? null,
  };
}

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN if empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One figure across the runs of a sweep, as its histogram draws it (web/src/histogram.ts). */
export interface FigureDistribution {
  title: string;
  /** One value per run (or per fault), in ms. */
  values: number[];
  /** The percentiles marked: [p, value in ms]. */
  percentiles: [number, number][];
}
