/**
 * The explorer's "sometimes" properties show a search was not vacuous, so each counts only
 * what happens after the warm-up (World.sometimes, against the baseline the prefix left):
 * a leader elected in the warm-up is not "leader established" (h55: counting it reported
 * the property at depth 0 for every warmed-up search, also one whose faults never led to
 * an election). Its own file, with no use of the built CLI, so that the mutation
 * catalogue can run it on a copy without a build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { zabAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { explore, type ExploreOptions } from '../../sim/explore/search.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';

const FILE = join(import.meta.dirname, '..', '..', 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO: Scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
/** Time order until just before the client's first write (385.5 ms with seed 1). */
const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
const NO_FAULTS: Budgets = { crashes: 0, partitions: 0, losses: 0, duplicates: 0, horizonUs: 1_000_000 };

function options(overrides: Partial<ExploreOptions>): ExploreOptions {
  return { strategy: 'bfs', maxDepth: 4, maxStates: 5_000, budgets: NO_FAULTS, seed: 1, prefix: WARMUP, ...overrides };
}

describe('"leader established" counts only an election after the warm-up', () => {
  it('not reached by a search without faults: the warm-up elected the only leader', () => {
    const result = explore(SCENARIO, zabAdapter, options({}));
    expect(result.violation).toBeNull();
    expect(result.sometimes['leader established']).toBeNull();
  });

  it('reached by a walk that crashes the leader, at a depth after the warm-up', () => {
    const crash: Budgets = { ...NO_FAULTS, crashes: 1 };
    const result = explore(SCENARIO, zabAdapter, options({ strategy: 'random', maxDepth: 60, maxStates: 3_000, budgets: crash, seed: 3 }));
    expect(result.violation).toBeNull();
    const depth = result.sometimes['leader established'];
    expect(depth).not.toBeNull();
    expect(depth).toBeGreaterThan(0);
  }, 120_000);
});
