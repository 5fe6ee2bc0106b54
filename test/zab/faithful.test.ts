/**
 * ZooKeeper's behaviours that the model follows where it teaches (issue 12, point 4),
 * each checked against the class that does it:
 * - Leader.waitForEpochAck: a follower ahead of the leader makes its own LearnerHandler
 *   throw; only that learner's connection closes and the leader goes on;
 * - Leader.getEpochToPropose: an observer's acceptedEpoch raises the new epoch too;
 * - LearnerHandler.syncFollower: a learner older than the committedLog is synced by DIFF
 *   from the on-disk txn log when the log has its zxid, by SNAP otherwise;
 * - FollowerZooKeeperServer.commit: a COMMIT with no pending txn is a warning.
 * - ZKDatabase.truncateLog after a leader's startup snapshot (ZOOKEEPER-1549's dirty
 *   snapshot): the TRUNC starts from an older snapshot instead of keeping the txns.
 */
import { describe, expect, it } from 'vitest';
import { makeZxid, planSync, TXN_LOG, zabConfig, ZxidCodec, type LogEntry } from '../../sim/zab/index.js';
import { CommittedLog } from '../../sim/zab/committed-log.js';
import type { Txn } from '../../sim/store/types.js';
import { allServing, connectClient, establishedLeader, eventsOf, restartServer, roundTrip, runFor, runUntil, story, TestClient, writeAll, zabRig, type ZabCluster } from './harness.js';

const codec = new ZxidCodec(32);

function createTxn(i: number): Txn {
  return { type: 'create', path: `/h${i}`, data: '', ephemeralOwner: 0, parentCVersion: i + 1 };
}

/** Writes a durable history onto a server's disk before the cluster starts. */
function preload(cluster: ZabCluster, id: number, epoch: number, entries: readonly LogEntry[], acceptedEpoch = epoch): void {
  const storage = cluster.storage(id);
  storage.putDurable('acceptedEpoch', acceptedEpoch);
  storage.putDurable('currentEpoch', epoch);
  for (const entry of entries) storage.append(TXN_LOG, entry);
  storage.completeSync(storage.sync());
}

function declareProposed(cluster: ZabCluster, entries: readonly LogEntry[]): void {
  for (const entry of entries) {
    const epoch = codec.epoch(entry.zxid);
    cluster.trace.add(0, -1, 'propose', { index: entry.zxid, label: codec.format(entry.zxid), origin: `zab:e${epoch}`, originSeq: codec.counter(entry.zxid), txn: entry.txn });
  }
}

function noteIndex(cluster: ZabCluster, node: number, pattern: RegExp): number {
  return cluster.trace.events.findIndex((e) => e.kind === 'note' && e.node === node && pattern.test(String(e.text)));
}

/** Servers with empty logs in epoch 1 and the acceptedEpochs given, started: 2 will lead (the highest id). */
function epochRig(acceptedEpochs: readonly number[], observers: number[] = []) {
  const rig = zabRig({ servers: acceptedEpochs.length, seed: 4, config: zabConfig({ observers, initLimit: 50 }) });
  acceptedEpochs.forEach((accepted, id) => preload(rig.cluster, id, 1, [], accepted));
  rig.cluster.start();
  return rig;
}

/** Once each of `voters` has a quorum for 2, clogs the links [from, forUs] to 2: their FOLLOWERINFO waits. */
function clogToLeaderAfterVotes(cluster: ZabCluster, voters: readonly number[], clogs: readonly (readonly [number, number])[]): void {
  expect(runUntil(cluster, () => voters.every((id) => noteIndex(cluster, id, /a quorum votes for 2/) >= 0), 2_000_000)).toBe(true);
  for (const [from, forUs] of clogs) cluster.clog(from, 2, cluster.nowUs + forUs);
}

function untilAllBroadcast(cluster: ZabCluster): boolean {
  return runUntil(cluster, () => establishedLeader(cluster) !== null && cluster.serverIds.every((id) => cluster.inspect(id).zabState === 'BROADCAST'), 3_000_000);
}

