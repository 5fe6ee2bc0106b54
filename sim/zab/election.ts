/**
 * Fast Leader Election (FastLeaderElection.lookForLeader and its WorkerReceiver),
 * PROTOCOLS.md §2.
 *
 * A LOOKING server starts a round (logicalclock + 1), votes for itself with its
 * (currentEpoch, last zxid) and tells every voter. It adopts any better vote it hears
 * in its round (or jumps to a newer round, re-voting from its own initial vote), and
 * records every voter's latest vote in `recvset`. When its own vote has a quorum there,
 * it waits `finalizeWait` for a better vote; if none comes it decides: LEADING if the
 * vote is for itself, else FOLLOWING (OBSERVING for an observer).
 *
 * Servers that already decided answer LOOKING peers with their current vote. A LOOKING
 * server collects those in `outofelection` and, once a quorum agrees on a leader that
 * itself reports LEADING, joins that established ensemble (ZOOKEEPER-1732/1818).
 *
 * When nothing arrives for the notification timeout, the server re-sends its vote; the
 * timeout starts at finalizeWait and doubles up to maxNotificationInterval.
 *
 * FLE does not by itself guarantee that the winner holds every committed txn: Discovery
 * re-checks that no follower is ahead (leader.ts).
 */
import { quorumSize } from '../core/quorum.js';
import type { NodeContext } from '../core/node.js';
import type { ZabConfig } from './config.js';
import type { Notification, ServerState, ZabMessage } from './messages.js';
import { isBetterVote, NO_VOTE, sameVote, whyBetter, type ReceivedVote, type Vote } from './vote.js';

export const FLE_TIMER = 'fle';
export const FINALIZE_TIMER = 'finalize';

/** What the election needs from its server. */
export interface ElectionHost {
  readonly id: number;
  readonly voters: ReadonlySet<number>;
  readonly isObserver: boolean;
  readonly role: ServerState;
  readonly currentEpoch: number;
  /** The vote's zxid: the in-memory tree's lastProcessedZxid (ZooKeeper's getLastLoggedZxid). */
  lastLoggedZxid(): number;
  format(zxid: number): string;
  /** FLE decided: follow (or lead, if leader === id) with this final vote. */
  decide(ctx: NodeContext<ZabMessage>, leader: number, reason: string): void;
}

export class FastLeaderElection {
  /** logicalclock: the election round. */
  round = 0;
  /** The vote this server currently proposes (while LOOKING) or decided on. */
  proposal: Vote = NO_VOTE;
  /** The round in which the current vote was decided (answered to LOOKING peers). */
  private voteRound = 0;
  private voteState: ServerState = 'LOOKING';
  private readonly recvset = new Map<number, ReceivedVote>();
  private readonly outOfElection = new Map<number, ReceivedVote>();
  private notTimeoutUs: number;
  /** Own vote has a quorum: waiting finalizeWait for a better one. */
  private finalizing = false;

  constructor(
    private readonly host: ElectionHost,
    private readonly config: ZabConfig,
  ) {
    this.notTimeoutUs = config.finalizeWaitUs;
  }

  private readonly hasWeight = (sid: number): boolean => this.host.voters.has(sid);

  /** The vote this server answers with ({leader, zxid, round, state, peerEpoch}). */
  currentVote(): ReceivedVote {
    const p = this.proposal;
    return { leader: p.leader, zxid: p.zxid, peerEpoch: p.peerEpoch, electionEpoch: this.voteRound, state: this.voteState };
  }

  /** After a leader is established / a learner synced: advertise the new epoch (updateElectionVote). */
  updateElectionVote(epoch: number): void {
    this.proposal = { leader: this.proposal.leader, zxid: this.proposal.zxid, peerEpoch: epoch };
  }

  setVoteState(state: ServerState): void {
    this.voteState = state;
  }

  // ---------------------------------------------------------------- LOOKING

  private initialVote(): Vote {
    const host = this.host;
    if (!host.voters.has(host.id)) return NO_VOTE;
    return { leader: host.id, zxid: host.lastLoggedZxid(), peerEpoch: host.currentEpoch };
  }

