/**
 * Majority quorums, shared by ZAB and Paxos. A quorum of `voters` is any set with more
 * than half of them; two quorums always intersect, which is what both protocols' safety
 * rests on. Counting is done over explicit voter sets so observers never count.
 */
import type { NodeId } from './node.js';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** True if the acknowledging nodes include a majority of the voters (each voter counted once, however often it appears). */
export function hasQuorum(acks: Iterable<NodeId>, voters: ReadonlySet<NodeId>): boolean {
  const counted = new Set<NodeId>();
  for (const node of acks) if (voters.has(node)) counted.add(node);
  return counted.size >= quorumSize(voters.size);
}

/** A reusable tally of distinct voters (e.g. ACKs for one proposal). */
export class QuorumTally {
  private readonly seen = new Set<NodeId>();
  private votes = 0;
  constructor(private readonly voters: ReadonlySet<NodeId>) {}

  /** Adds a vote; returns true if the tally has a quorum afterwards. */
  add(node: NodeId): boolean {
    if (this.voters.has(node) && !this.seen.has(node)) {
      this.seen.add(node);
      this.votes++;
    }
    return this.reached;
  }

  /** Withdraws a vote (the voter no longer vouches for it). */
  remove(node: NodeId): void {
    if (this.seen.delete(node)) this.votes--;
  }

  get reached(): boolean {
    return this.votes >= quorumSize(this.voters.size);
  }

  get count(): number {
    return this.votes;
  }

  has(node: NodeId): boolean {
    return this.seen.has(node);
  }

  members(): NodeId[] {
    return [...this.seen];
  }
}
