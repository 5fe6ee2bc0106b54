/**
 * The client-facing side of a ZAB server (sim/client/protocol.ts): ZooKeeper sessions
 * served by the server the client is connected to.
 *
 * - Writes, createSession (connect without a session) and closeSession go to the leader
 *   (a REQUEST from a learner); the connected server answers when it applies the txn.
 * - Reads by `readMode`: `local` from this server's tree as it is (possibly stale; a
 *   session never sees it go back, see BEHIND); `sync` first orders a SYNC through the
 *   leader, answered after everything the leader proposed before it is committed, then
 *   reads locally (ZooKeeper's sync + read; a deposed leader that does not know it yet
 *   can still answer, ZOOKEEPER-1675); `quorum` orders the read itself as a no-op txn and
 *   evaluates it when that txn is applied here.
 * - Per-session FIFO: a session's requests wait in one queue and are answered in the
 *   order received; a read waits behind the session's earlier writes.
 * - Refusals mean "not executed": NOTREADY while the server does not serve (it serves
 *   when LEADING / FOLLOWING / OBSERVING in BROADCAST), BEHIND if the client has seen a
 *   newer zxid than this server's tree, SESSIONEXPIRED for an unknown session. A client
 *   that reconnects with a session is accepted only once the leader says the session is
 *   still open (REVALIDATE, which also touches it): a learner's tree may still hold a
 *   session the leader has expired and is closing.
 * - When the server stops serving, every pending request is dropped without a reply
 *   (its outcome is unknown: the client times out) and connected clients are told
 *   `disconnected`, as a ZooKeeper server closes its client connections. A ping or a
 *   request in a session that has no connection here (closed so, or lost in a restart) is
 *   refused NOTREADY: the client reconnects, with its watches (SetWatches). (A request in
 *   such a session is still served, as if on a new connection: test clients address
 *   servers directly, and a busy client finds out at its next ping.)
 */
import type { ClientRequest, NodeContext, NodeId } from '../core/node.js';
import type { ClientBody, ClientNotification, ClientReply, ReadMode, RefusalCode } from '../client/protocol.js';
import { endSession, grantedTimeout, readNow, refused, setWatches } from '../client/serving.js';
import { isWriteRequest, WatchManager, type DataTree, type WatchEvent, type ZkRequest, type ZkResult } from '../store/index.js';
import type { LogEntry, Route, ZabMessage } from './messages.js';

type EntryKind = 'write' | 'quorum' | 'local' | 'sync' | 'ping';

/** The request a queued ping stands for (never executed: its entry's kind says ping). */
const PING_OP: ZkRequest = { op: 'exists', path: '/' };

interface Pending {
  readonly key: number;
  readonly req: ClientRequest;
  readonly sessionId: number;
  readonly kind: EntryKind;
  readonly op: ZkRequest;
  result: ZkResult | null;
  refusal: RefusalCode | null;
  /** A sync's answer arrived: read now. */
  synced: boolean;
}

/** What the service needs from its server. */
export interface ServiceHost {
  readonly id: NodeId;
  readonly tree: DataTree;
  readonly serving: boolean;
  readonly maxPendingPerSession: number;
  readonly bugs: ReadonlySet<string>;
  /** Sends a request to the leader (or submits it, on the leader). */
  forward(ctx: NodeContext<ZabMessage>, route: Route, req: ZkRequest, quorumRead: boolean): void;
  /** A follower with the applyWritesLocally bug executes a write itself. */
  applyLocally(ctx: NodeContext<ZabMessage>, route: Route, req: ZkRequest): void;
  touch(ctx: NodeContext<ZabMessage>, sessionId: number): void;
  /** Asks the leader whether a reconnecting session is still open (answered through onRevalidated). */
  revalidate(ctx: NodeContext<ZabMessage>, route: Route): void;
}

const NO_TOUCHES: readonly number[] = Object.freeze([]);

/** A request's key: (client, request number) as one number. */
function keyOf(clientId: number, requestId: number): number {
  return clientId * 4_294_967_296 + requestId;
}

export class ClientService {
  readonly watches = new WatchManager();
  private readonly queues = new Map<number, Pending[]>();
  /** Requests waiting for the leader (writes, quorum reads, syncs), by key. */
  private readonly waiting = new Map<number, Pending>();
  /** Connects waiting for their createSession txn, by key. */
  private readonly connecting = new Map<number, ClientRequest>();
  /** Reconnects waiting for the leader's REVALIDATE answer, by key. */
  private readonly revalidating = new Map<number, ClientRequest>();
  /** Sessions whose client is connected here: session → client endpoint. */
  private readonly attached = new Map<number, number>();
  /**
   * Attached sessions → the request number of the connect that made their connection
   * here: a request with a higher number came on that connection (a client numbers its
   * requests in order), a lower one on a connection it gave up.
   */
  private readonly connectedAt = new Map<number, number>();
  private touched = new Set<number>();

