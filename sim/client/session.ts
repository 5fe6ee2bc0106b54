/**
 * A ZooKeeper client session, as the real client library behaves:
 * - connects to one server, sends its requests there in FIFO order (one operation at
 *   a time here: each client is one Jepsen process), and keeps the session alive with
 *   pings;
 * - presents the newest zxid it has seen when it (re)connects, so a server that is
 *   behind refuses it (ZooKeeper's single system image: reads never go backwards);
 * - on a refusal, a lost connection or a timeout, moves to another server;
 * - records every operation in the history: `ok` with the result, `fail` when the
 *   server refused it (definitely not applied), `info` on a timeout or a lost session
 *   (unknown: it may still be applied). After an `info` the process id changes;
 * - keeps its own record of the watches it set (ZooKeeper's ZKWatchManager): a watch is
 *   delivered only if the client holds it, and is gone once delivered; on a reconnect
 *   with its session it sends them with its last zxid (SetWatches, as
 *   ClientCnxn.primeConnection does) and the server fires what it missed;
 * - reports its state as ZooKeeper's KeeperState: `connected` (SyncConnected),
 *   `disconnected` (looking for a server, the session may still live) and `expired`
 *   (learned only when a server refuses the session on reconnect; the client then
 *   opens a new session, as Curator rebuilds its ZooKeeper handle). Watches die with
 *   their session.
 */
import type { ClientRequest, NodeId } from '../core/node.js';
import type { Rng } from '../core/rng.js';
import type { Cluster, ClientEndpoint } from '../net/cluster.js';
import type { ZkRequest, ZkResult } from '../store/types.js';
import type { History, OpRecord } from './history.js';
import type { ClientBody, ClientNotification, ClientReply, ReadMode } from './protocol.js';

export interface SessionOptions {
  sessionTimeoutUs: number;
  /** An operation without an answer after this long ends as `info`. */
  requestTimeoutUs: number;
  /**
   * A connect attempt without an answer after this long moves to another server. A fixed
   * 100 ms by default, where ZooKeeper's ClientCnxn uses the (negotiated) session timeout
   * divided by the number of servers in the connect string: 133 ms for 400 ms and three
   * servers, 7 ms for 20 ms. The simulation scales ZooKeeper's ticks down (tickTime 20 ms
   * for its sample 2 s) but not its network and disks, so that rule would give a client of
   * a 20 ms session 7 ms to have its createSession committed, less than one slow disk
   * sync, where a real deployment's shortest session (two 2 s ticks) leaves over a second
   * for milliseconds of work. ZooKeeper also sleeps a random 0-1 s before each reconnect
   * (ClientCnxn.startConnect), which is not modelled either. Tried in session 11: six tests
   * of seeded stories told other stories.
   */
  connectTimeoutUs: number;
  /** Wait before trying another server after a refusal. */
  retryDelayUs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  sessionTimeoutUs: 400_000,
  requestTimeoutUs: 300_000,
  connectTimeoutUs: 100_000,
  retryDelayUs: 20_000,
};

/** What an operation asks of the data tree, and how it appears in the history. */
export interface ClientOp {
  f: string;
  value: unknown;
  req: ZkRequest;
  readMode?: ReadMode;
}

/** `raw`: the data tree's own result, for callers that need more than the history keeps (a stat's ephemeralOwner). */
export type OpCallback = (op: OpRecord, raw?: ZkResult) => void;

/** ZooKeeper's KeeperState as the client sees it (see the file head). */
export type ClientState = 'connecting' | 'connected' | 'disconnected' | 'expired';

/** How often an idle client pings: a third of its session timeout (ClientCnxn pings after readTimeout/2 of quiet, readTimeout being 2/3 of it). */
export function pingIntervalUs(sessionTimeoutUs: number): number {
  return Math.max(1, Math.floor(sessionTimeoutUs / 3));
}

