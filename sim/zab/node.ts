/**
 * A ZAB server (ZooKeeper's QuorumPeer) as a pure state machine.
 *
 * Shared logic lives here, once: the three durability horizons (PROTOCOLS.md §1, §14),
 * applying committed txns, the role transitions and the trace. Each role has its own
 * module, in the spirit of etcd's raft: LOOKING → election.ts (FLE), LEADING →
 * leader.ts, FOLLOWING / OBSERVING → learner.ts; clients → service.ts.
 *
 * The three horizons are kept apart, as in ZooKeeper, because its recovery bugs live
 * between them:
 *  - the txn log (storage log "txnlog", entries {zxid, txn}) and the snapshot (storage
 *    key "snapshot" {zxid, tree, logStart}): durable once a storage sync completes;
 *    appends go through the log writer (log-writer.ts, the SyncRequestProcessor);
 *  - the in-memory DataTree and its lastProcessedZxid: volatile; it is what votes and
 *    ACKEPOCH report (getLastLoggedZxid), and is rebuilt on restart from the snapshot
 *    plus the whole log, a never-committed tail included;
 *  - the epoch files acceptedEpoch and currentEpoch: atomic durable writes (putDurable).
 * "Log durable", "tree applied", "epoch file written" and "ACK sent" are separate steps
 * at separate places, so that a wrong order can be switched on and caught.
 *
 * Trace records: `state`, `vote`, `election`, `sync-mode`, `propose`, `logged`,
 * `commit`, `truncate`, `snap`, `snapshot`, `newleader`, `restore` (see index.ts).
 */
import type { ClientRequest, NodeBehavior, NodeContext, NodeId, NodeSnapshot } from '../core/node.js';
import { DataTree, prepRequest, type ZkRequest } from '../store/index.js';
import { CommittedLog } from './committed-log.js';
import type { ZabConfig } from './config.js';
import { FastLeaderElection, FINALIZE_TIMER, FLE_TIMER } from './election.js';
import { LEADER_TICK, LeaderRole, SNAPSHOT_TIMER } from './leader.js';
import { LEARNER_TICK, LearnerRole } from './learner.js';
import { LogWriter, TXN_LOG } from './log-writer.js';
import type { LogEntry, Notification, Route, ServerState, ZabMessage, ZabState } from './messages.js';
import { ClientService } from './service.js';
import { indexAfter } from './sync-plan.js';
import { ZxidCodec, zabOrigin } from './zxid.js';

export const SNAPSHOT_KEY = 'snapshot';
export const ACCEPTED_EPOCH_KEY = 'acceptedEpoch';
export const CURRENT_EPOCH_KEY = 'currentEpoch';
/** ZooKeeper's updatingEpoch file: present while a learner persists a sync before writing currentEpoch. */
export const UPDATING_EPOCH_KEY = 'updatingEpoch';

/** Older snapshots kept beside the newest (ZooKeeper keeps snapRetainCount = 3 in all). */
export const OLDER_SNAPSHOTS_KEY = 'olderSnapshots';
const SNAP_RETAIN_COUNT = 3;

/** The durable snapshot: the tree as of `zxid`; log entries from index `logStart` on come after it. */
export interface SnapshotRecord {
  readonly zxid: number;
  readonly tree: ReturnType<DataTree['toJSON']>;
  readonly logStart: number;
  /**
   * The first log entry of this server's current history: a SNAP sync starts a new one
   * (the log before it may hold another history's txns); other snapshots inherit it.
   */
  readonly historyStart?: number;
}

