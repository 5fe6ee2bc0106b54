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
 * afford. An Accepted answers one Accept and carries its slots: a new leader's
 * re-proposals go out in one Accept, each new command in one of its own (a sync that
 * made several votes durable still releases one Accepted per Accept it covered).
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
  /**
   * How many of `voters` are filled: the array is made with room for a quorum, which is
   * as many as a tally ever gets (the slot is learned then), so it is full, and exactly
   * the quorum, when handed to the caller (a push would grow it to 17 slots).
   */
  voterCount: number;
  /** The slot's next tally (another ballot or value): rare, so a list, not an array per slot. */
  next: Tally | null;
}

/**
 * The slots above the prefix live in arrays indexed by `slot - prefix - 1` (shifted as
 * the prefix advances, trailing empty entries dropped), where maps of slot numbers cost
 * a hash, and an allocation as they grew and shrank, per slot per learner (a tenth of a
 * Paxos write's allocation). The arrays are a function of the learner's state alone, as
 * the maps were, so a state walk (sim/explore) tells the same states apart.
 */
export class Learner {
  /** Per unlearned slot: its tallies per (ballot, value), usually a single one. */
  private readonly tallies: (Tally | undefined)[] = [];
  /** Learned slots above the prefix (learned out of order, waiting for a gap). */
  private readonly learned: (Vote | undefined)[] = [];
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
   * Returns the slot's chosen vote (the vote that completed the quorum, itself) and its
   * quorum if this vote completed a quorum.
   */
  vote(acceptor: NodeId, vote: Vote): QuorumLearned | null {
    const { slot, ballot, value } = vote;
    if (slot <= this.prefix) return null;
    const index = slot - this.prefix - 1;
    if (this.learned[index] !== undefined) return null;
    const first = this.tallies[index];
    let tally: Tally | undefined;
    for (let candidate: Tally | null = first ?? null; candidate !== null; candidate = candidate.next) {
      // Chosen means a quorum voted for the same value in the *same* ballot. The bug
      // tallies per value only, adding up votes cast in different ballots.
      if (candidate.value.id === value.id && (this.acrossBallots || candidate.ballot === ballot)) {
        tally = candidate;
        break;
      }
    }
    if (tally === undefined) {
      // Appended last: tallies are searched in the order they started.
      tally = { ballot, value, voters: new Array<NodeId>(this.quorum), voterCount: 0, next: null };
      if (first === undefined) {
        this.tallies[index] = tally;
      } else {
        let last = first;
        while (last.next !== null) last = last.next;
        last.next = tally;
      }
    }
    const voters = tally.voters;
    for (let i = 0; i < tally.voterCount; i++) if (voters[i] === acceptor) return null;
    voters[tally.voterCount++] = acceptor;
    if (tally.voterCount < this.quorum) return null;
    // learn() forgets the slot's tallies: the voters list is the caller's from here on.
    this.learn(vote);
    return { vote, voters };
  }

  /** Learns a chosen value known some other way (catch-up). Returns true if it was new. */
  learn(vote: Vote): boolean {
    const slot = vote.slot;
    if (slot <= this.prefix) return false;
    const index = slot - this.prefix - 1;
    if (this.learned[index] !== undefined) return false;
    this.learned[index] = vote;
    const tallies = this.tallies;
    if (tallies[index] !== undefined) {
      tallies[index] = undefined;
      while (tallies.length > 0 && tallies[tallies.length - 1] === undefined) tallies.pop();
    }
    if (slot > this.maxLearned) this.maxLearned = slot;
    return true;
  }

  /** The learned value of slot prefix+1, if any; advances the prefix. */
  next(): Vote | undefined {
    const learned = this.learned;
    if (learned.length === 0 || learned[0] === undefined) return undefined;
    const vote = learned.shift()!;
    // A learned slot has no tally left: the tallies move down with the prefix.
    if (this.tallies.length > 0) this.tallies.shift();
    this.prefix++;
    return vote;
  }

  /** A learned value above the prefix (not yet handed out). */
  learnedAt(slot: number): Vote | undefined {
    return slot > this.prefix ? this.learned[slot - this.prefix - 1] : undefined;
  }

  /** Slots with votes but not learned (a scan: only tests ask). */
  get pendingTallies(): number {
    let count = 0;
    for (const tally of this.tallies) if (tally !== undefined) count++;
    return count;
  }
}
