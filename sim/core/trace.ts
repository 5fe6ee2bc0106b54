/**
 * Traces: the complete, versioned record of a run.
 *
 * A trace is `meta` followed by every event in the order it happened. Each event has
 * `timeUs` (virtual time), `seq` (its index in the trace), `node` (the server or client
 * it concerns, -1 for cluster-wide events) and `kind`; the other fields depend on the
 * kind and are documented on `TraceEvent` below and in the README.
 *
 * The trace hash is a 64-bit digest of the events (not of `meta`, and not of message
 * payloads, which are determined by the events before them), computed incrementally
 * while the run goes, whether or not events are kept in memory. The same scenario,
 * seed, protocol and code give the same hash in Node and in the browser; `readTrace`
 * recomputes the hash of a trace file from its events, so a file can be checked.
 */

export const TRACE_FORMAT = 'zablab-trace';
export const TRACE_VERSION = 1;

export type DropReason = 'loss' | 'partition' | 'crashed' | 'broken-connection' | 'not-running';

export const DROP_REASONS: readonly DropReason[] = ['loss', 'partition', 'crashed', 'broken-connection', 'not-running'];

/**
 * Event kinds and their fields:
 * - `send` {to, msgId, type, msg, conn?}: node sent a message (msg is the payload; conn is
 *   the connection incarnation on connection networks, not part of the hash).
 * - `deliver` {from, msgId, type}: the message reached `node` and was handled.
 * - `drop` {from, msgId, type, reason}: the message to `node` was lost; reason is one of
 *   loss | partition | crashed | broken-connection | not-running.
 * - `duplicate` {from, msgId, dupOf, type}: the network duplicated message dupOf as msgId.
 * - `timer` {name}: a timer fired at node.
 * - `disconnect` {peer}: node learned that its connection to peer broke.
 * - `crash`, `restart`, `pause`, `resume`: node lifecycle faults.
 * - `partition` {groups?, cuts, shape?}: the network was cut; cuts are [from, to] pairs.
 * - `heal`: all cuts removed. `clog` {from, to, untilUs}: a link holds messages until untilUs.
 * - `net` {lossRate?, dupRate?}: a network parameter changed.
 * - `sync` {syncId}: a storage sync of node completed (its writes are durable).
 * - `invoke` {client, process, opId, f, value}: a client operation started (node = server).
 * - `complete` {client, process, opId, f, value, result}: it ended; result ok | fail | info.
 * - `state` {...fields}: protocol state that a learner must see changed (role, epoch, zxids...).
 * - `commit` / other protocol kinds {...}: recorded by protocols through ctx.record.
 * - `note` {text}: a human-readable explanation.
 * - `violation` {invariant, message, seqs?}: an invariant failed; seqs point at the events.
 */
export interface TraceEvent {
  timeUs: number;
  seq: number;
  node: number;
  kind: string;
  [field: string]: unknown;
}

export interface TraceMeta {
  format: typeof TRACE_FORMAT;
  version: number;
  /** Scenario name or file, if any. */
  scenario?: string;
  title?: string;
  seed: number | string;
  protocol: string;
  servers: number;
  clients?: number;
  /** Anything else a producer wants to keep (scenario body, bug switches, ...). */
  [field: string]: unknown;
}

export interface Trace {
  meta: TraceMeta;
  events: TraceEvent[];
  hash: string;
}

/** The codes of the message event kinds, as the hash mixes them (TraceRecorder.addMessage takes them). */
export const MESSAGE_SEND = 1;
export const MESSAGE_DELIVER = 2;
export const MESSAGE_DROP = 3;
export const MESSAGE_DUPLICATE = 4;
export type MessageEventCode = typeof MESSAGE_SEND | typeof MESSAGE_DELIVER | typeof MESSAGE_DROP | typeof MESSAGE_DUPLICATE;

const MESSAGE_KINDS: Record<string, MessageEventCode> = { send: MESSAGE_SEND, deliver: MESSAGE_DELIVER, drop: MESSAGE_DROP, duplicate: MESSAGE_DUPLICATE };

/** FNV-1a of a string: what the trace hash mixes for a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * Interned string hashes: field names, event kinds and message types repeat in every
 * event, so each is hashed once per process instead of once per event. A pure cache (the
 * value is a function of the string alone), shared by every hasher; bounded, and only
 * short strings go in (long ones are data, rarely repeated).
 */
const INTERNED_HASHES = new Map<string, number>();
const INTERNED_MAX_ENTRIES = 1 << 14;
const INTERNED_MAX_LENGTH = 32;