export class ZabNode implements NodeBehavior<ZabMessage> {
  readonly codec: ZxidCodec;
  private voterSet: ReadonlySet<NodeId> = new Set();
  readonly isObserver: boolean;
  role: ServerState = 'LOOKING';
  zabState: ZabState = 'ELECTION';
  acceptedEpoch = 0;
  currentEpoch = 0;
  /** The leader this server follows or is (null while LOOKING). */
  leaderId: NodeId | null = null;
  tree = new DataTree();
  /** Index of the first log entry after the snapshot. */
  private logStart = 0;
  private snapshotZxid = 0;
  /** Log entries from this index on belong to the current history (SnapshotRecord.historyStart). */
  historyStart = 0;
  readonly committedLog: CommittedLog;
  writer!: LogWriter;
  readonly election: FastLeaderElection;
  leader: LeaderRole | null = null;
  learner: LearnerRole | null = null;
  readonly service: ClientService;
  /** The newest txn applied as committed (not by a replay). */
  lastCommittedZxid = 0;
  /** Set when the server refused to start (inconsistent epoch files), as ZooKeeper exits. */
  private broken: string | null = null;
  /** Tokens tell one leadership / learner connection from the next (log writes carry them). */
  private nextToken = 1;
  private lastState = '';
  private ctx!: NodeContext<ZabMessage>;
  /** Bug committedLogGap (ZOOKEEPER-4925), read once: applyCommitted is hot. */
  private readonly syncSkipsCommittedLog: boolean;
  /** LOOKING, waiting for the log writer's shutdown flush before the election starts. */
  private flushing = false;
  /** Names one shutdown: a flush that completes after a later one began is ignored. */
  private shutdownToken = 0;
  /** Notifications received while flushing, the latest per sender (handled when the election starts). */
  private heldNotifications = new Map<NodeId, Notification>();

  constructor(
    readonly id: NodeId,
    readonly config: ZabConfig,
  ) {
    this.codec = new ZxidCodec(config.counterBits);
    this.isObserver = config.observers.includes(id);
    this.committedLog = new CommittedLog(config.committedLogSize);
    this.election = new FastLeaderElection(this, config);
    this.service = new ClientService(this);
    this.syncSkipsCommittedLog = config.bugs.has('committedLogGap');
  }

  // ---------------------------------------------------------------- lifecycle

  onStart(ctx: NodeContext<ZabMessage>): void {
    this.ctx = ctx;
    const observers = new Set(this.config.observers);
    this.voterSet = new Set(ctx.servers.filter((sid) => !observers.has(sid)));
    this.writer = new LogWriter(ctx.storage, this);
    this.restore(ctx, 'start');
    if (this.broken !== null) return;
    this.lookForLeader(ctx, 'started');
  }

  /** loadDataBase: epochs, snapshot, then the whole log replayed into the tree. */
  private restore(ctx: NodeContext<ZabMessage>, reason: string): void {
    const storage = ctx.storage;
    this.acceptedEpoch = storage.get<number>(ACCEPTED_EPOCH_KEY) ?? 0;
    this.currentEpoch = storage.get<number>(CURRENT_EPOCH_KEY) ?? 0;
    const replayed = this.reloadTree(ctx, -1);
    const lastZxid = this.tree.lastProcessedZxid;
    const lastEpoch = this.codec.epoch(lastZxid);
    const updating = storage.get<number | null>(UPDATING_EPOCH_KEY);
    const wasUpdating = updating !== undefined && updating !== null;
    if (lastEpoch > this.currentEpoch) {
      if (wasUpdating) {
        // A sync was being persisted when the server stopped: the txns made it, the epoch file did not.
        this.currentEpoch = lastEpoch;
        storage.putDurable(CURRENT_EPOCH_KEY, lastEpoch);
      } else {
        this.broken = `the current epoch ${this.currentEpoch} is older than the last zxid ${this.codec.format(lastZxid)}`;
      }
    }
    // The interrupted sync is not resumed: the marker has done its job.
    if (wasUpdating) storage.putDurable(UPDATING_EPOCH_KEY, null);
    if (this.broken === null && this.acceptedEpoch < this.currentEpoch) {
      this.broken = `the accepted epoch ${this.acceptedEpoch} is less than the current epoch ${this.currentEpoch}`;
    }
    ctx.record('restore', { reason, snapshotZxid: this.snapshotZxid, logStart: this.logStart, replayed, lastProcessedZxid: lastZxid, acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch });
    if (this.broken !== null) {
      ctx.note(`refuses to start: ${this.broken} (ZooKeeper exits here)`);
      ctx.record('state', { role: 'BROKEN', zabState: 'ELECTION', acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch, leader: null });
    }
  }

