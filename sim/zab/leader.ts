/**
 * The LEADING role: ZooKeeper's Leader and its LearnerHandlers (PROTOCOLS.md §3–§5, §7).
 *
 * Discovery: every learner reports its acceptedEpoch (FOLLOWERINFO); once the leader
 * and a quorum of voters have, the new epoch is max(acceptedEpoch) + 1, written to the
 * leader's acceptedEpoch file and sent as LEADERINFO. Learners answer ACKEPOCH with
 * their currentEpoch and last zxid; a learner more recent than the leader has its
 * connection closed ("Follower is ahead of the leader": LearnerHandler's catch closes that
 * learner only; the leader waits on until initLimit). With a quorum of ACKEPOCHs the leader
 * writes currentEpoch and enters SYNCHRONIZATION.
 *
 * Synchronization, per learner: DIFF / TRUNC / SNAP (sync-plan.ts), the missing txns as
 * PROPOSAL + COMMIT, the outstanding proposals, then NEWLEADER. A quorum of NEWLEADER
 * ACKs (the leader's own included) establishes the leader: from then on it serves, and
 * each learner that acknowledged NEWLEADER gets UPTODATE.
 *
 * Broadcast: a request becomes a txn against the speculative tree, is proposed to the
 * forwarding followers and logged locally; a quorum of ACKs (voters only, the leader's
 * own ACK once its log write is durable) commits it, strictly in zxid order: COMMIT to
 * followers, INFORM to observers, applied to the leader's tree.
 *
 * Failure detection: PING every tickTime/2; a learner is "synced" while it sent anything
 * within syncLimit ticks; when the synced voters are no quorum the leader steps down.
 * Before it is established, each phase must finish within initLimit ticks.
 */
import type { NodeContext, NodeId } from '../core/node.js';
import { QuorumTally, quorumSize } from '../core/quorum.js';
import type { DataTree, DataTreeJSON, Txn, ZkRequest } from '../store/index.js';
import { ERROR_TXN, isWriteRequest, prepRequest } from '../store/index.js';
import type { LogEntry, Route, ZabMessage } from './messages.js';
import type { ZabNode } from './node.js';
import { SessionTracker, type SessionOwner } from './sessions.js';
import { planSync, type TxnLogSource } from './sync-plan.js';
import { maxProposableCounter, zabOrigin } from './zxid.js';

export const LEADER_TICK = 'leaderTick';
/** newLeaderBeforeSnapshot: `snapshot:<sid>` fires when the snapshot for learner sid is serialized. */
export const SNAPSHOT_TIMER = 'snapshot:';

/** A quorum read's txn: changes nothing, only takes its place in the order. */
export const NOOP_TXN: Txn = Object.freeze({ type: 'check', path: '/' });

const CLOSE_SESSION: ZkRequest = Object.freeze({ op: 'closeSession' });

type HandlerStage =
  /** FOLLOWERINFO received; waiting for the epoch to be decided. */
  | 'info'
  /** LEADERINFO sent; waiting for ACKEPOCH. */
  | 'epoch'
  /** ACKEPOCH received; waiting for a quorum of them before syncing. */
  | 'ackedEpoch'
  /** Sync packets and NEWLEADER sent; waiting for the NEWLEADER ACK. */
  | 'newleader'
  /** NEWLEADER acknowledged; waiting for the leader to be established. */
  | 'acked'
  /** UPTODATE sent: in broadcast. */
  | 'running';

/** Per-learner state (LearnerHandler). */
class LearnerHandler {
  stage: HandlerStage = 'info';
  peerAcceptedEpoch = -1;
  peerLastZxid = -1;
  /** The learner is synced while the leader's tick ≤ this (refreshed by any packet). */
  tickOfNextAckDeadline = 0;
  /** Receives live PROPOSAL/COMMIT (or INFORM). */
  forwarding = false;
  /** SyncLimitCheck: the oldest and newest proposals sent and not yet ACKed. */
  oldestUnackedZxid = 0;
  oldestUnackedUs = -1;
  newestUnackedZxid = 0;
  newestUnackedUs = -1;
  /**
   * newLeaderBeforeSnapshot: packets queued while the snapshot for this learner is being
   * serialized (null otherwise); they go out after it, as LearnerHandler's queue does.
   */
  held: ZabMessage[] | null = null;
  /**
   * newLeaderBeforeSnapshot: the snapshot being serialized for this learner. ZooKeeper walks
   * the live tree while the leader keeps committing (a fuzzy snapshot); the model takes the
   * extreme case, every node read when the walk starts, the label read when it ends.
   */
  fuzzySnapshot: DataTreeJSON | null = null;

