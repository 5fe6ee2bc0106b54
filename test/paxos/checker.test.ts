/**
 * The online Paxos checker against a dumb, obviously-correct one: random (even
 * illegal) sequences of promise / vote events in one slot, the invariants recomputed
 * from scratch after every event straight from their definitions (Voting.tla's
 * SafeAt over every ballot c < b, every quorum size), and the event at which each
 * invariant first breaks compared.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quorumSize } from '../../sim/core/quorum.js';
import type { TraceEvent } from '../../sim/core/trace.js';
import { checkPaxosTrace, type PaxosInvariant } from '../../sim/check/paxos/index.js';
import { checkPrimaryOrder } from '../../sim/check/primary-order.js';

type Step = { kind: 'promise'; acceptor: number; ballot: number } | { kind: 'vote'; acceptor: number; ballot: number; value: 'v' | 'w' };

function toEvents(steps: Step[]): TraceEvent[] {
  return steps.map((step, seq) =>
    step.kind === 'promise'
      ? { timeUs: seq, seq, node: step.acceptor, kind: 'promise', ballot: step.ballot }
      : { timeUs: seq, seq, node: step.acceptor, kind: 'accepted', slot: 1, ballot: step.ballot, value: step.value },
  );
}

/** For each invariant, the index of the first step after which it is false (by definition). */
function bruteForce(steps: Step[], acceptors: number): Map<PaxosInvariant, number> {
  const q = quorumSize(acceptors);
  const votes: { acceptor: number; ballot: number; value: string }[] = [];
  const maxBal = new Array<number>(acceptors).fill(0);
  const first = new Map<PaxosInvariant, number>();
  const votedFor = (a: number, c: number, v: string) => votes.some((x) => x.acceptor === a && x.ballot === c && x.value === v);
  const votedAt = (a: number, c: number) => votes.some((x) => x.acceptor === a && x.ballot === c);
  const chosenAt = (c: number, v: string) => new Set(votes.filter((x) => x.ballot === c && x.value === v).map((x) => x.acceptor)).size >= q;
  const ballots = () => [...new Set(votes.map((x) => x.ballot))];
  steps.forEach((step, index) => {
    const broken = (invariant: PaxosInvariant) => {
      if (!first.has(invariant)) first.set(invariant, index);
    };
    if (step.kind === 'promise') {
      if (step.ballot < maxBal[step.acceptor]) broken('PromisesMonotone');
      maxBal[step.acceptor] = Math.max(maxBal[step.acceptor], step.ballot);
      return;
    }
    // ChosenStaysChosen is about the vote being cast: compare with what was chosen before it.
    for (const c of ballots()) {
      for (const v of ['v', 'w']) if (chosenAt(c, v) && step.ballot > c && step.value !== v) broken('ChosenStaysChosen');
    }
    votes.push({ acceptor: step.acceptor, ballot: step.ballot, value: step.value });
    maxBal[step.acceptor] = Math.max(maxBal[step.acceptor], step.ballot);
    for (const x of votes) for (const y of votes) if (x.ballot === y.ballot && x.value !== y.value) broken('OneValuePerBallot');
    const chosenValues = new Set<string>();
    for (const c of ballots()) for (const v of ['v', 'w']) if (chosenAt(c, v)) chosenValues.add(v);
    if (chosenValues.size > 1) broken('Consensus');
    // VotesSafe: every vote <b, v> is SafeAt(b, v), over every c < b.
    for (const { ballot: b, value: v } of votes) {
      for (let c = 0; c < b; c++) {
        let count = 0;
        for (let a = 0; a < acceptors; a++) if (votedFor(a, c, v) || (maxBal[a] > c && !votedAt(a, c))) count++;
        if (count < q) broken('VotesSafe');
      }
    }
  });
  return first;
}

const stepArb = (acceptors: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('promise' as const), acceptor: fc.nat(acceptors - 1), ballot: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ kind: fc.constant('vote' as const), acceptor: fc.nat(acceptors - 1), ballot: fc.integer({ min: 1, max: 6 }), value: fc.constantFrom('v' as const, 'w' as const) }),
  );