  /**
   * Rebuilds the tree from the snapshot and the log entries after it, up to index
   * `upTo` (exclusive; -1: the whole log). Returns how many entries were replayed.
   */
  private reloadTree(ctx: NodeContext<ZabMessage>, upTo: number): number {
    const snapshot = ctx.storage.get<SnapshotRecord>(SNAPSHOT_KEY);
    this.tree = snapshot === undefined ? new DataTree() : DataTree.fromJSON(snapshot.tree);
    this.snapshotZxid = snapshot?.zxid ?? 0;
    this.logStart = snapshot?.logStart ?? 0;
    this.historyStart = snapshot?.historyStart ?? this.logStart;
    const log = this.log(ctx);
    if (log.length < this.logStart) {
      // The snapshot was taken when the log was longer than what survived: later entries start here.
      this.logStart = log.length;
      this.historyStart = Math.min(this.historyStart, log.length);
      if (snapshot !== undefined) ctx.storage.putDurable(SNAPSHOT_KEY, { ...snapshot, logStart: log.length, historyStart: this.historyStart });
    }
    const end = upTo < 0 ? log.length : upTo;
    // FileTxnSnapLog.restore reads the log from the snapshot's zxid + 1: an entry the
    // snapshot's label covers is not replayed, whether or not its nodes have it.
    let replayed = 0;
    for (let i = this.logStart; i < end; i++) {
      if (snapshot !== undefined && log[i].zxid <= this.snapshotZxid) continue;
      this.tree.apply(log[i].txn, log[i].zxid);
      replayed++;
    }
    this.committedLog.reload(log, this.logStart, end);
    this.lastCommittedZxid = this.tree.lastProcessedZxid;
    return replayed;
  }

  /**
   * A process exit (ZooKeeper calls System.exit on a broken sync): everything volatile
   * is rebuilt from what the process sees on disk (its own writes survive an exit).
   */
  exitProcess(ctx: NodeContext<ZabMessage>, reason: string): void {
    ctx.note(`exits: ${reason}; restarts from its disk`);
    this.leaveRole(ctx);
    this.service.stopServing(ctx);
    this.writer.dropBarriers();
    this.restore(ctx, 'exit');
    if (this.broken !== null) return;
    this.lookForLeader(ctx, 'restarted after exiting', false);
  }

  // ---------------------------------------------------------------- roles

  /** The servers that vote (in elections and on proposals): every server but the observers. */
  get voters(): ReadonlySet<NodeId> {
    return this.voterSet;
  }

  get serving(): boolean {
    return this.zabState === 'BROADCAST' && this.role !== 'LOOKING';
  }

  get maxPendingPerSession(): number {
    return this.config.maxPendingPerSession;
  }

  get bugs(): ReadonlySet<string> {
    return this.config.bugs;
  }

  /**
   * Leaves the current role. Returns true if a SNAP or TRUNC sync was cut short: the tree
   * may then hold what the disk does not (the leader's snapshot, commits applied directly),
   * and must be reloaded from disk. ZooKeeper's ZOOKEEPER-3642 fix does it for SNAP
   * (Learner.shutdown → zk.shutdown(syncMode == SNAP)); the model also does it for TRUNC,
   * whose commits go straight to the tree too. A cut-short DIFF has buffered everything
   * until NEWLEADER, so its tree holds nothing the disk lacks: a fast-forward is enough.
   */
  private leaveRole(ctx: NodeContext<ZabMessage>): boolean {
    let abortedSync = false;
    if (this.leader !== null) {
      this.leader.shutdown(ctx);
      this.leader = null;
    }
    if (this.learner !== null) {
      abortedSync = !this.learner.syncFinished && this.learner.syncMode !== null && this.learner.syncMode !== 'DIFF';
      this.learner.shutdown(ctx);
      this.learner = null;
    }
    this.leaderId = null;
    return abortedSync;
  }

