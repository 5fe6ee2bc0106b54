/**
 * Canonical state fingerprints: a 53-bit hash of the whole system, so that a search
 * never explores a state twice (Stateright's and TLC's fingerprint sets).
 *
 * What a state is, here:
 * - per server: up or crashed; the node object's fields (volatile state: role, epoch,
 *   logs, the data tree, …), walked generically so no protocol knowledge is copied;
 *   its storage (the process's view, the durable image, the writes waiting for a sync);
 *   its pending timers with their due times; its random stream's position;
 * - the messages in flight, with their contents and their order on each FIFO link
 *   (connections, client links, a node's syncs), not the order in which unrelated
 *   links were written to; the environment's pending actions by due time;
 * - the clients (session objects, walked like nodes), every random stream's position,
 *   the clock, the network's cuts and broken connections, the fault budget used;
 * - a ghost (TLA+'s history variables): per server, a chain hash of what it recorded
 *   (state changes, elections, proposals, commits, log writes, client operations).
 *   The invariant checkers judge histories (at most one leader per epoch, ever; G, the
 *   committed sequence), so two states with equal servers but different histories are
 *   different states. Per-server chains leave out the interleaving of servers: two
 *   orders of independent events on different servers merge.
 *
 * Maps and sets are hashed as unordered (a sum of per-entry hashes), objects and arrays
 * in order. Numbers that are not small integers are hashed by their bits. Message ids,
 * event sequence numbers and trace positions are left out: they count events, they are
 * not state.
 *
 * Symmetry reduction over server ids is NOT applied, on purpose: it is unsound for both
 * protocols here. ZAB's fast leader election orders votes by (epoch, zxid, server id), so
 * the highest id wins ties, and Paxos ballots are (round, server id); permuting ids
 * changes who wins an election, so two id-permuted states have different futures.
 *
 * Collisions: a fingerprint is 53 bits (two murmur-mixed 32-bit lanes, folded); with a
 * million states the chance that two distinct states collide is about 1e-4.
 */
import { Rng } from '../core/rng.js';
import type { TraceEvent } from '../core/trace.js';
import { TraceRecorder } from '../core/trace.js';
import { Cluster, type MutablePendingEvent } from '../net/cluster.js';
import { EventRecord } from '../core/queue.js';
import { NodeStorage } from '../net/storage.js';
import { keysInOrder } from './snapshot.js';
import type { Message } from '../core/node.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mix32(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const stringHashes = new Map<string, number>();
const floatView = new Float64Array(1);
const floatWords = new Int32Array(floatView.buffer);

/** A streaming two-lane hash over numbers and strings, with unordered sub-hashes for maps and sets. */
export class StateHasher {
  private a = 0x9747b28c;
  private b = 0x5bd1e995;
  private readonly stack: number[] = [];
  /**
   * Objects being walked, the path from the value hashed to here (a cycle back to one
   * is hashed as a marker). An array searched from its end, not a set: the path is a
   * dozen objects deep, and a set that gains and loses an entry per object walked
   * rebuilds its table as it grows and shrinks (most of a fingerprint's garbage).
   */
  private readonly walking: object[] = [];
  /** Objects hashed as something else or not at all (contexts, storages, rngs walked apart). */
  readonly skip = new Set<object>();

  reset(): void {
    this.a = 0x9747b28c;
    this.b = 0x5bd1e995;
  }

  int(n: number): void {
    this.a = mix32(this.a, n | 0);
    this.b = mix32(this.b, (n | 0) ^ 0x3c6ef372);
  }

  number(x: number): void {
    if (Number.isInteger(x) && x >= -0x80000000 && x <= 0x7fffffff) {
      this.int(x);
      return;
    }
    floatView[0] = x;
    this.int(0x7ff00001);
    this.int(floatWords[0]);
    this.int(floatWords[1]);
  }

  string(s: string): void {
    // Field names and message types repeat endlessly: their hashes are computed once.
    this.int(stringHash(s));
  }

