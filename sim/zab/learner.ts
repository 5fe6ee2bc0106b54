/**
 * The FOLLOWING and OBSERVING roles: ZooKeeper's Learner, Follower and Observer
 * (PROTOCOLS.md §3–§5, §7).
 *
 * Discovery: FOLLOWERINFO (OBSERVERINFO) with the acceptedEpoch, retried until the
 * leader answers LEADERINFO. A newer epoch is written to the acceptedEpoch file and
 * acknowledged with ACKEPOCH (currentEpoch, last zxid); the same epoch is acknowledged
 * with currentEpoch -1; an older one means the leader is stale: back to LOOKING.
 *
 * Synchronization (Learner.syncWithLeader, in the post-ZOOKEEPER-4643/4785 order):
 * DIFF keeps the tree; SNAP replaces it with the leader's; TRUNC cuts the log and
 * rebuilds the tree. PROPOSALs are buffered, COMMITs recorded (applied at once in
 * SNAP/TRUNC mode, whose snapshot at NEWLEADER covers them). On NEWLEADER, each of these
 * is its own step, in this order:
 *   1. log the committed buffered txns and apply them to the tree,
 *   2. fsync (and write the snapshot, in SNAP/TRUNC mode),
 *   3. write currentEpoch,
 *   4. ACK NEWLEADER.
 * Uncommitted buffered proposals stay pending. UPTODATE starts serving; the pending
 * proposals are then logged and ACKed like live ones, and buffered COMMITs applied.
 *
 * Broadcast: a PROPOSAL is logged and ACKed once durable (the log writer reports it);
 * a COMMIT must match the oldest pending txn and applies it. An observer gets INFORM
 * (txn and commit at once) and never ACKs.
 *
 * Failure detection: nothing heard from the leader for initLimit ticks (during
 * discovery and sync) or syncLimit ticks (after NEWLEADER), a closed or broken
 * connection: back to LOOKING.
 */
import type { NodeContext, NodeId } from '../core/node.js';
import { DataTree } from '../store/index.js';
import type { LogEntry, MessageOf, SyncMode, ZabMessage } from './messages.js';
import type { ZabNode } from './node.js';

export const LEARNER_TICK = 'learnerTick';

type LearnerPhase =
  /** FOLLOWERINFO sent; waiting for LEADERINFO. */
  | 'connecting'
  /** ACKEPOCH sent; waiting for DIFF / TRUNC / SNAP. */
  | 'epoch'
  /** Receiving the sync packets; waiting for NEWLEADER. */
  | 'sync'
  /** NEWLEADER received; persisting before the ACK. */
  | 'newleader'
  /** NEWLEADER acknowledged; waiting for UPTODATE. */
  | 'acked'
  | 'broadcast';

export class LearnerRole {
  phase: LearnerPhase = 'connecting';
  newEpoch = -1;
  syncMode: SyncMode | null = null;
  /** True in SNAP/TRUNC mode: commits before NEWLEADER go to the tree directly and a snapshot is taken. */
  private snapshotNeeded = true;
  /** packetsNotLogged: proposals received during the sync, in order. */
  private syncProposals: LogEntry[] = [];
  /** packetsCommitted: zxids committed during the sync, not yet applied. */
  private syncCommitted: number[] = [];
  private lastQueued = 0;
  /** pendingTxns: logged (or being logged) proposals waiting for their COMMIT. */
  private pending: LogEntry[] = [];
  private pendingHead = 0;
  private lastHeardUs: number;
  private readonly startUs: number;
  /** Names this connection attempt (start time and token: unique across restarts too). */
  private readonly attempt: number;
  /** NEWLEADER persisted and acknowledged: the tree and log are a prefix of the leader's. */
  syncFinished = false;
  /** Bug ackRaceInSync (ZOOKEEPER-4685), read once: onDurable is hot. */
  private readonly ackSyncTxns: boolean;
  /** Bug applyAllPendingOnNewLeader (ZOOKEEPER-4394): proposals consumed at NEWLEADER, and which of them are durable. */
  private readonly consumeAllOnNewLeader: boolean;
  private consumed: LogEntry[] = [];
  private consumedDurable = new Set<number>();
  /** The first COMMIT that arrived while NEWLEADER was being handled, with no proposal buffered after it. */
  private npeCommit = -1;