  /**
   * Back to LOOKING (QuorumPeer's main loop), in ZooKeeper's order:
   *  1. the role shuts down (Follower/Leader.shutdown → ZooKeeperServer.shutdown);
   *  2. shutdownComponents stops the log writer, and SyncRequestProcessor.shutdown
   *     flushes and fsyncs what it was handed: every logged txn is on disk;
   *  3. the tree is fast-forwarded from the log (fastForwardDataBase, the ZOOKEEPER-2845
   *     fix), or rebuilt from disk if a SNAP or TRUNC sync was cut short (ZOOKEEPER-3642);
   *  4. the election starts, voting with what the disk holds.
   * Step 2 takes a storage sync here (an event, not an instant). Without it a server
   * would vote, and could lead, with txns that a crash then takes away, and a new leader
   * counts its own NEWLEADER ACK at once: the committed txns it was elected for would
   * exist nowhere durable (LeaderLogCompleteness, CommittedLogDurability).
   *
   * Where the model departs: ZooKeeper's peer still reports FOLLOWING / LEADING while its
   * shutdown flushes; the model reports LOOKING at once, holds the notifications it gets
   * meanwhile (ZooKeeper's recvqueue keeps them too) and handles them when its election
   * starts. With the bug leakSyncThread (ZOOKEEPER-4712) the writer is not stopped: the
   * election starts at once, from the flushed part of the log.
   */
  lookForLeader(ctx: NodeContext<ZabMessage>, reason: string, leave = true): void {
    if (this.broken !== null) return;
    const wasServing = this.serving;
    const abortedSync = leave ? this.leaveRole(ctx) : false;
    if (wasServing || leave) this.service.stopServing(ctx);
    this.writer.dropBarriers();
    this.election.stop(ctx);
    this.role = 'LOOKING';
    this.zabState = 'ELECTION';
    this.election.setVoteState('LOOKING');
    this.recordState(ctx);
    ctx.note(`LOOKING: ${reason}`);
    const shutdown = ++this.shutdownToken;
    if (this.bugs.has('leakSyncThread') || this.writer.isFlushed) {
      this.startElection(ctx, abortedSync);
      return;
    }
    this.flushing = true;
    ctx.note(`shuts down its log writer: flushes and fsyncs ${this.writer.backlog} logged txn(s) before it votes`);
    this.writer.barrier(() => {
      if (this.shutdownToken !== shutdown || this.broken !== null) return;
      this.startElection(this.ctx, abortedSync);
    });
  }

  /** Steps 3 and 4 of lookForLeader, once the log writer has flushed. */
  private startElection(ctx: NodeContext<ZabMessage>, abortedSync: boolean): void {
    this.flushing = false;
    if (abortedSync && this.bugs.has('keepDbAfterAbortedSync')) {
      // ZOOKEEPER-3642: the tree (the leader's snapshot, in memory only) is kept as it is.
      ctx.note('the sync did not finish: keeps the tree it got from the leader, which is not on disk (bug keepDbAfterAbortedSync)');
    } else if (abortedSync) {
      ctx.note('the sync did not finish: reloads the tree from disk');
      const replayed = this.reloadTree(ctx, -1);
      ctx.record('restore', { reason: 'aborted-sync', snapshotZxid: this.snapshotZxid, logStart: this.logStart, replayed, lastProcessedZxid: this.tree.lastProcessedZxid, acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch });
    } else if (this.bugs.has('retainDbWithoutFastForward')) {
      // ZOOKEEPER-2845: the tree is retained as it is; logged txns it never applied stay out of it (and of the vote).
      if (this.log(ctx).length > this.logIndexAfter(this.log(ctx), this.tree.lastProcessedZxid)) {
        ctx.note(`keeps its tree at ${this.codec.format(this.tree.lastProcessedZxid)} although its log goes further (bug retainDbWithoutFastForward)`);
      }
    } else {
      this.fastForward(ctx);
    }
    this.election.start(ctx);
    const held = this.heldNotifications;
    if (held.size === 0) return;
    this.heldNotifications = new Map();
    for (const [from, msg] of held) {
      if (this.role !== 'LOOKING') break;
      this.election.onNotification(ctx, from, msg);
    }
  }

  /** FLE decided. */
  decide(ctx: NodeContext<ZabMessage>, leader: NodeId, reason: string): void {
    const token = this.nextToken++;
    this.leaderId = leader;
    this.zabState = 'DISCOVERY';
    if (leader === this.id) {
      this.role = 'LEADING';
      this.election.setVoteState('LEADING');
      this.recordState(ctx);
      ctx.note(`LEADING: ${reason}`);
      this.leader = new LeaderRole(this, ctx, token);
      this.leader.start(ctx);
    } else {
      this.role = this.isObserver ? 'OBSERVING' : 'FOLLOWING';
      this.election.setVoteState(this.role);
      this.recordState(ctx);
      ctx.note(`${this.role} ${leader}: ${reason}`);
      this.learner = new LearnerRole(this, leader, this.isObserver, token, ctx);
      this.learner.start(ctx);
    }
  }