describe("ZooKeeper's discovery", () => {
  it('a follower ahead of the leader in discovery has only its own connection closed; the leader goes on and is established', () => {
    const history: LogEntry[] = [1, 2, 3].map((c, i) => ({ zxid: makeZxid(1, c), txn: createTxn(i) }));
    const { cluster, monitor } = zabRig({ servers: 5, seed: 8, config: zabConfig({ initLimit: 50 }) });
    for (let id = 0; id < 4; id++) preload(cluster, id, 1, history.slice(0, 2));
    preload(cluster, 4, 1, history); // 1:3, logged by 4 alone
    declareProposed(cluster, history);
    cluster.start();
    cluster.crash(4);
    // 0..3 elect 3 (same history, highest id). Once 1 and 2 have a quorum for 3, their
    // links to 3 clog: their FOLLOWERINFO waits, and 3's discovery with it.
    const finalizing = (id: number) => noteIndex(cluster, id, /a quorum votes for 3/) >= 0;
    expect(runUntil(cluster, () => finalizing(1) && finalizing(2), 2_000_000)).toBe(true);
    cluster.clog(1, 3, cluster.nowUs + 300_000);
    cluster.clog(2, 3, cluster.nowUs + 300_000);
    expect(runUntil(cluster, () => cluster.inspect(3).role === 'LEADING' && [0, 1, 2].every((id) => cluster.inspect(id).role === 'FOLLOWING'), 2_000_000)).toBe(true);
    restartServer(cluster, 4);
    // 4 joins the leader the others follow; its ACKEPOCH reports 1:3, past the leader's 1:2.
    const sawAhead = runUntil(cluster, () => noteIndex(cluster, 3, /follower 4 is ahead of the leader/) >= 0, 1_000_000);
    if (!sawAhead) console.log(story(cluster));
    expect(sawAhead).toBe(true);
    expect(cluster.inspect(3).role).toBe('LEADING');
    expect(noteIndex(cluster, 3, /drops learner 4: follower 4 is ahead/)).toBeGreaterThan(0);
    // When the clogs clear, 0, 1 and 2 complete the quorum; 3 leads epoch 2 and 4 is truncated.
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster) && cluster.serverIds.every((id) => cluster.inspect(id).zabState === 'BROADCAST'), 3_000_000)).toBe(true);
    expect(establishedLeader(cluster)).toBe(3);
    expect(eventsOf(cluster, 'election', 3).map((e) => e.epoch)).toEqual([2]);
    expect(eventsOf(cluster, 'sync-mode', 3).some((e) => e.learner === 4 && e.mode === 'TRUNC')).toBe(true);
    expect(cluster.inspect(4).lastProcessedZxid).toBe(makeZxid(1, 2));
    expect(monitor!.violations).toEqual([]);
  });

  it("an observer's acceptedEpoch raises the epoch the leader proposes", () => {
    const { cluster, monitor } = zabRig({ servers: 4, seed: 4, config: zabConfig({ observers: [3], initLimit: 50 }) });
    for (let id = 0; id < 3; id++) preload(cluster, id, 1, []);
    preload(cluster, 3, 1, [], 7); // the observer once accepted epoch 7
    cluster.start();
    // Once 0 and 1 have a quorum for 2, their links to 2 clog: their FOLLOWERINFO waits and
    // the observer's OBSERVERINFO is heard before the epoch is chosen.
    const finalizing = (id: number) => noteIndex(cluster, id, /a quorum votes for 2/) >= 0;
    expect(runUntil(cluster, () => finalizing(0) && finalizing(1), 2_000_000)).toBe(true);
    cluster.clog(0, 2, cluster.nowUs + 300_000);
    cluster.clog(1, 2, cluster.nowUs + 300_000);
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && cluster.serverIds.every((id) => cluster.inspect(id).zabState === 'BROADCAST'), 3_000_000)).toBe(true);
    expect(cluster.inspect(2).acceptedEpoch).toBe(8);
    expect(cluster.inspect(3).role).toBe('OBSERVING');
    expect(cluster.inspect(3).currentEpoch).toBe(8);
    expect(monitor!.violations).toEqual([]);
  });

  it("an observer's OBSERVERINFO raises the epoch but is no part of the quorum the epoch is chosen with", () => {
    // getEpochToPropose (ZOOKEEPER-2959): only voters verify the quorum. Leader 2 and the
    // observer are two of four servers but not a quorum of the three voters: the epoch
    // waits for voter 0, which accepted epoch 5 once.
    const { cluster, monitor } = epochRig([5, 1, 1, 1], [3]);
    clogToLeaderAfterVotes(cluster, [0, 1], [[0, 300_000], [1, 600_000]]);
    expect(untilAllBroadcast(cluster)).toBe(true);
    expect(eventsOf(cluster, 'election', 2).map((e) => e.epoch)).toEqual([6]);
    expect(cluster.serverIds.map((id) => cluster.inspect(id).currentEpoch)).toEqual([6, 6, 6, 6]);
    expect(monitor!.violations).toEqual([]);
  });

  it("a follower that already accepted the leader's own next epoch makes it propose one above (>=, not >)", () => {
    // getEpochToPropose: "if (lastAcceptedEpoch >= epoch) epoch = lastAcceptedEpoch + 1".
    // Server 0 accepted epoch 2 from a leader that never got established; leader 2's own
    // acceptedEpoch is 1, so it would propose 2, an epoch 0 has already promised to another.
    const { cluster, monitor } = epochRig([2, 1, 1]);
    clogToLeaderAfterVotes(cluster, [1], [[1, 300_000]]); // 0's FOLLOWERINFO is heard first
    expect(untilAllBroadcast(cluster)).toBe(true);
    expect(establishedLeader(cluster)).toBe(2);
    expect(eventsOf(cluster, 'election', 2).map((e) => e.epoch)).toEqual([3]);
    expect(cluster.serverIds.map((id) => cluster.inspect(id).acceptedEpoch)).toEqual([3, 3, 3]);
    expect(monitor!.violations).toEqual([]);
  });

  it('a learner that already accepted the epoch it is offered answers ACKEPOCH with currentEpoch -1', () => {
    // Learner.registerWithLeader: currentEpoch goes in the ACKEPOCH only when the new epoch
    // is above acceptedEpoch; at equality it sends -1 ("we have already acked an epoch
    // equal to the leader's"), and Leader.waitForEpochAck neither checks nor counts it.
    // Leader 2 chooses epoch 5 with 1 (acceptedEpoch 4); 0, which accepted 5 once, is late.
    const { cluster, monitor } = epochRig([5, 4, 1]);
    clogToLeaderAfterVotes(cluster, [0], [[0, 300_000]]);
    expect(untilAllBroadcast(cluster)).toBe(true);
    expect(eventsOf(cluster, 'election', 2).map((e) => e.epoch)).toEqual([5]);
    const ackEpochs = eventsOf(cluster, 'send').filter((e) => e.type === 'ACKEPOCH' && e.to === 2);
    const currentEpochOf = (id: number) => ackEpochs.filter((e) => e.node === id).map((e) => (e.msg as { currentEpoch: number }).currentEpoch);
    expect(currentEpochOf(1)).toEqual([1]);
    expect(currentEpochOf(0)).toEqual([-1]);
    expect(monitor!.violations).toEqual([]);
  });

  it('a learner refuses a LEADERINFO epoch below its acceptedEpoch, even by one, and stays out of that epoch', () => {
    // Learner.registerWithLeader: "Leaders epoch, 2 is less than accepted epoch, 3" —
    // the learner promised epoch 3 to another leader and must not ACK an older one.
    const { cluster, monitor } = epochRig([3, 1, 1]);
    clogToLeaderAfterVotes(cluster, [0], [[0, 300_000]]); // leader 2 chooses epoch 2 with 1 alone
    expect(runUntil(cluster, () => noteIndex(cluster, 0, /proposes epoch 2, older than acceptedEpoch 3/) >= 0, 3_000_000)).toBe(true);
    runFor(cluster, 1_000_000);
    expect(establishedLeader(cluster)).toBe(2);
    expect(eventsOf(cluster, 'election', 2).map((e) => e.epoch)).toEqual([2]);
    expect(cluster.inspect(0).currentEpoch).toBe(1);
    expect(cluster.inspect(0).zabState).not.toBe('BROADCAST');
    expect(monitor!.violations).toEqual([]);
  });
});

