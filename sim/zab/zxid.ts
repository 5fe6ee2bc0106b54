/**
 * ZooKeeper transaction ids.
 *
 * A zxid is `epoch · 2^counterBits + counter` (ZooKeeper's ZxidUtils with a 32-bit
 * counter: `(epoch << 32) | counter`). Numeric order is the lexicographic order of
 * (epoch, counter), which is the order every ZAB rule compares in. Here a zxid is a JS
 * number, exact while it stays below 2^53 (epochs below 2^21 with a 32-bit counter).
 *
 * The counter width is configurable so that rollover (ZOOKEEPER-1277) can be exercised
 * with a handful of txns: the leader refuses to propose at counter `2^bits - 1` and steps
 * down, which forces a new epoch. Counter 0 is reserved: `(e, 0)` names the NEWLEADER of
 * epoch e and carries no txn.
 */

export const DEFAULT_COUNTER_BITS = 32;

export function makeZxid(epoch: number, counter: number, counterBits = DEFAULT_COUNTER_BITS): number {
  return epoch * 2 ** counterBits + counter;
}

export function epochOf(zxid: number, counterBits = DEFAULT_COUNTER_BITS): number {
  return Math.floor(zxid / 2 ** counterBits);
}

export function counterOf(zxid: number, counterBits = DEFAULT_COUNTER_BITS): number {
  return zxid % 2 ** counterBits;
}

/** "epoch:counter", the form used in traces, notes and the lab. */
export function formatZxid(zxid: number, counterBits = DEFAULT_COUNTER_BITS): string {
  if (zxid < 0) return '-';
  return `${epochOf(zxid, counterBits)}:${counterOf(zxid, counterBits)}`;
}

/** The largest counter a leader may propose with (`2^bits - 2`; `2^bits - 1` forces a new epoch). */
export function maxProposableCounter(counterBits = DEFAULT_COUNTER_BITS): number {
  return 2 ** counterBits - 2;
}

/** Recent labels (ZxidCodec.format), by zxid modulo the slot count. */
const LABEL_SLOTS = 1024;
const labelZxids = new Float64Array(LABEL_SLOTS).fill(-1);
const labelScales = new Float64Array(LABEL_SLOTS);
const labels: string[] = new Array<string>(LABEL_SLOTS).fill('');

/** Origins of ZAB txns in trace records (`zab:e<epoch>`), built once per epoch. */
const origins: string[] = [];

/** `zab:e<epoch>`: the primary a txn comes from, as commit and propose records name it. */
export function zabOrigin(epoch: number): string {
  if (epoch < 0 || epoch >= 4096 || !Number.isInteger(epoch)) return `zab:e${epoch}`;
  return (origins[epoch] ??= `zab:e${epoch}`);
}

/** Zxid arithmetic bound to one counter width (what a node uses: no pow per call). */
export class ZxidCodec {
  readonly scale: number;
  constructor(readonly counterBits = DEFAULT_COUNTER_BITS) {
    if (!Number.isInteger(counterBits) || counterBits < 2 || counterBits > 32) throw new Error(`counterBits must be an integer in [2, 32], got ${counterBits}`);
    this.scale = 2 ** counterBits;
  }

  make(epoch: number, counter: number): number {
    return epoch * this.scale + counter;
  }

  epoch(zxid: number): number {
    return Math.floor(zxid / this.scale);
  }

  counter(zxid: number): number {
    return zxid % this.scale;
  }

  format(zxid: number): string {
    if (zxid < 0) return '-';
    // Every server labels every txn it commits (trace records): the label of a zxid is
    // built once for the cluster, not once per server (a pure cache, shared by codecs).
    const slot = zxid % LABEL_SLOTS;
    if (labelZxids[slot] === zxid && labelScales[slot] === this.scale) return labels[slot];
    const label = `${Math.floor(zxid / this.scale)}:${zxid % this.scale}`;
    labelZxids[slot] = zxid;
    labelScales[slot] = this.scale;
    labels[slot] = label;
    return label;
  }

  /** `(e, 0)`: the NEWLEADER zxid of an epoch, never a txn. */
  isEpochStart(zxid: number): boolean {
    return zxid % this.scale === 0;
  }
}