  setZabState(ctx: NodeContext<ZabMessage>, zabState: ZabState): void {
    this.zabState = zabState;
    this.recordState(ctx);
  }

  private recordState(ctx: NodeContext<ZabMessage>): void {
    const key = `${this.role}|${this.zabState}|${this.acceptedEpoch}|${this.currentEpoch}|${this.leaderId}`;
    if (key === this.lastState) return;
    this.lastState = key;
    ctx.record('state', { role: this.role, zabState: this.zabState, acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch, leader: this.leaderId });
  }

  // ---------------------------------------------------------------- epoch files

  persistAcceptedEpoch(ctx: NodeContext<ZabMessage>, epoch: number): void {
    ctx.storage.putDurable(ACCEPTED_EPOCH_KEY, epoch);
    this.acceptedEpoch = epoch;
    this.recordState(ctx);
  }

  persistCurrentEpoch(ctx: NodeContext<ZabMessage>, epoch: number): void {
    ctx.storage.putDurable(CURRENT_EPOCH_KEY, epoch);
    this.currentEpoch = epoch;
    this.recordState(ctx);
  }

  markUpdatingEpoch(ctx: NodeContext<ZabMessage>, epoch: number): void {
    ctx.storage.putDurable(UPDATING_EPOCH_KEY, epoch);
  }

  clearUpdatingEpoch(ctx: NodeContext<ZabMessage>): void {
    ctx.storage.putDurable(UPDATING_EPOCH_KEY, null);
  }

  // ---------------------------------------------------------------- log and tree

  log(ctx: NodeContext<ZabMessage>): readonly LogEntry[] {
    return ctx.storage.log<LogEntry>(TXN_LOG);
  }

  /** Index of the first log entry (after the snapshot) with a zxid above `zxid`. */
  private logIndexAfter(log: readonly LogEntry[], zxid: number): number {
    return indexAfter(log, this.logStart, zxid);
  }

  /**
   * Applies the logged txns the tree does not have yet (recorded as replays): ZooKeeper's
   * fastForwardDataBase, which reads the txn log files. The log writer (SyncThread) has
   * been stopped first, so every txn handed to it is in the log (ZOOKEEPER-4712's fix);
   * with the bug leakSyncThread it still runs, and only what it has flushed is read.
   */
  private fastForward(ctx: NodeContext<ZabMessage>): void {
    const log = this.log(ctx);
    let end = log.length;
    if (this.bugs.has('leakSyncThread')) {
      end = Math.min(end, ctx.storage.durableLength(TXN_LOG));
      if (end < log.length) ctx.note(`fast-forwards from the flushed log only (up to ${this.codec.format(end > 0 ? log[end - 1].zxid : 0)}); its SyncThread keeps writing ${log.length - end} txn(s) after it (bug leakSyncThread)`);
    }
    for (let i = this.logIndexAfter(log, this.tree.lastProcessedZxid); i < end; i++) this.applyCommitted(ctx, log[i], 'replay');
  }

  /** The vote's zxid (getLastLoggedZxid): the in-memory tree, not the log tail. */
  lastLoggedZxid(): number {
    return this.tree.lastProcessedZxid;
  }

  readonly format = (zxid: number): string => this.codec.format(zxid);