/**
 * A direct-mapped cache in front of the map: a slot chosen from a name's length and three
 * of its characters, checked by comparing the strings (the same interned constant nearly
 * always, so a pointer compare). A hit costs a few loads where a map lookup costs a hash
 * probe; a miss falls through to the map (90 message types, record kinds and field names
 * of ZAB and Paxos share 5 slots between 10 of them). A pure function of the string.
 */
const RECENT_SLOTS = 512;
const recentNames: string[] = new Array<string>(RECENT_SLOTS).fill('');
const recentHashes = new Int32Array(RECENT_SLOTS);
recentHashes[0] = fnv1a('');

function recentSlot(text: string): number {
  const n = text.length;
  if (n === 0) return 0;
  return (Math.imul(text.charCodeAt(0), 31) + Math.imul(text.charCodeAt(n >>> 1), 17) + Math.imul(text.charCodeAt(n - 1), 7) + Math.imul(n, 131)) & (RECENT_SLOTS - 1);
}

function internedHash(text: string): number {
  const slot = recentSlot(text);
  if (recentNames[slot] === text) return recentHashes[slot];
  let h = INTERNED_HASHES.get(text);
  if (h === undefined) {
    h = fnv1a(text);
    if (text.length > INTERNED_MAX_LENGTH) return h;
    if (INTERNED_HASHES.size < INTERNED_MAX_ENTRIES) INTERNED_HASHES.set(text, h);
  }
  recentNames[slot] = text;
  recentHashes[slot] = h;
  return h;
}

/** What a recorder keeps per kind of non-message event: its count, its name's hash, and the field names (and their hashes) its last record had. */
export class RecordKind {
  count = 0;
  readonly nameHash: number;
  readonly fieldNames: string[] = [];
  readonly fieldHashes: number[] = [];
  constructor(readonly kind: string) {
    this.nameHash = internedHash(kind);
  }
}

/** A recorder's state when it keeps no events (TraceRecorder.saveState): immutable once made. */
export interface RecorderState {
  readonly count: number;
  readonly heard: number;
  readonly lastTimeUs: number;
  readonly h1: number;
  readonly h2: number;
  readonly messageCounts: readonly number[];
  /** The kinds met, in the order they were first met, and each one's count. */
  readonly kinds: readonly RecordKind[];
  readonly kindCounts: readonly number[];
}

/** The words of a message event for TraceHasher.mixWords: scratch, filled and mixed within one call. */
const MESSAGE_WORDS = new Int32Array(8);

/** Incremental 64-bit (two 32-bit lanes) hash; murmur3-style mixing. */
export class TraceHasher {
  private h1 = 0x9e3779b9 | 0;
  private h2 = 0x85ebca6b | 0;

  mix(value: number): void {
    let k = value | 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h1 = this.h1 ^ k;
    h1 = (h1 << 13) | (h1 >>> 19);
    this.h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let h2 = this.h2 ^ Math.imul(value | 0, 0x27d4eb2f);
    h2 = (h2 << 11) | (h2 >>> 21);
    this.h2 = (Math.imul(h2, 0x165667b1) + this.h1) | 0;
  }

