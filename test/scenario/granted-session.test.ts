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
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { recipeContextOf, runScenario, workloadSpec } from '../../sim/scenario/run.js';

const FILE = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'paxos-lock-holder-paused-past-granted-session.json');

describe('the session timeout the recipe checkers use', () => {
  it('is the granted one: clamped to 20 ticks (400 ms at the default tickTime)', () => {
    const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
    expect(recipeContextOf(workloadSpec(scenario), [], [], false, undefined, scenario).sessionTimeoutUs).toBe(400_000);
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