  constructor(
    readonly sid: NodeId,
    readonly attempt: number,
    readonly observer: boolean,
  ) {}

  proposalSent(zxid: number, nowUs: number): void {
    if (this.oldestUnackedUs < 0) {
      this.oldestUnackedUs = nowUs;
      this.oldestUnackedZxid = zxid;
    } else {
      this.newestUnackedUs = nowUs;
      this.newestUnackedZxid = zxid;
    }
  }

  acked(zxid: number): void {
    if (zxid === this.oldestUnackedZxid) {
      this.oldestUnackedZxid = this.newestUnackedZxid;
      this.oldestUnackedUs = this.newestUnackedUs;
      this.newestUnackedUs = -1;
    } else if (zxid === this.newestUnackedZxid) {
      this.newestUnackedUs = -1;
    }
  }
}

interface Proposal {
  readonly entry: LogEntry;
  readonly acks: QuorumTally;
}

export class LeaderRole {
  /** Log writes made for this leadership carry this token (the leader's self-ACK). */
  readonly token: number;
  epoch = -1;
  private waitingForNewEpoch = true;
  private readonly connecting = new Set<NodeId>();
  private electionFinished = false;
  private readonly electing = new Set<NodeId>();
  private readonly newLeaderAcks = new Set<NodeId>();
  established = false;
  private readonly handlers = new Map<NodeId, LearnerHandler>();
  /** leaderStateSummary: (currentEpoch, last zxid) when the leadership started. */
  private readonly summaryEpoch: number;
  private readonly summaryZxid: number;
  private readonly outstanding = new Map<number, Proposal>();
  lastProposed = 0;
  lastCommitted = 0;
  /** Syncs waiting for the proposal that was the newest when they arrived. */
  private readonly pendingSyncs = new Map<number, Route[]>();
  /** The speculative tree: committed state plus every outstanding proposal (prep runs against it). */
  private spec: DataTree | null = null;
  private readonly sessions = new SessionTracker();
  /** The owner of sessions whose clients are connected to the leader itself (ServerCnxn.me). */
  readonly self: SessionOwner;
  private sessionCounter = 0;
  private tick = 0;
  private tickSkip = true;
  /** Bug noRolloverGuard (ZOOKEEPER-1277), read once per leadership: propose() is hot. */
  private readonly noRolloverGuard: boolean;
  private phaseStartUs: number;
  private phase = 'discovery (waiting for a quorum of FOLLOWERINFO)';

  constructor(
    private readonly node: ZabNode,
    ctx: NodeContext<ZabMessage>,
    token: number,
  ) {
    this.token = token;
    this.summaryEpoch = node.currentEpoch;
    this.summaryZxid = node.tree.lastProcessedZxid;
    this.phaseStartUs = ctx.nowUs;
    this.noRolloverGuard = node.config.bugs.has('noRolloverGuard');
    this.self = { sid: node.id };
  }

  private get bugs(): ReadonlySet<string> {
    return this.node.config.bugs;
  }

  // ---------------------------------------------------------------- discovery

  start(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    // Leader.lead → zk.loadData() → takeSnapshot(): the history this leader was elected
    // with is written down before it counts its own NEWLEADER ACK.
    node.writeSnapshot(ctx);
    // getEpochToPropose(self, acceptedEpoch): the leader counts itself.
    const ownEpoch = this.bugs.has('epochFromLastZxid') ? node.codec.epoch(node.tree.lastProcessedZxid) : node.acceptedEpoch;
    this.epoch = ownEpoch + 1;
    this.connecting.add(node.id);
    ctx.setTimer(LEADER_TICK, node.config.tickTimeUs / 2);
    ctx.note(`leads: waits for a quorum of FOLLOWERINFO to choose an epoch > ${ownEpoch}`);
    this.maybeDecideEpoch(ctx);
  }

  private isVoter(sid: NodeId): boolean {
    return this.node.voters.has(sid);
  }

  private hasQuorum(set: ReadonlySet<NodeId>): boolean {
    let count = 0;
    for (const sid of set) if (this.isVoter(sid)) count++;
    return count >= quorumSize(this.node.voters.size);
  }