  mixNumber(value: number): void {
    if (value >= 0 && value < 4294967296 && value === Math.floor(value)) {
      this.mix(value | 0);
      this.mix(0);
    } else if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) {
      this.mix(value % 4294967296);
      this.mix(Math.floor(value / 4294967296));
    } else {
      this.mixString(String(value));
    }
  }

  mixString(text: string): void {
    this.mix(fnv1a(text));
    this.mix(text.length);
  }

  /** mixString for a name (an event kind, a field name, a message type): its hash is interned. */
  mixName(name: string): void {
    this.mix(internedHash(name));
    this.mix(name.length);
  }

  /** Hashes JSON-like data; undefined fields are skipped (as JSON drops them). */
  mixValue(value: unknown): void {
    switch (typeof value) {
      case 'number':
        this.mix(1);
        this.mixNumber(value);
        return;
      case 'string':
        this.mix(2);
        this.mixString(value);
        return;
      case 'boolean':
        this.mix(value ? 3 : 4);
        return;
      case 'undefined':
        return;
      case 'object':
        if (value === null) {
          this.mix(5);
        } else if (Array.isArray(value)) {
          this.mix(6);
          this.mix(value.length);
          for (const item of value) this.mixValue(item === undefined ? null : item);
        } else {
          this.mix(7);
          for (const key in value as Record<string, unknown>) {
            const field = (value as Record<string, unknown>)[key];
            if (field === undefined) continue;
            this.mixName(key);
            this.mixValue(field);
          }
        }
        return;
      default:
        this.mixString(String(value));
    }
  }

  /**
   * The last message type hashed and its hash: a run's message events come in runs of
   * one type (a broadcast, a ring), so a pointer compare usually finds it. A pure cache.
   */
  private lastType = '';
  private lastTypeHash = fnv1a('');

  /**
   * mix() of MESSAGE_WORDS[0..count) in order, both lanes kept in locals meanwhile: the
   * same digest as mixing the words one by one, without a load and a store of both lanes
   * per word (which cost as much as the mixing: 37 → 22 ns per message event).
   */
  private mixWords(count: number): void {
    const words = MESSAGE_WORDS;
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < count; i++) {
      const value = words[i];
      let k = Math.imul(value, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h1 ^= k;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      h2 ^= Math.imul(value, 0x27d4eb2f);
      h2 = (h2 << 11) | (h2 >>> 21);
      h2 = (Math.imul(h2, 0x165667b1) + h1) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** The hash of a message event, field by field (used by the hot path and by hashEvent alike). */
  mixMessageEvent(kindCode: number, timeUs: number, node: number, peer: number, msgId: number, type: string, extra: number): void {
    if (type !== this.lastType) {
      this.lastTypeHash = internedHash(type);
      this.lastType = type;
    }
    const words = MESSAGE_WORDS;
    let count = 0;
    // mixNumber's first case, inline: a run's clock is an integer below 2^32 µs (71 minutes).
    if (timeUs >= 0 && timeUs < 4294967296 && timeUs === Math.floor(timeUs)) {
      words[0] = kindCode;
      words[1] = timeUs;
      words[2] = 0;
      count = 3;
    } else {
      this.mix(kindCode);
      this.mixNumber(timeUs);
    }
    // An Int32Array element is its value modulo 2^32, as mix's `| 0` takes it.
    words[count] = node;
    words[count + 1] = peer;
    words[count + 2] = msgId;
    words[count + 3] = this.lastTypeHash;
    words[count + 4] = extra;
    this.mixWords(count + 5);
  }

  /**
   * The hash of a non-message event given as its head and its fields, without building
   * the event: the same as mixEvent({timeUs, seq, node, kind, ...data}). The head's names
   * are the event's own: a record that sets one is a bug in its producer, refused here.
   * `kindInfo` remembers the kind's hash and the field names of its last record with
   * their hashes: records of one kind come from a few call sites and name the same
   * fields in the same order, so a name is found by comparing one string.
   */
  mixRecord(kind: string, timeUs: number, node: number, data: Record<string, unknown> | undefined, kindInfo: RecordKind): void {
    this.mix(0);
    this.mix(kindInfo.nameHash);
    this.mix(kind.length);
    this.mixNumber(timeUs);
    this.mix(node);
    if (data === undefined) return;
    const names = kindInfo.fieldNames;
    const hashes = kindInfo.fieldHashes;
    let index = 0;
    for (const key in data) {
      let nameHash: number;
      if (names[index] === key) nameHash = hashes[index];
      else {
        if (key === 'timeUs' || key === 'seq' || key === 'node' || key === 'kind') throw new Error(`a "${kind}" record may not set the event's own field "${key}"`);
        nameHash = internedHash(key);
        names[index] = key;
        hashes[index] = nameHash;
      }
      index++;
      const field = data[key];
      if (field === undefined) continue;
      this.mix(nameHash);
      this.mix(key.length);
      this.mixValue(field);
    }
  }

  mixEvent(event: TraceEvent): void {
    const code = MESSAGE_KINDS[event.kind];
    if (code !== undefined) {
      const peer = (event.kind === 'send' ? event.to : event.from) as number;
      let extra = 0;
      if (event.kind === 'drop') extra = DROP_REASONS.indexOf(event.reason as DropReason) + 1;
      else if (event.kind === 'duplicate') extra = (event.dupOf as number) + 1;
      this.mixMessageEvent(code, event.timeUs, event.node, peer, event.msgId as number, event.type as string, extra);
      return;
    }
    this.mix(0);
    this.mixName(event.kind);
    this.mixNumber(event.timeUs);
    this.mix(event.node);
    for (const key in event) {
      if (key === 'timeUs' || key === 'seq' || key === 'node' || key === 'kind') continue;
      const field = event[key];
      if (field === undefined) continue;
      this.mixName(key);
      this.mixValue(field);
    }
  }

  /** The two lanes: the hash's whole state (lastType and lastTypeHash are a pure cache). */
  get lane1(): number {
    return this.h1;
  }

  get lane2(): number {
    return this.h2;
  }

  /** Puts the lanes back (TraceRecorder.loadState). */
  setLanes(h1: number, h2: number): void {
    this.h1 = h1;
    this.h2 = h2;
  }

  digest(): string {
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    return hex(this.h1) + hex(this.h2);
  }
}

export type TraceListener = (event: TraceEvent) => void;

/** A listener to non-message records that needs no event object: the head, and the record's fields (read them, keep nothing but values). */
export type RecordListener = (timeUs: number, seq: number, node: number, kind: string, fields: Readonly<Record<string, unknown>>) => void;

const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Message events per chunk of column storage (2^14: a chunk is 448 KB of words and 128 KB of times). */
const CHUNK_BITS = 14;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** 32-bit words per message event: kind and type code, seq, node, peer, msgId, extra, conn (its time is in a column of its own). */
const STRIDE = 7;

/**
 * Column storage for message events (send, deliver, drop, duplicate): the bulk of every
 * trace. Keeping them as numbers in fixed-size chunks of a typed array instead of one
 * object each keeps the garbage collector out of the hot path (and nothing is copied as
 * the trace grows); objects are built when someone reads them. Every number but the time
 * is a small integer (ids, counts and seqs below 2^31: a trace that long would not fit in
 * memory), so they are 32-bit words, and only the time, which passes 2^32 µs after 71
 * minutes, takes a 64-bit float: 36 bytes an event where eight floats took 64 (the
 * backing stores count as external memory, and shrinking them cut the full collections
 * of a traced run: +17% traced deliveries per CPU second, interleaved runs). Message types are stored
 * as codes into a table, and payloads, which only sends carry, in an array of their own.
 */
class MessageColumns {
  size = 0;
  // No chunk until the first message event: a run that keeps no events (a model checker
  // builds thousands of runs) never allocates one.
  private readonly chunks: Int32Array[] = [];
  private readonly timeChunks: Float64Array[] = [];
  private readonly types: string[] = [];
  private readonly typeCodes = new Map<string, number>();
  private lastType = '';
  private lastTypeCode = -1;
  /**
   * Payloads in chunks of CHUNK_SIZE, as the columns: one growing array of every payload
   * was copied whole each time it grew (in the old generation, a trace of a million
   * sends copies megabytes and calls for full collections).
   */
  private readonly msgChunks: unknown[][] = [];
  private msgCount = 0;

  private typeCode(type: string): number {
    if (type === this.lastType) return this.lastTypeCode;
    let code = this.typeCodes.get(type);
    if (code === undefined) {
      code = this.types.length;
      this.types.push(type);
      this.typeCodes.set(type, code);
    }
    this.lastType = type;
    this.lastTypeCode = code;
    return code;
  }

  add(kind: number, seq: number, timeUs: number, node: number, peer: number, msgId: number, type: string, extra: number, msg: unknown, conn: number | undefined): void {
    const i = this.size++;
    const offset = (i & CHUNK_MASK) * STRIDE;
    if (offset === 0) {
      this.chunks.push(new Int32Array(CHUNK_SIZE * STRIDE));
      this.timeChunks.push(new Float64Array(CHUNK_SIZE));
    }
    const chunk = this.chunks[i >>> CHUNK_BITS];
    this.timeChunks[i >>> CHUNK_BITS][i & CHUNK_MASK] = timeUs;
    chunk[offset] = kind + this.typeCode(type) * 8;
    chunk[offset + 1] = seq;
    chunk[offset + 2] = node;
    chunk[offset + 3] = peer;
    chunk[offset + 4] = msgId;
    // A send's extra is always 0: its slot holds the payload's index instead.
    if (kind === 1) {
      const m = this.msgCount++;
      if ((m & CHUNK_MASK) === 0) this.msgChunks.push(new Array<unknown>(CHUNK_SIZE));
      this.msgChunks[m >>> CHUNK_BITS][m & CHUNK_MASK] = msg;
      chunk[offset + 5] = m;
    } else chunk[offset + 5] = extra;
    chunk[offset + 6] = conn === undefined ? -1 : conn;
  }

  seqOf(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][(i & CHUNK_MASK) * STRIDE + 1];
  }

  event(i: number): TraceEvent {
    const chunk = this.chunks[i >>> CHUNK_BITS];
    const offset = (i & CHUNK_MASK) * STRIDE;
    const head = chunk[offset];
    const kind = head & 7;
    const type = this.types[(head - kind) / 8];
    const seq = chunk[offset + 1];
    const timeUs = this.timeChunks[i >>> CHUNK_BITS][i & CHUNK_MASK];
    const node = chunk[offset + 2];
    const peer = chunk[offset + 3];
    const msgId = chunk[offset + 4];
    const extra = chunk[offset + 5];
    if (kind !== 1) return messageEvent(kind, seq, timeUs, node, peer, msgId, type, extra, undefined, undefined);
    const conn = chunk[offset + 6];
    return messageEvent(kind, seq, timeUs, node, peer, msgId, type, 0, this.msgChunks[extra >>> CHUNK_BITS][extra & CHUNK_MASK], conn < 0 ? undefined : conn);
  }
}