/** Converts a data-tree result into the history's value (the znode model's vocabulary). */
export function historyValue(req: ZkRequest, result: ZkResult): unknown {
  if (!result.ok) return result.code;
  switch (req.op) {
    case 'create':
      return result.path;
    case 'delete':
      return 'ok';
    case 'setData':
      return result.stat?.version ?? null;
    case 'getData':
      return { data: result.data, version: result.stat?.version };
    case 'exists':
      return result.stat !== null && result.stat !== undefined;
    case 'getChildren':
      return result.children;
    default:
      return result;
  }
}

export class ZkClient implements ClientEndpoint {
  readonly clientId: number;
  process: number;
  server: NodeId = -1;
  sessionId: number | undefined;
  lastZxid = 0;
  connected = false;
  /** Sessions this client lost (expired or given up). */
  sessionsLost = 0;
  /** Every session this client was granted, in order (the run maps the server's closeSession commits to clients with it). */
  readonly sessionIds: number[] = [];
  /**
   * Each connection made, as pairs of time and server (flat): which server a client was
   * hearing when the leader expired its session (sim/check/cut-off.ts).
   */
  readonly connections: number[] = [];
  private nextRequestId = 1;
  private connectRequestId = 0;
  private pending: { op: OpRecord; requestId: number; clientOp: ClientOp; done: OpCallback } | null = null;
  private waitingOp: { clientOp: ClientOp; done: OpCallback } | null = null;
  /** The session timeout the server granted (the last `connected` answer's), until then the requested one. */
  private grantedTimeoutUs: number | undefined;
  /** When the client last heard from its server (any answer): ZooKeeper's read timeout runs from here. */
  lastHeardUs = 0;
  private pinging = false;
  private stopped = false;
  /** The latest connection attempt, made or scheduled: an older scheduled one does not run. */
  private attempt = 0;
  readonly watchEvents: ClientNotification[] = [];
  onWatch: ((event: ClientNotification) => void) | null = null;
  /** KeeperState changes (connected, disconnected, expired), in the order they happen. */
  onState: ((state: ClientState) => void) | null = null;
  state: ClientState = 'connecting';
  /** The watches this client holds (ZKWatchManager): getData, exists on a missing node, getChildren. */
  private readonly dataWatches = new Set<string>();
  private readonly existWatches = new Set<string>();
  private readonly childWatches = new Set<string>();
  /**
   * ZooKeeper's ordering guarantee for watches ("a client will see a watch event for a
   * znode it is watching before seeing the new data that corresponds to that znode",
   * Programmer's Guide): for each node this client holds a data or exist watch on, the
   * mzxid it saw when it set the watch (-1: no node). A read of the node that sees another
   * state while the watch is still held broke the guarantee: its event was lost or late.
   */
  private readonly watchedStates = new Map<string, number>();
  /** The reads that saw a watched node change before its watch event (at most 100 kept). */
  readonly watchOrderViolations: { opId: number; message: string }[] = [];
  /**
   * A stopped process (a GC pause; the scenario's `pause-client` fault): while `paused`,
   * nothing of this client runs — its timers (this.at, and everything Curator and the
   * recipes schedule through it) and the packets servers send it wait in `held`, in the
   * order they fell due, and run in that order on resume(). The servers go on meanwhile:
   * no pings reach them, so the session may expire, and the client learns it only when it
   * processes what waited (the JVM saw nothing while it was stopped).
   */
  paused = false;
  private held: (() => void)[] = [];

  /**
   * @param connectString the servers this client may use, as a ZooKeeper connect string
   *   names part of the ensemble (default: every server).
   */
  constructor(
    private readonly cluster: Cluster,
    readonly history: History,
    readonly index: number,
    private readonly processStride: number,
    private readonly rng: Rng,
    readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS,
    readonly connectString?: readonly NodeId[],
  ) {
    this.clientId = cluster.addClient(this);
    this.process = index;
  }

  get busy(): boolean {
    return this.pending !== null || this.waitingOp !== null;
  }

