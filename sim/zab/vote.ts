/**
 * FLE votes and their order (FastLeaderElection.totalOrderPredicate, Vote.equals).
 *
 * A vote proposes a leader with that leader's (currentEpoch, last zxid). Votes are
 * ordered by (peerEpoch, zxid, sid), epoch first: a server with a newer currentEpoch
 * beats one with a longer log. That is what makes the ordering of "persist the history"
 * and "persist currentEpoch" matter (ZOOKEEPER-4643/4646, PROTOCOLS.md §11 B10/B11).
 */
import type { ServerState } from './messages.js';

export interface Vote {
  readonly leader: number;
  readonly zxid: number;
  /** The proposed leader's currentEpoch (FLE's peerEpoch). */
  readonly peerEpoch: number;
}

/** A vote as received: with the sender's round and state. */
export interface ReceivedVote extends Vote {
  readonly electionEpoch: number;
  readonly state: ServerState;
}

/** The vote of a server that must never win (observers, non-voters): ZooKeeper's Long.MIN_VALUE. */
export const NO_VOTE: Vote = Object.freeze({ leader: -1, zxid: -1, peerEpoch: -1 });

/**
 * True if `candidate` beats `current`: higher epoch, else higher zxid, else higher sid.
 * A vote for a server without voting weight (an observer) never wins.
 */
export function isBetterVote(candidate: Vote, current: Vote, hasWeight: (sid: number) => boolean): boolean {
  if (!hasWeight(candidate.leader)) return false;
  if (candidate.peerEpoch !== current.peerEpoch) return candidate.peerEpoch > current.peerEpoch;
  if (candidate.zxid !== current.zxid) return candidate.zxid > current.zxid;
  return candidate.leader > current.leader;
}

/**
 * Vote.equals: if either side is LOOKING, leader, zxid, round and epoch must all match;
 * between servers that already decided (FOLLOWING/LEADING), leader and epoch suffice, so
 * that a joiner can recognise an ensemble whose members' zxids have moved on.
 */
export function sameVote(a: ReceivedVote, b: ReceivedVote): boolean {
  if (a.state === 'LOOKING' || b.state === 'LOOKING') {
    return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
  }
  return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
}

/** Why `candidate` beats `current`, in words for the viewer. */
export function whyBetter(candidate: Vote, current: Vote, format: (zxid: number) => string): string {
  if (candidate.peerEpoch !== current.peerEpoch) return `higher epoch ${candidate.peerEpoch} (vs ${current.peerEpoch})`;
  if (candidate.zxid !== current.zxid) return `same epoch, higher zxid ${format(candidate.zxid)} (vs ${format(current.zxid)})`;
  return `same epoch and zxid ${format(candidate.zxid)}, higher id`;
}