/** The object form of a message event (for listeners, when the columns are not kept). */
function messageEvent(code: number, seq: number, timeUs: number, node: number, peer: number, msgId: number, type: string, extra: number, msg: unknown, conn: number | undefined): TraceEvent {
  switch (code) {
    case 1:
      return { timeUs, seq, node, kind: 'send', to: peer, msgId, type, msg, conn };
    case 2:
      return { timeUs, seq, node, kind: 'deliver', from: peer, msgId, type };
    case 3:
      return { timeUs, seq, node, kind: 'drop', from: peer, msgId, type, reason: DROP_REASONS[extra - 1] };
    default:
      return { timeUs, seq, node, kind: 'duplicate', from: peer, msgId, type, dupOf: extra - 1 };
  }
}

/**
 * Records a run. `keepEvents` decides whether events are kept in memory; the hash and
 * the per-kind counts are always maintained. Listeners (invariant checkers, the lab)
 * see every event as it is recorded.
 */
export class TraceRecorder {
  readonly hasher = new TraceHasher();
  /** Non-message events by kind: counts and the hashing cache (RecordKind). */
  private readonly recordKinds = new Map<string, RecordKind>();
  private lastKind = '';
  private lastKindInfo: RecordKind | null = null;
  /** send, deliver, drop, duplicate counts (indexed by their hash code). */
  private readonly messageCounts = [0, 0, 0, 0, 0];
  /** Every listener to non-message events, record listeners included (wrapped), in the order they came. */
  private readonly listeners: TraceListener[] = [];
  /** How many of `listeners` need event objects (listen(), not listenRecords()). */
  private eventListenerCount = 0;
  private readonly recordListeners: RecordListener[] = [];
  private readonly messageListeners: TraceListener[] = [];
  /** A reader of message events' numbers, with no event object built (tapDeliveries). */
  private deliveryTap: ((timeUs: number, node: number, from: number, type: string) => void) | null = null;
  /**
   * Kept events: objects (every non-message event, and message events some listener
   * saw, so a reader gets the very objects the listeners got) and columns (the other
   * message events). Each is in seq order; `events` merges them.
   */
  private readonly objects: TraceEvent[] = [];
  private readonly columns = new MessageColumns();
  /** The merge of objects and columns, as far as it was read (built on demand). */
  private readonly materialized: TraceEvent[] = [];
  private objectsRead = 0;
  private columnsRead = 0;
  count = 0;
  lastTimeUs = 0;
  /**
   * Events handed to listeners so far (every non-message record, and message events
   * while some listener takes them): the listeners (invariant checkers, the run's
   * bookkeeping, the explorer's ghost) change only when it moves, so a model checker
   * knows their state is as it was without walking it (sim/explore/world.ts).
   */
  heard = 0;