  /** lookForLeader(): a new round, voting for itself. */
  start(ctx: NodeContext<ZabMessage>): void {
    this.round++;
    this.voteRound = this.round;
    this.voteState = 'LOOKING';
    this.recvset.clear();
    this.outOfElection.clear();
    this.finalizing = false;
    ctx.cancelTimer(FINALIZE_TIMER);
    this.notTimeoutUs = this.config.finalizeWaitUs;
    this.setProposal(ctx, this.initialVote(), this.host.voters.has(this.host.id) ? `round ${this.round}: votes for itself` : `round ${this.round}: an observer, proposes nobody`);
    this.sendNotifications(ctx);
    ctx.setTimer(FLE_TIMER, this.notTimeoutUs);
  }

  /** Leaves the LOOKING loop (decided, or the server stopped). */
  stop(ctx: NodeContext<ZabMessage>): void {
    this.finalizing = false;
    this.recvset.clear();
    this.outOfElection.clear();
    ctx.cancelTimer(FLE_TIMER);
    ctx.cancelTimer(FINALIZE_TIMER);
  }

  private setProposal(ctx: NodeContext<ZabMessage>, vote: Vote, reason: string): void {
    this.proposal = vote;
    ctx.record('vote', { leader: vote.leader, zxid: vote.zxid, epoch: vote.peerEpoch, round: this.round, reason });
  }

  private notification(state: ServerState): Notification {
    const p = this.proposal;
    return { type: 'NOTIFICATION', leader: p.leader, zxid: p.zxid, electionEpoch: this.round, state, sid: this.host.id, peerEpoch: p.peerEpoch };
  }

  /** sendNotifications(): the vote to every voter, this server included (handled in place). */
  private sendNotifications(ctx: NodeContext<ZabMessage>): void {
    const host = this.host;
    const n = this.notification('LOOKING'); // one immutable message for every voter
    for (const voter of host.voters) {
      if (voter !== host.id) ctx.send(voter, n);
    }
    if (host.voters.has(host.id)) this.onLookingNotification(ctx, host.id, n);
  }

  private reply(ctx: NodeContext<ZabMessage>, to: number): void {
    const v = this.currentVote();
    ctx.send(to, { type: 'NOTIFICATION', leader: v.leader, zxid: v.zxid, electionEpoch: v.electionEpoch, state: this.host.role, sid: this.host.id, peerEpoch: v.peerEpoch });
  }

  /** Every notification arrives here, whatever this server's state (the WorkerReceiver). */
  onNotification(ctx: NodeContext<ZabMessage>, from: number, n: Notification): void {
    const host = this.host;
    if (host.role !== 'LOOKING') {
      // A decided server tells a LOOKING peer whom it follows, so the peer can join.
      if (n.state === 'LOOKING') this.reply(ctx, from);
      return;
    }
    if (!host.voters.has(from)) {
      // Non-voters (observers) get an answer right away; their votes never count.
      this.reply(ctx, from);
      return;
    }
    if (n.state === 'LOOKING' && n.electionEpoch < this.round) {
      // A peer in an older round: tell it about the current one.
      ctx.send(from, this.notification('LOOKING'));
    }
    if (this.finalizing) {
      if (isBetterVote(n, this.proposal, this.hasWeight)) {
        this.finalizing = false;
        ctx.cancelTimer(FINALIZE_TIMER);
      } else {
        // Consumed while draining, as ZooKeeper's finalize loop does; keep waiting.
        ctx.setTimer(FINALIZE_TIMER, this.config.finalizeWaitUs);
        return;
      }
    }
    // A notification arrived: the poll restarts with the current timeout.
    ctx.setTimer(FLE_TIMER, this.notTimeoutUs);
    if (n.state === 'LOOKING') this.onLookingNotification(ctx, from, n);
    else if (n.state === 'FOLLOWING' || n.state === 'LEADING') this.onDecidedNotification(ctx, from, n);
    // OBSERVING notifications are ignored.
  }

