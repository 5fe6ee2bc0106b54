/**
 * The checkers over the controlled scheduler (Stateright's BFS/DFS checkers, TLC's
 * breadth-first search, DSLabs' random walks), written for zablab:
 * - `bfs`: breadth-first, so the first violation found has a shortest schedule;
 * - `dfs`: depth-first to `maxDepth` (a state first met deep is explored again when
 *   met at a shallower depth, so the bound is exact);
 * - `random`: random walks from the initial state to `maxDepth`, seeded, until
 *   `maxStates` (no replay: one world per walk, so it is the fastest per state).
 * Every invariant the protocol's checker has is checked in every state (a violation
 * halts the run, exactly as in `zablab run`); "sometimes" properties prove the search
 * was not vacuous.
 *
 * A state is stored as (parent, choice index, depth). One world serves the whole
 * search: a state is reached by restoring the snapshot of its nearest ancestor that has
 * one (the initial state always has) and replaying the choices below it (world.ts,
 * snapshot.ts). A state being expanded is snapshotted once; each successor is that
 * snapshot restored (only the parts the last step touched) plus one step; the snapshot
 * is kept while successors of it wait in the queue, up to `maxSnapshots` kept at once
 * (beyond that a waiting state is reached by replaying from further up). Fingerprints
 * dedupe states (fingerprint.ts).
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { Rng } from '../core/rng.js';
import type { Budgets, ScheduleStep } from './scheduler.js';
import { SOMETIMES, World, type Sometimes, type WorldSnapshot } from './world.js';

export type Strategy = 'bfs' | 'dfs' | 'random';
export const STRATEGIES: readonly Strategy[] = ['bfs', 'dfs', 'random'];

export interface ExploreOptions {
  strategy: Strategy;
  maxDepth: number;
  maxStates: number;
  budgets: Budgets;
  seed: number;
  /** Steps before the search (see WorldOptions.prefix); every counterexample starts with them. */
  prefix?: readonly ScheduleStep[];
  /** Snapshots kept at once for waiting states (default DEFAULT_MAX_SNAPSHOTS): the memory bound. */
  maxSnapshots?: number;
  /** Called every `progressEvery` states generated (for a progress line). */
  onProgress?: (progress: ExploreProgress) => void;
  progressEvery?: number;
}

/**
 * The bound on snapshots kept at once. ZAB to depth 9 (3 servers) keeps about 10,800
 * at once and peaks at 1.4 GB resident, garbage included; beyond the bound a waiting
 * state is reached by replaying from a kept ancestor (slower, never wrong), so memory
 * stops growing with the frontier.
 */
export const DEFAULT_MAX_SNAPSHOTS = 20_000;

export interface ExploreProgress {
  /** States generated (every successor computed, duplicates included). */
  states: number;
  unique: number;
  depth: number;
  /** States waiting to be expanded. */
  queue: number;
}

export interface Counterexample {
  invariant: string;
  message: string;
  /** Choices after the prefix. */
  depth: number;
  /** The prefix, then the choices. */
  schedule: ScheduleStep[];
  /** The explored world's trace hash in the violating state (its events up to the violation). */
  traceHash: string;
}

export interface ExploreResult extends ExploreProgress {
  strategy: Strategy;
  maxDepth: number;
  /** Every reachable state within the bounds was explored (not stopped by maxStates or a violation). */
  exhausted: boolean;
  /** States at maxDepth that had successors: the depth bound cut the space there. */
  cutAtDepth: number;
  /** Steps taken to reach and expand states (replays included): the work behind the figures. */
  stepsReplayed: number;
  /** Snapshots taken, and restores (each writes back only the parts not in place). */
  snapshots: number;
  restores: number;
  violation: Counterexample | null;
  /** Each "sometimes" property and the depth where it was first reached (null: never). */
  sometimes: Record<Sometimes, number | null>;
}

interface Frontier {
  parent: number[];
  choice: number[];
  depth: number[];
}

