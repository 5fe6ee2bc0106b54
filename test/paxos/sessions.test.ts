/**
 * Paxos sessions, as ZooKeeper's leader tracks them (SessionTrackerImpl, ExpiryQueue):
 * - a session created at t with timeout T expires no earlier than t + T (rounded up to
 *   the tracker's tick), whenever the leader came to power;
 * - a live client keeps its session whatever single datagram is lost: a server reports
 *   its clients' touches to the leader until the leader confirmed them;
 * - a new leader restarts every session's clock when it takes over;
 * - and a session whose client went silent does expire.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../sim/core/node.js';
import type { TraceEvent } from '../../sim/core/trace.js';
import type { PaxosMessage } from '../../sim/paxos/index.js';
import { DEFAULT_PAXOS_CONFIG } from '../../sim/paxos/index.js';
import { loadScenarioText } from '../../sim/index.js';
import { runScenario } from '../../sim/scenario/run.js';
import { paxosAdapter } from '../../sim/scenario/protocols.js';
import type { Cluster } from '../../sim/net/cluster.js';
import { SessionTracker, TouchReports } from '../../sim/paxos/sessions.js';
import { paxosCluster, roundTrip, runFor, runUntil, stableLeader, TestClient } from './harness.js';

const TICK_US = DEFAULT_PAXOS_CONFIG.heartbeatIntervalUs;

/** A story with nothing going wrong: clients that connect long after the leader was elected. */
function quietStory(workload: Record<string, unknown>, network: Record<string, unknown> = {}): string {
  return JSON.stringify({
    title: 'Live clients keep their sessions',
    explanation: 'Nothing goes wrong with the servers or the clients: every client pings its server until the end of the story.',
    protocols: ['paxos'],
    cluster: { servers: 3 },
    network,
    workload: { clients: 3, keys: 2, ...workload },
    durationMs: 1500,
  });
}

interface SessionCounts {
  created: number;
  closed: number;
  expiredFailures: number;
}

/** Sessions created and closed (every close here is an expiry: the workload never closes one) during the story. */
function countSessions(events: readonly TraceEvent[], storyEndUs: number, history: readonly unknown[]): SessionCounts {
  const created = new Set<number>();
  const closed = new Set<number>();
  for (const e of events) {
    if (e.kind !== 'commit' || e.timeUs > storyEndUs) continue;
    const txn = e.txn as { type?: string; sessionId?: number } | undefined;
    if (txn?.type === 'createSession') created.add(txn.sessionId!);
    if (txn?.type === 'closeSession') closed.add(txn.sessionId!);
  }
  const expiredFailures = history.filter((h) => JSON.stringify(h).includes('SESSIONEXPIRED')).length;
  return { created: created.size, closed: closed.size, expiredFailures };
}

function runStory(text: string, seed = 1): SessionCounts {
  const scenario = loadScenarioText(text, 'sessions.json');
  const result = runScenario(scenario, paxosAdapter, { seed, keepTrace: true });
  expect(result.invariants.violations).toEqual([]);
  return countSessions(result.trace!.events, scenario.durationMs * 1000, result.history);
}

/** The leader's proposals of createSession / closeSession for `sessionId`, by time. */
function sessionProposals(cluster: Cluster<PaxosMessage>, sessionId: number): { createdUs?: number; closedUs?: number } {
  let createdUs: number | undefined;
  let closedUs: number | undefined;
  for (const e of cluster.trace.events) {
    if (e.kind !== 'propose') continue;
    const txn = e.txn as { type?: string; sessionId?: number } | undefined;
    if (txn?.sessionId !== sessionId) continue;
    if (txn.type === 'createSession') createdUs ??= e.timeUs;
    if (txn.type === 'closeSession') closedUs ??= e.timeUs;
  }
  return { createdUs, closedUs };
}

/** A cluster that has had a leader for `sinceUs` of virtual time at least. */
function clusterLedFor(seed: number, forUs: number) {
  const cluster = paxosCluster({ servers: 3, seed });
  cluster.start();
  expect(runUntil(cluster, () => stableLeader(cluster) !== null, 300_000)).toBe(true);
  runFor(cluster, forUs);
  const leader = stableLeader(cluster)!;
  expect(leader).not.toBeNull();
  return { cluster, leader, follower: ((leader + 1) % 3) as NodeId };
}

