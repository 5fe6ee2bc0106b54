/**
 * The cluster: protocol nodes on a virtual network with durable storage, driven by
 * the event queue. This is the simulator's hot path: one event per message, timer,
 * sync or client packet, dispatched by a switch on small integer kinds, with pooled
 * event records and no per-message allocation beyond what the trace keeps.
 *
 * Faults act through the same queue: crash (volatile state lost: the node object is
 * discarded and rebuilt by its factory on restart), restart, pause (nothing is
 * delivered; events wait in the node's held list and are delivered in order on
 * resume, so timers fire late), partitions, clogs and loss changes.
 */
import type { ClientRequest, Message, NodeBehavior, NodeContext, NodeFactory, NodeId, NodeSnapshot } from '../core/node.js';
import { CANCELLED, EventQueue, EventRecord } from '../core/queue.js';
import { type Rng, RngStreams } from '../core/rng.js';
import { TraceRecorder, type DropReason, type TraceMeta, TRACE_FORMAT, TRACE_VERSION, DROP_REASONS, MESSAGE_SEND, MESSAGE_DELIVER, MESSAGE_DROP, MESSAGE_DUPLICATE } from '../core/trace.js';
import { compileLatency, type LatencySampler, type LatencySpec } from './latency.js';
import { type NetworkConfig, NetworkState, DEFAULT_NETWORK } from './network.js';
import { NodeStorage } from './storage.js';

/**
 * Sorts records by scheduling order in place: an insertion sort, as a queue's live
 * records are a few dozen at most; Array.prototype.sort with a comparator copied the
 * array out and back and called the comparator across the builtin's boundary (most of
 * liveRecords' time, a tenth of the explorer's). Sequence numbers are unique: no ties.
 */
function sortBySeq(records: EventRecord[]): void {
  for (let i = 1; i < records.length; i++) {
    const record = records[i];
    const seq = record.seq;
    let j = i - 1;
    while (j >= 0 && records[j].seq > seq) {
      records[j + 1] = records[j];
      j--;
    }
    records[j + 1] = record;
  }
}

const enum EventKind {
  Deliver = 1,
  Timer = 2,
  SyncDone = 3,
  DisconnectNotice = 4,
  ClientRequest = 5,
  ClientPacket = 6,
  Call = 7,
}

/** What a pending event is, as a scheduler that chooses the next event sees it (sim/explore). */
export type PendingKind = 'deliver' | 'timer' | 'sync' | 'notice' | 'client-request' | 'client-packet' | 'call';

export interface PendingEvent {
  readonly record: EventRecord;
  readonly kind: PendingKind;
  /** The server it happens on; for a client packet the server it comes from; -1 for a call. */
  readonly node: NodeId;
  /** deliver: the sender; notice: the peer; client-request and client-packet: the client id; else -1. */
  readonly peer: number;
  /** deliver: the message id; sync: the sync id; else -1. */
  readonly id: number;
  /** The message, the timer's name, the client request or packet; undefined for a call. */
  readonly ref: unknown;
  /** When the event falls due: a timer's or call's deadline, else when it was sent. */
  readonly dueUs: number;
}

/** A PendingEvent a caller reuses (Cluster.describeInto). */
export type MutablePendingEvent = { -readonly [K in keyof PendingEvent]: PendingEvent[K] };

export interface StorageConfig {
  /** Time for a sync (fsync) to complete. */
  syncLatency: LatencySpec;
  /** Every write durable at once (lessons that are not about disks). */
  durableImmediately?: boolean;
}

export const DEFAULT_STORAGE: StorageConfig = { syncLatency: { kind: 'uniform', minUs: 200, maxUs: 1000 }, durableImmediately: false };

/** A client endpoint: receives replies and pushed notifications from servers. */
export interface ClientEndpoint {
  onReply(server: NodeId, req: ClientRequest, result: unknown): void;
  onNotify(server: NodeId, payload: unknown): void;
}

export interface ClusterOptions<Msg extends Message> {
  servers: number;
  factory: NodeFactory<Msg>;
  seed: number | string;
  network?: NetworkConfig;
  storage?: StorageConfig;
  /** Keep trace events in memory (the hash and counts are kept either way). */
  keepTrace?: boolean;
  meta?: Partial<TraceMeta>;
}

