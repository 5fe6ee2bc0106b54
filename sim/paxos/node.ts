/**
 * A Multi-Paxos server: proposer, acceptor and learner co-located, serving ZooKeeper
 * clients over the replicated log (Lamport, "Paxos Made Simple", §3).
 *
 * The protocol in brief. Slots 1, 2, 3, … each hold one command, decided by an
 * independent instance of Paxos. A node that hears no leader for an election timeout
 * becomes a CANDIDATE: it picks a ballot higher than any it has seen and sends
 * Prepare(ballot, fromSlot) — phase 1 for every slot from its chosen prefix on. Each
 * acceptor that has not promised a higher ballot persists the promise and answers
 * Promise with its votes in those slots. With a quorum of promises the candidate is
 * LEADER: it re-proposes, slot by slot, the highest-ballot value reported (it may have
 * been chosen), fills gaps with no-ops, and from then on runs only phase 2: Accept(ballot,
 * slot, command) to every acceptor, which persists the vote and sends Accepted to every
 * learner. A quorum of Accepted for the same (ballot, value) means the value is chosen;
 * learners execute slots strictly in order, and fetch missing slots from the leader.
 * Everyone else is a FOLLOWER of the leader whose heartbeats it hears (or of nobody).
 * Before phase 1 a node runs a pre-vote (Probe): only if a quorum heard no live leader
 * lately does it raise its ballot, so a node returning from a partition cannot depose
 * a healthy leader.
 *
 * The `state` trace event's role is one of: LEADER (won phase 1 and heard no higher
 * ballot since), CANDIDATE (running phase 1), FOLLOWER (everything else, pre-vote
 * included; `leader` is the node whose heartbeats it accepts, or null).
 *
 * Like ZAB's leader, this leader turns each write into a txn against its speculative
 * tree (committed state plus everything it proposed), so a txn assumes every earlier
 * txn of the same leader. Paxos decides slots independently, so a later leader may
 * choose such a txn without its predecessors (PROTOCOLS.md §12): that is the
 * primary-order contrast that sim/check/primary-order.ts measures.
 *
 * Datagrams may be lost, duplicated and reordered: every step is idempotent (a repeated
 * Prepare / Accept is answered again, a vote is counted once per acceptor), and the
 * leader retransmits Accept for unchosen slots, candidates retransmit Prepare, learners
 * ask for missing slots.
 */
import type { ClientRequest, NodeBehavior, NodeContext, NodeId, NodeSnapshot } from '../core/node.js';
import { quorumSize } from '../core/quorum.js';
import type { ReadMode } from '../client/protocol.js';
import { DataTree, isWriteRequest, prepRequest, type ZkRequest } from '../store/index.js';
import { Acceptor } from './acceptor.js';
import { applyCommand } from './apply.js';
import { makeBallot, roundOf, type BallotScheme } from './ballot.js';
import type { PaxosBug, PaxosConfig } from './config.js';
import { BROADCAST, GroupCommit, type DurableReply } from './durability.js';
import { Candidacy, LeaderState, recoverSlots } from './leader.js';
import { Learner } from './learner.js';
import {
  commandLabel,
  originOf,
  type AcceptMsg,
  type AcceptedMsg,
  type CatchUpMsg,
  type ForwardRefusedMsg,
  type Command,
  type HeartbeatAckMsg,
  type HeartbeatMsg,
  type MoveSessionRequest,
  type NackMsg,
  type PaxosMessage,
  type PrepareMsg,
  type ProbeMsg,
  type ProbeReplyMsg,
  type PromiseMsg,
  type Route,
  type Vote,
} from './messages.js';
import { ClientService, type ServiceHost } from './service.js';
import { SessionOwners } from './sessions.js';

export type PaxosRole = 'LEADER' | 'CANDIDATE' | 'FOLLOWER';

/** Durable keys: the proposer's highest round, and the learner's applied log. */
export const ROUND_KEY = 'paxos.round';
export const CHOSEN_LOG = 'paxos.chosen';

const TICK = 'tick';
const ELECTION = 'election';

type Ctx = NodeContext<PaxosMessage>;

export class PaxosNode implements NodeBehavior<PaxosMessage>, ServiceHost {
  role: PaxosRole = 'FOLLOWER';
  leader: NodeId | null = null;
  /** Ballot of the leader this node follows (its own ballot when it leads). */
  leaderBallot = 0;
  readonly tree = new DataTree();
  /** Who owns each open session (replicated with the tree: see SessionOwners). */
  readonly owners = new SessionOwners();
  lastApplied = 0;

  private readonly bugs: ReadonlySet<PaxosBug>;
  /** The volatileAcceptor bug: replies go out before the disk has what they promise. */
  private readonly volatileAcceptor: boolean;
  private readonly service: ClientService;
  private scheme!: BallotScheme;
  private quorum = 1;
  private acceptor!: Acceptor;
  private learner!: Learner;
  private commit!: GroupCommit;
  private maxRound = 0;
  private highestBallotSeen = 0;
  private candidacy: Candidacy | null = null;
  private lead: LeaderState | null = null;
  private failedElections = 0;
  /** Pre-vote in progress: the ballot asked about and who said yes. */
  private probe: { ballot: number; grants: Set<NodeId> } | null = null;
  private lastLeaderContactUs = Number.NEGATIVE_INFINITY;
  /** The leader's chosen prefix as of the previous heartbeat (slots surely available). */
  private catchUpTarget = 0;
  private latestLeaderPrefix = 0;
  private lastCatchUpUs = Number.NEGATIVE_INFINITY;
  private recorded = { role: '', ballot: -1, leader: -2 as NodeId | null };

