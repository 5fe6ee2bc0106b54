/**
 * Sweep scaling: the same 120 seeds of a faulty scenario on 1 and on 2 worker threads
 * (enough for the workers' start-up, ~0.3 s of module loading, to be amortized).
 * `processBaseline2x` runs the same seeds in two independent single-threaded child
 * processes at once: the scaling the machine itself allows, whatever zablab does.
 */
import { runSweep } from '../../sim/cli/sweep.js';
import { PROTOCOLS } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';

const scenario: Scenario = {
  title: 'sweep benchmark',
  explanation: 'Five servers, four clients, a nemesis of crashes, pauses and partitions.',
  cluster: { servers: 5 },
  workload: { clients: 4, ratePerSec: 100, readMode: 'quorum' },
  nemesis: { kinds: ['crash', 'pause', 'partition', 'leader-crash'], intervalMs: 300, faultDurationMs: 150 },
  durationMs: 2_000,
  healMs: 3_000,
};

async function seedsPerSec(workers: number, protocol: string, seeds: number): Promise<number> {
  const jobs = Array.from({ length: seeds }, (_, i) => ({ index: i, name: 'bench', scenario, protocol, seed: i + 1 }));
  const start = performance.now();
  await runSweep(jobs, { workers });
  return seeds / ((performance.now() - start) / 1000);
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
  const one = await seedsPerSec(1, protocol, 120);
  const two = await seedsPerSec(2, protocol, 120);
  const inline = await seedsPerSec(0, protocol, 60);
  const pair = await processPair(protocol, 60);
  return {
    seedsPerSec1Worker: Number(one.toFixed(2)),
    seedsPerSec2Workers: Number(two.toFixed(2)),
    speedup: Number((two / one).toFixed(2)),
    processBaseline2x: Number((pair / inline).toFixed(2)),
  };
}

// `node sweep.js --inline PROTOCOL SEEDS`: the child of processPair.
if (process.argv[2] === '--inline') await seedsPerSec(0, process.argv[3], Number(process.argv[4]));