  /** Connects to the given server, or to a random one (of its connect string). */
  start(server?: NodeId): void {
    const list = this.connectString;
    this.connect(server ?? (list !== undefined ? list[this.rng.int(list.length)] : this.rng.int(this.cluster.size)));
  }

  /** Stops issuing pings and reconnects (end of the run). Pending operations still complete. */
  stop(): void {
    this.stopped = true;
  }

  /** Invokes an operation now if connected, else as soon as a session is up. */
  submit(clientOp: ClientOp, done: OpCallback): void {
    if (this.busy) throw new Error(`client ${this.index} submitted while busy`);
    if (this.connected) this.send(clientOp, done);
    else this.waitingOp = { clientOp, done };
  }

  private request(body: ClientBody): ClientRequest<ClientBody> {
    return { clientId: this.clientId, requestId: this.nextRequestId++, body };
  }

  private connect(server: NodeId): void {
    // A new connection attempt supersedes any reconnect still scheduled (see attempt).
    this.attempt++;
    this.connected = false;
    this.server = server;
    const body: ClientBody = { kind: 'connect', sessionId: this.sessionId, lastZxid: this.lastZxid, timeoutUs: this.options.sessionTimeoutUs };
    if (this.sessionId !== undefined && this.dataWatches.size + this.existWatches.size + this.childWatches.size > 0) {
      body.watches = { data: [...this.dataWatches].sort(), exist: [...this.existWatches].sort(), child: [...this.childWatches].sort() };
    }
    const req = this.request(body);
    this.connectRequestId = req.requestId;
    this.cluster.clientSend(server, req);
    const requestId = req.requestId;
    this.at(this.cluster.nowUs + this.options.connectTimeoutUs, () => {
      if (this.connectRequestId === requestId && !this.connected) this.moveToAnotherServer(0);
    });
  }

  private moveToAnotherServer(delayUs: number): void {
    this.connected = false;
    if (this.state === 'connected') this.setState('disconnected');
    this.connectRequestId = 0;
    // A stopped client with nothing left to do does not reconnect: its session lapses,
    // as a ZooKeeper client's does once the application closes it.
    if (this.stopped && !this.busy) return;
    const n = this.cluster.size;
    let next: NodeId;
    const list = this.connectString;
    if (list !== undefined) {
      const others = list.filter((server) => server !== this.server);
      next = others.length === 0 ? list[0] : others[this.rng.int(others.length)];
    } else {
      next = n === 1 ? 0 : (this.server + 1 + this.rng.int(n - 1)) % n;
    }
    // One connection attempt at a time, as ZooKeeper's ClientCnxn has one SendThread:
    // several failures at once (the refused answers to pings held by a paused server, a
    // timeout beside a refusal) schedule one reconnect, not one each, and a reconnect
    // scheduled before a later attempt is dropped. Each extra attempt made a session of
    // its own, and one that fired after the client had reconnected dialled its server
    // again with a read in flight, wiping the watch that read had just set (SetWatches
    // sent the watches held before its answer): an event never delivered.
    const attempt = ++this.attempt;
    this.at(this.cluster.nowUs + delayUs, () => {
      if (attempt === this.attempt) this.connect(next);
    });
  }

  private send(clientOp: ClientOp, done: OpCallback): void {
    const req = this.request({ kind: 'op', sessionId: this.sessionId!, req: clientOp.req, readMode: clientOp.readMode });
    // A sync read names its request in the history, so that the leader that answered the sync is known (sim/scenario/reads.ts).
    const wire = clientOp.readMode === 'sync' ? { endpoint: this.clientId, request: req.requestId } : undefined;
    const op = this.history.invoke(this.cluster.nowUs, this.index, this.process, this.server, clientOp.f, clientOp.value, clientOp.readMode, wire);
    this.pending = { op, requestId: req.requestId, clientOp, done };
    this.cluster.clientSend(this.server, req);
    const requestId = req.requestId;
    this.watchReadTimeout(requestId);
    this.at(this.cluster.nowUs + this.options.requestTimeoutUs, () => {
      if (this.pending?.requestId === requestId) {
        // No answer: the outcome is unknown. The process retires (Jepsen semantics).
        this.finish('info', 'timeout');
        this.process += this.processStride;
        this.moveToAnotherServer(0);
      }
    });
  }

