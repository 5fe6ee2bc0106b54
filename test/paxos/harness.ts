/**
 * Test rig for the Paxos tests: a datagram cluster of Paxos nodes, and a tiny client
 * that speaks sim/client/protocol.ts through cluster.clientSend (the real client library
 * lives in sim/client/; these tests do not depend on it).
 */
import type { NodeId } from '../../sim/core/node.js';
import { Cluster, type StorageConfig } from '../../sim/net/cluster.js';
import { TestClient as SharedTestClient, runUntil } from '../helpers/test-client.js';
import type { NetworkConfig } from '../../sim/net/network.js';
import { DEFAULT_PAXOS_CONFIG, PaxosNode, paxosFactory, type PaxosConfig, type PaxosMessage } from '../../sim/paxos/index.js';

export interface RigOptions {
  servers?: number;
  seed?: number | string;
  config?: PaxosConfig;
  network?: Partial<NetworkConfig>;
  storage?: StorageConfig;
  keepTrace?: boolean;
}

export const FAST_NETWORK: NetworkConfig = {
  channel: 'datagram',
  latency: { kind: 'uniform', minUs: 500, maxUs: 1_500 },
  clientLatency: { kind: 'uniform', minUs: 200, maxUs: 800 },
};

export function paxosCluster(options: RigOptions = {}): Cluster<PaxosMessage> {
  return new Cluster<PaxosMessage>({
    servers: options.servers ?? 3,
    seed: options.seed ?? 1,
    factory: paxosFactory(options.config ?? DEFAULT_PAXOS_CONFIG),
    network: { ...FAST_NETWORK, ...options.network },
    storage: options.storage,
    keepTrace: options.keepTrace ?? true,
    meta: { protocol: 'paxos' },
  });
}

/** The servers that currently believe they lead, by inspect(). */
export function leaders(cluster: Cluster<PaxosMessage>): NodeId[] {
  return cluster.serverIds.filter((id) => cluster.inspect(id).role === 'LEADER');
}

/** The leader a majority of live servers follow, if any. */
export function stableLeader(cluster: Cluster<PaxosMessage>): NodeId | null {
  const counts = new Map<NodeId, number>();
  for (const id of cluster.serverIds) {
    const leader = cluster.inspect(id).leader as NodeId | null | undefined;
    if (leader !== null && leader !== undefined) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  }
  for (const [leader, count] of counts) if (count > cluster.size / 2 && cluster.inspect(leader).role === 'LEADER') return leader;
  return null;
}

/** Runs until `predicate` holds (checked after every event) or `withinUs` passes. */

export { type Outcome, resultOf, roundTrip, runFor, runUntil } from '../helpers/test-client.js';

/** The shared test client, asking for a 1_000_000 µs session by default. */
export class TestClient extends SharedTestClient<PaxosMessage> {
  constructor(cluster: Cluster<PaxosMessage>, timeoutUs = 300_000) {
    super(cluster, timeoutUs, 1_000_000);
  }
}


/** Constant latencies everywhere: a scripted scenario then plays out the same on every run. */
export const CONSTANT_NETWORK: Partial<NetworkConfig> = {
  latency: { kind: 'constant', us: 1_000 },
  clientLatency: { kind: 'constant', us: 500 },
};
export const CONSTANT_STORAGE: StorageConfig = { syncLatency: { kind: 'constant', us: 500 } };

export const FAST_US = 10_000;
export const MEDIUM_US = 30_000;
export const SLOW_US = 60_000;
export const NEVER_US = 10_000_000;

/**
 * A cluster for scripted scenarios: constant latencies, and an election timeout per
 * node, read when the node is (re)built, so a script decides who campaigns first (set
 * `timeoutsUs[id]` before restarting a node to change its temper).
 */
export function scriptedCluster(options: RigOptions & { timeoutsUs: number[] }): Cluster<PaxosMessage> {
  const config = options.config ?? DEFAULT_PAXOS_CONFIG;
  const timeoutsUs = options.timeoutsUs;
  return new Cluster<PaxosMessage>({
    servers: timeoutsUs.length,
    seed: options.seed ?? 1,
    factory: (id) => new PaxosNode(id, { ...config, electionTimeoutUs: timeoutsUs[id] }),
    network: { ...FAST_NETWORK, ...CONSTANT_NETWORK, ...options.network },
    storage: options.storage ?? CONSTANT_STORAGE,
    keepTrace: options.keepTrace ?? true,
    meta: { protocol: 'paxos' },
  });
}

export function roleOf(cluster: Cluster<PaxosMessage>, id: NodeId): string {
  return cluster.inspect(id).role;
}

/** Runs until `id` leads and every other live node follows it. */
export function runUntilLeader(cluster: Cluster<PaxosMessage>, id: NodeId, withinUs = 500_000): void {
  const ok = runUntil(
    cluster,
    () => roleOf(cluster, id) === 'LEADER' && cluster.serverIds.every((other) => !cluster.isUp(other) || cluster.inspect(other).leader === id || isolated(cluster, other, id)),
    withinUs,
  );
  if (!ok) throw new Error(`node ${id} did not become the leader (roles: ${cluster.serverIds.map((s) => `${s}:${roleOf(cluster, s)}`).join(' ')})`);
}

function isolated(cluster: Cluster<PaxosMessage>, from: NodeId, to: NodeId): boolean {
  return cluster.net.isCut(to, from);
}