  constructor(
    readonly id: NodeId,
    private readonly config: PaxosConfig,
  ) {
    this.bugs = config.bugs;
    this.volatileAcceptor = config.bugs.has('volatileAcceptor');
    this.service = new ClientService(this, config);
  }

  // ---------------------------------------------------------------- lifecycle

  onStart(ctx: Ctx): void {
    const servers = ctx.servers.length;
    this.scheme = { servers, withoutNodeId: this.bugs.has('duplicateBallots') };
    this.quorum = quorumSize(servers);
    this.acceptor = new Acceptor(ctx.storage, !this.bugs.has('volatileAcceptor'));
    this.acceptor.load();
    this.commit = new GroupCommit(ctx.storage, (c, to, reply) => this.sendReply(c, to, reply));
    this.maxRound = ctx.storage.get<number>(ROUND_KEY) ?? 0;
    this.highestBallotSeen = this.acceptor.promised;
    for (const vote of ctx.storage.log<Vote>(CHOSEN_LOG)) this.apply(ctx, vote, true);
    this.learner = new Learner(this.quorum, this.bugs.has('learnAcrossBallots'), this.lastApplied);
    this.recordState(ctx);
    if (this.lastApplied > 0 || this.acceptor.promised > 0) {
      ctx.note(`restarted: replayed ${this.lastApplied} chosen slots from disk; promised ballot ${this.acceptor.promised}`);
    }
    ctx.setTimer(TICK, this.config.heartbeatIntervalUs);
    this.resetElectionTimer(ctx);
  }

  onMessage(ctx: Ctx, from: NodeId, msg: PaxosMessage): void {
    switch (msg.type) {
      case 'Probe':
        this.onProbe(ctx, from, msg);
        break;
      case 'ProbeReply':
        this.onProbeReply(ctx, from, msg);
        break;
      case 'Prepare':
        this.onPrepare(ctx, from, msg);
        break;
      case 'Promise':
        this.onPromise(ctx, from, msg);
        break;
      case 'Accept':
        this.onAccept(ctx, from, msg);
        break;
      case 'Accepted':
        this.onAccepted(ctx, from, msg);
        break;
      case 'Nack':
        this.onNack(ctx, from, msg);
        break;
      case 'Heartbeat':
        this.onHeartbeat(ctx, from, msg);
        break;
      case 'HeartbeatAck':
        this.onHeartbeatAck(ctx, from, msg);
        break;
      case 'Forward':
        if (this.lead === null || this.lead.ballot !== msg.ballot) this.refuse(ctx, msg.route, msg.ballot, false);
        else this.submit(ctx, msg.route, msg.req, msg.readMode);
        break;
      case 'ForwardRefused':
        this.onForwardRefused(ctx, from, msg);
        break;
      case 'SyncReq':
        if (this.lead === null || this.lead.ballot !== msg.ballot) {
          ctx.send(from, { type: 'ForwardRefused', clientId: msg.clientId, requestId: msg.requestId, ballot: msg.ballot, definite: true });
        } else {
          this.startSync(ctx, from, msg.clientId, msg.requestId);
        }
        break;
      case 'SyncOk':
        this.service.syncConfirmed(ctx, msg.clientId, msg.requestId, msg.readIndex);
        break;
      case 'CatchUpReq':
        this.onCatchUpReq(ctx, from, msg.fromSlot);
        break;
      case 'CatchUp':
        this.onCatchUp(ctx, msg);
        break;
    }
    this.commit.flush();
  }

  onTimer(ctx: Ctx, timer: string): void {
    if (timer === TICK) {
      ctx.setTimer(TICK, this.config.heartbeatIntervalUs);
      if (this.lead !== null) this.leaderTick(ctx, this.lead);
      else if (this.candidacy !== null) this.candidateTick(ctx, this.candidacy);
      this.service.sweep(ctx);
    } else if (timer === ELECTION) {
      if (this.role === 'LEADER') return;
      if (this.role === 'CANDIDATE' || this.probe !== null) this.failedElections++;
      if (this.config.preVote) this.startProbe(ctx);
      else this.startCandidacy(ctx);
    }
    this.commit.flush();
  }

  onClient(ctx: Ctx, req: ClientRequest): void {
    this.service.onClient(ctx, req);
    this.commit.flush();
  }

  onSync(ctx: Ctx, syncId: number): void {
    this.commit.onSync(ctx, syncId);
  }

  // ---------------------------------------------------------------- acceptor

  private onPrepare(ctx: Ctx, from: NodeId, msg: PrepareMsg): void {
    this.observeBallot(msg.ballot);
    // Ballots are unique per proposer, so an equal ballot is the same proposer's
    // retransmission (or a duplicated datagram): answer it again.
    if (msg.ballot < this.acceptor.promised) return this.nack(ctx, from, msg.ballot);
    if (this.acceptor.promise(msg.ballot)) this.commit.markWritten();
    this.yieldTo(ctx, msg.ballot, from);
    const { ballot, fromSlot } = msg;
    const accepted = this.acceptor.votesFrom(fromSlot);
    const promise: PromiseMsg = { type: 'Promise', ballot, fromSlot, accepted };
    this.afterPersisted(ctx, from, promise);
  }

