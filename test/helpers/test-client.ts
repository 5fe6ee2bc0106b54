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

  op(server: NodeId, req: ZkRequest, done?: (outcome: Outcome) => void, readMode?: ReadMode): number {
    if (this.sessionId === undefined) throw new Error('op before connect');
    return this.send(server, { kind: 'op', sessionId: this.sessionId, req, readMode }, done);
  }

  ping(server: NodeId, done?: (outcome: Outcome) => void): number {
    if (this.sessionId === undefined) throw new Error('ping before connect');
    return this.send(server, { kind: 'ping', sessionId: this.sessionId }, done);
  }

  get pending(): number {
    return this.waiting.size;
  }
}
