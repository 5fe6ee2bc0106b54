/**
 * The client library's session (sim/client/session.ts) on a ZAB cluster: what it sends
 * when it moves to another server.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRequest } from '../../sim/core/node.js';
import { Rng } from '../../sim/core/rng.js';
import { History } from '../../sim/client/history.js';
import { ZkClient, DEFAULT_SESSION_OPTIONS } from '../../sim/client/session.js';
import { DEFAULT_ZAB_CONFIG } from '../../sim/zab/config.js';
import { allServing, establishedLeader, runFor, runUntil, zabRig } from '../zab/harness.js';

describe('ZkClient', () => {
  it('reconnects with the session and the last zxid it has seen (so no server serves it an older state)', () => {
    const { cluster } = zabRig({ servers: 3, seed: 5 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const near = cluster.serverIds.find((id) => id !== leader)!;
    // Record every connect request the client sends.
    const connects: { server: number; sessionId?: number; lastZxid: number }[] = [];
    const send = cluster.clientSend.bind(cluster);
    cluster.clientSend = (server: number, req: ClientRequest) => {
      const body = req.body as { kind: string; sessionId?: number; lastZxid: number };
      if (body.kind === 'connect') connects.push({ server, sessionId: body.sessionId, lastZxid: body.lastZxid });
      send(server, req);
    };
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('session-test'), DEFAULT_SESSION_OPTIONS);
    client.start(near);
    let result: unknown;
    client.submit({ f: 'create', value: '/x', req: { op: 'create', path: '/x', data: 'v', mode: 'persistent' } }, (op) => (result = op.result));
    runFor(cluster, 100_000);
    expect(result).toBe('ok');
    expect(connects).toEqual([{ server: near, sessionId: undefined, lastZxid: 0 }]);
    const seen = client.lastZxid;
    const session = client.sessionId;
    expect(seen).toBeGreaterThan(0);
    // Its server crashes: the client moves on, carrying its session and what it has seen.
    cluster.crash(near);
    runFor(cluster, 400_000);
    expect(client.connected).toBe(true);
    expect(client.server).not.toBe(near);
    const after = connects.slice(1);
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) expect(c).toMatchObject({ sessionId: session, lastZxid: seen });
  });

  it('once stopped and idle, lets its session lapse instead of reconnecting for ever', () => {
    const { cluster } = zabRig({ servers: 3, seed: 7 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    let connects = 0;
    const send = cluster.clientSend.bind(cluster);
    cluster.clientSend = (server: number, req: ClientRequest) => {
      if ((req.body as { kind: string }).kind === 'connect') connects++;
      send(server, req);
    };
    const options = { ...DEFAULT_SESSION_OPTIONS, sessionTimeoutUs: 40_000 };
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('session-stop'), options);
    client.start();
    let result: unknown;
    client.submit({ f: 'create', value: '/y', req: { op: 'create', path: '/y', data: 'v', mode: 'persistent' } }, (op) => (result = op.result));
    runFor(cluster, 100_000);
    expect(result).toBe('ok');
    client.stop();
    const before = connects;
    // Twenty session timeouts later: the session expired once, and the client did not open
    // a new one (each would be a createSession and a closeSession txn, for ever).
    runFor(cluster, 800_000);
    expect(connects - before).toBe(0);
  });

  it('runs its pings on the session timeout the server granted (ClientCnxn.onConnected), so a clamped session does not lapse between pings', () => {
    // tickTime 1 ms: the server grants at most maxSessionTimeout = 20 ticks, whatever the client asks for.
    const { cluster } = zabRig({ servers: 3, seed: 11, config: { ...DEFAULT_ZAB_CONFIG, tickTimeUs: 1_000, maxSessionTimeoutUs: 20_000, minSessionTimeoutUs: 2_000 } });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('session-granted'), { ...DEFAULT_SESSION_OPTIONS, sessionTimeoutUs: 400_000 });
    client.start();
    runFor(cluster, 50_000);
    expect(client.connected).toBe(true);
    expect(client.sessionTimeoutUs).toBe(20_000);
    // A quiet second: pings every third of 20 ms keep the session; every 133 ms they would not.
    runFor(cluster, 1_000_000);
    expect(client.sessionsLost).toBe(0);
  });
});