  private onAccept(ctx: Ctx, from: NodeId, msg: AcceptMsg): void {
    this.observeBallot(msg.ballot);
    const belowPromise = msg.ballot < this.acceptor.promised;
    // The promise forbids voting below it; the bug votes anyway (keeping the promise).
    if (belowPromise && !this.bugs.has('acceptBelowPromise')) return this.nack(ctx, from, msg.ballot);
    if (!belowPromise) {
      if (this.acceptor.promise(msg.ballot)) this.commit.markWritten();
      this.yieldTo(ctx, msg.ballot, from);
      this.heardFromLeader(ctx, from, msg.ballot);
    }
    for (const entry of msg.entries) {
      if (this.acceptor.vote(entry)) this.commit.markWritten();
    }
    const accepted: AcceptedMsg = { type: 'Accepted', ballot: msg.ballot, entries: msg.entries };
    this.afterPersisted(ctx, BROADCAST, accepted);
  }

  /** Replies only once the promise or vote is durable; the volatileAcceptor bug replies at once. */
  private afterPersisted(ctx: Ctx, to: NodeId, reply: DurableReply): void {
    if (this.volatileAcceptor) this.sendReply(ctx, to, reply);
    else this.commit.afterDurable(ctx, to, reply);
  }

  /** An acceptor's reply, due now: recorded (the vote or promise is on disk, or the bug skips the disk) and sent. */
  private sendReply(ctx: Ctx, to: NodeId, reply: DurableReply): void {
    if (reply.type === 'Promise') {
      ctx.record('promise', { ballot: reply.ballot, fromSlot: reply.fromSlot, votes: reply.accepted.length });
      ctx.send(to, reply);
      return;
    }
    const ballot = reply.ballot;
    for (const entry of reply.entries) ctx.record('accepted', { slot: entry.slot, ballot, value: entry.value.id, label: commandLabel(entry.value) });
    for (const server of ctx.servers) ctx.send(server, reply);
  }

  private nack(ctx: Ctx, to: NodeId, ballot: number): void {
    const nack: NackMsg = { type: 'Nack', ballot, promised: this.acceptor.promised };
    ctx.send(to, nack);
  }

  // ---------------------------------------------------------------- learner

  private onAccepted(ctx: Ctx, from: NodeId, msg: AcceptedMsg): void {
    for (const entry of msg.entries) {
      const chosen = this.learner.vote(from, entry);
      if (chosen !== null) this.onLearned(ctx, chosen.vote, 'quorum', chosen.voters);
    }
    this.applyLearned(ctx);
  }

  /** `voters`: the quorum whose Accepted this learner counted (none for catch-up). */
  private onLearned(ctx: Ctx, vote: Vote, via: 'quorum' | 'catch-up', voters?: readonly NodeId[]): void {
    ctx.record('chosen', { slot: vote.slot, ballot: vote.ballot, value: vote.value.id, via, voters });
    const lead = this.lead;
    if (lead === null) return;
    const proposal = lead.proposals.get(vote.slot);
    if (proposal !== undefined) lead.proposals.delete(vote.slot);
    const overtaken = proposal !== undefined ? proposal.value.id !== vote.value.id : vote.slot >= lead.nextSlot;
    if (overtaken) this.stepDown(ctx, `slot ${vote.slot} was chosen with a value this leader did not propose there`);
  }

  private applyLearned(ctx: Ctx): void {
    let applied = false;
    for (let vote = this.learner.next(); vote !== undefined; vote = this.learner.next()) {
      this.apply(ctx, vote, false);
      applied = true;
    }
    if (applied) this.service.afterApply(ctx);
  }

  /** Executes a chosen slot on the tree (in slot order), or replays one from disk. */
  private apply(ctx: Ctx, vote: Vote, replay: boolean): void {
    const slot = vote.slot;
    if (slot !== this.lastApplied + 1) throw new Error(`node ${this.id}: applying slot ${slot} after ${this.lastApplied}`);
    const command = vote.value;
    const outcome = applyCommand(this.tree, this.owners, command, slot, this.config.staleTxnGuard);
    this.lastApplied = slot;
    ctx.record('commit', {
      index: slot,
      label: `slot ${slot}`,
      origin: command.origin,
      originSeq: command.originSeq,
      txn: command.txn,
      command: command.kind,
      value: command.id,
      ballot: vote.ballot,
      stale: outcome.stale ? true : undefined,
      moved: outcome.moved ? true : undefined,
      replay: replay ? true : undefined,
    });
    if (outcome.stale && !replay) {
      ctx.note(`slot ${slot}: discarded ${command.id}, a txn ${command.origin} computed against a state this log never had (its primary order is broken)`);
    }
    if (outcome.moved && !replay) {
      const owner = this.owners.get(command.route!.sessionId);
      ctx.note(
        `slot ${slot}: refused ${command.id} (${commandLabel(command)}): it came through server ${command.route!.server}, ` +
          `but session ${command.route!.sessionId} moved to server ${owner?.server ?? '?'} (SESSIONMOVED, nothing changed)`,
      );
    }
    if (replay) return;
    ctx.storage.append(CHOSEN_LOG, vote);
    this.commit.markWritten();
    if (this.lead !== null) this.trackSession(ctx, this.lead, command);
    this.service.onApplied(ctx, slot, command, outcome);
  }

