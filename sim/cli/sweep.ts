/**
 * `zablab sweep <scenario…> --seeds A..B`: many seeds in parallel on worker threads.
 * Jobs go out in small batches to whichever worker is free; results are reported in
 * seed order, so the output is the same whatever the worker count or model. `--shard K/N`
 * (or the batch engine's environment, shard.ts) keeps every N-th seed starting at the
 * K-th (0-based), so shards of one sweep can run on different machines; `zablab merge`
 * (merge.ts) joins their `--json` lines and reproductions. The command starts its workers
 * before it loads the simulator and the scenarios (startSweepPool), so this module imports
 * nothing heavy at its top.
 */
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseFlags, parseSeedValue } from './args.js';
import { progressLine } from './progress.js';
import { resolveShard, shardSize, shardWords } from './shard.js';
import { UsageError, err, out } from './io.js';
import { coreCount, parseMaxEvents, parseWorkers } from './limits.js';
import { checkOutputFile, checkOutputFolder, writeOutputFile } from './outputs.js';
import type { SweepJob, SweepOutcome } from './sweep-worker.js';
import { refuseToOverwrite, shellWord } from './report.js';
import { summaryLines, writeSweepReport } from './sweep-report.js';
import type { ProtocolName, Scenario } from '../scenario/types.js';

export const SWEEP_USAGE = `usage: zablab sweep <scenario…> --seeds A..B [--protocol zab|paxos] [--bug NAME]… [--max-events N] [--workers N] [--worker-model process|thread] [--shard K/N | --shard-count N] [--out DIR] [--report FILE.html] [--force] [--json]

Runs each scenario on each of its protocols (or --protocol) for every seed in A..B
(unsigned 32-bit integers; the runs are made as workers ask for them, so any range
runs in flat memory), on N workers (default and at most: the core count; 0 runs
inline): worker processes, or with --worker-model thread worker threads (the results
are the same; processes scale better, README "Benchmarks"). Failing runs are saved
under DIR (default sweep-failures/) as scenario files with their seed, protocol and bug
switches: \`zablab run FILE\` reproduces them. A DIR already holding files this sweep
would write is refused unless --force. A run that reaches --max-events (default
10000000) counts as failing.
--shard K/N runs every N-th seed from the K-th (0 <= K < N). Without it the shard is
read from the environment: ZABLAB_SHARD=K/N (a CI matrix); JOB_COMPLETION_INDEX (a
Kubernetes Indexed Job) with --shard-count N or JOB_COMPLETIONS=N; GitLab's
CI_NODE_INDEX/CI_NODE_TOTAL. \`zablab merge\` joins the shards' --json lines and
reproductions into one summary (zablab merge --help).
--report writes one self-contained HTML page: per scenario and protocol, the
percentiles and histogram of each availability figure (time from each fault to the
first successful write and read, longest window without success), with the worst
seeds' scenarios written beside it (FILE-seeds/); the report keeps every run's
figures in memory until the end.
Exit: 0 all pass, 1 some fail, 2 bad input.
`;

export function parseSeedRange(value: string | undefined): [number, number] {
  if (value === undefined) throw new UsageError('--seeds A..B is required (zablab sweep --help)');
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(value);
  if (!match) throw new UsageError(`--seeds must look like 1..200 (unsigned 32-bit integers), got ${JSON.stringify(value)}`);
  const from = parseSeedValue(match[1], '--seeds');
  const to = match[2] === undefined ? from : parseSeedValue(match[2], '--seeds');
  if (to < from) throw new UsageError(`--seeds ${value}: the range is empty`);
  return [from, to];
}