  constructor(
    public meta: TraceMeta,
    readonly keepEvents = true,
  ) {}

  /** Every kept event, as objects, in seq order (message events are built on first read). */
  get events(): TraceEvent[] {
    const out = this.materialized;
    const objects = this.objects;
    const columns = this.columns;
    let o = this.objectsRead;
    let c = this.columnsRead;
    while (o < objects.length || c < columns.size) {
      if (c >= columns.size || (o < objects.length && objects[o].seq < columns.seqOf(c))) out.push(objects[o++]);
      else out.push(columns.event(c++));
    }
    this.objectsRead = o;
    this.columnsRead = c;
    return out;
  }

  /** Listen to every non-message event (and message events too if `messages`). */
  listen(listener: TraceListener, options: { messages?: boolean } = {}): void {
    this.listeners.push(listener);
    this.eventListenerCount++;
    if (options.messages) this.messageListeners.push(listener);
  }

  /**
   * Calls `tap` with each delivery's time, receiver, sender and message type, building no
   * event object (a message listener would build one per message). One tap per recorder.
   */
  tapDeliveries(tap: (timeUs: number, node: number, from: number, type: string) => void): void {
    if (this.deliveryTap !== null) throw new Error('trace: a second delivery tap');
    this.deliveryTap = tap;
  }