export interface RunLimits {
  /** Stop when the next event is later than this (the clock is then set to it). */
  untilUs?: number;
  /** Stop after this many events (counted over this call). */
  maxEvents?: number;
  /** Stop as soon as this returns true (checked after every event). */
  stopWhen?: () => boolean;
}

export type StopReason = 'time' | 'events' | 'predicate' | 'quiescent' | 'halted';

interface TimerEntry {
  gen: number;
  record: EventRecord | null;
}

interface HeldEvent {
  kind: EventKind;
  a: number;
  b: number;
  ref: unknown;
  incarnation: number;
}

class NodeSlot<Msg extends Message> {
  behavior: NodeBehavior<Msg> | null = null;
  up = false;
  paused = false;
  /** Bumped on every crash: events of an earlier incarnation are stale. */
  incarnation = 0;
  timers = new Map<string, TimerEntry>();
  timerGen = 0;
  held: HeldEvent[] = [];
  /** When the disk's last sync completes (it completes syncs in order). A field, not a closure's variable: a snapshot of the cluster (sim/explore) must see it. */
  lastSyncDoneUs = 0;
  ctx!: NodeContext<Msg>;
  constructor(
    readonly id: NodeId,
    readonly storage: NodeStorage,
    readonly rng: Rng,
  ) {}
}

export class Cluster<Msg extends Message = Message> {
  readonly queue = new EventQueue();
  readonly rngs: RngStreams;
  readonly net: NetworkState;
  readonly trace: TraceRecorder;
  readonly serverIds: readonly NodeId[];
  private readonly slots: NodeSlot<Msg>[];
  private readonly netRng: Rng;
  private readonly syncSampler: LatencySampler;
  private readonly storageRng: Rng;
  private readonly clients: ClientEndpoint[] = [];
  private readonly afterEventHooks: (() => void)[] = [];
  /** Last arrival per client link direction: a client talks to a server over TCP (FIFO). */
  private readonly clientLinkLastUs = new Map<number, number>();
  private nextMsgId = 0;
  nowUs = 0;
  eventsProcessed = 0;
  /** Set by halt(): the run stops after the current event (a broken invariant, say). */
  haltReason: string | null = null;

  constructor(readonly options: ClusterOptions<Msg>) {
    const n = options.servers;
    if (!Number.isInteger(n) || n < 1) throw new Error(`cluster needs at least one server, got ${n}`);
    this.rngs = new RngStreams(options.seed);
    this.netRng = this.rngs.stream('network');
    this.storageRng = this.rngs.stream('storage');
    const network = options.network ?? DEFAULT_NETWORK;
    this.net = new NetworkState(n, network);
    const storage = options.storage ?? DEFAULT_STORAGE;
    this.syncSampler = compileLatency(storage.syncLatency);
    this.serverIds = Array.from({ length: n }, (_, i) => i);
    const meta: TraceMeta = { format: TRACE_FORMAT, version: TRACE_VERSION, seed: options.seed, protocol: 'custom', servers: n, ...options.meta };
    this.trace = new TraceRecorder(meta, options.keepTrace ?? true);
    this.slots = this.serverIds.map((id) => {
      const slot = new NodeSlot<Msg>(id, new NodeStorage(storage.durableImmediately ?? false), this.rngs.stream(`node:${id}`));
      slot.ctx = this.makeContext(slot);
      slot.storage.requestSync = (syncId) => {
        // The disk completes syncs in order.
        const doneUs = Math.max(this.nowUs + this.syncSampler.sample(this.storageRng), slot.lastSyncDoneUs);
        slot.lastSyncDoneUs = doneUs;
        this.queue.schedule(doneUs, EventKind.SyncDone, id, null, syncId).incarnation = slot.incarnation;
      };
      return slot;
    });
  }

  // ---------------------------------------------------------------- setup

  /** Boots every server (onStart) at the current time. */
  start(): void {
    for (const slot of this.slots) this.boot(slot);
  }

  addClient(endpoint: ClientEndpoint): number {
    this.clients.push(endpoint);
    return this.clients.length - 1;
  }

