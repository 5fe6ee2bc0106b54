/**
 * A bare client endpoint for protocol tests (ZAB and Paxos alike): it speaks the
 * client wire protocol of sim/client/protocol.ts directly, one request at a time or
 * many, and every request takes a callback that gets the reply, or a timeout after
 * `timeoutUs` of virtual time. The real client library is sim/client/session.ts.
 */
import type { ClientRequest, Message, NodeId } from '../../sim/core/node.js';
import type { ClientBody, ClientNotification, ClientReply, ReadMode } from '../../sim/client/protocol.js';
import type { Cluster } from '../../sim/net/cluster.js';
import type { ZkRequest } from '../../sim/store/types.js';

export type Outcome = { kind: 'reply'; reply: ClientReply } | { kind: 'timeout' };

export class TestClient<M extends Message = Message> {
  readonly id: number;
  sessionId: number | undefined;
  lastZxid = 0;
  private nextRequestId = 1;
  private readonly waiting = new Map<number, (outcome: Outcome) => void>();
  readonly notifications: ClientNotification[] = [];

  constructor(
    readonly cluster: Cluster<M>,
    readonly timeoutUs = 300_000,
    /** The session timeout a connect asks for unless told otherwise. */
    readonly sessionTimeoutUs = 1_000_000,
  ) {
    this.id = cluster.addClient({
      onReply: (_server, req, result) => this.onReply(req, result as ClientReply),
      onNotify: (_server, payload) => this.notifications.push(payload as ClientNotification),
    });
  }

  send(server: NodeId, body: ClientBody, done: (outcome: Outcome) => void = () => {}): number {
    const requestId = this.nextRequestId++;
    this.waiting.set(requestId, done);
    const req: ClientRequest<ClientBody> = { clientId: this.id, requestId, body };
    this.cluster.clientSend(server, req);
    this.cluster.at(this.cluster.nowUs + this.timeoutUs, () => {
      const callback = this.waiting.get(requestId);
      if (callback === undefined) return;
      this.waiting.delete(requestId);
      callback({ kind: 'timeout' });
    });
    return requestId;
  }

  private onReply(req: ClientRequest, reply: ClientReply): void {
    const callback = this.waiting.get(req.requestId);
    if (callback === undefined) return;
    this.waiting.delete(req.requestId);
    if (reply.kind === 'connected') {
      this.sessionId = reply.sessionId;
      this.lastZxid = Math.max(this.lastZxid, reply.zxid);
    } else if (reply.kind === 'result' || reply.kind === 'pong') {
      this.lastZxid = Math.max(this.lastZxid, reply.zxid);
    }
    callback({ kind: 'reply', reply });
  }

  connect(server: NodeId, done?: (outcome: Outcome) => void, timeoutUs = this.sessionTimeoutUs): number {
    return this.send(server, { kind: 'connect', sessionId: this.sessionId, lastZxid: this.lastZxid, timeoutUs }, done);
  }

  /**
   * Sends `req` to `server`. A server with no connection for the session (this client
   * connected elsewhere, or the server restarted) refuses it with CONNECTIONLOSS, as
   * ZooKeeper's client would see its connection drop: the client then connects to that
   * server with its session and sends the request again, once.
   */
  op(server: NodeId, req: ZkRequest, done: (outcome: Outcome) => void = () => {}, readMode?: ReadMode): number {
    if (this.sessionId === undefined) throw new Error('op before connect');
    const body: ClientBody = { kind: 'op', sessionId: this.sessionId, req, readMode };
    return this.send(server, body, (outcome) => {
      if (outcome.kind !== 'reply' || outcome.reply.kind !== 'refused' || outcome.reply.code !== 'CONNECTIONLOSS') return done(outcome);
      this.connect(server, (connected) => {
        if (connected.kind === 'reply' && connected.reply.kind === 'connected') this.send(server, body, done);
        else done(connected);
      });
    });
  }

  ping(server: NodeId, done?: (outcome: Outcome) => void): number {
    if (this.sessionId === undefined) throw new Error('ping before connect');
    return this.send(server, { kind: 'ping', sessionId: this.sessionId }, done);
  }

  get pending(): number {
    return this.waiting.size;
  }
}

/** Runs the cluster until `predicate` holds or `withinUs` of virtual time pass; whether it holds. */
export function runUntil<M extends Message>(cluster: Cluster<M>, predicate: () => boolean, withinUs: number): boolean {
  if (predicate()) return true;
  cluster.run({ untilUs: cluster.nowUs + withinUs, stopWhen: predicate });
  return predicate();
}

export function runFor<M extends Message>(cluster: Cluster<M>, us: number): void {
  cluster.run({ untilUs: cluster.nowUs + us });
}

/** Sends one request and runs the cluster until it is answered or times out. */
export function roundTrip<M extends Message>(client: TestClient<M>, send: (done: (outcome: Outcome) => void) => void, withinUs = 2_000_000): Outcome {
  let outcome: Outcome | undefined;
  send((o) => {
    outcome = o;
  });
  runUntil(client.cluster, () => outcome !== undefined, withinUs);
  if (outcome === undefined) throw new Error('no outcome (not even a timeout) within the run window');
  return outcome;
}

/** A reply's result, "refused:<code>", or "timeout". */
export function resultOf(outcome: Outcome): unknown {
  if (outcome.kind !== 'reply') return 'timeout';
  const reply = outcome.reply;
  if (reply.kind === 'result') return reply.result;
  if (reply.kind === 'refused') return `refused:${reply.code}`;
  return reply;
}
