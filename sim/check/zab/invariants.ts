/**
 * Online safety invariants of ZAB, checked from the trace after every event
 * (PROTOCOLS.md §9–§10, the Zab paper's properties and the TLA+ specifications').
 *
 * The checker does not trust the servers: it rebuilds what it needs from their trace
 * records. Its central object is G, the global committed sequence: the txns servers
 * delivered, in delivery order. Every server's delivered sequence must be a prefix of G,
 * so a new delivery is checked against one position of G: O(1). Per server it keeps
 *  - `tree`: the txns its in-memory tree applied, as "G[0, gPos) then a tail"; the tail
 *    holds txns replayed from its own log (`commit` with `replay`, a restart, a
 *    fast-forward) or applied while syncing with a leader not yet established (`commit`
 *    with `sync`): not known to be committed. They count as delivered, and are checked
 *    against G, when the server next delivers a txn (everything before it in its tree
 *    is then delivered too), when a learner reaches BROADCAST (its leader is
 *    established), or, for a leader, when it is established (a quorum of NEWLEADER ACKs
 *    commits the leader's whole initial history);
 *  - `history`: its durable txn log (from `logged`, `truncate`, `snapshot` records, and
 *    the disk itself at a restart), with a chain hash at every position, so that "this
 *    log is a prefix of the leader's history" is one comparison;
 * and per established epoch the leader's history: G up to where the leader stood when
 * it was established, then its proposals in order, with chain hashes.
 *
 * | invariant                  | checked when | meaning |
 * |----------------------------|--------------|---------|
 * | `Leadership1`              | `state`      | two servers LEADING in SYNCHRONIZATION/BROADCAST with the same epoch are the same server |
 * | `Leadership2`              | `election`   | at most one server is ever established leader of an epoch |
 * | `PrefixConsistency`        | delivery     | a server's delivered sequence is a prefix of G (committed prefixes agree) |
 * | `Integrity`                | delivery     | a delivered txn was proposed (same zxid, same txn) by some leader |
 * | `Agreement`                | delivery, final | no two servers deliver different txns at the same position; at the end no two live servers hold different trees at the same zxid |
 * | `TotalOrder`               | delivery     | a txn is delivered at the same position everywhere (not before, after or without the txns G has before it) |
 * | `LocalPrimaryOrder`        | delivery     | a primary's txns are delivered in the order it proposed them, none skipped |
 * | `GlobalPrimaryOrder`       | delivery     | a txn of an older epoch is never delivered after one of a newer epoch |
 * | `PrimaryIntegrity`         | `propose`, delivery | a leader proposes only after delivering every committed txn of older epochs; an older-epoch txn is never committed after a newer leader started proposing without it |
 * | `CommittedLogMonotonicity` | leader delivery | the newest established leader's delivered sequence always extends G (nobody committed beyond it) |
 * | `ProcessConsistency`       | `newleader`  | a learner that processed NEWLEADER has a durable log that is a prefix of its leader's history |
 * | `LeaderLogCompleteness`    | `election`   | an established leader's history contains every txn of an older epoch committed so far |
 * | `CommittedLogDurability`   | `truncate`, `snap` | a sync-time truncation or snapshot never removes a committed txn |
 * | `CommitConsistency`        | follower delivery | in an established epoch, a learner delivers only txns its leader delivered before |
 * | `HistoryConsistency`       | `logged`     | in an established epoch, a synced learner's durable log stays a prefix of the leader's history |
 *
 * A scenario that starts from preloaded disks declares that history with `propose`
 * events on node -1 (cluster-wide) before the servers start: they only register the
 * txns as proposed.
 *
 * A violation is reported once per (invariant, server), recorded as a trace `violation`
 * event {invariant, message, seqs} (seqs: the events that show it, the trigger last)
 * and, by default, halts the run.
 *
 * A server that, at the end, has not yet delivered every txn of G broke no safety
 * property: what it delivered is a prefix of G, and it may catch up later. That is a
 * liveness failure (the cluster did not converge in the time it was given), so the end
 * of run reports it apart, with `lagging()`, never as an Agreement violation.
 */
import type { NodeSnapshot } from '../../core/node.js';
import type { TraceEvent, TraceRecorder } from '../../core/trace.js';
import { chainStep, CommittedSequence, Seq, type SeqEntry } from './seq.js';
import { rankInOrigin } from '../primary-order.js';

/** A trace record's fields, as a record listener gets them. */
type Fields = Readonly<Record<string, unknown>>;

export type ZabInvariant =
  | 'Leadership1'
  | 'Leadership2'
  | 'PrefixConsistency'
  | 'Integrity'
  | 'Agreement'
  | 'TotalOrder'
  | 'LocalPrimaryOrder'
  | 'GlobalPrimaryOrder'
  | 'PrimaryIntegrity'
  | 'CommittedLogMonotonicity'
  | 'ProcessConsistency'
  | 'LeaderLogCompleteness'
  | 'CommittedLogDurability'
  | 'CommitConsistency'
  | 'HistoryConsistency';