  private onLookingNotification(ctx: NodeContext<ZabMessage>, from: number, n: Notification): void {
    const host = this.host;
    if (n.electionEpoch > this.round) {
      this.round = n.electionEpoch;
      this.voteRound = this.round;
      this.recvset.clear();
      const own = this.initialVote();
      if (isBetterVote(n, own, this.hasWeight)) {
        this.setProposal(ctx, { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch }, `joins round ${n.electionEpoch} of ${from}; votes for ${n.leader}: ${whyBetter(n, own, host.format)}`);
      } else {
        this.setProposal(ctx, own, `joins round ${n.electionEpoch} of ${from}; keeps voting for itself`);
      }
      this.sendNotifications(ctx);
    } else if (n.electionEpoch < this.round) {
      return;
    } else if (isBetterVote(n, this.proposal, this.hasWeight)) {
      const reason = `votes for ${n.leader} (heard from ${from}): ${whyBetter(n, this.proposal, host.format)}`;
      ctx.note(reason);
      this.setProposal(ctx, { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch }, reason);
      this.sendNotifications(ctx);
    }
    if (host.role !== 'LOOKING') return;
    this.recvset.set(from, { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch, electionEpoch: n.electionEpoch, state: 'LOOKING' });
    const p = this.proposal;
    const mine: ReceivedVote = { leader: p.leader, zxid: p.zxid, peerEpoch: p.peerEpoch, electionEpoch: this.round, state: 'LOOKING' };
    if (!this.finalizing && this.hasQuorum(this.recvset, mine)) {
      // The finalize drain replaces the poll: no re-sends meanwhile.
      this.finalizing = true;
      ctx.cancelTimer(FLE_TIMER);
      ctx.setTimer(FINALIZE_TIMER, this.config.finalizeWaitUs);
      ctx.note(`a quorum votes for ${p.leader} in round ${this.round}; waits ${this.config.finalizeWaitUs / 1000} ms for a better vote before deciding`);
    }
  }

  private onDecidedNotification(ctx: NodeContext<ZabMessage>, from: number, n: Notification): void {
    const vote: ReceivedVote = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch, electionEpoch: n.electionEpoch, state: n.state };
    if (n.electionEpoch === this.round) {
      this.recvset.set(from, vote);
      if (this.hasQuorum(this.recvset, vote) && this.checkLeader(this.recvset, n.leader, n.electionEpoch)) {
        this.finish(ctx, vote, `a quorum of round ${n.electionEpoch} follows ${n.leader}`);
        return;
      }
    }
    this.outOfElection.set(from, vote);
    if (this.hasQuorum(this.outOfElection, vote) && this.checkLeader(this.outOfElection, n.leader, n.electionEpoch)) {
      this.round = n.electionEpoch;
      this.finish(ctx, vote, `joins the established ensemble: a quorum follows ${n.leader} (epoch ${n.peerEpoch})`);
    }
  }

  /** The proposed leader itself reported LEADING (or it is this server, in the same round). */
  private checkLeader(votes: ReadonlyMap<number, ReceivedVote>, leader: number, electionEpoch: number): boolean {
    if (leader !== this.host.id) return votes.get(leader)?.state === 'LEADING';
    return this.round === electionEpoch;
  }

  private hasQuorum(votes: ReadonlyMap<number, ReceivedVote>, target: ReceivedVote): boolean {
    const voters = this.host.voters;
    let count = 0;
    for (const [sid, vote] of votes) if (voters.has(sid) && sameVote(vote, target)) count++;
    return count >= quorumSize(voters.size);
  }

  onTimer(ctx: NodeContext<ZabMessage>, timer: string): void {
    if (this.host.role !== 'LOOKING') return;
    if (timer === FINALIZE_TIMER) {
      if (!this.finalizing) return;
      const p = this.proposal;
      this.finish(ctx, { leader: p.leader, zxid: p.zxid, peerEpoch: p.peerEpoch, electionEpoch: this.round, state: 'LOOKING' }, `no better vote within ${this.config.finalizeWaitUs / 1000} ms`);
      return;
    }
    if (timer === FLE_TIMER && !this.finalizing) {
      // Nothing arrived within the timeout: re-send the vote and back off.
      this.sendNotifications(ctx);
      if (this.host.role !== 'LOOKING') return;
      this.notTimeoutUs = Math.min(this.notTimeoutUs * 2, this.config.maxNotificationIntervalUs);
      ctx.setTimer(FLE_TIMER, this.notTimeoutUs);
    }
  }

  private finish(ctx: NodeContext<ZabMessage>, vote: ReceivedVote, reason: string): void {
    const changed = vote.leader !== this.proposal.leader || vote.zxid !== this.proposal.zxid || vote.peerEpoch !== this.proposal.peerEpoch;
    this.proposal = { leader: vote.leader, zxid: vote.zxid, peerEpoch: vote.peerEpoch };
    this.voteRound = vote.electionEpoch;
    if (changed) ctx.record('vote', { leader: vote.leader, zxid: vote.zxid, epoch: vote.peerEpoch, round: this.round, reason });
    this.stop(ctx);
    this.host.decide(ctx, vote.leader, reason);
  }
}