  constructor(
    private readonly node: ZabNode,
    readonly leader: NodeId,
    readonly observer: boolean,
    /** Log writes made for this connection carry it; the node ACKs only for the current one. */
    readonly token: number,
    ctx: NodeContext<ZabMessage>,
  ) {
    this.startUs = ctx.nowUs;
    this.attempt = ctx.nowUs * 64 + (token % 64);
    this.lastHeardUs = ctx.nowUs;
    this.ackSyncTxns = node.config.bugs.has('ackRaceInSync');
    this.consumeAllOnNewLeader = node.config.bugs.has('applyAllPendingOnNewLeader');
  }

  private get bugs(): ReadonlySet<string> {
    return this.node.config.bugs;
  }

  /** The epoch this learner compares LEADERINFO with (its acceptedEpoch). */
  private knownEpoch(): number {
    const node = this.node;
    return this.bugs.has('epochFromLastZxid') ? node.codec.epoch(node.tree.lastProcessedZxid) : node.acceptedEpoch;
  }

  start(ctx: NodeContext<ZabMessage>): void {
    this.sendInfo(ctx);
    ctx.setTimer(LEARNER_TICK, this.node.config.tickTimeUs / 2);
  }

  private sendInfo(ctx: NodeContext<ZabMessage>): void {
    const epoch = this.knownEpoch();
    ctx.send(this.leader, { type: this.observer ? 'OBSERVERINFO' : 'FOLLOWERINFO', zxid: this.node.codec.make(epoch, 0), acceptedEpoch: epoch, attempt: this.attempt });
  }

  // ---------------------------------------------------------------- messages

  onMessage(ctx: NodeContext<ZabMessage>, from: NodeId, msg: ZabMessage): void {
    if (from !== this.leader) return;
    this.lastHeardUs = ctx.nowUs;
    switch (msg.type) {
      case 'LEADERINFO':
        // An answer to an earlier connection of this pair is stale.
        if (this.phase === 'connecting' && msg.attempt === this.attempt) this.onLeaderInfo(ctx, msg);
        return;
      case 'DIFF':
      case 'TRUNC':
      case 'SNAP':
        if (this.phase === 'epoch') this.onSyncStart(ctx, msg);
        return;
      case 'PROPOSAL':
        if (this.phase === 'broadcast') this.onProposal(ctx, msg.entry);
        else if (this.phase !== 'connecting' && this.phase !== 'epoch') this.bufferProposal(ctx, msg.entry);
        return;
      case 'COMMIT':
        if (this.phase === 'broadcast') this.commit(ctx, msg.zxid);
        else if (this.phase !== 'connecting' && this.phase !== 'epoch') this.bufferCommit(ctx, msg.zxid);
        return;
      case 'INFORM':
        if (this.phase === 'broadcast') this.onInform(ctx, msg.entry);
        else if (this.phase !== 'connecting' && this.phase !== 'epoch') {
          this.bufferProposal(ctx, msg.entry);
          this.bufferCommit(ctx, msg.entry.zxid);
        }
        return;
      case 'NEWLEADER':
        if (this.phase === 'sync') this.onNewLeader(ctx, msg);
        return;
      case 'UPTODATE':
        if (this.phase === 'acked') this.onUpToDate(ctx);
        return;
      case 'PING':
        ctx.send(this.leader, { type: 'PING', zxid: this.node.tree.lastProcessedZxid, touches: this.node.service.takeTouches() });
        return;
      case 'SYNC':
        if (this.phase === 'broadcast') this.node.service.onSyncDone(ctx, msg.route);
        return;
      case 'REVALIDATE':
        if (this.phase === 'broadcast') this.node.service.onRevalidated(ctx, msg.route, msg.valid === true);
        return;
      case 'CLOSE':
        if (msg.attempt === this.attempt) this.node.lookForLeader(ctx, `leader ${this.leader} closed the connection`);
        return;
      default:
        return;
    }
  }

