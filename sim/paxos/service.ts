/**
 * The client-facing side of a Paxos server: ZooKeeper sessions over the replicated log,
 * serving the same wire protocol as ZAB (sim/client/protocol.ts) so that histories of
 * both protocols are checked alike.
 *
 * - Writes (and session open / close) are forwarded to the leader, which turns them
 *   into txns and proposes them in slots; the server holding the client's connection
 *   answers when it applies that slot.
 * - Reads, by `readMode`:
 *   - `local`: from this replica's tree, as it is now (may be stale, never goes back
 *     for a session: see BEHIND);
 *   - `sync`: read-index. The leader notes its last proposed slot, confirms with a
 *     heartbeat round that a quorum still accepts its ballot (so no newer leader can
 *     have chosen anything it does not know of), and answers that slot; this server
 *     reads once it has applied up to it. Unlike ZooKeeper's sync (ZOOKEEPER-1675), a
 *     deposed leader cannot confirm, so sync reads are linearizable here;
 *   - `quorum`: the read itself takes a slot like a write and is answered when this
 *     server applies it: linearizable, at the price of a consensus round.
 * - Per-session FIFO: every request of a session waits in the session's queue and
 *   replies leave in request order; a read waits behind the session's earlier writes.
 * - Session ownership (sessions.ts, SessionOwners): a reconnect with a session is a
 *   `move` command through the leader, and the client is told it is connected when this
 *   server applies it, so everything chosen before is applied here first, and a write
 *   still on its way through the connection the client gave up is refused when it is
 *   applied (SESSIONMOVED): the server holding that connection closes it instead of
 *   answering (ZooKeeper's FinalRequestProcessor), the client sees a lost connection.
 * - Sessions: a connect, request or ping touches the session; this server reports its
 *   touches in every heartbeat ack until the leader confirmed them (sessions.ts), and
 *   the leader, which alone decides expiry, proposes closeSession for silent sessions.
 * - Refusals (NOTREADY, BEHIND, SESSIONEXPIRED) mean "not executed"; a request whose
 *   forward, slot or answer may have been lost is dropped without a reply (the client
 *   times out and records an indeterminate outcome) — when this server's view of the
 *   leader changes, or after `requestTimeoutUs`.
 */
import type { ClientRequest, NodeContext, NodeId } from '../core/node.js';
import type { ClientBody, ClientNotification, ClientReply, ReadMode, RefusalCode } from '../client/protocol.js';
import { endSession, grantedTimeout, readNow, refused, setWatches } from '../client/serving.js';
import { FAIL, isWriteRequest, WatchManager, type DataTree, type ZkRequest, type ZkResult } from '../store/index.js';
import type { CommandOutcome } from './apply.js';
import type { PaxosConfig } from './config.js';
import { connectionKey, type Command, type MoveSessionRequest, type PaxosMessage, type Route } from './messages.js';
import { TouchReports, type SessionOwners } from './sessions.js';

type EntryKind = 'write' | 'quorum' | 'local' | 'sync' | 'close' | 'ping';

/** The request a queued ping stands for (never executed: its entry's kind says ping). */
const PING_OP: ZkRequest = { op: 'exists', path: '/' };

interface Entry {
  readonly key: number;
  readonly req: ClientRequest;
  readonly sessionId: number;
  readonly kind: EntryKind;
  /** The data-tree request (a read to evaluate later, or the forwarded write). */
  readonly op: ZkRequest;
  readonly deadlineUs: number;
  result: ZkResult | null;
  refusal: RefusalCode | null;
  /** Sync reads: the slot to reach before reading; -1 until the leader confirmed. */
  readIndex: number;
}

interface Connecting {
  readonly req: ClientRequest;
  readonly deadlineUs: number;
  /** A reconnect: its move, resent (see resendMoves) until applied here. */
  readonly move?: Route;
  sentUs: number;
}

