/**
 * One randomized ZAB run, as the property test draws it: a cluster of 3, 5 or 7 servers,
 * random clients, and a schedule of faults (crashes, restarts, partitions, pauses, loss,
 * clogged links) during a fault window. Then the liveness phase: heal, restart and
 * resume everyone, wait for a leader, and require that every client completes an
 * operation and that all servers converge to the same tree. Invariants run online
 * throughout and once more at the end (finalCheck).
 */
import type { NodeId } from '../../sim/core/node.js';
import { DEFAULT_ZAB_CONFIG, type ZabConfig } from '../../sim/zab/index.js';
import type { ZabViolation } from '../../sim/check/zab/index.js';
import { allServing, restartServer, runUntil, zabRig, type ZabCluster } from './harness.js';
import { RandomClient } from './workload.js';

export type FaultKind = 'crash' | 'crashLeader' | 'partition' | 'isolateLeader' | 'pause' | 'loss' | 'clog';

export interface Fault {
  readonly kind: FaultKind;
  readonly atUs: number;
  readonly durationUs: number;
  /** Picks the node(s) a fault applies to. */
  readonly target: number;
}

export interface ChaosParams {
  readonly servers: 3 | 5 | 7;
  readonly seed: number;
  readonly clients: number;
  readonly faults: readonly Fault[];
  /** Faults start within this window; the liveness phase begins at its end. */
  readonly faultWindowUs: number;
  readonly config?: ZabConfig;
  /** Keep the trace in memory (debugging). */
  readonly keepTrace?: boolean;
}

export interface ChaosResult {
  readonly cluster: ZabCluster;
  readonly violations: readonly ZabViolation[];
  /** Empty when the liveness phase succeeded; otherwise what went wrong. */
  readonly livenessProblems: string[];
  readonly ops: { invoked: number; ok: number; timedOut: number };
  readonly committed: number;
  /**
   * The liveness phase met ZooKeeper's known limitation and restarted the leader: a
   * server that wrote acceptedEpoch e during a failed leadership attempt cannot join an
   * ensemble that settled on an epoch below e (LEADERINFO older than its acceptedEpoch)
   * until the ensemble elects again (ZooKeeper's EpochWriteFailureTest expects it to
   * keep retrying).
   */
  readonly leaderRestartedForEpoch: boolean;
}

function leaderOf(cluster: ZabCluster): NodeId | null {
  for (const id of cluster.serverIds) {
    if (cluster.isUp(id) && cluster.inspect(id).role === 'LEADING') return id;
  }
  return null;
}

/** Some live server cannot join: its acceptedEpoch is above the established leader's epoch. */
function epochStuck(cluster: ZabCluster, leader: NodeId): boolean {
  const epoch = cluster.inspect(leader).currentEpoch as number;
  return cluster.serverIds.some((id) => {
    if (!cluster.isUp(id)) return false;
    const s = cluster.inspect(id);
    return s.zabState !== 'BROADCAST' && (s.acceptedEpoch as number) > epoch;
  });
}

function applyFault(cluster: ZabCluster, fault: Fault): void {
  const n = cluster.size;
  const end = fault.atUs + fault.durationUs;
  switch (fault.kind) {
    case 'crash':
    case 'crashLeader': {
      const node = fault.kind === 'crashLeader' ? leaderOf(cluster) ?? fault.target % n : fault.target % n;
      cluster.crash(node);
      cluster.at(end, () => restartServer(cluster, node));
      return;
    }
    case 'partition':
    case 'isolateLeader': {
      let groups: number[][];
      if (fault.kind === 'isolateLeader') {
        const leader = leaderOf(cluster) ?? fault.target % n;
        groups = [[leader], cluster.serverIds.filter((id) => id !== leader)];
      } else {
        // A random split into two groups (bits of target).
        const a: number[] = [];
        const b: number[] = [];
        for (const id of cluster.serverIds) ((fault.target >> id) & 1 ? a : b).push(id);
        groups = [a, b];
      }
      cluster.partition(groups);
      cluster.at(end, () => cluster.heal());
      return;
    }
    case 'pause': {
      const node = fault.target % n;
      cluster.pause(node);
      cluster.at(end, () => cluster.resume(node));
      return;
    }
    case 'loss':
      cluster.setLossRate(0.02 + (fault.target % 10) / 100);
      cluster.at(end, () => cluster.setLossRate(0));
      return;
    case 'clog': {
      const from = fault.target % n;
      const to = (from + 1 + ((fault.target >> 4) % (n - 1))) % n;
      cluster.clog(from, to, end);
      return;
    }
  }
}

