/**
 * The learner: counts Accepted messages and learns a slot's value once a quorum of
 * acceptors voted for the same (ballot, value) — the definition of "chosen" (PMS).
 * Learned slots are handed out strictly in slot order (`next`), because the state
 * machine must execute commands in order: a gap blocks execution until the slot is
 * learned, by a later quorum or by catch-up from a peer.
 *
 * Why every acceptor sends Accepted to every learner (rather than the leader deciding
 * and broadcasting Commit): learning then needs no leader at all, a slot is learned one
 * message delay after it is chosen, and a lost message to one learner does not hide the
 * decision from the others. It costs N² messages per slot, which the simulator can
 * afford; Accepted messages batch all slots a sync covered.
 */
import type { NodeId } from '../core/node.js';
import type { Command, Vote } from './messages.js';

/** A slot learned from a quorum of Accepted: the chosen vote and the acceptors that cast it. */
export interface QuorumLearned {
  readonly vote: Vote;
  /** Distinct acceptors, in the order their Accepted arrived. */
  readonly voters: readonly NodeId[];
}

interface Tally {
  readonly ballot: number;
  readonly value: Command;
  /** Distinct acceptors, in arrival order: a quorum is a handful, so an array's scan beats a Set (and allocates less: a Set per slot per learner was a tenth of a Paxos write's allocation). */
  readonly voters: NodeId[];
}

export class Learner {
  /** Per unlearned slot: votes per (ballot, value); usually a single entry. */
  private readonly tallies = new Map<number, Tally[]>();
  /** Learned slots above the prefix (learned out of order, waiting for a gap). */
  private readonly learned = new Map<number, Vote>();
  /** Every slot ≤ prefix has been learned and handed out. */
  prefix: number;
  maxLearned: number;

  constructor(
    private readonly quorum: number,
    /** The learnAcrossBallots bug. */
    private readonly acrossBallots: boolean,
    prefix: number,
  ) {
    this.prefix = prefix;
    this.maxLearned = prefix;
  }

  /**
   * Counts one acceptor's vote (once per acceptor: a duplicated Accepted adds nothing).
   * Returns the slot's chosen vote and its quorum if this vote completed a quorum.
   */
  vote(acceptor: NodeId, ballot: number, slot: number, value: Command): QuorumLearned | null {
    if (slot <= this.prefix || this.learned.has(slot)) return null;
    let bySlot = this.tallies.get(slot);
    if (bySlot === undefined) {
      bySlot = [];
      this.tallies.set(slot, bySlot);
    }
    let tally: Tally | undefined;
    for (const candidate of bySlot) {
      // Chosen means a quorum voted for the same value in the *same* ballot. The bug
      // tallies per value only, adding up votes cast in different ballots.
      if (candidate.value.id === value.id && (this.acrossBallots || candidate.ballot === ballot)) {
        tally = candidate;
        break;
      }
    }
    if (tally === undefined) {
      tally = { ballot, value, voters: [] };
      bySlot.push(tally);
    }
    const voters = tally.voters;
    if (voters.includes(acceptor)) return null;
    voters.push(acceptor);
    if (voters.length < this.quorum) return null;
    const chosen: Vote = { slot, ballot, value };
    // learn() forgets the slot's tallies: the voters list is the caller's from here on.
    this.learn(chosen);
    return { vote: chosen, voters };
  }

  /** Learns a chosen value known some other way (catch-up). Returns true if it was new. */
  learn(vote: Vote): boolean {
    if (vote.slot <= this.prefix || this.learned.has(vote.slot)) return false;
    this.learned.set(vote.slot, vote);
    this.tallies.delete(vote.slot);
    if (vote.slot > this.maxLearned) this.maxLearned = vote.slot;
    return true;
  }

  /** The learned value of slot prefix+1, if any; advances the prefix. */
  next(): Vote | undefined {
    const vote = this.learned.get(this.prefix + 1);
    if (vote === undefined) return undefined;
    this.learned.delete(vote.slot);
    this.prefix++;
    return vote;
  }

  /** A learned value above the prefix (not yet handed out). */
  learnedAt(slot: number): Vote | undefined {
    return this.learned.get(slot);
  }

  get pendingTallies(): number {
    return this.tallies.size;
  }
}