  /** 53 bits, safe as a Set key. */
  digest(): number {
    const hi = fmix(this.a ^ Math.imul(this.b, 0x27d4eb2d)) & 0x1fffff;
    const lo = fmix(this.b ^ this.a);
    return hi * 0x100000000 + lo;
  }

  /** Starts an item of an unordered group (unordered(), or beginUnordered() … addItem() … endUnordered()): the sub-hashes of its items are summed. */
  beginItem(): void {
    this.stack.push(this.a, this.b);
    this.reset();
  }

  private endItem(sum: [number, number]): void {
    sum[0] = (sum[0] + fmix(this.a)) | 0;
    sum[1] = (sum[1] + fmix(this.b ^ 0x2545f491)) | 0;
    this.b = this.stack.pop()!;
    this.a = this.stack.pop()!;
  }

  /** Hashes items whose order does not matter. */
  unordered<T>(items: Iterable<T>, hashItem: (item: T) => void): void {
    const sum: [number, number] = [0, 0];
    let count = 0;
    for (const item of items) {
      this.beginItem();
      hashItem(item);
      this.endItem(sum);
      count++;
    }
    this.int(count);
    this.int(sum[0]);
    this.int(sum[1]);
  }

  /** The sums of the map or set being hashed (unorderedEach); an enclosing one's wait on `stack`. */
  private sum0 = 0;
  private sum1 = 0;

  /** One entry of a map, as unordered() hashes it (key, then value): one callback for every map, no entry array, no closure per map. */
  private readonly mapEntry = (item: unknown, key: unknown): void => {
    this.stack.push(this.a, this.b);
    this.reset();
    this.value(key);
    this.value(item);
    this.addItem();
  };

  private readonly setItem = (item: unknown): void => {
    this.stack.push(this.a, this.b);
    this.reset();
    this.value(item);
    this.addItem();
  };

  /** endItem's work, into sum0 and sum1: ends an item begun by beginItem() in a group begun by beginUnordered(). */
  addItem(): void {
    this.sum0 = (this.sum0 + fmix(this.a)) | 0;
    this.sum1 = (this.sum1 + fmix(this.b ^ 0x2545f491)) | 0;
    this.b = this.stack.pop()!;
    this.a = this.stack.pop()!;
  }

  /** A map's entries (mapEntry) or a set's items (setItem), hashed exactly as unordered() hashes them. */
  private unorderedEach(collection: Map<unknown, unknown> | Set<unknown>, each: (item: unknown, key: unknown) => void): void {
    if (collection.size === 0) {
      // What the walk below hashes for no items (a count of 0, two sums of 0), without it: most of a server's maps and sets are empty.
      this.int(0);
      this.int(0);
      this.int(0);
      return;
    }
    this.stack.push(this.sum0, this.sum1);
    this.sum0 = 0;
    this.sum1 = 0;
    (collection as Map<unknown, unknown>).forEach(each);
    const sum0 = this.sum0;
    const sum1 = this.sum1;
    this.sum1 = this.stack.pop()!;
    this.sum0 = this.stack.pop()!;
    this.int(collection.size);
    this.int(sum0);
    this.int(sum1);
  }

  /**
   * Starts a group hashed exactly as unordered() hashes it, for a caller that walks its
   * items itself (beginItem(), the item, addItem() for each; then endUnordered(count)):
   * no iterable and no closure.
   */
  beginUnordered(): void {
    this.stack.push(this.sum0, this.sum1);
    this.sum0 = 0;
    this.sum1 = 0;
  }

  endUnordered(count: number): void {
    const sum0 = this.sum0;
    const sum1 = this.sum1;
    this.sum1 = this.stack.pop()!;
    this.sum0 = this.stack.pop()!;
    this.int(count);
    this.int(sum0);
    this.int(sum1);
  }

  /** Whether `object` is on the path being walked. */
  private isWalking(object: object): boolean {
    const walking = this.walking;
    for (let i = walking.length - 1; i >= 0; i--) if (walking[i] === object) return true;
    return false;
  }