/** --worker-model process|thread (default process). */
export function parseWorkerModel(value: string | undefined): WorkerModel {
  if (value === undefined) return 'process';
  if (!(WORKER_MODELS as readonly string[]).includes(value)) throw new UsageError(`--worker-model must be one of ${WORKER_MODELS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as WorkerModel;
}

/** The summary's words for how a sweep used the machine: "2 worker processes, 1.96 CPU/s". */
export function machineLine(stats: SweepStats): string {
  const what = stats.model === 'inline' ? 'inline' : `${stats.workers} worker ${stats.model === 'thread' ? 'thread' : 'process'}${stats.workers === 1 ? '' : stats.model === 'thread' ? 's' : 'es'}`;
  return `${what}, ${stats.cpuPerWall.toFixed(2)} CPU s per wall s`;
}

/** Jobs made one at a time, when a worker is ready for them: a sweep never holds them all. */
export interface JobSource {
  readonly total: number;
  /** The job with this index (0 ≤ index < total); called once per index, in order. */
  job(index: number): SweepJob;
}

export interface SweepOptions {
  workers: number;
  /** What workers run on (default `process`). */
  model?: WorkerModel;
  /** V8 flags of worker processes (default: sweepWorkerFlags). */
  processFlags?: string[];
  /**
   * Workers already started (startSweepPool): the sweep takes as many as it has jobs for
   * and closes the rest; `workers`, `model` and `processFlags` are then the pool's.
   */
  pool?: SweepPool;
  /** Each result, in job order (the same whatever the worker count). */
  onResult?: (outcome: SweepOutcome, done: number, total: number) => void;
}

/** The worker module (from the TypeScript sources, as under vitest, the compiled one in dist/). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'sim', 'cli', 'sweep-worker.js') : join(dirname(here), 'sweep-worker.js');
}

/**
 * How sweep workers run: `process` (a child process each, the default) or `thread`
 * (worker threads of this process). Measured on a two-core machine (README
 * "Benchmarks", issue 17): a worker thread shares its process's V8 compiler and garbage-collector
 * threads with the others, so one worker already keeps the second core half busy and
 * two workers scale by ×1.0-1.1; child processes started with `--single-threaded` (no
 * helper threads: every core runs one worker) scale by ×2. With fewer workers than cores
 * a child keeps V8's helper threads: they have idle cores to run on.
 */
export type WorkerModel = 'process' | 'thread';

export const WORKER_MODELS: readonly WorkerModel[] = ['process', 'thread'];

/** V8 flags of a worker process, chosen by measurement (test/bench/sweep.ts). */
export function workerProcessFlags(workers: number, cores: number): string[] {
  // A young generation of 32 MB: a run's allocations die young, and fewer scavenges
  // cost the ZAB benchmark ~25% less CPU per operation (measured, 16 MB default).
  const flags = ['--max-semi-space-size=32'];
  if (workers >= cores) {
    // Each core runs a worker, so V8's compiler runs on the worker's own thread: a
    // cold worker spends ~1 s CPU in TurboFan over its first ~40 seeds (some 350
    // compilations). A third of V8's inlining budget (920 bytecodes inlined per
    // function by default) makes each compilation smaller: 120 seeds of the sweep
    // benchmark's scenario, cold, took 11% less CPU (medians of 10 at a load of 3-7:
    // 3.32 → 2.95 s; 460 and 150 measured the same as 300), and 200 seeds after a
    // 100-seed warm-up ran as fast (71-78 seeds per CPU second either way). Not for a
    // worker with helper threads: its compiler has a core to itself, and its main
    // thread measured 3% slower with less inlining (240 seeds, medians of 5: 3.33 → 3.44 s).
    flags.push('--single-threaded', '--max-inlined-bytecode-size-cumulative=300');
  }
  return flags;
}

/**
 * V8 flags of a sweep's (and swarm's) worker processes: workerProcessFlags, and four
 * times V8's interrupt budget (67,584 bytecodes run before a function is
 * considered for TurboFan): functions gather more type feedback before they are
 * compiled, so fewer are compiled at all and fewer deoptimize and are compiled again.
 * 240 seeds of the sweep benchmark in one single-threaded process (--trace-opt,
 * scripts/sweep-profile.mjs): 511 → 332 compilations, recompiles after a deopt
 * ~970 → ~250 ms; CPU medians of 8 interleaved runs at a load of 3-8, 5.39 → 5.10 s
 * (first 40 seeds 1.70 → 1.53 s); cold 240-seed sweeps, CPU ms per seed in 5
 * interleaved pairs at a load of 5-8, 1 worker 25.1 → 22.4 (every pair lower), 2 workers
 * 29.5 → 29.0 (4 of 5 lower: within the noise). Twice the default measured between
 * the two, eight times worse (more time in the interpreter).
 * Not measured on the explorer's workers, which keep workerProcessFlags.
 */
export function sweepWorkerFlags(workers: number, cores: number): string[] {
  return [...workerProcessFlags(workers, cores), '--interrupt-budget=270336'];
}

/** The command-line argument that makes sweep-worker.js serve its parent over IPC. */
export const CHILD_WORKER_ARG = '--zablab-sweep-child';

/** What a worker says: a job's outcome, or that a batch is done (with its process's CPU time so far, for a child). */
type WorkerMessage = SweepOutcome | { done: true; cpuUs?: number };

type MessageHandler = (message: WorkerMessage) => void;
type ErrorHandler = (error: Error) => void;

/** One worker, whatever it runs on. */
interface SweepWorker {
  post(jobs: SweepJob[]): void;
  /** Where its messages and errors go from now on (an error it had before is handed over at once). */
  listen(onMessage: MessageHandler, onError: ErrorHandler): void;
  close(): Promise<void>;
}

function startWorker(model: WorkerModel, flags: string[]): SweepWorker {
  // A worker is started before anyone listens to it (startSweepPool): it says nothing
  // until it is sent jobs, but it can fail to start, and that must not be lost.
  let onMessage: MessageHandler | null = null;
  let onError: ErrorHandler | null = null;
  let early: Error | null = null;
  const message = (m: WorkerMessage) => onMessage?.(m);
  const error = (e: Error) => {
    if (onError !== null) onError(e);
    else early ??= e;
  };
  const listen = (m: MessageHandler, e: ErrorHandler) => {
    onMessage = m;
    onError = e;
    if (early !== null) e(early);
  };
  if (model === 'thread') {
    const worker = new Worker(workerFile());
    worker.on('message', message);
    worker.on('error', error);
    return { post: (jobs) => worker.postMessage(jobs), listen, close: () => worker.terminate().then(() => undefined) };
  }
  const child = fork(workerFile(), [CHILD_WORKER_ARG], { execArgv: flags, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let closing = false;
  child.on('message', (m) => message(m as WorkerMessage));
  child.on('error', error);
  child.on('exit', (code, signal) => {
    if (!closing) error(new Error(`sweep worker process ${child.pid} exited early (${signal ?? `code ${code}`})`));
  });
  return {
    post: (jobs) => child.send(jobs),
    listen,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

/**
 * Workers started ahead of their sweep. A worker process takes ~60 ms of CPU to start
 * node and ~80 ms to load the simulator's modules (more in wall time on a loaded machine);
 * `zablab sweep` starts its workers first, so that they load while it loads its own
 * modules and the scenarios (the JSON Schema validator alone compiles in ~100-180 ms),
 * instead of after. Hand the pool to streamSweep, or close it.
 */
export interface SweepPool {
  readonly model: WorkerModel;
  /** The V8 flags its processes were started with. */
  readonly flags: readonly string[];
  /** @internal the workers, taken by streamSweep */
  readonly workers: SweepWorker[];
  /** Ends every worker not yet taken by a sweep (a sweep closes its own). */
  close(): Promise<void>;
}

/** Starts `count` workers (at least one) for a sweep that has not been planned yet. */
export function startSweepPool(count: number, options: { model?: WorkerModel; processFlags?: string[] } = {}): SweepPool {
  const model = options.model ?? 'process';
  const flags = options.processFlags ?? sweepWorkerFlags(count, coreCount());
  const workers = Array.from({ length: Math.max(1, count) }, () => startWorker(model, flags));
  return {
    model,
    flags,
    workers,
    close: async () => {
      const left = workers.splice(0);
      await Promise.all(left.map((worker) => worker.close()));
    },
  };
}

/** How a sweep used the machine. */
export interface SweepStats {
  wallSeconds: number;
  /** CPU time of this process and of its worker processes, in seconds. */
  cpuSeconds: number;
  /** cpuSeconds / wallSeconds: how many cores the sweep kept busy on average. */
  cpuPerWall: number;
  workers: number;
  model: WorkerModel | 'inline';
}

/**
 * Runs a source's jobs on workers (or inline with 0 workers), handing each result to
 * onResult in job order. Workers start once per sweep (or come started, `options.pool`)
 * and serve every batch; jobs are made only when a worker asks, and no job runs more
 * than a small window ahead of the oldest unreported one, so memory stays flat however
 * many jobs there are.
 */
export async function streamSweep(source: JobSource, options: SweepOptions): Promise<SweepStats> {
  const total = source.total;
  const startedMs = performance.now();
  const startedCpu = process.cpuUsage();
  let done = 0;
  const report = (outcome: SweepOutcome) => {
    done++;
    options.onResult?.(outcome, done, total);
  };
  const pool = options.pool;
  const workers = Math.min(Math.max(pool?.workers.length ?? options.workers, 0), total);
  const model = pool?.model ?? options.model ?? 'process';
  const childCpuUs: number[] = new Array<number>(workers).fill(0);
  const stats = (): SweepStats => {
    const wallSeconds = (performance.now() - startedMs) / 1000;
    const own = process.cpuUsage(startedCpu);
    const cpuSeconds = (own.user + own.system + childCpuUs.reduce((a, b) => a + b, 0)) / 1e6;
    return { wallSeconds, cpuSeconds, cpuPerWall: cpuSeconds / Math.max(wallSeconds, 1e-9), workers, model: workers === 0 ? 'inline' : model };
  };
  if (workers === 0) {
    await pool?.close();
    // Loaded here, not with this module: `zablab sweep` starts its workers before it loads the simulator.
    const { runJob } = await import('./sweep-worker.js');
    for (let index = 0; index < total; index++) report(runJob(source.job(index)));
    return stats();
  }
  let started: SweepWorker[];
  if (pool !== undefined) {
    started = pool.workers.splice(0, workers);
    // More workers than jobs: the rest go now.
    await pool.close();
  } else {
    const flags = options.processFlags ?? sweepWorkerFlags(workers, coreCount());
    started = Array.from({ length: workers }, () => startWorker(model, flags));
  }
  const batch = Math.max(1, Math.min(8, Math.floor(total / (workers * 4))));
  const window = workers * batch * 4;
  const waiting = new Map<number, SweepOutcome>();
  let next = 0;
  let reported = 0;
  const idle: (() => void)[] = [];
  await Promise.all(
    started.map((worker, slot) => {
      return new Promise<void>((resolve, reject) => {
        let finished = false;
        worker.listen(
          (message) => {
            if ('done' in message) {
              if (message.cpuUs !== undefined) childCpuUs[slot] = message.cpuUs;
              feed();
              return;
            }
            waiting.set(message.index, message);
            while (waiting.has(reported)) {
              const outcome = waiting.get(reported)!;
              waiting.delete(reported);
              reported++;
              report(outcome);
            }
            while (idle.length > 0 && next < reported + window) idle.shift()!();
          },
          (error) => {
            if (!finished) reject(error);
          },
        );
        const feed = () => {
          if (next >= total) {
            finished = true;
            void worker.close().then(() => resolve());
            return;
          }
          // Too far ahead of the oldest unreported job: wait until it is reported.
          if (next >= reported + window) {
            idle.push(feed);
            return;
          }
          const slice: SweepJob[] = [];
          // Batches shrink towards the end, so the workers finish together.
          const size = sweepBatchSize(total - next, workers, batch);
          while (slice.length < size && next < total && next < reported + window) slice.push(source.job(next++));
          worker.post(slice);
        };
        feed();
      });
    }),
  );
  return stats();
}

/**
 * How many jobs a free worker is handed: `batch` (up to 8, fewer messages), but never
 * more than a 1/(2 × workers) share of the jobs left. With whole batches to the end, a
 * worker handed the last 8 seeds kept the others idle for up to 8 seeds' time: ~130 ms
 * of a warm worker on the sweep benchmark, some 5 % of a 240-seed sweep on two workers.
 * Shrinking, the last jobs go out one at a time and the workers finish within about a
 * seed of each other; the few extra messages cost microseconds.
 */
export function sweepBatchSize(remaining: number, workers: number, batch: number): number {
  return Math.max(1, Math.min(batch, Math.floor(remaining / (workers * 2))));
}

/** Runs the jobs (all given at once); results in job order. */
export async function runSweep(jobs: SweepJob[], options: SweepOptions): Promise<SweepOutcome[]> {
  const results: SweepOutcome[] = [];
  await streamSweep({ total: jobs.length, job: (index) => jobs[index] }, {
    ...options,
    onResult: (outcome, done, total) => {
      results.push(outcome);
      options.onResult?.(outcome, done, total);
    },
  });
  return results;
}

/**
 * Progress on stderr while a sweep runs: a bar redrawn in place on a terminal, a line
 * every 2 s otherwise, nothing when quiet (--json).
 */
export function progressReporter(quiet: boolean): { onResult: (outcome: SweepOutcome, done: number, total: number) => void; finish: () => void } {
  // On a terminal: one line redrawn in place (at most five times a second) and erased at
  // the end, as every command's progress; on a pipe: a line every two seconds and at the end.
  const line = progressLine(process.stderr.isTTY === true && !quiet);
  const tty = process.stderr.isTTY === true;
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
        line.update(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  ${rate.toFixed(1)} runs/s  ETA ${eta.toFixed(0)} s`);
      } else if (done === total || performance.now() - lastPrinted > 2000) {
        lastPrinted = performance.now();
        err(`${done}/${total} runs, ${rate.toFixed(1)} runs/s, ETA ${eta.toFixed(0)} s\n`);
      }
    },
    finish: () => line.done(),
  };
}