export const ZAB_INVARIANTS: readonly ZabInvariant[] = [
  'Leadership1',
  'Leadership2',
  'PrefixConsistency',
  'Integrity',
  'Agreement',
  'TotalOrder',
  'LocalPrimaryOrder',
  'GlobalPrimaryOrder',
  'PrimaryIntegrity',
  'CommittedLogMonotonicity',
  'ProcessConsistency',
  'LeaderLogCompleteness',
  'CommittedLogDurability',
  'CommitConsistency',
  'HistoryConsistency',
];

export interface ZabViolation {
  readonly invariant: ZabInvariant;
  readonly message: string;
  /** Trace events that show the violation (the triggering one last). */
  readonly seqs: number[];
  readonly timeUs: number;
  readonly node: number;
}

/** What the checker needs from a cluster. */
export interface ZabCheckedCluster {
  readonly trace: TraceRecorder;
  readonly nowUs: number;
  readonly serverIds: readonly number[];
  halt(reason: string): void;
  afterEvent(hook: () => void): void;
  isUp(node: number): boolean;
  inspect(node: number): NodeSnapshot;
  storage(node: number): { get<T = unknown>(key: string): T | undefined; log<T = unknown>(name: string): readonly T[] };
}

export interface ZabInvariantOptions {
  /** Halt the run at the first violation (default true). */
  readonly halt?: boolean;
  /** Record violations as trace `violation` events (default true). */
  readonly record?: boolean;
}

export interface ZabInvariantMonitor {
  readonly violations: ZabViolation[];
  /** Txns committed so far (the length of G). */
  readonly committed: number;
  /** G itself: the committed txns in commit order (each with its zxid). */
  committedTxns(): { index: number; txn: unknown }[];
  /** End-of-run safety checks, once the cluster has healed and quiesced. Returns the new violations. */
  finalCheck(): ZabViolation[];
  /**
   * Live servers that have not delivered every committed txn yet (one line each): a
   * liveness finding, not a violation. Call at the end of a run, after finalCheck().
   */
  lagging(): string[];
  /** The checker itself: its state is the run's history as the invariants see it (a snapshot of the run, sim/explore, saves it). */
  readonly checker: object;
}

interface ProposalInfo {
  readonly txn: unknown;
  readonly epoch: number;
  /** Index among its primary's proposals (originSeq). */
  readonly k: number;
  readonly seq: number;
  readonly node: number;
}

interface EpochInfo {
  readonly leader: number;
  readonly seq: number;
  /** The leader's history when established: G[0, basePos). */
  readonly basePos: number;
  readonly chains: Map<number, number>;
  lastChain: number;
}

interface ServerView {
  up: boolean;
  role: string;
  zabState: string;
  currentEpoch: number;
  leader: number | null;
  /** The epoch it is registered as LEADING in (SYNCHRONIZATION/BROADCAST), or -1. */
  leadingEpoch: number;
  tree: Seq;
  history: Seq;
  /** The tree as of the durable snapshot. */
  snapshot: Seq;
  /** The durable snapshot's zxid (-1: none): a log write of a txn at or below it completing later is superseded. */
  snapshotZxid: number;
  /** The older snapshots the server keeps (a TRUNC below the newest falls back to one), oldest first. */
  olderSnapshots: { zxid: number; seq: Seq }[];
  /** Epoch and leader of the NEWLEADER it processed in its current role (-1: none). */
  syncedEpoch: number;
  syncedLeader: number;
  /** The delivery check stopped on a divergence (further checks would only repeat it). */
  diverged: boolean;
  /** While diverged: tail entries whose order was already checked. */
  orderChecked: number;
  readonly reported: Set<string>;
}

interface SnapshotRecordView {
  readonly zxid: number;
  readonly logStart: number;
}

interface LogEntryView {
  readonly zxid: number;
  readonly txn: unknown;
}

export class ZabInvariantChecker {
  readonly violations: ZabViolation[] = [];
  readonly g = new CommittedSequence();
  private readonly views = new Map<number, ServerView>();
  private readonly proposals = new Map<number, ProposalInfo>();
  /** Proposals that reused a zxid with a different txn (only with broken leaders). */
  private readonly conflictingProposals = new Map<number, unknown[]>();
  private readonly epochs = new Map<number, EpochInfo>();
  private readonly leadingIn = new Map<number, { node: number; seq: number }>();
  private maxEstablishedEpoch = -1;
  private maxProposedEpoch = -1;
  private maxProposedLeader = -1;
  private maxProposedSeq = -1;
  private readonly pendingSnaps = new Map<number, { zxid: number; seq: Seq }>();
  /** What was committed when a leader decided to TRUNC a learner (its length of G; a deposed leader's: committedKnownTo). */
  private readonly pendingTruncs = new Map<number, { committed: number; seq: number }>();
  private readonly txnIds = new WeakMap<object, number>();
  private nextTxnId = 1;

  constructor(
    private readonly cluster: ZabCheckedCluster,
    private readonly onViolation: (violation: ZabViolation) => void = () => {},
  ) {}

  // ---------------------------------------------------------------- helpers

