/**
 * Verdicts that say what happened: a run that halted at an invariant violation reports
 * the expectations it never got to evaluate as skipped (in the result and in the lab's
 * checks panel), and a cluster that has not caught up when the quiet time ends is a
 * liveness failure, not an Agreement violation.
 */
import { describe, expect, it } from 'vitest';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { readExpectations, type ReadsReport } from '../../sim/scenario/reads.js';
import type { SessionViolation } from '../../sim/check/reads.js';
import { expectationHeadline, expectationLines, livenessLine } from '../../web/src/verdicts.js';
import { haltedStory, STALLED } from '../helpers/verdict-stories.js';

describe('a run that halted at an invariant violation', () => {
  const result = runScenario(haltedStory(), protocolAdapter('zab'));
  const byName = (prefix: string) => result.expectations.find((e) => e.name.startsWith(prefix))!;

  it('says where it halted, and skips what only the rest of the run could show', () => {
    expect(result.halted).toMatchObject({ invariant: 'ProcessConsistency' });
    expect(result.liveness).toEqual({ status: 'skipped', problems: [] });
    for (const prefix of ['every operation completes', 'every server back in service', 'servers converge', 'at least 3 leader change']) {
      const e = byName(prefix);
      expect(e, prefix).toMatchObject({ status: 'skipped', ok: false });
      expect(e.detail, prefix).toMatch(/^skipped: the run halted at ProcessConsistency \(t=\d+\.\d ms\)/);
    }
  });

  it('judges what must never happen on what did run, and passes: the expected violation happened', () => {
    expect(byName('invariant ProcessConsistency violated').status).toBe('ok');
    expect(byName('at most 5 leader(s)').status).toBe('ok');
    expect(failedExpectations(result)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("the lab's checks panel shows them as skipped, never ✓", () => {
    const lines = expectationLines(result);
    const skipped = lines.filter((line) => line.text.startsWith('–'));
    expect(skipped).toHaveLength(4);
    for (const line of skipped) expect(line.tone).toBe('muted');
    expect(lines.filter((line) => line.text.startsWith('✓')).map((line) => line.text)).toEqual([
      '✓ invariant ProcessConsistency violated — violated: ProcessConsistency',
      '✓ at most 5 leader(s) — 1 leader(s) established',
      // What must never happen is judged on what ran: the reads until the halt.
      expect.stringMatching(/^✓ reads sequentially consistent per client — held over \d+ reads$/),
    ]);
    expect(expectationHeadline(result)).toEqual({ tone: 'good', text: '✓ 3 of 7 expectations of the scenario met, 4 skipped (the run halted at ProcessConsistency)' });
    expect(livenessLine(result)).toMatchObject({ tone: 'muted', text: expect.stringMatching(/^– Liveness not checked: the run halted at ProcessConsistency/) });
  });
});

describe('a cluster still behind when the quiet time ends', () => {
  it('ZAB: a liveness failure (server 0 has not caught up), not an Agreement violation', () => {
    const result = runScenario(STALLED, protocolAdapter('zab'));
    expect(result.invariants.violations).toEqual([]);
    expect(result.halted).toBeNull();
    expect(result.liveness.status).toBe('failed');
    // Server 0 was cut off for the whole story; others may still be applying the last commits.
    expect(result.liveness.problems[0]).toMatch(/^server 0 has not delivered the committed \d+:\d+ \(\d+ txn\(s\) behind\)$/);
    for (const problem of result.liveness.problems) expect(problem).toMatch(/^server \d has not delivered the committed \d+:\d+ \(\d+ txn\(s\) behind\)$/);
    const failed = failedExpectations(result);
    expect(failed.map((e) => e.name)).toEqual(['servers converge to the same tree']);
    expect(failed[0].detail).toMatch(/^not converged when the quiet time ended \(a liveness failure\): server 0 has not delivered/);
    expect(livenessLine(result)).toMatchObject({ tone: 'bad', text: expect.stringMatching(/^✗ Liveness: not converged when the quiet time ended \(no safety property broken\)/) });
  });

  it('Paxos: the same, told by where each server stands', () => {
    const result = runScenario(STALLED, protocolAdapter('paxos'));
    expect(result.invariants.violations).toEqual([]);
    expect(result.liveness.status).toBe('failed');
    expect(result.liveness.problems[0]).toMatch(/^the servers have not all applied the same txns \(last applied per server: 0: \d+, 1: \d+, 2: \d+; /);
  });

  it('given the default quiet time, the same story converges', () => {
    const { healMs: _healMs, ...story } = STALLED;
    for (const protocol of ['zab', 'paxos'] as const) {
      const result = runScenario(story, protocolAdapter(protocol));
      expect(result.liveness, protocol).toEqual({ status: 'ok', problems: [] });
      expect(result.ok, protocol).toBe(true);
    }
  });
});

describe('read expectations after an invariant broke', () => {
  const reads: ReadsReport = {
    modes: { local: 0, sync: 4, quorum: 0 },
    stale: { local: 0, sync: 0, quorum: 0 },
    deposedSyncReads: 0,
    staleDeposedSyncReads: 0,
    sequentialConsistency: { verdict: 'violated', reads: 4, violations: 1, first: [{ message: 'client 1 read an older state' } as SessionViolation] },
  };
  it('a read that breaks sequential consistency after the invariant that broke first is skipped, not met and not failed', () => {
    const [after] = readExpectations({}, reads, 'ProcessConsistency');
    expect(after).toMatchObject({ name: 'reads sequentially consistent per client', status: 'skipped' });
    expect(after.detail).toMatch(/^skipped: ProcessConsistency broke first, and the reads after it are its consequence/);
    const [alone] = readExpectations({}, reads, null);
    expect(alone.status).toBe('failed');
  });
});