  /** Runs after every event: invariant checks, lab observers. Keep them cheap. */
  afterEvent(hook: () => void): void {
    this.afterEventHooks.push(hook);
  }

  /** Schedules a callback (fault scripts, workload ticks) at an absolute time. */
  at(timeUs: number, callback: () => void): void {
    this.queue.schedule(Math.max(timeUs, this.nowUs), EventKind.Call, -1, callback);
  }

  // ---------------------------------------------------------------- inspection

  get size(): number {
    return this.slots.length;
  }

  isUp(node: NodeId): boolean {
    return this.slots[node].up;
  }

  isPaused(node: NodeId): boolean {
    return this.slots[node].paused;
  }

  behavior(node: NodeId): NodeBehavior<Msg> | null {
    return this.slots[node].behavior;
  }

  storage(node: NodeId): NodeStorage {
    return this.slots[node].storage;
  }

  inspect(node: NodeId): NodeSnapshot {
    const slot = this.slots[node];
    if (!slot.up || slot.behavior === null) return { role: 'DOWN' };
    return slot.behavior.inspect();
  }

  halt(reason: string): void {
    if (this.haltReason === null) this.haltReason = reason;
  }

  // ---------------------------------------------------------------- faults

  crash(node: NodeId): void {
    const slot = this.slots[node];
    if (!slot.up) return;
    slot.up = false;
    slot.paused = false;
    slot.behavior = null;
    slot.incarnation++;
    for (const entry of slot.timers.values()) if (entry.record !== null) this.queue.cancel(entry.record);
    slot.timers.clear();
    this.trace.add(this.nowUs, node, 'crash');
    // Messages that reached a paused process but were never handed over die with it.
    for (const event of slot.held) {
      if (event.kind === EventKind.Deliver) this.drop(node, event.a, event.b, (event.ref as Msg).type, 'crashed');
    }
    slot.held.length = 0;
    slot.storage.crash();
    if (this.net.channel === 'connection') {
      for (const peer of this.serverIds) {
        if (peer === node) continue;
        this.breakConnection(node, peer);
        // The new process starts with no connection: it may dial at once.
        this.net.connKnownBroken[node * this.net.n + peer] = 1;
      }
    }
  }

  restart(node: NodeId): void {
    const slot = this.slots[node];
    if (slot.up) return;
    this.trace.add(this.nowUs, node, 'restart');
    this.boot(slot);
  }

  pause(node: NodeId): void {
    const slot = this.slots[node];
    if (!slot.up || slot.paused) return;
    slot.paused = true;
    this.trace.add(this.nowUs, node, 'pause');
  }

  resume(node: NodeId): void {
    const slot = this.slots[node];
    if (!slot.up || !slot.paused) return;
    slot.paused = false;
    this.trace.add(this.nowUs, node, 'resume');
    // Everything that arrived or fell due during the pause runs now, in order, and before
    // anything else that reaches the node at this instant: a message arriving now on a
    // connection was sent after the held ones (FIFO).
    const held = slot.held;
    slot.held = [];
    for (const event of held) {
      // Held messages are judged again when handed over (a cut or a broken connection
      // since their arrival drops them), so nothing crosses a cut even via a pause.
      const record = this.queue.scheduleAhead(this.nowUs, event.kind, node, event.ref, event.a, event.b);
      record.incarnation = event.incarnation;
    }
  }

  /** Splits the servers into groups; links between groups are cut both ways. */
  partition(groups: readonly (readonly number[])[], shape?: string): void {
    this.net.setPartition(groups);
    this.trace.add(this.nowUs, -1, 'partition', { groups: groups.map((g) => [...g]), cuts: this.net.cuts(), shape });
  }

  /** Adds one-way cuts: messages from → to are dropped; the reverse direction is untouched. */
  cut(cuts: readonly (readonly [number, number])[], shape?: string): void {
    this.net.addCuts(cuts);
    this.trace.add(this.nowUs, -1, 'partition', { cuts: this.net.cuts(), shape });
  }

  heal(): void {
    this.net.heal();
    this.trace.add(this.nowUs, -1, 'heal');
  }