  private view(node: number): ServerView {
    let view = this.views.get(node);
    if (view === undefined) {
      view = {
        up: true,
        role: 'LOOKING',
        zabState: 'ELECTION',
        currentEpoch: 0,
        leader: null,
        leadingEpoch: -1,
        tree: new Seq(),
        history: new Seq(),
        snapshot: new Seq(),
        snapshotZxid: -1,
        olderSnapshots: [],
        syncedEpoch: -1,
        syncedLeader: -1,
        diverged: false,
        orderChecked: 0,
        reported: new Set(),
      };
      this.views.set(node, view);
    }
    return view;
  }

  private txnId(txn: unknown): number {
    if (typeof txn !== 'object' || txn === null) return 0;
    let id = this.txnIds.get(txn);
    if (id === undefined) {
      id = this.nextTxnId++;
      this.txnIds.set(txn, id);
    }
    return id;
  }

  private label(zxid: number): string {
    const p = this.proposals.get(zxid);
    return p === undefined ? `zxid ${zxid}` : `${p.epoch}:${p.k}`;
  }

  private report(node: number, invariant: ZabInvariant, message: string, seqs: number[]): void {
    const view = this.view(node);
    const key = invariant;
    if (view.reported.has(key)) return;
    view.reported.add(key);
    const violation: ZabViolation = { invariant, message, seqs: seqs.filter((s) => s >= 0), timeUs: this.cluster.nowUs, node };
    this.violations.push(violation);
    this.onViolation(violation);
  }

  // ---------------------------------------------------------------- events

  observe(event: TraceEvent): void {
    this.observeRecord(event.timeUs, event.seq, event.node, event.kind, event);
  }

  /**
   * A record by its head and its fields (TraceRecorder.listenRecords): the checker reads
   * the fields it needs and keeps none of the record, so no event object is built for it.
   */
  observeRecord(_timeUs: number, seq: number, node: number, kind: string, f: Fields): void {
    switch (kind) {
      case 'commit':
        this.onCommit(node, seq, f);
        return;
      case 'logged':
        this.onLogged(node, seq, f);
        return;
      case 'propose':
        this.onPropose(node, seq, f);
        return;
      case 'state':
        this.onState(node, seq, f);
        return;
      case 'election':
        this.onElection(node, seq, f);
        return;
      case 'newleader':
        this.onNewLeader(node, seq, f);
        return;
      case 'truncate':
        this.onTruncate(node, seq, f);
        return;
      case 'sync-mode':
        if (f.mode === 'SNAP') this.pendingSnaps.set(f.learner as number, { zxid: f.zxid as number, seq: this.view(node).tree.copy() });
        if (f.mode === 'TRUNC') this.pendingTruncs.set(f.learner as number, { committed: this.committedKnownTo(node), seq });
        return;
      case 'snap':
        this.onSnap(node, seq, f);
        return;
      case 'snapshot':
        this.onSnapshot(node, seq, f);
        return;
      case 'snapshot-fallback':
        this.onSnapshotFallback(node, seq, f);
        return;
      case 'restore':
        this.onRestore(node, seq, f);
        return;
      case 'crash':
        this.onCrash(node);
        return;
      default:
        return;
    }
  }

  private onState(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    const role = f.role as string;
    const leader = (f.leader as number | null) ?? null;
    if (role !== view.role || leader !== view.leader || role === 'LOOKING') {
      view.syncedEpoch = -1;
      view.syncedLeader = -1;
    }
    view.role = role;
    view.zabState = f.zabState as string;
    view.currentEpoch = f.currentEpoch as number;
    view.leader = leader;
    // UPTODATE: the learner's leader is established, so what it applied while syncing is committed.
    if ((role === 'FOLLOWING' || role === 'OBSERVING') && view.zabState === 'BROADCAST') this.promote(node, view, seq, 'commit');
    this.unregisterLeading(node, view);
    if (role === 'LEADING' && (view.zabState === 'SYNCHRONIZATION' || view.zabState === 'BROADCAST')) {
      const epoch = view.currentEpoch;
      const other = this.leadingIn.get(epoch);
      if (other !== undefined && other.node !== node) {
        this.report(node, 'Leadership1', `servers ${other.node} and ${node} both lead epoch ${epoch} (in ${view.zabState})`, [other.seq, seq]);
      }
      if (other === undefined) this.leadingIn.set(epoch, { node, seq });
      view.leadingEpoch = epoch;
    }
  }

  private unregisterLeading(node: number, view: ServerView): void {
    if (view.leadingEpoch < 0) return;
    const registered = this.leadingIn.get(view.leadingEpoch);
    if (registered !== undefined && registered.node === node) this.leadingIn.delete(view.leadingEpoch);
    view.leadingEpoch = -1;
  }

  private onCrash(node: number): void {
    const view = this.view(node);
    view.up = false;
    view.role = 'DOWN';
    view.zabState = 'ELECTION';
    view.syncedEpoch = -1;
    this.unregisterLeading(node, view);
  }