  onDisconnect(ctx: NodeContext<ZabMessage>, peer: NodeId): void {
    if (peer === this.leader) this.node.lookForLeader(ctx, `lost the connection to leader ${peer}`);
  }

  // ---------------------------------------------------------------- discovery

  private onLeaderInfo(ctx: NodeContext<ZabMessage>, msg: MessageOf<'LEADERINFO'>): void {
    const node = this.node;
    const epoch = msg.epoch;
    const known = this.knownEpoch();
    if (epoch < known) {
      node.lookForLeader(ctx, `leader ${this.leader} proposes epoch ${epoch}, older than acceptedEpoch ${known}: drops the connection`);
      return;
    }
    this.newEpoch = epoch;
    let currentEpoch = -1;
    if (epoch > known) {
      node.persistAcceptedEpoch(ctx, epoch);
      currentEpoch = node.currentEpoch;
    }
    ctx.send(this.leader, { type: 'ACKEPOCH', zxid: node.tree.lastProcessedZxid, currentEpoch });
    this.phase = 'epoch';
    node.setZabState(ctx, 'SYNCHRONIZATION');
  }

  // ---------------------------------------------------------------- synchronization

  private onSyncStart(ctx: NodeContext<ZabMessage>, msg: MessageOf<'DIFF' | 'TRUNC' | 'SNAP'>): void {
    const node = this.node;
    this.phase = 'sync';
    this.syncMode = msg.type;
    switch (msg.type) {
      case 'DIFF':
        this.snapshotNeeded = false;
        if (this.bugs.has('diffSetsLastZxidEarly') && msg.zxid > node.tree.lastProcessedZxid) {
          // ZOOKEEPER-2355: zk.getZKDatabase().setlastProcessedZxid(qp.getZxid()) for every sync mode.
          ctx.note(`DIFF: sets lastProcessedZxid to ${node.codec.format(msg.zxid)} before it has the txns (bug diffSetsLastZxidEarly)`);
          node.tree.lastProcessedZxid = msg.zxid;
        }
        return;
      case 'SNAP':
        this.snapshotNeeded = true;
        node.installSnapshot(ctx, DataTree.fromJSON(msg.snapshot, 'SNAP'), msg.zxid, this.leader);
        return;
      case 'TRUNC':
        this.snapshotNeeded = true;
        if (this.bugs.has('skipTruncate')) return;
        if (!node.truncateLog(ctx, msg.zxid)) node.exitProcess(ctx, `cannot truncate the log to ${node.codec.format(msg.zxid)} (below its snapshot)`);
        return;
    }
  }

  private bufferProposal(ctx: NodeContext<ZabMessage>, entry: LogEntry): void {
    const codec = this.node.codec;
    if (this.lastQueued !== 0 && codec.epoch(entry.zxid) === codec.epoch(this.lastQueued) && entry.zxid !== this.lastQueued + 1) {
      // ZOOKEEPER-4925: a gap inside an epoch means a broken history.
      this.node.lookForLeader(ctx, `sync: got proposal ${codec.format(entry.zxid)} after ${codec.format(this.lastQueued)} (a gap): aborts the sync`);
      return;
    }
    this.lastQueued = entry.zxid;
    this.syncProposals.push(entry);
  }