  /** ClientCnxn's readTimeout: 2/3 of the session timeout without hearing from the server. */
  private get readTimeoutUs(): number {
    return (this.sessionTimeoutUs * 2) / 3;
  }

  /**
   * ClientCnxn's read timeout holds with a request in flight too: a server silent for
   * readTimeout (paused, cut off) drops the connection (ConnectionTimeoutException) and
   * the request ends with CONNECTIONLOSS, its outcome unknown. Waiting for the answer
   * instead, a client could be told something by a server that had not yet applied its
   * session's expiry: a lock waiter whose session the leader had expired, answered late
   * by a paused server, believed it held the lock while another did (Paxos lockpause
   * mix, seed 205). Pongs answer the pings sent meanwhile, so a live server keeps it on.
   */
  private watchReadTimeout(requestId: number): void {
    const dueUs = Math.floor(this.lastHeardUs + this.readTimeoutUs) + 1;
    this.at(Math.max(this.cluster.nowUs + 1, dueUs), () => {
      if (this.pending?.requestId !== requestId || !this.connected) return;
      if (this.cluster.nowUs - this.lastHeardUs <= this.readTimeoutUs) return this.watchReadTimeout(requestId);
      this.finish('info', 'timeout');
      this.process += this.processStride;
      this.moveToAnotherServer(0);
    });
  }

  private finish(result: 'ok' | 'fail' | 'info', output: unknown, raw?: ZkResult, effectAt?: number): void {
    const pending = this.pending!;
    this.pending = null;
    this.history.complete(this.cluster.nowUs, pending.op, result, output, effectAt);
    pending.done(pending.op, raw);
  }

  /**
   * The session timeout the client runs on: the one its server granted once connected
   * (ClientCnxn.onConnected: readTimeout = 2/3 of the negotiated timeout, a ping every
   * half of that), the requested one before. A server clamps the request to its
   * min/maxSessionTimeout (2 and 20 ticks): a client that kept pinging on the requested
   * 400 ms would see a 20 ms session (tickTime 1 ms) expire between every two pings.
   */
  get sessionTimeoutUs(): number {
    return this.grantedTimeoutUs ?? this.options.sessionTimeoutUs;
  }

  private get pingIntervalUs(): number {
    return pingIntervalUs(this.sessionTimeoutUs);
  }

  /**
   * ClientCnxn checks the read timeout on every turn of its loop (it selects for at most
   * the time left), not only when it pings: a server silent for readTimeout is left then,
   * not at the next ping up to a third of the session later (obsrecipes zab 2057: a
   * watcher stayed 130 ms on a paused server). A request in flight has its own check
   * (watchReadTimeout).
   */
  private checkSilenceBeforeNextPing(): void {
    const dueUs = Math.floor(this.lastHeardUs + this.readTimeoutUs) + 1;
    if (dueUs >= this.cluster.nowUs + this.pingIntervalUs) return;
    const attempt = this.attempt;
    this.at(Math.max(this.cluster.nowUs + 1, dueUs), () => {
      if (attempt !== this.attempt || !this.connected || this.pending !== null || this.stopped) return;
      if (this.cluster.nowUs - this.lastHeardUs > this.readTimeoutUs) this.moveToAnotherServer(0);
    });
  }