/** What a sweep keeps while it runs: counts per scenario and protocol, the first failures. */
interface SweepTally {
  groups: Map<string, { runs: number; failed: number; seeds: number[] }>;
  runs: number;
  failures: number;
  firstFailures: { outcome: SweepOutcome; reproduction: string }[];
}

/** The file a failing run is saved to. */
function reproductionName(scenario: string, protocol: string, seed: number): string {
  return `${scenario.replace(/[\\/]/g, '_')}-${protocol}-seed${seed}.json`;
}

export async function sweepCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseSweepFlags(argv);
  if (positionals.length === 0) throw new UsageError('needs at least one scenario (zablab sweep --help)');
  const [from, to] = parseSeedRange(values.seeds);
  const shard = resolveShard({ shard: values.shard, shardCount: values['shard-count'] }, process.env);
  const maxEvents = parseMaxEvents(values['max-events']);
  const workers = parseWorkers(values.workers, 'sweep');
  const model = parseWorkerModel(values['worker-model']);
  // Seeds of this shard: from+K, from+K+N, … (K/N the shard).
  const perPair = shardSize(to - from + 1, shard);
  if (perPair === 0) throw new UsageError(`shard ${shard.index}/${shard.count}${shard.source !== '--shard' ? ` (from ${shard.source})` : ''} of --seeds ${from}..${to} holds no seed`);
  // The workers start now, and load the simulator while this process loads it too and
  // reads the scenarios: the two overlap on two cores instead of following each other
  // (startSweepPool). Each scenario runs on at least one protocol, so there are at least
  // perPair × scenarios jobs.
  const pool = workers === 0 ? undefined : startSweepPool(Math.min(workers, perPair * positionals.length), { model });
  try {
    return await planAndRunSweep(argv, values, positionals, { from, to, shard, maxEvents, workers, model, perPair, pool });
  } finally {
    // Workers the sweep did not take (bad input found after they started, or fewer jobs).
    await pool?.close();
  }
}

