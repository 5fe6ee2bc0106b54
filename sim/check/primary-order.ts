/**
 * Primary order (Zab paper, ZAB11 §III), checked on any protocol's committed sequence.
 *
 * A primary (ZAB's leader of an epoch, a Paxos leader of a ballot) computes each txn
 * against its own speculative state, which already includes every txn it generated
 * before: txn k of a primary *assumes* txns 1..k-1 of the same primary. Delivering it
 * without them, or before them, applies a state delta to a state it was not computed
 * for. ZAB guarantees primary order; Multi-Paxos does not, because it decides every slot
 * independently and a new leader may choose, in adjacent slots, txns of different
 * earlier leaders (PROTOCOLS.md §12, ZAB11 Figure 1).
 *
 * Input: the `commit` trace events (a node applied a txn), with `origin` (which primary
 * generated it) and `originSeq` (it was that primary's k-th txn, from 1). Commits
 * without an origin, with originSeq 0, or with `command` "noop" / "read" are not txns of
 * a primary (a Paxos no-op filler or quorum read changes no state and assumes nothing)
 * and are skipped.
 *
 * Only what was applied counts. A `stale` commit is a txn the Paxos store discarded at
 * apply time (its stale-txn guard, sim/paxos/apply.ts: the tree was not in the state the
 * txn was computed against): chosen, never applied; it is tallied as `discarded`, not
 * checked. A `replay` commit re-applies the node's own log (a restart, ZAB's fast-forward
 * on the way back to LOOKING): part of the node's sequence, but not known to be
 * committed (ZAB may truncate it: a proposal logged, replayed, then cut by TRUNC), so it
 * is neither counted in `commits` nor taken as evidence that a txn was committed. A
 * `truncate` rebuilds the node's tree from its disk, so it starts the node's sequence
 * afresh, as a snapshot does.
 *
 * What is checked, per node, over the sequence it applied since it last (re)started
 * (a crash discards the node's state; a restart replays and re-commits from its disk):
 * - `LocalPrimaryOrder`: when (o, k) with k > 1 is committed, (o, k-1) must already be
 *   committed on this node ("not without it, nor before it"). One exemption: a node's
 *   first txn of origin o may follow a state transfer (ZAB's SNAP / DIFF), so it needs
 *   (o, k-1) committed on *some* node before (a txn nobody committed is never covered),
 *   or (o, k-1) inside the state the node last took in whole (a restore's replay up to
 *   its `lastProcessedZxid`, a SNAP or TRUNC up to its `zxid`), by its proposal's index.
 *   An error txn (ZooKeeper's ErrorTxn: a create that found the node, a setData on a
 *   stale version) changes no state, so no later txn assumes it: when (o, k-1) is an
 *   error txn (known from its `propose` or `commit` record) that this node never
 *   applied, the txn (o, k) was computed against is the state-changing one before it
 *   (Paxos's guard applies such a (o, k) on the state it was computed for).
 * - `GlobalPrimaryOrder`: once the node committed a txn of a newer primary, it must not
 *   commit one of an older primary. Primaries are ranked by `originRank` when the event
 *   has one, else by the last integer in the origin (ZAB's epoch, Paxos's ballot).
 *
 * Each (node, invariant, origin) is reported once.
 */
import type { TraceEvent, TraceRecorder } from '../core/trace.js';

export type PrimaryOrderInvariant = 'LocalPrimaryOrder' | 'GlobalPrimaryOrder';

export interface PrimaryOrderViolation {
  readonly invariant: PrimaryOrderInvariant;
  readonly node: number;
  readonly message: string;
  readonly seqs: number[];
  readonly timeUs: number;
}

export interface PrimaryOrderResult {
  readonly ok: boolean;
  readonly violations: PrimaryOrderViolation[];
  /** Txns applied (one per node that applied it; replays of a node's own log and discarded txns excluded). */
  readonly commits: number;
  /** Txns chosen but discarded at apply time as stale (Paxos's stale-txn guard), one per node. */
  readonly discarded: number;
  /** What the first discarded txn was, in words (undefined if none). */
  readonly firstDiscarded?: string;
}

