/**
 * The acceptor's state: the highest ballot it promised (`promised`, TLA+'s maxBal) and,
 * per slot, its latest vote (ballot, value). Both are durable: the promise is one value,
 * the votes an append-only log replayed on restart (a later entry for a slot replaces an
 * earlier one). Callers persist before replying (see GroupCommit).
 *
 * The promise is global to all slots, as in Multi-Paxos: one Prepare covers every slot
 * from `fromSlot` on, so a stable leader runs phase 1 once.
 *
 * Under the `volatileAcceptor` bug nothing is written, so a restart forgets everything.
 *
 * Nothing is ever compacted: the votes (in memory and in the log) grow with every slot,
 * and a restart replays the whole log (8,412 votes after 45 simulated seconds of a busy
 * run, h54). A real Multi-Paxos deployment truncates below a snapshot of the state
 * machine (Paxos Made Live, §5.5); ZAB's side here does (snapshots, committedLog, TRUNC).
 * The runs this simulator makes are seconds long, so the contrast is left as it is.
 */
import type { Storage } from '../core/node.js';
import type { Vote } from './messages.js';

export const PROMISED_KEY = 'paxos.promised';
export const VOTES_LOG = 'paxos.votes';

export class Acceptor {
  promised = 0;
  /** Votes by slot (slots are dense from 1: an array indexed by slot, not a map that rehashes as it grows). */
  private readonly votes: (Vote | undefined)[] = [];
  private maxVotedSlot = 0;

  constructor(
    private readonly storage: Storage,
    /** False under the volatileAcceptor bug. */
    readonly persistent: boolean,
  ) {}

  /** Rebuilds the state from durable storage (boot or restart). */
  load(): void {
    if (!this.persistent) return;
    this.promised = this.storage.get<number>(PROMISED_KEY) ?? 0;
    for (const vote of this.storage.log<Vote>(VOTES_LOG)) {
      this.votes[vote.slot] = vote;
      if (vote.slot > this.maxVotedSlot) this.maxVotedSlot = vote.slot;
    }
  }

  /** Raises the promise to `ballot` if higher. Returns true if something was written. */
  promise(ballot: number): boolean {
    if (ballot <= this.promised) return false;
    this.promised = ballot;
    if (!this.persistent) return false;
    this.storage.put(PROMISED_KEY, ballot);
    return true;
  }

  /** Records a vote (the object itself: votes are immutable). Returns true if something was written. */
  vote(vote: Vote): boolean {
    const slot = vote.slot;
    const current = this.votes[slot];
    if (current !== undefined && current.ballot === vote.ballot && current.value.id === vote.value.id) return false;
    this.votes[slot] = vote;
    if (slot > this.maxVotedSlot) this.maxVotedSlot = slot;
    if (!this.persistent) return false;
    this.storage.append(VOTES_LOG, vote);
    return true;
  }

  voteAt(slot: number): Vote | undefined {
    return this.votes[slot];
  }

  /** Every vote in slots ≥ fromSlot, in slot order (what a Promise reports). */
  votesFrom(fromSlot: number): Vote[] {
    const result: Vote[] = [];
    for (let slot = Math.max(1, fromSlot); slot <= this.maxVotedSlot; slot++) {
      const vote = this.votes[slot];
      if (vote !== undefined) result.push(vote);
    }
    return result;
  }

  get highestVotedSlot(): number {
    return this.maxVotedSlot;
  }
}
