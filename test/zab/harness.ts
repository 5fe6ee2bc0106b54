/**
 * Test rig for the ZAB tests: a connection-channel cluster of ZAB servers, optional
 * online invariants, and a tiny client that speaks sim/client/protocol.ts through
 * cluster.clientSend (the real client library lives in sim/client/; these tests do not
 * depend on it).
 */
import type { NodeId } from '../../sim/core/node.js';
import { Cluster, type StorageConfig } from '../../sim/net/cluster.js';
import { TestClient as SharedTestClient, roundTrip, runFor, runUntil } from '../helpers/test-client.js';
import type { NetworkConfig } from '../../sim/net/network.js';
import { DEFAULT_ZAB_CONFIG, zabFactory, type ZabConfig, type ZabMessage } from '../../sim/zab/index.js';
import { attachZabInvariants, type ZabInvariantMonitor, type ZabInvariantOptions } from '../../sim/check/zab/index.js';

export type ZabCluster = Cluster<ZabMessage>;

export interface RigOptions {
  servers?: number;
  seed?: number | string;
  config?: ZabConfig;
  network?: Partial<NetworkConfig>;
  storage?: StorageConfig;
  keepTrace?: boolean;
  /** Attach the online invariants (default true). */
  invariants?: boolean | ZabInvariantOptions;
}

export const FAST_NETWORK: NetworkConfig = {
  channel: 'connection',
  latency: { kind: 'uniform', minUs: 500, maxUs: 1_500 },
  clientLatency: { kind: 'uniform', minUs: 200, maxUs: 800 },
  disconnectDetectUs: 20_000,
};

export interface Rig {
  cluster: ZabCluster;
  monitor: ZabInvariantMonitor | null;
}

export function zabRig(options: RigOptions = {}): Rig {
  const cluster = new Cluster<ZabMessage>({
    servers: options.servers ?? 3,
    seed: options.seed ?? 1,
    factory: zabFactory(options.config ?? DEFAULT_ZAB_CONFIG),
    network: { ...FAST_NETWORK, ...options.network },
    storage: options.storage,
    keepTrace: options.keepTrace ?? true,
    meta: { protocol: 'zab' },
  });
  const inv = options.invariants ?? true;
  const monitor = inv === false ? null : attachZabInvariants(cluster, inv === true ? {} : inv);
  return { cluster, monitor };
}

/** A started cluster with an established leader and every server serving, and one follower. */
export function servingZab(options: RigOptions = {}): Rig & { leader: NodeId; follower: NodeId } {
  const rig = zabRig(options);
  rig.cluster.start();
  if (!runUntil(rig.cluster, () => establishedLeader(rig.cluster) !== null && allServing(rig.cluster), 2_000_000)) throw new Error('no leader within 2 s');
  const leader = establishedLeader(rig.cluster)!;
  return { ...rig, leader, follower: rig.cluster.serverIds.find((id) => id !== leader)! };
}

/** The server that is LEADING in BROADCAST and followed by a quorum in BROADCAST, if any. */
export function establishedLeader(cluster: ZabCluster): NodeId | null {
  let leader: NodeId | null = null;
  for (const id of cluster.serverIds) {
    const s = cluster.inspect(id);
    if (s.role === 'LEADING' && s.zabState === 'BROADCAST') leader = id;
  }
  if (leader === null) return null;
  let following = 1;
  for (const id of cluster.serverIds) {
    const s = cluster.inspect(id);
    if (id !== leader && s.role === 'FOLLOWING' && s.zabState === 'BROADCAST' && s.leader === leader) following++;
  }
  return following > cluster.size / 2 ? leader : null;
}

/** Every live server is serving (BROADCAST) under one leader. */
export function allServing(cluster: ZabCluster): boolean {
  let leader: unknown = undefined;
  for (const id of cluster.serverIds) {
    if (!cluster.isUp(id)) continue;
    const s = cluster.inspect(id);
    if (s.zabState !== 'BROADCAST' || s.role === 'LOOKING') return false;
    if (leader === undefined) leader = s.leader;
    else if (leader !== s.leader) return false;
  }
  return true;
}

/** Runs until `predicate` holds (checked after every event) or `withinUs` passes. */


export { type Outcome, resultOf, roundTrip, runFor, runUntil } from '../helpers/test-client.js';

/** The shared test client, asking for a 10_000_000 µs session by default. */
export class TestClient extends SharedTestClient<ZabMessage> {
  constructor(cluster: Cluster<ZabMessage>, timeoutUs = 300_000) {
    super(cluster, timeoutUs, 10_000_000);
  }
}


