/**
 * A run's timeline, read from its trace: every client operation (invoked, completed,
 * with its outcome), every fault as a window on the time axis, and every election. It
 * is what the availability figures (availability.ts) are computed from and what the
 * latency, throughput and fault plots draw (web/src/plots.ts), in the CLI, the lab and
 * the HTML report alike; it is a pure function of the trace events.
 *
 * Faults are the actions that take service away: `crash`, `pause`, `partition` (cuts
 * included), `clog`, and a `net` change that sets a loss or duplication rate above zero.
 * Servers crashed (or paused) at one instant are one fault, as the clogged links of one
 * clog are. A window ends when the fault is undone — the server restarts or resumes, the
 * network heals (or is partitioned anew), the clog's time is up, the rate is set back —
 * or stays open (`endUs` null) until the end of the trace.
 */
import type { TraceEvent } from '../core/trace.js';

/** The functions that read the tree; every other operation (setData, create, delete, cas, acquire, release) writes. */
export const READ_FUNCTIONS: ReadonlySet<string> = new Set(['getData', 'exists', 'getChildren', 'read']);

export type OpOutcome = 'ok' | 'fail' | 'info';

export interface TimelineOp {
  opId: number;
  client: number;
  f: string;
  /** Whether `f` reads or writes (READ_FUNCTIONS). */
  write: boolean;
  readMode?: string;
  /** The server the request went to. */
  server: number;
  invokeUs: number;
  invokeSeq: number;
  /** Absent while the operation is still pending (a trace cut short). */
  completeUs?: number;
  completeSeq?: number;
  result?: OpOutcome;
}

export type FaultKind = 'crash' | 'pause' | 'partition' | 'clog' | 'loss' | 'duplicate';

export interface FaultWindow {
  kind: FaultKind;
  /** The servers it hit (the isolated side of a partition: the servers cut off from another). */
  nodes: number[];
  startUs: number;
  /** The event that started it. */
  seq: number;
  /** When it was undone; null if it lasts to the end of the trace. */
  endUs: number | null;
  /** For loss and duplication: the rate. */
  rate?: number;
}

export interface ElectionMark {
  atUs: number;
  seq: number;
  leader: number;
  epoch: number;
}

export interface Timeline {
  ops: TimelineOp[];
  faults: FaultWindow[];
  elections: ElectionMark[];
  /** The time of the last event. */
  endUs: number;
}

/**
 * Folds trace events into a timeline, one event at a time (a trace listener during a
 * run, or a loop over a trace file). Message events are not needed and can be skipped.
 */
export class TimelineRecorder {
  private readonly ops: TimelineOp[] = [];
  private readonly opIndex = new Map<number, TimelineOp>();
  private readonly faults: FaultWindow[] = [];
  private readonly elections: ElectionMark[] = [];
  /** Open crash / pause windows per server. */
  private readonly openNode = new Map<string, FaultWindow>();
  private openPartition: FaultWindow | null = null;
  private openLoss: FaultWindow | null = null;
  private openDuplicate: FaultWindow | null = null;
  private endUs = 0;

  observe(event: TraceEvent): void {
    if (event.timeUs > this.endUs) this.endUs = event.timeUs;
    switch (event.kind) {
      case 'invoke':
        return this.invoke(event);
      case 'complete':
        return this.complete(event);
      case 'crash':
      case 'pause':
        return this.nodeDown(event.kind, event);
      case 'restart':
        return this.close(this.openNode, `crash:${event.node}`, event.timeUs);
      case 'resume':
        return this.close(this.openNode, `pause:${event.node}`, event.timeUs);
      case 'partition':
        return this.partition(event);
      case 'heal':
        this.endPartition(event.timeUs);
        return;
      case 'clog':
        return this.clog(event);
      case 'net':
        return this.net(event);
      case 'election':
        this.elections.push({ atUs: event.timeUs, seq: event.seq, leader: Number(event.leader), epoch: Number(event.epoch ?? 0) });
        return;
    }
  }