  constructor(private readonly host: ServiceHost) {}

  // ---------------------------------------------------------------- requests

  onClient(ctx: NodeContext<ZabMessage>, req: ClientRequest): void {
    const body = req.body as ClientBody;
    switch (body?.kind) {
      case 'connect':
        this.onConnect(ctx, req, body);
        return;
      case 'op':
        this.onOp(ctx, req, body.sessionId, body.req, body.readMode ?? 'local');
        return;
      case 'close':
        this.onOp(ctx, req, body.sessionId, CLOSE_SESSION, 'local');
        return;
      case 'ping':
        this.onPing(ctx, req, body.sessionId);
        return;
      default:
        ctx.reply(req, refused('NOTREADY'));
    }
  }

  private onConnect(ctx: NodeContext<ZabMessage>, req: ClientRequest, body: Extract<ClientBody, { kind: 'connect' }>): void {
    const host = this.host;
    if (!host.serving) return ctx.reply(req, refused('NOTREADY'));
    if (body.lastZxid > host.tree.lastProcessedZxid) return ctx.reply(req, refused('BEHIND'));
    const key = keyOf(req.clientId, req.requestId);
    if (body.sessionId !== undefined) {
      // ZooKeeper's learner does not trust its own tree: the leader's session tracker
      // decides (REVALIDATE), and touches the session as it does.
      this.revalidating.set(key, req);
      host.revalidate(ctx, { server: host.id, clientId: req.clientId, requestId: req.requestId, sessionId: body.sessionId });
      return;
    }
    this.connecting.set(key, req);
    const route: Route = { server: host.id, clientId: req.clientId, requestId: req.requestId, sessionId: 0 };
    host.forward(ctx, route, { op: 'createSession', timeoutUs: body.timeoutUs }, false);
  }

  private attach(ctx: NodeContext<ZabMessage>, sessionId: number, clientId: number): void {
    this.attached.set(sessionId, clientId);
    this.touched.add(sessionId);
    this.host.touch(ctx, sessionId);
  }

  private onOp(ctx: NodeContext<ZabMessage>, req: ClientRequest, sessionId: number, op: ZkRequest, readMode: ReadMode): void {
    const host = this.host;
    if (!host.serving) return ctx.reply(req, refused('NOTREADY'));
    let queue = this.queues.get(sessionId);
    if (queue !== undefined && queue.length >= host.maxPendingPerSession) return ctx.reply(req, refused('NOTREADY'));
    const kind: EntryKind = isWriteRequest(op) ? 'write' : op.op === 'sync' || readMode === 'sync' ? 'sync' : readMode === 'quorum' ? 'quorum' : 'local';
    const entry: Pending = { key: keyOf(req.clientId, req.requestId), req, sessionId, kind, op, result: null, refusal: null, synced: false };
    if (queue === undefined) {
      queue = [];
      this.queues.set(sessionId, queue);
    }
    queue.push(entry);
    if (!host.tree.hasSession(sessionId)) {
      entry.refusal = 'SESSIONEXPIRED';
    } else if (!this.attached.has(sessionId)) {
      // No connection here (this server restarted, or closed its connections when it
      // stopped serving): ZooKeeper's client would have seen the connection drop and
      // reconnected, sending its watches (SetWatches). Served as if connected, the
      // session would lose the watches this server forgot, and a change would never be
      // told to its client; refused, the client reconnects.
      entry.refusal = 'CONNECTIONLOSS';
    } else {
      this.attach(ctx, sessionId, req.clientId);
      if (kind !== 'local') {
        this.waiting.set(entry.key, entry);
        const route: Route = { server: host.id, clientId: req.clientId, requestId: req.requestId, sessionId };
        if (kind === 'write' && host.bugs.has('applyWritesLocally')) host.applyLocally(ctx, route, op);
        else host.forward(ctx, route, kind === 'sync' ? SYNC_REQUEST : op, kind === 'quorum');
      }
    }
    this.drain(ctx, sessionId);
  }