describe('Paxos invariant checker', () => {
  it('agrees with the definitions on when each invariant first breaks (3 and 5 acceptors)', () => {
    for (const acceptors of [3, 5]) {
      fc.assert(
        fc.property(fc.array(stepArb(acceptors), { maxLength: 14 }), (steps) => {
          const expected = bruteForce(steps, acceptors);
          const violations = checkPaxosTrace(toEvents(steps), acceptors);
          const actual = new Map<PaxosInvariant, number>();
          for (const violation of violations) if (!actual.has(violation.invariant)) actual.set(violation.invariant, violation.seqs[violation.seqs.length - 1]);
          // Once a ballot holds two values the checker stops counting the second vote
          // (the run would have halted there): compare the events before it, and that one.
          expect(actual.get('OneValuePerBallot')).toBe(expected.get('OneValuePerBallot'));
          const cutoff = expected.get('OneValuePerBallot') ?? Infinity;
          const before = (m: Map<PaxosInvariant, number>) => [...m].filter(([, index]) => index < cutoff).sort();
          expect(before(actual)).toEqual(before(expected));
        }),
        { numRuns: Number(process.env.CHECKER_RUNS ?? 3_000) },
      );
    }
  }, 60_000);

  it('names the invariant, explains it, and points at the events', () => {
    const steps: Step[] = [
      { kind: 'promise', acceptor: 0, ballot: 1 },
      { kind: 'promise', acceptor: 1, ballot: 1 },
      { kind: 'vote', acceptor: 0, ballot: 1, value: 'v' },
      { kind: 'vote', acceptor: 1, ballot: 1, value: 'v' },
      { kind: 'promise', acceptor: 1, ballot: 2 },
      { kind: 'promise', acceptor: 2, ballot: 2 },
      { kind: 'vote', acceptor: 2, ballot: 2, value: 'w' },
    ];
    const [violation] = checkPaxosTrace(toEvents(steps), 3);
    expect(violation.invariant).toBe('ChosenStaysChosen');
    expect(violation.message).toBe('slot 1: "v" was chosen at ballot 1, yet acceptor 2 voted for "w" at higher ballot 2');
    expect(violation.seqs).toEqual([2, 3, 6]);
  });

  it('flags a learner that learns or executes a value no quorum chose in one ballot', () => {
    // a0 votes v at ballot 3, a2 votes v at ballot 5: no quorum in either ballot.
    const steps: Step[] = [
      { kind: 'promise', acceptor: 0, ballot: 3 },
      { kind: 'promise', acceptor: 1, ballot: 3 },
      { kind: 'vote', acceptor: 0, ballot: 3, value: 'v' },
      { kind: 'promise', acceptor: 1, ballot: 5 },
      { kind: 'promise', acceptor: 2, ballot: 5 },
      { kind: 'vote', acceptor: 2, ballot: 5, value: 'v' },
    ];
    const events = toEvents(steps);
    events.push({ timeUs: 6, seq: 6, node: 2, kind: 'chosen', slot: 1, ballot: 5, value: 'v' });
    const violations = checkPaxosTrace(events, 3);
    expect(violations.map((v) => v.invariant)).toEqual(['LearnersAgree']);
    expect(violations[0].message).toBe('node 2 learned v in slot 1, but nothing is chosen there yet (no quorum voted for it in one ballot)');
  });
});

