/**
 * The explorer's "sometimes" properties show a search was not vacuous, so each counts only
 * what happens after the warm-up (World.sometimes, against the baseline the prefix left):
 * a leader elected in the warm-up is not "leader established" (h55: counting it reported
 * the property at depth 0 for every warmed-up search, also one whose faults never led to
 * an election). Its own file, with no use of the built CLI, so that the mutation
 * catalogue can run it on a copy without a build.
 */
import { describe, expect, it } from 'vitest';
import { zabAdapter } from '../../sim/scenario/protocols.js';
import { explore } from '../../sim/explore/search.js';
import type { Budgets } from '../../sim/explore/scheduler.js';
import { NO_FAULTS, SCENARIO, options } from './three-servers.js';

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