  /** Holds messages on from → to until untilUs (they are delivered afterwards, in order). */
  clog(from: NodeId, to: NodeId, untilUs: number): void {
    this.net.clog(from, to, untilUs);
    this.trace.add(this.nowUs, -1, 'clog', { from, to, untilUs });
  }

  setLossRate(lossRate: number): void {
    this.net.lossRate = lossRate;
    this.trace.add(this.nowUs, -1, 'net', { lossRate });
  }

  setDupRate(dupRate: number): void {
    this.net.dupRate = this.net.channel === 'datagram' ? dupRate : 0;
    this.trace.add(this.nowUs, -1, 'net', { dupRate: this.net.dupRate });
  }

  // ---------------------------------------------------------------- clients

  /** A client sends a request to a server (dropped if the server is down on arrival). */
  clientSend(server: NodeId, req: ClientRequest): void {
    this.queue.schedule(this.clientArrivalUs(req.clientId, server, 0), EventKind.ClientRequest, server, req);
  }

  /** Arrival time on a client link, FIFO per (client, server, direction). */
  private clientArrivalUs(clientId: number, server: NodeId, direction: 0 | 1): number {
    const key = (clientId * this.net.n + server) * 2 + direction;
    const arrivalUs = Math.max(this.nowUs + this.net.clientSampler.sample(this.netRng), this.clientLinkLastUs.get(key) ?? 0);
    this.clientLinkLastUs.set(key, arrivalUs);
    return arrivalUs;
  }

  // ---------------------------------------------------------------- run loop

  run(limits: RunLimits = {}): StopReason {
    const untilUs = limits.untilUs ?? Number.POSITIVE_INFINITY;
    const maxEvents = limits.maxEvents ?? Number.POSITIVE_INFINITY;
    const stopWhen = limits.stopWhen;
    const hooks = this.afterEventHooks;
    const queue = this.queue;
    let processed = 0;
    for (;;) {
      if (this.haltReason !== null) return 'halted';
      if (processed >= maxEvents) return 'events';
      if (queue.length === 0) {
        // Nothing left to happen: time still passes up to the limit.
        if (untilUs !== Number.POSITIVE_INFINITY && untilUs > this.nowUs) this.nowUs = untilUs;
        return 'quiescent';
      }
      if (queue.peekTimeUs() > untilUs) {
        this.nowUs = untilUs;
        return 'time';
      }
      const record = queue.pop()!;
      if (record.kind === CANCELLED) {
        queue.release(record);
        continue;
      }
      this.nowUs = record.timeUs;
      this.dispatch(record);
      queue.release(record);
      if (queue.wantsCompaction) queue.compact();
      processed++;
      this.eventsProcessed++;
      for (let i = 0; i < hooks.length; i++) hooks[i]();
      if (stopWhen !== undefined && stopWhen()) return 'predicate';
    }
  }

  private dispatch(record: EventRecord): void {
    switch (record.kind as EventKind) {
      case EventKind.Deliver:
        this.arrive(record);
        return;
      case EventKind.Call:
        (record.ref as () => void)();
        return;
      case EventKind.ClientPacket: {
        const client = this.clients[record.a];
        const packet = record.ref as { req?: ClientRequest; result?: unknown; payload?: unknown };
        if (packet.req !== undefined) client.onReply(record.b, packet.req, packet.result);
        else client.onNotify(record.b, packet.payload);
        return;
      }
      default:
        this.nodeEvent(record);
    }
  }

  /** Timers, sync completions, disconnect notices and client requests for a node. */
  private nodeEvent(record: EventRecord): void {
    const slot = this.slots[record.node];
    const kind = record.kind as EventKind;
    if (kind === EventKind.Timer) {
      // The record goes back to the pool after this event: forget it so a later cancel cannot touch it.
      const entry = slot.timers.get(record.ref as string);
      if (entry !== undefined && entry.gen === record.a) entry.record = null;
    }
    if (kind === EventKind.ClientRequest) {
      if (!slot.up) return; // the client will time out
    } else if (!slot.up || record.incarnation !== slot.incarnation) {
      return;
    }
    if (kind === EventKind.SyncDone) {
      // The disk finishes the write even while the process is paused.
      slot.storage.completeSync(record.a);
    }
    if (slot.paused) {
      slot.held.push({ kind, a: record.a, b: record.b, ref: record.ref, incarnation: record.incarnation });
      return;
    }
    this.runHeld(slot, kind, record.a, record.b, record.ref);
  }

