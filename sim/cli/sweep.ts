/**
 * `zablab sweep <scenario…> --seeds A..B`: many seeds in parallel on worker threads.
 * Jobs go out in small batches to whichever worker is free; results are reported in
 * seed order, so the output is the same whatever the worker count. `--shard K/N`
 * keeps every N-th seed starting at the K-th (0-based), so shards of one sweep can run
 * on different machines and their `--json` lines merge by concatenation.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { concretize } from '../scenario/shrink.js';
import { UsageError, err, out, writeTextFile } from './io.js';
import { parseProtocol, protocolsOf, withBugs } from './run.js';
import { loadScenario } from './scenarios.js';
import { runJob, type SweepJob, type SweepOutcome } from './sweep-worker.js';
import { refuseToOverwrite, shellWord } from './report.js';
import { summaryLines, writeSweepReport } from './sweep-report.js';
import type { Scenario } from '../scenario/types.js';

export const SWEEP_USAGE = `usage: zablab sweep <scenario…> --seeds A..B [--protocol zab|paxos] [--bug NAME]… [--workers N] [--shard K/N] [--out DIR] [--report FILE.html] [--json]

Runs each scenario on each of its protocols (or --protocol) for every seed in A..B,
on N worker threads (default: all cores). Failing runs are saved under DIR (default
sweep-failures/) as scenario files with their seed: \`zablab run FILE\` reproduces them.
--report writes one self-contained HTML page: per scenario and protocol, the
percentiles and histogram of each availability figure (time from each fault to the
first successful write and read, longest window without success), with the worst
seeds' scenarios written beside it (FILE-seeds/).
Exit: 0 all pass, 1 some fail, 2 bad input.
`;

export function parseSeedRange(value: string | undefined): [number, number] {
  if (value === undefined) throw new UsageError(`--seeds A..B is required\n${SWEEP_USAGE}`);
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(value);
  if (!match) throw new UsageError(`--seeds must look like 1..200, got ${JSON.stringify(value)}`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (to < from) throw new UsageError(`--seeds ${value}: the range is empty`);
  return [from, to];
}

export function parseShard(value: string | undefined): [number, number] {
  if (value === undefined) return [0, 1];
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match || Number(match[2]) < 1 || Number(match[1]) >= Number(match[2])) throw new UsageError(`--shard must be K/N with 0 <= K < N, got ${JSON.stringify(value)}`);
  return [Number(match[1]), Number(match[2])];
}

export interface SweepOptions {
  workers: number;
  onResult?: (outcome: SweepOutcome, done: number, total: number) => void;
}

/** Runs the jobs on worker threads (or inline with 0 workers); results in job order. */
export async function runSweep(jobs: SweepJob[], options: SweepOptions): Promise<SweepOutcome[]> {
  const results = new Array<SweepOutcome>(jobs.length);
  let done = 0;
  const record = (outcome: SweepOutcome) => {
    results[outcome.index] = outcome;
    done++;
    options.onResult?.(outcome, done, jobs.length);
  };
  if (options.workers <= 0) {
    for (const job of jobs) record(runJob(job));
    return results;
  }
  // Workers run the compiled module (from the TypeScript sources, as under vitest, use dist/).
  const here = fileURLToPath(import.meta.url);
  const workerFile = here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'sim', 'cli', 'sweep-worker.js') : join(dirname(here), 'sweep-worker.js');
  const batch = Math.max(1, Math.min(8, Math.floor(jobs.length / (options.workers * 4))));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.workers, jobs.length) }, () => {
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(workerFile);
        const feed = () => {
          if (next >= jobs.length) {
            void worker.terminate().then(() => resolve());
            return;
          }
          const slice = jobs.slice(next, next + batch);
          next += slice.length;
          worker.postMessage(slice);
        };
        worker.on('message', (message: SweepOutcome | { done: true }) => {
          if ('done' in message) feed();
          else record(message);
        });
        worker.on('error', reject);
        feed();
      });
    }),
  );
  return results;
}

/**
 * Progress on stderr while a sweep runs: a bar redrawn in place on a terminal, a line
 * every 2 s otherwise, nothing when quiet (--json).
 */
