/**
 * ZAB features beyond the core stories: zxid counter rollover (ZOOKEEPER-1277),
 * observers, sessions and ephemerals, watches, read modes, the server's refusals, and
 * per-session FIFO.
 */
import { describe, expect, it } from 'vitest';
import { zabConfig, ZxidCodec, formatZxid, makeZxid, epochOf, counterOf, planSync, SNAPSHOT_KEY, TXN_LOG, type LogEntry, type SnapshotRecord } from '../../sim/zab/index.js';
import { DataTree } from '../../sim/store/index.js';
import { CommittedLog } from '../../sim/zab/committed-log.js';
import {
  allServing,
  connectClient,
  createWithRetry,
  establishedLeader,
  eventsOf,
  hasPath,
  resultOf,
  roundTrip,
  runFor,
  runUntil,
  TestClient,
  writeAll,
  zabRig,
  type Rig,
} from './harness.js';
import { settle } from './chaos.js';

function started(n: number, seed: number, config = zabConfig()): Rig & { leader: number } {
  const rig = zabRig({ servers: n, seed, config });
  rig.cluster.start();
  expect(runUntil(rig.cluster, () => establishedLeader(rig.cluster) !== null && allServing(rig.cluster), 2_000_000)).toBe(true);
  return { ...rig, leader: establishedLeader(rig.cluster)! };
}

function clean(rig: Rig): void {
  expect(settle(rig.cluster, 3_000_000)).toBe(true);
  expect(rig.monitor!.finalCheck()).toEqual([]);
  expect(rig.monitor!.violations).toEqual([]);
}

describe('zxids', () => {
  it('pack (epoch, counter) so that numeric order is (epoch, counter) order', () => {
    expect(makeZxid(3, 7)).toBe(3 * 2 ** 32 + 7);
    expect(epochOf(makeZxid(3, 7))).toBe(3);
    expect(counterOf(makeZxid(3, 7))).toBe(7);
    expect(formatZxid(makeZxid(2, 5))).toBe('2:5');
    const codec = new ZxidCodec(4);
    expect(codec.make(2, 15)).toBeLessThan(codec.make(3, 0));
    expect(codec.format(codec.make(5, 9))).toBe('5:9');
    expect(codec.isEpochStart(codec.make(5, 0))).toBe(true);
  });

  it('labels a zxid by its own codec, though labels are cached for every codec at once', () => {
    const narrow = new ZxidCodec(4);
    const wide = new ZxidCodec();
    const zxid = narrow.make(5, 9); // 89: 0:89 with 32 counter bits
    for (let i = 0; i < 2; i++) {
      expect(narrow.format(zxid)).toBe('5:9');
      expect(wide.format(zxid)).toBe('0:89');
    }
  });

  it('plan DIFF, TRUNC and SNAP as the leader does', () => {
    const codec = new ZxidCodec();
    const log = new CommittedLog(10);
    const entry = (e: number, c: number): LogEntry => ({ zxid: makeZxid(e, c), txn: { type: 'check', path: '/' } });
    for (const [e, c] of [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2]]) log.add(entry(e, c));
    const last = makeZxid(2, 2);
    expect(planSync(log, last, last, codec).mode).toBe('DIFF');
    const diff = planSync(log, last, makeZxid(1, 2), codec);
    expect([diff.mode, diff.entries.map((x) => codec.format(x.zxid))]).toEqual(['DIFF', ['1:3', '2:1', '2:2']]);
    expect(planSync(log, last, makeZxid(2, 3), codec)).toMatchObject({ mode: 'TRUNC', zxid: last });
    // 1:4 is not in the history and the next txn is of epoch 2: no TRUNC across epochs.
    expect(planSync(log, last, makeZxid(1, 4), codec).mode).toBe('SNAP');
    // 2:1 differs... a peer at a zxid missing inside one epoch gets TRUNC to the txn before it.
    const log2 = new CommittedLog(10);
    for (const [e, c] of [[1, 1], [1, 3]]) log2.add(entry(e, c));
    expect(planSync(log2, makeZxid(1, 3), makeZxid(1, 2), codec)).toMatchObject({ mode: 'TRUNC', zxid: makeZxid(1, 1) });
    // A new-epoch zxid (e, 0) inside the window gets DIFF.
    expect(planSync(log, last, makeZxid(2, 0), codec)).toMatchObject({ mode: 'DIFF' });
    // Older than the window: SNAP.
    expect(planSync(log, last, 0, codec).mode).toBe('SNAP');
  });
});