  private onLearnerInfo(ctx: NodeContext<ZabMessage>, from: NodeId, msg: Extract<ZabMessage, { type: 'FOLLOWERINFO' | 'OBSERVERINFO' }>): void {
    const existing = this.handlers.get(from);
    if (existing !== undefined && existing.attempt === msg.attempt) return; // a retry of the same connection
    if (existing !== undefined) this.removeHandler(ctx, from, false, 'reconnected');
    const handler = new LearnerHandler(from, msg.attempt, msg.type === 'OBSERVERINFO' || !this.isVoter(from));
    handler.tickOfNextAckDeadline = this.tick + this.node.config.initLimit + this.node.config.syncLimit;
    handler.peerAcceptedEpoch = msg.acceptedEpoch;
    this.handlers.set(from, handler);
    if (this.waitingForNewEpoch) {
      // getEpochToPropose: every learner's acceptedEpoch raises the epoch, an observer's
      // too; only voters count toward the quorum (ZOOKEEPER-2959).
      if (msg.acceptedEpoch >= this.epoch) this.epoch = msg.acceptedEpoch + 1;
      if (!handler.observer) this.connecting.add(from);
      this.maybeDecideEpoch(ctx);
      return;
    }
    this.sendLeaderInfo(ctx, handler);
  }

  private maybeDecideEpoch(ctx: NodeContext<ZabMessage>): void {
    if (!this.waitingForNewEpoch || !this.hasQuorum(this.connecting)) return;
    const node = this.node;
    this.waitingForNewEpoch = false;
    node.persistAcceptedEpoch(ctx, this.epoch);
    this.lastProposed = node.codec.make(this.epoch, 0);
    this.lastCommitted = this.lastProposed;
    ctx.note(`epoch ${this.epoch} chosen (max acceptedEpoch + 1 over ${[...this.connecting].sort((a, b) => a - b).join(', ')}); acceptedEpoch written`);
    this.enterPhase(ctx, 'discovery (waiting for a quorum of ACKEPOCH)');
    for (const handler of this.handlers.values()) if (handler.stage === 'info') this.sendLeaderInfo(ctx, handler);
    // waitForEpochAck(self, leaderStateSummary)
    this.electing.add(node.id);
    this.maybeFinishEpochAcks(ctx);
  }

  private sendLeaderInfo(ctx: NodeContext<ZabMessage>, handler: LearnerHandler): void {
    handler.stage = 'epoch';
    ctx.send(handler.sid, { type: 'LEADERINFO', zxid: this.node.codec.make(this.epoch, 0), epoch: this.epoch, attempt: handler.attempt });
  }

  private onAckEpoch(ctx: NodeContext<ZabMessage>, handler: LearnerHandler, msg: Extract<ZabMessage, { type: 'ACKEPOCH' }>): void {
    if (handler.stage !== 'epoch') return;
    handler.peerLastZxid = msg.zxid;
    handler.stage = 'ackedEpoch';
    if (this.electionFinished) {
      this.syncLearner(ctx, handler);
      return;
    }
    if (msg.currentEpoch !== -1) {
      const ahead = msg.currentEpoch > this.summaryEpoch || (msg.currentEpoch === this.summaryEpoch && msg.zxid > this.summaryZxid);
      if (ahead) {
        // waitForEpochAck throws in that learner's LearnerHandler, whose catch closes only
        // its connection; the leader goes on waiting for a quorum until initLimit.
        const f = (z: number) => this.node.codec.format(z);
        this.removeHandler(ctx, handler.sid, false, `follower ${handler.sid} is ahead of the leader (its epoch ${msg.currentEpoch}, zxid ${f(msg.zxid)}; the leader's epoch ${this.summaryEpoch}, zxid ${f(this.summaryZxid)})`);
        return;
      }
      if (!handler.observer) this.electing.add(handler.sid);
    }
    this.maybeFinishEpochAcks(ctx);
  }

  private maybeFinishEpochAcks(ctx: NodeContext<ZabMessage>): void {
    if (this.electionFinished || !this.hasQuorum(this.electing)) return;
    const node = this.node;
    this.electionFinished = true;
    node.persistCurrentEpoch(ctx, this.epoch);
    node.setZabState(ctx, 'SYNCHRONIZATION');
    ctx.note(`a quorum acknowledged epoch ${this.epoch}: currentEpoch written; synchronizing the learners`);
    this.enterPhase(ctx, 'synchronization (waiting for a quorum of NEWLEADER ACKs)');
    this.newLeaderAcks.add(node.id);
    for (const handler of this.handlers.values()) if (handler.stage === 'ackedEpoch') this.syncLearner(ctx, handler);
    this.maybeEstablish(ctx);
  }

  private enterPhase(ctx: NodeContext<ZabMessage>, phase: string): void {
    this.phase = phase;
    this.phaseStartUs = ctx.nowUs;
  }

  // ---------------------------------------------------------------- synchronization