  /** Any value: primitives, arrays, typed arrays, maps, sets, plain and class objects (own fields). Functions are left out. */
  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.number(v);
        return;
      case 'string':
        this.int(1);
        this.string(v);
        return;
      case 'boolean':
        this.int(v ? 2 : 3);
        return;
      case 'undefined':
        this.int(4);
        return;
      case 'bigint':
        this.int(5);
        this.string(v.toString());
        return;
      case 'function':
      case 'symbol':
        return;
    }
    if (v === null) {
      this.int(6);
      return;
    }
    const object = v as object;
    if (this.skip.has(object)) {
      this.int(7);
      return;
    }
    // What the object is, by its prototype: the built-in ones compared at once, a class's looked up once per class (classEntryOf).
    const proto = Object.getPrototypeOf(object) as object | null;
    let kind: number;
    let entry: ClassEntry | null = null;
    if (proto === Object.prototype || proto === null) kind = KIND_FIELDS;
    else if (proto === Array.prototype && Array.isArray(object)) kind = KIND_ARRAY;
    else if (proto === Map.prototype) kind = KIND_MAP;
    else if (proto === Set.prototype) kind = KIND_SET;
    else {
      entry = classEntryOf(proto, object);
      kind = entry.kind;
    }
    if (kind === KIND_SKIPPED) {
      this.int(7);
      return;
    }
    if (kind === KIND_RNG) {
      this.int(8);
      this.int((object as Rng).draws);
      return;
    }
    if (this.isWalking(object)) {
      this.int(9);
      return;
    }
    this.walking.push(object);
    if (kind === KIND_ARRAY) {
      const array = object as unknown[];
      this.int(10);
      this.int(array.length);
      for (let i = 0; i < array.length; i++) this.value(array[i]);
    } else if (kind === KIND_MAP) {
      this.int(11);
      this.unorderedEach(object as Map<unknown, unknown>, this.mapEntry);
    } else if (kind === KIND_SET) {
      this.int(12);
      this.unorderedEach(object as Set<unknown>, this.setItem);
    } else if (kind === KIND_TYPED) {
      const array = object as unknown as ArrayLike<number>;
      this.int(13);
      this.int(array.length);
      for (let i = 0; i < array.length; i++) this.number(array[i]);
    } else {
      this.int(14);
      const record = object as Record<string, unknown>;
      const code = entry !== null && this.madeCode ? hashCodeOf(entry, record) : null;
      if (code !== null) code(this, record);
      else {
        for (const key in record) {
          const field = record[key];
          if (typeof field === 'function') continue;
          this.string(key);
          this.value(field);
        }
      }
    }
    this.walking.pop();
  }

  /** Whether class instances are hashed by made code (hashCodeOf); false: the generic loop always (tests compare the two). */
  madeCode = true;
}

/** The hash string() gives a string, computed once per string (field names, message types). */
function stringHash(s: string): number {
  let h = stringHashes.get(s);
  if (h === undefined) {
    h = s.length ^ 0x51ed270b;
    for (let i = 0; i < s.length; i++) h = mix32(h, s.charCodeAt(i));
    if (stringHashes.size < 100_000) stringHashes.set(s, h);
  }
  return h;
}

/**
 * A class's instances hashed by code made for its field list, as snapshot.ts restores
 * them: value()'s loop reads `record[key]` with a key that changes at every field (a
 * megamorphic keyed access, a lookup per field) and looks each name's hash up in a map;
 * the made code reads `o["role"]` (a named access with its own inline cache) and hashes
 * the name's hash as a constant. The same digest, field for field: a field holding a
 * function is left out, name and all, as the loop leaves it out.
 *
 * A class instance has every declared field from its constructor on (ES2022 class
 * fields; TypeScript admits no undeclared one), so its for-in keys are its class's. The
 * snapshot relies on the same. The first FIELD_CODE_AFTER instances of a class are
 * hashed by the loop and their keys compared; a class whose instances differ (a field
 * added or deleted by hand) is never given code.
 */
type HashCode = (hasher: StateHasher, record: Record<string, unknown>) => void;

