/**
 * Breadth-first search on several workers (`zablab explore --workers N`), level by
 * level: each worker holds some states of the current level in its own world
 * (LevelSearch: reached once by replaying their paths, then expanded from its own
 * snapshots, as the one-worker search does), expands them all, and sends the coordinator
 * the fingerprints of the successors it has not seen itself. The coordinator holds the
 * one visited set: it takes the workers' lists in worker order, marks each fingerprint
 * not seen before as new and tells each worker which of its successors are new; those
 * are the worker's next level. So every state is expanded once, by one worker, and the
 * states of each level are exactly the one-worker search's: the unique count and the
 * verdict do not depend on N, and a violation met in level d is a shortest one (no
 * level before it had one). Which of several violations of the same depth is reported
 * may depend on N (the one-worker search reports the first in its queue's order).
 *
 * The search starts on worker 0 alone; when a level holds enough states, and after
 * every level, states are moved from the workers with the most to those with the
 * fewest (as paths, replayed once by the receiver), so the workers stay balanced.
 *
 * The workers are whatever `LevelPort`s the caller makes (child processes in the CLI,
 * sim/cli/explore-worker.ts; in-process ones in tests): this file imports no Node
 * built-in and reads no clock, like the rest of sim/explore.
 */
import type { ProtocolAdapter } from '../scenario/protocol.js';
import type { ProtocolName, Scenario } from '../scenario/types.js';
import type { Budgets, ScheduleStep } from './scheduler.js';
import { SOMETIMES, type Sometimes } from './world.js';
import { explore, LevelSearch, type Counterexample, type ExploreProgress, type ExploreResult, type LevelReport } from './search.js';

/** What a worker needs to build its world: plain data, sent once. */
export interface LevelTask {
  scenario: Scenario;
  protocol: ProtocolName;
  maxDepth: number;
  budgets: Budgets;
  seed: number;
  prefix: ScheduleStep[];
  maxSnapshots?: number;
}

/** The coordinator's requests, each answered by one reply. */
export type LevelRequest =
  | { type: 'start'; task: LevelTask }
  | { type: 'root' }
  | { type: 'roots'; paths: number[][]; fingerprints: number[] }
  | { type: 'expand'; budget: number }
  | { type: 'accept'; flags: number[] }
  | { type: 'give'; positions: number[] }
  | { type: 'figures' }
  | { type: 'walks'; task: LevelTask; walkSeed: string; maxStates: number };

export type LevelReply =
  | { type: 'ok' }
  | { type: 'root'; fingerprint: number; violation: Counterexample | null; cut: boolean }
  | { type: 'report'; report: LevelReport }
  | { type: 'paths'; paths: number[][] }
  | { type: 'figures'; figures: WorkerFigures }
  | { type: 'walks'; result: ExploreResult; fingerprints: number[] };

export type WorkerFigures = Pick<ExploreResult, 'states' | 'depth' | 'stepsReplayed' | 'snapshots' | 'restores' | 'sometimes'> & {
  /** CPU time of the worker's process (a worker process adds it; an in-process worker has none of its own). */
  cpuUs?: number;
};

/** A worker as the coordinator sees it: one request at a time, answered in order. */
export interface LevelPort {
  call(request: LevelRequest): Promise<LevelReply>;
}

/** A worker's side: answers the coordinator's requests with a LevelSearch (built by `start`). */
export class LevelServer {
  private search: LevelSearch | null = null;

  constructor(private readonly adapterOf: (protocol: ProtocolName) => ProtocolAdapter) {}

