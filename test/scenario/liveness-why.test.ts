/**
 * A liveness failure says why when the protocol's own timers explain it. A ZAB server cut
 * off during the story backs its FastLeaderElection notification timeout off (200 ms,
 * doubling up to 60 s; a notification received restarts the wait at the current length).
 * Healed, it hears nothing from the settled ensemble until it votes again, so it may join
 * only after the quiet time: ZooKeeper does the same. Found in h59's generated queue runs
 * (q070, zab seed 1): "server 2 has not delivered the committed 2:478" with no word of
 * why; with a longer quiet time the same run converges.
 */
import { describe, expect, it } from 'vitest';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import type { Scenario } from '../../sim/scenario/types.js';

const STORY: Scenario = {
  title: 'a server cut off by a bridge partition until the story ends',
  explanation: 'Five servers, six queue clients; a pause, a crash, a leader crash and two bridge partitions, the last one healed only by the quiet time.',
  cluster: { servers: 5 },
  workload: { clients: 6, ratePerSec: 10, readMode: 'sync', sessionTimeoutMs: 1000, recipe: 'queue' },
  durationMs: 10_000,
  seed: 1,
  faults: [
    { atMs: 500, action: 'pause', target: 'any', durationMs: 150 },
    { atMs: 1000, action: 'pause-client', client: 1, durationMs: 200 },
    { atMs: 1115, action: 'crash', target: 'any', durationMs: 2500 },
    { atMs: 4011, action: 'crash', target: 'leader', durationMs: 150 },
    { atMs: 5701, action: 'partition', shape: 'bridge' },
    { atMs: 5851, action: 'heal' },
    { atMs: 7732, action: 'partition', shape: 'bridge' },
  ],
} as Scenario;

const run = (scenario: Scenario) => runScenario(scenario, protocolAdapter('zab'), { seed: 1, protocol: 'zab', verdictOnly: true });

describe('a liveness failure explained by the election backoff', () => {
  it('names the server still electing and when it votes again, after the quiet time', () => {
    const result = run(STORY);
    expect(result.liveness.status).toBe('failed');
    expect(result.liveness.problems.join('; ')).toContain('server 2 has not delivered');
    expect(result.liveness.why).toHaveLength(1);
    const why = result.liveness.why![0];
    expect(why).toMatch(/^server 2 is still electing \(round 3, voting for 4\)/);
    const [, againS, endS] = /again only at ([\d.]+) s, after the quiet time ended at ([\d.]+) s/.exec(why)!;
    expect(Number(againS)).toBeGreaterThan(Number(endS));
    expect(Number(endS)).toBe(13);
    // The failed expectation carries the reason too.
    expect(failedExpectations(result).map((e) => e.detail).join(' ')).toContain('a quiet time (healMs) too short for this story, not a bug');
  });

  it('the same story with a longer quiet time converges, and a passing run says nothing', () => {
    const result = run({ ...STORY, healMs: 8000 });
    expect(result.liveness.status).toBe('ok');
    expect(result.liveness.why).toBeUndefined();
  });
});
