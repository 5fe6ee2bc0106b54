/**
 * A ping's answer waits behind its session's requests, on both protocols: ZooKeeper
 * answers a PING in FinalRequestProcessor, after CommitProcessor has held it (a ping is
 * a read) behind the session's pending writes; the session is touched at once
 * (ZooKeeperServer.submitRequest). A client whose write is stuck therefore hears nothing
 * and drops the connection at its read timeout; a ping with nothing pending is answered
 * at once.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../sim/core/node.js';
import type { Cluster } from '../../sim/net/cluster.js';
import type { Message } from '../../sim/core/node.js';
import { TestClient, roundTrip, runUntil, type Outcome } from '../helpers/test-client.js';
import { servingZab } from '../zab/harness.js';
import { paxosCluster, stableLeader } from '../paxos/harness.js';

/** Pings `server` (nothing pending), then sends a write whose forward to `leader` is held `holdUs`, and a ping behind it. */
function pingBehindStuckWrite<M extends Message>(cluster: Cluster<M>, client: TestClient<M>, server: NodeId, leader: NodeId, holdUs: number) {
  const idle = cluster.nowUs;
  const first = roundTrip(client, (done) => client.ping(server, done));
  const idleUs = cluster.nowUs - idle;
  const answers: { what: string; atUs: number; outcome: Outcome }[] = [];
  const heldUntilUs = cluster.nowUs + holdUs;
  cluster.clog(server, leader, heldUntilUs);
  client.op(server, { op: 'create', path: '/stuck', data: 'v', mode: 'persistent' }, (outcome) => answers.push({ what: 'write', atUs: cluster.nowUs, outcome }));
  cluster.at(cluster.nowUs + 2_000, () => client.ping(server, (outcome) => answers.push({ what: 'ping', atUs: cluster.nowUs, outcome })));
  runUntil(cluster, () => answers.length === 2, 1_000_000);
  return { first, idleUs, answers, heldUntilUs };
}

function expectPongBehindWrite(result: ReturnType<typeof pingBehindStuckWrite>): void {
  expect(result.first).toMatchObject({ kind: 'reply', reply: { kind: 'pong' } });
  // Nothing pending: answered in one round trip on the client link.
  expect(result.idleUs).toBeLessThan(2_000);
  expect(result.answers.map((a) => [a.what, a.outcome.kind === 'reply' ? a.outcome.reply.kind : 'timeout'])).toEqual([
    ['write', 'result'],
    ['ping', 'pong'],
  ]);
  // The pong waited for the write, which waited for the held forward.
  expect(result.answers[1].atUs).toBeGreaterThan(result.heldUntilUs);
}

describe('a ping answered behind its session\'s requests', () => {
  it('ZAB: a follower holds the pong until the stuck write before it is answered', () => {
    const { cluster, leader, follower } = servingZab({ seed: 3 });
    const client = new TestClient(cluster);
    expect(roundTrip(client, (done) => client.connect(follower, done))).toMatchObject({ kind: 'reply', reply: { kind: 'connected' } });
    expectPongBehindWrite(pingBehindStuckWrite(cluster, client, follower, leader, 40_000));
  });

  it('Paxos: a replica holds the pong until the stuck write before it is answered', () => {
    const cluster = paxosCluster({ seed: 3 });
    cluster.start();
    expect(runUntil(cluster, () => stableLeader(cluster) !== null, 2_000_000)).toBe(true);
    const leader = stableLeader(cluster)!;
    const replica = cluster.serverIds.find((id) => id !== leader)!;
    const client = new TestClient(cluster);
    expect(roundTrip(client, (done) => client.connect(replica, done))).toMatchObject({ kind: 'reply', reply: { kind: 'connected' } });
    expectPongBehindWrite(pingBehindStuckWrite(cluster, client, replica, leader, 40_000));
  });
});

describe('a queued ping whose connection closed meanwhile', () => {
  it('ZAB: gets no answer once its session expired (ZooKeeper closes the connection on closeSession)', () => {
    const { cluster, leader, follower } = servingZab({ seed: 3 });
    const client = new TestClient(cluster);
    // A 40 ms session: it expires while the follower's touches to the leader are held.
    expect(roundTrip(client, (done) => client.connect(follower, done, 40_000))).toMatchObject({ kind: 'reply', reply: { kind: 'connected' } });
    const answers: { what: string; outcome: Outcome }[] = [];
    cluster.clog(follower, leader, cluster.nowUs + 80_000);
    client.op(follower, { op: 'create', path: '/stuck', data: 'v', mode: 'persistent' }, (outcome) => answers.push({ what: 'write', outcome }));
    cluster.at(cluster.nowUs + 2_000, () => client.ping(follower, (outcome) => answers.push({ what: 'ping', outcome })));
    runUntil(cluster, () => answers.length === 2, 1_000_000);
    expect(client.notifications).toContainEqual({ kind: 'expired', sessionId: client.sessionId });
    expect(answers).toEqual([
      { what: 'write', outcome: { kind: 'reply', reply: { kind: 'result', result: { ok: false, code: 'SESSIONEXPIRED' }, zxid: expect.any(Number) } } },
      { what: 'ping', outcome: { kind: 'timeout' } },
    ]);
  });
});
