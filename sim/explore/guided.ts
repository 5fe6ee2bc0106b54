/**
 * Breadth-first search from a guided start: a deep counterexample (a random walk's, or
 * any schedule that breaks an invariant) with its last `tail` steps cut off is the
 * prefix, and BFS searches every schedule of up to `tail` choices from there. What it
 * finds is the shortest way to break an invariant from that point: never longer than
 * the walk's tail, usually shorter, and it replays like any counterexample. The recovery
 * bugs lie 20-60 choices deep, beyond any exhaustive bound from the warm-up (the space
 * grows about 3× per choice); a walk finds the region, BFS the shortest way through it.
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { explore, type Counterexample, type ExploreOptions, type ExploreResult } from './search.js';

export interface GuidedResult {
  result: ExploreResult;
  /** Steps of the prefix BFS started from (the walk's schedule without its tail). */
  prefixSteps: number;
}

export function guidedBfs(scenario: Scenario, adapter: ProtocolAdapter, walk: Counterexample, tail: number, options: Omit<ExploreOptions, 'strategy' | 'maxDepth' | 'prefix'>): GuidedResult {
  if (!(Number.isInteger(tail) && tail >= 1)) throw new Error(`guidedBfs: tail must be a positive integer, got ${tail}`);
  // Never cut into the walk's own prefix (its warm-up): at most its `depth` choices go.
  const keep = walk.schedule.length - Math.min(tail, walk.depth);
  const prefix = walk.schedule.slice(0, keep);
  const result = explore(scenario, adapter, { ...options, strategy: 'bfs', maxDepth: walk.schedule.length - keep, prefix });
  return { result, prefixSteps: keep };
}
