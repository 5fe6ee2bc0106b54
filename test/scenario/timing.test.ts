/**
 * The timing knobs a scenario sets, and those it does not: ZooKeeper's FastLeaderElection
 * waits its own constant finalizeWait (200 ms) whatever the tickTime, and both protocols'
 * servers clamp a client's session timeout into ZooKeeper's default bounds, 2 and 20 ticks.
 */
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { FLE_FINALIZE_WAIT_US } from '../../sim/zab/index.js';

function scenario(cluster: Scenario['cluster'], workload?: Scenario['workload']): Scenario {
  return validateScenario({ title: 'timing', explanation: 'Timing knobs.', protocols: ['zab', 'paxos'], cluster, ...(workload ? { workload } : {}), durationMs: 600, healMs: 0 }, 'timing.json');
}

/** When the first leader was elected (ZAB: its FLE decision) on a cold start. */
function firstDecisionUs(tickTimeMs: number): number {
  const result = runScenario(scenario({ servers: 3, tickTimeMs }), protocolAdapter('zab'), { seed: 1, keepTrace: true });
  const decided = result.trace!.events.find((e) => e.kind === 'state' && e.role === 'LEADING');
  return decided!.timeUs;
}

describe('ZAB: finalizeWait and maxNotificationInterval are FastLeaderElection constants', () => {
  it('a cold start decides after finalizeWait (200 ms), whatever the tickTime', () => {
    for (const tickTimeMs of [2, 20, 1_000]) {
      const decidedUs = firstDecisionUs(tickTimeMs);
      expect(decidedUs, `tickTime ${tickTimeMs} ms`).toBeGreaterThanOrEqual(FLE_FINALIZE_WAIT_US);
      expect(decidedUs, `tickTime ${tickTimeMs} ms`).toBeLessThan(FLE_FINALIZE_WAIT_US + 10_000);
    }
  });

  it('a tickTime above 600 ms runs (it once made finalizeWait exceed maxNotificationInterval)', () => {
    const result = runScenario(scenario({ servers: 3, tickTimeMs: 2_000 }), protocolAdapter('zab'), { seed: 1 });
    expect(result.invariants.ok).toBe(true);
  });
});

describe('session timeouts are clamped into [2, 20] ticks on both protocols', () => {
  const sessionTimeouts = (protocol: 'zab' | 'paxos', tickTimeMs: number, sessionTimeoutMs: number): number[] => {
    const result = runScenario(scenario({ servers: 3, tickTimeMs }, { clients: 1, opsPerClient: 1, sessionTimeoutMs }), protocolAdapter(protocol), { seed: 1, keepTrace: true });
    const created = result.trace!.events.filter((e) => e.kind === 'commit' && (e.txn as { type?: string } | undefined)?.type === 'createSession');
    return [...new Set(created.map((e) => (e.txn as { timeoutUs: number }).timeoutUs))];
  };
  for (const protocol of ['zab', 'paxos'] as const) {
    it(`${protocol}: below 2 ticks gets 2 ticks, above 20 ticks gets 20, in between as asked`, () => {
      expect(sessionTimeouts(protocol, 30, 1)).toEqual([60_000]);
      expect(sessionTimeouts(protocol, 30, 5_000)).toEqual([600_000]);
      expect(sessionTimeouts(protocol, 30, 250)).toEqual([250_000]);
    });
  }
});
