/**
 * The learner's prefix (sim/paxos/learner.ts): every slot up to it is learned, handed out
 * and dropped from the learner's maps. A vote that arrives for such a slot — a late
 * Accepted of the quorum's last acceptor, or a new leader's re-proposal of the same value
 * in a higher ballot — must start no tally and learn nothing again: the prefix slot itself
 * included (mutant paxos-learner-prefix-off-by-one: `slot < prefix`, which leaves a tally
 * for the prefix slot behind for ever and reports the slot chosen a second time).
 */
import { describe, expect, it } from 'vitest';
import { Learner } from '../../sim/paxos/learner.js';
import type { Command } from '../../sim/paxos/messages.js';

const value = { id: 'n0.b1.1', kind: 'txn', origin: 'paxos:b1', originSeq: 1 } as unknown as Command;

describe('the learner', () => {
  it('learns a slot from a quorum of one ballot and hands it out in order', () => {
    const learner = new Learner(2, false, 0);
    expect(learner.vote(0, { slot: 1, ballot: 1, value })).toBeNull();
    expect(learner.vote(0, { slot: 1, ballot: 1, value })).toBeNull(); // a duplicate adds nothing
    expect(learner.vote(1, { slot: 1, ballot: 1, value })?.voters).toEqual([0, 1]);
    expect(learner.next()?.slot).toBe(1);
    expect(learner.prefix).toBe(1);
    expect(learner.pendingTallies).toBe(0);
  });

  it('a vote for the prefix slot, once handed out, starts no tally and learns nothing again', () => {
    const learner = new Learner(2, false, 0);
    learner.vote(0, { slot: 1, ballot: 1, value });
    learner.vote(1, { slot: 1, ballot: 1, value });
    expect(learner.next()?.slot).toBe(1);
    // The third acceptor's late Accepted, then a new leader re-proposing the slot in ballot 2.
    expect(learner.vote(2, { slot: 1, ballot: 1, value })).toBeNull();
    expect(learner.vote(0, { slot: 1, ballot: 2, value })).toBeNull();
    expect(learner.vote(1, { slot: 1, ballot: 2, value })).toBeNull();
    expect(learner.pendingTallies).toBe(0);
    expect(learner.learn({ slot: 1, ballot: 2, value })).toBe(false);
    expect(learner.next()).toBeUndefined();
  });

  it('the same for a slot below the prefix, and for a restart whose prefix came from disk', () => {
    const learner = new Learner(2, false, 5);
    expect(learner.vote(0, { slot: 5, ballot: 3, value })).toBeNull();
    expect(learner.vote(1, { slot: 5, ballot: 3, value })).toBeNull();
    expect(learner.vote(0, { slot: 4, ballot: 3, value })).toBeNull();
    expect(learner.vote(1, { slot: 4, ballot: 3, value })).toBeNull();
    expect(learner.pendingTallies).toBe(0);
  });

  it('keeps slots learned out of order, and half-counted slots, in place as the prefix passes earlier ones', () => {
    const other = { ...value, id: 'n1.b2.1' } as Command;
    const learner = new Learner(2, false, 0);
    // Slot 3 is learned first; slot 2 has one vote; slot 1 gets two values in two ballots (a tally each).
    learner.vote(0, { slot: 3, ballot: 1, value });
    expect(learner.vote(1, { slot: 3, ballot: 1, value })?.vote.slot).toBe(3);
    expect(learner.vote(0, { slot: 2, ballot: 1, value })).toBeNull();
    expect(learner.vote(0, { slot: 1, ballot: 1, value })).toBeNull();
    expect(learner.vote(1, { slot: 1, ballot: 2, value: other })).toBeNull();
    expect(learner.pendingTallies).toBe(2);
    expect(learner.next()).toBeUndefined();
    expect(learner.learnedAt(3)?.slot).toBe(3);
    // Slot 1's first tally (ballot 1) completes, the second one started meanwhile.
    expect(learner.vote(2, { slot: 1, ballot: 1, value })?.voters).toEqual([0, 2]);
    expect(learner.next()?.value.id).toBe('n0.b1.1');
    expect(learner.next()).toBeUndefined();
    // Slot 2's tally moved down with the prefix and still holds acceptor 0's vote.
    expect(learner.vote(0, { slot: 2, ballot: 1, value })).toBeNull();
    expect(learner.vote(1, { slot: 2, ballot: 1, value })?.voters).toEqual([0, 1]);
    expect(learner.next()?.slot).toBe(2);
    expect(learner.next()?.slot).toBe(3);
    expect(learner.next()).toBeUndefined();
    expect(learner.prefix).toBe(3);
    expect(learner.maxLearned).toBe(3);
    expect(learner.pendingTallies).toBe(0);
  });
});