  handle(request: LevelRequest): LevelReply {
    if (request.type === 'walks') {
      // Random walks on this worker's share of the states budget; the fingerprints it met first, for the union.
      const task = request.task;
      const fingerprints: number[] = [];
      const result = explore(task.scenario, this.adapterOf(task.protocol), {
        strategy: 'random',
        maxDepth: task.maxDepth,
        maxStates: request.maxStates,
        budgets: task.budgets,
        seed: task.seed,
        prefix: task.prefix,
        walkSeed: request.walkSeed,
        onState: (fingerprint, _depth, _invariant, fresh) => {
          if (fresh) fingerprints.push(fingerprint);
        },
      });
      return { type: 'walks', result, fingerprints };
    }
    if (request.type === 'start') {
      const task = request.task;
      this.search = new LevelSearch(task.scenario, this.adapterOf(task.protocol), {
        strategy: 'bfs',
        maxDepth: task.maxDepth,
        maxStates: Number.MAX_SAFE_INTEGER,
        budgets: task.budgets,
        seed: task.seed,
        prefix: task.prefix,
        maxSnapshots: task.maxSnapshots,
      });
      return { type: 'ok' };
    }
    const search = this.search;
    if (request.type === 'figures' && search === null) {
      // A worker that only walked: its CPU time is all there is to say (the worker process adds it).
      return { type: 'figures', figures: { states: 0, depth: 0, stepsReplayed: 0, snapshots: 0, restores: 0, sometimes: Object.fromEntries(SOMETIMES.map((name) => [name, null])) as Record<Sometimes, number | null> } };
    }
    if (search === null) throw new Error(`explore worker: ${request.type} before start`);
    switch (request.type) {
      case 'root': {
        const root = search.root();
        return { type: 'root', fingerprint: root.fingerprint, violation: root.violation, cut: root.cut };
      }
      case 'roots':
        search.addRoots(request.paths, request.fingerprints);
        return { type: 'ok' };
      case 'expand':
        return { type: 'report', report: search.expandLevel(request.budget) };
      case 'accept':
        search.accept(request.flags);
        return { type: 'ok' };
      case 'give':
        return { type: 'paths', paths: search.give(request.positions) };
      case 'figures':
        return { type: 'figures', figures: search.figures() };
    }
  }
}

/** A worker in this thread (tests; and what a worker process runs). */
export function localPort(adapterOf: (protocol: ProtocolName) => ProtocolAdapter): LevelPort {
  const server = new LevelServer(adapterOf);
  return { call: (request) => Promise.resolve(server.handle(request)) };
}

/** A level with fewer states per worker than this stays on the workers that have it. */
const SPREAD_AT = 4;

export interface ParallelOptions {
  maxStates: number;
  onProgress?: (progress: ExploreProgress) => void;
}

async function expect<T extends LevelReply['type']>(port: LevelPort, request: LevelRequest, type: T): Promise<Extract<LevelReply, { type: T }>> {
  const reply = await port.call(request);
  if (reply.type !== type) throw new Error(`explore worker: answered ${request.type} with ${reply.type}, not ${type}`);
  return reply as Extract<LevelReply, { type: T }>;
}

/** Breadth-first search of `task` on `ports` (see the file comment); the same result shape as explore()'s bfs. */
export interface ParallelResult extends ExploreResult {
  workers: number;
  /** The workers' CPU time, in seconds (those that report it). */
  workerCpuSeconds: number;
}