  private runHeld(slot: NodeSlot<Msg>, kind: EventKind, a: number, b: number, ref: unknown): void {
    const behavior = slot.behavior!;
    switch (kind) {
      case EventKind.Timer: {
        const name = ref as string;
        const entry = slot.timers.get(name);
        if (entry === undefined || entry.gen !== a) return;
        slot.timers.delete(name);
        this.trace.add(this.nowUs, slot.id, 'timer', { name });
        behavior.onTimer(slot.ctx, name);
        return;
      }
      case EventKind.SyncDone:
        this.trace.add(this.nowUs, slot.id, 'sync', { syncId: a });
        behavior.onSync?.(slot.ctx, a);
        return;
      case EventKind.DisconnectNotice:
        this.net.connKnownBroken[slot.id * this.net.n + a] = 1;
        this.trace.add(this.nowUs, slot.id, 'disconnect', { peer: a });
        behavior.onDisconnect?.(slot.ctx, a);
        return;
      case EventKind.ClientRequest:
        behavior.onClient(slot.ctx, ref as ClientRequest);
        return;
      case EventKind.Deliver: {
        const msg = ref as Msg;
        this.trace.addMessage(MESSAGE_DELIVER, this.nowUs, slot.id, a, b, msg.type, 0);
        behavior.onMessage(slot.ctx, a, msg);
        return;
      }
      default:
        throw new Error(`unknown node event kind ${kind}`);
    }
  }

  // ---------------------------------------------------------------- controlled scheduling

  /**
   * The events that could happen next, in the order they were scheduled, for a
   * scheduler that chooses the next event itself instead of taking the earliest
   * (sim/explore). Left out: cancelled events, events of a dead incarnation, timers
   * re-set since, and messages on a connection that broke after they were sent (their
   * arrival could only be dropped, with no effect on any node).
   */
  pendingEvents(): PendingEvent[] {
    const records = this.liveRecords(this.liveScratch);
    const events = new Array<PendingEvent>(records.length);
    for (let i = 0; i < records.length; i++) events[i] = this.describe(records[i]);
    records.length = 0;
    return events;
  }

  /**
   * The records of pendingEvents(), in the order they were scheduled, into `out` (emptied
   * first; a caller's reused array): for a fingerprint that hashes every pending event and
   * needs no PendingEvent object per event (describeInto fills one reused object).
   */
  liveRecords(out: EventRecord[]): EventRecord[] {
    out.length = 0;
    const queue = this.queue;
    // The queue's own rule, as between events in run(): a read should not shape the heap by a rule of its own.
    if (queue.wantsCompaction) queue.compact();
    for (let i = 0, n = queue.length; i < n; i++) {
      const record = queue.recordAt(i);
      if (record.kind !== CANCELLED && this.isLive(record)) out.push(record);
    }
    sortBySeq(out);
    return out;
  }

  private readonly liveScratch: EventRecord[] = [];

  private isLive(record: EventRecord): boolean {
    const kind = record.kind as EventKind;
    if (kind === EventKind.Call || kind === EventKind.ClientPacket || kind === EventKind.ClientRequest) return true;
    const slot = this.slots[record.node];
    if (kind === EventKind.Deliver) {
      if (this.net.channel !== 'connection' || record.a === record.node) return true;
      const pair = this.net.pairIndex(record.a, record.node);
      return this.net.connBroken[pair] === 0 && this.net.connIncarnation[pair] === record.incarnation;
    }
    if (!slot.up || record.incarnation !== slot.incarnation) return false;
    if (kind === EventKind.Timer) return slot.timers.get(record.ref as string)?.gen === record.a;
    return true;
  }

  private describe(record: EventRecord): PendingEvent {
    return this.describeInto(record, { record, kind: 'call', node: -1, peer: -1, id: -1, ref: undefined, dueUs: 0 });
  }