  /** syncFollower + startForwarding + NEWLEADER for one learner. */
  private syncLearner(ctx: NodeContext<ZabMessage>, handler: LearnerHandler): void {
    const node = this.node;
    const codec = node.codec;
    const plan = planSync(node.committedLog, node.tree.lastProcessedZxid, handler.peerLastZxid, codec, {
      skipFirst: this.bugs.has('diffSkipsFirst'),
      newestFirst: this.bugs.has('diffNewestFirst'),
      rangeCheckOnly: this.bugs.has('diffByRangeCheck'),
      snapOnEmptyCommittedLog: this.bugs.has('snapDoesNotTruncateLog'),
    }, this.txnLogSource(ctx));
    const to = handler.sid;
    ctx.record('sync-mode', { learner: to, mode: plan.mode, zxid: plan.zxid, peerZxid: handler.peerLastZxid, txns: plan.entries.length });
    this.withdrawAcksBeyond(ctx, to, plan.mode === 'DIFF' ? handler.peerLastZxid : plan.zxid);
    ctx.note(`syncs ${to} by ${plan.mode}: ${plan.reason}${plan.entries.length > 0 ? ` (${plan.entries.length} txns)` : ''}`);
    if (plan.mode === 'SNAP' && this.bugs.has('newLeaderBeforeSnapshot')) {
      // ZOOKEEPER-3104: forwarding starts and NEWLEADER is queued now; the snapshot is
      // serialized afterwards (one tick here), labelled with the leader's zxid then.
      handler.held = [];
      handler.fuzzySnapshot = node.tree.toJSON();
      ctx.setTimer(`${SNAPSHOT_TIMER}${to}`, node.config.tickTimeUs);
      ctx.note(`queues NEWLEADER for ${to} before serializing its snapshot (bug newLeaderBeforeSnapshot)`);
    } else if (plan.mode === 'SNAP') ctx.send(to, { type: 'SNAP', zxid: plan.zxid, snapshot: node.tree.toJSON() });
    else ctx.send(to, { type: plan.mode, zxid: plan.zxid });
    for (const entry of plan.entries) {
      ctx.send(to, { type: 'PROPOSAL', entry });
      ctx.send(to, { type: 'COMMIT', zxid: entry.zxid });
    }
    // startForwarding: outstanding proposals the learner has not seen, then live traffic.
    if (!handler.observer && this.lastProposed > plan.lastZxid) {
      for (const proposal of this.outstanding.values()) {
        if (proposal.entry.zxid <= plan.lastZxid) continue;
        this.send(ctx, handler, { type: 'PROPOSAL', entry: proposal.entry });
        handler.proposalSent(proposal.entry.zxid, ctx.nowUs);
      }
    }
    handler.forwarding = true;
    // NEWLEADER goes after the sync packets (ZOOKEEPER-3104).
    this.send(ctx, handler, { type: 'NEWLEADER', zxid: codec.make(this.epoch, 0) });
    handler.stage = 'newleader';
  }

  /** The on-disk log syncFollower may read, and how much of it (calculateTxnLogSizeLimit); none if disabled. */
  private txnLogSource(ctx: NodeContext<ZabMessage>): TxnLogSource | undefined {
    const node = this.node;
    const factor = node.config.snapshotSizeFactor;
    if (factor < 0) return undefined;
    return { entries: node.log(ctx), from: node.historyStart, maxTxns: Math.floor(factor * node.tree.nodeCount) };
  }

  /**
   * An ACK says "durable in my log". A learner that reconnects may have ACKed outstanding
   * proposals on its previous connection that this sync now cuts from its log (TRUNC
   * below them, or a SNAP that supersedes the log); those ACKs no longer hold, and the
   * learner ACKs the proposals again once startForwarding has re-sent and it re-logged
   * them. ZooKeeper's Leader keeps such ACKs in the proposal's ackset: a proposal can then
   * commit with a quorum that no longer holds it, and be lost if the leader fails before
   * the learner re-logs it (found by random search with slow disks; no JIRA known).
   */
  private withdrawAcksBeyond(ctx: NodeContext<ZabMessage>, sid: NodeId, keptZxid: number): void {
    let withdrawn = 0;
    for (const [zxid, proposal] of this.outstanding) {
      if (zxid > keptZxid && proposal.acks.has(sid)) {
        proposal.acks.remove(sid);
        withdrawn++;
      }
    }
    if (withdrawn > 0) ctx.note(`withdraws ${sid}'s ACK of ${withdrawn} outstanding proposal(s): this sync cuts them from its log; it will ACK them again`);
  }