  private bufferCommit(ctx: NodeContext<ZabMessage>, zxid: number): void {
    if (this.consumeAllOnNewLeader && this.phase !== 'sync' && this.syncProposals.length === 0) {
      // ZOOKEEPER-4394: packetsNotCommitted.peekFirst() is null after NEWLEADER consumed it.
      // ZooKeeper reads this COMMIT once it has finished with NEWLEADER (ACK sent).
      if (this.phase === 'acked') this.nullPointer(ctx, zxid);
      else if (this.npeCommit < 0) this.npeCommit = zxid;
      return;
    }
    if (this.phase === 'sync' && this.snapshotNeeded) {
      // SNAP/TRUNC mode before NEWLEADER: straight to the tree (the snapshot covers it).
      const head = this.syncProposals[0];
      if (head === undefined || head.zxid !== zxid) {
        ctx.note(`sync: COMMIT ${this.node.codec.format(zxid)} does not match the next proposal ${head === undefined ? 'none' : this.node.codec.format(head.zxid)}`);
        return;
      }
      this.syncProposals.shift();
      this.node.applyCommitted(ctx, head, 'sync');
      return;
    }
    this.syncCommitted.push(zxid);
  }

  /**
   * NEWLEADER: log and apply what is committed, fsync, then currentEpoch, then ACK.
   *
   * The bug switches of PROTOCOLS.md §11 B9–B14 are the orderings ZooKeeper shipped here:
   * - ackNewLeaderBeforePersist (3911, before 3.5.9/3.6.3): nothing is logged before the
   *   ACK; the buffered txns are logged and committed after UPTODATE;
   * - epochBeforeHistory (4643): currentEpoch first, then the txns, fsync, ACK;
   * - asyncLogBeforeAckLd (4646): the txns are handed to the log writer and the ACK goes
   *   at once; currentEpoch is written once they are durable;
   * - asyncDiffPersist (4785, 3.6–3.8.4 as shipped): currentEpoch, hand-off, ACK at once;
   * - ackRaceInSync (4685): the log writer ACKs the sync txns as they become durable,
   *   ahead of the NEWLEADER ACK;
   * - applyAllPendingOnNewLeader (4394): every buffered proposal is logged and consumed,
   *   the uncommitted ones too.
   */
  private onNewLeader(ctx: NodeContext<ZabMessage>, msg: MessageOf<'NEWLEADER'>): void {
    const node = this.node;
    const codec = node.codec;
    const bugs = this.bugs;
    if (msg.zxid !== codec.make(this.newEpoch, 0)) ctx.note(`NEWLEADER zxid ${codec.format(msg.zxid)} is not the new epoch ${this.newEpoch}`);
    this.phase = 'newleader';
    if (bugs.size > 0 && this.onNewLeaderBuggy(ctx)) return;
    node.markUpdatingEpoch(ctx, this.newEpoch);
    // Step 1: the committed prefix of the buffered proposals: logged, then applied.
    const committed = this.takeCommittedPrefix();
    // ackRaceInSync: the log writer (SyncThread + SendAckRequestProcessor) ACKs what it logs.
    const logToken = this.ackSyncTxns ? this.token : -1;
    for (const entry of committed) node.writer.append(entry, logToken);
    for (const entry of committed) node.applyCommitted(ctx, entry, 'sync');
    if (this.consumeAllOnNewLeader) this.consumeUncommitted();
    // Step 2: fsync; the rest happens once the disk has it all.
    const token = this.token;
    node.writer.barrier(() => {
      if (node.learner === this && this.token === token && this.phase === 'newleader') this.afterNewLeaderDurable(ctx);
    });
  }