/** What the service needs from its node. */
export interface ServiceHost {
  readonly tree: DataTree;
  readonly owners: SessionOwners;
  readonly lastApplied: number;
  readonly leader: NodeId | null;
  forward(ctx: NodeContext<PaxosMessage>, route: Route, req: ZkRequest | MoveSessionRequest, readMode?: ReadMode): void;
  requestSync(ctx: NodeContext<PaxosMessage>, clientId: number, requestId: number): void;
}

const MAX_CONNECTING = 1_024;

const MOVE_SESSION: MoveSessionRequest = Object.freeze({ op: 'moveSession' });

/**
 * A request's identity, (client, request number) as one number, as connectionKey makes
 * it: a map keyed by it hashes a number where a "client:request" string cost two number
 * formattings, a concatenation and a string hash per request (twice per write).
 */
export function requestKey(clientId: number, requestId: number): number {
  return connectionKey(clientId, requestId);
}

export class ClientService {
  readonly watches = new WatchManager();
  private readonly queues = new Map<number, Entry[]>();
  private readonly byKey = new Map<number, Entry>();
  private readonly connecting = new Map<number, Connecting>();
  /** Sessions whose client is connected here: session → client endpoint. */
  private readonly attached = new Map<number, number>();
  /** Attached sessions → the key of their connection here (Route.connection). */
  private readonly connectionOf = new Map<number, number>();
  /** Touches by clients connected here, until the leader confirmed them. */
  private readonly touches = new TouchReports();
  /** Sessions whose head request waits for this server to reach a read index. */
  private readonly syncWaiters = new Set<number>();

  constructor(
    private readonly host: ServiceHost,
    private readonly config: PaxosConfig,
  ) {}

  // ---------------------------------------------------------------- requests

  onClient(ctx: NodeContext<PaxosMessage>, req: ClientRequest): void {
    const body = req.body as ClientBody;
    switch (body?.kind) {
      case 'connect':
        this.onConnect(ctx, req, body);
        return;
      case 'op':
        this.onOp(ctx, req, body.sessionId, body.req, body.readMode ?? 'local');
        return;
      case 'close':
        this.onOp(ctx, req, body.sessionId, { op: 'closeSession' }, 'local');
        return;
      case 'ping':
        this.onPing(ctx, req, body.sessionId);
        return;
      default:
        ctx.reply(req, refused('NOTREADY'));
    }
  }

  private onConnect(ctx: NodeContext<PaxosMessage>, req: ClientRequest, body: Extract<ClientBody, { kind: 'connect' }>): void {
    const host = this.host;
    if (host.leader === null) return ctx.reply(req, refused('NOTREADY'));
    if (body.lastZxid > host.lastApplied) return ctx.reply(req, refused('BEHIND'));
    if (body.sessionId !== undefined && !host.tree.hasSession(body.sessionId)) return ctx.reply(req, refused('SESSIONEXPIRED'));
    if (this.connecting.size >= MAX_CONNECTING) return ctx.reply(req, refused('NOTREADY'));
    const key = requestKey(req.clientId, req.requestId);
    const connection = connectionKey(req.clientId, req.requestId);
    const deadlineUs = ctx.nowUs + this.config.requestTimeoutUs;
    if (body.sessionId !== undefined) {
      // The session moves here: answered when this server applies the move (sessionMoved).
      // Touched now, as ZooKeeper's REVALIDATE touches it: the move may take a while.
      this.touches.touch(body.sessionId);
      const move: Route = { server: ctx.id, clientId: req.clientId, requestId: req.requestId, sessionId: body.sessionId, connection };
      this.connecting.set(key, { req, deadlineUs, move, sentUs: ctx.nowUs });
      return host.forward(ctx, move, MOVE_SESSION);
    }
    this.connecting.set(key, { req, deadlineUs, sentUs: ctx.nowUs });
    const route: Route = { server: ctx.id, clientId: req.clientId, requestId: req.requestId, sessionId: 0, connection };
    host.forward(ctx, route, { op: 'createSession', timeoutUs: body.timeoutUs });
  }