  private onRestore(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    view.up = true;
    view.diverged = false;
    view.orderChecked = 0;
    // The tree is the snapshot plus every log entry after it with a newer zxid than its
    // label (the restore reads the log from there), as the server rebuilt it.
    const storage = this.cluster.storage(node);
    const snapshot = storage.get<SnapshotRecordView>('snapshot');
    const log = storage.log<LogEntryView>('txnlog');
    const logStart = (f.logStart as number | undefined) ?? snapshot?.logStart ?? 0;
    view.snapshotZxid = snapshot?.zxid ?? -1;
    const tree = snapshot === undefined ? new Seq() : view.snapshot.copy();
    for (let i = logStart; i < log.length; i++) {
      if (log[i].zxid <= view.snapshotZxid) continue;
      tree.append(this.g, log[i].zxid, log[i].txn, this.txnId(log[i].txn));
    }
    view.tree = tree;
    if (f.reason === 'start') view.history = tree.copy();
    this.compactHistory(view);
  }

  private onPropose(node: number, seq: number, f: Fields): void {
    const zxid = f.index as number;
    const epoch = rankInOrigin(f.origin as string) ?? NaN;
    const k = f.originSeq as number;
    const txn = f.txn;
    const existing = this.proposals.get(zxid);
    if (existing === undefined) {
      this.proposals.set(zxid, { txn, epoch, k, seq, node });
    } else if (!sameTxn(existing.txn, txn)) {
      const list = this.conflictingProposals.get(zxid) ?? [];
      list.push(txn);
      this.conflictingProposals.set(zxid, list);
    }
    // node -1: history from before the run (a scenario's preloaded disks), declared in the trace.
    if (node < 0) return;
    // The leader's history of this epoch grows by the proposal.
    let info = this.epochs.get(epoch);
    if (info === undefined) {
      const leaderTree = this.view(node).tree;
      info = { leader: node, seq, basePos: leaderTree.gPos, chains: new Map(), lastChain: leaderTree.lastChain(this.g) };
      this.epochs.set(epoch, info);
    }
    if (info.leader === node) {
      info.lastChain = chainStep(info.lastChain, zxid, this.txnId(txn));
      info.chains.set(zxid, info.lastChain);
    }
    // PrimaryIntegrity: a primary proposes only once it delivered everything committed in older epochs.
    const leaderView = this.view(node);
    const required = this.g.countBeforeEpoch(epoch);
    if (leaderView.tree.gPos < required) {
      const missing = leaderView.tree.gPos;
      this.report(node, 'PrimaryIntegrity',
        `leader ${node} proposes ${this.label(zxid)} in epoch ${epoch} without having delivered the committed ${this.label(this.g.zxids[missing])} of an older epoch`,
        [this.g.seqs[missing], seq]);
    }
    if (epoch > this.maxProposedEpoch) {
      this.maxProposedEpoch = epoch;
      this.maxProposedLeader = node;
      this.maxProposedSeq = seq;
    }
  }

  private onElection(node: number, seq: number, f: Fields): void {
    const epoch = f.epoch as number;
    const previous = this.epochs.get(epoch);
    if (previous !== undefined && previous.leader !== node) {
      this.report(node, 'Leadership2', `servers ${previous.leader} and ${node} were both established as leader of epoch ${epoch}`, [previous.seq, seq]);
    }
    // A quorum acknowledged NEWLEADER: the leader's whole history is committed now.
    const view = this.view(node);
    this.promote(node, view, seq, 'election');
    const tree = view.tree;
    // Only txns of older epochs count: a leader held up (paused, its NEWLEADER ACKs in
    // flight) can be established after a newer epoch's leader committed; it cannot commit
    // without that quorum, and it was never meant to hold the newer epoch's txns.
    if (!view.diverged && tree.gPos < this.g.length && this.g.epochs[tree.gPos] < epoch) {
      const missing = tree.gPos;
      this.report(node, 'LeaderLogCompleteness',
        `leader ${node} of epoch ${epoch} is established without the committed ${this.label(this.g.zxids[missing])} (its history ends at ${this.label(tree.lastZxid(this.g))}; ${this.g.length - missing} committed txns missing)`,
        [this.g.seqs[missing], seq]);
    }
    if (previous === undefined || previous.leader !== node) {
      this.epochs.set(epoch, { leader: node, seq, basePos: tree.gPos, chains: new Map(), lastChain: tree.lastChain(this.g) });
    }
    if (epoch > this.maxEstablishedEpoch) this.maxEstablishedEpoch = epoch;
  }

  private onCommit(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    view.tree.append(this.g, f.index as number, f.txn, this.txnId(f.txn));
    // Replays, and a learner's sync-time applies, are delivered later (see promote).
    if (f.replay === true || f.sync === true) return;
    this.promote(node, view, seq, 'commit');
    this.compactHistory(view);
  }