  private onCatchUpReq(ctx: Ctx, from: NodeId, fromSlot: number): void {
    const log = ctx.storage.log<Vote>(CHOSEN_LOG);
    const last = Math.min(this.lastApplied, fromSlot + this.config.catchUpBatch - 1);
    const entries: Vote[] = [];
    for (let slot = Math.max(1, fromSlot); slot <= last && log[slot - 1]?.slot === slot; slot++) entries.push(log[slot - 1]);
    if (entries.length > 0) ctx.send(from, { type: 'CatchUp', entries });
  }

  private onCatchUp(ctx: Ctx, msg: CatchUpMsg): void {
    for (const vote of msg.entries) if (this.learner.learn(vote)) this.onLearned(ctx, vote, 'catch-up');
    this.applyLearned(ctx);
    this.maybeCatchUp(ctx, true);
  }

  /** Asks the leader for slots it had chosen a heartbeat ago that this learner still lacks. */
  private maybeCatchUp(ctx: Ctx, again: boolean): void {
    const leader = this.leader;
    if (leader === null || leader === this.id || this.learner.prefix >= this.catchUpTarget) return;
    if (!again && ctx.nowUs - this.lastCatchUpUs < this.config.catchUpRetryUs) return;
    this.lastCatchUpUs = ctx.nowUs;
    ctx.note(`behind the leader (chosen up to slot ${this.catchUpTarget}, applied ${this.learner.prefix}): asking node ${leader} for slots from ${this.learner.prefix + 1}`);
    ctx.send(leader, { type: 'CatchUpReq', fromSlot: this.learner.prefix + 1 });
  }

  // ---------------------------------------------------------------- followers

  private onHeartbeat(ctx: Ctx, from: NodeId, msg: HeartbeatMsg): void {
    this.observeBallot(msg.ballot);
    if (msg.ballot < this.acceptor.promised) return this.nack(ctx, from, msg.ballot);
    this.yieldTo(ctx, msg.ballot, from);
    this.heardFromLeader(ctx, from, msg.ballot);
    // Touches the leader we follow has received are done; the others go (again) with the ack.
    if (this.leader === from && this.leaderBallot === msg.ballot) this.service.touchesConfirmed(msg.touchStampsUs[this.id] ?? -1);
    const stampUs = ctx.nowUs;
    const ack: HeartbeatAckMsg = { type: 'HeartbeatAck', ballot: msg.ballot, seq: msg.seq, chosenPrefix: this.learner.prefix, touches: this.service.reportTouches(stampUs), stampUs };
    ctx.send(from, ack);
    if (this.leader === from) {
      this.catchUpTarget = Math.max(this.catchUpTarget, this.latestLeaderPrefix);
      this.latestLeaderPrefix = Math.max(this.latestLeaderPrefix, msg.chosenPrefix);
      this.maybeCatchUp(ctx, false);
    }
  }

  private heardFromLeader(ctx: Ctx, from: NodeId, ballot: number): void {
    if (this.role !== 'FOLLOWER' || from === this.id) return;
    this.lastLeaderContactUs = ctx.nowUs;
    this.probe = null;
    this.setLeader(ctx, from, ballot);
    this.failedElections = 0;
    this.resetElectionTimer(ctx);
  }

  /** A ballot above this node's own (or its leader's) is in play: stop leading, or following, the old one. */
  private yieldTo(ctx: Ctx, ballot: number, from: NodeId): void {
    if (this.role !== 'FOLLOWER') {
      if (ballot > this.ownBallot) this.stepDown(ctx, `node ${from} runs ballot ${ballot}, above this node's ${this.ownBallot}`);
    } else if (this.leader !== null && ballot > this.leaderBallot && from !== this.leader) {
      this.setLeader(ctx, null, 0);
    }
  }

  private onNack(ctx: Ctx, from: NodeId, msg: NackMsg): void {
    this.observeBallot(msg.promised);
    if (this.role !== 'FOLLOWER' && msg.ballot === this.ownBallot && msg.promised > msg.ballot) {
      this.stepDown(ctx, `node ${from} promised ballot ${msg.promised}, above this node's ${msg.ballot}`);
    }
  }

  private observeBallot(ballot: number): void {
    if (ballot > this.highestBallotSeen) this.highestBallotSeen = ballot;
  }

  // ---------------------------------------------------------------- candidates

  /** The round a new candidacy would use: above every ballot this node has seen or used. */
  private nextRound(): number {
    const scheme = this.scheme;
    return Math.max(this.maxRound, roundOf(scheme, this.acceptor.promised), roundOf(scheme, this.highestBallotSeen)) + 1;
  }