export const PAXOS_PRIMARY_ORDER_NOTE = 'not a Paxos bug, but the reason ZAB exists';

interface NodeState {
  /** origin → originSeq → seq of the commit event. */
  readonly committed: Map<string, Map<number, number>>;
  newest: { rank: number; origin: string; seq: number } | null;
  readonly reported: Set<string>;
}

/** The rank of a primary: `originRank`, or the last integer in its origin string. */
export function originRank(event: TraceEvent): number | undefined {
  if (typeof event.originRank === 'number') return event.originRank;
  if (typeof event.origin !== 'string') return undefined;
  return rankInOrigin(event.origin);
}

/** The last integer in an origin string; the last one asked about is remembered (every server commits the same origin's txns one after another). */
let lastOrigin = '';
let lastOriginRank: number | undefined;

export function rankInOrigin(origin: string): number | undefined {
  if (origin === lastOrigin) return lastOriginRank;
  const match = /(\d+)\D*$/.exec(origin);
  lastOrigin = origin;
  lastOriginRank = match === null ? undefined : Number(match[1]);
  return lastOriginRank;
}

function isPrimaryTxn(event: TraceEvent): boolean {
  if (event.kind !== 'commit' || typeof event.origin !== 'string') return false;
  if (typeof event.originSeq !== 'number' || !(event.originSeq >= 1)) return false;
  return event.command !== 'noop' && event.command !== 'read';
}

export class PrimaryOrderMonitor {
  readonly violations: PrimaryOrderViolation[] = [];
  /** Txns applied by some node, one per node (replays of its own log excluded). */
  commits = 0;
  /** Txns chosen but discarded at apply time as stale, one per node. */
  discarded = 0;
  firstDiscarded: string | undefined;
  private readonly nodes = new Map<number, NodeState>();
  /** origin → seqs committed on some node (for the state-transfer exemption). */
  private readonly anywhere = new Map<string, Set<number>>();
  /** origin → originSeq → log index (ZAB's zxid) of the proposal, from propose records. */
  private readonly indexes = new Map<string, Map<number, number>>();
  /** node → the log index up to which its state last came in whole (restore, SNAP, TRUNC). */
  private readonly wholeUpTo = new Map<number, number>();
  /** origin → seqs of its error txns (state-neutral: no later txn assumes them). */
  private readonly neutral = new Map<string, Set<number>>();

  constructor(private readonly onViolation: (violation: PrimaryOrderViolation) => void = () => {}) {}

