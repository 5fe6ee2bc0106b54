/**
 * The explorer tests' small world: scenarios/explore/three-servers-two-writes.json, warmed
 * up in time order to just before the client's first write, with no fault budget unless
 * a test gives one. No use of the built CLI, so a test file that needs only this runs
 * in the mutation catalogue's copy without dist/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import type { Scenario } from '../../sim/scenario/types.js';
import type { ExploreOptions } from '../../sim/explore/search.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';

export const FILE = join(import.meta.dirname, '..', '..', 'scenarios', 'explore', 'three-servers-two-writes.json');
export const SCENARIO: Scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
/** Time order until just before the client's first write (385.5 ms with seed 1). */
export const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
export const NO_FAULTS: Budgets = { crashes: 0, partitions: 0, losses: 0, duplicates: 0, horizonUs: 1_000_000 };

/** A bfs to depth 4 (at most 5,000 states) after the warm-up, seed 1, unless overridden. */
export function options(overrides: Partial<ExploreOptions>): ExploreOptions {
  return { strategy: 'bfs', maxDepth: 4, maxStates: 5_000, budgets: NO_FAULTS, seed: 1, prefix: WARMUP, ...overrides };
}