  /** Pre-vote: ask whether a quorum would take part in phase 1, without raising any ballot. */
  private startProbe(ctx: Ctx): void {
    const ballot = makeBallot(this.scheme, this.nextRound(), this.id);
    this.candidacy = null;
    this.role = 'FOLLOWER';
    this.probe = { ballot, grants: new Set([this.id]) };
    this.setLeader(ctx, null, 0);
    this.recordState(ctx);
    ctx.note(`no leader heard: asking whether a quorum would run phase 1 with ballot ${ballot} (pre-vote)`);
    const probe: ProbeMsg = { type: 'Probe', ballot };
    for (const server of ctx.servers) if (server !== this.id) ctx.send(server, probe);
    this.resetElectionTimer(ctx);
    if (this.probe.grants.size >= this.quorum) this.startCandidacy(ctx);
  }

  private onProbe(ctx: Ctx, from: NodeId, msg: ProbeMsg): void {
    // A live leader makes the probe pointless: refuse to help depose it.
    const leaderAlive = this.role === 'LEADER' || (this.leader !== null && ctx.nowUs - this.lastLeaderContactUs < this.config.leaderStickinessUs);
    const reply: ProbeReplyMsg = { type: 'ProbeReply', ballot: msg.ballot, ok: !leaderAlive && msg.ballot > this.acceptor.promised, promised: this.acceptor.promised };
    ctx.send(from, reply);
  }

  private onProbeReply(ctx: Ctx, from: NodeId, msg: ProbeReplyMsg): void {
    this.observeBallot(msg.promised);
    const probe = this.probe;
    if (probe === null || msg.ballot !== probe.ballot || !msg.ok) return;
    probe.grants.add(from);
    if (probe.grants.size >= this.quorum) this.startCandidacy(ctx);
  }

  private startCandidacy(ctx: Ctx): void {
    const scheme = this.scheme;
    const round = this.nextRound();
    // Durable before use: a restarted proposer must never reuse a ballot with another value.
    this.maxRound = round;
    ctx.storage.putDurable(ROUND_KEY, round);
    const ballot = makeBallot(scheme, round, this.id);
    this.probe = null;
    this.lead = null;
    this.role = 'CANDIDATE';
    this.candidacy = new Candidacy(ballot, this.learner.prefix + 1, ctx.nowUs);
    this.setLeader(ctx, null, 0);
    this.recordState(ctx);
    ctx.note(`no leader heard: running phase 1 with ballot ${ballot} for slots ≥ ${this.learner.prefix + 1}`);
    const prepare: PrepareMsg = { type: 'Prepare', ballot, fromSlot: this.candidacy.fromSlot };
    for (const server of ctx.servers) ctx.send(server, prepare);
    this.resetElectionTimer(ctx);
  }

  private candidateTick(ctx: Ctx, candidacy: Candidacy): void {
    if (ctx.nowUs - candidacy.lastSentUs < this.config.prepareRetryUs) return;
    candidacy.lastSentUs = ctx.nowUs;
    const prepare: PrepareMsg = { type: 'Prepare', ballot: candidacy.ballot, fromSlot: candidacy.fromSlot };
    for (const server of ctx.servers) if (!candidacy.promises.has(server)) ctx.send(server, prepare);
  }

  private onPromise(ctx: Ctx, from: NodeId, msg: PromiseMsg): void {
    const candidacy = this.candidacy;
    if (candidacy === null || msg.ballot !== candidacy.ballot || candidacy.promises.has(from)) return;
    candidacy.promises.set(from, msg);
    if (candidacy.promises.size >= this.quorum) this.becomeLeader(ctx, candidacy);
  }

  // ---------------------------------------------------------------- leader

  private becomeLeader(ctx: Ctx, candidacy: Candidacy): void {
    this.candidacy = null;
    const ballot = candidacy.ballot;
    const recovered = recoverSlots(candidacy.promises.values(), this.bugs.has('pickFirstNotHighest'));
    let maxSlot = Math.max(this.lastApplied, this.learner.maxLearned);
    for (const slot of recovered.keys()) if (slot > maxSlot) maxSlot = slot;
    const lead = new LeaderState(this.id, ballot, ctx.nowUs, ctx.servers.length, this.tree.clone(), this.owners.clone(), this.config.heartbeatIntervalUs);
    this.lead = lead;
    this.role = 'LEADER';
    this.failedElections = 0;
    ctx.cancelTimer(ELECTION);
    this.setLeader(ctx, this.id, ballot);
    ctx.record('election', { leader: this.id, epoch: ballot, fromSlot: candidacy.fromSlot, promises: [...candidacy.promises.keys()] });
    const entries: Vote[] = [];
    let reproposed = 0;
    for (let slot = this.lastApplied + 1; slot <= maxSlot; slot++) {
      let value = this.learner.learnedAt(slot)?.value;
      if (value === undefined) {
        // The ignorePromisedValue bug proposes its own value (a no-op) over reported votes.
        const reported = this.bugs.has('ignorePromisedValue') ? undefined : recovered.get(slot);
        value = reported?.value ?? this.noop(ballot, slot);
        if (reported !== undefined) reproposed++;
        entries.push({ slot, ballot, value });
        this.recordPropose(ctx, slot, value, lead, reported !== undefined);
        lead.proposals.set(slot, { value, sentUs: ctx.nowUs });
      }
      applyCommand(lead.specTree, lead.specOwners, value, slot, this.config.staleTxnGuard);
    }
    lead.nextSlot = maxSlot + 1;
    // Like ZooKeeper's new leader: every open session gets a full timeout from now to reach it.
    for (const [sessionId, session] of this.tree.sessions) lead.sessions.track(sessionId, session.timeoutUs, ctx.nowUs);
    ctx.note(
      `leader with ballot ${ballot}: promises from {${[...candidacy.promises.keys()].join(', ')}}; ` +
        `re-proposing ${reproposed} reported value(s), filling ${entries.length - reproposed} gap(s) with no-ops; new commands from slot ${lead.nextSlot}`,
    );
    if (entries.length > 0) {
      const accept: AcceptMsg = { type: 'Accept', ballot, entries };
      for (const server of ctx.servers) ctx.send(server, accept);
    }
    this.broadcastHeartbeat(ctx, lead, ++lead.heartbeatSeq);
  }

