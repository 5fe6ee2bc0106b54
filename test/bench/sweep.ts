/**
 * Sweep scaling: the same 40 seeds of a faulty scenario on 1 and on 2 worker threads.
 * On a 2-core machine two workers should give at least 1.8x one worker.
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

export async function benchSweep(): Promise<Record<string, number>> {
  const protocol = PROTOCOLS.zab !== undefined ? 'zab' : 'paxos';
  await seedsPerSec(2, protocol, 4); // warm up the file cache and the JIT of the main thread
  const one = await seedsPerSec(1, protocol, 40);
  const two = await seedsPerSec(2, protocol, 40);
  return { seedsPerSec1Worker: Number(one.toFixed(2)), seedsPerSec2Workers: Number(two.toFixed(2)), speedup: Number((two / one).toFixed(2)) };
}