describe("ZooKeeper's synchronization", () => {
  const log: LogEntry[] = Array.from({ length: 12 }, (_, i) => ({ zxid: makeZxid(1, i + 1), txn: createTxn(i) }));
  const window = (from: number): CommittedLog => {
    const c = new CommittedLog(100);
    for (const entry of log.slice(from)) c.add(entry);
    return c;
  };
  const last = makeZxid(1, 12);

  it('a learner older than the committedLog is synced by DIFF from the on-disk log when the log holds its zxid', () => {
    const plan = planSync(window(8), last, makeZxid(1, 3), codec, {}, { entries: log, from: 0, maxTxns: Infinity });
    expect(plan.mode).toBe('DIFF');
    expect(plan.entries.map((e) => e.zxid)).toEqual(log.slice(3).map((e) => e.zxid));
    expect(plan.lastZxid).toBe(last);
  });

  it('…and by SNAP when the log does not hold it, was superseded by a SNAP, or is too large next to the snapshot', () => {
    expect(planSync(window(8), last, makeZxid(1, 3), codec).mode).toBe('SNAP'); // no log given
    // One txn below the window is below it too (syncFollower: peerLastZxid < minCommittedLog), never a TRUNC to nothing.
    expect(planSync(window(8), last, makeZxid(1, 8), codec).mode).toBe('SNAP');
    expect(planSync(window(8), last, makeZxid(1, 3), codec, {}, { entries: log.slice(5), from: 0, maxTxns: Infinity }).mode).toBe('SNAP'); // log starts after it
    expect(planSync(window(8), last, makeZxid(1, 3), codec, {}, { entries: log, from: 4, maxTxns: Infinity }).mode).toBe('SNAP'); // another history before index 4
    expect(planSync(window(8), last, makeZxid(1, 3), codec, {}, { entries: log, from: 0, maxTxns: 8 }).mode).toBe('SNAP'); // 9 txns to read > 8
    expect(planSync(window(8), last, makeZxid(1, 3), codec, {}, { entries: log, from: 0, maxTxns: 9 }).mode).toBe('DIFF');
    // The log ends before the window starts: a gap.
    expect(planSync(window(8), last, makeZxid(1, 3), codec, {}, { entries: log.slice(0, 6), from: 0, maxTxns: Infinity }).mode).toBe('SNAP');
    // A learner at (e, 0) is never found in a log: SNAP, as getProposalsFromTxnLog does.
    expect(planSync(window(8), last, makeZxid(1, 0), codec, {}, { entries: log, from: 0, maxTxns: Infinity }).mode).toBe('SNAP');
  });

  it('in a cluster, a follower that missed more than the committedLog comes back by DIFF from the leader log', () => {
    const { cluster, monitor } = zabRig({ servers: 3, seed: 21, config: zabConfig({ committedLogSize: 5 }) });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const client = connectClient(cluster, leader);
    expect(writeAll(client, leader, Array.from({ length: 30 }, (_, i) => `/a${i}`)).size).toBe(30);
    const lagging = (leader + 1) % 3;
    cluster.crash(lagging);
    expect(writeAll(client, leader, Array.from({ length: 8 }, (_, i) => `/b${i}`)).size).toBe(8);
    const from = cluster.trace.count;
    restartServer(cluster, lagging);
    expect(runUntil(cluster, () => allServing(cluster) && cluster.inspect(lagging).lastProcessedZxid === cluster.inspect(leader).lastProcessedZxid, 3_000_000)).toBe(true);
    const mode = eventsOf(cluster, 'sync-mode', leader, from).filter((e) => e.learner === lagging).at(-1)!;
    expect(mode.mode).toBe('DIFF');
    expect(mode.txns).toBe(8);
    expect(monitor!.violations).toEqual([]);
  });
});

