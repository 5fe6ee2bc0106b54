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
 * search: a state is reached by restoring its own snapshot, or the snapshot of its
 * nearest ancestor that has one (the initial state always has) and replaying the choices
 * below it (world.ts, snapshot.ts). A new state that will wait in the queue is
 * snapshotted when it is generated (the live world is in it then), so expanding it
 * replays no step; each successor is that snapshot restored (only the parts the last
 * step touched, and of those only the objects whose records differ) plus one step. A
 * snapshot is kept while its state or successors of it wait in the queue, up to
 * `maxSnapshots` kept at once (beyond that a waiting state is reached by replaying from
 * further up). Fingerprints dedupe states (fingerprint.ts).
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { Rng } from '../core/rng.js';
import type { Budgets, ScheduleStep } from './scheduler.js';
import { SOMETIMES, World, type Sometimes, type WorldSnapshot } from './world.js';
import { EMPTY_SLEEP, serverLocalIndependence, sleepAfter, wake, type Independence, type Reduction, type SleepSet, type Transition } from './reduction.js';

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
  /** The random walks' own seed (default from `seed`): workers walking one space take different walks, in the same worlds. */
  walkSeed?: string;
  /** Snapshots kept at once for waiting states (default DEFAULT_MAX_SNAPSHOTS): the memory bound. */
  maxSnapshots?: number;
  /**
   * Partial-order reduction for bfs and dfs (reduction.ts): 'sleep' (the default) prunes
   * choices whose result a commuted order already reaches; 'none' takes every choice.
   * Either way the same states are reached.
   */
  reduction?: Reduction;
  /** The independence relation sleep sets use (default serverLocalIndependence); tests pass unsound ones to see them caught. */
  independence?: Independence;
  /**
   * false: a violating state is recorded (onState) and not expanded, and the search goes
   * on, so that every reachable verdict is seen (the reduction's tests). Default true:
   * the first violation stops the search and is the counterexample.
   */
  stopAtViolation?: boolean;
  /** Called for every state generated: its fingerprint, depth, the invariant it breaks (or null), and whether it is new. */
  onState?: (fingerprint: number, depth: number, invariant: string | null, fresh: boolean) => void;
  /** Called every `progressEvery` states generated (for a progress line). */
  onProgress?: (progress: ExploreProgress) => void;
  progressEvery?: number;
}

/**
 * The bound on snapshots kept at once. ZAB to depth 9 (3 servers, the bench's search one
 * level deeper) fills it: the states waiting at depth 8 keep their own snapshots (taken
 * when generated), and the process peaks at ~0.7 GB resident, garbage included (~0.47
 * GB when only expanded states kept theirs); beyond the bound a waiting state is reached
 * by replaying from a kept ancestor (slower, never wrong), so memory stops growing with
 * the frontier.
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
  /** Choices not taken because a sleep set held them (their results are reached by a commuted order). */
  pruned: number;
  /** States taken up again because they were met with a smaller sleep set (their newly awake choices). */
  reexpanded: number;
  violation: Counterexample | null;
  /** Each "sometimes" property and the depth where it was first reached (null: never). */
  sometimes: Record<Sometimes, number | null>;
}

interface Frontier {
  parent: number[];
  choice: number[];
  depth: number[];
  /** With a reduction: the state's sleep set, the only choices to take (a state taken up again), whether it was expanded. */
  sleep: SleepSet[];
  only: (SleepSet | null)[];
  expanded: boolean[];
}