  private startPinging(): void {
    if (this.pinging) return;
    this.pinging = true;
    const tick = () => {
      if (this.stopped) {
        this.pinging = false;
        return;
      }
      if (this.connected && this.sessionId !== undefined) {
        if (this.cluster.nowUs - this.lastHeardUs > this.readTimeoutUs && this.pending === null) {
          // The server went silent: look for another one before the session expires.
          this.moveToAnotherServer(0);
        } else {
          this.cluster.clientSend(this.server, this.request({ kind: 'ping', sessionId: this.sessionId }));
          this.checkSilenceBeforeNextPing();
        }
      }
      this.at(this.cluster.nowUs + this.pingIntervalUs, tick);
    };
    this.at(this.cluster.nowUs + this.pingIntervalUs, tick);
  }

  onReply(server: NodeId, req: ClientRequest, result: unknown): void {
    if (this.paused) return void this.held.push(() => this.onReply(server, req, result));
    const reply = result as ClientReply;
    const body = req.body as ClientBody;
    if (server !== this.server) return; // a late answer from a server we left
    this.lastHeardUs = this.cluster.nowUs;
    if ('zxid' in reply && reply.zxid > this.lastZxid) this.lastZxid = reply.zxid;
    if (body.kind === 'connect') {
      if (req.requestId !== this.connectRequestId) return;
      if (reply.kind === 'connected') {
        if (this.sessionId !== undefined && this.sessionId !== reply.sessionId) this.sessionsLost++;
        if (this.sessionId !== reply.sessionId) this.sessionIds.push(reply.sessionId);
        this.sessionId = reply.sessionId;
        if (reply.timeoutUs !== undefined && reply.timeoutUs > 0) this.grantedTimeoutUs = reply.timeoutUs;
        this.connected = true;
        this.connections.push(this.cluster.nowUs, server);
        this.setState('connected');
        this.startPinging();
        const waiting = this.waitingOp;
        if (waiting !== null && this.pending === null) {
          this.waitingOp = null;
          this.send(waiting.clientOp, waiting.done);
        }
      } else if (reply.kind === 'refused') {
        if (reply.code === 'SESSIONEXPIRED') this.loseSession();
        this.moveToAnotherServer(this.options.retryDelayUs);
      }
      return;
    }
    if (body.kind === 'op') {
      if (this.pending === null || this.pending.requestId !== req.requestId) return;
      if (reply.kind === 'result') {
        if (!reply.result.ok && reply.result.code === 'SESSIONEXPIRED') {
          // The txn ran as an error txn: it changed nothing, definitely.
          this.finish('fail', 'SESSIONEXPIRED');
          this.loseSession();
          this.moveToAnotherServer(this.options.retryDelayUs);
          return;
        }
        // A watch belongs to the session that set it: one lost while the read was in
        // flight (a refused ping told the client) took the watch with it at the servers.
        if (body.sessionId === this.sessionId) {
          this.checkWatchedRead(body.req, reply.result, this.pending.op.opId);
          if (reply.result.ok) this.rememberWatch(body.req, reply.result);
        }
        this.finish('ok', historyValue(body.req, reply.result), reply.result, reply.zxid);
      } else if (reply.kind === 'refused') {
        // Refused before execution: definitely not applied.
        this.finish('fail', reply.code);
        if (reply.code === 'SESSIONEXPIRED') this.loseSession();
        this.moveToAnotherServer(this.options.retryDelayUs);
      }
      return;
    }
    if (body.kind === 'ping' && reply.kind === 'refused') {
      if (reply.code === 'SESSIONEXPIRED') this.loseSession();
      if (this.pending === null) this.moveToAnotherServer(this.options.retryDelayUs);
    }
  }

  onNotify(server: NodeId, payload: unknown): void {
    if (this.paused) return void this.held.push(() => this.onNotify(server, payload));
    const note = payload as ClientNotification;
    if (note.kind === 'expired') {
      // The server closed the connection of an expired session. ZooKeeper's client sees
      // only the closed connection: it learns of the expiry when it reconnects.
      if (note.sessionId === this.sessionId && server === this.server && this.pending === null) this.moveToAnotherServer(0);
      return;
    }
    if (server !== this.server) return;
    if (note.kind === 'watch' && !this.takeWatch(note)) return;
    this.watchEvents.push(note);
    this.onWatch?.(note);
  }

