/**
 * Shrinking a failing run: try smaller variants of the scenario (fewer faults, shorter
 * faults, fewer clients and operations, a shorter story, fewer servers) with the same
 * seed, keep any variant on which the same expectation still fails, and repeat until
 * nothing smaller fails. A random nemesis is made concrete first (its schedule becomes
 * a fault script), so its faults shrink like hand-written ones.
 */
import type { ProtocolAdapter } from './protocol.js';
import { RngStreams } from '../core/rng.js';
import { materializeNemesis, runScenario, type RunResult } from './run.js';
import type { FaultAction, Scenario } from './types.js';

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
  return result.expectations.filter((e) => !e.ok).map((e) => e.name);
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
  return max;
}

function* candidates(s: Scenario): Generator<Scenario> {
  const faults = s.faults ?? [];
  // Remove chunks of faults, largest first.
  for (let chunk = Math.max(1, Math.floor(faults.length / 2)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < faults.length; start += chunk) {
      yield { ...s, faults: [...faults.slice(0, start), ...faults.slice(start + chunk)] };
    }
    if (chunk === 1) break;
  }
  const w = s.workload;
  if (w !== undefined && w.clients > 0) {
    yield { ...s, workload: { ...w, clients: 0 } };
    if (w.clients > 1) yield { ...s, workload: { ...w, clients: w.clients - 1 } };
    const ops = w.opsPerClient ?? 0;
    if (ops > 1) yield { ...s, workload: { ...w, opsPerClient: Math.floor(ops / 2) } };
    if (ops === 0) yield { ...s, workload: { ...w, opsPerClient: 8 } };
  }
  // A shorter story: end soon after the last fault.
  const lastFaultMs = faults.reduce((max, f) => Math.max(max, f.atMs + ('durationMs' in f && f.durationMs !== undefined ? f.durationMs : 0)), 0);
  const shorter = Math.max(lastFaultMs + 200, Math.floor(s.durationMs / 2));
  if (shorter < s.durationMs) yield { ...s, durationMs: shorter };
  // Shorter faults.
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if ('durationMs' in f && f.durationMs !== undefined && f.durationMs > 1) {
      const next = [...faults];
      next[i] = { ...f, durationMs: Math.floor(f.durationMs / 2) } as FaultAction;
      yield { ...s, faults: next };
    }
  }
  // Fewer servers (keep a voter majority meaningful: at least 3, odd).
  const servers = s.cluster.servers;
  if (servers > 3 && maxNodeReferenced(s) < servers - 2) yield { ...s, cluster: { ...s.cluster, servers: servers - 2 } };
}

export function shrinkScenario(scenario: Scenario, adapter: ProtocolAdapter, seed: number, options: { maxRuns?: number; name?: string } = {}): ShrinkResult {
  const maxRuns = options.maxRuns ?? 300;
  const firstRun = runScenario(scenario, adapter, { seed, name: options.name });
  const failing = failingNames(firstRun);
  if (failing.length === 0) throw new Error('the run does not fail: nothing to shrink');
  let current = concretize(scenario, seed);
  let currentResult = runScenario(current, adapter, { seed, name: options.name });
  let runs = 2;
  if (!failingNames(currentResult).some((name) => failing.includes(name))) {
    // Made concrete, the schedule no longer fails (it should, with the same seed): keep the original.
    current = scenario;
    currentResult = firstRun;
  }
  const target = failingNames(currentResult).filter((name) => failing.includes(name));
  const original = size(current, currentResult);
  let improved = true;
  while (improved && runs < maxRuns) {
    improved = false;
    for (const candidate of candidates(current)) {
      if (runs >= maxRuns) break;
      runs++;
      const result = runScenario(candidate, adapter, { seed, name: options.name });
      if (failingNames(result).some((name) => target.includes(name))) {
        current = candidate;
        currentResult = result;
        improved = true;
        break;
      }
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