  /**
   * The leader applied a session's creation (its clock starts now, after its creation)
   * or its close (no longer tracked). A closeSession discarded as stale leaves the
   * session open: it is tracked again.
   */
  private trackSession(ctx: Ctx, lead: LeaderState, command: Command): void {
    const txn = command.txn;
    if (txn === undefined || (txn.type !== 'createSession' && txn.type !== 'closeSession')) return;
    const session = this.tree.sessions.get(txn.sessionId);
    if (session === undefined) lead.sessions.remove(txn.sessionId);
    else if (!lead.sessions.has(txn.sessionId)) lead.sessions.track(txn.sessionId, session.timeoutUs, ctx.nowUs);
  }

  private noop(ballot: number, slot: number): Command {
    return { id: `n${this.id}.b${ballot}.noop${slot}`, kind: 'noop', origin: originOf(ballot), originSeq: 0, ballot };
  }

  /**
   * A write, quorum read or session change reaches the leader: prepare it against the
   * speculative tree (ZooKeeper's PrepRequestProcessor) and propose it in the next slot.
   * Returns false if refused (too many slots in flight).
   */
  private submit(ctx: Ctx, route: Route, req: ZkRequest | MoveSessionRequest, readMode: ReadMode | undefined): void {
    const lead = this.lead!;
    // Forwards travel as datagrams: a duplicate, or one overtaken by a later request of
    // the same client, must not be executed (twice, or out of the client's order).
    // Within this ballot this map tells; across ballots the forward's ballot tag does.
    const last = lead.lastRequestId.get(route.clientId);
    if (last !== undefined && route.requestId <= last) return;
    lead.lastRequestId.set(route.clientId, route.requestId);
    if (lead.proposals.size >= this.config.maxInflightSlots) return this.refuse(ctx, route, lead.ballot, true);
    if (req.op === 'moveSession') {
      // A reconnect: ordered like a write, so that the new connection owns the session
      // from this slot on and everything chosen before it is applied before the client
      // is told it is connected (sessions.ts, SessionOwners).
      lead.sessions.touch(route.sessionId, ctx.nowUs);
      const slot = lead.nextSlot++;
      const value: Command = { id: `${lead.idPrefix}m${++lead.moveSeq}`, kind: 'move', origin: lead.origin, originSeq: 0, ballot: lead.ballot, route };
      applyCommand(lead.specTree, lead.specOwners, value, slot, this.config.staleTxnGuard);
      return this.propose(ctx, lead, slot, value);
    }
    if (!isWriteRequest(req) && readMode !== 'quorum') return this.refuse(ctx, route, lead.ballot, true);
    const slot = lead.nextSlot++;
    const origin = lead.origin;
    let value: Command;
    if (!isWriteRequest(req)) {
      value = { id: `${lead.idPrefix}r${++lead.readSeq}`, kind: 'read', origin, originSeq: 0, ballot: lead.ballot, read: req, route };
    } else {
      if (req.op === 'createSession') {
        // As a ZooKeeper server does: the session timeout is clamped into the server's bounds.
        const timeoutUs = Math.min(Math.max(req.timeoutUs, this.config.minSessionTimeoutUs), this.config.maxSessionTimeoutUs);
        value = this.prepare(lead, slot, { op: 'createSession', timeoutUs }, lead.newSessionId(), route);
      } else {
        value = this.prepare(lead, slot, req, route.sessionId, route);
      }
    }
    this.propose(ctx, lead, slot, value);
  }

  /** ZooKeeper's prep: the txn for `req`, computed against (and applied to) the speculative tree. */
  private prepare(lead: LeaderState, slot: number, req: ZkRequest, sessionId: number, route: Route | undefined): Command {
    const basis = lead.specTree.digest();
    const txn = prepRequest(lead.specTree, req, sessionId, slot);
    const originSeq = ++lead.txnSeq;
    const value: Command = { id: lead.idPrefix + originSeq, kind: 'txn', origin: lead.origin, originSeq, ballot: lead.ballot, txn, basis, route };
    applyCommand(lead.specTree, lead.specOwners, value, slot, this.config.staleTxnGuard);
    return value;
  }

  private refuse(ctx: Ctx, route: Route, ballot: number, definite: boolean): void {
    if (route.server === this.id) this.service.refused(ctx, route.clientId, route.requestId, definite);
    else ctx.send(route.server, { type: 'ForwardRefused', clientId: route.clientId, requestId: route.requestId, ballot, definite });
  }