  /**
   * Listen to every non-message record by its head and fields. While nobody needs event
   * objects (no listen(), events not kept), none is built: the record's own fields are
   * passed (turning each record into an event cost a Paxos run a tenth of its time).
   * Otherwise it is called with the event, in its place among the other listeners.
   */
  listenRecords(listener: RecordListener): void {
    this.recordListeners.push(listener);
    this.listeners.push((event) => listener(event.timeUs, event.seq, event.node, event.kind, event));
  }

  private recordKind(kind: string): RecordKind {
    if (kind === this.lastKind && this.lastKindInfo !== null) return this.lastKindInfo;
    let info = this.recordKinds.get(kind);
    if (info === undefined) {
      info = new RecordKind(kind);
      this.recordKinds.set(kind, info);
    }
    this.lastKind = kind;
    this.lastKindInfo = info;
    return info;
  }

  /** Events recorded so far, by kind. */
  get countsByKind(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const kind in MESSAGE_KINDS) if (this.messageCounts[MESSAGE_KINDS[kind]] > 0) counts.set(kind, this.messageCounts[MESSAGE_KINDS[kind]]);
    for (const [kind, info] of this.recordKinds) counts.set(kind, info.count);
    return counts;
  }

  /**
   * Records a non-message event. Returns its seq. The recorder takes `data` over: when
   * events are not kept it becomes the event the listeners see (its head fields added),
   * so pass a fresh object and do not record it twice (a record that holds a head field
   * is refused).
   */
  add(timeUs: number, node: number, kind: string, data?: Record<string, unknown>): number {
    const seq = this.count++;
    this.heard++;
    this.lastTimeUs = timeUs;
    const kindInfo = this.recordKind(kind);
    kindInfo.count++;
    this.hasher.mixRecord(kind, timeUs, node, data, kindInfo);
    const listeners = this.listeners;
    if (!this.keepEvents && this.eventListenerCount === 0) {
      const recordListeners = this.recordListeners;
      for (let i = 0; i < recordListeners.length; i++) recordListeners[i](timeUs, seq, node, kind, data ?? NO_FIELDS);
      return seq;
    }
    let event: TraceEvent;
    if (data === undefined) event = { timeUs, seq, node, kind };
    else if (this.keepEvents) {
      // Kept for a file or the lab: a copy, the head first, as the trace format shows it.
      event = { timeUs, seq, node, kind };
      Object.assign(event, data);
    } else {
      // Only for listeners: the record itself becomes the event (the head added last).
      // Copying it instead, head first or last, took up to a fifth of a run's time in V8
      // (objects of many shapes growing new fields: measured in sweeps and benchmarks).
      event = data as TraceEvent;
      event.timeUs = timeUs;
      event.seq = seq;
      event.node = node;
      event.kind = kind;
    }
    if (this.keepEvents) this.objects.push(event);
    for (let i = 0; i < listeners.length; i++) listeners[i](event);
    return seq;
  }

  /**
   * Records a message event cheaply: the hash is fed from the fields directly, the
   * event is kept as columns, and an object is built only for listeners or on read.
   */
  addMessage(code: MessageEventCode, timeUs: number, node: number, peer: number, msgId: number, type: string, extra: number, msg?: unknown, conn?: number): number {
    const seq = this.count++;
    this.hasher.mixMessageEvent(code, timeUs, node, peer, msgId, type, extra);
    this.messageCounts[code]++;
    this.lastTimeUs = timeUs;
    if (this.deliveryTap !== null && code === MESSAGE_DELIVER) this.deliveryTap(timeUs, node, peer, type);
    const listeners = this.messageListeners;
    if (listeners.length === 0) {
      if (this.keepEvents) this.columns.add(code, seq, timeUs, node, peer, msgId, type, extra, msg, conn);
      return seq;
    }
    this.heard++;
    const event = messageEvent(code, seq, timeUs, node, peer, msgId, type, extra, msg, conn);
    if (this.keepEvents) this.objects.push(event);
    for (let i = 0; i < listeners.length; i++) listeners[i](event);
    return seq;
  }

  hash(): string {
    return this.hasher.digest();
  }

  /**
   * The whole state of a recorder that keeps no events, for a model checker's snapshot
   * (sim/explore/snapshot.ts): counts, the hash's lanes and the per-kind counts, a few
   * numbers where walking the recorder visited ~50 objects (its kinds' caches, its
   * listener lists, its empty columns) on every snapshot and restore. `previous` (an
   * earlier saved state) is returned when nothing was recorded since it: every record
   * moves `count`. A recorder that keeps events has them as state too: null, walk it.
   */
  saveState(previous: RecorderState | null): RecorderState | null {
    if (this.keepEvents) return null;
    const h1 = this.hasher.lane1;
    const h2 = this.hasher.lane2;
    if (previous !== null && previous.count === this.count && previous.h1 === h1 && previous.h2 === h2 && previous.heard === this.heard && previous.lastTimeUs === this.lastTimeUs && previous.kinds.length === this.recordKinds.size) return previous;
    const kinds: RecordKind[] = [];
    const kindCounts: number[] = [];
    for (const info of this.recordKinds.values()) {
      kinds.push(info);
      kindCounts.push(info.count);
    }
    return { count: this.count, heard: this.heard, lastTimeUs: this.lastTimeUs, h1, h2, messageCounts: this.messageCounts.slice(), kinds, kindCounts };
  }

  /** Puts a state saveState() returned back (kinds first met since are forgotten). */
  loadState(saved: RecorderState): void {
    this.count = saved.count;
    this.heard = saved.heard;
    this.lastTimeUs = saved.lastTimeUs;
    this.hasher.setLanes(saved.h1, saved.h2);
    for (let i = 0; i < saved.messageCounts.length; i++) this.messageCounts[i] = saved.messageCounts[i];
    const kinds = saved.kinds;
    let same = kinds.length === this.recordKinds.size;
    if (same) {
      let i = 0;
      for (const info of this.recordKinds.values()) if (info !== kinds[i++]) same = false;
    }
    if (!same) {
      this.recordKinds.clear();
      for (const info of kinds) this.recordKinds.set(info.kind, info);
    }
    for (let i = 0; i < kinds.length; i++) kinds[i].count = saved.kindCounts[i];
    // A cache of the last kind: it may name a kind just forgotten.
    this.lastKind = '';
    this.lastKindInfo = null;
  }

  toTrace(): Trace {
    return { meta: this.meta, events: this.events, hash: this.hash() };
  }
}