  timeline(): Timeline {
    return { ops: this.ops, faults: this.faults, elections: this.elections, endUs: this.endUs };
  }

  private invoke(event: TraceEvent): void {
    const f = String(event.f);
    const op: TimelineOp = { opId: Number(event.opId), client: Number(event.client), f, write: !READ_FUNCTIONS.has(f), server: event.node, invokeUs: event.timeUs, invokeSeq: event.seq };
    if (typeof event.readMode === 'string') op.readMode = event.readMode;
    this.ops.push(op);
    this.opIndex.set(op.opId, op);
  }

  private complete(event: TraceEvent): void {
    const op = this.opIndex.get(Number(event.opId));
    if (op === undefined || op.result !== undefined) return;
    op.completeUs = event.timeUs;
    op.completeSeq = event.seq;
    op.result = event.result as OpOutcome;
    this.opIndex.delete(op.opId);
  }

  /** A fault starting now: joins one of the same kind started at this instant, or opens a new window. */
  private start(kind: FaultKind, event: TraceEvent, nodes: readonly number[]): FaultWindow {
    const last = this.faults[this.faults.length - 1];
    if (last !== undefined && last.kind === kind && last.startUs === event.timeUs && kind !== 'partition' && kind !== 'loss' && kind !== 'duplicate') {
      for (const n of nodes) if (!last.nodes.includes(n)) last.nodes.push(n);
      return last;
    }
    const window: FaultWindow = { kind, nodes: [...nodes], startUs: event.timeUs, seq: event.seq, endUs: null };
    this.faults.push(window);
    return window;
  }

  private nodeDown(kind: 'crash' | 'pause', event: TraceEvent): void {
    const window = this.start(kind, event, [event.node]);
    this.openNode.set(`${kind}:${event.node}`, window);
  }

  /** A window of several servers ends when the last of them comes back. */
  private close(open: Map<string, FaultWindow>, key: string, atUs: number): void {
    const window = open.get(key);
    if (window === undefined) return;
    open.delete(key);
    for (const w of open.values()) if (w === window) return;
    window.endUs = atUs;
  }

  private partition(event: TraceEvent): void {
    this.endPartition(event.timeUs);
    const cuts = (event.cuts as [number, number][] | undefined) ?? [];
    const groups = event.groups as number[][] | undefined;
    // The isolated side: a partition's first group (the minority as scenarios write it), else the cut-off receivers.
    const nodes = groups !== undefined && groups.length > 0 ? groups[0] : [...new Set(cuts.map(([, to]) => to))].sort((a, b) => a - b);
    if (cuts.length === 0) return;
    this.openPartition = this.start('partition', event, nodes);
  }

  private endPartition(atUs: number): void {
    if (this.openPartition !== null) this.openPartition.endUs = atUs;
    this.openPartition = null;
  }

  private clog(event: TraceEvent): void {
    const untilUs = Number(event.untilUs);
    const window = this.start('clog', event, [Number(event.from), Number(event.to)]);
    window.endUs = Math.max(window.endUs ?? 0, untilUs);
  }

  private net(event: TraceEvent): void {
    for (const [field, kind] of [['lossRate', 'loss'], ['dupRate', 'duplicate']] as const) {
      const rate = event[field];
      if (typeof rate !== 'number') continue;
      const open = kind === 'loss' ? this.openLoss : this.openDuplicate;
      if (open !== null) open.endUs = event.timeUs;
      let next: FaultWindow | null = null;
      if (rate > 0) {
        next = this.start(kind, event, []);
        next.rate = rate;
      }
      if (kind === 'loss') this.openLoss = next;
      else this.openDuplicate = next;
    }
  }
}

/** The timeline of a finished trace. */
export function timelineFromEvents(events: Iterable<TraceEvent>): Timeline {
  const recorder = new TimelineRecorder();
  for (const event of events) recorder.observe(event);
  return recorder.timeline();
}