class Explorer {
  readonly frontier: Frontier = { parent: [], choice: [], depth: [] };
  readonly visited = new Map<number, number>();
  states = 0;
  deepest = 0;
  cutAtDepth = 0;
  stepsReplayed = 0;
  snapshotsTaken = 0;
  restores = 0;
  violation: Counterexample | null = null;
  /** The one world every state is reached in. */
  readonly live: World;
  /** Snapshots of states with successors waiting in the queue (the initial state's is kept for good), and how many wait. */
  readonly snapshots = new Map<number, WorldSnapshot>();
  readonly waiting = new Map<number, number>();
  readonly sometimes = Object.fromEntries(SOMETIMES.map((name) => [name, null])) as Record<Sometimes, number | null>;
  private readonly seen = new Set<Sometimes>();

  constructor(
    readonly scenario: Scenario,
    readonly adapter: ProtocolAdapter,
    readonly options: ExploreOptions,
  ) {
    this.live = this.world();
    this.snapshots.set(0, this.live.snapshot());
  }

  world(): World {
    return new World(this.scenario, this.adapter, { seed: this.options.seed, budgets: this.options.budgets, prefix: this.options.prefix });
  }

  path(id: number): number[] {
    const path: number[] = [];
    const { parent, choice } = this.frontier;
    for (let at = id; at > 0; at = parent[at]) path.push(choice[at]);
    return path.reverse();
  }

  /** Puts the live world in state `id`: the nearest ancestor's snapshot, then the choices below it. */
  reach(id: number): void {
    const below: number[] = [];
    let at = id;
    let snapshot = this.snapshots.get(at);
    while (snapshot === undefined) {
      below.push(this.frontier.choice[at]);
      at = this.frontier.parent[at];
      snapshot = this.snapshots.get(at);
    }
    this.live.restore(snapshot);
    this.restores++;
    below.reverse();
    this.live.replay(below);
    this.stepsReplayed += below.length;
    // Its parent waits for one successor fewer; the last one lets the parent's snapshot go.
    const parent = this.frontier.parent[id];
    const left = this.waiting.get(parent);
    if (left !== undefined) {
      if (left > 1) this.waiting.set(parent, left - 1);
      else {
        this.waiting.delete(parent);
        if (parent !== 0) this.snapshots.delete(parent);
      }
    }
  }

  /** Keeps `id`'s snapshot while `children` successors wait (if the memory bound allows). */
  keep(id: number, snapshot: WorldSnapshot, children: number): void {
    if (children === 0 || id === 0) {
      if (id === 0 && children > 0) this.waiting.set(0, children);
      return;
    }
    if (this.snapshots.size >= (this.options.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS)) return;
    this.snapshots.set(id, snapshot);
    this.waiting.set(id, children);
  }

  add(parent: number, choice: number, depth: number): number {
    const f = this.frontier;
    f.parent.push(parent);
    f.choice.push(choice);
    f.depth.push(depth);
    return f.parent.length - 1;
  }

  /** Looks at a state just reached: sometimes-properties, violation. True if the search must stop. */
  observe(world: World, depth: number, path: () => number[]): boolean {
    this.states++;
    if (depth > this.deepest) this.deepest = depth;
    world.sometimes(this.seen);
    for (const name of this.seen) if (this.sometimes[name] === null) this.sometimes[name] = depth;
    const violation = world.violation();
    if (violation === null) return false;
    this.violation = { ...violation, depth, schedule: stepsOf(this, path()), traceHash: world.setup.cluster.trace.hash() };
    return true;
  }

  progress(queue: number): ExploreProgress {
    return { states: this.states, unique: this.visited.size, depth: this.deepest, queue };
  }

  maybeReport(queue: number): void {
    const every = this.options.progressEvery ?? 1000;
    if (this.options.onProgress !== undefined && this.states % every === 0) this.options.onProgress(this.progress(queue));
  }
}

/** The schedule of a path: replayed once more to name each choice. */
function stepsOf(explorer: Explorer, path: readonly number[]): ScheduleStep[] {
  const world = explorer.world();
  const steps: ScheduleStep[] = [...(explorer.options.prefix ?? [])];
  for (const index of path) {
    const choice = world.choices()[index];
    steps.push(choice.step);
    world.apply(choice);
  }
  return steps;
}

/**
 * Expands state `id`: reached in the live world, snapshotted, and each successor made
 * from that snapshot (restore, one choice), checked, fingerprinted, and queued if new.
 * Returns true if the search must stop (a violation, or the states budget).
 */
