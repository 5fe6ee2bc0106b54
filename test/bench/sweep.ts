/**
 * Sweep scaling: the same 240 seeds of a faulty scenario on 1 and on 2 workers, as
 * worker processes (the default model) and as worker threads (`…Thread`).
 *
 * `cold` is the whole sweep; `warm` is its last three quarters, once every worker has
 * loaded the modules and V8 has compiled the hot code (each worker is an isolate of its
 * own and warms up on its own: ~1.2-1.8 s of extra CPU, a large share of a short sweep).
 * `cpuPerWall` is CPU time (this process and its worker processes) over wall time: a
 * worker thread uses more than one core, because V8's compiler and garbage-collector
 * threads run beside it, so on a two-core machine a second thread can only add what
 * those threads leave; two `--single-threaded` worker processes use one core each.
 * `…1WorkerSingleThreaded` is one worker process with `--single-threaded` too (the flags
 * of each of two workers on two cores), which keeps one core busy where the default
 * single worker keeps ~1.4 (its CPU per wall second says how much);
 * `speedupOverSingleThreaded` compares two workers with it: the scaling apart from what
 * V8's helper threads took of the second core in the one-worker case.
 * `cpuMsPerSeed…` is that CPU time per seed: what a sweep costs the machine, whatever else
 * runs on it. Two workers pay for two warm-ups (each compiles the hot code in its own
 * isolate, ~1 s of CPU), and a single worker's V8 helper threads collect garbage in
 * parallel, so two workers cost more CPU per seed than one. On two cores two workers
 * take at least half their CPU time in wall time, so their speed-up over one worker is
 * at most 2 × cpuMsPerSeed1Worker / (cpuPerWall1Worker × cpuMsPerSeed2Workers).
 * `processBaseline2x` runs the same seeds in two independent single-threaded child
 * processes at once: the scaling the machine itself allows, whatever zablab does.
 */
import { streamSweep, sweepWorkerFlags, type SweepStats, type WorkerModel } from '../../sim/cli/sweep.js';
import { PROTOCOLS } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';

/** The benchmark's scenario (scripts/sweep-profile.mjs profiles the same seeds). */
export const SWEEP_BENCH_SCENARIO: Scenario = {
  title: 'sweep benchmark',
  explanation: 'Five servers, four clients, a nemesis of crashes, pauses and partitions.',
  cluster: { servers: 5 },
  workload: { clients: 4, ratePerSec: 100, readMode: 'quorum' },
  nemesis: { kinds: ['crash', 'pause', 'partition', 'leader-crash'], intervalMs: 300, faultDurationMs: 150 },
  durationMs: 2_000,
  healMs: 3_000,
};

interface SweepRate {
  /** Seeds per second over the whole sweep, workers' start-up and warm-up included. */
  cold: number;
  /** Seeds per second over the last three quarters of the sweep (the workers are warm). */
  warm: number;
  /** CPU time (this process and its worker processes) over wall time, over the whole sweep. */
  cpuPerWall: number;
  /** CPU milliseconds per seed over the whole sweep (this process and its worker processes). */
  cpuMsPerSeed: number;
}

async function sweepRate(workers: number, protocol: string, seeds: number, model?: WorkerModel, processFlags?: string[]): Promise<SweepRate> {
  const jobs = Array.from({ length: seeds }, (_, i) => ({ index: i, name: 'bench', scenario: SWEEP_BENCH_SCENARIO, protocol, seed: i + 1 }));
  const quarter = Math.floor(seeds / 4);
  let warmStart = 0;
  const start = performance.now();
  let stats: SweepStats | undefined;
  await streamSweep(
    { total: jobs.length, job: (index) => jobs[index] },
    {
      workers,
      model,
      processFlags,
      onResult: (_outcome, done) => {
        if (done === quarter) warmStart = performance.now();
      },
    },
  ).then((s) => (stats = s));
  const end = performance.now();
  return {
    cold: seeds / ((end - start) / 1000),
    warm: (seeds - quarter) / ((end - warmStart) / 1000),
    cpuPerWall: stats!.cpuPerWall,
    cpuMsPerSeed: (stats!.cpuSeconds * 1000) / seeds,
  };
}

async function seedsPerSec(workers: number, protocol: string, seeds: number): Promise<number> {
  return (await sweepRate(workers, protocol, seeds)).cold;
}

/** Seeds per second of two child processes each running `seeds` seeds inline, at once. */
async function processPair(protocol: string, seeds: number): Promise<number> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const self = fileURLToPath(import.meta.url);
  const start = performance.now();
  await Promise.all(
    [0, 1].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [self, '--inline', protocol, String(seeds)], { stdio: 'ignore' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))));
        }),
    ),
  );
  return (2 * seeds) / ((performance.now() - start) / 1000);
}

export async function benchSweep(): Promise<Record<string, number>> {
  const protocol = PROTOCOLS.zab !== undefined ? 'zab' : 'paxos';
  await seedsPerSec(2, protocol, 4); // warm up the file cache and the JIT of the main thread
  const one = await sweepRate(1, protocol, 240);
  const two = await sweepRate(2, protocol, 240);
  // One worker without V8's helper threads, as each of the two runs: what a second
  // worker adds when the first no longer has the second core's idle time to itself.
  const oneSingle = await sweepRate(1, protocol, 240, 'process', [...sweepWorkerFlags(1, 1)]);
  const oneThread = await sweepRate(1, protocol, 240, 'thread');
  const twoThreads = await sweepRate(2, protocol, 240, 'thread');
  const inline = await seedsPerSec(0, protocol, 60);
  const pair = await processPair(protocol, 60);
  const round = (n: number) => Number(n.toFixed(2));
  return {
    seedsPerSec1Worker: round(one.cold),
    seedsPerSec2Workers: round(two.cold),
    speedup: round(two.cold / one.cold),
    warmSeedsPerSec1Worker: round(one.warm),
    warmSeedsPerSec2Workers: round(two.warm),
    warmSpeedup: round(two.warm / one.warm),
    cpuPerWall1Worker: round(one.cpuPerWall),
    cpuPerWall2Workers: round(two.cpuPerWall),
    cpuMsPerSeed1Worker: round(one.cpuMsPerSeed),
    cpuMsPerSeed2Workers: round(two.cpuMsPerSeed),
    seedsPerSec1WorkerSingleThreaded: round(oneSingle.cold),
    cpuPerWall1WorkerSingleThreaded: round(oneSingle.cpuPerWall),
    speedupOverSingleThreaded: round(two.cold / oneSingle.cold),
    seedsPerSec1WorkerThread: round(oneThread.cold),
    seedsPerSec2WorkersThread: round(twoThreads.cold),
    speedupThread: round(twoThreads.cold / oneThread.cold),
    processBaseline2x: round(pair / inline),
  };
}

// `node sweep.js --inline PROTOCOL SEEDS`: the child of processPair.
if (process.argv[2] === '--inline') await seedsPerSec(0, process.argv[3], Number(process.argv[4]));