  /**
   * A move not applied here after acceptRetryUs is forwarded again (to the leader of the
   * day), and its session touched again: its forward (a datagram) may have been lost, or
   * its leader deposed, and the client, waiting for the answer, does not ping meanwhile.
   * Resending is safe: a move applies only if its connection is newer than the owner's
   * (apply.ts), so a second copy, or one that arrives after the client moved on again,
   * changes nothing.
   */
  private resendMoves(ctx: NodeContext<PaxosMessage>): void {
    if (this.host.leader === null) return;
    for (const waiting of this.connecting.values()) {
      const move = waiting.move;
      if (move === undefined || ctx.nowUs - waiting.sentUs < this.config.acceptRetryUs) continue;
      waiting.sentUs = ctx.nowUs;
      this.touches.touch(move.sessionId);
      this.host.forward(ctx, move, MOVE_SESSION);
    }
  }

  private onOp(ctx: NodeContext<PaxosMessage>, req: ClientRequest, sessionId: number, op: ZkRequest, readMode: ReadMode): void {
    const host = this.host;
    let queue = this.queues.get(sessionId);
    if (queue !== undefined && queue.length >= this.config.maxPendingPerSession) return ctx.reply(req, refused('NOTREADY'));
    const kind: EntryKind =
      op.op === 'closeSession' ? 'close' : isWriteRequest(op) ? 'write' : op.op === 'sync' || readMode === 'sync' ? 'sync' : readMode === 'quorum' ? 'quorum' : 'local';
    const entry: Entry = {
      key: requestKey(req.clientId, req.requestId),
      req,
      sessionId,
      kind,
      op,
      deadlineUs: ctx.nowUs + this.config.requestTimeoutUs,
      result: null,
      refusal: null,
      readIndex: -1,
    };
    if (queue === undefined) {
      queue = [];
      this.queues.set(sessionId, queue);
    }
    queue.push(entry);
    if (!host.tree.hasSession(sessionId)) entry.refusal = 'SESSIONEXPIRED';
    else if (host.leader === null) entry.refusal = 'NOTREADY';
    // No connection here (this server restarted): refused, so that the client reconnects
    // with its watches (see the ZAB service's onOp); a session's close needs none.
    else if (!this.attached.has(sessionId) && kind !== 'close') entry.refusal = 'CONNECTIONLOSS';
    else {
      this.attached.set(sessionId, req.clientId);
      this.touches.touch(sessionId);
      if (kind !== 'local') this.byKey.set(entry.key, entry);
      // Attached here means a connection here; only a session's close may come without one (it needs no owner).
      const connection = this.connectionOf.get(sessionId) ?? 0;
      const route: Route = { server: ctx.id, clientId: req.clientId, requestId: req.requestId, sessionId, connection };
      if (kind === 'sync') host.requestSync(ctx, req.clientId, req.requestId);
      else if (kind !== 'local') host.forward(ctx, route, op, kind === 'quorum' ? 'quorum' : undefined);
    }
    this.drain(ctx, sessionId);
  }

  private onPing(ctx: NodeContext<PaxosMessage>, req: ClientRequest, sessionId: number): void {
    if (this.host.leader === null) return ctx.reply(req, refused('NOTREADY'));
    if (!this.host.tree.hasSession(sessionId)) return ctx.reply(req, refused('SESSIONEXPIRED'));
    // No connection here (this server restarted): ZooKeeper's client would have seen the
    // connection drop and reconnected, re-registering its watches.
    if (!this.attached.has(sessionId)) return ctx.reply(req, refused('NOTREADY'));
    this.touches.touch(sessionId);
    // Its answer waits behind the session's requests, as the ZAB service's does.
    const queue = this.queues.get(sessionId);
    if (queue !== undefined && queue.length > 0) {
      queue.push({ key: requestKey(req.clientId, req.requestId), req, sessionId, kind: 'ping', op: PING_OP, deadlineUs: ctx.nowUs + this.config.requestTimeoutUs, result: null, refusal: null, readIndex: -1 });
      return;
    }
    const reply: ClientReply = { kind: 'pong', zxid: this.host.lastApplied };
    ctx.reply(req, reply);
  }