describe('zxid counter rollover (ZOOKEEPER-1277)', () => {
  it('the leader refuses counter 2^bits-1 and steps down; a new epoch continues', () => {
    const rig = started(3, 21, zabConfig({ counterBits: 4 }));
    const client = new TestClient(rig.cluster);
    const codec = new ZxidCodec(4);
    for (let i = 0; i < 40; i++) expect(createWithRetry(client, `/r${i}`)).toBeGreaterThan(0);
    const proposals = eventsOf(rig.cluster, 'propose');
    expect(Math.max(...proposals.map((e) => codec.counter(e.index as number)))).toBe(14);
    const epochs = new Set(proposals.map((e) => codec.epoch(e.index as number)));
    expect(epochs.size).toBeGreaterThanOrEqual(3);
    const leader = establishedLeader(rig.cluster)!;
    for (let i = 0; i < 40; i++) expect(hasPath(rig.cluster, leader, `/r${i}`)).toBe(true);
    clean(rig);
  });
});

describe('observers', () => {
  const config = zabConfig({ observers: [3, 4] });

  it('never lead, do not count in quorums, and serve clients', () => {
    const rig = started(5, 31, config);
    const { cluster } = rig;
    expect(rig.leader).toBeLessThan(3);
    expect(runUntil(cluster, () => cluster.inspect(3).role === 'OBSERVING' && cluster.inspect(3).zabState === 'BROADCAST', 1_000_000)).toBe(true);
    // A client of an observer writes (forwarded) and reads its own write.
    const client = connectClient(cluster, 3);
    expect(writeAll(client, 3, ['/o1', '/o2']).size).toBe(2);
    expect(resultOf(roundTrip(client, (d) => client.op(3, { op: 'getData', path: '/o2' }, d)))).toMatchObject({ ok: true });
    // Without the observers the three voters still commit.
    cluster.crash(3);
    cluster.crash(4);
    expect(writeAll(client, rig.leader, ['/o3']).size).toBe(1);
    // Two voters down: the observers cannot make up a quorum.
    cluster.restart(3);
    cluster.restart(4);
    const voters = [0, 1, 2].filter((id) => id !== rig.leader);
    cluster.crash(voters[0]);
    cluster.crash(voters[1]);
    const before = rig.monitor!.committed;
    const o = roundTrip(client, (d) => client.op(rig.leader, { op: 'create', path: '/o4', data: '', mode: 'persistent' }, d), 1_000_000);
    expect(resultOf(o)).not.toMatchObject({ ok: true });
    expect(rig.monitor!.committed).toBe(before);
    expect(eventsOf(cluster, 'election').every((e) => (e.node as number) < 3)).toBe(true);
    cluster.restart(voters[0]);
    cluster.restart(voters[1]);
    expect(runUntil(cluster, () => allServing(cluster), 3_000_000)).toBe(true);
    clean(rig);
  });
});

describe('sessions', () => {
  it('expire when not touched; closeSession deletes the ephemerals and the client learns it', () => {
    const rig = started(3, 41);
    const { cluster } = rig;
    const follower = (rig.leader + 1) % 3;
    const client = new TestClient(cluster);
    expect(resultOf(roundTrip(client, (d) => client.connect(follower, d, 50_000)))).toMatchObject({ kind: 'connected' });
    expect(resultOf(roundTrip(client, (d) => client.op(follower, { op: 'create', path: '/eph', data: '', mode: 'ephemeral' }, d)))).toMatchObject({ ok: true });
    // Pings keep it alive.
    for (let i = 0; i < 10; i++) {
      expect(resultOf(roundTrip(client, (d) => client.ping(follower, d)))).toMatchObject({ kind: 'pong' });
      runFor(cluster, 20_000);
    }
    expect(hasPath(cluster, rig.leader, '/eph')).toBe(true);
    // Silence: the leader expires the session (timeout 50 ms, at least 2 ticks).
    runFor(cluster, 300_000);
    for (const id of cluster.serverIds) expect(hasPath(cluster, id, '/eph')).toBe(false);
    expect(client.notifications).toContainEqual({ kind: 'expired', sessionId: client.sessionId });
    expect(resultOf(roundTrip(client, (d) => client.connect(rig.leader, d)))).toBe('refused:SESSIONEXPIRED');
    clean(rig);
  });

  it('a quorum read after its session is closed fails SESSIONEXPIRED (checkSession at prep), not answered', () => {
    const rig = started(3, 43);
    const { cluster } = rig;
    const client = connectClient(cluster, rig.leader);
    expect(resultOf(roundTrip(client, (d) => client.op(rig.leader, { op: 'create', path: '/q', data: 'v', mode: 'persistent' }, d)))).toMatchObject({ ok: true });
    // The close and the quorum read leave together: the read reaches prep after the
    // closeSession, against a speculative state where the session is gone.
    let read: unknown = 'none';
    client.send(rig.leader, { kind: 'close', sessionId: client.sessionId! });
    client.op(rig.leader, { op: 'getData', path: '/q' }, (o) => (read = resultOf(o)), 'quorum');
    runFor(cluster, 50_000);
    expect(read).toMatchObject({ ok: false, code: 'SESSIONEXPIRED' });
    clean(rig);
  });

  it('close deletes the ephemerals at once', () => {
    const rig = started(3, 42);
    const { cluster } = rig;
    const client = connectClient(cluster, rig.leader);
    expect(resultOf(roundTrip(client, (d) => client.op(rig.leader, { op: 'create', path: '/e2', data: '', mode: 'ephemeral' }, d)))).toMatchObject({ ok: true });
    expect(resultOf(roundTrip(client, (d) => client.send(rig.leader, { kind: 'close', sessionId: client.sessionId! }, d)))).toMatchObject({ ok: true });
    runFor(cluster, 20_000);
    for (const id of cluster.serverIds) expect(hasPath(cluster, id, '/e2')).toBe(false);
    // Closed is closed: the leader no longer tracks it, so a reconnect is refused.
    const follower = cluster.serverIds.find((id) => id !== rig.leader)!;
    expect(resultOf(roundTrip(client, (d) => client.connect(follower, d)))).toBe('refused:SESSIONEXPIRED');
    clean(rig);
  });
});

