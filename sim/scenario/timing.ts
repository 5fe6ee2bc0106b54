/**
 * Whether a cluster's timeouts leave room for what its network and disks need. ZooKeeper
 * drops a follower whose acknowledgement (a round trip and a disk sync) does not come
 * within syncLimit ticks, and gives up a synchronization that outlasts initLimit ticks;
 * a Paxos candidate needs a quorum's promises, each written to disk, before its election
 * timeout ends. With less room than that, servers leave service at every slow sync and
 * the cluster may never settle: a configuration a real deployment would have to change,
 * not a bug. Swarm leaves liveness unexpected for such draws; a run of a scenario file
 * says so in a note, so that a liveness failure there is read for what it is.
 */
import { DEFAULT_SESSION_OPTIONS } from '../client/session.js';
import { DEFAULT_PAXOS_CONFIG } from '../paxos/config.js';
import { DEFAULT_ZAB_CONFIG } from '../zab/config.js';
import type { LatencyMs, Scenario } from './types.js';

/** A scenario's message latency where it sets none: the harness's LAN. */
export const DEFAULT_LATENCY_MS: Readonly<LatencyMs> = Object.freeze({ kind: 'uniform', minMs: 0.5, maxMs: 1.5 });
/** A scenario's disk sync latency where it sets none. */
export const DEFAULT_SYNC_LATENCY_MS: Readonly<LatencyMs> = Object.freeze({ kind: 'uniform', minMs: 0.2, maxMs: 1 });

/** What a cluster's timing allows; every figure in ms. */
export interface Timing {
  /** A message's tail latency (the slowest link included). */
  hopMs: number;
  /** A disk sync's tail latency (0 when writes are durable at once). */
  diskMs: number;
  /** ZAB: tickTime, initLimit and syncLimit; Paxos: its election timeout. */
  tickMs: number;
  initLimit: number;
  syncLimit: number;
  electionTimeoutMs: number;
}

/**
 * A latency few messages exceed (about the 99th percentile), in ms: what the timeouts
 * must cover for the cluster to stay in service. (A rarer, slower message costs a
 * reconnection or an election, which the liveness phase leaves time for.)
 */
export function latencyTailMs(latency: LatencyMs): number {
  switch (latency.kind) {
    case 'constant':
      return latency.ms;
    case 'uniform':
      return Math.max(latency.minMs, latency.maxMs);
    case 'exponential':
      return (latency.minMs ?? 0) + 4.6 * latency.meanMs;
    case 'lognormal':
      return (latency.minMs ?? 0) + latency.medianMs * Math.exp(2.33 * latency.sigma);
  }
}

const round = (ms: number, digits = 3) => Math.round(ms * 10 ** digits) / 10 ** digits;

/**
 * ZAB: what syncLimit·tickTime and initLimit·tickTime must cover for a server to stay
 * in service: a ping or an acknowledgement (a round trip and a disk sync) with margin,
 * and a synchronization (a few round trips and syncs), in ms.
 */
export function zabLimitNeedsMs(timing: Timing): [number, number] {
  const ackMs = 2 * timing.hopMs + timing.diskMs;
  return [ackMs + timing.tickMs, 2 * ackMs + timing.tickMs];
}

/** Why the timeouts are too tight for the cluster to stay in service, or null. */
export function timingProblem(protocol: string, timing: Timing): string | null {
  const ackMs = 2 * timing.hopMs + timing.diskMs;
  if (protocol === 'zab') {
    const [syncNeedMs, initNeedMs] = zabLimitNeedsMs(timing);
    if (timing.syncLimit * timing.tickMs < syncNeedMs) return `syncLimit·tickTime ${round(timing.syncLimit * timing.tickMs)} ms is under ${round(syncNeedMs)} ms (an acknowledgement and a tick)`;
    if (timing.initLimit * timing.tickMs < initNeedMs) return `initLimit·tickTime ${round(timing.initLimit * timing.tickMs)} ms is under ${round(initNeedMs)} ms (a synchronization and a tick)`;
    return null;
  }
  if (protocol !== 'paxos') return null;
  // Measured: Paxos elects through slow messages (pre-vote and backoff), but not when a
  // promise's disk sync nearly outlasts the election timeout (9 servers, 30-60 ms disks
  // and a 61 ms timeout never settled).
  if (timing.electionTimeoutMs < 1.5 * ackMs) return `the election timeout ${timing.electionTimeoutMs} ms is under ${round(1.5 * ackMs)} ms (a round trip and a disk sync, with half again as margin)`;
  return null;
}

/**
 * Why a client's connect attempt may time out every time, or null. A connect is answered
 * once the server applies the client's createSession (or, on Paxos, its session's move):
 * four hops to the leader and back out and a disk sync at a quorum, two when the disks are
 * busy (a group commit in progress makes the next wait for it). The client gives an
 * attempt a fixed 100 ms (sim/client/session.ts); with less, it moves on before the
 * answer, and each abandoned createSession leaves a session that expires later: a load of
 * its own that makes the next attempt slower still.
 */
export function connectProblem(timing: Timing): string | null {
  const connectMs = DEFAULT_SESSION_OPTIONS.connectTimeoutUs / 1000;
  const needMs = 4 * timing.hopMs + 2 * timing.diskMs;
  return needMs <= connectMs ? null : `a connect can take ${round(needMs)} ms (four hops and two disk syncs), over the client's ${connectMs} ms connect timeout: clients may give up every attempt, and the cluster may not settle`;
}

/** The timing a scenario file sets up for a protocol (the servers' defaults where it is silent). */
export function scenarioTiming(scenario: Scenario): Timing {
  const network = scenario.network;
  let hopMs = latencyTailMs(network?.latency ?? DEFAULT_LATENCY_MS);
  for (const link of network?.links ?? []) hopMs = Math.max(hopMs, latencyTailMs(link.latency));
  const storage = scenario.storage;
  const diskMs = storage?.durableImmediately === true ? 0 : latencyTailMs(storage?.syncLatency ?? DEFAULT_SYNC_LATENCY_MS);
  const c = scenario.cluster;
  return {
    hopMs,
    diskMs,
    tickMs: c.tickTimeMs ?? DEFAULT_ZAB_CONFIG.tickTimeUs / 1000,
    initLimit: c.initLimit ?? DEFAULT_ZAB_CONFIG.initLimit,
    syncLimit: c.syncLimit ?? DEFAULT_ZAB_CONFIG.syncLimit,
    electionTimeoutMs: c.electionTimeoutMs ?? DEFAULT_PAXOS_CONFIG.electionTimeoutUs / 1000,
  };
}