/** How value() hashes an object, by what its prototype makes it (the order of value()'s tests: skipped, rng, array, map, set, typed array, fields). */
const KIND_SKIPPED = 0;
const KIND_RNG = 1;
const KIND_ARRAY = 2;
const KIND_MAP = 3;
const KIND_SET = 4;
const KIND_TYPED = 5;
const KIND_FIELDS = 6;

interface ClassEntry {
  /** What the class's instances are (instanceof depends on the prototype alone, so it is one answer per class). */
  readonly kind: number;
  /** The keys every instance met so far had (for-in order), or null once two differed. */
  names: string[] | null;
  uses: number;
  code: HashCode | null;
}

const FIELD_CODE_AFTER = 8;
const classEntries = new WeakMap<object, ClassEntry>();
/** False where code cannot be made at run time (a content security policy): the loop serves. */
let canMakeCode = true;
const keyScratch: string[] = [];

/** The entry of prototype `proto`, made on its first instance `object`: value()'s tests, asked once per class instead of per object. */
function classEntryOf(proto: object, object: object): ClassEntry {
  let entry = classEntries.get(proto);
  if (entry === undefined) {
    let kind = KIND_FIELDS;
    if (object instanceof Cluster || object instanceof TraceRecorder) kind = KIND_SKIPPED;
    else if (object instanceof Rng) kind = KIND_RNG;
    else if (Array.isArray(object)) kind = KIND_ARRAY;
    else if (object instanceof Map) kind = KIND_MAP;
    else if (object instanceof Set) kind = KIND_SET;
    else if (ArrayBuffer.isView(object)) kind = KIND_TYPED;
    let names: string[] | null = null;
    if (kind === KIND_FIELDS) {
      for (const key in object) keyScratch.push(key);
      names = keyScratch.slice();
      keyScratch.length = 0;
    }
    entry = { kind, names, uses: 0, code: null };
    classEntries.set(proto, entry);
  }
  return entry;
}

function hashCodeOf(entry: ClassEntry, record: Record<string, unknown>): HashCode | null {
  if (entry.code !== null) return entry.code;
  const names = entry.names;
  if (names === null || !canMakeCode) return null;
  // Still learning the class: this instance's keys must be the ones seen before.
  if (!keysInOrder(record, names)) {
    entry.names = null;
    return null;
  }
  if (++entry.uses < FIELD_CODE_AFTER) return null;
  const code = makeHashCode(names);
  if (code === null) canMakeCode = false;
  entry.code = code;
  return code;
}

function makeHashCode(names: readonly string[]): HashCode | null {
  // JSON.stringify quotes a name as a string literal: o["name"] is a named access whatever the name holds.
  const body = names.map((name) => `v = o[${JSON.stringify(name)}];\nif (typeof v !== 'function') { h.int(${stringHash(name)}); h.value(v); }`).join('\n');
  try {
    return new Function('h', 'o', `'use strict';\nlet v;\n${body}`) as HashCode;
  } catch {
    return null;
  }
}

/** Trace kinds that are events, not state (the ghost leaves them out). */
const NOT_HISTORY = new Set(['note', 'timer', 'sync', 'disconnect', 'violation']);
/** Fields of trace records that count events or give times: not state. */
const NOT_STATE_FIELDS = new Set(['timeUs', 'seq', 'seqs', 'node', 'kind']);

/**
 * The ghost: per server (and one slot for events of no server), a chain hash of the
 * history it recorded. Attach before the cluster starts.
 */
export class HistoryGhost {
  readonly chains: number[];
  private readonly hasher = new StateHasher();

  constructor(cluster: Cluster<Message>) {
    this.chains = new Array<number>(cluster.size + 1).fill(0);
    cluster.trace.listen((event) => this.observe(event));
  }