  // ---------------------------------------------------------------- outcomes

  /** A slot was applied to this server's tree. */
  onApplied(ctx: NodeContext<PaxosMessage>, slot: number, command: Command, outcome: CommandOutcome): void {
    const result = outcome.result;
    for (const fired of this.watches.trigger(outcome.events)) {
      const clientId = this.attached.get(fired.sessionId);
      if (clientId === undefined) continue;
      const note: ClientNotification = { kind: 'watch', path: fired.path, type: fired.type, zxid: slot };
      ctx.notifyClient(clientId, note);
    }
    const route = command.route;
    const mine = route !== undefined && route.server === ctx.id;
    if (command.txn?.type === 'closeSession' && result?.ok) this.sessionClosed(ctx, command.txn.sessionId, mine && route.sessionId === command.txn.sessionId);
    // Another server's move took effect (a stale copy changes nothing, apply.ts): the client left.
    if (command.kind === 'move' && route !== undefined && !mine && this.host.owners.get(route.sessionId)?.connection === route.connection) this.leftFor(route);
    if (!mine) return;
    const key = requestKey(route.clientId, route.requestId);
    if (command.txn?.type === 'createSession') return this.sessionCreated(ctx, key, command.txn.sessionId, result, route.connection);
    if (command.kind === 'move') return this.sessionMoved(ctx, key, route);
    if (outcome.moved) return this.closeMovedConnection(ctx, slot, route);
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    this.byKey.delete(key);
    // A stale txn was not executed (see apply.ts): the client may retry.
    if (outcome.stale) entry.refusal = 'NOTREADY';
    // A quorum read takes effect at its slot: if its session was closed at an earlier slot
    // it is not served (the ZAB leader orders such a read as a SESSIONEXPIRED error txn, as
    // ZooKeeper's PrepRequestProcessor.checkSession refuses a closed session's request);
    // answering it would show the client data its expired session's watches never saw.
    else if (command.kind === 'read') entry.result = this.host.tree.hasSession(entry.sessionId) ? this.readNow(entry) : FAIL.SESSIONEXPIRED;
    else entry.result = result;
    this.drain(ctx, entry.sessionId);
  }

  private sessionCreated(ctx: NodeContext<PaxosMessage>, key: number, sessionId: number, result: ZkResult | null, connection: number): void {
    const waiting = this.connecting.get(key);
    if (waiting === undefined) return;
    this.connecting.delete(key);
    if (result?.ok !== true) return ctx.reply(waiting.req, refused('NOTREADY'));
    this.attached.set(sessionId, waiting.req.clientId);
    this.connectionOf.set(sessionId, connection);
    const reply: ClientReply = { kind: 'connected', sessionId, zxid: this.host.lastApplied, ...grantedTimeout(this.host.tree.sessions.get(sessionId)) };
    ctx.reply(waiting.req, reply);
  }

  /** A reconnect of ours was ordered: the connection owns the session from now (or the session is gone). */
  private sessionMoved(ctx: NodeContext<PaxosMessage>, key: number, route: Route): void {
    const waiting = this.connecting.get(key);
    if (waiting === undefined) return;
    this.connecting.delete(key);
    const tree = this.host.tree;
    const sessionId = route.sessionId;
    if (!tree.hasSession(sessionId)) return ctx.reply(waiting.req, refused('SESSIONEXPIRED'));
    // A newer connection of the client owns it already: this connect is stale (its client has left).
    if (this.host.owners.get(sessionId)?.connection !== route.connection) return ctx.reply(waiting.req, refused('NOTREADY'));
    this.dropQueued(sessionId);
    this.attached.set(sessionId, waiting.req.clientId);
    this.connectionOf.set(sessionId, route.connection);
    this.touches.touch(sessionId);
    const reply: ClientReply = { kind: 'connected', sessionId, zxid: this.host.lastApplied, ...grantedTimeout(tree.sessions.get(sessionId)) };
    ctx.reply(waiting.req, reply);
    const body = waiting.req.body as Extract<ClientBody, { kind: 'connect' }>;
    setWatches(ctx, tree, this.watches, sessionId, waiting.req.clientId, body.lastZxid, body.watches);
  }