  /** A packet to a learner: held while its snapshot is being serialized (newLeaderBeforeSnapshot), else sent. */
  private send(ctx: NodeContext<ZabMessage>, handler: LearnerHandler, msg: ZabMessage): void {
    if (handler.held === null) ctx.send(handler.sid, msg);
    else handler.held.push(msg);
  }

  /** newLeaderBeforeSnapshot: the snapshot is serialized now; it goes out ahead of the queued packets. */
  onSnapshotSerialized(ctx: NodeContext<ZabMessage>, sid: NodeId): void {
    const handler = this.handlers.get(sid);
    if (handler === undefined || handler.held === null) return;
    const tree = this.node.tree;
    const held = handler.held;
    const snapshot = handler.fuzzySnapshot ?? tree.toJSON();
    handler.held = null;
    handler.fuzzySnapshot = null;
    // The label is the zxid when the walk ends; the nodes were read before the txns
    // committed meanwhile reached them, and their COMMITs are queued behind NEWLEADER.
    const codec = this.node.codec;
    const label = tree.lastProcessedZxid;
    ctx.note(`snapshot for ${sid} serialized with nodes as of ${codec.format(snapshot.lastProcessedZxid)} and labelled ${codec.format(label)}, after ${held.length} queued packet(s), NEWLEADER among them (bug newLeaderBeforeSnapshot)`);
    ctx.send(sid, { type: 'SNAP', zxid: label, snapshot: { ...snapshot, lastProcessedZxid: label } });
    for (const msg of held) ctx.send(sid, msg);
  }

  /** waitForNewLeaderAck: the learner's first packet after NEWLEADER must be ACK((e, 0)). */
  private onNewLeaderAck(ctx: NodeContext<ZabMessage>, handler: LearnerHandler, zxid: number): void {
    handler.stage = 'acked';
    const expected = this.node.codec.make(this.epoch, 0);
    if (zxid !== expected) {
      // ZOOKEEPER-4685: not counted; the handler does not read again. Leader.waitForNewLeaderAck
      // logs it at ERROR level ("NEWLEADER ACK from sid: … is from a different epoch").
      ctx.note(`NEWLEADER ACK from ${handler.sid} has zxid ${this.node.codec.format(zxid)}, expected ${this.node.codec.format(expected)}: not counted`);
      ctx.record('error', { text: `NEWLEADER ACK from sid: ${handler.sid} is from a different epoch - current ${this.node.codec.format(expected)} received ${this.node.codec.format(zxid)}`, where: 'Leader.waitForNewLeaderAck' });
    } else if (!handler.observer) {
      this.newLeaderAcks.add(handler.sid);
    }
    if (this.established) this.sendUpToDate(ctx, handler);
    else this.maybeEstablish(ctx);
  }

  private maybeEstablish(ctx: NodeContext<ZabMessage>): void {
    if (this.established || !this.electionFinished || !this.hasQuorum(this.newLeaderAcks)) return;
    const node = this.node;
    this.established = true;
    this.lastCommitted = node.codec.make(this.epoch, 0);
    ctx.record('election', { leader: node.id, epoch: this.epoch, quorum: [...this.newLeaderAcks].sort((a, b) => a - b) });
    node.setZabState(ctx, 'BROADCAST');
    node.election.updateElectionVote(this.epoch);
    ctx.note(`established as the leader of epoch ${this.epoch} (NEWLEADER acknowledged by ${[...this.newLeaderAcks].sort((a, b) => a - b).join(', ')}); serving`);
    this.spec = node.tree.clone();
    for (const [sessionId, session] of node.tree.sessions) this.sessions.add(sessionId, session.timeoutUs, ctx.nowUs);
    this.tick = 0;
    this.tickSkip = true;
    for (const handler of this.handlers.values()) if (handler.stage === 'acked') this.sendUpToDate(ctx, handler);
    node.service.startServing(ctx);
  }

  private sendUpToDate(ctx: NodeContext<ZabMessage>, handler: LearnerHandler): void {
    handler.stage = 'running';
    ctx.send(handler.sid, { type: 'UPTODATE', zxid: this.lastCommitted });
  }

  // ---------------------------------------------------------------- broadcast

  /** Whether the leader accepts requests (established and in BROADCAST). */
  get serving(): boolean {
    return this.established && this.node.zabState === 'BROADCAST';
  }

