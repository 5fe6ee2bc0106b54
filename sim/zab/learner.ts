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

  /** NEWLEADER: log and apply what is committed, fsync, then currentEpoch, then ACK. */
  private onNewLeader(ctx: NodeContext<ZabMessage>, msg: MessageOf<'NEWLEADER'>): void {
    const node = this.node;
    const codec = node.codec;
    if (msg.zxid !== codec.make(this.newEpoch, 0)) ctx.note(`NEWLEADER zxid ${codec.format(msg.zxid)} is not the new epoch ${this.newEpoch}`);
    this.phase = 'newleader';
    node.markUpdatingEpoch(ctx, this.newEpoch);
    // Step 1: the committed prefix of the buffered proposals: logged, then applied.
    let committedCount = 0;
    let matched = 0;
    while (matched < this.syncCommitted.length && committedCount < this.syncProposals.length && this.syncProposals[committedCount].zxid === this.syncCommitted[matched]) {
      committedCount++;
      matched++;
    }
    const committed = this.syncProposals.slice(0, committedCount);
    this.syncProposals = this.syncProposals.slice(committedCount);
    this.syncCommitted = this.syncCommitted.slice(matched);
    for (const entry of committed) node.writer.append(entry, -1);
    for (const entry of committed) node.applyCommitted(ctx, entry, 'sync');
    // Step 2: fsync; the rest happens once the disk has it all.
    const token = this.token;
    node.writer.barrier(() => {
      if (node.learner === this && this.token === token && this.phase === 'newleader') this.afterNewLeaderDurable(ctx);
    });
  }

  private afterNewLeaderDurable(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    if (this.snapshotNeeded) node.writeSnapshot(ctx);
    // Step 3: currentEpoch, only now that the history it vouches for is durable.
    node.persistCurrentEpoch(ctx, this.newEpoch);
    node.clearUpdatingEpoch(ctx);
    // Step 4: ACK NEWLEADER.
    ctx.send(this.leader, { type: 'ACK', zxid: node.codec.make(this.newEpoch, 0) });
    this.phase = 'acked';
    this.syncFinished = true;
    node.election.updateElectionVote(this.newEpoch);
    ctx.record('newleader', { leader: this.leader, epoch: this.newEpoch, zxid: node.tree.lastProcessedZxid, mode: this.syncMode });
    ctx.note(`synced with ${this.leader} by ${this.syncMode}: history durable, currentEpoch ${this.newEpoch} written, NEWLEADER acknowledged`);
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
    const last = this.pendingHead < this.pending.length ? this.pending[this.pending.length - 1].zxid : node.tree.lastProcessedZxid;
    if (entry.zxid <= last) return; // already have it
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
    if (this.phase === 'broadcast' && !this.observer) ctx.send(this.leader, { type: 'ACK', zxid: entry.zxid });
  }

  private commit(ctx: NodeContext<ZabMessage>, zxid: number): void {
    const node = this.node;
    const head = this.pendingHead < this.pending.length ? this.pending[this.pendingHead] : undefined;
    if (head === undefined || head.zxid !== zxid) {
      // FollowerZooKeeperServer.commit: the process exits.
      node.exitProcess(ctx, `COMMIT ${node.codec.format(zxid)} does not match the oldest pending txn ${head === undefined ? '(none)' : node.codec.format(head.zxid)}`);
      return;
    }
    this.pendingHead++;
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (this.bugs.has('applyOnPropose') && !this.observer) return; // applied when proposed
    node.applyCommitted(ctx, head, 'broadcast');
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