function connect(client: TestClient, server: NodeId, timeoutUs: number): number {
  const outcome = roundTrip(client, (done) => client.connect(server, done, timeoutUs));
  expect(outcome.kind === 'reply' && outcome.reply.kind, JSON.stringify(outcome)).toBe('connected');
  return client.sessionId!;
}

describe('Paxos sessions: live clients keep them', () => {
  it('no session of a live, pinging client expires in a quiet story (clients arrive 600 ms after the election)', () => {
    for (const seed of [1, 2, 3]) {
      for (const ratePerSec of [1, 20]) {
        const counts = runStory(quietStory({ ratePerSec, startMs: 600 }), seed);
        expect(counts, `seed ${seed}, ${ratePerSec} ops/s`).toEqual({ created: 3, closed: 0, expiredFailures: 0 });
      }
    }
  });

  it('no session of a live client expires when 30% of the datagrams between servers are lost (60 ms sessions, pinged every 20 ms)', () => {
    // Each touch has a few heartbeat acks to reach the leader: reported once, a lost ack lost it.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const counts = runStory(quietStory({ ratePerSec: 1, sessionTimeoutMs: 60 }, { lossRate: 0.3 }), seed);
      expect(counts.closed, `seed ${seed}`).toBe(0);
      expect(counts.expiredFailures, `seed ${seed}`).toBe(0);
    }
  });
});

describe('Paxos sessions: expiry', () => {
  it('a silent session expires no earlier than creation + timeout (rounded up to the tick), and not much later', () => {
    const timeoutUs = 100_000;
    for (const seed of [1, 2, 3, 4]) {
      // The leader has led for 600 ms, far longer than the session timeout.
      const { cluster, follower } = clusterLedFor(seed, 600_000);
      const client = new TestClient(cluster);
      const sessionId = connect(client, follower, timeoutUs);
      runFor(cluster, 3 * timeoutUs);
      const { createdUs, closedUs } = sessionProposals(cluster, sessionId);
      expect(createdUs, `seed ${seed}`).toBeDefined();
      expect(closedUs, `seed ${seed}: the silent session must expire`).toBeDefined();
      expect(closedUs! - createdUs!, `seed ${seed}`).toBeGreaterThanOrEqual(timeoutUs);
      // Rounded up to the next tick, noticed at the leader's next tick, and the create applied a few ms after its proposal.
      expect(closedUs! - createdUs!, `seed ${seed}`).toBeLessThanOrEqual(timeoutUs + 4 * TICK_US);
      expect(client.notifications).toContainEqual({ kind: 'expired', sessionId });
    }
  });

  it('one lost touch report does not expire a live session; the session expires once its client is gone', () => {
    const timeoutUs = 100_000;
    for (const seed of [1, 2, 3, 4]) {
      const { cluster, follower } = clusterLedFor(seed, 600_000);
      const client = new TestClient(cluster);
      const sessionId = connect(client, follower, timeoutUs);
      const { createdUs } = sessionProposals(cluster, sessionId);
      // The client pings its server once, 60 % into the timeout…
      cluster.run({ untilUs: createdUs! + 0.6 * timeoutUs });
      const pinged = roundTrip(client, (done) => client.ping(follower, done));
      expect(pinged.kind === 'reply' && pinged.reply.kind).toBe('pong');
      // …and the first report of that touch to the leader is lost.
      const original = cluster.send.bind(cluster);
      let dropped = 0;
      cluster.send = (from: NodeId, to: NodeId, msg: PaxosMessage): number => {
        if (dropped === 0 && from === follower && msg.type === 'HeartbeatAck' && msg.touches.includes(sessionId)) {
          dropped++;
          return -1;
        }
        return original(from, to, msg);
      };
      runUntil(cluster, () => dropped > 0, 50_000);
      expect(dropped, `seed ${seed}`).toBe(1);
      // Past creation + timeout, but not past ping + timeout: the session must be alive.
      cluster.run({ untilUs: createdUs! + 1.4 * timeoutUs });
      expect(sessionProposals(cluster, sessionId).closedUs, `seed ${seed}: expired although touched ${0.6 * timeoutUs} µs after creation`).toBeUndefined();
      // The client is gone from now on: the session expires.
      runFor(cluster, 2 * timeoutUs);
      expect(sessionProposals(cluster, sessionId).closedUs, `seed ${seed}`).toBeDefined();
    }
  });

  it('a new leader does not expire a session that was alive under the old one before its client could reach it', () => {
    const timeoutUs = 100_000;
    for (const seed of [1, 2, 3]) {
      const { cluster, leader, follower } = clusterLedFor(seed, 200_000);
      const client = new TestClient(cluster);
      const sessionId = connect(client, follower, timeoutUs);
      // Touched just before the crash, then silent for almost a timeout after the new leader takes over.
      runFor(cluster, 0.9 * timeoutUs);
      roundTrip(client, (done) => client.ping(follower, done));
      cluster.crash(leader);
      expect(runUntil(cluster, () => { const l = stableLeader(cluster); return l !== null && l !== leader; }, 500_000)).toBe(true);
      const electedUs = cluster.nowUs;
      cluster.run({ untilUs: electedUs + 0.9 * timeoutUs });
      expect(sessionProposals(cluster, sessionId).closedUs, `seed ${seed}`).toBeUndefined();
      // Its client never comes back: the new leader expires it.
      runFor(cluster, 2 * timeoutUs);
      expect(sessionProposals(cluster, sessionId).closedUs, `seed ${seed}`).toBeDefined();
    }
  });
});