  /**
   * Applies a txn to the tree. `how`:
   * - `broadcast`: committed (a leader's commit, a learner's COMMIT/INFORM in broadcast);
   *   the connected server answers its client;
   * - `sync`: sent by a leader during synchronization, which commits it only once a
   *   quorum acknowledged NEWLEADER (the learner serves no client before UPTODATE);
   * - `replay`: from this server's own log (restart, fast-forward): not known committed.
   */
  applyCommitted(ctx: NodeContext<ZabMessage>, entry: LogEntry, how: 'broadcast' | 'sync' | 'replay'): void {
    const zxid = entry.zxid;
    const outcome = this.tree.apply(entry.txn, zxid);
    // committedLogGap (ZOOKEEPER-4925): a learner's sync-time applies skip the committedLog.
    if ((this.committedLog.isEmpty || zxid > this.committedLog.maxZxid) && (how !== 'sync' || !this.syncSkipsCommittedLog)) this.committedLog.add(entry);
    const epoch = this.codec.epoch(zxid);
    const counter = this.codec.counter(zxid);
    const label = this.codec.format(zxid);
    if (how === 'replay') {
      ctx.record('commit', { index: zxid, label, origin: zabOrigin(epoch), originSeq: counter, txn: entry.txn, replay: true });
      return;
    }
    this.lastCommittedZxid = zxid;
    if (how === 'sync') {
      ctx.record('commit', { index: zxid, label, origin: zabOrigin(epoch), originSeq: counter, txn: entry.txn, sync: true });
      return;
    }
    ctx.record('commit', { index: zxid, label, origin: zabOrigin(epoch), originSeq: counter, txn: entry.txn });
    this.service.onApplied(ctx, entry, outcome.result, outcome.events);
  }

  /** SNAP: the leader's tree replaces this one (the log is superseded once the snapshot is written). */
  installSnapshot(ctx: NodeContext<ZabMessage>, tree: DataTree, zxid: number, leader: NodeId): void {
    this.tree = tree;
    this.committedLog.clear();
    this.lastCommittedZxid = zxid;
    ctx.record('snap', { zxid, leader, label: this.codec.format(zxid) });
  }

  /**
   * Writes the tree as the durable snapshot; the log entries so far are superseded. The
   * previous snapshots are kept (snapRetainCount), so that a TRUNC below the newest one —
   * a leader's snapshot taken with a tail that a later leader never committed — can start
   * from an older one. A SNAP sync's snapshot (`newHistory`) starts a new history: the older
   * snapshots and the log before it are of another one and are dropped from use.
   *
   * With the bug snapDoesNotTruncateLog (ZOOKEEPER-2832) a sync's snapshot leaves the log as
   * it is, and the next restore replays, as ZooKeeper's FileTxnSnapLog.restore does, every
   * logged txn with a zxid above the snapshot's, whatever history it came from.
   */
  writeSnapshot(ctx: NodeContext<ZabMessage>, newHistory = false): void {
    const zxid = this.tree.lastProcessedZxid;
    const log = this.log(ctx);
    let logStart = log.length;
    if (this.bugs.has('snapDoesNotTruncateLog')) {
      logStart = this.logIndexAfter(log, zxid);
      if (logStart < log.length) ctx.note(`the snapshot at ${this.codec.format(zxid)} leaves ${log.length - logStart} newer txn(s) in the log, to be replayed on restart (bug snapDoesNotTruncateLog)`);
    }
    const previous = ctx.storage.get<SnapshotRecord>(SNAPSHOT_KEY);
    let older: SnapshotRecord[] = [];
    if (!newHistory && previous !== undefined) {
      older = ctx.storage.get<SnapshotRecord[]>(OLDER_SNAPSHOTS_KEY) ?? [];
      // A snapshot file is named by its zxid: one at the same zxid replaces the previous.
      if (previous.zxid !== zxid) older = [...older, previous].slice(-(SNAP_RETAIN_COUNT - 1));
    }
    const historyStart = newHistory ? logStart : this.historyStart;
    const record: SnapshotRecord = { zxid, tree: this.tree.toJSON(), logStart, historyStart };
    ctx.storage.putDurable(OLDER_SNAPSHOTS_KEY, older);
    ctx.storage.putDurable(SNAPSHOT_KEY, record);
    this.snapshotZxid = zxid;
    this.logStart = logStart;
    this.historyStart = historyStart;
    ctx.record('snapshot', newHistory ? { zxid, label: this.codec.format(zxid), logStart, newHistory } : { zxid, label: this.codec.format(zxid), logStart });
  }