  private onPing(ctx: NodeContext<ZabMessage>, req: ClientRequest, sessionId: number): void {
    const host = this.host;
    if (!host.serving) return ctx.reply(req, refused('NOTREADY'));
    if (!host.tree.hasSession(sessionId)) return ctx.reply(req, refused('SESSIONEXPIRED'));
    // No connection here (this server restarted, or closed its connections when it stopped
    // serving): ZooKeeper's client would have seen the connection drop and reconnected.
    if (!this.attached.has(sessionId)) return ctx.reply(req, refused('NOTREADY'));
    this.attach(ctx, sessionId, req.clientId);
    // The ping touched the session at once; its answer waits behind the session's
    // requests, as ZooKeeper's CommitProcessor holds a ping (a read) behind the
    // session's pending writes: a client whose write is stuck hears nothing and, past
    // its read timeout, drops the connection (ClientCnxn).
    const queue = this.queues.get(sessionId);
    if (queue !== undefined && queue.length > 0) {
      queue.push({ key: keyOf(req.clientId, req.requestId), req, sessionId, kind: 'ping', op: PING_OP, result: null, refusal: null, synced: false });
      return;
    }
    const reply: ClientReply = { kind: 'pong', zxid: host.tree.lastProcessedZxid };
    ctx.reply(req, reply);
  }

  // ---------------------------------------------------------------- outcomes

  /** A committed txn was applied to this server's tree (never called for replays). */
  onApplied(ctx: NodeContext<ZabMessage>, entry: LogEntry, result: ZkResult, events: readonly WatchEvent[]): void {
    if (events.length > 0) {
      for (const fired of this.watches.trigger(events)) {
        const clientId = this.attached.get(fired.sessionId);
        if (clientId === undefined) continue;
        const note: ClientNotification = { kind: 'watch', path: fired.path, type: fired.type, zxid: entry.zxid };
        ctx.notifyClient(clientId, note);
      }
    }
    const txn = entry.txn;
    const route = entry.route;
    const mine = route !== undefined && route.server === this.host.id;
    if (txn.type === 'closeSession') this.sessionClosed(ctx, txn.sessionId, mine && route.sessionId === txn.sessionId);
    if (!mine) return;
    const key = keyOf(route.clientId, route.requestId);
    if (route.sessionId === 0) {
      const req = this.connecting.get(key);
      if (req === undefined) return;
      this.connecting.delete(key);
      if (txn.type !== 'createSession') return ctx.reply(req, refused('NOTREADY'));
      this.attach(ctx, txn.sessionId, req.clientId);
      this.connectedAt.set(txn.sessionId, req.requestId);
      const reply: ClientReply = { kind: 'connected', sessionId: txn.sessionId, zxid: this.host.tree.lastProcessedZxid, timeoutUs: txn.timeoutUs };
      return ctx.reply(req, reply);
    }
    if (!result.ok && result.code === 'SESSIONMOVED') return this.closeMovedConnection(ctx, route, entry.zxid);
    const pending = this.waiting.get(key);
    if (pending === undefined) return;
    this.waiting.delete(key);
    pending.result = entry.read !== undefined && result.ok ? this.readNow(pending) : result;
    this.drain(ctx, pending.sessionId);
  }

  /**
   * A write of ours was refused because its session moved to another server: "session
   * moved is a connection level error" (FinalRequestProcessor), so instead of answering,
   * this server closes that client's connection. The client sees a lost connection (the
   * write, an error txn, changed nothing: refused CONNECTIONLOSS), reconnects and learns
   * what it needs on its new server (ZOOKEEPER-710).
   */
  private closeMovedConnection(ctx: NodeContext<ZabMessage>, route: Route, zxid: number): void {
    const pending = this.waiting.get(keyOf(route.clientId, route.requestId));
    // Only the connection the write came on closes (FinalRequestProcessor closes
    // request.cnxn): its client may have come back here on a new connection since, whose
    // watches (sent again with SetWatches) must stay.
    const attachedHere = this.attached.get(route.sessionId) === route.clientId && route.requestId > (this.connectedAt.get(route.sessionId) ?? -1);
    ctx.record('session-moved', { session: route.sessionId, client: route.clientId, request: route.requestId, zxid, where: 'closed', pending: pending !== undefined });
    ctx.note(`closes the connection of client ${route.clientId}: its write (request ${route.requestId}) was refused, session ${route.sessionId} moved to another server (SESSIONMOVED)`);
    if (attachedHere) {
      // The connection's watches close with it; the client sends them again (SetWatches).
      this.watches.removeSession(route.sessionId);
      this.attached.delete(route.sessionId);
      this.connectedAt.delete(route.sessionId);
      this.touched.delete(route.sessionId);
    }
    if (pending === undefined) return;
    this.waiting.delete(pending.key);
    pending.refusal = 'CONNECTIONLOSS';
    this.drain(ctx, pending.sessionId);
  }