  private onForwardRefused(ctx: Ctx, from: NodeId, msg: ForwardRefusedMsg): void {
    // A refusal because the receiver does not lead that ballot: this server's view of
    // the leader is stale; stop forwarding to it until a current leader shows up.
    if (!msg.definite && this.leader === from && this.leaderBallot === msg.ballot && this.role === 'FOLLOWER') this.setLeader(ctx, null, 0);
    this.service.refused(ctx, msg.clientId, msg.requestId, msg.definite);
  }

  private propose(ctx: Ctx, lead: LeaderState, slot: number, value: Command): void {
    // One value per slot per ballot: a second proposal here would break OneValuePerBallot.
    if (lead.proposals.has(slot) || slot <= this.lastApplied) throw new Error(`node ${this.id}: slot ${slot} proposed twice in ballot ${lead.ballot}`);
    lead.proposals.set(slot, { value, sentUs: ctx.nowUs });
    this.recordPropose(ctx, slot, value, lead, false);
    const accept: AcceptMsg = { type: 'Accept', ballot: lead.ballot, entries: [{ slot, ballot: lead.ballot, value }] };
    for (const server of ctx.servers) ctx.send(server, accept);
  }

  private recordPropose(ctx: Ctx, slot: number, value: Command, lead: LeaderState, recovered: boolean): void {
    ctx.record('propose', {
      index: slot,
      label: `slot ${slot}`,
      origin: value.origin,
      originSeq: value.originSeq,
      txn: value.txn,
      command: value.kind,
      value: value.id,
      ballot: lead.ballot,
      dependsOn: value.kind === 'txn' && value.originSeq > 1 && !recovered ? { origin: value.origin, originSeq: value.originSeq - 1 } : undefined,
      recovered: recovered ? true : undefined,
    });
  }

  private leaderTick(ctx: Ctx, lead: LeaderState): void {
    if (!this.hasLiveQuorum(ctx, lead)) {
      this.stepDown(ctx, `no heartbeat ack from a quorum for ${this.config.electionTimeoutUs} µs`);
      return;
    }
    this.broadcastHeartbeat(ctx, lead, ++lead.heartbeatSeq);
    for (const sessionId of this.service.takeTouches()) lead.sessions.touch(sessionId, ctx.nowUs);
    this.retransmitAccepts(ctx, lead);
    this.expireSessions(ctx, lead);
  }

  private hasLiveQuorum(ctx: Ctx, lead: LeaderState): boolean {
    const windowUs = this.config.electionTimeoutUs;
    if (ctx.nowUs - lead.sinceUs < windowUs) return true;
    let alive = 1;
    for (const server of ctx.servers) if (server !== this.id && ctx.nowUs - lead.lastAckUs[server] <= windowUs) alive++;
    return alive >= this.quorum;
  }

  private broadcastHeartbeat(ctx: Ctx, lead: LeaderState, seq: number): void {
    lead.ackSeq[this.id] = seq;
    const heartbeat: HeartbeatMsg = { type: 'Heartbeat', ballot: lead.ballot, seq, chosenPrefix: this.learner.prefix, touchStampsUs: lead.touchStamps() };
    for (const server of ctx.servers) if (server !== this.id) ctx.send(server, heartbeat);
    this.releaseSyncs(ctx, lead);
  }

  private onHeartbeatAck(ctx: Ctx, from: NodeId, msg: HeartbeatAckMsg): void {
    const lead = this.lead;
    if (lead === null || msg.ballot !== lead.ballot) return;
    if (msg.seq > lead.ackSeq[from]) lead.ackSeq[from] = msg.seq;
    lead.lastAckUs[from] = ctx.nowUs;
    if (msg.touches.length > 0) {
      lead.touchesReported(from, msg.stampUs);
      for (const sessionId of msg.touches) lead.sessions.touch(sessionId, ctx.nowUs);
    }
    this.releaseSyncs(ctx, lead);
  }

  private retransmitAccepts(ctx: Ctx, lead: LeaderState): void {
    const entries: Vote[] = [];
    for (const [slot, proposal] of lead.proposals) {
      if (ctx.nowUs - proposal.sentUs < this.config.acceptRetryUs) continue;
      proposal.sentUs = ctx.nowUs;
      entries.push({ slot, ballot: lead.ballot, value: proposal.value });
      if (entries.length >= this.config.catchUpBatch) break;
    }
    if (entries.length === 0) return;
    const accept: AcceptMsg = { type: 'Accept', ballot: lead.ballot, entries };
    for (const server of ctx.servers) ctx.send(server, accept);
  }

  /** The leader expires the sessions no server reported a client touch of within their timeout. */
  private expireSessions(ctx: Ctx, lead: LeaderState): void {
    for (const sessionId of lead.sessions.expired(ctx.nowUs)) {
      const session = this.tree.sessions.get(sessionId);
      // Closed meanwhile, or its client's closeSession is already proposed.
      if (session === undefined || !lead.specTree.hasSession(sessionId)) continue;
      if (lead.proposals.size >= this.config.maxInflightSlots) {
        lead.sessions.retry(sessionId, session.timeoutUs, ctx.nowUs); // no room for a slot: again at the next tick
        continue;
      }
      ctx.note(`session ${sessionId} expired (no touch reported for its timeout of ${session.timeoutUs} µs): proposing closeSession`);
      const slot = lead.nextSlot++;
      this.propose(ctx, lead, slot, this.prepare(lead, slot, { op: 'closeSession' }, sessionId, undefined));
    }
  }