  /**
   * A session this server may hold a connection of moved to another server: its client
   * left this one (it asked for the move), so the connection here is closed, with its
   * watches; a write still held here for it will be refused when applied.
   */
  private leftFor(route: Route): void {
    const sessionId = route.sessionId;
    if (!this.connectionOf.has(sessionId)) return;
    this.connectionOf.delete(sessionId);
    this.attached.delete(sessionId);
    this.watches.removeSession(sessionId);
  }

  /**
   * The session's requests still queued here when its client connects here again came on a
   * connection the client gave up: they are never answered, as ZooKeeper answers nothing
   * on a closed connection. Kept, the oldest (a forward lost with no leader change)
   * held back every reply on the new connection until its deadline, while watch events
   * went out at once: the event of a watch a quorum read had just set reached the client
   * before the read's answer, so the client, not holding that watch yet, dropped it, and
   * then read the change unannounced (swarm paxos 305356). A write among them that is
   * chosen later is refused then (SESSIONMOVED, apply.ts): the move came first.
   */
  private dropQueued(sessionId: number): void {
    const queue = this.queues.get(sessionId);
    if (queue === undefined) return;
    for (const entry of queue) this.byKey.delete(entry.key);
    this.queues.delete(sessionId);
  }

  /**
   * A write of ours was refused at apply: its session moved to another connection.
   * "Session moved is a connection level error" (FinalRequestProcessor): instead of an
   * answer, the connection closes, so its client, if it is still waiting here, sees a lost
   * connection (refused CONNECTIONLOSS: the write changed nothing) and reconnects.
   */
  private closeMovedConnection(ctx: NodeContext<PaxosMessage>, slot: number, route: Route): void {
    const key = requestKey(route.clientId, route.requestId);
    const entry = this.byKey.get(key);
    ctx.record('session-moved', { session: route.sessionId, client: route.clientId, request: route.requestId, slot, where: 'closed', pending: entry !== undefined });
    if (this.connectionOf.get(route.sessionId) === route.connection) this.leftFor(route);
    if (entry === undefined) return;
    this.byKey.delete(key);
    entry.refusal = 'CONNECTIONLOSS';
    this.drain(ctx, entry.sessionId);
  }

  private sessionClosed(ctx: NodeContext<PaxosMessage>, sessionId: number, closedByItsClient: boolean): void {
    this.touches.forget(sessionId);
    this.connectionOf.delete(sessionId);
    endSession(ctx, this.watches, this.attached, sessionId, closedByItsClient);
  }

  /**
   * The leader did not take the request. `definite`: it was certainly not executed
   * (NOTREADY to the client); otherwise its outcome is unknown: forget it (the client
   * times out).
   */
  refused(ctx: NodeContext<PaxosMessage>, clientId: number, requestId: number, definite: boolean): void {
    const key = requestKey(clientId, requestId);
    const waiting = this.connecting.get(key);
    if (waiting !== undefined) {
      this.connecting.delete(key);
      if (definite) ctx.reply(waiting.req, refused('NOTREADY'));
      return;
    }
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    if (definite) {
      entry.refusal = 'NOTREADY';
      this.byKey.delete(key);
      this.drain(ctx, entry.sessionId);
    } else {
      this.forget(ctx, (candidate) => candidate === entry);
    }
  }

  /** The leader confirmed a read index for a sync request. */
  syncConfirmed(ctx: NodeContext<PaxosMessage>, clientId: number, requestId: number, readIndex: number): void {
    const entry = this.byKey.get(requestKey(clientId, requestId));
    if (entry === undefined || entry.kind !== 'sync' || entry.readIndex >= 0) return;
    // Stays in byKey until answered, so that a leader change or the deadline still forgets it.
    entry.readIndex = readIndex;
    this.drain(ctx, entry.sessionId);
  }

