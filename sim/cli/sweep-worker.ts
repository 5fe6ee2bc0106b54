/**
 * A sweep worker thread: runs (scenario, protocol, seed) jobs it is sent and posts a
 * compact result for each. Scenarios arrive already validated.
 */
import { parentPort } from 'node:worker_threads';
import { failedExpectations, runScenario } from '../scenario/run.js';
import { protocolAdapter } from '../scenario/protocols.js';
import type { Scenario } from '../scenario/types.js';

export interface SweepJob {
  index: number;
  name: string;
  scenario: Scenario;
  protocol: string;
  seed: number;
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
  error?: string;
}

export function runJob(job: SweepJob): SweepOutcome {
  try {
    const result = runScenario(job.scenario, protocolAdapter(job.protocol), { seed: job.seed, name: job.name });
    return {
      index: job.index,
      scenario: job.name,
      protocol: job.protocol,
      seed: job.seed,
      ok: result.ok,
      traceHash: result.traceHash,
      events: result.events,
      failed: failedExpectations(result).map((e) => `${e.name}: ${e.detail}`),
      violations: [...new Set(result.invariants.violations.map((v) => v.invariant))],
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
}
