/**
 * Finding a bug without a script: random clusters, workloads and fault schedules (a
 * nemesis made concrete) with one bug switch on, run after run until an expectation
 * fails — an invariant fires, the history is not linearizable, the cluster does not
 * converge or recover — then the failing run is shrunk. The search is a pure function
 * of its search seed, so a result can be reproduced and averaged over search seeds.
 */
import { Rng } from '../core/rng.js';
import type { ProtocolAdapter } from './protocol.js';
import { runScenario } from './run.js';
import { concretize, shrinkScenario, type ShrinkResult } from './shrink.js';
import type { NemesisKind, Scenario } from './types.js';

export interface HuntOptions {
  searchSeed: number;
  maxRuns: number;
  /** Shrink the first failing run (default true). */
  shrink?: boolean;
  shrinkRuns?: number;
}

export interface HuntResult {
  bug: string;
  protocol: string;
  found: boolean;
  /** Runs until the first failure (or maxRuns). */
  runs: number;
  seed?: number;
  failed?: string[];
  scenario?: Scenario;
  shrunk?: ShrinkResult;
}

const ALL_KINDS: NemesisKind[] = ['crash', 'pause', 'partition', 'clog', 'loss', 'leader-crash', 'leader-isolate'];

/** One random scenario of the search, drawn from its own stream. */
export function randomHuntScenario(rng: Rng, protocol: string, bug: string): Scenario {
  const servers = rng.pick([3, 3, 3, 5]);
  const kinds = rng.shuffled(ALL_KINDS).slice(0, 2 + rng.int(ALL_KINDS.length - 1));
  const storage = rng.chance(0.5) ? { syncLatency: { kind: 'uniform' as const, minMs: 0.2, maxMs: 3 } } : { syncLatency: { kind: 'uniform' as const, minMs: 0.1, maxMs: 0.5 } };
  return {
    title: `hunt for ${bug}`,
    explanation: `A random cluster, workload and fault schedule with the ${bug} switch on.`,
    protocols: [protocol as 'zab' | 'paxos'],
    cluster: { servers, ...(rng.chance(0.3) ? { committedLogSize: 5 } : {}) },
    network: { latency: { kind: 'uniform', minMs: 0.3, maxMs: rng.pick([1, 2, 5]) } },
    storage,
    workload: { clients: 1 + rng.int(4), ratePerSec: rng.pick([50, 100, 200]), keys: 1 + rng.int(3), readMode: 'quorum', opsPerClient: 10 + rng.int(40) },
    nemesis: { kinds, intervalMs: rng.pick([40, 80, 150, 300]), faultDurationMs: rng.pick([20, 60, 150, 400]) },
    durationMs: rng.pick([500, 1000, 2000]),
    healMs: 3000,
    bugs: [bug],
    expect: { invariants: 'hold', linearizable: true, converge: true },
  };
}

export function huntBug(adapter: ProtocolAdapter, bug: string, options: HuntOptions): HuntResult {
  const rng = new Rng(`hunt/${adapter.name}/${bug}/${options.searchSeed}`);
  for (let run = 1; run <= options.maxRuns; run++) {
    const scenario = randomHuntScenario(rng, adapter.name, bug);
    const seed = rng.int(1_000_000_000);
    const result = runScenario(scenario, adapter, { seed, linMaxSteps: 500_000 });
    if (!result.ok) {
      const failed = result.expectations.filter((e) => !e.ok).map((e) => `${e.name}: ${e.detail}`);
      const concrete = { ...concretize(scenario, seed), seed };
      const hunt: HuntResult = { bug, protocol: adapter.name, found: true, runs: run, seed, failed, scenario: concrete };
      if (options.shrink ?? true) hunt.shrunk = shrinkScenario(concrete, adapter, seed, { maxRuns: options.shrinkRuns ?? 150 });
      return hunt;
    }
  }
  return { bug, protocol: adapter.name, found: false, runs: options.maxRuns };
}
