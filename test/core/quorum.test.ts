/**
 * The shared majority quorum (sim/core/quorum.ts) against the obviously correct
 * definition, as etcd's raft tests its quorum package: a quorum of a voter set is a set
 * of distinct voters with more than half of them; non-voters (observers) and repeated
 * acknowledgements add nothing; a withdrawn vote no longer counts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasQuorum, QuorumTally, quorumSize } from '../../sim/core/quorum.js';

/** More than half of the voters, by counting distinct members. */
function isMajority(acks: readonly number[], voters: ReadonlySet<number>): boolean {
  const distinct = new Set(acks.filter((node) => voters.has(node)));
  return 2 * distinct.size > voters.size;
}

describe('majority quorums', () => {
  it('quorumSize is the smallest strict majority, so two quorums always intersect', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  it('QuorumTally and hasQuorum agree with the definition: distinct voters, observers and repeats ignored, withdrawn votes gone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        // Node ids 0..9: those at or above the voter count are observers.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.boolean()), { maxLength: 30 }),
        (voterCount, steps) => {
          const voters = new Set(Array.from({ length: voterCount }, (_, i) => i));
          const tally = new QuorumTally(voters);
          const acks: number[] = [];
          for (const [node, withdraw] of steps) {
            if (withdraw) {
              tally.remove(node);
              for (let i = acks.indexOf(node); i !== -1; i = acks.indexOf(node)) acks.splice(i, 1);
            } else {
              acks.push(node);
              expect(tally.add(node)).toBe(isMajority(acks, voters));
            }
            expect(tally.reached).toBe(isMajority(acks, voters));
            expect(tally.count).toBe(new Set(acks.filter((n) => voters.has(n))).size);
            expect(hasQuorum(acks, voters)).toBe(isMajority(acks, voters));
            for (let n = 0; n < 10; n++) expect(tally.has(n)).toBe(voters.has(n) && acks.includes(n));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an observer acknowledging never completes a quorum of three voters', () => {
    const tally = new QuorumTally(new Set([0, 1, 2]));
    expect(tally.add(0)).toBe(false);
    expect(tally.add(7)).toBe(false); // an observer
    expect(tally.add(0)).toBe(false); // a repeat
    expect(tally.members()).toEqual([0]);
    expect(tally.add(2)).toBe(true);
  });
});
