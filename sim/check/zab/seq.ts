/**
 * A server's sequence of txns (its tree's applied txns, or its durable history) as the
 * checker sees it: a prefix known to equal the global committed sequence G, then a tail
 * of entries not (yet) known to be in G. Every position carries a chain hash of the
 * whole sequence up to it, so that "is this history a prefix of that one" is one
 * comparison instead of a walk.
 */

export interface SeqEntry {
  readonly zxid: number;
  readonly txn: unknown;
  readonly chain: number;
}

export const CHAIN0 = 0x2545f491;

/** Hash of (previous chain, zxid, txn identity). */
export function chainStep(previous: number, zxid: number, txnId: number): number {
  let h = previous ^ 0x9e3779b9;
  h = Math.imul(h ^ (zxid % 4294967296), 0x85ebca6b);
  h = (h << 13) | (h >>> 19);
  h = Math.imul(h ^ Math.floor(zxid / 4294967296), 0xc2b2ae35);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h ^ txnId, 0x27d4eb2f);
  h ^= h >>> 16;
  return h | 0;
}

/** The global committed sequence G: what some server delivered, in order. */
export class CommittedSequence {
  readonly zxids: number[] = [];
  readonly txns: unknown[] = [];
  readonly chains: number[] = [];
  /** Trace seq of the commit that first delivered each entry. */
  readonly seqs: number[] = [];
  readonly nodes: number[] = [];
  /** Epoch and index within its primary's proposals (originSeq) of each entry; -1 if never proposed. */
  readonly epochs: number[] = [];
  readonly ks: number[] = [];
  private readonly index = new Map<number, number>();
  /** Epochs in G and where each starts (increasing). */
  private readonly epochStarts: { epoch: number; index: number }[] = [];

  get length(): number {
    return this.zxids.length;
  }

  positionOf(zxid: number): number | undefined {
    return this.index.get(zxid);
  }

  chainBefore(position: number): number {
    return position > 0 ? this.chains[position - 1] : CHAIN0;
  }

  append(zxid: number, txn: unknown, chain: number, epoch: number, k: number, seq: number, node: number): void {
    const position = this.zxids.length;
    this.zxids.push(zxid);
    this.txns.push(txn);
    this.chains.push(chain);
    this.seqs.push(seq);
    this.nodes.push(node);
    this.epochs.push(epoch);
    this.ks.push(k);
    if (!this.index.has(zxid)) this.index.set(zxid, position);
    const last = this.epochStarts[this.epochStarts.length - 1];
    if (epoch >= 0 && (last === undefined || last.epoch < epoch)) this.epochStarts.push({ epoch, index: position });
  }

  /** Number of entries of epochs below `epoch` (they form a prefix: G is in zxid order). */
  countBeforeEpoch(epoch: number): number {
    const starts = this.epochStarts;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid].epoch < epoch) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length ? starts[lo].index : this.zxids.length;
  }
}

/**
 * A server's sequence: G[0, gPos), then a tail. The tail is three parallel arrays (zxid,
 * txn, chain at each entry) rather than an entry object each: every server appends to
 * its tree and its history at every commit and log write, and delivers the entry at
 * once, so entry objects were a tenth of a benchmark run's garbage.
 */
export class Seq {
  /** tail[head, length) are the entries after the G prefix. */
  private head = 0;
  private zxids: number[];
  private txns: unknown[];
  private chains: number[];

  constructor(
    /** Leading entries equal to G[0, gPos). */
    public gPos = 0,
  ) {
    this.zxids = [];
    this.txns = [];
    this.chains = [];
  }

  copy(): Seq {
    const seq = new Seq(this.gPos);
    seq.zxids = this.zxids.slice(this.head);
    seq.txns = this.txns.slice(this.head);
    seq.chains = this.chains.slice(this.head);
    return seq;
  }

  get tailLength(): number {
    return this.zxids.length - this.head;
  }

  /** Zxid, txn and chain of the i-th entry after the G prefix (i < tailLength). */
  zxidAt(i: number): number {
    return this.zxids[this.head + i];
  }

  txnAt(i: number): unknown {
    return this.txns[this.head + i];
  }

  chainOf(i: number): number {
    return this.chains[this.head + i];
  }

  /** The first tail entry is now known to be G[gPos]. */
  advance(): void {
    this.head++;
    this.gPos++;
    const zxids = this.zxids;
    if (this.head === zxids.length) {
      // Emptied by popping, not by `length = 0`: that makes V8 drop the backing stores,
      // so the next append (a server's tree gets one per commit, then delivers it at
      // once) allocated new 17-slot arrays every time.
      while (zxids.length > 0) {
        zxids.pop();
        this.txns.pop();
        this.chains.pop();
      }
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > zxids.length) {
      this.zxids = zxids.slice(this.head);
      this.txns = this.txns.slice(this.head);
      this.chains = this.chains.slice(this.head);
      this.head = 0;
    }
  }

  lastZxid(g: CommittedSequence): number {
    if (this.zxids.length > this.head) return this.zxids[this.zxids.length - 1];
    return this.gPos > 0 ? g.zxids[this.gPos - 1] : 0;
  }

  lastChain(g: CommittedSequence): number {
    if (this.chains.length > this.head) return this.chains[this.chains.length - 1];
    return g.chainBefore(this.gPos);
  }

  get length(): number {
    return this.gPos + this.zxids.length - this.head;
  }

  append(g: CommittedSequence, zxid: number, txn: unknown, txnId: number): void {
    const chain = chainStep(this.lastChain(g), zxid, txnId);
    this.zxids.push(zxid);
    this.txns.push(txn);
    this.chains.push(chain);
  }

  /** The chain at `zxid` if the sequence holds it (undefined otherwise). */
  chainAt(g: CommittedSequence, zxid: number): number | undefined {
    const zxids = this.zxids;
    let lo = this.head;
    let hi = zxids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (zxids[mid] < zxid) lo = mid + 1;
      else hi = mid;
    }
    if (lo < zxids.length && zxids[lo] === zxid) return this.chains[lo];
    const position = g.positionOf(zxid);
    if (position !== undefined && position < this.gPos && g.zxids[position] === zxid) return g.chains[position];
    return undefined;
  }

  /**
   * Drops the entries after `zxid`: returns the G positions dropped from the prefix and
   * the dropped tail entries.
   */
  cut(g: CommittedSequence, zxid: number): { droppedCommitted: number[]; droppedTail: SeqEntry[] } {
    const zxids = this.zxids;
    let keep = zxids.length;
    while (keep > this.head && zxids[keep - 1] > zxid) keep--;
    let droppedTail = NO_ENTRIES;
    if (keep < zxids.length) {
      droppedTail = [];
      for (let i = keep; i < zxids.length; i++) droppedTail.push({ zxid: zxids[i], txn: this.txns[i], chain: this.chains[i] });
    }
    zxids.length = keep;
    this.txns.length = keep;
    this.chains.length = keep;
    const droppedCommitted: number[] = [];
    if (keep === this.head) {
      zxids.length = 0;
      this.txns.length = 0;
      this.chains.length = 0;
      this.head = 0;
      while (this.gPos > 0 && g.zxids[this.gPos - 1] > zxid) droppedCommitted.push(--this.gPos);
    }
    return { droppedCommitted, droppedTail };
  }
}

const NO_ENTRIES: SeqEntry[] = [];
