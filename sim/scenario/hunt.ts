/**
 * Finding a bug without a script: random clusters, workloads and fault schedules (a
 * nemesis made concrete) with one bug switch on, run after run until an expectation
 * fails — an invariant fires, the history is not linearizable, the cluster does not
 * converge or recover — then the failing run is shrunk. The search is a pure function
 * of its search seed, so a result can be reproduced and averaged over search seeds.
 *
 * A failing run counts as the bug only if the same run (same scenario, same seed)
 * passes with the switch off: a failure the correct protocol shares — a
 * linearizability check that ran out of budget, a genuine bug elsewhere — is not the
 * switch's doing, and the search goes on (`unconfirmed` counts those runs).
 */
import { Rng } from '../core/rng.js';
import type { ChannelKind } from '../net/network.js';
import type { ProtocolAdapter } from './protocol.js';
import { failedExpectations, runScenario, type RunResult } from './run.js';
import { drawSwarmScenario } from './swarm.js';
import { concretize, failureKind, focusedExpectations, shrinkScenario, type FailureKind, type ShrinkResult } from './shrink.js';
import type { NemesisKind, ProtocolName, Scenario } from './types.js';

/**
 * Where the search draws its scenarios: `classic`, the hunt's own profile below; `swarm`,
 * the swarm generator (sim/scenario/swarm.ts) with the switch on; `mixed`, each run one
 * or the other at random (the default). Measured with `npm run bugzoo -- --no-shrink
 * --generator G` (300 runs, 10 search seeds, the 29 switches, ZAB's 200 ms elections):
 * successful searches classic 203 of 290 (24 switches found), swarm 197 (24), mixed 206
 * (26). The swarm reaches what needs a slow disk, a larger cluster or an odd timing
 * (ackBeforeLog 10/10 searches vs 2/10, leakSyncThread in 10 runs vs 67); the classic
 * profile, tuned on the bug zoo, what needs three servers under steady leader faults
 * (pickFirstNotHighest 10/10 vs 4/10, snapDoesNotTruncateLog 4/10 vs 1/10, ackRaceInSync
 * 6/10 vs 1/10). Mixed keeps most of both, and finds ackNewLeaderBeforePersist
 * (2/10) and asyncLogBeforeAckLd (1/10), which the classic profile no longer finds.
 * Those figures predate the crashes aimed at synchronizations (`sync-crash`, drawn by
 * the ZAB profile and the swarm) and the servers' logged errors (`serverErrors`): with
 * them, mixed with shrinking (`npm run bugzoo`) succeeds in 239 of 290 searches and
 * finds all 29 switches.
 */
export type HuntGenerator = 'classic' | 'swarm' | 'mixed';
export const HUNT_GENERATORS: readonly HuntGenerator[] = ['classic', 'swarm', 'mixed'];

export interface HuntOptions {
  searchSeed: number;
  maxRuns: number;
  /** Default: mixed. */
  generator?: HuntGenerator;
  /** Shrink the first failing run (default true). */
  shrink?: boolean;
  shrinkRuns?: number;
  /** Count a failing run only if it passes with the switch off (default true). */
  confirmWithoutBug?: boolean;
  /** Called before each run of the search (the CLI's progress line). */
  onRun?: (run: number, maxRuns: number) => void;
  /** Events one run may process; a run stopped at this limit counts as not failing. Default: no limit. */
  maxEvents?: number;
}

export interface HuntResult {
  bug: string;
  protocol: string;
  found: boolean;
  /** Runs until the first confirmed failure (or maxRuns). */
  runs: number;
  /** Failing runs that failed with the switch off too, so were not counted. */
  unconfirmed: number;
  seed?: number;
  failed?: string[];
  /** The failing run as a fault script (the nemesis made concrete). */
  scenario?: Scenario;
  /**
   * The shrunk counterexample, present only if it still fails the same way with the
   * switch on and passes with it off (checked after shrinking).
   */
  shrunk?: ShrinkResult;
}

const ALL_KINDS: NemesisKind[] = ['crash', 'pause', 'partition', 'clog', 'loss', 'leader-crash', 'leader-isolate'];