/** Serializes a trace as one JSON document. */
export function traceToJson(trace: Trace): string {
  return JSON.stringify({ meta: trace.meta, hash: trace.hash, events: trace.events });
}

/** Serializes a trace as NDJSON: a header line `{"meta":…,"hash":…}`, then one event per line. */
export function traceToNdjson(trace: Trace): string {
  const lines = [JSON.stringify({ meta: trace.meta, hash: trace.hash })];
  for (const event of trace.events) lines.push(JSON.stringify(event));
  return lines.join('\n') + '\n';
}

/** A malformed trace: `where` says which line / event / field. */
export class TraceFormatError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'TraceFormatError';
  }
}

function checkMeta(meta: unknown, where: string): TraceMeta {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TraceFormatError(where, 'expected an object "meta"');
  const m = meta as Record<string, unknown>;
  if (m.format !== TRACE_FORMAT) throw new TraceFormatError(`${where}.format`, `expected "${TRACE_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (typeof m.version !== 'number' || !Number.isInteger(m.version)) throw new TraceFormatError(`${where}.version`, 'expected an integer');
  if (m.version > TRACE_VERSION) {
    throw new TraceFormatError(`${where}.version`, `trace version ${m.version} is newer than this zablab reads (${TRACE_VERSION}); upgrade zablab`);
  }
  if (m.version < 1) throw new TraceFormatError(`${where}.version`, `unknown trace version ${m.version}`);
  if (typeof m.protocol !== 'string') throw new TraceFormatError(`${where}.protocol`, 'expected a string');
  if (typeof m.servers !== 'number' || !Number.isInteger(m.servers) || m.servers < 1) throw new TraceFormatError(`${where}.servers`, 'expected a positive integer');
  if (typeof m.seed !== 'number' && typeof m.seed !== 'string') throw new TraceFormatError(`${where}.seed`, 'expected a number or a string');
  return m as TraceMeta;
}

const REQUIRED_BY_KIND: Record<string, Record<string, 'number' | 'string'>> = {
  send: { to: 'number', msgId: 'number', type: 'string' },
  deliver: { from: 'number', msgId: 'number', type: 'string' },
  drop: { from: 'number', msgId: 'number', type: 'string', reason: 'string' },
  duplicate: { from: 'number', msgId: 'number', type: 'string', dupOf: 'number' },
  timer: { name: 'string' },
  violation: { invariant: 'string', message: 'string' },
  note: { text: 'string' },
};

function checkEvent(raw: unknown, where: string, expectedSeq: number, previousTimeUs: number): TraceEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TraceFormatError(where, 'expected an event object');
  const event = raw as Record<string, unknown>;
  for (const field of ['timeUs', 'seq', 'node'] as const) {
    const value = event[field];
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new TraceFormatError(`${where}.${field}`, `expected an integer, got ${JSON.stringify(value)}`);
  }
  if (typeof event.kind !== 'string' || event.kind === '') throw new TraceFormatError(`${where}.kind`, 'expected a non-empty string');
  if (event.seq !== expectedSeq) throw new TraceFormatError(`${where}.seq`, `expected ${expectedSeq} (events must be in order, numbered from 0), got ${String(event.seq)}`);
  if ((event.timeUs as number) < previousTimeUs) throw new TraceFormatError(`${where}.timeUs`, `time goes backwards (${String(event.timeUs)} < ${previousTimeUs})`);
  const required = REQUIRED_BY_KIND[event.kind];
  if (required !== undefined) {
    for (const field in required) {
      if (typeof event[field] !== required[field]) throw new TraceFormatError(`${where}.${field}`, `a "${event.kind}" event needs a ${required[field]} "${field}"`);
    }
    if (event.kind === 'drop' && !DROP_REASONS.includes(event.reason as DropReason)) {
      throw new TraceFormatError(`${where}.reason`, `unknown drop reason ${JSON.stringify(event.reason)} (expected one of ${DROP_REASONS.join(', ')})`);
    }
  }
  return event as TraceEvent;
}

/** How often readTrace reports progress, in events. */
const PROGRESS_EVERY = 8192;

/**
 * Parses a trace file (JSON or NDJSON), validating every event, and recomputes its hash.
 * Throws TraceFormatError naming the line (NDJSON) or the event index (JSON) and field.
 * `onProgress(done, total)` is called every few thousand events (the lab's worker shows
 * it on a big trace); it observes and changes nothing.
 */
export function readTrace(text: string, onProgress?: (done: number, total: number) => void): Trace & { storedHash?: string } {
  const trimmed = text.trimStart();
  if (trimmed === '') throw new TraceFormatError('line 1', 'the file is empty');
  let meta: TraceMeta;
  let storedHash: string | undefined;
  const events: TraceEvent[] = [];
  const hasher = new TraceHasher();
  const firstLineEnd = trimmed.indexOf('\n');
  const firstLine = firstLineEnd < 0 ? trimmed : trimmed.slice(0, firstLineEnd);
  let header: Record<string, unknown> | undefined;
  try {
    header = JSON.parse(firstLine) as Record<string, unknown>;
  } catch {
    header = undefined;
  }
  const isNdjson = header !== undefined && typeof header === 'object' && header !== null && !Array.isArray(header) && !('events' in header) && 'meta' in header;
  if (isNdjson) {
    meta = checkMeta(header!.meta, 'line 1: meta');
    storedHash = typeof header!.hash === 'string' ? header!.hash : undefined;
    const lines = text.split('\n');
    const total = lines.length;
    let lineNumber = 0;
    let started = false;
    for (const line of lines) {
      lineNumber++;
      if (!started) {
        if (line.trim() !== '') started = true;
        continue;
      }
      if (line.trim() === '') continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (error) {
        throw new TraceFormatError(`line ${lineNumber}`, `invalid JSON (${(error as Error).message})`);
      }
      const event = checkEvent(raw, `line ${lineNumber}`, events.length, events.length ? events[events.length - 1].timeUs : 0);
      hasher.mixEvent(event);
      events.push(event);
      if (onProgress && events.length % PROGRESS_EVERY === 0) onProgress(lineNumber, total);
    }
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new TraceFormatError('file', `not valid JSON or NDJSON (${(error as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new TraceFormatError('file', 'expected an object with "meta" and "events"');
    const root = doc as Record<string, unknown>;
    meta = checkMeta(root.meta, 'meta');
    storedHash = typeof root.hash === 'string' ? root.hash : undefined;
    if (!Array.isArray(root.events)) throw new TraceFormatError('events', 'expected an array');
    for (let i = 0; i < root.events.length; i++) {
      const event = checkEvent(root.events[i], `events[${i}]`, i, i ? events[i - 1].timeUs : 0);
      hasher.mixEvent(event);
      events.push(event);
      if (onProgress && i % PROGRESS_EVERY === 0) onProgress(i, root.events.length);
    }
  }
  return { meta, events, hash: hasher.digest(), storedHash };
}