class Explorer {
  readonly frontier: Frontier = { parent: [], choice: [], depth: [], sleep: [], only: [], expanded: [] };
  readonly visited = new Map<number, number>();
  /** With a reduction: per fingerprint, the frontier node that stands for it (its sleep set is the stored one). */
  readonly nodeOf = new Map<number, number>();
  /** The independence relation, or null: no reduction. */
  readonly independence: Independence | null;
  pruned = 0;
  reexpanded = 0;
  states = 0;
  deepest = 0;
  cutAtDepth = 0;
  stepsReplayed = 0;
  snapshotsTaken = 0;
  restores = 0;
  /** The snapshot reach() restored when it was the state's own (taken when the state was generated), or null: the state was replayed to. */
  reached: WorldSnapshot | null = null;
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
    const reduce = options.strategy !== 'random' && (options.reduction ?? 'sleep') === 'sleep';
    this.independence = reduce ? options.independence ?? serverLocalIndependence : null;
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
    const own = this.snapshots.get(id);
    if (own !== undefined && id !== 0) {
      // Taken when the state was generated (expand): no step to replay. It is the expanding state's snapshot now, kept by keep() if successors wait.
      // Its parent does not wait for it (expand counts only the successors without their own snapshot): nothing to release.
      this.snapshots.delete(id);
      this.live.restore(own);
      this.restores++;
      this.reached = own;
      return;
    }
    this.reached = null;
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
    this.release(id);
  }

  /** `id` no longer waits (reached, or handed to another worker): its parent waits for one successor fewer; the last one lets the parent's snapshot go. */
  release(id: number): void {
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

  /**
   * A new state about to wait in the queue, in the live world now: its snapshot is taken
   * here (if the memory bound allows), so expanding it restores it instead of restoring
   * its parent's and replaying its step. The snapshot costs what it would cost when the
   * state is expanded (the same parts walked, against the same parent's records), and
   * waits with the state instead of the parent's (which is kept only while states
   * without their own wait: beyond the memory bound, or alias nodes). False: not taken.
   */
  keepGenerated(id: number): boolean {
    if (this.snapshots.size >= (this.options.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS)) return false;
    this.snapshots.set(id, this.live.snapshot());
    this.snapshotsTaken++;
    return true;
  }

  add(parent: number, choice: number, depth: number, sleep: SleepSet = EMPTY_SLEEP, only: SleepSet | null = null): number {
    const f = this.frontier;
    f.parent.push(parent);
    f.choice.push(choice);
    f.depth.push(depth);
    f.sleep.push(sleep);
    f.only.push(only);
    f.expanded.push(false);
    return f.parent.length - 1;
  }

  /**
   * A state generated at `depth` with sleep set `sleep`: true if it is to be expanded as
   * new (bfs: never seen; dfs: never seen at this depth or less). A state seen before
   * whose stored sleep set held choices `sleep` does not is taken up again for those
   * (an alias node on the same path, queued by `enqueue`), or, if still waiting, just
   * gets the smaller set.
   */
  arrive(fp: number, depth: number, sleep: SleepSet, enqueue: (id: number) => void): boolean {
    const before = this.visited.get(fp);
    if (before === undefined || (this.options.strategy === 'dfs' && before > depth)) {
      this.visited.set(fp, depth);
      return true;
    }
    if (this.independence === null) return false;
    const node = this.nodeOf.get(fp);
    if (node === undefined) return false; // at the depth bound: never expanded
    const f = this.frontier;
    const woken = wake(f.sleep[node], sleep);
    if (woken === null) return false;
    f.sleep[node] = woken.stored;
    if (f.expanded[node]) {
      this.reexpanded++;
      const parent = f.parent[node];
      const left = this.waiting.get(parent);
      if (left !== undefined) this.waiting.set(parent, left + 1);
      enqueue(this.add(parent, f.choice[node], f.depth[node], woken.stored, woken.again));
    }
    return false;
  }

  /** Looks at a state just reached: sometimes-properties, violation. The invariant it breaks, or null. */
  observe(world: World, depth: number, path: () => number[]): string | null {
    this.states++;
    if (depth > this.deepest) this.deepest = depth;
    world.sometimes(this.seen);
    for (const name of this.seen) if (this.sometimes[name] === null) this.sometimes[name] = depth;
    const violation = world.violation();
    if (violation === null) return null;
    if (this.options.stopAtViolation !== false) this.violation = { ...violation, depth, schedule: stepsOf(this, path()), traceHash: world.setup.cluster.trace.hash() };
    return violation.invariant;
  }

  /** A violation found: the search stops (unless it collects every verdict). */
  get stopsHere(): boolean {
    return this.violation !== null;
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
 * With a reduction, a choice in the state's sleep set is not taken, and each successor
 * gets its own sleep set (reduction.ts). Returns true if the search must stop (a
 * violation, or the states budget).
 */
function expand(explorer: Explorer, id: number, enqueue: (child: number) => void): boolean {
  const f = explorer.frontier;
  const depth = f.depth[id];
  const world = explorer.live;
  explorer.reach(id);
  f.expanded[id] = true;
  const choices = world.choices();
  const count = choices.length;
  if (depth >= explorer.options.maxDepth) {
    if (count > 0) explorer.cutAtDepth++;
    return false;
  }
  const independence = explorer.independence;
  const asleep = f.sleep[id];
  const only = f.only[id];
  const taken: Transition[] = [];
  const transitions = independence !== null ? world.transitions(choices) : null;
  let here = explorer.reached;
  if (here === null) {
    here = world.snapshot();
    explorer.snapshotsTaken++;
  }
  let queued = 0;
  let moved = false;
  try {
    for (let index = 0; index < count; index++) {
      const choice = choices[index];
      let transition: Transition | null = null;
      if (transitions !== null) {
        transition = transitions[index];
        if (transition !== null && asleep.has(transition.key)) {
          explorer.pruned++;
          continue;
        }
        if (only !== null && (transition === null || !only.has(transition.key))) continue;
      }
      // The bound holds before a successor is made, not only after: the initial state alone may fill it.
      if (explorer.states >= explorer.options.maxStates) return true;
      if (moved) {
        world.restore(here);
        explorer.restores++;
      }
      moved = true;
      // Judged in this state, before the step: the earlier siblings and the inherited sleepers independent of this choice.
      const sleep = independence === null ? EMPTY_SLEEP : sleepAfter(sleepers(asleep, taken), transition, world.setup.cluster, independence);
      // The choices' events are the queue's records, restored in place: the list made in this state stays valid.
      world.apply(choice);
      explorer.stepsReplayed++;
      const invariant = explorer.observe(world, depth + 1, () => [...explorer.path(id), index]);
      // A violating state halts its run, so no commuted order passes through it: its choice sends no sibling to sleep.
      if (transition !== null && invariant === null) taken.push(transition);
      if (explorer.stopsHere) return true;
      const fp = world.fingerprint();
      const fresh = explorer.arrive(fp, depth + 1, sleep, enqueue);
      explorer.options.onState?.(fp, depth + 1, invariant, fresh);
      // A violating state halted its run: it has no successors.
      if (fresh && invariant === null) {
        // A new state at the depth bound is not expanded: whether the bound cut it is known here.
        if (depth + 1 >= explorer.options.maxDepth) {
          if (world.choices().length > 0) explorer.cutAtDepth++;
        } else {
          const child = explorer.add(id, index, depth + 1, sleep);
          if (independence !== null) explorer.nodeOf.set(fp, child);
          enqueue(child);
          // A state with its own snapshot does not need its parent's: the parent's is kept only for those without.
          if (!explorer.keepGenerated(child)) queued++;
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

function* sleepers(asleep: SleepSet, taken: readonly Transition[]): Iterable<Transition> {
  yield* asleep.values();
  yield* taken;
}

export function explore(scenario: Scenario, adapter: ProtocolAdapter, options: ExploreOptions): ExploreResult {
  const explorer = new Explorer(scenario, adapter, options);
  const root = explorer.live;
  explorer.add(-1, -1, 0);
  const invariant = explorer.observe(root, 0, () => []);
  const rootFp = root.fingerprint();
  explorer.visited.set(rootFp, 0);
  explorer.nodeOf.set(rootFp, 0);
  options.onState?.(rootFp, 0, invariant, true);
  let stopped = explorer.stopsHere;
  if (!stopped && invariant === null) {
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
    pruned: explorer.pruned,
    reexpanded: explorer.reexpanded,
    violation: explorer.violation,
    sometimes: explorer.sometimes,
  };
}

/** BFS (a FIFO queue) or DFS (a stack, revisiting a state met again at a smaller depth). True if stopped early. */
function systematic(explorer: Explorer, strategy: 'bfs' | 'dfs'): boolean {
  const pending: number[] = [0];
  let head = 0;
  const enqueue = (child: number) => pending.push(child);
  while (head < pending.length) {
    const id = strategy === 'bfs' ? pending[head++] : pending.pop()!;
    if (expand(explorer, id, enqueue)) return true;
    if (explorer.options.onProgress !== undefined && id % 64 === 0) explorer.options.onProgress(explorer.progress(pending.length - head));
  }
  return false;
}

/** Random walks: each from the initial state, a uniformly drawn choice per step, to maxDepth. True if stopped by a violation. */
function randomWalks(explorer: Explorer, first: World): boolean {
  const options = explorer.options;
  const rng = new Rng(explorer.options.walkSeed ?? `zablab/explore/${explorer.options.seed}`);
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
      const invariant = explorer.observe(world, depth, () => path.slice());
      if (explorer.stopsHere) return true;
      const fp = world.fingerprint();
      options.onState?.(fp, depth, invariant, !explorer.visited.has(fp));
      if (invariant !== null) break;
      if (!explorer.visited.has(fp)) explorer.visited.set(fp, depth);
      explorer.maybeReport(0);
      if (explorer.states >= explorer.options.maxStates) return false;
    }
    // A walk that took no step (depth bound 0, or nothing can happen in the initial
    // state) is every walk: the seeded walks would all repeat it, never adding a state.
    if (path.length === 0) return false;
    world.restore(explorer.snapshots.get(0)!);
    explorer.restores++;
  }
  return false;
}

/**
 * What one level of a level-synchronised breadth-first search found on one worker
 * (parallel.ts): the successors that were new to this worker, for the coordinator to
 * judge against every worker's, and the violation, if one was met.
 */
export interface LevelReport {
  /** Per new successor, its fingerprint (in the order they were made). */
  fingerprints: number[];
  /** Per new successor: 1 if it lies at the depth bound and has successors (the bound cut it there). */
  cut: number[];
  /** States generated in this level (duplicates included). */
  states: number;
  /** The first violation met (the search stops at the end of the level). */
  violation: Counterexample | null;
  /** The level was left unfinished: the states budget ran out. */
  stopped: boolean;
}

/**
 * One worker's part of a parallel breadth-first search (parallel.ts). It holds a set
 * of states of the current level (its roots at first: paths from the initial state,
 * replayed once), expands them all (each successor made from the expanded state's
 * snapshot, as `explore` does), and reports the successors it has not seen; the
 * coordinator, which holds the one visited set, says which are new to the whole search,
 * and those are this worker's next level. The sleep-set reduction is not used: a
 * state's sleep set depends on the order in which workers meet it, and sleep sets prune
 * choices, not states, so the states, their depths and the verdict are those of
 * `explore`'s bfs.
 */
export class LevelSearch {
  private readonly explorer: Explorer;
  /** The states to expand at this level. */
  private level: number[] = [];
  /** The last level's new successors, as (parent, choice) pairs, awaiting accept(). */
  private candidates: number[] = [];
  /** The states the last level expanded, with their snapshots, awaiting accept(). */
  private expanded: [number, WorldSnapshot][] = [];
  private depth = 0;

  constructor(scenario: Scenario, adapter: ProtocolAdapter, options: ExploreOptions) {
    this.explorer = new Explorer(scenario, adapter, { ...options, strategy: 'bfs', reduction: 'none', stopAtViolation: true });
    this.explorer.add(-1, -1, 0);
  }

  /** The initial state: its fingerprint, the violation in it (or null), whether anything can happen in it. */
  root(): { fingerprint: number; violation: Counterexample | null; cut: boolean } {
    const explorer = this.explorer;
    explorer.observe(explorer.live, 0, () => []);
    const fingerprint = explorer.live.fingerprint();
    explorer.visited.set(fingerprint, 0);
    return { fingerprint, violation: explorer.violation, cut: explorer.live.choices().length > 0 };
  }

  /** The states to expand next: paths from the initial state, all of one depth (the empty path is the initial state). */
  addRoots(paths: readonly (readonly number[])[], fingerprints: readonly number[]): void {
    const explorer = this.explorer;
    paths.forEach((path, i) => {
      let at = 0;
      for (const choice of path) at = explorer.add(at, choice, explorer.frontier.depth[at] + 1);
      this.depth = path.length;
      this.level.push(at);
      explorer.visited.set(fingerprints[i], path.length);
    });
  }

  /** The states left to expand at this level. */
  get size(): number {
    return this.level.length;
  }

  /** Hands the states at `positions` (in this level's order) to another worker: their paths, and they leave this one. */
  give(positions: readonly number[]): number[][] {
    const leaving = new Set(positions);
    const paths = positions.map((position) => this.explorer.path(this.level[position]));
    for (const position of positions) this.explorer.release(this.level[position]);
    this.level = this.level.filter((_, position) => !leaving.has(position));
    return paths;
  }

  /** Expands every state of this level, generating at most `budget` states. */
  expandLevel(budget: number): LevelReport {
    const explorer = this.explorer;
    const world = explorer.live;
    const depth = this.depth + 1;
    const maxDepth = explorer.options.maxDepth;
    const report: LevelReport = { fingerprints: [], cut: [], states: 0, violation: null, stopped: false };
    const startStates = explorer.states;
    const candidates: number[] = [];
    for (const id of this.level) {
      explorer.reach(id);
      explorer.frontier.expanded[id] = true;
      const choices = world.choices();
      if (choices.length === 0) continue;
      const here = world.snapshot();
      explorer.snapshotsTaken++;
      let moved = false;
      for (let index = 0; index < choices.length; index++) {
        if (explorer.states - startStates >= budget) {
          report.stopped = true;
          break;
        }
        if (moved) {
          world.restore(here);
          explorer.restores++;
        }
        moved = true;
        world.apply(choices[index]);
        explorer.stepsReplayed++;
        const invariant = explorer.observe(world, depth, () => [...explorer.path(id), index]);
        if (explorer.violation !== null) {
          report.violation = explorer.violation;
          break;
        }
        const fp = world.fingerprint();
        if (explorer.visited.has(fp)) continue;
        explorer.visited.set(fp, depth);
        if (invariant !== null) continue;
        report.fingerprints.push(fp);
        report.cut.push(depth >= maxDepth && world.choices().length > 0 ? 1 : 0);
        candidates.push(id, index);
      }
      // Kept until accept() knows how many of its successors are this worker's.
      this.expanded.push([id, here]);
      if (report.violation !== null || report.stopped) break;
    }
    report.states = explorer.states - startStates;
    this.candidates = candidates;
    this.level = [];
    this.depth = depth;
    return report;
  }

  /** The coordinator's answer to the last level's report: per new successor, 1 if it is this worker's to expand next. */
  accept(flags: ArrayLike<number>): void {
    const explorer = this.explorer;
    const candidates = this.candidates;
    const children = new Map<number, number>();
    for (let i = 0; i < flags.length; i++) {
      if (flags[i] !== 1 || this.depth >= explorer.options.maxDepth) continue;
      const parent = candidates[2 * i];
      this.level.push(explorer.add(parent, candidates[2 * i + 1], this.depth));
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
    // Each expanded state's snapshot stays while its successors wait (within the memory bound).
    for (const [id, here] of this.expanded) explorer.keep(id, here, children.get(id) ?? 0);
    this.expanded = [];
    this.candidates = [];
  }

  figures(): Pick<ExploreResult, 'states' | 'depth' | 'stepsReplayed' | 'snapshots' | 'restores' | 'sometimes'> {
    const e = this.explorer;
    return { states: e.states, depth: e.deepest, stepsReplayed: e.stepsReplayed, snapshots: e.snapshotsTaken, restores: e.restores, sometimes: { ...e.sometimes } };
  }
}
