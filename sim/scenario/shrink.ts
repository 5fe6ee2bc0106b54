/**
 * Shrinking a failing run: try smaller variants of the scenario (fewer faults, shorter
 * faults, fewer clients and operations, a shorter story, fewer servers) with the same
 * seed, keep any variant on which the same expectation still fails, and repeat until
 * nothing smaller fails. A random nemesis is made concrete first (its schedule becomes
 * a fault script), so its faults shrink like hand-written ones.
 */
import type { ProtocolAdapter } from './protocol.js';
import { RngStreams } from '../core/rng.js';
import { failedExpectations, materializeNemesis, runScenario, type RunResult } from './run.js';
import type { Expectations, FaultAction, Scenario } from './types.js';

export interface ShrinkResult {
  scenario: Scenario;
  seed: number;
  /** The expectations that failed originally and still fail. */
  failing: string[];
  runs: number;
  original: { faults: number; clients: number; ops: number; servers: number; events: number };
  shrunk: { faults: number; clients: number; ops: number; servers: number; events: number };
}

/** The nemesis as the run would draw it, turned into a fault script. */
export function concretize(scenario: Scenario, seed: number): Scenario {
  if (scenario.nemesis === undefined) return scenario;
  const streams = new RngStreams(seed);
  const faults = materializeNemesis(scenario.nemesis, scenario, streams.stream('nemesis-schedule'));
  const { nemesis: _nemesis, ...rest } = scenario;
  return { ...rest, faults };
}

function failingNames(result: RunResult): string[] {
  return failedExpectations(result).map((e) => e.name);
}

function size(scenario: Scenario, result: RunResult) {
  return { faults: scenario.faults?.length ?? 0, clients: scenario.workload?.clients ?? 0, ops: result.ops.total, servers: scenario.cluster.servers, events: result.events };
}

function maxNodeReferenced(scenario: Scenario): number {
  let max = -1;
  const text = JSON.stringify(scenario.faults ?? []);
  for (const match of text.matchAll(/node:(\d+)/g)) max = Math.max(max, Number(match[1]));
  for (const link of scenario.network?.links ?? []) max = Math.max(max, link.from, link.to);
  for (const observer of scenario.cluster.observers ?? []) max = Math.max(max, observer);
  for (const node of scenario.workload?.servers ?? []) max = Math.max(max, node);
  for (const list of scenario.workload?.connectStrings ?? []) for (const node of list) max = Math.max(max, node);
  return max;
}

/** A candidate, and the chunk of faults it removed (0: another kind of change). */
interface Candidate {
  scenario: Scenario;
  chunk: number;
}

function* candidates(s: Scenario, result: RunResult, largestChunk: number): Generator<Candidate> {
  const faults = s.faults ?? [];
  // An invariant violation halts the run: what was scheduled after it never happened.
  // Cut the story there (same seed, so everything before it runs the same).
  const violations = result.invariants.violations;
  if (violations.length > 0) {
    const firstUs = violations.reduce((min, v) => Math.min(min, v.timeUs ?? Infinity), Infinity);
    if (Number.isFinite(firstUs)) {
      const cutMs = Math.floor(firstUs / 1000) + 1;
      const kept = faults.filter((f) => f.atMs <= cutMs);
      if (kept.length < faults.length || s.durationMs > cutMs) yield { scenario: { ...s, faults: kept, durationMs: Math.min(s.durationMs, cutMs) }, chunk: 0 };
    }
  }
  // Remove chunks of faults, largest first (from the size that last worked, if any);
  // the workload is tried before the single faults, which are many in a fine schedule.
  const removals = function* (from: number, downTo: number): Generator<Candidate> {
    for (let chunk = from; chunk >= downTo; chunk = Math.floor(chunk / 2)) {
      for (let start = 0; start < faults.length; start += chunk) {
        yield { scenario: { ...s, faults: [...faults.slice(0, start), ...faults.slice(start + chunk)] }, chunk };
      }
      if (chunk === 1) break;
    }
  };
  const first = Math.max(1, Math.min(largestChunk, Math.floor(faults.length / 2)));
  const SMALL = 4;
  if (first >= SMALL) yield* removals(first, SMALL);
  const w = s.workload;
  if (w !== undefined && w.clients > 0) {
    // A client fault on a client that is gone goes with it (the file must still load).
    const withClients = (clients: number): Scenario => ({
      ...s,
      workload: { ...w, clients },
      ...(s.faults !== undefined ? { faults: s.faults.filter((f) => f.action !== 'pause-client' || f.client < clients) } : {}),
    });
    yield { scenario: withClients(0), chunk: 0 };
    if (w.clients > 1) yield { scenario: withClients(w.clients - 1), chunk: 0 };
    const ops = w.opsPerClient ?? 0;
    if (ops > 1) yield { scenario: { ...s, workload: { ...w, opsPerClient: Math.floor(ops / 2) } }, chunk: 0 };
    if (ops === 0) yield { scenario: { ...s, workload: { ...w, opsPerClient: 8 } }, chunk: 0 };
  }
  if (faults.length > 0) yield* removals(Math.min(first, SMALL - 1), 1);
  // A shorter story: end soon after the last fault.
  const lastFaultMs = faults.reduce((max, f) => Math.max(max, f.atMs + ('durationMs' in f && f.durationMs !== undefined ? f.durationMs : 0)), 0);
  const shorter = Math.max(lastFaultMs + 200, Math.floor(s.durationMs / 2));
  if (shorter < s.durationMs) yield { scenario: { ...s, durationMs: shorter }, chunk: 0 };
  // Shorter faults.
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if ('durationMs' in f && f.durationMs !== undefined && f.durationMs > 1) {
      const next = [...faults];
      next[i] = { ...f, durationMs: Math.floor(f.durationMs / 2) } as FaultAction;
      yield { scenario: { ...s, faults: next }, chunk: 0 };
    }
  }
  // Fewer servers (keep a voter majority meaningful: at least 3, odd).
  const servers = s.cluster.servers;
  if (servers > 3 && maxNodeReferenced(s) < servers - 2) yield { scenario: { ...s, cluster: { ...s.cluster, servers: servers - 2 } }, chunk: 0 };
}