describe('Paxos sessions: the leader tracker and the touch reports', () => {
  it('expires a session no earlier than tracking + timeout, rounded up to the next tick; a touch pushes it back', () => {
    const tracker = new SessionTracker(5_000, 1_000);
    tracker.track(7, 100_000, 12_345); // 112_345 → bucket 115_000
    tracker.track(3, 100_000, 10_000); // 110_000 is a tick: the next one, 115_000 (ZooKeeper's roundToNextInterval)
    tracker.track(9, 100_000, 20_000); // → 125_000
    expect(tracker.expired(114_999)).toEqual([]);
    expect(tracker.expired(115_000)).toEqual([3, 7]);
    tracker.touch(9, 24_000); // → 125_000 (same bucket)
    tracker.touch(9, 25_000); // → 130_000
    tracker.touch(42, 25_000); // unknown: ignored
    expect(tracker.expired(129_999)).toEqual([]);
    expect(tracker.has(9)).toBe(true);
    // Checked late (a paused leader): every bucket that came due is handed out.
    expect(tracker.expired(500_000)).toEqual([9]);
    expect(tracker.size).toBe(0);
    tracker.track(1, 10_000, 500_000);
    tracker.remove(1);
    expect(tracker.expired(1_000_000)).toEqual([]);
    tracker.retry(2, 10_000, 1_000_000);
    expect(tracker.expired(1_005_000)).toEqual([2]);
  });

  it('resends a touch until the leader echoes a stamp later than its first report', () => {
    const reports = new TouchReports();
    reports.touch(5);
    expect(reports.report(100)).toEqual([5]);
    // The echo of that very stamp does not confirm: another ack of the same instant may have gone out before the touch.
    reports.confirm(100);
    expect(reports.report(105)).toEqual([5]);
    reports.touch(6);
    reports.confirm(105); // confirms 5 (first reported at 100), not 6 (never reported)
    expect(reports.report(110)).toEqual([6]);
    reports.touch(6); // touched again before confirmation: reported anew
    reports.confirm(120);
    expect(reports.report(125)).toEqual([6]);
    reports.confirm(126);
    expect(reports.size).toBe(0);
    reports.touch(8);
    reports.forget(8);
    expect(reports.report(130)).toEqual([]);
    reports.touch(9);
    expect(reports.takeAll()).toEqual([9]);
    expect(reports.size).toBe(0);
  });
});