/** The linearizability budget of a search run: enough for the workloads drawn here. */
const HUNT_LIN_MAX_STEPS = 500_000;

/**
 * One random scenario of the search, drawn from its own stream. The connection profile
 * (ZAB) is the original one, unchanged so its measured table stays comparable. The
 * datagram profile (Paxos) adds what a datagram network allows and a connection does
 * not — heavy-tailed latency, so messages overtake each other and arrive long after
 * their sender moved on; duplicated messages — and keeps more writes in flight across
 * leader changes (more clients, faster, some with shorter request timeouts) with leader
 * faults always in the mix. Measured with `npm run bugzoo` over the six Paxos switches
 * (300 runs, 10 search seeds): mean runs to find pickFirstNotHighest fell from 112
 * (found by 8 of 10 searches) to 67 (10 of 10), acceptBelowPromise from 63 to 50; the
 * others stayed within noise (2–15 runs). Without the shorter request timeouts
 * acceptBelowPromise took 99 runs on average (9 of 10 found).
 */
export function randomHuntScenario(rng: Rng, protocol: string, bug: string, channel: ChannelKind = protocol === 'paxos' ? 'datagram' : 'connection'): Scenario {
  const servers = rng.pick([3, 3, 3, 5]);
  const kinds = rng.shuffled(ALL_KINDS).slice(0, 2 + rng.int(ALL_KINDS.length - 1));
  const storage = rng.chance(0.5) ? { syncLatency: { kind: 'uniform' as const, minMs: 0.2, maxMs: 3 } } : { syncLatency: { kind: 'uniform' as const, minMs: 0.1, maxMs: 0.5 } };
  const scenario: Scenario = {
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
  if (channel === 'datagram') applyDatagramProfile(rng, scenario);
  else if (protocol === 'zab') applyZabProfile(rng, scenario);
  return scenario;
}

/**
 * ZAB's extra draws (after the common ones): what the crash-window and availability bugs
 * of PROTOCOLS.md §11 need to be reachable without a script.
 * - Sometimes a slow disk (2-12 ms per sync): a write handed to the log writer stays
 *   volatile long enough for a crash to fall between "acknowledged" and "durable".
 * - Sometimes a fine-grained nemesis (a fault every 10-20 ms, lasting 5-30 ms): crashes
 *   land inside a synchronization, not only between them.
 * - Sometimes a narrow zxid counter (5-8 bits): epochs run out of zxids and roll over.
 * - Sometimes crashes aimed at synchronizations (`sync-crash`: a learner crashes a
 *   moment after it starts to sync): the windows between NEWLEADER, the log writes,
 *   currentEpoch and the ACK are a disk sync wide, too narrow for faults drawn by time.
 * - Always `recovers`: after healing every server must serve again, so a bug that only
 *   costs availability fails the run too.
 */
function applyZabProfile(rng: Rng, scenario: Scenario): void {
  if (rng.chance(0.25)) scenario.storage = { syncLatency: { kind: 'uniform', minMs: 2, maxMs: 12 } };
  if (rng.chance(0.3)) scenario.nemesis = { ...scenario.nemesis!, intervalMs: rng.pick([10, 20]), faultDurationMs: rng.pick([5, 10, 30]) };
  if (rng.chance(0.2)) scenario.cluster = { ...scenario.cluster, counterBits: rng.pick([5, 6, 8]) };
  if (rng.chance(0.4)) scenario.nemesis = { ...scenario.nemesis!, kinds: [...scenario.nemesis!.kinds, 'sync-crash'] };
  scenario.expect = { ...scenario.expect, recovers: true };
}

/** The datagram profile's extra draws (after the common ones, so those are not shifted). */
function applyDatagramProfile(rng: Rng, scenario: Scenario): void {
  if (rng.chance(0.6)) scenario.network = { ...scenario.network, latency: { kind: 'lognormal', minMs: 0.2, medianMs: 1, sigma: rng.pick([0.5, 1, 1.5]) } };
  scenario.network = { ...scenario.network, dupRate: rng.pick([0, 0, 0.02, 0.1]) };
  scenario.workload = { ...scenario.workload!, clients: 2 + rng.int(4), ratePerSec: rng.pick([100, 200, 400]), requestTimeoutMs: rng.pick([100, 300]) };
  scenario.nemesis = { ...scenario.nemesis!, kinds: [...new Set<NemesisKind>([...scenario.nemesis!.kinds, 'leader-isolate', 'leader-crash'])] };
}

function runWith(scenario: Scenario, adapter: ProtocolAdapter, seed: number, bugs: string[], maxEvents?: number): RunResult {
  return runScenario({ ...scenario, bugs }, adapter, { seed, linMaxSteps: HUNT_LIN_MAX_STEPS, ...(maxEvents !== undefined ? { maxEvents } : {}) });
}

/** The shrunk scenario still fails the same way with the switch on, and passes with it off. */
function shrinkHolds(shrunk: ShrinkResult, adapter: ProtocolAdapter, bug: string, kind: FailureKind, maxEvents?: number): boolean {
  const on = runWith(shrunk.scenario, adapter, shrunk.seed, [bug], maxEvents);
  if (on.ok || on.limit !== undefined || failureKind(on) !== kind) return false;
  return runWith(shrunk.scenario, adapter, shrunk.seed, [], maxEvents).ok;
}

/** One scenario of a search and its run seed, from the generator asked for. */
export function huntScenario(rng: Rng, adapter: ProtocolAdapter, bug: string, generator: HuntGenerator): { scenario: Scenario; seed: number } {
  const swarm = generator === 'swarm' || (generator === 'mixed' && rng.chance(0.5));
  if (swarm) {
    const draw = drawSwarmScenario(adapter.name as ProtocolName, rng.int(1_000_000_000), { bugs: [bug] });
    return { scenario: draw.scenario, seed: draw.seed };
  }
  const scenario = randomHuntScenario(rng, adapter.name, bug, adapter.channel);
  return { scenario, seed: rng.int(1_000_000_000) };
}

export function huntBug(adapter: ProtocolAdapter, bug: string, options: HuntOptions): HuntResult {
  const rng = new Rng(`hunt/${adapter.name}/${bug}/${options.searchSeed}`);
  const confirm = options.confirmWithoutBug ?? true;
  const generator = options.generator ?? 'mixed';
  let unconfirmed = 0;
  for (let run = 1; run <= options.maxRuns; run++) {
    options.onRun?.(run, options.maxRuns);
    const { scenario, seed } = huntScenario(rng, adapter, bug, generator);
    const result = runWith(scenario, adapter, seed, [bug], options.maxEvents);
    // A run stopped at its events limit has no verdict: it is not a failure.
    if (result.ok || result.limit !== undefined) continue;
    if (confirm && !runWith(scenario, adapter, seed, [], options.maxEvents).ok) {
      unconfirmed++;
      continue;
    }
    const failed = failedExpectations(result).map((e) => `${e.name}: ${e.detail}`);
    const concrete: Scenario = { ...concretize(scenario, seed), seed };
    const hunt: HuntResult = { bug, protocol: adapter.name, found: true, runs: run, unconfirmed, seed, failed, scenario: concrete };
    if (options.shrink ?? true) {
      const kind = failureKind(result);
      // Focused on the failure's kind, the run drops the phases other expectations ask
      // for (converge: the heal and the quiet time after it); a violation that came in
      // those phases is then not reached, and the search keeps the run as it failed.
      const narrowed: Scenario = { ...concrete, expect: focusedExpectations(kind, concrete.expect) };
      const focused = runWith(narrowed, adapter, seed, [bug], options.maxEvents).ok ? concrete : narrowed;
      const shrunk = shrinkScenario(focused, adapter, seed, { maxRuns: options.shrinkRuns ?? 300, ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}) });
      if (shrinkHolds(shrunk, adapter, bug, kind, options.maxEvents)) hunt.shrunk = shrunk;
    }
    return hunt;
  }
  return { bug, protocol: adapter.name, found: false, runs: options.maxRuns, unconfirmed };
}
