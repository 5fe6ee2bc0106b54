/**
 * A random workload for the ZAB property tests: clients that connect to a server, issue
 * one request at a time (creates, setData with CAS, deletes, reads in every read mode,
 * syncs, ephemerals), and move to another server when refused or timed out, keeping
 * their session (and opening a new one when it expired). Randomness comes from the
 * cluster's "workload" stream, so a run is a pure function of its seed.
 */
import type { ClientRequest, NodeId } from '../../sim/core/node.js';
import type { Rng } from '../../sim/core/rng.js';
import type { ClientBody, ClientReply, ReadMode } from '../../sim/client/protocol.js';
import type { ZkRequest } from '../../sim/store/types.js';
import type { ZabCluster } from './harness.js';

export interface WorkloadStats {
  invoked: number;
  ok: number;
  failed: number;
  refused: number;
  timedOut: number;
}

const KEYS = ['/k0', '/k1', '/k2', '/k3'];

export class RandomClient {
  readonly id: number;
  sessionId: number | undefined;
  lastZxid = 0;
  server: NodeId;
  private nextRequestId = 1;
  private outstanding: { requestId: number; connect: boolean } | null = null;
  private stopped = false;
  /** Stop issuing new operations at this time (the current one may finish). */
  stopAtUs = Number.POSITIVE_INFINITY;
  readonly stats: WorkloadStats = { invoked: 0, ok: 0, failed: 0, refused: 0, timedOut: 0 };

  constructor(
    readonly cluster: ZabCluster,
    readonly rng: Rng,
    readonly timeoutUs: number,
    readonly thinkUs: number,
  ) {
    this.id = cluster.addClient({
      onReply: (_server, req, result) => this.onReply(req, result as ClientReply),
      onNotify: () => {},
    });
    this.server = rng.int(cluster.size);
  }

  get busy(): boolean {
    return this.outstanding !== null;
  }

  get connected(): boolean {
    return this.sessionId !== undefined;
  }

  start(atUs: number): void {
    this.cluster.at(atUs, () => this.next());
  }

  stop(): void {
    this.stopped = true;
  }

  private send(body: ClientBody, connect: boolean): void {
    const requestId = this.nextRequestId++;
    this.outstanding = { requestId, connect };
    const req: ClientRequest<ClientBody> = { clientId: this.id, requestId, body };
    this.cluster.clientSend(this.server, req);
    this.cluster.at(this.cluster.nowUs + this.timeoutUs, () => {
      if (this.outstanding?.requestId !== requestId) return;
      this.outstanding = null;
      this.stats.timedOut++;
      this.moveServer();
      this.later();
    });
  }

  private moveServer(): void {
    this.server = (this.server + 1 + this.rng.int(this.cluster.size - 1)) % this.cluster.size;
  }

  private later(): void {
    if (this.stopped) return;
    this.cluster.at(this.cluster.nowUs + this.thinkUs + this.rng.int(this.thinkUs + 1), () => this.next());
  }

  /** Issues the next request (connect if needed). */
  next(): void {
    if (this.stopped || this.outstanding !== null) return;
    if (this.sessionId === undefined || this.needsReconnect) {
      this.send({ kind: 'connect', sessionId: this.sessionId, lastZxid: this.lastZxid, timeoutUs: 10_000_000 }, true);
      return;
    }
    if (this.probe === null && this.cluster.nowUs >= this.stopAtUs) return;
    this.stats.invoked++;
    const { req, readMode } = this.probe !== null ? this.probeOp() : this.randomOp();
    this.send({ kind: 'op', sessionId: this.sessionId, req, readMode }, false);
  }

  private needsReconnect = false;
  private probe: { path: string; step: number; done: () => void } | null = null;

  /**
   * The liveness probe: a create of `path` then a sync read of it, retried on refusals
   * and timeouts (moving between servers) until both succeed; then `done`.
   */
  finalProbe(path: string, done: () => void): void {
    this.probe = { path, step: 0, done };
    this.stopped = false;
    this.next();
  }

  private probeOp(): { req: ZkRequest; readMode?: ReadMode } {
    const probe = this.probe!;
    if (probe.step === 0) return { req: { op: 'create', path: probe.path, data: 'final', mode: 'persistent' } };
    return { req: { op: 'getData', path: probe.path }, readMode: 'sync' };
  }

  private randomOp(): { req: ZkRequest; readMode?: ReadMode } {
    const rng = this.rng;
    const path = KEYS[rng.int(KEYS.length)];
    const roll = rng.int(100);
    if (roll < 25) return { req: { op: 'create', path, data: `v${rng.int(100)}`, mode: rng.chance(0.2) ? 'ephemeral' : 'persistent' } };
    if (roll < 45) return { req: { op: 'setData', path, data: `v${rng.int(100)}`, version: rng.chance(0.5) ? -1 : rng.int(3) } };
    if (roll < 55) return { req: { op: 'delete', path, version: -1 } };
    if (roll < 60) return { req: { op: 'create', path: '/seq-', data: 's', mode: 'persistent-sequential' } };
    if (roll < 62) return { req: { op: 'sync', path: '/' } };
    const modes: ReadMode[] = ['local', 'sync', 'quorum'];
    return { req: { op: rng.chance(0.7) ? 'getData' : 'exists', path, watch: rng.chance(0.2) }, readMode: modes[rng.int(3)] };
  }

  private onReply(req: ClientRequest, reply: ClientReply): void {
    if (this.outstanding?.requestId !== req.requestId) return;
    const wasConnect = this.outstanding.connect;
    this.outstanding = null;
    switch (reply.kind) {
      case 'connected':
        this.sessionId = reply.sessionId;
        this.needsReconnect = false;
        this.lastZxid = Math.max(this.lastZxid, reply.zxid);
        break;
      case 'result':
        this.lastZxid = Math.max(this.lastZxid, reply.zxid);
        if (reply.result.ok) this.stats.ok++;
        else this.stats.failed++;
        if (this.probe !== null && (reply.result.ok || (this.probe.step === 0 && reply.result.code === 'NODEEXISTS'))) {
          // A retried create may find its own earlier attempt applied.
          if (++this.probe.step === 2) {
            const done = this.probe.done;
            this.probe = null;
            this.stopped = true;
            done();
            return;
          }
        }
        break;
      case 'pong':
        break;
      case 'refused':
        if (!wasConnect) this.stats.refused++;
        if (reply.code === 'SESSIONEXPIRED') {
          this.sessionId = undefined;
        } else {
          this.needsReconnect = true;
          this.moveServer();
        }
        break;
    }
    this.later();
  }
}