  /**
   * Turns a request into a txn (against the speculative tree) and proposes it. Returns
   * false if it was refused (not serving, or the leader stepped down on rollover).
   */
  propose(ctx: NodeContext<ZabMessage>, route: Route | undefined, req: ZkRequest, quorumRead = false, sessionId = route?.sessionId ?? 0, owner: SessionOwner = this.self): boolean {
    if (!this.serving || this.spec === null) return false;
    const node = this.node;
    const codec = node.codec;
    const counter = codec.counter(this.lastProposed) + 1;
    if (counter > maxProposableCounter(codec.counterBits) && !this.noRolloverGuard) {
      // ZOOKEEPER-1277: the counter would roll over into the epoch bits; force a new epoch.
      node.lookForLeader(ctx, `zxid counter would reach ${counter} = 2^${codec.counterBits}-1: steps down to force a new epoch (ZOOKEEPER-1277)`);
      return false;
    }
    // With noRolloverGuard the counter carries into the epoch bits: (e, 2^bits-1), then (e+1, 0).
    const zxid = this.lastProposed + 1;
    const spec = this.spec;
    let txn: Txn;
    if (quorumRead) {
      txn = spec.hasSession(sessionId) ? NOOP_TXN : ERROR_TXN.SESSIONEXPIRED;
    } else if (req.op === 'createSession') {
      const timeoutUs = Math.min(Math.max(req.timeoutUs, node.config.minSessionTimeoutUs), node.config.maxSessionTimeoutUs);
      const newSessionId = this.nextSessionId();
      txn = prepRequest(spec, { op: 'createSession', timeoutUs }, newSessionId, zxid);
      if (txn.type === 'createSession') this.sessions.add(newSessionId, timeoutUs, ctx.nowUs, owner);
    } else if (isOwnedWrite(req) && !this.sessions.checkOwner(sessionId, owner)) {
      // PrepRequestProcessor: checkSession(sessionId, owner) throws SessionMovedException.
      txn = ERROR_TXN.SESSIONMOVED;
      this.recordSessionMoved(ctx, sessionId, owner, zxid);
    } else {
      txn = prepRequest(spec, req, sessionId, zxid);
      if (txn.type === 'closeSession') this.sessions.closed(sessionId);
    }
    spec.apply(txn, zxid);
    const entry: LogEntry = quorumRead ? { zxid, txn, route, read: req } : { zxid, txn, route };
    this.outstanding.set(zxid, { entry, acks: new QuorumTally(node.voters) });
    this.lastProposed = zxid;
    // originSeq is the leader's k-th proposal: its counter, or past a carry into the epoch
    // bits (noRolloverGuard), the distance from the epoch's first zxid.
    ctx.record('propose', { index: zxid, label: codec.format(zxid), origin: zabOrigin(this.epoch), originSeq: zxid - codec.make(this.epoch, 0), txn });
    const msg: ZabMessage = { type: 'PROPOSAL', entry };
    for (const handler of this.handlers.values()) {
      if (!handler.forwarding || handler.observer) continue;
      this.send(ctx, handler, msg);
      handler.proposalSent(zxid, ctx.nowUs);
    }
    node.writer.append(entry, this.token);
    return true;
  }

  private recordSessionMoved(ctx: NodeContext<ZabMessage>, sessionId: number, from: SessionOwner, zxid: number): void {
    const owner = this.sessions.ownerOf(sessionId)?.sid ?? -1;
    ctx.record('session-moved', { session: sessionId, from: from.sid, owner, zxid, where: 'prep' });
    ctx.note(`session ${sessionId} is owned by server ${owner}: its write through server ${from.sid} becomes an error txn (SESSIONMOVED) at ${this.node.codec.format(zxid)}`);
  }

  /** Session ids: unique per (leader, epoch): (sid + 1)·2^40 + epoch·2^20 + counter. */
  private nextSessionId(): number {
    this.sessionCounter++;
    return (this.node.id + 1) * 2 ** 40 + this.epoch * 2 ** 20 + (this.sessionCounter % 2 ** 20);
  }

  /** The leader's own log write of `zxid` is durable: its ACK. */
  selfAck(ctx: NodeContext<ZabMessage>, zxid: number): void {
    this.processAck(ctx, this.node.id, zxid);
  }

  private processAck(ctx: NodeContext<ZabMessage>, sid: NodeId, zxid: number): void {
    if (this.node.codec.isEpochStart(zxid)) return; // NEWLEADER / UPTODATE acks carry (e, 0)
    if (zxid <= this.lastCommitted) return; // late: already committed
    const proposal = this.outstanding.get(zxid);
    if (proposal === undefined) return;
    proposal.acks.add(sid);
    this.tryToCommit(ctx, zxid);
  }

