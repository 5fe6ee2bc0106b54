/**
 * The recipe checkers judge a session by the timeout the servers grant (2..20 ticks,
 * ZooKeeperServer.processConnectRequest), not the one the client asked for: a lock holder
 * paused for 800 ms with a requested 1,000 ms session but a granted 400 ms one lost its
 * session, and the lock checker names that hazard (h33 latchpause paxos 163).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { grantedSessionTimeoutUs, protocolAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { recipeContextOf, runScenario, workloadSpec } from '../../sim/scenario/run.js';

const FILE = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'paxos-lock-holder-paused-past-granted-session.json');

describe('the session timeout the recipe checkers use', () => {
  it('is the granted one: clamped to 20 ticks (400 ms at the default tickTime)', () => {
    const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
    expect(recipeContextOf(workloadSpec(scenario), [], [], false, undefined, { scenario, protocol: 'paxos' }).sessionTimeoutUs).toBe(400_000);
    expect(recipeContextOf(workloadSpec(scenario), [], []).sessionTimeoutUs).toBe(1_000_000);
  });

  it('so a holder paused past it is named as the hazard ZooKeeper does not prevent', () => {
    const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
    const result = runScenario(scenario, protocolAdapter('paxos'), { seed: scenario.seed });
    expect(result.recipe?.verdict).toBe('violated');
    expect(result.recipe?.summary).toMatch(/ZooKeeper does not promise more here: client 0 was paused from 387\.0 ms to 1187\.0 ms, longer than its session timeout \(400\.0 ms\)/);
    expect(result.ok).toBe(true);
  });
});

/** h36's shortsession paxos 13 without its faults: every recipe side by side, tickTime 2 ms, 4 ms sessions asked for. */
const shortTick = (electionTimeoutMs?: number): Scenario => ({
  title: 'short sessions, no faults',
  explanation: 'tickTime 2 ms; the clients ask for 4 ms sessions',
  protocols: ['paxos'],
  cluster: { servers: 5, tickTimeMs: 2, ...(electionTimeoutMs !== undefined ? { electionTimeoutMs } : {}) },
  network: { latency: { kind: 'uniform', minMs: 0.1, maxMs: 1 } },
  workload: { clients: 27, ratePerSec: 20, opsPerClient: 3, sessionTimeoutMs: 4, clientRecipes: ['lock', 'leader-latch', 'config', 'queue', 'membership', 'barrier', 'double-barrier', 'leader-selector', 'counter'] },
  durationMs: 1000,
  healMs: 2000,
});

describe('the shortest session a Paxos leader grants: four heartbeats', () => {
  it('2 ticks, or four heartbeats where those are longer (ZooKeeper: 2 ticks are four pings)', () => {
    expect(grantedSessionTimeoutUs(shortTick(), 'zab', 1_000)).toBe(4_000);
    expect(grantedSessionTimeoutUs(shortTick(), 'zab', 50_000)).toBe(40_000);
    expect(grantedSessionTimeoutUs(shortTick(), 'paxos', 1_000)).toBe(20_000); // heartbeat 5 ms
    expect(grantedSessionTimeoutUs(shortTick(200), 'paxos', 1_000)).toBe(200_000); // heartbeat 50 ms; above 20 ticks too
    expect(grantedSessionTimeoutUs(shortTick(8), 'paxos', 1_000)).toBe(8_000); // heartbeat 2 ms
    expect(grantedSessionTimeoutUs({ ...shortTick(), cluster: { servers: 3 } }, 'paxos', 1_000)).toBe(40_000); // 2 ticks of 20 ms
  });

  it('so no session expires without a fault (4 ms sessions under a 5 ms heartbeat: 82 to 158 expiries in the first second)', () => {
    const result = runScenario(shortTick(), protocolAdapter('paxos'), { seed: 13, keepTrace: true });
    const closes = result.trace!.events.filter((e) => e.kind === 'propose' && (e.txn as { type?: string } | undefined)?.type === 'closeSession' && e.timeUs < 1_000_000);
    expect(closes).toEqual([]);
  });
});