function expand(explorer: Explorer, id: number, enqueue: (child: number) => void, isNew: (fp: number, depth: number) => boolean): boolean {
  const depth = explorer.frontier.depth[id];
  const world = explorer.live;
  explorer.reach(id);
  const choices = world.choices();
  const count = choices.length;
  if (depth >= explorer.options.maxDepth) {
    if (count > 0) explorer.cutAtDepth++;
    return false;
  }
  const here = world.snapshot();
  explorer.snapshotsTaken++;
  let queued = 0;
  try {
    for (let index = 0; index < count; index++) {
      if (index > 0) {
        world.restore(here);
        explorer.restores++;
      }
      // The choices' events are the queue's records, restored in place: the list made in this state stays valid.
      world.apply(choices[index]);
      explorer.stepsReplayed++;
      if (explorer.observe(world, depth + 1, () => [...explorer.path(id), index])) return true;
      const fp = world.fingerprint();
      if (isNew(fp, depth + 1)) {
        // A new state at the depth bound is not expanded: whether the bound cut it is known here.
        if (depth + 1 >= explorer.options.maxDepth) {
          if (world.choices().length > 0) explorer.cutAtDepth++;
        } else {
          enqueue(explorer.add(id, index, depth + 1));
          queued++;
        }
      }
      explorer.maybeReport(0);
      if (explorer.states >= explorer.options.maxStates) return true;
    }
  } finally {
    explorer.keep(id, here, queued);
  }
  return false;
}

export function explore(scenario: Scenario, adapter: ProtocolAdapter, options: ExploreOptions): ExploreResult {
  const explorer = new Explorer(scenario, adapter, options);
  const root = explorer.live;
  explorer.add(-1, -1, 0);
  explorer.observe(root, 0, () => []);
  explorer.visited.set(root.fingerprint(), 0);
  let stopped = explorer.violation !== null;
  if (!stopped) {
    if (options.strategy === 'random') stopped = randomWalks(explorer, root);
    else stopped = systematic(explorer, options.strategy);
  }
  return {
    ...explorer.progress(0),
    strategy: options.strategy,
    maxDepth: options.maxDepth,
    exhausted: !stopped && options.strategy !== 'random',
    cutAtDepth: explorer.cutAtDepth,
    stepsReplayed: explorer.stepsReplayed,
    snapshots: explorer.snapshotsTaken,
    restores: explorer.restores,
    violation: explorer.violation,
    sometimes: explorer.sometimes,
  };
}

/** BFS (a FIFO queue) or DFS (a stack, revisiting a state met again at a smaller depth). True if stopped early. */
function systematic(explorer: Explorer, strategy: 'bfs' | 'dfs'): boolean {
  const pending: number[] = [0];
  let head = 0;
  const isNew =
    strategy === 'bfs'
      ? (fp: number, depth: number) => {
          if (explorer.visited.has(fp)) return false;
          explorer.visited.set(fp, depth);
          return true;
        }
      : (fp: number, depth: number) => {
          const before = explorer.visited.get(fp);
          if (before !== undefined && before <= depth) return false;
          explorer.visited.set(fp, depth);
          return true;
        };
  while (head < pending.length) {
    const id = strategy === 'bfs' ? pending[head++] : pending.pop()!;
    if (expand(explorer, id, (child) => pending.push(child), isNew)) return true;
    if (explorer.options.onProgress !== undefined && id % 64 === 0) explorer.options.onProgress(explorer.progress(pending.length - head));
  }
  return false;
}

/** Random walks: each from the initial state, a uniformly drawn choice per step, to maxDepth. True if stopped by a violation. */
function randomWalks(explorer: Explorer, first: World): boolean {
  const rng = new Rng(`zablab/explore/${explorer.options.seed}`);
  const world = first;
  while (explorer.states < explorer.options.maxStates) {
    const path: number[] = [];
    for (let depth = 1; depth <= explorer.options.maxDepth; depth++) {
      const choices = world.choices();
      if (choices.length === 0) break;
      const index = rng.int(choices.length);
      world.apply(choices[index]);
      path.push(index);
      explorer.stepsReplayed++;
      if (explorer.observe(world, depth, () => path.slice())) return true;
      const fp = world.fingerprint();
      if (!explorer.visited.has(fp)) explorer.visited.set(fp, depth);
      explorer.maybeReport(0);
      if (explorer.states >= explorer.options.maxStates) return false;
    }
    world.restore(explorer.snapshots.get(0)!);
    explorer.restores++;
  }
  return false;
}