describe("ZooKeeper's follower", () => {
  it('ignores a COMMIT for which it has no pending txn, with a warning, instead of exiting', () => {
    const { cluster, monitor } = zabRig({ servers: 3, seed: 2 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const follower = (leader + 1) % 3;
    cluster.send(leader, follower, { type: 'COMMIT', zxid: makeZxid(cluster.inspect(leader).currentEpoch as number, 99) });
    runFor(cluster, 20_000);
    expect(noteIndex(cluster, follower, /without a pending txn: ignored/)).toBeGreaterThan(0);
    expect(noteIndex(cluster, follower, /exits/)).toBe(-1);
    expect(cluster.inspect(follower).role).toBe('FOLLOWING');
    expect(monitor!.violations).toEqual([]);
  });
});

describe('a TRUNC below the newest snapshot (ZOOKEEPER-1549)', () => {
  it('starts from an older snapshot: the txns the newest one held are gone', () => {
    const { cluster } = zabRig({ servers: 3, seed: 6 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const client = connectClient(cluster, leader);
    expect(writeAll(client, leader, ['/x', '/y']).size).toBe(2);
    const node = cluster.behavior(leader) as unknown as { writeSnapshot(ctx: unknown): void; truncateLog(ctx: unknown, zxid: number): boolean; tree: { lastProcessedZxid: number; exists(p: string): { stat?: unknown } } };
    const ctx = (cluster as unknown as { slots: { ctx: unknown }[] }).slots[leader].ctx;
    const y = node.tree.lastProcessedZxid;
    const x = y - 1;
    node.writeSnapshot(ctx); // a snapshot that holds /y
    expect(node.truncateLog(ctx, x)).toBe(true);
    expect(node.tree.lastProcessedZxid).toBe(x);
    expect(node.tree.exists('/y').stat ?? null).toBeNull();
    expect(node.tree.exists('/x').stat ?? null).not.toBeNull();
  });
});

describe("ZooKeeper's session revalidation", () => {
  it('a reconnect to a follower whose tree still has the session is refused once the leader has expired it (REVALIDATE)', () => {
    const { cluster, monitor } = zabRig({ servers: 3, seed: 17, config: zabConfig({ syncLimit: 30, initLimit: 30 }) });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const follower = (leader + 1) % 3;
    const client = new TestClient(cluster);
    const connected = roundTrip(client, (done) => client.connect(leader, done, 100_000));
    expect(connected.kind === 'reply' && connected.reply.kind === 'connected').toBe(true);
    const sessionId = client.sessionId!;
    // The follower will not hear of the expiry for a while; the client goes silent.
    cluster.clog(leader, follower, cluster.nowUs + 400_000);
    runFor(cluster, 200_000);
    expect(noteIndex(cluster, leader, new RegExp(`session 0x${sessionId.toString(16)} expired`))).toBeGreaterThan(0);
    const followerTree = (cluster.behavior(follower) as unknown as { tree: { hasSession(id: number): boolean } }).tree;
    expect(followerTree.hasSession(sessionId)).toBe(true);
    const again = roundTrip(client, (done) => client.connect(follower, done, 100_000));
    expect(again.kind).toBe('reply');
    if (again.kind === 'reply') expect(again.reply).toMatchObject({ kind: 'refused', code: 'SESSIONEXPIRED' });
    expect(monitor!.violations).toEqual([]);
  });

  it('a reconnect with a live session is accepted, and touches it at the leader', () => {
    const { cluster, monitor } = zabRig({ servers: 3, seed: 18 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const follower = (leader + 1) % 3;
    const client = new TestClient(cluster);
    const first = roundTrip(client, (done) => client.connect(leader, done, 100_000));
    expect(first.kind === 'reply' && first.reply.kind === 'connected').toBe(true);
    const sessionId = client.sessionId!;
    // Reconnects every 60 ms (less than the 100 ms timeout), moving between servers, and never pings.
    for (let i = 0; i < 6; i++) {
      runFor(cluster, 60_000);
      const outcome = roundTrip(client, (done) => client.connect(i % 2 === 0 ? follower : leader, done, 100_000));
      expect(outcome.kind === 'reply' && outcome.reply.kind === 'connected' && outcome.reply.sessionId === sessionId).toBe(true);
    }
    expect(noteIndex(cluster, leader, /expired: proposes closeSession/)).toBe(-1);
    expect(monitor!.violations).toEqual([]);
  });
});

describe("ZooKeeper's leader", () => {
  it('steps down within syncLimit when its followers stay connected but silent (paused), with nothing to ACK', () => {
    // Leader.lead's tick: "Not sufficient followers synced": a follower counts only while it
    // answered a PING within syncLimit ticks (LearnerHandler.synced()); no broken connection
    // and no outstanding proposal tells the leader anything here.
    const config = zabConfig();
    const { cluster, monitor } = zabRig({ servers: 3, seed: 11, config });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 3_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const followers = cluster.serverIds.filter((id) => id !== leader);
    const start = cluster.nowUs;
    for (const id of followers) cluster.pause(id);
    expect(runUntil(cluster, () => cluster.inspect(leader).role === 'LOOKING', (config.syncLimit + 2) * config.tickTimeUs)).toBe(true);
    expect(noteIndex(cluster, leader, /not enough followers synced/)).toBeGreaterThan(0);
    expect(cluster.nowUs - start).toBeLessThanOrEqual((config.syncLimit + 2) * config.tickTimeUs);
    for (const id of followers) cluster.resume(id);
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 3_000_000)).toBe(true);
    expect(monitor!.violations).toEqual([]);
  });
});