/** Runs until every server applied the same zxid and the leader has nothing outstanding. */
export function settle(cluster: ZabCluster, withinUs: number): boolean {
  const deadline = cluster.nowUs + withinUs;
  const settled = (): boolean => {
    let zxid: unknown;
    for (const id of cluster.serverIds) {
      const s = cluster.inspect(id);
      const leading = s.leading as { outstanding: number } | undefined;
      if (leading !== undefined && leading.outstanding > 0) return false;
      if (zxid === undefined) zxid = s.lastProcessedZxid;
      else if (zxid !== s.lastProcessedZxid) return false;
    }
    return true;
  };
  while (cluster.nowUs < deadline && cluster.haltReason === null) {
    if (settled()) return true;
    cluster.run({ untilUs: cluster.nowUs + 2_000 });
  }
  return settled();
}

export function chaosRun(params: ChaosParams): ChaosResult {
  const { cluster, monitor } = zabRig({ servers: params.servers, seed: params.seed, config: params.config ?? DEFAULT_ZAB_CONFIG, keepTrace: params.keepTrace ?? false, invariants: { halt: true } });
  const rng = cluster.rngs.stream('workload');
  const clients: RandomClient[] = [];
  for (let i = 0; i < params.clients; i++) clients.push(new RandomClient(cluster, rng, 400_000, 5_000));
  cluster.start();
  for (const client of clients) client.start(20_000 + rng.int(30_000));
  for (const fault of params.faults) cluster.at(fault.atUs, () => applyFault(cluster, fault));
  const window = params.faultWindowUs;
  const problems: string[] = [];
  // Safety phase.
  cluster.run({ untilUs: window });
  // Liveness phase: no more faults.
  const lastFaultEnd = Math.max(window, ...params.faults.map((f) => f.atUs + f.durationUs));
  cluster.run({ untilUs: lastFaultEnd });
  cluster.heal();
  cluster.setLossRate(0);
  for (const id of cluster.serverIds) {
    if (!cluster.isUp(id)) restartServer(cluster, id);
    if (cluster.isPaused(id)) cluster.resume(id);
  }
  for (const client of clients) client.stopAtUs = cluster.nowUs;
  const ready = (): boolean => allServing(cluster) && clients.every((c) => !c.busy);
  let leaderRestartedForEpoch = false;
  if (cluster.haltReason === null && !runUntil(cluster, ready, 3_000_000)) {
    const leader = leaderOf(cluster);
    if (leader !== null && epochStuck(cluster, leader)) {
      leaderRestartedForEpoch = true;
      cluster.crash(leader);
      restartServer(cluster, leader);
    }
  }
  if (cluster.haltReason === null && !runUntil(cluster, ready, 5_000_000)) {
    problems.push(`no stable leader with every server serving within 8 s after the faults stopped (${cluster.serverIds.map((id) => `${id}:${cluster.inspect(id).role}/${cluster.inspect(id).zabState}`).join(' ')})`);
  }
  // Every client completes a final write and a synced read.
  if (problems.length === 0 && cluster.haltReason === null) {
    let done = 0;
    const target = clients.length;
    clients.forEach((client, i) => {
      client.stopAtUs = Number.POSITIVE_INFINITY;
      client.finalProbe(`/final-${i}`, () => done++);
    });
    if (!runUntil(cluster, () => done === target, 5_000_000)) problems.push(`only ${done} of ${target} clients completed their final operations`);
    if (!settle(cluster, 2_000_000)) problems.push('servers did not settle on one zxid within 2 s');
  }
  for (const client of clients) client.stop();
  if (cluster.haltReason === null) {
    monitor!.finalCheck();
    const digests = new Set(cluster.serverIds.map((id) => cluster.inspect(id).treeDigest));
    const zxids = new Set(cluster.serverIds.map((id) => cluster.inspect(id).lastProcessedZxid));
    if (problems.length === 0 && (digests.size !== 1 || zxids.size !== 1)) {
      problems.push(`servers did not converge: ${cluster.serverIds.map((id) => `${id}@${String(cluster.inspect(id).lastProcessedZxid)}#${String(cluster.inspect(id).treeDigest)}`).join(' ')}`);
    }
  }
  const ops = { invoked: 0, ok: 0, timedOut: 0 };
  for (const c of clients) {
    ops.invoked += c.stats.invoked;
    ops.ok += c.stats.ok + c.stats.failed;
    ops.timedOut += c.stats.timedOut;
  }
  return { cluster, violations: monitor!.violations, livenessProblems: problems, ops, committed: monitor!.committed, leaderRestartedForEpoch };
}