export function shrinkScenario(scenario: Scenario, adapter: ProtocolAdapter, seed: number, options: { maxRuns?: number; name?: string; maxEvents?: number } = {}): ShrinkResult {
  const maxRuns = options.maxRuns ?? 300;
  const firstRun = runScenario(scenario, adapter, { seed, name: options.name, maxEvents: options.maxEvents });
  const failing = failingNames(firstRun);
  if (failing.length === 0) throw new Error('the run does not fail: nothing to shrink');
  let current = concretize(scenario, seed);
  let currentResult = runScenario(current, adapter, { seed, name: options.name, maxEvents: options.maxEvents });
  let runs = 2;
  if (!failingNames(currentResult).some((name) => failing.includes(name))) {
    // Made concrete, the schedule no longer fails (it should, with the same seed): keep the original.
    current = scenario;
    currentResult = firstRun;
  }
  const target = failingNames(currentResult).filter((name) => failing.includes(name));
  const original = size(current, currentResult);
  // Greedy, first improvement: after removing a chunk of faults, the next pass starts at
  // that chunk size (larger ones just failed); a pass that finds nothing at a smaller
  // size is repeated from the largest before giving up.
  let largestChunk = Infinity;
  for (;;) {
    let accepted: Candidate | undefined;
    for (const candidate of candidates(current, currentResult, largestChunk)) {
      if (runs >= maxRuns) break;
      runs++;
      const result = runScenario(candidate.scenario, adapter, { seed, name: options.name, maxEvents: options.maxEvents });
      if (failingNames(result).some((name) => target.includes(name))) {
        accepted = candidate;
        current = candidate.scenario;
        currentResult = result;
        break;
      }
    }
    if (runs >= maxRuns) break;
    if (accepted !== undefined) {
      if (accepted.chunk > 0) largestChunk = accepted.chunk;
    } else if (largestChunk !== Infinity) {
      largestChunk = Infinity;
    } else {
      break;
    }
  }
  const shrunk: Scenario = {
    ...current,
    title: current.title.startsWith('Shrunk: ') ? current.title : `Shrunk: ${current.title}`,
    explanation: `${current.explanation}\n\nShrunk by zablab from seed ${seed}: still fails "${failingNames(currentResult).filter((n) => target.includes(n)).join('", "')}".`,
    protocols: [adapter.name as 'zab' | 'paxos'],
    seed,
  };
  return { scenario: shrunk, seed, failing: target, runs, original, shrunk: size(current, currentResult) };
}

/** What a failing run is a counterexample of: the first kind of failure, in order of severity. */
export type FailureKind = 'invariants' | 'linearizability' | 'other';

export function failureKind(result: RunResult): FailureKind {
  if (!result.invariants.ok) return 'invariants';
  if (result.linearizability.verdict === 'not-linearizable') return 'linearizability';
  return 'other';
}

/**
 * The expectations a counterexample is shrunk against: only the one that matters. An
 * invariant violation halts the run, so the history is cut short and its
 * linearizability unknown; shrinking against "history linearizable" as well would
 * tie the shrinker to a history that no longer matters. (Shared by the bug hunt and
 * the swarm.)
 */
export function focusedExpectations(kind: FailureKind, original: Expectations | undefined): Expectations | undefined {
  // converge defaults to true: switch it off, or a smaller run that merely does not
  // settle (the timing of a swarm draw may not allow it) would count against the
  // counterexample when it is checked with the bug switch off.
  if (kind === 'invariants') return { invariants: 'hold', converge: false };
  if (kind === 'linearizability') return { linearizable: true, converge: false };
  return original;
}