/** Connects a client through `server` (retrying elsewhere until some server accepts). */
export function connectClient(cluster: ZabCluster, server: NodeId, withinUs = 3_000_000): TestClient {
  const client = new TestClient(cluster);
  const deadline = cluster.nowUs + withinUs;
  let target = server;
  while (cluster.nowUs < deadline) {
    const outcome = roundTrip(client, (done) => client.connect(target, done));
    if (outcome.kind === 'reply' && outcome.reply.kind === 'connected') return client;
    target = (target + 1) % cluster.size;
    runFor(cluster, 20_000);
  }
  throw new Error(`client could not connect within ${withinUs} µs`);
}

/**
 * Restarts a server. Works around a simulator bug (sim/net/cluster.ts, reported): a
 * connection that breaks while a server is down clears that server's "knows it is
 * broken" flag, and no disconnect notice is sent to a down server, so after the restart
 * every send to that peer is dropped as 'broken-connection' forever. A rebooted process
 * has no connections: mark its broken ones as known so its first send dials anew.
 */
export function restartServer(cluster: ZabCluster, node: NodeId): void {
  const net = cluster.net;
  if (!cluster.isUp(node)) {
    for (const peer of cluster.serverIds) {
      if (peer !== node && net.connBroken[net.pairIndex(node, peer)] === 1) net.connKnownBroken[node * net.n + peer] = 1;
    }
  }
  cluster.restart(node);
}

/** Notes and state changes of the trace, for debugging a failing test. */
export function story(cluster: ZabCluster, from = 0): string {
  return cluster.trace.events
    .filter((e) => e.seq >= from && (e.kind === 'note' || e.kind === 'state' || e.kind === 'election' || e.kind === 'violation' || e.kind === 'crash' || e.kind === 'restart' || e.kind === 'partition' || e.kind === 'heal'))
    .map((e) => `${(e.timeUs / 1000).toFixed(3)}ms n${e.node} ${e.kind} ${e.kind === 'note' ? String(e.text) : JSON.stringify({ ...e, timeUs: undefined, seq: undefined, node: undefined, kind: undefined })}`)
    .join('\n');
}

/** Trace events of one kind (optionally on one node) since `fromSeq`. */
export function eventsOf(cluster: ZabCluster, kind: string, node?: number, fromSeq = 0) {
  return cluster.trace.events.filter((e) => e.kind === kind && e.seq >= fromSeq && (node === undefined || e.node === node));
}

/**
 * Issues creates of `paths` one after the other through `server` (pipelined: `depth` at
 * a time) and returns the paths acknowledged OK (or NODEEXISTS) by the time the run
 * window ends.
 */
export function writeAll(client: TestClient, server: NodeId, paths: readonly string[], withinUs = 2_000_000, depth = 1): Set<string> {
  const acked = new Set<string>();
  let next = 0;
  let inFlight = 0;
  const issue = (): void => {
    while (inFlight < depth && next < paths.length) {
      const path = paths[next++];
      inFlight++;
      client.op(server, { op: 'create', path, data: 'w', mode: 'persistent' }, (outcome) => {
        inFlight--;
        if (outcome.kind === 'reply' && outcome.reply.kind === 'result' && (outcome.reply.result.ok || outcome.reply.result.code === 'NODEEXISTS')) acked.add(path);
        issue();
      });
    }
  };
  issue();
  runUntil(client.cluster, () => next === paths.length && inFlight === 0, withinUs);
  return acked;
}

/** The paths present on a server (its tree), by inspect-free access to the node. */
export function hasPath(cluster: ZabCluster, node: NodeId, path: string): boolean {
  const behavior = cluster.behavior(node) as unknown as { tree: { exists(path: string): { ok: boolean; stat?: unknown } } } | null;
  if (behavior === null) return false;
  const r = behavior.tree.exists(path);
  return r.ok && r.stat !== null;
}

/**
 * Creates `path` through the client, retrying (and reconnecting, moving between
 * servers) on refusals and timeouts until it is acknowledged (NODEEXISTS counts: an
 * earlier attempt was applied). Returns the zxid of the reply, or -1 if it gave up.
 */
export function createWithRetry(client: TestClient, path: string, withinUs = 5_000_000): number {
  const cluster = client.cluster;
  const deadline = cluster.nowUs + withinUs;
  let server = 0;
  let connected = client.sessionId !== undefined;
  while (cluster.nowUs < deadline) {
    if (!connected) {
      const c = roundTrip(client, (done) => client.connect(server, done));
      if (c.kind === 'reply' && c.reply.kind === 'connected') connected = true;
      else {
        server = (server + 1) % cluster.size;
        runFor(cluster, 10_000);
        continue;
      }
    }
    const o = roundTrip(client, (done) => client.op(server, { op: 'create', path, data: 'x', mode: 'persistent' }, done));
    if (o.kind === 'reply' && o.reply.kind === 'result' && (o.reply.result.ok || o.reply.result.code === 'NODEEXISTS')) return o.reply.zxid;
    connected = false;
    server = (server + 1) % cluster.size;
  }
  return -1;
}
