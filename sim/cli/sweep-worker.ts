/**
 * A sweep worker thread: runs (scenario, protocol, seed) jobs it is sent and posts a
 * compact result for each; a job with `shrinkRuns` shrinks its failing run instead
 * (against the kind of failure it shows, as the bug hunt does). Scenarios arrive
 * already validated.
 */
import { parentPort } from 'node:worker_threads';
import { failedExpectations, failsOnlyByHazards, runScenario } from '../scenario/run.js';
import { protocolAdapter } from '../scenario/protocols.js';
import { failureKind, focusedExpectations, shrinkScenario, type ShrinkResult } from '../scenario/shrink.js';
import type { Scenario } from '../scenario/types.js';
import { runFigures, type RunFigures } from '../check/availability.js';

export interface SweepJob {
  index: number;
  name: string;
  scenario: Scenario;
  protocol: string;
  seed: number;
  /** The run's events limit (runScenario's default if absent). */
  maxEvents?: number;
  /** Shrink the run (if it fails) with at most this many runs, instead of only running it. */
  shrinkRuns?: number;
}

export interface SweepOutcome {
  index: number;
  scenario: string;
  protocol: string;
  seed: number;
  ok: boolean;
  traceHash: string;
  events: number;
  failed: string[];
  violations: string[];
  /** Failed only by hazards ZooKeeper does not prevent (failsOnlyByHazards): swarm counts such runs apart. */
  hazard?: true;
  error?: string;
  /** The availability figures in brief (absent when the simulator failed). */
  availability?: RunFigures;
  /** With shrinkRuns: the smallest scenario found that still fails the same way. */
  shrunk?: Pick<ShrinkResult, 'scenario' | 'failing' | 'runs' | 'original' | 'shrunk'>;
}

export function runJob(job: SweepJob): SweepOutcome {
  try {
    const adapter = protocolAdapter(job.protocol);
    // A sweep keeps the verdict, not the reports: checks no expectation reads are not run,
    // unless the run may be shrunk (failureKind reads the linearizability verdict).
    const shrinks = job.shrinkRuns !== undefined && job.shrinkRuns > 0;
    const result = runScenario(job.scenario, adapter, { seed: job.seed, name: job.name, maxEvents: job.maxEvents, verdictOnly: !shrinks });
    const failed = failedExpectations(result).map((e) => `${e.name}: ${e.detail}`);
    // A run cut short at its events limit has no verdict: it counts as failing, and says why.
    if (result.limit !== undefined) failed.unshift(`events limit: stopped after ${result.limit.maxEvents} events (--max-events)`);
    let shrunk: SweepOutcome['shrunk'];
    if (job.shrinkRuns !== undefined && job.shrinkRuns > 0 && !result.ok) {
      const focused: Scenario = { ...job.scenario, expect: focusedExpectations(failureKind(result), job.scenario.expect) };
      const { scenario, failing, runs, original, shrunk: size } = shrinkScenario(focused, adapter, job.seed, { maxRuns: job.shrinkRuns, name: job.name });
      shrunk = { scenario, failing, runs, original, shrunk: size };
    }
    return {
      index: job.index,
      scenario: job.name,
      protocol: job.protocol,
      seed: job.seed,
      ok: result.ok && result.limit === undefined,
      traceHash: result.traceHash,
      events: result.events,
      failed,
      violations: [...new Set(result.invariants.violations.map((v) => v.invariant))],
      availability: runFigures(result.availability),
      shrunk,
      ...(failsOnlyByHazards(result) ? { hazard: true as const } : {}),
    };
  } catch (error) {
    // A crash of the simulator itself is a finding too: report it with the seed.
    return { index: job.index, scenario: job.name, protocol: job.protocol, seed: job.seed, ok: false, traceHash: '', events: 0, failed: [`simulator error: ${(error as Error).message}`], violations: [], error: (error as Error).stack };
  }
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (jobs: SweepJob[]) => {
    for (const job of jobs) port.postMessage(runJob(job));
    port.postMessage({ done: true });
  });
} else if (process.argv.includes('--zablab-sweep-child') && process.send !== undefined) {
  // A worker process (sweep.ts CHILD_WORKER_ARG): the same protocol over IPC, and its CPU
  // time with every finished batch (the parent's cpuUsage does not see a child's).
  const send = process.send.bind(process);
  process.on('message', (jobs: SweepJob[]) => {
    for (const job of jobs) send(runJob(job));
    const cpu = process.cpuUsage();
    send({ done: true, cpuUs: cpu.user + cpu.system });
  });
  // The parent closes the channel when the sweep is over (or dies): nothing left to do.
  process.on('disconnect', () => process.exit(0));
}