  observe(event: TraceEvent): void {
    // A crash, or a state transfer that replaces the node's tree (ZAB's SNAP, a reload
    // from disk, a TRUNC that rebuilds it from the log up to the truncation point), starts
    // the node's sequence afresh: what it holds came in whole.
    if (event.kind === 'crash' || event.kind === 'snap' || event.kind === 'restore' || event.kind === 'truncate') {
      this.nodes.delete(event.node);
      const whole = event.kind === 'restore' ? event.lastProcessedZxid : event.zxid;
      if (event.kind !== 'crash' && typeof whole === 'number') this.wholeUpTo.set(event.node, whole);
      else this.wholeUpTo.delete(event.node);
      return;
    }
    if (event.kind === 'propose') {
      this.noteNeutral(event);
      this.noteIndex(event);
      return;
    }
    if (!isPrimaryTxn(event)) return;
    const origin = event.origin as string;
    const k = event.originSeq as number;
    this.noteNeutral(event);
    const replay = event.replay === true;
    if (event.stale === true) {
      // Chosen, but not applied: the guard found the tree in another state than the one
      // the txn was computed against. Nothing to check on a state it never touched.
      if (!replay) {
        this.discarded++;
        this.firstDiscarded ??= `node ${event.node} discarded txn #${k} of ${origin} (${labelOf(event)}) at apply time: ${this.whyStale(event.node, origin, k)}`;
      }
      return;
    }
    if (!replay) this.commits++;
    const node = this.node(event.node);
    let mine = node.committed.get(origin);
    if (mine?.has(k)) return; // committed again (a duplicate): nothing new
    const firstOfOrigin = mine === undefined;
    if (mine === undefined) {
      mine = new Map();
      node.committed.set(origin, mine);
    }
    const assumed = this.assumedBefore(mine, origin, k);
    if (assumed > 0 && !mine.has(assumed) && !(firstOfOrigin && (this.anywhere.get(origin)?.has(assumed) === true || this.cameInWhole(event.node, origin, assumed)))) {
      this.report(node, event, 'LocalPrimaryOrder', origin, [event.seq],
        `node ${event.node} committed txn #${k} of ${origin} (${labelOf(event)}) without #${assumed} of the same primary, which it was computed against`);
    }
    const later = mine.get(k + 1);
    if (later !== undefined) {
      this.report(node, event, 'LocalPrimaryOrder', origin, [later, event.seq], `node ${event.node} committed txn #${k} of ${origin} after #${k + 1}`);
    }
    mine.set(k, event.seq);
    // Only a delivery shows the txn was committed; a replay may be of a proposal that a
    // TRUNC later removes, and must not excuse another node's gap.
    if (!replay) {
      let everywhere = this.anywhere.get(origin);
      if (everywhere === undefined) {
        everywhere = new Set();
        this.anywhere.set(origin, everywhere);
      }
      everywhere.add(k);
    }
    this.checkGlobal(node, event, origin);
  }

  /** Records where a primary's txn sits in the log order (`index`: ZAB's zxid), from its propose record. */
  private noteIndex(event: TraceEvent): void {
    if (typeof event.origin !== 'string' || typeof event.originSeq !== 'number' || typeof event.index !== 'number') return;
    let seqs = this.indexes.get(event.origin);
    if (seqs === undefined) {
      seqs = new Map();
      this.indexes.set(event.origin, seqs);
    }
    seqs.set(event.originSeq, event.index);
  }

  /**
   * Whether (origin, k) was part of the state the node last took in whole: a restart's
   * replay of its own log up to `lastProcessedZxid`, a SNAP, or a TRUNC's rebuild up to
   * its zxid. Such a state is applied without a commit record per txn, so a txn that
   * every node only ever replayed (a leader's last proposals, logged by a quorum and
   * fast-forwarded by each server on its way back to LOOKING, then kept by the next
   * leader) is still known to be there.
   */
  private cameInWhole(node: number, origin: string, k: number): boolean {
    const upTo = this.wholeUpTo.get(node);
    const index = this.indexes.get(origin)?.get(k);
    return upTo !== undefined && index !== undefined && index <= upTo;
  }

  /** Records an error txn of a primary (from its propose or commit record). */
  private noteNeutral(event: TraceEvent): void {
    if ((event.txn as { type?: string } | undefined)?.type !== 'error' || typeof event.origin !== 'string' || typeof event.originSeq !== 'number') return;
    let seqs = this.neutral.get(event.origin);
    if (seqs === undefined) {
      seqs = new Set();
      this.neutral.set(event.origin, seqs);
    }
    seqs.add(event.originSeq);
  }

  /**
   * The txn of `origin` that (origin, k) was computed against: k-1, or, past error txns
   * this node never applied (they change nothing), the state-changing one before them;
   * 0 if none.
   */
  private assumedBefore(mine: Map<number, number>, origin: string, k: number): number {
    let j = k - 1;
    const neutral = this.neutral.get(origin);
    if (neutral === undefined) return j;
    while (j >= 1 && !mine.has(j) && neutral.has(j)) j--;
    return j;
  }