  /** Call after applying slots: sync reads may now be answerable. */
  afterApply(ctx: NodeContext<PaxosMessage>): void {
    if (this.syncWaiters.size === 0) return;
    const sessions = [...this.syncWaiters];
    this.syncWaiters.clear();
    for (const sessionId of sessions) this.drain(ctx, sessionId);
  }

  // ---------------------------------------------------------------- replies in order

  private drain(ctx: NodeContext<PaxosMessage>, sessionId: number): void {
    const queue = this.queues.get(sessionId);
    if (queue === undefined) return;
    while (queue.length > 0) {
      const entry = queue[0];
      let reply: ClientReply;
      if (entry.refusal !== null) reply = refused(entry.refusal);
      else if (entry.result !== null) reply = { kind: 'result', result: entry.result, zxid: this.host.lastApplied };
      else if (entry.kind === 'local') reply = { kind: 'result', result: this.readNow(entry), zxid: this.host.lastApplied };
      else if (entry.kind === 'ping') {
        // Its connection closed meanwhile (session ended or moved): no answer, as the ZAB service.
        queue.shift();
        if (this.attached.get(sessionId) === entry.req.clientId) ctx.reply(entry.req, { kind: 'pong', zxid: this.host.lastApplied });
        continue;
      }
      else if (entry.kind === 'sync' && entry.readIndex >= 0) {
        if (this.host.lastApplied < entry.readIndex) {
          this.syncWaiters.add(sessionId);
          break;
        }
        reply = { kind: 'result', result: this.readNow(entry), zxid: this.host.lastApplied };
      } else break;
      queue.shift();
      this.byKey.delete(entry.key);
      ctx.reply(entry.req, reply);
    }
    if (queue.length === 0) this.queues.delete(sessionId);
  }

  private readNow(entry: Entry): ZkResult {
    return readNow(this.host.tree, this.watches, entry.sessionId, entry.op);
  }

  // ---------------------------------------------------------------- forgetting

  /**
   * This server's view of the leader changed: what it forwarded may or may not be
   * chosen, and nobody will tell it. Forget those requests (their clients time out).
   */
  leaderChanged(ctx: NodeContext<PaxosMessage>): void {
    // A pending move is resent to the new leader (resendMoves); a createSession is not
    // (a second copy would open a second session).
    for (const [key, waiting] of this.connecting) if (waiting.move === undefined) this.connecting.delete(key);
    this.forget(ctx, () => true);
  }

  /** Housekeeping tick: forget requests waiting past their deadline. */
  sweep(ctx: NodeContext<PaxosMessage>): void {
    for (const [key, waiting] of this.connecting) if (waiting.deadlineUs <= ctx.nowUs) this.connecting.delete(key);
    this.resendMoves(ctx);
    this.forget(ctx, (entry) => entry.deadlineUs <= ctx.nowUs);
  }

  private forget(ctx: NodeContext<PaxosMessage>, which: (entry: Entry) => boolean): void {
    if (this.byKey.size === 0) return;
    const sessions = new Set<number>();
    for (const [key, entry] of this.byKey) {
      if (!which(entry)) continue;
      this.byKey.delete(key);
      const queue = this.queues.get(entry.sessionId);
      if (queue === undefined) continue;
      const index = queue.indexOf(entry);
      if (index >= 0) queue.splice(index, 1);
      sessions.add(entry.sessionId);
    }
    for (const sessionId of sessions) this.drain(ctx, sessionId);
  }

  /** Every touch the leader has not confirmed, for a heartbeat ack stamped `stampUs` (see TouchReports). */
  reportTouches(stampUs: number): readonly number[] {
    return this.touches.report(stampUs);
  }

  /** The leader's heartbeat echoed this server's latest report stamp it received. */
  touchesConfirmed(echoedUs: number): void {
    this.touches.confirm(echoedUs);
  }

  /** Every touch, handed to the leader on this very server. */
  takeTouches(): readonly number[] {
    return this.touches.takeAll();
  }

  get pendingCount(): number {
    return this.byKey.size + this.connecting.size;
  }
}