  /** The leader's answer to a reconnect with an existing session. */
  onRevalidated(ctx: NodeContext<ZabMessage>, route: Route, valid: boolean): void {
    const key = keyOf(route.clientId, route.requestId);
    const req = this.revalidating.get(key);
    if (req === undefined) return;
    this.revalidating.delete(key);
    if (!this.host.serving) return ctx.reply(req, refused('NOTREADY'));
    if (!valid) return ctx.reply(req, refused('SESSIONEXPIRED'));
    this.attach(ctx, route.sessionId, req.clientId);
    this.connectedAt.set(route.sessionId, req.requestId);
    const reply: ClientReply = { kind: 'connected', sessionId: route.sessionId, zxid: this.host.tree.lastProcessedZxid, ...grantedTimeout(this.host.tree.sessions.get(route.sessionId)) };
    ctx.reply(req, reply);
    const body = req.body as Extract<ClientBody, { kind: 'connect' }>;
    setWatches(ctx, this.host.tree, this.watches, route.sessionId, req.clientId, body.lastZxid, body.watches);
  }

  /** The leader answered a sync: everything it proposed before is applied here now. */
  onSyncDone(ctx: NodeContext<ZabMessage>, route: Route): void {
    const key = keyOf(route.clientId, route.requestId);
    const pending = this.waiting.get(key);
    if (pending === undefined || pending.kind !== 'sync') return;
    this.waiting.delete(key);
    pending.synced = true;
    this.drain(ctx, pending.sessionId);
  }

  private sessionClosed(ctx: NodeContext<ZabMessage>, sessionId: number, closedByItsClient: boolean): void {
    this.touched.delete(sessionId);
    this.connectedAt.delete(sessionId);
    endSession(ctx, this.watches, this.attached, sessionId, closedByItsClient);
  }

  // ---------------------------------------------------------------- replies in order

  private drain(ctx: NodeContext<ZabMessage>, sessionId: number): void {
    const queue = this.queues.get(sessionId);
    if (queue === undefined) return;
    const tree = this.host.tree;
    let answered = 0;
    while (answered < queue.length) {
      const entry = queue[answered];
      let reply: ClientReply;
      if (entry.refusal !== null) reply = refused(entry.refusal);
      else if (entry.result !== null) reply = { kind: 'result', result: entry.result, zxid: tree.lastProcessedZxid };
      else if (entry.kind === 'local' || (entry.kind === 'sync' && entry.synced)) reply = { kind: 'result', result: this.readNow(entry), zxid: tree.lastProcessedZxid };
      else if (entry.kind === 'ping') {
        // Its connection closed meanwhile (its session ended, or moved away): no answer, as
        // ZooKeeper answers nothing on a closed connection.
        answered++;
        if (this.attached.get(sessionId) === entry.req.clientId) ctx.reply(entry.req, { kind: 'pong', zxid: tree.lastProcessedZxid });
        continue;
      } else break;
      answered++;
      ctx.reply(entry.req, reply);
    }
    if (answered === queue.length) this.queues.delete(sessionId);
    else if (answered > 0) queue.splice(0, answered);
  }

  private readNow(entry: Pending): ZkResult {
    return readNow(this.host.tree, this.watches, entry.sessionId, entry.op);
  }

  // ---------------------------------------------------------------- serving

  startServing(_ctx: NodeContext<ZabMessage>): void {
    // Nothing pending can exist here: everything was dropped when serving stopped.
  }

  /**
   * The server left BROADCAST: drop every pending request (no reply: the client cannot
   * know whether a forwarded write will commit) and close the client connections.
   */
  stopServing(ctx: NodeContext<ZabMessage>): void {
    const notice: ClientNotification = { kind: 'disconnected' };
    const clients = new Set<number>(this.attached.values());
    for (const req of this.connecting.values()) clients.add(req.clientId);
    for (const req of this.revalidating.values()) clients.add(req.clientId);
    for (const queue of this.queues.values()) for (const entry of queue) clients.add(entry.req.clientId);
    for (const clientId of [...clients].sort((a, b) => a - b)) ctx.notifyClient(clientId, notice);
    this.queues.clear();
    this.waiting.clear();
    this.connecting.clear();
    this.revalidating.clear();
    this.attached.clear();
    this.connectedAt.clear();
    this.touched = new Set();
    this.watches.clear();
  }

  /** Sessions touched since the last call (a follower sends them with its PING answer). */
  takeTouches(): readonly number[] | undefined {
    if (this.touched.size === 0) return undefined;
    const touches = [...this.touched];
    this.touched = new Set();
    return touches.length === 0 ? NO_TOUCHES : touches;
  }

  get pendingCount(): number {
    return this.waiting.size + this.connecting.size + this.revalidating.size;
  }
}

const CLOSE_SESSION: ZkRequest = Object.freeze({ op: 'closeSession' });
const SYNC_REQUEST: ZkRequest = Object.freeze({ op: 'sync', path: '/' });

