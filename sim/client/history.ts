/**
 * The run's client history, Jepsen-style (see sim/check/lin/history.ts for the
 * semantics): every operation is an `invoke` followed by `ok`, `fail` (definitely not
 * applied) or `info` (unknown: it may take effect later, or never; the process then
 * retires and the client continues under a fresh process id). Each event is also
 * recorded in the trace (`invoke` / `complete`) so the lab draws operations.
 */
import type { HistoryEvent } from '../check/lin/history.js';
import type { TraceRecorder } from '../core/trace.js';
import type { ReadMode } from './protocol.js';

export interface OpRecord {
  opId: number;
  client: number;
  process: number;
  f: string;
  value: unknown;
  /** Read mode for reads (local reads are not linearizable in ZooKeeper). */
  readMode?: ReadMode;
  invokeUs: number;
  completeUs?: number;
  /**
   * Sync reads: the request on the wire (client endpoint, request id), which the leader's
   * `sync-answer` record names, so that a sync answered by a deposed leader is known.
   */
  wire?: { endpoint: number; request: number };
  result?: 'ok' | 'fail' | 'info';
  output?: unknown;
  /** Server the request went to. */
  server: number;
  /**
   * An answered call: the zxid (ZAB) or log index (Paxos) its answer carried, where it
   * took effect (a write's own txn, a read's last applied one). Not in the trace's events;
   * the run keeps it in the trace's meta (`opEffects`) and hands it to the checker.
   */
  effectAt?: number;
}

export class History {
  readonly ops: OpRecord[] = [];
  readonly events: HistoryEvent[] = [];
  /** The operation each event belongs to (parallel to events). */
  private readonly eventOps: number[] = [];
  constructor(private readonly trace: TraceRecorder) {}

  invoke(nowUs: number, client: number, process: number, server: number, f: string, value: unknown, readMode?: ReadMode, wire?: OpRecord['wire']): OpRecord {
    const op: OpRecord = { opId: this.ops.length, client, process, f, value, readMode, invokeUs: nowUs, server };
    if (wire !== undefined) op.wire = wire;
    this.ops.push(op);
    this.events.push({ type: 'invoke', process, f, value, timeUs: nowUs, index: this.events.length });
    this.eventOps.push(op.opId);
    const data: Record<string, unknown> = { client, process, opId: op.opId, f, value, readMode };
    if (wire !== undefined) {
      data.endpoint = wire.endpoint;
      data.request = wire.request;
    }
    this.trace.add(nowUs, server, 'invoke', data);
    return op;
  }

  complete(nowUs: number, op: OpRecord, result: 'ok' | 'fail' | 'info', output: unknown, effectAt?: number): void {
    if (op.result !== undefined) throw new Error(`operation ${op.opId} completed twice`);
    op.result = result;
    op.output = output;
    op.completeUs = nowUs;
    const event: HistoryEvent = { type: result, process: op.process, f: op.f, value: output, timeUs: nowUs, index: this.events.length };
    if (effectAt !== undefined && result === 'ok') event.effectAt = op.effectAt = effectAt;
    this.events.push(event);
    this.eventOps.push(op.opId);
    this.trace.add(nowUs, op.server, 'complete', { client: op.client, process: op.process, opId: op.opId, f: op.f, value: output, result });
  }

  /**
   * The run is over: every operation still pending ends as `info` (its outcome is
   * unknown: it may have taken effect, or not), as Jepsen closes a history.
   */
  closePending(nowUs: number): number {
    let closed = 0;
    for (const op of this.ops) {
      if (op.result === undefined) {
        this.complete(nowUs, op, 'info', 'run ended');
        closed++;
      }
    }
    return closed;
  }

  get pending(): number {
    let count = 0;
    for (const op of this.ops) if (op.result === undefined) count++;
    return count;
  }

  /**
   * The events of the operations that `keep` selects, in order (both halves of each
   * operation). Used to check writes plus linearizable reads only.
   */
  select(keep: (op: OpRecord) => boolean): HistoryEvent[] {
    const result: HistoryEvent[] = [];
    for (let i = 0; i < this.events.length; i++) if (keep(this.ops[this.eventOps[i]])) result.push(this.events[i]);
    return result;
  }
}