  /** The cold path of onNewLeader for the switches that reorder it; false: the correct path runs. */
  private onNewLeaderBuggy(ctx: NodeContext<ZabMessage>): boolean {
    const node = this.node;
    const bugs = this.bugs;
    if (bugs.has('ackNewLeaderBeforePersist')) {
      // Pre-3911: no txn is logged before the ACK; all of them wait for UPTODATE.
      if (this.syncProposals.length > 0) ctx.note(`NEWLEADER: acknowledges before logging the ${this.syncProposals.length} buffered txn(s), which wait for UPTODATE (bug ackNewLeaderBeforePersist)`);
      this.afterNewLeaderDurable(ctx);
      return true;
    }
    const epochFirst = bugs.has('epochBeforeHistory') || bugs.has('asyncDiffPersist');
    const ackAtOnce = bugs.has('asyncLogBeforeAckLd') || bugs.has('asyncDiffPersist');
    if (!epochFirst && !ackAtOnce) return false;
    node.markUpdatingEpoch(ctx, this.newEpoch);
    const committed = this.takeCommittedPrefix();
    if (epochFirst) {
      if (committed.length > 0) ctx.note(`NEWLEADER: writes currentEpoch ${this.newEpoch} before its ${committed.length} sync txn(s) are durable (bug ${bugs.has('epochBeforeHistory') ? 'epochBeforeHistory' : 'asyncDiffPersist'})`);
      node.persistCurrentEpoch(ctx, this.newEpoch);
    }
    const logToken = this.ackSyncTxns ? this.token : -1;
    for (const entry of committed) node.writer.append(entry, logToken);
    for (const entry of committed) node.applyCommitted(ctx, entry, 'sync');
    if (this.consumeAllOnNewLeader) this.consumeUncommitted();
    const token = this.token;
    if (ackAtOnce) {
      if (committed.length > 0) ctx.note(`NEWLEADER: acknowledges while its ${committed.length} sync txn(s) are only queued for the log writer (bug ${bugs.has('asyncDiffPersist') ? 'asyncDiffPersist' : 'asyncLogBeforeAckLd'})`);
      if (this.snapshotNeeded) node.writeSnapshot(ctx, this.syncMode === 'SNAP');
      if (!epochFirst) {
        // asyncLogBeforeAckLd alone: currentEpoch still waits for the history to be durable.
        node.writer.barrier(() => {
          if (node.learner === this && this.token === token) {
            node.persistCurrentEpoch(ctx, this.newEpoch);
            node.clearUpdatingEpoch(ctx);
          }
        });
      } else {
        node.clearUpdatingEpoch(ctx);
      }
      if (this.consumeAllOnNewLeader) this.logConsumed(ctx);
      this.ackNewLeader(ctx);
      return true;
    }
    node.writer.barrier(() => {
      if (node.learner === this && this.token === token && this.phase === 'newleader') this.afterNewLeaderDurable(ctx);
    });
    return true;
  }

  /** Removes and returns the committed prefix of the buffered proposals (packetsCommitted ∩ packetsNotLogged). */
  private takeCommittedPrefix(): LogEntry[] {
    let committedCount = 0;
    let matched = 0;
    while (matched < this.syncCommitted.length && committedCount < this.syncProposals.length && this.syncProposals[committedCount].zxid === this.syncCommitted[matched]) {
      committedCount++;
      matched++;
    }
    const committed = this.syncProposals.slice(0, committedCount);
    this.syncProposals = this.syncProposals.slice(committedCount);
    this.syncCommitted = this.syncCommitted.slice(matched);
    return committed;
  }

  /** applyAllPendingOnNewLeader: the uncommitted buffered proposals leave the buffer (packetsNotCommitted.clear()). */
  private consumeUncommitted(): void {
    for (const entry of this.syncProposals) this.consumed.push(entry);
    this.syncProposals = [];
  }

  /**
   * applyAllPendingOnNewLeader: the consumed proposals are handed to the log writer after
   * the snapshot and currentEpoch, before the ACK (fzk.logRequest in the 3.8 NEWLEADER case).
   */
  private logConsumed(ctx: NodeContext<ZabMessage>): void {
    if (this.consumed.length === 0) return;
    ctx.note(`NEWLEADER: also logs and consumes ${this.consumed.length} uncommitted proposal(s) (bug applyAllPendingOnNewLeader)`);
    for (const entry of this.consumed) {
      this.pending.push(entry);
      this.node.writer.append(entry, this.observer ? -1 : this.token);
    }
  }

