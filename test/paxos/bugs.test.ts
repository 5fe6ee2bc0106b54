import { describe, expect, it } from 'vitest';
import { PAXOS_BUGS, type PaxosBug } from '../../sim/paxos/index.js';
import type { PaxosInvariant } from '../../sim/check/paxos/index.js';
import { BUG_SCENARIOS, bugRunOptions, forgottenPromise } from './scenarios.js';

/** The invariant each bug's seed scenario breaks first, and the others it breaks later. */
const EXPECTED: Record<PaxosBug, { first: PaxosInvariant; also: PaxosInvariant[] }> = {
  ignorePromisedValue: { first: 'ChosenStaysChosen', also: ['VotesSafe', 'Consensus'] },
  pickFirstNotHighest: { first: 'ChosenStaysChosen', also: ['VotesSafe', 'Consensus'] },
  acceptBelowPromise: { first: 'Consensus', also: ['VotesSafe'] },
  volatileAcceptor: { first: 'ChosenStaysChosen', also: ['VotesSafe', 'Consensus'] },
  duplicateBallots: { first: 'OneValuePerBallot', also: [] },
  learnAcrossBallots: { first: 'LearnersAgree', also: [] },
};

describe('injectable Paxos bugs: each seed scenario (PROTOCOLS.md §12) breaks its invariant', () => {
  for (const bug of PAXOS_BUGS) {
    it(`${bug}: caught as ${EXPECTED[bug].first}, and the run halts`, () => {
      const run = BUG_SCENARIOS[bug](bug, true);
      const violations = run.invariants.violations;
      expect(violations.length).toBeGreaterThan(0);
      expect(violations[0].invariant).toBe(EXPECTED[bug].first);
      expect(run.cluster.haltReason).toContain(EXPECTED[bug].first);
      const recorded = run.cluster.trace.events.filter((e) => e.kind === 'violation');
      expect(recorded[0]).toMatchObject({ invariant: EXPECTED[bug].first });
      expect((recorded[0].seqs as number[]).length).toBeGreaterThan(0);
    });

    it(`${bug}: not halted, the run goes on to break ${EXPECTED[bug].also.join(', ') || 'nothing else'}`, () => {
      const run = BUG_SCENARIOS[bug](bug, false);
      const seen = new Set(run.invariants.violations.map((v) => v.invariant));
      for (const invariant of [EXPECTED[bug].first, ...EXPECTED[bug].also]) expect(seen, invariant).toContain(invariant);
    });

    it(`${bug}: the checker finds the same violations from bare records (no events kept, no event listener)`, () => {
      const kept = BUG_SCENARIOS[bug](bug, false).invariants.violations;
      bugRunOptions.keepTrace = false;
      try {
        const bare = BUG_SCENARIOS[bug](bug, false);
        expect(bare.cluster.trace.keepEvents).toBe(false);
        expect(bare.invariants.violations).toEqual(kept);
      } finally {
        bugRunOptions.keepTrace = true;
      }
    });

    it(`${bug}: the same fault script on the correct protocol breaks nothing`, () => {
      const run = BUG_SCENARIOS[bug](null, true);
      expect(run.invariants.violations).toEqual([]);
    });
  }

  it('volatileAcceptor: a promise forgotten across a restart is caught as PromisesMonotone', () => {
    const run = forgottenPromise('volatileAcceptor', true);
    expect(run.invariants.violations.map((v) => v.invariant)).toEqual(['PromisesMonotone']);
    expect(forgottenPromise(null, true).invariants.violations).toEqual([]);
  });
});