export async function exploreParallel(task: LevelTask, ports: readonly LevelPort[], options: ParallelOptions): Promise<ParallelResult> {
  const n = ports.length;
  await Promise.all(ports.map((port) => expect(port, { type: 'start', task }, 'ok')));
  const root = await expect(ports[0], { type: 'root' }, 'root');
  const visited = new Set<number>([root.fingerprint]);
  let states = 1;
  // At depth bound 0 the initial state is the bound.
  let cutAtDepth = task.maxDepth === 0 && root.violation === null && root.cut ? 1 : 0;
  let violation: Counterexample | null = root.violation;
  let stopped = violation !== null;
  /** Per worker, the fingerprints of the states it holds for the next level, in its order. */
  let holds: number[][] = ports.map(() => []);
  if (!stopped && task.maxDepth > 0) {
    await expect(ports[0], { type: 'roots', paths: [[]], fingerprints: [root.fingerprint] }, 'ok');
    holds[0].push(root.fingerprint);
  }
  let depth = 0;
  while (!stopped && depth < task.maxDepth) {
    const busy = holds.map((held, worker) => (held.length > 0 ? worker : -1)).filter((worker) => worker >= 0);
    if (busy.length === 0) break;
    const left = options.maxStates - states;
    const budget = Math.max(1, Math.floor(left / busy.length));
    const reports = new Array<LevelReport | null>(n).fill(null);
    await Promise.all(busy.map(async (worker) => (reports[worker] = (await expect(ports[worker], { type: 'expand', budget }, 'report')).report)));
    depth++;
    const next: number[][] = ports.map(() => []);
    const flags: number[][] = ports.map(() => []);
    for (let worker = 0; worker < n; worker++) {
      const report = reports[worker];
      if (report === null) continue;
      states += report.states;
      if (report.violation !== null && violation === null) violation = report.violation;
      if (report.stopped) stopped = true;
      report.fingerprints.forEach((fp, i) => {
        if (visited.has(fp)) {
          flags[worker].push(0);
          return;
        }
        visited.add(fp);
        flags[worker].push(1);
        if (report.cut[i] === 1) cutAtDepth++;
        if (depth < task.maxDepth) next[worker].push(fp);
      });
    }
    if (violation !== null) {
      stopped = true;
      break;
    }
    await Promise.all(busy.map((worker) => expect(ports[worker], { type: 'accept', flags: flags[worker] }, 'ok')));
    holds = next;
    if (stopped) break;
    await balance(ports, holds);
    options.onProgress?.({ states, unique: visited.size, depth, queue: holds.reduce((sum, held) => sum + held.length, 0) });
  }
  const figures = await Promise.all(ports.map(async (port) => (await expect(port, { type: 'figures' }, 'figures')).figures));
  const sometimes = Object.fromEntries(SOMETIMES.map((name) => [name, null])) as Record<Sometimes, number | null>;
  for (const figure of figures) {
    for (const name of SOMETIMES) {
      const at = figure.sometimes[name];
      if (at !== null && (sometimes[name] === null || at < sometimes[name]!)) sometimes[name] = at;
    }
  }
  const sum = (key: 'stepsReplayed' | 'snapshots' | 'restores') => figures.reduce((total, figure) => total + figure[key], 0);
  return {
    states,
    unique: visited.size,
    depth: Math.max(...figures.map((figure) => figure.depth)),
    queue: 0,
    strategy: 'bfs',
    maxDepth: task.maxDepth,
    exhausted: !stopped,
    cutAtDepth,
    stepsReplayed: sum('stepsReplayed'),
    snapshots: sum('snapshots'),
    restores: sum('restores'),
    pruned: 0,
    reexpanded: 0,
    violation,
    sometimes,
    workers: n,
    workerCpuSeconds: figures.reduce((total, figure) => total + (figure.cpuUs ?? 0), 0) / 1e6,
  };
}

/**
 * Moves states from the workers holding the most to those holding the fewest, until
 * none holds more than its share plus one (a level too small to share stays put).
 */