  /** Commits in zxid order: a proposal waits while its predecessor is outstanding. */
  private tryToCommit(ctx: NodeContext<ZabMessage>, zxid: number): void {
    const self = this.node.id;
    for (let next = zxid; ; next++) {
      const proposal = this.outstanding.get(next);
      if (proposal === undefined || this.outstanding.has(next - 1)) return;
      const quorum = proposal.acks.reached || (this.bugs.has('commitWithoutQuorum') && proposal.acks.has(self));
      if (!quorum) return;
      this.commit(ctx, proposal);
    }
  }

  private commit(ctx: NodeContext<ZabMessage>, proposal: Proposal): void {
    const entry = proposal.entry;
    const zxid = entry.zxid;
    this.outstanding.delete(zxid);
    this.lastCommitted = zxid;
    const commitMsg: ZabMessage = { type: 'COMMIT', zxid };
    let informMsg: ZabMessage | null = null;
    for (const handler of this.handlers.values()) {
      if (!handler.forwarding) continue;
      if (handler.observer) this.send(ctx, handler, (informMsg ??= { type: 'INFORM', entry }));
      else this.send(ctx, handler, commitMsg);
    }
    this.node.applyCommitted(ctx, entry, 'broadcast');
    const syncs = this.pendingSyncs.get(zxid);
    if (syncs !== undefined) {
      this.pendingSyncs.delete(zxid);
      for (const route of syncs) this.answerSync(ctx, route);
    }
  }

  /** A client sync: answered once everything proposed before it is committed. */
  sync(ctx: NodeContext<ZabMessage>, route: Route): void {
    if (this.outstanding.size === 0) {
      this.answerSync(ctx, route);
      return;
    }
    let waiting = this.pendingSyncs.get(this.lastProposed);
    if (waiting === undefined) {
      waiting = [];
      this.pendingSyncs.set(this.lastProposed, waiting);
    }
    waiting.push(route);
  }

  /**
   * The answer to a sync. Recorded, because a sync is not a quorum operation: a leader
   * that a newer epoch has already deposed, but that has not noticed yet (its syncLimit
   * check has not failed), answers it all the same (ZOOKEEPER-1675), and the read that
   * follows may be stale. The scenario runner, which knows every established epoch,
   * tells such answers apart from this record (sim/scenario/reads.ts).
   */
  private answerSync(ctx: NodeContext<ZabMessage>, route: Route): void {
    ctx.record('sync-answer', { server: route.server, client: route.clientId, request: route.requestId, epoch: this.epoch, zxid: this.lastCommitted });
    if (route.server === this.node.id) this.node.service.onSyncDone(ctx, route);
    else if (this.handlers.has(route.server)) ctx.send(route.server, { type: 'SYNC', route });
  }

  touchSession(sessionId: number, nowUs: number): void {
    this.sessions.touch(sessionId, nowUs);
  }

  /** A reconnecting session: open at the leader? (ZooKeeperServer.revalidateSession → touchSession). */
  revalidate(sessionId: number, nowUs: number, owner: SessionOwner = this.self): boolean {
    return this.serving && this.sessions.revalidate(sessionId, nowUs, owner);
  }

  // ---------------------------------------------------------------- messages

  onMessage(ctx: NodeContext<ZabMessage>, from: NodeId, msg: ZabMessage): void {
    if (msg.type === 'FOLLOWERINFO' || msg.type === 'OBSERVERINFO') {
      this.onLearnerInfo(ctx, from, msg);
      return;
    }
    const handler = this.handlers.get(from);
    if (handler === undefined) return; // a stale packet from a closed connection
    handler.tickOfNextAckDeadline = this.tick + this.node.config.syncLimit;
    switch (msg.type) {
      case 'ACKEPOCH':
        this.onAckEpoch(ctx, handler, msg);
        return;
      case 'ACK':
        if (handler.stage === 'newleader') this.onNewLeaderAck(ctx, handler, msg.zxid);
        else if (handler.stage === 'running' && !handler.observer) {
          handler.acked(msg.zxid);
          this.processAck(ctx, from, msg.zxid);
        }
        return;
      case 'PING':
        if (msg.touches !== undefined) for (const sessionId of msg.touches) this.sessions.touch(sessionId, ctx.nowUs);
        return;
      case 'REQUEST':
        if (!this.serving) return; // learners forward only while they serve; drop
        this.sessions.touch(msg.route.sessionId, ctx.nowUs);
        if (msg.req.op === 'sync') this.sync(ctx, msg.route);
        else this.propose(ctx, msg.route, msg.req, msg.quorumRead === true, msg.route.sessionId, handler);
        return;
      case 'CLOSE':
        if (msg.attempt === handler.attempt) this.removeHandler(ctx, from, true, 'closed the connection');
        return;
      case 'REVALIDATE':
        if (handler.stage === 'running') ctx.send(from, { type: 'REVALIDATE', route: msg.route, valid: this.revalidate(msg.route.sessionId, ctx.nowUs, handler) });
        return;
      default:
        return;
    }
  }