  /** Fills `out` with the pending event `record` stands for (a record liveRecords() returned); returns `out`. */
  describeInto(record: EventRecord, out: MutablePendingEvent): PendingEvent {
    const ref = record.ref;
    out.record = record;
    out.dueUs = record.timeUs;
    out.ref = ref;
    out.peer = -1;
    out.id = -1;
    out.node = record.node;
    switch (record.kind as EventKind) {
      case EventKind.Deliver:
        out.kind = 'deliver';
        out.peer = record.a;
        out.id = record.b;
        break;
      case EventKind.Timer:
        out.kind = 'timer';
        break;
      case EventKind.SyncDone:
        out.kind = 'sync';
        out.id = record.a;
        break;
      case EventKind.DisconnectNotice:
        out.kind = 'notice';
        out.peer = record.a;
        break;
      case EventKind.ClientRequest:
        out.kind = 'client-request';
        out.peer = (ref as ClientRequest).clientId;
        break;
      case EventKind.ClientPacket:
        out.kind = 'client-packet';
        out.node = record.b;
        out.peer = record.a;
        break;
      default:
        out.kind = 'call';
        out.node = -1;
        out.ref = undefined;
    }
    return out;
  }

  /** The fired event's fields: its record is cancelled (it stays in the heap until it surfaces). */
  private readonly fireScratch = new EventRecord();

  /**
   * Runs one pending event now, whatever its time: the clock moves to its due time if
   * that is later (a timer or call), and stays otherwise (a message delivered now took
   * exactly as long as the scheduler let it). The after-event hooks run as in run().
   */
  fire(record: EventRecord): void {
    if (record.kind === CANCELLED) throw new Error('fire: that event was cancelled');
    const copy = this.fireScratch;
    copy.timeUs = record.timeUs;
    copy.kind = record.kind;
    copy.node = record.node;
    copy.incarnation = record.incarnation;
    copy.a = record.a;
    copy.b = record.b;
    copy.ref = record.ref;
    this.queue.cancel(record);
    if (copy.timeUs > this.nowUs) this.nowUs = copy.timeUs;
    this.dispatch(copy);
    copy.ref = undefined;
    this.afterOutsideEvent();
  }

  /** One event ran outside run()'s loop (fire, act, lose, duplicate): count it and run the after-event hooks, as run() does. */
  private afterOutsideEvent(): void {
    this.eventsProcessed++;
    for (const hook of this.afterEventHooks) hook();
  }

  /** Runs an action from outside the queue (a fault a scheduler chose) as one event: the after-event hooks run. */
  act(action: () => void): void {
    action();
    this.afterOutsideEvent();
  }

  /** Loses a message in flight (a connection breaks, as on loss). */
  losePending(record: EventRecord): void {
    if (record.kind !== EventKind.Deliver) throw new Error('losePending: not a message');
    const to = record.node;
    const from = record.a;
    const msg = record.ref as Msg;
    this.queue.cancel(record);
    this.drop(to, from, record.b, msg.type, 'loss');
    if (this.net.channel === 'connection' && from !== to) this.breakConnection(from, to);
    this.afterOutsideEvent();
  }

  /** Duplicates a datagram in flight: the copy is another pending delivery. */
  duplicatePending(record: EventRecord): void {
    if (record.kind !== EventKind.Deliver || this.net.channel !== 'datagram') throw new Error('duplicatePending: not a datagram');
    const msg = record.ref as Msg;
    const dupId = this.nextMsgId++;
    this.trace.addMessage(MESSAGE_DUPLICATE, this.nowUs, record.node, record.a, dupId, msg.type, record.b + 1);
    this.queue.schedule(this.nowUs, EventKind.Deliver, record.node, msg, record.a, dupId);
    this.afterOutsideEvent();
  }

  /** A node's pending timers: name and due time, in the order they were set. */
  timersOf(node: NodeId): [string, number][] {
    const timers: [string, number][] = [];
    for (const [name, entry] of this.slots[node].timers) if (entry.record !== null) timers.push([name, entry.record.timeUs]);
    return timers;
  }

  /** The context object the simulator hands to `node` (a state walk leaves it out). */
  contextOf(node: NodeId): NodeContext<Msg> {
    return this.slots[node].ctx;
  }

  // ---------------------------------------------------------------- messages