async function balance(ports: readonly LevelPort[], holds: number[][]): Promise<void> {
  const n = ports.length;
  const total = holds.reduce((sum, held) => sum + held.length, 0);
  if (total < SPREAD_AT * n) return;
  const share = Math.ceil(total / n);
  const givers = holds.map((held, worker) => ({ worker, extra: held.length - share })).filter((g) => g.extra > 0);
  const takers = holds.map((held, worker) => ({ worker, room: share - held.length })).filter((t) => t.room > 0);
  const moved: { from: number; to: number; positions: number[] }[] = [];
  for (const giver of givers) {
    let position = holds[giver.worker].length - giver.extra;
    for (const taker of takers) {
      if (giver.extra === 0) break;
      const count = Math.min(giver.extra, taker.room);
      if (count === 0) continue;
      moved.push({ from: giver.worker, to: taker.worker, positions: Array.from({ length: count }, (_, i) => position + i) });
      position += count;
      giver.extra -= count;
      taker.room -= count;
    }
  }
  if (moved.length === 0) return;
  // Every giver hands over all it gives in one request (positions refer to its list before any leave).
  const giving = [...new Set(moved.map((move) => move.from))];
  const given = await Promise.all(giving.map(async (from) => (await expect(ports[from], { type: 'give', positions: moved.filter((move) => move.from === from).flatMap((move) => move.positions) }, 'paths')).paths));
  // Then each taker gets its share, in the order of `moved`, which the coordinator's lists follow too.
  const taken = new Map<number, number>();
  for (const move of moved) {
    const paths = given[giving.indexOf(move.from)];
    const at = taken.get(move.from) ?? 0;
    taken.set(move.from, at + move.positions.length);
    const fingerprints = move.positions.map((position) => holds[move.from][position]);
    await expect(ports[move.to], { type: 'roots', paths: paths.slice(at, at + move.positions.length), fingerprints }, 'ok');
    holds[move.to].push(...fingerprints);
  }
  for (const from of giving) {
    const leaving = new Set(moved.filter((move) => move.from === from).flatMap((move) => move.positions));
    holds[from] = holds[from].filter((_, position) => !leaving.has(position));
  }
}

/**
 * Random walks on several workers: each takes its own walks (its own walk seed, the same
 * worlds) on its share of the states budget; the unique count is the union of what they
 * met, and the counterexample the first worker's (in worker order) that found one. Walks
 * are samples, so the figures depend on N; a counterexample replays like any other.
 */
export async function randomParallel(task: LevelTask, ports: readonly LevelPort[], options: ParallelOptions & { seed: number }): Promise<ParallelResult> {
  const n = ports.length;
  const share = (worker: number) => Math.floor(options.maxStates / n) + (worker < options.maxStates % n ? 1 : 0);
  const replies = await Promise.all(
    ports.map((port, worker) => expect(port, { type: 'walks', task, walkSeed: `zablab/explore/${options.seed}/worker ${worker} of ${n}`, maxStates: Math.max(1, share(worker)) }, 'walks')),
  );
  const figures = await Promise.all(ports.map(async (port) => (await port.call({ type: 'figures' })) as LevelReply));
  const unique = new Set<number>();
  for (const reply of replies) for (const fp of reply.fingerprints) unique.add(fp);
  const results = replies.map((reply) => reply.result);
  const sometimes = Object.fromEntries(SOMETIMES.map((name) => [name, null])) as Record<Sometimes, number | null>;
  for (const result of results) {
    for (const name of SOMETIMES) {
      const at = result.sometimes[name];
      if (at !== null && (sometimes[name] === null || at < sometimes[name]!)) sometimes[name] = at;
    }
  }
  const sum = (key: 'states' | 'stepsReplayed' | 'snapshots' | 'restores') => results.reduce((total, result) => total + result[key], 0);
  return {
    states: sum('states'),
    unique: unique.size,
    depth: Math.max(...results.map((result) => result.depth)),
    queue: 0,
    strategy: 'random',
    maxDepth: task.maxDepth,
    exhausted: false,
    cutAtDepth: 0,
    stepsReplayed: sum('stepsReplayed'),
    snapshots: sum('snapshots'),
    restores: sum('restores'),
    pruned: 0,
    reexpanded: 0,
    violation: results.find((result) => result.violation !== null)?.violation ?? null,
    sometimes,
    workers: n,
    workerCpuSeconds: figures.reduce((total, reply) => total + (reply.type === 'figures' ? reply.figures.cpuUs ?? 0 : 0), 0) / 1e6,
  };
}