  onDisconnect(ctx: NodeContext<ZabMessage>, peer: NodeId): void {
    if (this.handlers.has(peer)) this.removeHandler(ctx, peer, false, 'connection lost');
  }

  /** Closes a learner's connection; the learner learns it from CLOSE (unless it closed first). */
  private removeHandler(ctx: NodeContext<ZabMessage>, sid: NodeId, closedByPeer: boolean, why: string): void {
    const handler = this.handlers.get(sid);
    if (handler === undefined) return;
    this.handlers.delete(sid);
    if (!closedByPeer) ctx.send(sid, { type: 'CLOSE', attempt: handler.attempt });
    ctx.note(`drops learner ${sid}: ${why}`);
  }

  // ---------------------------------------------------------------- time

  onTick(ctx: NodeContext<ZabMessage>): void {
    const node = this.node;
    const config = node.config;
    if (!this.established) {
      if (ctx.nowUs - this.phaseStartUs > config.initLimit * config.tickTimeUs) {
        node.lookForLeader(ctx, `initLimit (${config.initLimit} ticks) passed in ${this.phase}: gives up leading`);
        return;
      }
      ctx.setTimer(LEADER_TICK, config.tickTimeUs / 2);
      return;
    }
    if (!this.tickSkip) this.tick++;
    if (!this.tickSkip) {
      let synced = 1; // the leader itself
      for (const handler of this.handlers.values()) {
        if (!handler.observer && this.tick <= handler.tickOfNextAckDeadline) synced++;
      }
      if (synced < quorumSize(node.voters.size)) {
        node.lookForLeader(ctx, `not enough followers synced (${synced} of ${node.voters.size} voters heard within syncLimit): steps down`);
        return;
      }
    }
    this.tickSkip = !this.tickSkip;
    const syncTimeoutUs = config.syncLimit * config.tickTimeUs;
    const ping: ZabMessage = { type: 'PING', zxid: this.lastProposed };
    for (const handler of [...this.handlers.values()]) {
      if (handler.stage !== 'running' && handler.stage !== 'acked' && handler.stage !== 'newleader') continue;
      if (handler.oldestUnackedUs >= 0 && ctx.nowUs - handler.oldestUnackedUs >= syncTimeoutUs) {
        this.removeHandler(ctx, handler.sid, false, `no ACK for proposal ${node.codec.format(handler.oldestUnackedZxid)} within syncLimit`);
        continue;
      }
      this.send(ctx, handler, ping);
    }
    for (const sessionId of this.sessions.expired(ctx.nowUs)) {
      if (!this.serving) break;
      ctx.note(`session 0x${sessionId.toString(16)} expired: proposes closeSession`);
      this.sessions.closed(sessionId);
      if (!this.propose(ctx, undefined, CLOSE_SESSION, false, sessionId)) return;
    }
    ctx.setTimer(LEADER_TICK, config.tickTimeUs / 2);
  }

  /** Leaves the role: every learner connection is closed. */
  shutdown(ctx: NodeContext<ZabMessage>): void {
    for (const handler of this.handlers.values()) {
      if (handler.held !== null) ctx.cancelTimer(`${SNAPSHOT_TIMER}${handler.sid}`);
      ctx.send(handler.sid, { type: 'CLOSE', attempt: handler.attempt });
    }
    this.handlers.clear();
    this.outstanding.clear();
    this.pendingSyncs.clear();
    ctx.cancelTimer(LEADER_TICK);
  }

  /** For inspect(). */
  summary(): Record<string, unknown> {
    return {
      epoch: this.epoch,
      established: this.established,
      phase: this.established ? 'broadcast' : this.phase,
      lastProposed: this.lastProposed,
      outstanding: this.outstanding.size,
      learners: [...this.handlers.values()].map((h) => ({ sid: h.sid, stage: h.stage, observer: h.observer })),
    };
  }
}

/**
 * The writes whose prep checks the session's owner (PrepRequestProcessor: checkSession
 * before each): every write but the session's own open and close.
 */
function isOwnedWrite(req: ZkRequest): boolean {
  return req.op !== 'createSession' && req.op !== 'closeSession' && isWriteRequest(req);
}