describe('watches', () => {
  it('fire once, on the watcher\'s server, after the change is applied there', () => {
    const rig = started(3, 51);
    const { cluster } = rig;
    const [a, b] = cluster.serverIds.filter((id) => id !== rig.leader);
    const watcher = connectClient(cluster, a);
    const writer = connectClient(cluster, b);
    expect(resultOf(roundTrip(watcher, (d) => watcher.op(a, { op: 'exists', path: '/w', watch: true }, d)))).toMatchObject({ ok: true, stat: null });
    expect(writeAll(writer, b, ['/w']).size).toBe(1);
    runFor(cluster, 20_000);
    expect(resultOf(roundTrip(writer, (d) => writer.op(b, { op: 'setData', path: '/w', data: 'y', version: -1 }, d)))).toMatchObject({ ok: true });
    runFor(cluster, 20_000);
    const events = watcher.notifications.filter((n) => n.kind === 'watch');
    expect(events).toEqual([expect.objectContaining({ kind: 'watch', path: '/w', type: 'NodeCreated' })]);
    clean(rig);
  });
});

describe('reads', () => {
  for (const mode of ['sync', 'quorum'] as const) {
    it(`a ${mode} read on a follower sees a write acknowledged through another server`, () => {
      const rig = started(5, 61);
      const { cluster } = rig;
      const followers = cluster.serverIds.filter((id) => id !== rig.leader);
      const writer = connectClient(cluster, followers[0]);
      const reader = connectClient(cluster, followers[1]);
      for (let i = 0; i < 10; i++) {
        expect(writeAll(writer, followers[0], [`/s${i}`]).size).toBe(1);
        const read = roundTrip(reader, (d) => reader.op(followers[1 + (i % 3)], { op: 'getData', path: `/s${i}` }, d, mode));
        expect(resultOf(read)).toMatchObject({ ok: true, data: 'w' });
      }
      clean(rig);
    });
  }

  it("a session's read waits behind its own earlier write (FIFO)", () => {
    const rig = started(3, 62);
    const { cluster } = rig;
    const follower = (rig.leader + 1) % 3;
    const client = connectClient(cluster, follower);
    const order: string[] = [];
    client.op(follower, { op: 'create', path: '/f', data: 'v', mode: 'persistent' }, (o) => order.push(`write:${JSON.stringify(resultOf(o))}`));
    cluster.at(cluster.nowUs + 1_000, () => client.op(follower, { op: 'getData', path: '/f' }, (o) => order.push(`read:${(resultOf(o) as { data?: string }).data}`)));
    runFor(cluster, 50_000);
    // Executed in order (the read sees the write), and answered in order (client links are FIFO).
    expect(order).toEqual(['write:{"ok":true,"path":"/f"}', 'read:v']);
    clean(rig);
  });

  it('a sync waits for the proposals the leader made before it, even uncommitted ones', () => {
    const rig = started(5, 63);
    const { cluster } = rig;
    const leader = rig.leader;
    const [f1, ...others] = cluster.serverIds.filter((id) => id !== leader);
    const writer = connectClient(cluster, leader);
    const reader = connectClient(cluster, f1);
    // Three followers' ACKs are held for 20 ms: with the leader and f1 alone the write
    // stays proposed, not committed, while f1's sync reaches the leader.
    const until = cluster.nowUs + 20_000;
    for (const f of others) cluster.clog(f, leader, until);
    let written = -1;
    let read: unknown;
    let readAt = -1;
    writer.op(leader, { op: 'create', path: '/w', data: 'v', mode: 'persistent' }, () => (written = cluster.nowUs));
    cluster.at(cluster.nowUs + 3_000, () =>
      reader.op(f1, { op: 'getData', path: '/w' }, (o) => {
        read = resultOf(o);
        readAt = cluster.nowUs;
      }, 'sync'),
    );
    runFor(cluster, 60_000);
    expect(written).toBeGreaterThan(until);
    // The sync reached the leader while /w was outstanding: the read sees it.
    expect(read).toMatchObject({ ok: true, data: 'v' });
    expect(readAt).toBeGreaterThan(until);
    clean(rig);
  });
});