type SweepValues = ReturnType<typeof parseSweepFlags>['values'];

function parseSweepFlags(argv: string[]) {
  return parseFlags(
    'sweep',
    argv,
    { seeds: { type: 'string' }, protocol: { type: 'string' }, bug: { type: 'string', multiple: true }, 'max-events': { type: 'string' }, workers: { type: 'string' }, 'worker-model': { type: 'string' }, shard: { type: 'string' }, 'shard-count': { type: 'string' }, out: { type: 'string' }, report: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
    SWEEP_USAGE,
  );
}

interface SweepPlan {
  from: number;
  to: number;
  shard: ReturnType<typeof resolveShard>;
  maxEvents: number;
  workers: number;
  model: WorkerModel;
  perPair: number;
  pool: SweepPool | undefined;
}

/** The rest of `zablab sweep`, once its workers are starting: scenarios, outputs, the sweep, the summary. */
async function planAndRunSweep(argv: string[], values: SweepValues, positionals: string[], plan: SweepPlan): Promise<number> {
  const { from, to, shard, maxEvents, workers, model, perPair, pool } = plan;
  // The simulator and the scenario validator, loaded while the workers start.
  const [{ loadScenario }, { parseProtocol, protocolsOf, withBugs }, { concretize }] = await Promise.all([import('./scenarios.js'), import('./run.js'), import('../scenario/shrink.js')]);
  const protocol = parseProtocol(values.protocol);
  const outDir = values.out ?? 'sweep-failures';
  const scenarios = positionals.map((arg) => loadScenario(arg));
  // Each (scenario, protocol) pair, with its bug switches: the jobs are made from these lazily.
  const pairs = scenarios.flatMap(({ name, scenario }) => (protocol ? [protocol] : protocolsOf(scenario)).map((p) => ({ name, protocol: p, scenario: withBugs(scenario, values.bug, p) })));
  const prefixes = pairs.map((p) => reproductionName(p.name, p.protocol, 0).replace(/0\.json$/, ''));
  const inputs = scenarios.map((s) => s.file);
  const rules = { flag: '--out', inputs, force: values.force === true };
  checkOutputFolder(outDir, rules, (name) => prefixes.some((prefix) => name.startsWith(prefix) && /^\d+\.json$/.test(name.slice(prefix.length))));
  if (values.report !== undefined) {
    refuseToOverwrite(values.report, inputs);
    checkOutputFile(values.report, { ...rules, flag: '--report' });
  }
  const pairOf = (o: SweepOutcome) => pairs.find((p) => p.name === o.scenario && p.protocol === o.protocol)!;
  const total = perPair * pairs.length;
  const source: JobSource = {
    total,
    job: (index) => {
      const pair = pairs[Math.floor(index / perPair)];
      const seed = from + shard.index + (index % perPair) * shard.count;
      return { index, name: pair.name, scenario: pair.scenario, protocol: pair.protocol, seed, maxEvents };
    },
  };
  // Every line says which sweep and shard it belongs to: `zablab merge` checks the shards cover the sweep once.
  const shardTag = `${shard.index}/${shard.count}`;
  const seedsTag = `${from}..${to}`;
  const tally: SweepTally = { groups: new Map(), runs: 0, failures: 0, firstFailures: [] };
  // Only a report needs every run's figures at the end.
  const kept: SweepOutcome[] = [];
  const started = performance.now();
  const progress = progressReporter(values.json === true);
  const stats = await streamSweep(source, {
    workers,
    model,
    pool,
    onResult: (outcome, done, all) => {
      progress.onResult(outcome, done, all);
      let reproduction: string | undefined;
      if (!outcome.ok) {
        // Saved as it comes: everything that shaped the run (bug switches included) is in the file.
        const repro: Scenario = { ...concretize(pairOf(outcome).scenario, outcome.seed), seed: outcome.seed, protocols: [outcome.protocol as ProtocolName] };
        reproduction = join(outDir, reproductionName(outcome.scenario, outcome.protocol, outcome.seed));
        writeOutputFile(reproduction, JSON.stringify(repro, null, 2) + '\n', rules);
      }
      tallyOutcome(tally, outcome, reproduction);
      if (values.report !== undefined) kept.push(outcome);
      if (values.json) out(JSON.stringify({ scenario: outcome.scenario, protocol: outcome.protocol, seed: outcome.seed, ok: outcome.ok, traceHash: outcome.traceHash, events: outcome.events, failed: outcome.failed, violations: outcome.violations, reproduction, availability: outcome.availability, shard: shardTag, seeds: seedsTag }) + '\n');
    },
  });
  progress.finish();
  const summaries =
    values.report === undefined
      ? []
      : writeSweepReport({ file: values.report, command: ['zablab', 'sweep', ...argv].map(shellWord).join(' '), outcomes: kept, scenarioOf: (o) => ({ ...concretize(pairOf(o).scenario, o.seed), seed: o.seed, protocols: [o.protocol as ProtocolName] }), inputs });
  if (!values.json) {
    printSweepSummary(tally, (performance.now() - started) / 1000, stats, shardWords(shard));
    if (values.report !== undefined) out(`\navailability (ms)\n${summaryLines(summaries).map((line) => `  ${line}\n`).join('')}report: ${values.report}\n`);
  }
  return tally.failures === 0 ? 0 : 1;
}

function tallyOutcome(tally: SweepTally, outcome: SweepOutcome, reproduction: string | undefined): void {
  const key = `${outcome.scenario} ${outcome.protocol}`;
  const group = tally.groups.get(key) ?? { runs: 0, failed: 0, seeds: [] };
  group.runs++;
  tally.runs++;
  if (!outcome.ok) {
    group.failed++;
    tally.failures++;
    if (group.seeds.length < 10) group.seeds.push(outcome.seed);
    if (tally.firstFailures.length < 20) tally.firstFailures.push({ outcome, reproduction: reproduction! });
  }
  tally.groups.set(key, group);
}

function printSweepSummary(tally: SweepTally, seconds: number, stats: SweepStats, shard: string): void {
  const width = Math.max(8, ...[...tally.groups.keys()].map((k) => k.length));
  out(`${'scenario'.padEnd(width)}  runs  failed  failing seeds\n`);
  for (const [key, g] of tally.groups) out(`${key.padEnd(width)}  ${String(g.runs).padStart(4)}  ${String(g.failed).padStart(6)}  ${g.seeds.join(', ')}${g.failed > g.seeds.length ? ', …' : ''}\n`);
  out(`\n${tally.runs - tally.failures} passed, ${tally.failures} failed in ${seconds.toFixed(1)} s (${(tally.runs / seconds).toFixed(1)} runs/s, ${machineLine(stats)})${shard ? `; ${shard}` : ''}\n`);
  for (const { outcome: f, reproduction } of tally.firstFailures) out(`  ✗ ${f.scenario} ${f.protocol} seed ${f.seed}: ${f.failed[0]}\n    reproduce: zablab run ${reproduction}\n`);
}