  private onLogged(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    const zxid = f.zxid as number;
    const txn = f.txn;
    // A write issued before the snapshot that completes after it: the snapshot supersedes it
    // (a restore replays only what follows the snapshot), so it is not part of the history.
    if (zxid <= view.snapshotZxid) return;
    view.history.append(this.g, zxid, txn, this.txnId(txn));
    if (view.syncedEpoch >= 0) {
      const info = this.epochs.get(view.syncedEpoch);
      if (info !== undefined) {
        const expected = this.leaderHistoryChain(info, zxid);
        const actual = view.history.lastChain(this.g);
        if (expected === undefined) {
          this.report(node, 'HistoryConsistency', `server ${node} logged ${this.label(zxid)}, which is not in the history of its leader ${info.leader} (epoch ${view.syncedEpoch})`, [info.seq, seq]);
        } else if (expected !== actual) {
          this.report(node, 'HistoryConsistency', `server ${node}'s log up to ${this.label(zxid)} differs from the history of its leader ${info.leader} (epoch ${view.syncedEpoch})`, [info.seq, seq]);
        }
      }
    }
    this.compactHistory(view);
  }

  /** The chain of the established leader's history up to `zxid` (undefined: not in it). */
  private leaderHistoryChain(info: EpochInfo, zxid: number): number | undefined {
    const chain = info.chains.get(zxid);
    if (chain !== undefined) return chain;
    const position = this.g.positionOf(zxid);
    if (position !== undefined && position < info.basePos) return this.g.chains[position];
    if (zxid === 0) return this.g.chainBefore(0);
    return undefined;
  }

  private onNewLeader(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    const leader = f.leader as number;
    const epoch = f.epoch as number;
    view.syncedEpoch = epoch;
    view.syncedLeader = leader;
    const history = view.history;
    if (history.length === 0) return;
    const zxid = history.lastZxid(this.g);
    const info = this.epochs.get(epoch);
    let expected = info !== undefined && info.leader === leader ? this.leaderHistoryChain(info, zxid) : undefined;
    if (expected === undefined) expected = this.view(leader).tree.chainAt(this.g, zxid);
    const actual = history.lastChain(this.g);
    if (expected === undefined) {
      this.report(node, 'ProcessConsistency', `server ${node} processed NEWLEADER of epoch ${epoch} with ${this.label(zxid)} in its log, which leader ${leader}'s history does not have`, [seq]);
    } else if (expected !== actual) {
      this.report(node, 'ProcessConsistency', `server ${node} processed NEWLEADER of epoch ${epoch} but its log up to ${this.label(zxid)} differs from leader ${leader}'s history`, [seq]);
    }
  }

  /**
   * What a leader deciding a TRUNC can be held to (a length of G): everything committed,
   * unless a newer epoch has been established meanwhile. A deposed leader (a GC pause, then
   * it wakes still LEADING) truncates a learner to its own newest committed txn, as
   * ZooKeeper's LearnerHandler.syncFollower does (TRUNC to maxCommittedLog when the peer
   * is past it), and forwards its outstanding proposals right after (Leader.startForwarding):
   * txns the newer epoch committed without it come back to the learner as the same
   * proposals. Nor are they at risk: the learner follows the older epoch, so its
   * acceptedEpoch is below the newer one, and it is none of the servers that acknowledged
   * the newer epoch's NEWLEADER with those txns durable (ProcessConsistency,
   * LeaderLogCompleteness). So a deposed leader is held to what it delivered itself.
   */
  private committedKnownTo(leader: number): number {
    const view = this.view(leader);
    if (view.leadingEpoch >= 0 && view.leadingEpoch < this.maxEstablishedEpoch) return Math.min(this.g.length, view.tree.gPos);
    return this.g.length;
  }

  /**
   * A TRUNC is judged against what was committed when the leader decided it: a txn the
   * learner logged as an outstanding proposal may commit while the TRUNC is on its way,
   * and the leader then forwards it again after the TRUNC (startForwarding), as
   * ZooKeeper does. Dropping a txn committed before the decision loses it.
   */
  private onTruncate(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    const zxid = f.zxid as number;
    const decision = this.pendingTruncs.get(node);
    this.pendingTruncs.delete(node);
    const committedAtDecision = decision?.committed ?? this.g.length;
    const seqs = decision === undefined ? [seq] : [decision.seq, seq];
    this.checkDropped(node, view.tree.cut(this.g, zxid), committedAtDecision, seqs, 'TRUNC');
    this.checkDropped(node, view.history.cut(this.g, zxid), committedAtDecision, seqs, 'TRUNC');
  }

  private checkDropped(node: number, dropped: { droppedCommitted: number[]; droppedTail: SeqEntry[] }, committedAtDecision: number, seqs: number[], what: string): void {
    let lost: number | undefined;
    for (const position of dropped.droppedCommitted) if (position < committedAtDecision && (lost === undefined || position < lost)) lost = position;
    for (const entry of dropped.droppedTail) {
      const position = this.g.positionOf(entry.zxid);
      if (position !== undefined && position < committedAtDecision && sameTxn(this.g.txns[position], entry.txn) && (lost === undefined || position < lost)) lost = position;
    }
    if (lost !== undefined) {
      this.report(node, 'CommittedLogDurability', `${what} on server ${node} removes the committed ${this.label(this.g.zxids[lost])}`, [this.g.seqs[lost], ...seqs]);
    }
  }

