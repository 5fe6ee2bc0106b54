/**
 * A small closed-loop workload for Paxos tests and the benchmark: each client holds a
 * session, issues one operation at a time on a few keys, and records a Jepsen-style
 * history (invoke, then ok / fail / info) in the format of the linearizability
 * checker's znode model. Only writes and reads whose mode is linearizable in this
 * implementation (`quorum`, `sync`) enter the history; `local` reads are served but not
 * recorded (they are sequentially consistent, not linearizable).
 */
import type { Rng } from '../../sim/core/rng.js';
import type { NodeId } from '../../sim/core/node.js';
import type { ReadMode } from '../../sim/client/protocol.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import type { Cluster } from '../../sim/net/cluster.js';
import type { ZkRequest, ZkResult } from '../../sim/store/types.js';
import type { PaxosMessage } from '../../sim/paxos/index.js';
import { TestClient, type Outcome } from './harness.js';

export interface WorkloadOptions {
  clients: number;
  keys: readonly string[];
  readModes: readonly ReadMode[];
  /** Fraction of operations that are reads. */
  readFraction: number;
  opTimeoutUs: number;
  thinkUsMax: number;
  /** No new operation starts after this time. */
  stopAtUs: number;
  sessionTimeoutUs: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  clients: 3,
  keys: ['/a', '/b'],
  readModes: ['quorum', 'sync', 'local'],
  readFraction: 0.4,
  opTimeoutUs: 100_000,
  thinkUsMax: 3_000,
  stopAtUs: Number.POSITIVE_INFINITY,
  sessionTimeoutUs: 10_000_000,
};

interface Process {
  readonly index: number;
  readonly client: TestClient;
  pid: number;
  generation: number;
  server: NodeId;
  connected: boolean;
}

export class Workload {
  readonly history: HistoryEvent[] = [];
  okCount = 0;
  failCount = 0;
  infoCount = 0;
  private readonly processes: Process[];
  private readonly options: WorkloadOptions;

  constructor(
    readonly cluster: Cluster<PaxosMessage>,
    readonly rng: Rng,
    options: Partial<WorkloadOptions> = {},
  ) {
    this.options = { ...DEFAULT_WORKLOAD, ...options };
    this.processes = Array.from({ length: this.options.clients }, (_, index) => ({
      index,
      client: new TestClient(cluster, this.options.opTimeoutUs),
      pid: index * 1_000,
      generation: 0,
      server: index % cluster.size,
      connected: false,
    }));
  }

  start(atUs = 0): void {
    for (const process of this.processes) this.cluster.at(atUs + this.rng.int(this.options.thinkUsMax + 1), () => this.step(process));
  }

  private later(process: Process, delayUs: number): void {
    const atUs = this.cluster.nowUs + delayUs;
    if (atUs >= this.options.stopAtUs) return;
    this.cluster.at(atUs, () => this.step(process));
  }

  private step(process: Process): void {
    if (this.cluster.nowUs >= this.options.stopAtUs) return;
    if (!process.connected) return this.connect(process);
    this.operate(process);
  }

  private connect(process: Process): void {
    process.client.connect(
      process.server,
      (outcome) => {
        if (outcome.kind === 'reply' && outcome.reply.kind === 'connected') {
          process.connected = true;
          this.later(process, 1);
          return;
        }
        if (outcome.kind === 'reply' && outcome.reply.kind === 'refused' && outcome.reply.code === 'SESSIONEXPIRED') {
          process.client.sessionId = undefined;
        }
        process.server = this.rng.int(this.cluster.size);
        this.later(process, 1_000 + this.rng.int(this.options.thinkUsMax + 1));
      },
      this.options.sessionTimeoutUs,
    );
  }

  private operate(process: Process): void {
    const rng = this.rng;
    const path = rng.pick(this.options.keys);
    const isRead = rng.chance(this.options.readFraction);
    let req: ZkRequest;
    let readMode: ReadMode | undefined;
    let f: string;
    let value: unknown;
    if (isRead) {
      req = { op: 'getData', path };
      readMode = rng.pick(this.options.readModes);
      f = 'getData';
      value = { path };
    } else if (rng.chance(0.3)) {
      const data = `c${process.pid}.${rng.int(1000)}`;
      req = { op: 'create', path, data, mode: 'persistent' };
      f = 'create';
      value = { path, data };
    } else {
      const data = `s${process.pid}.${rng.int(1000)}`;
      const version = rng.chance(0.5) ? -1 : rng.int(4);
      req = { op: 'setData', path, data, version };
      f = 'setData';
      value = { path, data, version };
    }
    const recorded = readMode === undefined || readMode !== 'local';
    const pid = process.pid;
    if (recorded) this.history.push({ type: 'invoke', process: pid, f, value, timeUs: this.cluster.nowUs });
    process.client.op(process.server, req, (outcome) => this.complete(process, pid, f, recorded, outcome), readMode);
  }

  private complete(process: Process, pid: number, f: string, recorded: boolean, outcome: Outcome): void {
    const timeUs = this.cluster.nowUs;
    if (outcome.kind === 'timeout') {
      this.infoCount++;
      if (recorded) this.history.push({ type: 'info', process: pid, f, value: null, timeUs });
      // A process whose operation is indeterminate never invokes again: a new one takes over.
      process.generation++;
      process.pid = process.index * 1_000 + process.generation;
      process.connected = false;
      process.server = this.rng.int(this.cluster.size);
    } else if (outcome.reply.kind === 'result' && !isDefiniteFailure(outcome.reply.result)) {
      this.okCount++;
      if (recorded) this.history.push({ type: 'ok', process: pid, f, value: outcome.reply.result, timeUs });
    } else {
      this.failCount++;
      if (recorded) this.history.push({ type: 'fail', process: pid, f, value: null, timeUs });
      if (outcome.reply.kind === 'refused') {
        if (outcome.reply.code === 'SESSIONEXPIRED') process.client.sessionId = undefined;
        process.connected = false;
        process.server = this.rng.int(this.cluster.size);
      }
    }
    // At least 1 µs: the checker orders an invocation before a completion at the same instant.
    this.later(process, 1 + this.rng.int(this.options.thinkUsMax + 1));
  }

  /** Operations still waiting for an answer (their invocations need an info completion). */
  closeHistory(): HistoryEvent[] {
    const open = new Map<number | string, HistoryEvent>();
    for (const event of this.history) {
      if (event.type === 'invoke') open.set(event.process, event);
      else open.delete(event.process);
    }
    const closed = this.history.slice();
    for (const event of open.values()) closed.push({ type: 'info', process: event.process, f: event.f, value: null, timeUs: this.cluster.nowUs });
    return closed;
  }
}

/** A result that says "not executed" (the session was gone): a definite failure. */
function isDefiniteFailure(result: ZkResult): boolean {
  return !result.ok && result.code === 'SESSIONEXPIRED';
}