export function progressReporter(quiet: boolean): { onResult: (outcome: SweepOutcome, done: number, total: number) => void; finish: () => void } {
  const tty = process.stderr.isTTY === true && !quiet;
  const started = performance.now();
  let lastPrinted = 0;
  return {
    onResult: (_outcome, done, total) => {
      if (quiet) return;
      const elapsed = (performance.now() - started) / 1000;
      const rate = done / Math.max(elapsed, 1e-9);
      const eta = (total - done) / Math.max(rate, 1e-9);
      if (tty) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  ${rate.toFixed(1)} runs/s  ETA ${eta.toFixed(0)} s `);
      } else if (done === total || performance.now() - lastPrinted > 2000) {
        lastPrinted = performance.now();
        err(`${done}/${total} runs, ${rate.toFixed(1)} runs/s, ETA ${eta.toFixed(0)} s\n`);
      }
    },
    finish: () => {
      if (tty) err('\n');
    },
  };
}

/** --workers N: a non-negative integer (0 runs inline); default all cores. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  if (!/^\d+$/.test(value)) throw new UsageError(`--workers needs a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export async function sweepCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      seeds: { type: 'string' },
      protocol: { type: 'string' },
      bug: { type: 'string', multiple: true },
      workers: { type: 'string' },
      shard: { type: 'string' },
      out: { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out(SWEEP_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`sweep needs at least one scenario\n${SWEEP_USAGE}`);
  const [from, to] = parseSeedRange(values.seeds);
  const [shardIndex, shardCount] = parseShard(values.shard);
  const protocol = parseProtocol(values.protocol);
  const workers = parseWorkers(values.workers);
  const outDir = values.out ?? 'sweep-failures';
  const scenarios = positionals.map((arg) => loadScenario(arg));
  const inputs = scenarios.map((s) => s.file);
  if (values.report !== undefined) refuseToOverwrite(values.report, inputs);
  const jobs: SweepJob[] = [];
  for (const { name, scenario } of scenarios) {
    for (const p of protocol ? [protocol] : protocolsOf(scenario)) {
      for (let seed = from; seed <= to; seed++) {
        if ((seed - from) % shardCount !== shardIndex) continue;
        jobs.push({ index: jobs.length, name, scenario: withBugs(scenario, values.bug, p), protocol: p, seed });
      }
    }
  }
  const started = performance.now();
  const progress = progressReporter(values.json === true);
  const outcomes = await runSweep(jobs, { workers, onResult: progress.onResult });
  progress.finish();
  const failures = outcomes.filter((o) => !o.ok);
  for (const failure of failures) {
    const source = scenarios.find((s) => s.name === failure.scenario)!.scenario;
    const repro: Scenario = { ...concretize(source, failure.seed), seed: failure.seed, protocols: [failure.protocol as 'zab' | 'paxos'] };
    const file = join(outDir, `${failure.scenario.replace(/[\\/]/g, '_')}-${failure.protocol}-seed${failure.seed}.json`);
    writeTextFile(file, JSON.stringify(repro, null, 2) + '\n');
    (failure as SweepOutcome & { reproduction?: string }).reproduction = file;
  }
  const summaries =
    values.report === undefined
      ? []
      : writeSweepReport({ file: values.report, command: ['zablab', 'sweep', ...argv].map(shellWord).join(' '), outcomes, scenarioOf: (o) => ({ ...concretize(jobs[o.index].scenario, o.seed), seed: o.seed, protocols: [o.protocol as 'zab' | 'paxos'] }), inputs });
  if (values.json) {
    for (const o of outcomes) out(JSON.stringify({ scenario: o.scenario, protocol: o.protocol, seed: o.seed, ok: o.ok, traceHash: o.traceHash, events: o.events, failed: o.failed, violations: o.violations, reproduction: (o as { reproduction?: string }).reproduction, availability: o.availability }) + '\n');
  } else {
    const groups = new Map<string, { runs: number; failed: number; seeds: number[] }>();
    for (const o of outcomes) {
      const key = `${o.scenario} ${o.protocol}`;
      const group = groups.get(key) ?? { runs: 0, failed: 0, seeds: [] };
      group.runs++;
      if (!o.ok) {
        group.failed++;
        if (group.seeds.length < 10) group.seeds.push(o.seed);
      }
      groups.set(key, group);
    }
    const width = Math.max(8, ...[...groups.keys()].map((k) => k.length));
    out(`${'scenario'.padEnd(width)}  runs  failed  failing seeds\n`);
    for (const [key, g] of groups) out(`${key.padEnd(width)}  ${String(g.runs).padStart(4)}  ${String(g.failed).padStart(6)}  ${g.seeds.join(', ')}${g.failed > g.seeds.length ? ', …' : ''}\n`);
    const seconds = (performance.now() - started) / 1000;
    out(`\n${outcomes.length - failures.length} passed, ${failures.length} failed in ${seconds.toFixed(1)} s (${(outcomes.length / seconds).toFixed(1)} runs/s, ${workers} worker${workers === 1 ? '' : 's'})\n`);
    for (const f of failures.slice(0, 20)) out(`  ✗ ${f.scenario} ${f.protocol} seed ${f.seed}: ${f.failed[0]}\n    reproduce: zablab run ${(f as { reproduction?: string }).reproduction}\n`);
    if (values.report !== undefined) out(`\navailability (ms)\n${summaryLines(summaries).map((line) => `  ${line}\n`).join('')}report: ${values.report}\n`);
  }
  return failures.length === 0 ? 0 : 1;
}
