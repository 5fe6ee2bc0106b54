/**
 * The contract between the simulator and a protocol node.
 *
 * A node is a pure state machine. It never does I/O, never reads a clock, never draws
 * ambient randomness: the simulator calls one of its handlers and the node answers
 * only through its context (`ctx`): messages to send, timers to set, storage writes,
 * replies to clients, trace records. This is what makes every run replayable from its
 * seed (the spirit of etcd's raft Step/Ready and Stateright's actors).
 *
 * Lifecycle and state:
 * - A node object holds only VOLATILE state. When the simulator crashes a node it
 *   throws the object away; a restart builds a fresh one with the node's factory and
 *   calls `onStart`, where the node reads whatever its durable storage kept.
 * - `ctx.storage` is the durable state. Writes are buffered until a `sync()`
 *   completes (an event, some microseconds later, reported by `onSync`); a crash
 *   loses everything not yet synced. `putDurable` models an atomic file write that
 *   blocks the writer until it is on disk (ZooKeeper's epoch files).
 * - Handlers run to completion; nothing else happens on the node meanwhile. While a
 *   node is paused (a GC pause) nothing is delivered to it: messages, timers, sync
 *   completions and client requests wait and are delivered, in order, on resume.
 *
 * Messages are treated as immutable once sent: the simulator keeps references in the
 * trace instead of copying. Every message has a string `type` (shown in traces and
 * the lab). Which channel carries them (FIFO connections with prefix loss, or lossy
 * reordering datagrams) is a property of the cluster's network, chosen per protocol.
 */
import type { Rng } from './rng.js';

export type NodeId = number;

export interface Message {
  readonly type: string;
}

/** A request from a client session, as it reaches a server. */
export interface ClientRequest<Body = unknown> {
  /** The client endpoint that sent it (replies go there). */
  readonly clientId: number;
  /** Per-client request number, unique within the client. */
  readonly requestId: number;
  readonly body: Body;
}

/** Durable storage of one node: named values and append-only logs. */
export interface Storage {
  /** The value as the process sees it (written, maybe not yet durable). */
  get<T = unknown>(key: string): T | undefined;
  /** Buffered write: durable once a later sync() completes. */
  put(key: string, value: unknown): void;
  /** Atomic write-and-fsync (write temp file, fsync, rename): durable at once. */
  putDurable(key: string, value: unknown): void;
  /** A log as the process sees it. Do not mutate the returned array. */
  log<T = unknown>(name: string): readonly T[];
  /** Buffered append to a log. */
  append(name: string, entry: unknown): void;
  /** Buffered truncation of a log to `length` entries. */
  truncate(name: string, length: number): void;
  /** Number of entries of the log that would survive a crash right now. */
  durableLength(name: string): number;
  /**
   * Makes every buffered write durable. Completion is an event: `onSync(ctx, id)`
   * with the returned id, after the storage latency. Syncs complete in call order.
   */
  sync(): number;
}

export interface NodeContext<Msg extends Message = Message> {
  /** Virtual time in microseconds. */
  readonly nowUs: number;
  readonly id: NodeId;
  /** Every server of the cluster, this one included, in id order. */
  readonly servers: readonly NodeId[];
  /** This node's own random stream ("node:<id>"). */
  readonly rng: Rng;
  readonly storage: Storage;
  /** Sends a message over the cluster's network. Returns its message id. */
  send(to: NodeId, msg: Msg): number;
  /** Sets (or re-sets) the named timer to fire after delayUs. One timer per name. */
  setTimer(name: string, delayUs: number): void;
  cancelTimer(name: string): void;
  hasTimer(name: string): boolean;
  /** Answers a client request (delivered to the client after the client link's latency). */
  reply(req: ClientRequest, result: unknown): void;
  /** Pushes an unsolicited message to a client endpoint (watch events, session expiry). */
  notifyClient(clientId: number, payload: unknown): void;
  /** Records a protocol event in the trace (e.g. "state", "commit", "propose"); `data` is handed over: pass a fresh object. */
  record(kind: string, data: Record<string, unknown>): void;
  /** A human-readable note for the viewer ("voting for 3: higher zxid"). */
  note(text: string): void;
}

/** What a node shows of itself to the viewer and the checkers. */
export interface NodeSnapshot {
  role: string;
  [field: string]: unknown;
}

export interface NodeBehavior<Msg extends Message = Message> {
  /** Boot, or reboot from durable state after a crash. */
  onStart(ctx: NodeContext<Msg>): void;
  onMessage(ctx: NodeContext<Msg>, from: NodeId, msg: Msg): void;
  onTimer(ctx: NodeContext<Msg>, timer: string): void;
  onClient(ctx: NodeContext<Msg>, req: ClientRequest): void;
  /** A storage sync issued by this node completed. */
  onSync?(ctx: NodeContext<Msg>, syncId: number): void;
  /**
   * The connection to `peer` broke (connection networks only): a message on it was
   * lost, or the peer crashed. Learned after the network's detection delay, as TCP
   * would (a timeout or a reset). The next send to the peer opens a new connection.
   */
  onDisconnect?(ctx: NodeContext<Msg>, peer: NodeId): void;
  inspect(): NodeSnapshot;
}

export type NodeFactory<Msg extends Message = Message> = (id: NodeId) => NodeBehavior<Msg>;
