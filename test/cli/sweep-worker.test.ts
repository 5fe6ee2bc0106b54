/**
 * A sweep worker's run (runJob) computes only what its verdict reads: the linearizability
 * search runs only when an expectation reads it. Its outcome must be the one the full
 * run gives: same verdict, failures, trace hash and figures.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import { runJob } from '../../sim/cli/sweep-worker.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { runFigures } from '../../sim/check/availability.js';

// Local reads from a follower the leader's link clogged for: a history that is not
// linearizable, with the invariants holding (scenarios/stale-local-reads.json).
const STALE: Scenario = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'stale-local-reads.json'), 'utf8')) as Scenario;

function fullOutcome(scenario: Scenario, seed: number) {
  const result = runScenario(scenario, protocolAdapter('zab'), { seed, name: 'job' });
  return { result, ok: result.ok, failed: failedExpectations(result).map((e) => `${e.name}: ${e.detail}`), traceHash: result.traceHash, events: result.events, availability: runFigures(result.availability) };
}

describe('sweep worker runs', () => {
  it('check linearizability when an expectation reads it: a non-linearizable history still decides the verdict', () => {
    const full = fullOutcome(STALE, 1);
    expect(full.result.linearizability.verdict).toBe('not-linearizable');
    const job = runJob({ index: 0, name: 'job', scenario: STALE, protocol: 'zab', seed: 1 });
    expect(job.ok).toBe(true);
    // Expecting the opposite fails the job, as the full run fails.
    const expectsLinearizable: Scenario = { ...STALE, expect: { ...STALE.expect, linearizable: true } };
    const failing = runJob({ index: 0, name: 'job', scenario: expectsLinearizable, protocol: 'zab', seed: 1 });
    expect(failing.ok).toBe(false);
    expect(failing.failed).toEqual(fullOutcome(expectsLinearizable, 1).failed);
    expect(failing.failed.some((f) => f.startsWith('history linearizable: not-linearizable'))).toBe(true);
  });

  it('skip the linearizability search no expectation reads, with the same outcome as the full run', () => {
    const { linearizable: _unread, ...expectRest } = STALE.expect ?? {};
    const unread: Scenario = { ...STALE, expect: expectRest };
    const verdictOnly = runScenario(unread, protocolAdapter('zab'), { seed: 1, name: 'job', verdictOnly: true });
    expect(verdictOnly.linearizability).toEqual({ verdict: 'skipped', ops: 0, explanation: 'not checked: no expectation of this run reads it (a verdict-only run)' });
    const full = fullOutcome(unread, 1);
    expect(full.result.linearizability.verdict).toBe('not-linearizable');
    const job = runJob({ index: 0, name: 'job', scenario: unread, protocol: 'zab', seed: 1 });
    expect({ ok: job.ok, failed: job.failed, traceHash: job.traceHash, events: job.events, availability: job.availability }).toEqual({
      ok: full.ok,
      failed: full.failed,
      traceHash: full.traceHash,
      events: full.events,
      availability: full.availability,
    });
  });
});
