/**
 * Lowe's memo of visited search configurations (linearized set, model state), stored
 * compactly.
 *
 * The linearized set L is not stored as a bitset. The search only ever linearizes
 * operations invoked before r, the earliest completion of a not-yet-linearized `ok`
 * operation. So L's ok part is "every ok operation invoked before r" minus U_ok, the
 * not-yet-linearized ok operations invoked before r; and U_ok determines r (it holds
 * r's operation, whose completion is the earliest among U_ok's). U_ok is small: at
 * most one operation per process. L's `info` part, L_info, changes only when an info
 * operation takes effect, so it is interned once (InfoSets) and referred to by id.
 * A configuration is stored as (U_ok, L_info id, state), keyed by L_ok's incremental
 * Zobrist hash and the state's hash.
 *
 * Dominance: an `info` operation may take effect later or never, so a configuration
 * whose L_info is a subset of another's (same U_ok, same state) can do everything the
 * other can. Finding such a visited configuration prunes the new one.
 */
import { mix32 } from './values.js';

function grow(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

export class ConfigCache<S> {
  private slotHash = new Int32Array(1024);
  private slotHead = new Int32Array(1024); // entry + 1; 0 = empty slot
  private usedSlots = 0;
  private entLHash = new Int32Array(1024);
  private entSHash = new Int32Array(1024);
  private entNext = new Int32Array(1024); // entry + 1 in the same chain; 0 = end
  private entStart = new Int32Array(1024);
  private entOkLen = new Int32Array(1024);
  private entInfoSet = new Int32Array(1024);
  private readonly entState: S[] = [];
  private arena = new Int32Array(4096);
  private arenaLen = 0;
  /** Number of stored configurations. */
  size = 0;

  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    private readonly infoSets: InfoSets,
  ) {}

  /**
   * Stores the configuration unless it, or one dominating it, is already stored.
   * `u` holds U_ok (okLen ids, ascending); `infoSet` is L_info's id.
   * @returns true when the configuration is new.
   */
  insertIfNew(lHash: number, sHash: number, state: S, u: Int32Array, okLen: number, infoSet: number): boolean {
    const key = mix32(lHash ^ Math.imul(sHash, 0x9e3779b1));
    const mask = this.slotHead.length - 1;
    let slot = key & mask;
    while (this.slotHead[slot] !== 0) {
      if (this.slotHash[slot] === key) {
        for (let e = this.slotHead[slot] - 1; e >= 0; e = this.entNext[e] - 1) {
          if (this.matches(e, lHash, sHash, state, u, okLen, infoSet)) return false;
        }
        const e = this.append(lHash, sHash, state, u, okLen, infoSet);
        this.entNext[e] = this.slotHead[slot];
        this.slotHead[slot] = e + 1;
        return true;
      }
      slot = (slot + 1) & mask;
    }
    const e = this.append(lHash, sHash, state, u, okLen, infoSet);
    this.slotHash[slot] = key;
    this.slotHead[slot] = e + 1;
    if (++this.usedSlots * 2 > this.slotHead.length) this.rehash();
    return true;
  }

  private matches(e: number, lHash: number, sHash: number, state: S, u: Int32Array, okLen: number, infoSet: number): boolean {
    if (this.entLHash[e] !== lHash || this.entSHash[e] !== sHash || this.entOkLen[e] !== okLen) return false;
    const a = this.arena;
    const start = this.entStart[e];
    for (let k = 0; k < okLen; k++) if (a[start + k] !== u[k]) return false;
    const stored = this.entInfoSet[e];
    if (stored !== infoSet && !this.infoSets.isSubset(stored, infoSet)) return false;
    return this.equal(this.entState[e], state);
  }

  private append(lHash: number, sHash: number, state: S, u: Int32Array, okLen: number, infoSet: number): number {
    const e = this.size++;
    if (e >= this.entLHash.length) {
      const need = e + 1;
      this.entLHash = grow(this.entLHash, need);
      this.entSHash = grow(this.entSHash, need);
      this.entNext = grow(this.entNext, need);
      this.entStart = grow(this.entStart, need);
      this.entOkLen = grow(this.entOkLen, need);
      this.entInfoSet = grow(this.entInfoSet, need);
    }
    this.arena = grow(this.arena, this.arenaLen + okLen);
    this.arena.set(u.subarray(0, okLen), this.arenaLen);
    this.entLHash[e] = lHash;
    this.entSHash[e] = sHash;
    this.entNext[e] = 0;
    this.entStart[e] = this.arenaLen;
    this.entOkLen[e] = okLen;
    this.entInfoSet[e] = infoSet;
    this.entState.push(state);
    this.arenaLen += okLen;
    return e;
  }

  private rehash(): void {
    const oldHash = this.slotHash;
    const oldHead = this.slotHead;
    const size = oldHead.length * 2;
    this.slotHash = new Int32Array(size);
    this.slotHead = new Int32Array(size);
    const mask = size - 1;
    for (let s = 0; s < oldHead.length; s++) {
      if (oldHead[s] === 0) continue;
      let slot = oldHash[s] & mask;
      while (this.slotHead[slot] !== 0) slot = (slot + 1) & mask;
      this.slotHash[slot] = oldHash[s];
      this.slotHead[slot] = oldHead[s];
    }
  }
}

/**
 * Interned sets of linearized info operations. Id 0 is the empty set; `add` returns
 * the id of a set plus one operation, the same id however the set was reached.
 */
export class InfoSets {
  private readonly contents: Int32Array[] = [new Int32Array(0)];
  private readonly hashes: number[] = [0];
  private readonly byHash = new Map<number, number[]>();
  private readonly memo = new Map<number, number>();

  constructor(private readonly keys: Int32Array) {}

  add(set: number, op: number): number {
    const memoable = op < 0x200000;
    const memoKey = set * 0x200000 + op;
    const known = memoable ? this.memo.get(memoKey) : undefined;
    if (known !== undefined) return known;
    const base = this.contents[set];
    const content = new Int32Array(base.length + 1);
    let k = 0;
    while (k < base.length && base[k] < op) {
      content[k] = base[k];
      k++;
    }
    content[k] = op;
    content.set(base.subarray(k), k + 1);
    const hash = this.hashes[set] ^ this.keys[op];
    let ids = this.byHash.get(hash);
    if (!ids) this.byHash.set(hash, (ids = []));
    let id = -1;
    for (const candidate of ids) {
      const c = this.contents[candidate];
      if (c.length === content.length && c.every((x, i) => x === content[i])) id = candidate;
    }
    if (id < 0) {
      id = this.contents.length;
      this.contents.push(content);
      this.hashes.push(hash);
      ids.push(id);
    }
    if (memoable) this.memo.set(memoKey, id);
    return id;
  }

  /** Whether set a ⊆ set b. */
  isSubset(a: number, b: number): boolean {
    const x = this.contents[a];
    const y = this.contents[b];
    if (x.length > y.length) return false;
    let j = 0;
    for (let i = 0; i < x.length; i++) {
      while (j < y.length && y[j] < x[i]) j++;
      if (j === y.length || y[j] !== x[i]) return false;
      j++;
    }
    return true;
  }
}