describe('refusals', () => {
  it('NOTREADY while not serving, BEHIND for a server older than the client', () => {
    const rig = started(3, 71);
    const { cluster } = rig;
    const slow = (rig.leader + 1) % 3;
    const client = connectClient(cluster, rig.leader);
    // The slow follower still serves, but the leader's traffic to it is held back.
    cluster.clog(rig.leader, slow, cluster.nowUs + 50_000);
    expect(writeAll(client, rig.leader, ['/x']).size).toBe(1);
    expect(resultOf(roundTrip(client, (d) => client.connect(slow, d)))).toBe('refused:BEHIND');
    runFor(cluster, 60_000);
    expect(resultOf(roundTrip(client, (d) => client.connect(slow, d)))).toMatchObject({ kind: 'connected' });
    // A server that is electing refuses.
    cluster.partition([[slow], cluster.serverIds.filter((id) => id !== slow)]);
    expect(runUntil(cluster, () => cluster.inspect(slow).role === 'LOOKING', 1_000_000)).toBe(true);
    expect(resultOf(roundTrip(client, (d) => client.op(slow, { op: 'getData', path: '/x' }, d)))).toBe('refused:NOTREADY');
    cluster.heal();
    expect(runUntil(cluster, () => allServing(cluster), 2_000_000)).toBe(true);
    clean(rig);
  });
});

describe('restore', () => {
  it('replays only the log entries newer than the snapshot\'s zxid (FileTxnSnapLog.restore)', () => {
    // One server's disk: a snapshot labelled 1:3 whose nodes lack /skipped, then a log in
    // which 1:3 (creating /skipped) sits after the snapshot's position, then 1:4.
    const rig = zabRig({ servers: 1, seed: 7, invariants: false });
    const storage = rig.cluster.storage(0);
    const create = (path: string, cversion: number): LogEntry['txn'] => ({ type: 'create', path, data: '', ephemeralOwner: 0, parentCVersion: cversion });
    const log: LogEntry[] = [
      { zxid: makeZxid(1, 1), txn: create('/a', 1) },
      { zxid: makeZxid(1, 2), txn: create('/b', 2) },
      { zxid: makeZxid(1, 3), txn: create('/skipped', 3) },
      { zxid: makeZxid(1, 4), txn: create('/after', 4) },
    ];
    const tree = new DataTree();
    tree.apply(log[0].txn, log[0].zxid);
    tree.apply(log[1].txn, log[1].zxid);
    const snapshot: SnapshotRecord = { zxid: makeZxid(1, 3), tree: { ...tree.toJSON(), lastProcessedZxid: makeZxid(1, 3) }, logStart: 2 };
    storage.putDurable(SNAPSHOT_KEY, snapshot);
    for (const entry of log) storage.append(TXN_LOG, entry);
    storage.sync();
    storage.putDurable('acceptedEpoch', 1);
    storage.putDurable('currentEpoch', 1);
    rig.cluster.start();
    runFor(rig.cluster, 1_000);
    const restore = eventsOf(rig.cluster, 'restore', 0)[0];
    expect(restore).toMatchObject({ snapshotZxid: makeZxid(1, 3), replayed: 1, lastProcessedZxid: makeZxid(1, 4) });
    expect(hasPath(rig.cluster, 0, '/a')).toBe(true);
    expect(hasPath(rig.cluster, 0, '/after')).toBe(true);
    expect(hasPath(rig.cluster, 0, '/skipped')).toBe(false);
  });
});