  private drop(to: NodeId, from: NodeId, msgId: number, type: string, reason: DropReason): void {
    this.trace.addMessage(MESSAGE_DROP, this.nowUs, to, from, msgId, type, DROP_REASONS.indexOf(reason) + 1);
  }

  /** The send rules, in order: broken connection, cut, loss, latency, clog, FIFO. */
  send(from: NodeId, to: NodeId, msg: Msg): number {
    const net = this.net;
    const msgId = this.nextMsgId++;
    const type = msg.type;
    if (to < 0 || to >= net.n || !Number.isInteger(to)) throw new Error(`node ${from} sent ${type} to unknown node ${to}`);
    if (from === to) {
      this.trace.addMessage(MESSAGE_SEND, this.nowUs, from, to, msgId, type, 0, msg);
      this.queue.schedule(this.nowUs, EventKind.Deliver, to, msg, from, msgId);
      return msgId;
    }
    const isConnection = net.channel === 'connection';
    let pair = 0;
    let brokenUnknown = false;
    if (isConnection) {
      pair = net.pairIndex(from, to);
      if (net.connBroken[pair] === 1) {
        if (net.connKnownBroken[from * net.n + to] === 1) {
          // The sender knows the old connection is gone: dial a new one.
          net.connIncarnation[pair]++;
          net.connBroken[pair] = 0;
          net.connKnownBroken[from * net.n + to] = 0;
          net.connKnownBroken[to * net.n + from] = 0;
        } else {
          brokenUnknown = true;
        }
      }
    }
    this.trace.addMessage(MESSAGE_SEND, this.nowUs, from, to, msgId, type, 0, msg, isConnection ? net.connIncarnation[pair] : undefined);
    if (brokenUnknown) {
      // Written to a socket whose peer is gone: lost, and the sender learns it by its notice.
      this.drop(to, from, msgId, type, 'broken-connection');
      return msgId;
    }
    const link = from * net.n + to;
    if (net.cutCount > 0 && net.cut[link] === 1) {
      this.drop(to, from, msgId, type, 'partition');
      if (isConnection) this.breakConnection(from, to);
      return msgId;
    }
    if (net.lossRate > 0 && this.netRng.next() < net.lossRate) {
      this.drop(to, from, msgId, type, 'loss');
      if (isConnection) this.breakConnection(from, to);
      return msgId;
    }
    let arrivalUs = this.nowUs + net.samplers[link].sample(this.netRng);
    if (net.clogCount > 0 && net.clogUntilUs[link] > this.nowUs) {
      arrivalUs = net.clogUntilUs[link] + (arrivalUs - this.nowUs);
    }
    if (isConnection) {
      if (arrivalUs < net.lastArrivalUs[link]) arrivalUs = net.lastArrivalUs[link];
      net.lastArrivalUs[link] = arrivalUs;
      this.queue.schedule(arrivalUs, EventKind.Deliver, to, msg, from, msgId).incarnation = net.connIncarnation[pair];
      return msgId;
    }
    this.queue.schedule(arrivalUs, EventKind.Deliver, to, msg, from, msgId);
    if (net.dupRate > 0 && this.netRng.next() < net.dupRate) {
      const dupId = this.nextMsgId++;
      this.trace.addMessage(MESSAGE_DUPLICATE, this.nowUs, to, from, dupId, type, msgId + 1);
      const dupArrivalUs = this.nowUs + net.samplers[link].sample(this.netRng);
      this.queue.schedule(dupArrivalUs, EventKind.Deliver, to, msg, from, dupId);
    }
    return msgId;
  }