  /**
   * TRUNC: drops the log entries after `zxid` and rebuilds the tree from disk up to it.
   * Below the newest snapshot, the newest older snapshot at or below `zxid` is used and the
   * newer ones are dropped: they hold txns being truncated (ZooKeeper reloads its newest
   * snapshot after truncating the log, dirty or not: ZOOKEEPER-1549). Returns false if no
   * snapshot is old enough (the log cannot go back that far).
   */
  truncateLog(ctx: NodeContext<ZabMessage>, zxid: number): boolean {
    if (zxid < this.snapshotZxid && !this.fallBackToOlderSnapshot(ctx, zxid)) return false;
    const log = this.log(ctx);
    const keep = this.logIndexAfter(log, zxid);
    ctx.record('truncate', { zxid, label: this.codec.format(zxid), dropped: log.length - keep });
    this.writer.truncate(keep, zxid);
    this.reloadTree(ctx, keep);
    return true;
  }

  private fallBackToOlderSnapshot(ctx: NodeContext<ZabMessage>, zxid: number): boolean {
    const older = ctx.storage.get<SnapshotRecord[]>(OLDER_SNAPSHOTS_KEY) ?? [];
    let index = older.length - 1;
    while (index >= 0 && older[index].zxid > zxid) index--;
    if (index < 0) {
      // No snapshot old enough: if no SNAP ever superseded the log, it replays from empty.
      if (this.historyStart !== 0) return false;
      ctx.note(`TRUNC to ${this.codec.format(zxid)} is below every snapshot it has (the newest at ${this.codec.format(this.snapshotZxid)}): rebuilds from its whole log`);
      ctx.record('snapshot-fallback', { zxid: -1, label: 'none', from: this.snapshotZxid });
      ctx.storage.putDurable(OLDER_SNAPSHOTS_KEY, []);
      ctx.storage.putDurable(SNAPSHOT_KEY, undefined);
      this.snapshotZxid = 0;
      this.logStart = 0;
      return true;
    }
    const record = older[index];
    ctx.note(`TRUNC to ${this.codec.format(zxid)} is below its snapshot at ${this.codec.format(this.snapshotZxid)}, which holds txns being truncated: starts from its older snapshot at ${this.codec.format(record.zxid)}`);
    ctx.record('snapshot-fallback', { zxid: record.zxid, label: this.codec.format(record.zxid), from: this.snapshotZxid });
    ctx.storage.putDurable(OLDER_SNAPSHOTS_KEY, older.slice(0, index));
    ctx.storage.putDurable(SNAPSHOT_KEY, record);
    this.snapshotZxid = record.zxid;
    this.logStart = record.logStart;
    this.historyStart = record.historyStart ?? record.logStart;
    return true;
  }

  /** The log writer made an entry durable. */
  onDurable(entry: LogEntry, token: number): void {
    const ctx = this.ctx;
    ctx.record('logged', { zxid: entry.zxid, txn: entry.txn });
    if (token < 0) return;
    if (this.leader !== null && this.leader.token === token) this.leader.selfAck(ctx, entry.zxid);
    else if (this.learner !== null && this.learner.token === token) this.learner.onDurable(ctx, entry);
  }

  // ---------------------------------------------------------------- client requests

  forward(ctx: NodeContext<ZabMessage>, route: Route, req: ZkRequest, quorumRead: boolean): void {
    if (this.leader !== null) {
      if (req.op === 'sync') this.leader.sync(ctx, route);
      else this.leader.propose(ctx, route, req, quorumRead);
      return;
    }
    if (this.leaderId !== null) ctx.send(this.leaderId, { type: 'REQUEST', route, req, quorumRead: quorumRead || undefined });
  }

  /** Bug applyWritesLocally: the follower decides and applies the write by itself. */
  applyLocally(ctx: NodeContext<ZabMessage>, route: Route, req: ZkRequest): void {
    const zxid = this.tree.lastProcessedZxid + 1;
    const txn = prepRequest(this.tree, req, route.sessionId, zxid);
    this.applyCommitted(ctx, { zxid, txn, route }, 'broadcast');
  }

  touch(ctx: NodeContext<ZabMessage>, sessionId: number): void {
    this.leader?.touchSession(sessionId, ctx.nowUs);
  }