  private onSnap(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    const zxid = f.zxid as number;
    const pending = this.pendingSnaps.get(node);
    this.pendingSnaps.delete(node);
    let next: Seq;
    // The nodes are the leader's tree when it decided the sync; the label may be newer
    // (newLeaderBeforeSnapshot's fuzzy snapshot): the txns in between are not in it.
    if (pending !== undefined && pending.zxid <= zxid) next = pending.seq.copy();
    else {
      const position = this.g.positionOf(zxid);
      next = new Seq(position === undefined ? 0 : position + 1);
    }
    // Whatever this server delivered must be in the snapshot.
    const old = view.tree;
    if (old.gPos > next.gPos) {
      const lost = next.gPos + this.countMatchingHead(next, old.gPos - next.gPos);
      if (lost < old.gPos) {
        this.report(node, 'CommittedLogDurability', `SNAP on server ${node} replaces its tree without the committed ${this.label(this.g.zxids[lost])}`, [this.g.seqs[lost], seq]);
      }
    }
    view.tree = next;
    view.diverged = false;
    view.orderChecked = 0;
  }

  /** How many of the first `n` G entries after seq's prefix its tail starts with. */
  private countMatchingHead(seq: Seq, n: number): number {
    let matched = 0;
    while (matched < n && matched < seq.tailLength) {
      const position = seq.gPos + matched;
      if (this.g.zxids[position] !== seq.zxidAt(matched) || !sameTxn(this.g.txns[position], seq.txnAt(matched))) break;
      matched++;
    }
    return matched;
  }

  private onSnapshot(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    // Mirrors ZabNode.writeSnapshot: a SNAP sync's snapshot starts a new history.
    if (f.newHistory === true) view.olderSnapshots = [];
    else if (view.snapshotZxid >= 0 && view.snapshotZxid !== (f.zxid as number)) view.olderSnapshots = [...view.olderSnapshots, { zxid: view.snapshotZxid, seq: view.snapshot }].slice(-2);
    view.snapshot = view.tree.copy();
    view.snapshotZxid = f.zxid as number;
    // The log before the snapshot is superseded: the history is now the snapshot's.
    view.history = view.tree.copy();
  }

  /** A TRUNC below the newest snapshot: the server starts from an older one, the newer ones are gone. */
  private onSnapshotFallback(node: number, seq: number, f: Fields): void {
    const view = this.view(node);
    const zxid = f.zxid as number;
    if (zxid < 0) {
      // No snapshot at all: the server replays its whole log.
      view.snapshot = new Seq();
      view.snapshotZxid = -1;
      view.olderSnapshots = [];
      return;
    }
    let index = view.olderSnapshots.length - 1;
    while (index >= 0 && view.olderSnapshots[index].zxid !== zxid) index--;
    if (index < 0) return;
    view.snapshot = view.olderSnapshots[index].seq;
    view.snapshotZxid = zxid;
    view.olderSnapshots = view.olderSnapshots.slice(0, index);
  }

  /** Moves the head of a history that matches G into its G prefix (keeps the tail short). */
  private compactHistory(view: ServerView): void {
    const history = view.history;
    const g = this.g;
    for (;;) {
      const position = history.gPos;
      if (history.tailLength === 0 || position >= g.length || g.zxids[position] !== history.zxidAt(0) || g.chains[position] !== history.chainOf(0)) return;
      history.advance();
    }
  }

  // ---------------------------------------------------------------- delivery

  /** Delivers the server's tree tail, entry by entry, against G. */
  private promote(node: number, view: ServerView, seq: number, context: 'commit' | 'election' | 'final'): void {
    const tree = view.tree;
    if (view.diverged) {
      // No longer a prefix of G: still check the order of this server's own deliveries.
      this.checkOwnOrder(node, tree, view.orderChecked, seq);
      view.orderChecked = tree.tailLength;
      return;
    }
    while (tree.tailLength > 0) {
      if (!this.deliver(node, view, tree.zxidAt(0), tree.txnAt(0), tree.chainOf(0), tree.gPos, seq, context)) {
        view.diverged = true;
        this.checkOwnOrder(node, tree, 1, seq);
        view.orderChecked = tree.tailLength;
        return;
      }
      tree.advance();
    }
  }

  /** Local/GlobalPrimaryOrder over consecutive entries of a diverged tree's tail, from index `from`. */
  private checkOwnOrder(node: number, tree: Seq, from: number, seq: number): void {
    for (let i = Math.max(1, from); i < tree.tailLength; i++) {
      const prevZxid = tree.zxidAt(i - 1);
      const zxid = tree.zxidAt(i);
      const prevProposal = this.proposals.get(prevZxid);
      if (prevProposal === undefined) continue;
      this.checkPrimaryOrder(node, prevZxid, prevProposal.epoch, prevProposal.k, zxid, this.proposals.get(zxid), seq, -1);
    }
  }