  /** Why a discarded txn's basis was not this node's state, in primary-order terms. */
  private whyStale(nodeId: number, origin: string, k: number): string {
    const node = this.nodes.get(nodeId);
    if (k > 1 && node?.committed.get(origin)?.has(k - 1) !== true) return `it was chosen without #${k - 1} of the same primary, which it was computed against`;
    return 'it was chosen after txns its primary never saw';
  }

  private checkGlobal(node: NodeState, event: TraceEvent, origin: string): void {
    const rank = originRank(event);
    if (rank === undefined) return;
    const newest = node.newest;
    if (newest !== null && rank < newest.rank) {
      this.report(node, event, 'GlobalPrimaryOrder', origin, [newest.seq, event.seq],
        `node ${event.node} committed txn #${String(event.originSeq)} of ${origin} (${labelOf(event)}) after a txn of the newer primary ${newest.origin}`);
    }
    if (newest === null || rank > newest.rank) node.newest = { rank, origin, seq: event.seq };
  }

  private node(id: number): NodeState {
    let state = this.nodes.get(id);
    if (state === undefined) {
      state = { committed: new Map(), newest: null, reported: new Set() };
      this.nodes.set(id, state);
    }
    return state;
  }

  private report(node: NodeState, event: TraceEvent, invariant: PrimaryOrderInvariant, origin: string, seqs: number[], message: string): void {
    const key = `${invariant} ${origin}`;
    if (node.reported.has(key)) return;
    node.reported.add(key);
    const text = origin.startsWith('paxos:') ? `${message} — ${PAXOS_PRIMARY_ORDER_NOTE}` : message;
    const violation: PrimaryOrderViolation = { invariant, node: event.node, message: text, seqs, timeUs: event.timeUs };
    this.violations.push(violation);
    this.onViolation(violation);
  }
}

function labelOf(event: TraceEvent): string {
  const txn = event.txn as { type?: string; path?: string } | undefined;
  if (txn?.type !== undefined) return txn.path !== undefined ? `${txn.type} ${txn.path}` : txn.type;
  return typeof event.label === 'string' ? event.label : `commit ${String(event.index)}`;
}

/** Checks primary order over a finished trace's events. */
export function checkPrimaryOrder(events: readonly TraceEvent[]): PrimaryOrderResult {
  const monitor = new PrimaryOrderMonitor();
  for (const event of events) monitor.observe(event);
  return { ok: monitor.violations.length === 0, violations: monitor.violations, commits: monitor.commits, discarded: monitor.discarded, firstDiscarded: monitor.firstDiscarded };
}

export interface PrimaryOrderOptions {
  /** Record each violation as a trace `violation` event (default true). */
  readonly record?: boolean;
  /** Halt the run at the first violation (default false: for Paxos it is expected). */
  readonly halt?: boolean;
}

/** What the online check needs from a cluster. */
export interface PrimaryOrderCluster {
  readonly trace: TraceRecorder;
  readonly nowUs: number;
  halt(reason: string): void;
  afterEvent(hook: () => void): void;
}

/** The online variant: watches commits as the run goes. */
export function attachPrimaryOrder(cluster: PrimaryOrderCluster, options: PrimaryOrderOptions = {}): PrimaryOrderMonitor {
  const pending: PrimaryOrderViolation[] = [];
  const monitor = new PrimaryOrderMonitor((violation) => pending.push(violation));
  cluster.trace.listen((event) => monitor.observe(event));
  cluster.afterEvent(() => {
    if (pending.length === 0) return;
    for (const violation of pending) {
      if (options.record ?? true) {
        cluster.trace.add(cluster.nowUs, violation.node, 'violation', { invariant: violation.invariant, message: violation.message, seqs: violation.seqs });
      }
      if (options.halt ?? false) cluster.halt(`${violation.invariant}: ${violation.message}`);
    }
    pending.length = 0;
  });
  return monitor;
}