  private observe(event: TraceEvent): void {
    if (NOT_HISTORY.has(event.kind)) return;
    const slot = event.node >= 0 && event.node < this.chains.length - 1 ? event.node : this.chains.length - 1;
    const hasher = this.hasher;
    hasher.reset();
    hasher.number(this.chains[slot]);
    hasher.string(event.kind);
    const record = event as unknown as Record<string, unknown>;
    for (const key in record) {
      if (NOT_STATE_FIELDS.has(key)) continue;
      hasher.string(key);
      hasher.value(record[key]);
    }
    this.chains[slot] = hasher.digest();
  }
}

/** What a fingerprint covers besides the cluster: clients and workload objects, the scheduler's budget use. */
export interface FingerprintExtras {
  readonly clients: readonly object[];
  readonly budgetUse: readonly number[];
  readonly ghost: HistoryGhost;
}

/**
 * One server's part of a fingerprint: up or crashed, paused, its node's fields, its
 * timers, its storage. It changes only when an event happens on that server (a message,
 * a timer, a sync, a client request, a crash or restart), so a search keeps it between
 * states and hashes again only the servers a step touched (World.fingerprint).
 */
export function nodeFingerprint(cluster: Cluster<Message>, node: number, hasher: StateHasher, cache?: FingerprintCache): number {
  hasher.reset();
  for (const id of cluster.serverIds) {
    hasher.skip.add(cluster.contextOf(id));
    hasher.skip.add(cluster.storage(id));
  }
  const up = cluster.isUp(node);
  hasher.int(up ? 1 : 0);
  if (up) {
    hasher.int(cluster.isPaused(node) ? 1 : 0);
    hasher.value(cluster.behavior(node));
    for (const [name, dueUs] of cluster.timersOf(node)) {
      hasher.string(name);
      hasher.number(dueUs);
    }
  }
  hasher.number(storageHash(cluster.storage(node), cache));
  return hasher.digest();
}

/**
 * What a search keeps between fingerprints (World): parts known not to have changed
 * since they were hashed. NaN: not known, computed and written back.
 */
export interface FingerprintCache {
  /** Per server, its nodeFingerprint. */
  readonly nodeHashes: number[];
  /** The clients' part (they change only when a reply reaches them or the environment acts). */
  clientsHash: number;
  /** Per protocol message in flight, its contents' hash: a message is never changed once sent (the tests compare with fresh worlds, which have no cache). */
  readonly messages: WeakMap<object, number>;
  /**
   * Per storage content (NodeStorage.version, a token replaced at every change), its
   * hash: a step on a server that writes nothing (most deliveries, every timer of an
   * election) hashes the server's node again but not its storage. What a storage holds
   * is values the node wrote (log entries, epochs, snapshot records), never changed
   * after; `verify` (tests, World's checkInPlace) hashes every storage again and throws
   * if a kept hash is not the storage's.
   */
  readonly storages: WeakMap<object, number>;
  readonly verify?: boolean;
}

const contentHasher = new StateHasher();
/** The servers' hashes of the fingerprint being made (reused: one at a time). */
const serverHashes: number[] = [];

/**
 * The canonical fingerprint of the whole system (see the file comment for what is in
 * it), with the parts `cache` knows taken from it.
 */
export function fingerprint(cluster: Cluster<Message>, extras: FingerprintExtras, hasher: StateHasher = new StateHasher(), cache?: FingerprintCache): number {
  const nodeHashes = cache?.nodeHashes;
  const servers = serverHashes;
  servers.length = 0;
  for (const node of cluster.serverIds) {
    let hash = nodeHashes?.[node] ?? Number.NaN;
    if (Number.isNaN(hash)) {
      hash = nodeFingerprint(cluster, node, hasher, cache);
      if (nodeHashes !== undefined) nodeHashes[node] = hash;
    }
    servers.push(hash);
  }
  hasher.reset();
  hasher.number(cluster.nowUs);
  for (const hash of servers) hasher.number(hash);
  cluster.rngs.forEach((name, rng) => {
    hasher.string(name);
    hasher.int(rng.draws);
  });
  const net = cluster.net;
  hasher.value(net.cut);
  hasher.value(net.connBroken);
  hasher.value(net.connKnownBroken);
  hashInFlight(hasher, cluster, cache?.messages);
  let clientsHash = cache?.clientsHash ?? Number.NaN;
  if (Number.isNaN(clientsHash)) {
    contentHasher.reset();
    for (const client of extras.clients) contentHasher.value(client);
    clientsHash = contentHasher.digest();
    if (cache !== undefined) cache.clientsHash = clientsHash;
  }
  hasher.number(clientsHash);
  for (const used of extras.budgetUse) hasher.int(used);
  for (const chain of extras.ghost.chains) hasher.number(chain);
  return hasher.digest();
}