  /** Runs `fn` at `timeUs`, or when the client resumes if it is paused then (see `paused`). */
  at(timeUs: number, fn: () => void): void {
    this.cluster.at(timeUs, () => (this.paused ? this.held.push(fn) : fn()));
  }

  /** The process stops (a GC pause): see `paused`. */
  pause(): void {
    this.paused = true;
  }

  /** The process runs again: what fell due meanwhile runs now, in order; later timers catch up as they come. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      if (this.paused) {
        // Paused again by what just ran (not done today): the rest waits, still in order.
        this.held = held.slice(i).concat(this.held);
        return;
      }
      held[i]();
    }
  }

  /** A read of a node this client watches must see the state the watch was set on, until the event comes (see watchedStates). */
  private checkWatchedRead(req: ZkRequest, result: ZkResult, opId: number): void {
    if (req.op !== 'getData' && req.op !== 'exists') return;
    const seen = result.ok ? (result.stat !== null && result.stat !== undefined ? result.stat.mzxid : -1) : result.code === 'NONODE' ? -1 : undefined;
    if (seen === undefined) return;
    const held = this.watchedStates.get(req.path);
    if (held !== undefined && held !== seen && this.watchOrderViolations.length < 100) {
      const state = (mzxid: number) => (mzxid < 0 ? 'no node' : `the node as of zxid ${mzxid}`);
      this.watchOrderViolations.push({
        opId,
        message: `client ${this.index} read ${req.path} (op ${opId}) and saw ${state(seen)} while its watch, set when it saw ${state(held)}, had not fired: a watch event comes before the data it announces`,
      });
    }
    if (req.watch === true && result.ok) this.watchedStates.set(req.path, seen);
  }

  /** Records the watch a successful read set (ZooKeeper's Data/Exists/ChildWatchRegistration). */
  private rememberWatch(req: ZkRequest, result: ZkResult): void {
    if (!('watch' in req) || req.watch !== true) return;
    if (req.op === 'getData') this.dataWatches.add(req.path);
    else if (req.op === 'exists') (result.ok && result.stat !== null && result.stat !== undefined ? this.dataWatches : this.existWatches).add(req.path);
    else if (req.op === 'getChildren') this.childWatches.add(req.path);
  }

  /** ZKWatchManager.materialize: whether the client held a watch the event fires (then it is gone). */
  private takeWatch(note: Extract<ClientNotification, { kind: 'watch' }>): boolean {
    const path = note.path;
    if (note.type !== 'NodeChildrenChanged') this.watchedStates.delete(path);
    switch (note.type) {
      case 'NodeCreated':
      case 'NodeDataChanged': {
        const a = this.dataWatches.delete(path);
        const b = this.existWatches.delete(path);
        return a || b;
      }
      case 'NodeChildrenChanged':
        return this.childWatches.delete(path);
      case 'NodeDeleted': {
        const a = this.dataWatches.delete(path);
        const b = this.existWatches.delete(path);
        const c = this.childWatches.delete(path);
        return a || b || c;
      }
    }
  }

  /** The watches this client holds, sorted (what it would send with SetWatches). */
  heldWatches(): { data: string[]; exist: string[]; child: string[] } {
    return { data: [...this.dataWatches].sort(), exist: [...this.existWatches].sort(), child: [...this.childWatches].sort() };
  }

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.onState?.(state);
  }

  /** A server refused the session: it expired. Its watches are gone with it. */
  private loseSession(): void {
    if (this.sessionId !== undefined) {
      this.sessionsLost++;
      this.dataWatches.clear();
      this.existWatches.clear();
      this.childWatches.clear();
      this.watchedStates.clear();
      this.setState('expired');
    }
    this.sessionId = undefined;
  }
}
