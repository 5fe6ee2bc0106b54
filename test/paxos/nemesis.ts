/**
 * Random fault schedules for the Paxos property tests: crashes, restarts, GC pauses,
 * Jepsen-named partitions, loss and duplication bursts, within a fault window; then
 * everything is healed so a liveness phase can demand convergence.
 */
import fc from 'fast-check';
import type { Cluster } from '../../sim/net/cluster.js';
import { Rng } from '../../sim/core/rng.js';
import { PARTITION_SHAPES, shapeCuts, type PartitionShape } from '../../sim/net/partitions.js';
import type { PaxosMessage } from '../../sim/paxos/index.js';

export type Fault =
  | { atUs: number; kind: 'crash' | 'restart' | 'pause' | 'resume'; node: number }
  | { atUs: number; kind: 'partition'; shape: PartitionShape; seed: number }
  | { atUs: number; kind: 'heal' }
  | { atUs: number; kind: 'loss'; rate: number }
  | { atUs: number; kind: 'dup'; rate: number };

export function faultArb(windowUs: number, maxNode: number): fc.Arbitrary<Fault> {
  const atUs = fc.integer({ min: 0, max: windowUs });
  const node = fc.integer({ min: 0, max: maxNode });
  return fc.oneof(
    fc.record({ atUs, kind: fc.constantFrom('crash' as const, 'restart' as const, 'pause' as const, 'resume' as const), node }),
    fc.record({ atUs, kind: fc.constant('partition' as const), shape: fc.constantFrom(...PARTITION_SHAPES), seed: fc.nat(1_000) }),
    fc.record({ atUs, kind: fc.constant('heal' as const) }),
    fc.record({ atUs, kind: fc.constant('loss' as const), rate: fc.constantFrom(0, 0.05, 0.2, 0.5) }),
    fc.record({ atUs, kind: fc.constant('dup' as const), rate: fc.constantFrom(0, 0.1, 0.3) }),
  );
}

export function scheduleFaults(cluster: Cluster<PaxosMessage>, faults: readonly Fault[]): void {
  for (const fault of faults) {
    cluster.at(fault.atUs, () => {
      switch (fault.kind) {
        case 'crash':
          return cluster.crash(fault.node % cluster.size);
        case 'restart':
          return cluster.restart(fault.node % cluster.size);
        case 'pause':
          return cluster.pause(fault.node % cluster.size);
        case 'resume':
          return cluster.resume(fault.node % cluster.size);
        case 'partition': {
          const { cuts } = shapeCuts(fault.shape, cluster.size, new Rng(`shape-${fault.seed}`));
          cluster.heal();
          cluster.cut(cuts, fault.shape);
          return;
        }
        case 'heal':
          return cluster.heal();
        case 'loss':
          return cluster.setLossRate(fault.rate);
        case 'dup':
          return cluster.setDupRate(fault.rate);
      }
    });
  }
}

/** Ends the fault phase: every node up and running, no cuts, no loss. */
export function healAll(cluster: Cluster<PaxosMessage>): void {
  cluster.heal();
  cluster.setLossRate(0);
  for (const id of cluster.serverIds) {
    cluster.restart(id);
    cluster.resume(id);
  }
}