  /** The arrival rules, in order: receiver down, connection broken meanwhile, cut, paused. */
  private arrive(record: EventRecord): void {
    const to = record.node;
    const from = record.a;
    const msg = record.ref as Msg;
    const slot = this.slots[to];
    const net = this.net;
    const isConnection = net.channel === 'connection' && from !== to;
    if (!slot.up) {
      this.drop(to, from, record.b, msg.type, 'crashed');
      return;
    }
    if (isConnection) {
      const pair = net.pairIndex(from, to);
      if (net.connBroken[pair] === 1 || net.connIncarnation[pair] !== record.incarnation) {
        this.drop(to, from, record.b, msg.type, 'broken-connection');
        return;
      }
    }
    if (net.cutCount > 0 && net.cut[from * net.n + to] === 1) {
      this.drop(to, from, record.b, msg.type, 'partition');
      if (isConnection) this.breakConnection(from, to);
      return;
    }
    if (slot.paused) {
      // Held until resume; `incarnation` keeps the connection incarnation for the re-check.
      slot.held.push({ kind: EventKind.Deliver, a: from, b: record.b, ref: msg, incarnation: record.incarnation });
      return;
    }
    this.runHeld(slot, EventKind.Deliver, from, record.b, msg);
  }

  /** A connection broke: later messages on it are lost; both ends learn after the detection delay. */
  private breakConnection(a: NodeId, b: NodeId): void {
    const net = this.net;
    const pair = net.pairIndex(a, b);
    if (net.connBroken[pair] === 1) return;
    net.connBroken[pair] = 1;
    net.connKnownBroken[a * net.n + b] = 0;
    net.connKnownBroken[b * net.n + a] = 0;
    const noticeUs = this.nowUs + net.disconnectDetectUs;
    for (const [node, peer] of [
      [a, b],
      [b, a],
    ]) {
      const slot = this.slots[node];
      if (!slot.up) continue;
      this.queue.schedule(noticeUs, EventKind.DisconnectNotice, node, null, peer).incarnation = slot.incarnation;
    }
  }

  // ---------------------------------------------------------------- node context

  private boot(slot: NodeSlot<Msg>): void {
    // A fresh process has no connection: any broken one may be redialled at once
    // (it may have broken while this node was down, when nobody could tell it).
    const net = this.net;
    for (let peer = 0; peer < net.n; peer++) {
      if (peer !== slot.id && net.connBroken[net.pairIndex(slot.id, peer)] === 1) net.connKnownBroken[slot.id * net.n + peer] = 1;
    }
    slot.up = true;
    slot.paused = false;
    slot.behavior = this.options.factory(slot.id);
    slot.behavior.onStart(slot.ctx);
  }

  private setTimer(slot: NodeSlot<Msg>, name: string, delayUs: number): void {
    if (!(delayUs >= 0)) throw new Error(`node ${slot.id}: timer "${name}" with invalid delay ${delayUs}`);
    const existing = slot.timers.get(name);
    if (existing !== undefined && existing.record !== null) this.queue.cancel(existing.record);
    const gen = ++slot.timerGen;
    const record = this.queue.schedule(this.nowUs + Math.round(delayUs), EventKind.Timer, slot.id, name, gen);
    record.incarnation = slot.incarnation;
    if (existing !== undefined) {
      existing.gen = gen;
      existing.record = record;
    } else {
      slot.timers.set(name, { gen, record });
    }
  }

  private makeContext(slot: NodeSlot<Msg>): NodeContext<Msg> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const cluster = this;
    const id = slot.id;
    return {
      get nowUs() {
        return cluster.nowUs;
      },
      id,
      servers: cluster.serverIds,
      rng: slot.rng,
      storage: slot.storage,
      send: (to, msg) => cluster.send(id, to, msg),
      setTimer: (name, delayUs) => cluster.setTimer(slot, name, delayUs),
      cancelTimer: (name) => {
        const entry = slot.timers.get(name);
        if (entry === undefined) return;
        if (entry.record !== null) cluster.queue.cancel(entry.record);
        slot.timers.delete(name);
      },
      hasTimer: (name) => slot.timers.has(name),
      reply: (req, result) => {
        cluster.queue.schedule(cluster.clientArrivalUs(req.clientId, id, 1), EventKind.ClientPacket, -1, { req, result }, req.clientId, id);
      },
      notifyClient: (clientId, payload) => {
        cluster.queue.schedule(cluster.clientArrivalUs(clientId, id, 1), EventKind.ClientPacket, -1, { payload }, clientId, id);
      },
      record: (kind, data) => {
        cluster.trace.add(cluster.nowUs, id, kind, data);
      },
      note: (text) => {
        cluster.trace.add(cluster.nowUs, id, 'note', { text });
      },
    };
  }
}