  /** A client reconnects with a session: the leader decides whether it is still open. */
  revalidate(ctx: NodeContext<ZabMessage>, route: Route): void {
    if (this.leader !== null) this.service.onRevalidated(ctx, route, this.leader.revalidate(route.sessionId, ctx.nowUs));
    else if (this.leaderId !== null) ctx.send(this.leaderId, { type: 'REVALIDATE', route });
  }

  // ---------------------------------------------------------------- dispatch

  onMessage(ctx: NodeContext<ZabMessage>, from: NodeId, msg: ZabMessage): void {
    this.ctx = ctx;
    if (this.broken !== null) return;
    if (msg.type === 'NOTIFICATION') {
      if (this.flushing) {
        this.heldNotifications.delete(from);
        this.heldNotifications.set(from, msg);
      } else this.election.onNotification(ctx, from, msg);
      return;
    }
    if (this.leader !== null) this.leader.onMessage(ctx, from, msg);
    else if (this.learner !== null) this.learner.onMessage(ctx, from, msg);
    // LOOKING: quorum packets have no listener (a learner retries its connect).
  }

  onTimer(ctx: NodeContext<ZabMessage>, timer: string): void {
    this.ctx = ctx;
    if (this.broken !== null) return;
    switch (timer) {
      case FLE_TIMER:
      case FINALIZE_TIMER:
        this.election.onTimer(ctx, timer);
        return;
      case LEADER_TICK:
        this.leader?.onTick(ctx);
        return;
      case LEARNER_TICK:
        this.learner?.onTick(ctx);
        return;
      default:
        if (timer.startsWith(SNAPSHOT_TIMER)) this.leader?.onSnapshotSerialized(ctx, Number(timer.slice(SNAPSHOT_TIMER.length)));
        return;
    }
  }

  onClient(ctx: NodeContext<ZabMessage>, req: ClientRequest): void {
    this.ctx = ctx;
    if (this.broken !== null) {
      ctx.reply(req, { kind: 'refused', code: 'NOTREADY' });
      return;
    }
    this.service.onClient(ctx, req);
  }

  onSync(ctx: NodeContext<ZabMessage>, syncId: number): void {
    this.ctx = ctx;
    this.writer.onSync(syncId);
  }

  onDisconnect(ctx: NodeContext<ZabMessage>, peer: NodeId): void {
    this.ctx = ctx;
    if (this.broken !== null) return;
    if (this.leader !== null) this.leader.onDisconnect(ctx, peer);
    else if (this.learner !== null) this.learner.onDisconnect(ctx, peer);
  }

  // ---------------------------------------------------------------- viewer

  inspect(): NodeSnapshot {
    const ctx = this.ctx;
    const vote = this.election.currentVote();
    const snapshot: NodeSnapshot = {
      role: this.broken !== null ? 'BROKEN' : this.role,
      zabState: this.zabState,
      leader: this.leaderId,
      acceptedEpoch: this.acceptedEpoch,
      currentEpoch: this.currentEpoch,
      lastLoggedZxid: this.lastLogZxid(),
      lastProcessedZxid: this.tree.lastProcessedZxid,
      lastCommittedZxid: this.lastCommittedZxid,
      treeDigest: this.tree.digest(),
      round: this.election.round,
      vote: { leader: vote.leader, zxid: vote.zxid, epoch: vote.peerEpoch, round: vote.electionEpoch },
    };
    // Built on access only: the labels are O(log) and most callers never look.
    Object.defineProperty(snapshot, 'log', {
      enumerable: true,
      get: () => {
        const entries = this.log(ctx);
        const labels: string[] = [];
        for (let i = this.logStart; i < entries.length; i++) labels.push(this.codec.format(entries[i].zxid));
        return { labels, durableLength: Math.max(0, ctx.storage.durableLength(TXN_LOG) - this.logStart), snapshotZxid: this.snapshotZxid };
      },
    });
    if (this.broken !== null) snapshot.broken = this.broken;
    if (this.leader !== null) snapshot.leading = this.leader.summary();
    if (this.learner !== null) snapshot.learning = this.learner.summary();
    return snapshot;
  }

  private lastLogZxid(): number {
    const log = this.log(this.ctx);
    return log.length > this.logStart ? log[log.length - 1].zxid : this.snapshotZxid;
  }
}