  private nullPointer(ctx: NodeContext<ZabMessage>, zxid: number): void {
    // What ZOOKEEPER-4394's users saw in their logs: the exception, then the learner leaving.
    ctx.record('error', { text: `NullPointerException: COMMIT ${this.node.codec.format(zxid)} after NEWLEADER finds no buffered proposal`, where: 'Learner.syncWithLeader' });
    this.node.lookForLeader(ctx, `sync: COMMIT ${this.node.codec.format(zxid)} after NEWLEADER finds no buffered proposal: NullPointerException in syncWithLeader, leaves the leader (bug applyAllPendingOnNewLeader)`);
  }

  private afterNewLeaderDurable(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    if (this.snapshotNeeded) node.writeSnapshot(ctx, this.syncMode === 'SNAP');
    // Step 3: currentEpoch, only now that the history it vouches for is durable.
    node.persistCurrentEpoch(ctx, this.newEpoch);
    node.clearUpdatingEpoch(ctx);
    if (this.consumeAllOnNewLeader) this.logConsumed(ctx);
    this.ackNewLeader(ctx);
  }

  /** Step 4: ACK NEWLEADER. */
  private ackNewLeader(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    ctx.send(this.leader, { type: 'ACK', zxid: node.codec.make(this.newEpoch, 0) });
    this.phase = 'acked';
    this.syncFinished = true;
    node.election.updateElectionVote(this.newEpoch);
    ctx.record('newleader', { leader: this.leader, epoch: this.newEpoch, zxid: node.tree.lastProcessedZxid, mode: this.syncMode });
    if (this.bugs.size === 0) ctx.note(`synced with ${this.leader} by ${this.syncMode}: history durable, currentEpoch ${this.newEpoch} written, NEWLEADER acknowledged`);
    else ctx.note(`synced with ${this.leader} by ${this.syncMode}: NEWLEADER acknowledged (currentEpoch on disk: ${node.currentEpoch}, log writes pending: ${node.writer.backlog})`);
    if (this.npeCommit >= 0) this.nullPointer(ctx, this.npeCommit);
  }

  private onUpToDate(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    ctx.send(this.leader, { type: 'ACK', zxid: node.codec.make(this.newEpoch, 0) });
    this.phase = 'broadcast';
    node.setZabState(ctx, 'BROADCAST');
    const buffered = this.syncProposals;
    const commits = this.syncCommitted;
    this.syncProposals = [];
    this.syncCommitted = [];
    // Proposals still uncommitted are logged (and ACKed once durable) like live ones; an
    // observer's buffered INFORMs come with their commits.
    if (this.consumed.length > 0) {
      // applyAllPendingOnNewLeader: proposals logged at NEWLEADER and already durable are ACKed now.
      for (const entry of this.consumed) if (this.consumedDurable.has(entry.zxid)) ctx.send(this.leader, { type: 'ACK', zxid: entry.zxid });
      this.consumed = [];
      this.consumedDurable.clear();
    }
    for (const entry of buffered) this.onProposal(ctx, entry);
    for (const zxid of commits) {
      this.commit(ctx, zxid);
      if (node.learner !== this) return;
    }
    node.service.startServing(ctx);
  }

  // ---------------------------------------------------------------- broadcast