  private deliver(node: number, view: ServerView, zxid: number, txn: unknown, chain: number, position: number, seq: number, context: 'commit' | 'election' | 'final'): boolean {
    const g = this.g;
    const proposal = this.proposals.get(zxid);
    const proposed = proposal !== undefined && (sameTxn(proposal.txn, txn) || (this.conflictingProposals.get(zxid)?.some((t) => sameTxn(t, txn)) ?? false));
    if (!proposed) {
      this.report(node, 'Integrity', `server ${node} delivers ${zxid === 0 ? 'a txn' : this.label(zxid)} (${describeTxn(txn)}) that no leader proposed`, [seq]);
    }
    if (position < g.length) {
      if (g.zxids[position] === zxid && sameTxn(g.txns[position], txn)) {
        if (context === 'commit') this.checkDeliveryRoles(node, view, position, seq, false);
        return true;
      }
      this.reportMismatch(node, zxid, txn, position, proposal, seq, context);
      if (context === 'commit') this.checkDeliveryRoles(node, view, position, seq, false);
      return false;
    }
    // A new txn for G.
    if (position > 0) this.checkPrimaryOrder(node, g.zxids[position - 1], g.epochs[position - 1], g.ks[position - 1], zxid, proposal, seq, g.seqs[position - 1]);
    if (proposal !== undefined && this.maxProposedEpoch > proposal.epoch && this.maxProposedLeader !== node) {
      const leaderTree = this.view(this.maxProposedLeader).tree;
      if (leaderTree.chainAt(g, zxid) === undefined) {
        this.report(node, 'PrimaryIntegrity',
          `server ${node} delivers ${this.label(zxid)} of epoch ${proposal.epoch} after leader ${this.maxProposedLeader} of epoch ${this.maxProposedEpoch} started proposing without it`,
          [this.maxProposedSeq, seq]);
      }
    }
    if (context === 'commit') this.checkDeliveryRoles(node, view, position, seq, true);
    g.append(zxid, txn, chain, proposal?.epoch ?? -1, proposal?.k ?? -1, seq, node);
    return true;
  }

  /** CommitConsistency (learners) and CommittedLogMonotonicity (the newest leader). */
  private checkDeliveryRoles(node: number, view: ServerView, position: number, seq: number, extendsG: boolean): void {
    if (view.role === 'LEADING' && view.zabState === 'BROADCAST' && view.currentEpoch === this.maxEstablishedEpoch && this.epochs.get(view.currentEpoch)?.leader === node) {
      if (!extendsG) {
        this.report(node, 'CommittedLogMonotonicity',
          `leader ${node} of epoch ${view.currentEpoch} delivers at position ${position + 1} of the committed sequence, which others already extended to ${this.g.length} txns (up to ${this.label(this.g.zxids[this.g.length - 1])})`,
          [this.g.seqs[this.g.length - 1], seq]);
      }
      return;
    }
    if (view.syncedEpoch < 0 || view.role === 'LEADING') return;
    const info = this.epochs.get(view.syncedEpoch);
    if (info === undefined || info.leader !== view.syncedLeader) return;
    const leaderView = this.view(info.leader);
    if (!leaderView.up || leaderView.role !== 'LEADING' || leaderView.currentEpoch !== view.syncedEpoch) return;
    if (leaderView.tree.gPos <= position) {
      const zxid = extendsG ? (view.tree.tailLength > 0 ? view.tree.zxidAt(0) : 0) : this.g.zxids[position];
      this.report(node, 'CommitConsistency', `learner ${node} delivers ${this.label(zxid)} before its leader ${info.leader} (epoch ${view.syncedEpoch}) delivered it`, [info.seq, seq]);
    }
  }

  private reportMismatch(node: number, zxid: number, txn: unknown, position: number, proposal: ProposalInfo | undefined, seq: number, context: string): void {
    const g = this.g;
    const expected = g.zxids[position];
    const seqs = [g.seqs[position], seq];
    const where = `position ${position + 1} of the committed sequence`;
    this.report(node, 'PrefixConsistency', `server ${node} delivers ${this.label(zxid)} at ${where}, where ${this.label(expected)} was committed (by server ${g.nodes[position]})`, seqs);
    const elsewhere = g.positionOf(zxid);
    if (elsewhere !== undefined && sameTxn(g.txns[elsewhere], txn)) {
      const how = elsewhere > position ? `without ${this.label(expected)} before it` : 'after txns committed after it';
      this.report(node, 'TotalOrder', `server ${node} delivers ${this.label(zxid)} ${how} (it is at position ${elsewhere + 1} of the committed order, not ${position + 1})`, [g.seqs[elsewhere], seq]);
    } else if (proposal !== undefined) {
      this.report(node, 'Agreement', `servers ${g.nodes[position]} and ${node} deliver different txns at ${where}: ${this.label(expected)} and ${this.label(zxid)}`, seqs);
    }
    if (position > 0) this.checkPrimaryOrder(node, g.zxids[position - 1], g.epochs[position - 1], g.ks[position - 1], zxid, proposal, seq, g.seqs[position - 1]);
    if (context === 'election') {
      this.report(node, 'LeaderLogCompleteness', `leader ${node} is established with ${this.label(zxid)} where the committed ${this.label(expected)} should be`, seqs);
    }
  }