describe('primary-order check', () => {
  const commit = (seq: number, node: number, origin: string, originSeq: number, extra: Record<string, unknown> = {}): TraceEvent => ({
    timeUs: seq,
    seq,
    node,
    kind: 'commit',
    index: seq,
    origin,
    originSeq,
    ...extra,
  });

  it('holds for a primary-ordered sequence, across primaries, restarts and no-op fillers', () => {
    const events = [
      commit(0, 0, 'zab:e1', 1),
      commit(1, 0, 'zab:e1', 2),
      commit(2, 0, 'paxos:b7', 0, { command: 'noop' }),
      commit(3, 0, 'zab:e2', 1),
      { timeUs: 4, seq: 4, node: 0, kind: 'crash' },
      commit(5, 0, 'zab:e1', 1, { replay: true }),
      commit(6, 0, 'zab:e1', 2, { replay: true }),
      commit(7, 1, 'zab:e2', 2), // node 1 got e1 and e2#1 by snapshot
    ];
    // Replays re-apply the node's own log: part of its sequence, not new commits.
    expect(checkPrimaryOrder(events)).toEqual({ ok: true, violations: [], commits: 4, discarded: 0 });
  });

  it('counts only applied txns: a txn the stale-txn guard discarded is no violation and no commit', () => {
    const events = [commit(0, 0, 'paxos:b1', 1), commit(1, 0, 'paxos:b1', 3, { stale: true, txn: { type: 'setData', path: '/x' } }), commit(2, 0, 'paxos:b2', 1)];
    const result = checkPrimaryOrder(events);
    expect(result.violations).toEqual([]);
    expect(result.commits).toBe(2);
    expect(result.discarded).toBe(1);
    expect(result.firstDiscarded).toBe('node 0 discarded txn #3 of paxos:b1 (setData /x) at apply time: it was chosen without #2 of the same primary, which it was computed against');
    // The second txn of a primary names its first as missing too.
    const second = checkPrimaryOrder([commit(0, 0, 'paxos:b1', 2, { stale: true, txn: { type: 'setData', path: '/x' } })]);
    expect(second.firstDiscarded).toBe('node 0 discarded txn #2 of paxos:b1 (setData /x) at apply time: it was chosen without #1 of the same primary, which it was computed against');
  });

  it('a proposal replayed from the log and then truncated neither counts, nor excuses a gap, nor outranks what follows the TRUNC', () => {
    const truncate = (seq: number, node: number): TraceEvent => ({ timeUs: seq, seq, node, kind: 'truncate', zxid: 0, label: '1:2' });
    const events = [
      commit(0, 0, 'zab:e1', 1),
      commit(1, 0, 'zab:e1', 2),
      // Server 0 fast-forwards a proposal of epoch 2 it logged but nobody committed...
      commit(2, 0, 'zab:e2', 1, { replay: true }),
      // ...and server 1 its log after a restart: 1:3 and 1:4, committed by now, and 1:5, which nobody committed.
      commit(3, 1, 'zab:e1', 3, { replay: true }),
      commit(3, 1, 'zab:e1', 4, { replay: true }),
      commit(3, 1, 'zab:e1', 5, { replay: true }),
      // The next leader TRUNCates server 0 back to 1:2: its tree is rebuilt from its log.
      truncate(4, 0),
      commit(5, 0, 'zab:e1', 3, { sync: true }),
      // A server that never had 1:5 delivers 1:6: 1:5 was only replayed, never committed.
      commit(6, 2, 'zab:e1', 6),
    ];
    const result = checkPrimaryOrder(events);
    expect(result.commits).toBe(4);
    // No GlobalPrimaryOrder on server 0: the epoch-2 txn it replayed was truncated away.
    expect(result.violations.map((v) => [v.invariant, v.node])).toEqual([['LocalPrimaryOrder', 2]]);
    expect(result.violations[0].message).toMatch(/^node 2 committed txn #6 of zab:e1 .* without #5 of the same primary/);
  });

  it('reports a txn committed without, or before, its predecessor (local) and after a newer primary (global)', () => {
    const result = checkPrimaryOrder([commit(0, 0, 'paxos:b2', 1), commit(1, 0, 'paxos:b1', 2, { txn: { type: 'setData', path: '/x' } })]);
    expect(result.violations.map((v) => v.invariant)).toEqual(['LocalPrimaryOrder', 'GlobalPrimaryOrder']);
    expect(result.violations[0].message).toBe(
      'node 0 committed txn #2 of paxos:b1 (setData /x) without #1 of the same primary, which it was computed against — not a Paxos bug, but the reason ZAB exists',
    );
    expect(result.violations[1].seqs).toEqual([0, 1]);
    const swapped = checkPrimaryOrder([commit(0, 3, 'zab:e1', 2), commit(1, 3, 'zab:e1', 1)]);
    // One report per node, invariant and primary.
    expect(swapped.violations.map((v) => v.message)).toEqual(['node 3 committed txn #2 of zab:e1 (commit 0) without #1 of the same primary, which it was computed against']);
    const late = checkPrimaryOrder([commit(0, 3, 'zab:e1', 1), commit(1, 3, 'zab:e1', 3), commit(2, 3, 'zab:e1', 2)]);
    expect(late.violations.map((v) => v.message)).toEqual(['node 3 committed txn #3 of zab:e1 (commit 1) without #2 of the same primary, which it was computed against']);
  });
});