  // ---------------------------------------------------------------- sync (read index)

  private startSync(ctx: Ctx, server: NodeId, clientId: number, requestId: number): void {
    const lead = this.lead!;
    const seq = ++lead.heartbeatSeq;
    lead.syncs.push({ server, clientId, requestId, readIndex: lead.nextSlot - 1, seq });
    this.broadcastHeartbeat(ctx, lead, seq);
  }

  /** Answers the sync requests whose heartbeat round a quorum acknowledged. */
  private releaseSyncs(ctx: Ctx, lead: LeaderState): void {
    while (lead.syncs.length > 0) {
      const sync = lead.syncs[0];
      let acks = 0;
      for (const seq of lead.ackSeq) if (seq >= sync.seq) acks++;
      if (acks < this.quorum) return;
      lead.syncs.shift();
      if (sync.server === this.id) this.service.syncConfirmed(ctx, sync.clientId, sync.requestId, sync.readIndex);
      else ctx.send(sync.server, { type: 'SyncOk', clientId: sync.clientId, requestId: sync.requestId, readIndex: sync.readIndex });
    }
  }

  // ---------------------------------------------------------------- roles

  private get ownBallot(): number {
    if (this.lead !== null) return this.lead.ballot;
    if (this.candidacy !== null) return this.candidacy.ballot;
    return 0;
  }

  private stepDown(ctx: Ctx, reason: string): void {
    const was = this.role;
    this.lead = null;
    this.candidacy = null;
    this.probe = null;
    this.role = 'FOLLOWER';
    this.setLeader(ctx, null, 0);
    this.recordState(ctx);
    ctx.note(`${was} → FOLLOWER: ${reason}`);
    // A candidacy pre-empted by a higher ballot failed as surely as one that timed out:
    // without counting it, two candidates whose phase 1 outlasts the election timeout
    // (a promise waits for the disk) pre-empt each other for ever at the base timeout.
    if (was === 'CANDIDATE') this.failedElections++;
    this.resetElectionTimer(ctx);
  }

  /** Changes whom this server forwards to; requests forwarded to the old leader are forgotten. */
  private setLeader(ctx: Ctx, leader: NodeId | null, ballot: number): void {
    if (leader === this.leader && ballot === this.leaderBallot) return;
    const hadLeader = this.leader !== null;
    this.leader = leader;
    this.leaderBallot = ballot;
    this.catchUpTarget = 0;
    this.latestLeaderPrefix = 0;
    if (hadLeader) this.service.leaderChanged(ctx);
    this.recordState(ctx);
  }

  private resetElectionTimer(ctx: Ctx): void {
    const baseUs = this.config.electionTimeoutUs;
    const spreadUs = baseUs * 2 ** Math.min(this.failedElections, this.config.electionBackoffMaxExponent);
    ctx.setTimer(ELECTION, baseUs + ctx.rng.int(spreadUs + 1));
  }

  private recordState(ctx: Ctx): void {
    const ballot = this.role === 'FOLLOWER' ? this.leaderBallot : this.ownBallot;
    const r = this.recorded;
    if (r.role === this.role && r.ballot === ballot && r.leader === this.leader) return;
    this.recorded = { role: this.role, ballot, leader: this.leader };
    ctx.record('state', { role: this.role, ballot, leader: this.leader });
  }

  // ---------------------------------------------------------------- ServiceHost

  forward(ctx: Ctx, route: Route, req: ZkRequest | MoveSessionRequest, readMode?: ReadMode): void {
    if (this.lead !== null) this.submit(ctx, route, req, readMode);
    else if (this.leader === null) this.service.refused(ctx, route.clientId, route.requestId, true);
    else ctx.send(this.leader, { type: 'Forward', ballot: this.leaderBallot, route, req, readMode });
  }

  requestSync(ctx: Ctx, clientId: number, requestId: number): void {
    if (this.lead !== null) this.startSync(ctx, this.id, clientId, requestId);
    else if (this.leader === null) this.service.refused(ctx, clientId, requestId, true);
    else ctx.send(this.leader, { type: 'SyncReq', ballot: this.leaderBallot, clientId, requestId });
  }

  // ---------------------------------------------------------------- inspection

  inspect(): NodeSnapshot {
    const slots: { slot: number; ballot: number; value: string; chosen: boolean }[] = [];
    const acceptor = this.acceptor;
    if (acceptor !== undefined) {
      const top = acceptor.highestVotedSlot;
      for (let slot = Math.max(1, top - 15); slot <= top; slot++) {
        const vote = acceptor.voteAt(slot);
        if (vote !== undefined) slots.push({ slot, ballot: vote.ballot, value: `${commandLabel(vote.value)} [${vote.value.id}]`, chosen: slot <= this.lastApplied });
      }
    }
    return {
      role: this.role,
      ballot: this.role === 'FOLLOWER' ? this.leaderBallot : this.ownBallot,
      promised: acceptor?.promised ?? 0,
      leader: this.leader,
      chosenPrefix: this.learner?.prefix ?? this.lastApplied,
      lastApplied: this.lastApplied,
      nextSlot: this.lead?.nextSlot,
      inflight: this.lead?.proposals.size,
      slots,
      treeDigest: this.tree.digest(),
      pendingRequests: this.service.pendingCount,
    };
  }
}