  private checkPrimaryOrder(node: number, prevZxid: number, prevEpoch: number, prevK: number, zxid: number, proposal: ProposalInfo | undefined, seq: number, prevSeq: number): void {
    if (proposal === undefined || prevEpoch < 0) return;
    if (proposal.epoch < prevEpoch) {
      this.report(node, 'GlobalPrimaryOrder', `server ${node} delivers ${this.label(zxid)} of epoch ${proposal.epoch} after ${this.label(prevZxid)} of the newer epoch ${prevEpoch}`, [prevSeq, seq]);
    } else if (proposal.epoch === prevEpoch && proposal.k !== prevK + 1) {
      this.report(node, 'LocalPrimaryOrder', `server ${node} delivers txn #${proposal.k} of epoch ${proposal.epoch}'s leader right after #${prevK}`, [prevSeq, seq]);
    } else if (proposal.epoch > prevEpoch && proposal.k !== 1) {
      this.report(node, 'LocalPrimaryOrder', `server ${node} delivers txn #${proposal.k} of epoch ${proposal.epoch}'s leader without its earlier ones`, [prevSeq, seq]);
    }
  }

  // ---------------------------------------------------------------- end of run

  /**
   * At the end (after healing and quiescing): every live server's tree is checked against
   * G, and no two live servers hold different trees at the same zxid (Agreement).
   */
  finalCheck(): ZabViolation[] {
    const before = this.violations.length;
    const cluster = this.cluster;
        let digest: { node: number; digest: unknown; zxid: unknown } | null = null;
    for (const node of cluster.serverIds) {
      if (!cluster.isUp(node)) continue;
      const snapshot = cluster.inspect(node);
      // Only a server a leader has synchronized holds delivered txns. One still electing
      // or syncing at the end may hold txns replayed from its own log that no quorum
      // acknowledged (a leader that stepped down fast-forwards over its own proposals):
      // the next leader would truncate them. Found by swarm testing (zab 24).
      if (snapshot.zabState === 'BROADCAST' && snapshot.role !== 'LOOKING') this.promote(node, this.view(node), -1, 'final');
      if (snapshot.role === 'BROKEN') continue;
      if (digest === null) digest = { node, digest: snapshot.treeDigest, zxid: snapshot.lastProcessedZxid };
      else if (snapshot.treeDigest !== digest.digest && snapshot.lastProcessedZxid === digest.zxid) {
        this.report(node, 'Agreement', `at the end, servers ${digest.node} and ${node} are both at zxid ${String(snapshot.lastProcessedZxid)} with different trees`, []);
      }
    }
    return this.violations.slice(before);
  }

  /** Live servers behind G: they delivered a prefix of it and have not caught up (yet). */
  lagging(): string[] {
    const lines: string[] = [];
    for (const node of this.cluster.serverIds) {
      if (!this.cluster.isUp(node)) continue;
      const view = this.view(node);
      if (view.diverged || view.tree.gPos >= this.g.length) continue;
      const missing = view.tree.gPos;
      lines.push(`server ${node} has not delivered the committed ${this.label(this.g.zxids[missing])} (${this.g.length - missing} txn(s) behind)`);
    }
    return lines;
  }
}

/** Txns are small plain objects: equal by reference, else structurally. */
export function sameTxn(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!sameTxn((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function describeTxn(txn: unknown): string {
  const t = txn as { type?: string; path?: string } | null;
  if (t === null || typeof t !== 'object') return String(txn);
  return t.path !== undefined ? `${t.type} ${t.path}` : String(t.type);
}

/**
 * Attaches the checker to a cluster: it listens to the trace, records each violation as
 * a `violation` event after the event that caused it, and halts the run (by default).
 */
export function attachZabInvariants(cluster: ZabCheckedCluster, options: ZabInvariantOptions = {}): ZabInvariantMonitor {
  const pending: ZabViolation[] = [];
  const checker = new ZabInvariantChecker(cluster, (violation) => pending.push(violation));
  const flush = (): void => {
    if (pending.length === 0) return;
    for (const violation of pending) {
      if (options.record ?? true) {
        cluster.trace.add(cluster.nowUs, violation.node, 'violation', { invariant: violation.invariant, message: violation.message, seqs: violation.seqs });
      }
      if (options.halt ?? true) cluster.halt(`${violation.invariant}: ${violation.message}`);
    }
    pending.length = 0;
  };
  // Record fields are enough: no event object is built for the checker (as Paxos's).
  cluster.trace.listenRecords((timeUs, seq, node, kind, fields) => checker.observeRecord(timeUs, seq, node, kind, fields));
  cluster.afterEvent(flush);
  return {
    violations: checker.violations,
    get committed() {
      return checker.g.length;
    },
    committedTxns() {
      const g = checker.g;
      return g.zxids.map((zxid, i) => ({ index: zxid, txn: g.txns[i] }));
    },
    finalCheck() {
      const found = checker.finalCheck();
      flush();
      return found;
    },
    lagging: () => checker.lagging(),
    checker,
  };
}