  private onProposal(ctx: NodeContext<ZabMessage>, entry: LogEntry): void {
    const node = this.node;
    const codec = node.codec;
    // Like FollowerZooKeeperServer.logRequest, every proposal is logged, whatever its zxid:
    // the correct protocol never sends one at or below the learner's tree (newLeaderBeforeSnapshot does).
    const last = this.pendingHead < this.pending.length ? this.pending[this.pending.length - 1].zxid : node.tree.lastProcessedZxid;
    if (codec.epoch(entry.zxid) === codec.epoch(last) && entry.zxid !== last + 1) {
      ctx.note(`got proposal ${codec.format(entry.zxid)}, expected ${codec.format(last + 1)}`);
    }
    this.pending.push(entry);
    const ackNow = !this.observer && this.bugs.has('ackBeforeLog');
    node.writer.append(entry, this.observer || ackNow ? -1 : this.token);
    if (ackNow) ctx.send(this.leader, { type: 'ACK', zxid: entry.zxid });
    if (this.bugs.has('applyOnPropose') && !this.observer) node.applyCommitted(ctx, entry, 'broadcast');
  }

  /** The log writer made `entry` durable: ACK it, if this connection is still the current one. */
  onDurable(ctx: NodeContext<ZabMessage>, entry: LogEntry): void {
    if (this.observer) return;
    if (this.phase === 'broadcast' || this.ackSyncTxns) ctx.send(this.leader, { type: 'ACK', zxid: entry.zxid });
    else if (this.consumeAllOnNewLeader) this.consumedDurable.add(entry.zxid);
  }

  private commit(ctx: NodeContext<ZabMessage>, zxid: number): void {
    const node = this.node;
    const head = this.pendingHead < this.pending.length ? this.pending[this.pendingHead] : undefined;
    if (head === undefined) {
      // FollowerZooKeeperServer.commit: "Committing … without seeing txn" is a warning, not an exit.
      ctx.note(`warning: COMMIT ${node.codec.format(zxid)} without a pending txn: ignored, as ZooKeeper's follower does`);
      return;
    }
    if (head.zxid !== zxid) {
      // FollowerZooKeeperServer.commit: a COMMIT that is not for the oldest pending txn exits the process.
      node.exitProcess(ctx, `COMMIT ${node.codec.format(zxid)} does not match the oldest pending txn ${node.codec.format(head.zxid)}`);
      return;
    }
    this.pendingHead++;
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (this.bugs.has('applyOnPropose') && !this.observer) return; // applied when proposed
    // A txn the tree's zxid already covers (a snapshot labelled ahead of its nodes) is applied
    // again, as DataTree.processTxn does; it is no new delivery.
    node.applyCommitted(ctx, head, head.zxid > node.tree.lastProcessedZxid ? 'broadcast' : 'replay');
  }

  private onInform(ctx: NodeContext<ZabMessage>, entry: LogEntry): void {
    const node = this.node;
    if (entry.zxid <= node.tree.lastProcessedZxid) return;
    node.writer.append(entry, -1);
    node.applyCommitted(ctx, entry, 'broadcast');
  }

  // ---------------------------------------------------------------- time

  onTick(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    const config = node.config;
    if (this.phase === 'connecting') {
      if (ctx.nowUs - this.startUs > config.initLimit * config.tickTimeUs) {
        node.lookForLeader(ctx, `no answer from leader ${this.leader} within initLimit`);
        return;
      }
      this.sendInfo(ctx);
    } else {
      const limitTicks = this.syncFinished ? config.syncLimit : config.initLimit;
      if (ctx.nowUs - this.lastHeardUs > limitTicks * config.tickTimeUs) {
        node.lookForLeader(ctx, `heard nothing from leader ${this.leader} for ${limitTicks} ticks`);
        return;
      }
    }
    ctx.setTimer(LEARNER_TICK, config.tickTimeUs / 2);
  }

  /** Leaves the role: the connection to the leader is closed. */
  shutdown(ctx: NodeContext<ZabMessage>): void {
    ctx.send(this.leader, { type: 'CLOSE', attempt: this.attempt });
    ctx.cancelTimer(LEARNER_TICK);
  }

  summary(): Record<string, unknown> {
    return { phase: this.phase, newEpoch: this.newEpoch, syncMode: this.syncMode, pending: this.pending.length - this.pendingHead, buffered: this.syncProposals.length };
  }
}