/** A message's contents' hash, cached (a message is never changed once sent). */
export function messageHash(message: object, messages: WeakMap<object, number>): number {
  let hash = messages.get(message);
  if (hash === undefined) {
    contentHasher.reset();
    contentHasher.value(message);
    hash = contentHasher.digest();
    messages.set(message, hash);
  }
  return hash;
}

const storageHasher = new StateHasher();

/** A storage's hash (its fields walked), kept per content token (FingerprintCache.storages) when a cache is given. */
function storageHash(storage: NodeStorage, cache: FingerprintCache | undefined): number {
  const kept = cache?.storages.get(storage.version);
  if (kept !== undefined && cache?.verify !== true) return kept;
  storageHasher.reset();
  storageHasher.value(storage);
  const hash = storageHasher.digest();
  if (kept !== undefined && kept !== hash) throw new Error(`explore: server storage's kept hash is stale: its contents changed without a new version token (NodeStorage.version)`);
  cache?.storages.set(storage.version, hash);
  return hash;
}

/** Per FIFO link, how many of its events came before (reused: one fingerprint at a time). */
const positions = new Map<number | string, number>();
/** Ends below this make a numeric link key (kinds × ends² stays below 2^53); larger ones, a string. */
const LINK_END = 0xffffff;
const kindCodes = new Map<string, number>();

function kindCode(kind: string): number {
  let code = kindCodes.get(kind);
  if (code === undefined) {
    code = kindCodes.size;
    kindCodes.set(kind, code);
  }
  return code;
}

/** Reused by hashInFlight (one fingerprint at a time): the live records, and the event each stands for. */
const liveRecords: EventRecord[] = [];
const NO_RECORD = new EventRecord();
const pendingScratch: MutablePendingEvent = { record: NO_RECORD, kind: 'call', node: -1, peer: -1, id: -1, ref: undefined, dueUs: 0 };

/** Pending events, unordered across links, each with its position on its own FIFO link. */
function hashInFlight(hasher: StateHasher, cluster: Cluster<Message>, messages?: WeakMap<object, number>): void {
  positions.clear();
  const records = cluster.liveRecords(liveRecords);
  hasher.beginUnordered();
  for (let i = 0; i < records.length; i++) {
    const event = cluster.describeInto(records[i], pendingScratch);
    hasher.beginItem();
    if (event.kind !== 'timer') {
      // Timers are hashed with their node. The link: its kind and two ends (ids are small; -1 for none), as one number rather than a string per event.
      const small = event.node >= -1 && event.node < LINK_END && event.peer >= -1 && event.peer < LINK_END;
      const key = small ? (kindCode(event.kind) * (LINK_END + 1) + (event.node + 1)) * (LINK_END + 1) + (event.peer + 1) : `${event.kind}:${event.node}:${event.peer}`;
      const position = positions.get(key) ?? 0;
      positions.set(key, position + 1);
      hasher.string(event.kind);
      hasher.int(event.node);
      hasher.int(event.peer);
      hasher.int(position);
      if (event.kind === 'call') hasher.number(event.dueUs);
      else if (event.kind === 'deliver' && messages !== undefined) hasher.number(messageHash(event.ref as object, messages));
      else hasher.value(event.ref);
    }
    hasher.addItem();
  }
  hasher.endUnordered(records.length);
  // Hold no record past the fingerprint (the queue's pool reuses them).
  records.length = 0;
  pendingScratch.record = NO_RECORD;
  pendingScratch.ref = undefined;
}
