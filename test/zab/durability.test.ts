/**
 * No lost commits: a server acts only on what its disk holds (issue 12, point 1).
 *
 * ZooKeeper's order when a server leaves its role: the log writer is shut down, which
 * flushes and fsyncs what it was handed (SyncRequestProcessor.shutdown, called from
 * ZooKeeperServer.shutdown → shutdownComponents); only then is the tree fast-forwarded
 * from the log and the election started. A new leader snapshots its tree before it
 * counts its own NEWLEADER ACK (Leader.lead → loadData → takeSnapshot).
 *
 * The hand-built schedule below is the mechanism random search found with slow disks
 * and frequent crashes. Server 1's disk stalls with a committed txn t only in its page
 * cache; the leader crashes; if server 1 voted with t it would win (its id breaks the
 * tie with server 0), lead epoch e+1, and crash before t reaches its disk. Restarted
 * with epoch e+1 and no t, it would beat the old leader (epoch e, with t) and truncate
 * t away: a committed txn lost.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../sim/core/node.js';
import { ACCEPTED_EPOCH_KEY, CURRENT_EPOCH_KEY, SNAPSHOT_KEY, TXN_LOG, type LogEntry, type SnapshotRecord } from '../../sim/zab/index.js';
import { allServing, connectClient, establishedLeader, eventsOf, restartServer, runFor, runUntil, writeAll, zabRig, type ZabCluster } from './harness.js';

/** Holds a server's storage syncs until released: a disk that stalls. */
function stallDisk(cluster: ZabCluster, node: NodeId): () => void {
  const storage = cluster.storage(node);
  const original = storage.requestSync;
  const held: number[] = [];
  storage.requestSync = (syncId) => held.push(syncId);
  return () => {
    storage.requestSync = original;
    for (const syncId of held) original(syncId);
  };
}

describe('a server votes and leads only with what its disk holds', () => {
  it('a committed txn in one server page cache is flushed before that server votes, and survives', () => {
    const { cluster, monitor } = zabRig({ servers: 3, seed: 12 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    // A cold start elects the highest id.
    expect(establishedLeader(cluster)).toBe(2);
    const client = connectClient(cluster, 2);
    expect(writeAll(client, 2, ['/a']).size).toBe(1);

    const release = stallDisk(cluster, 1);
    expect(writeAll(client, 2, ['/t']).size).toBe(1); // committed by 2 and 0
    const t = cluster.inspect(2).lastCommittedZxid as number;
    const log1 = cluster.storage(1).log<LogEntry>(TXN_LOG);
    expect(log1.at(-1)?.zxid).toBe(t); // in server 1's page cache...
    expect(cluster.storage(1).durableLogEntries(TXN_LOG).some((e) => (e as LogEntry).zxid === t)).toBe(false); // ...not on its disk

    cluster.crash(2);
    runFor(cluster, 150_000);
    // Server 1 went LOOKING but waits for its log writer's flush: it has not voted with t.
    const roleWhileStalled = cluster.inspect(1).role;
    const votedWithT = eventsOf(cluster, 'vote', 1).some((e) => e.timeUs > cluster.nowUs - 150_000 && (e.zxid as number) >= t);
    const epochWhileStalled = cluster.inspect(1).currentEpoch;
    const epochBefore = cluster.inspect(0).currentEpoch;

    // It crashes before its disk comes back: t was never durable there.
    release();
    cluster.crash(1);
    restartServer(cluster, 1);
    cluster.crash(0);
    restartServer(cluster, 2);
    runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 3_000_000);
    restartServer(cluster, 0);
    const recovered = runUntil(cluster, () => allServing(cluster) && cluster.serverIds.every((id) => cluster.inspect(id).zabState === 'BROADCAST'), 3_000_000);
    expect(monitor!.violations).toEqual([]);
    expect(recovered).toBe(true);
    expect(monitor!.finalCheck()).toEqual([]);
    for (const id of cluster.serverIds) expect(cluster.inspect(id).lastProcessedZxid).toBeGreaterThanOrEqual(t);
    expect(roleWhileStalled).toBe('LOOKING');
    expect(votedWithT).toBe(false);
    expect(epochWhileStalled).toBe(epochBefore);
  });

  it('a new leader writes a snapshot of the history it was elected with before it is established', () => {
    const { cluster, monitor } = zabRig({ servers: 3, seed: 3, storage: { syncLatency: { kind: 'constant', us: 30_000 }, durableImmediately: false } });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 3_000_000)).toBe(true);
    const first = establishedLeader(cluster)!;
    const client = connectClient(cluster, first);
    expect(writeAll(client, first, ['/x', '/y']).size).toBe(2);
    cluster.crash(first);
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null, 3_000_000)).toBe(true);
    const next = establishedLeader(cluster)!;
    const election = eventsOf(cluster, 'election', next).at(-1)!;
    const snapshots = eventsOf(cluster, 'snapshot', next).filter((e) => e.seq < election.seq);
    expect(snapshots.length).toBeGreaterThan(0);
    // Taken at the start of the leadership, it holds every txn the old leader committed.
    const lastOldCommit = eventsOf(cluster, 'commit', first).at(-1)!.index as number;
    expect(snapshots[0].zxid as number).toBeGreaterThanOrEqual(lastOldCommit);
    expect((cluster.storage(next).durableValue(SNAPSHOT_KEY) as SnapshotRecord).zxid).toBeGreaterThanOrEqual(lastOldCommit);
    expect(monitor!.violations).toEqual([]);
  });

  it('a currentEpoch repaired at restart (an interrupted sync) is durable', () => {
    const { cluster } = zabRig({ servers: 3, seed: 5 });
    // Server 0's disk: a txn of epoch 2 logged, currentEpoch still 1, and the updatingEpoch marker.
    const storage = cluster.storage(0);
    storage.putDurable(ACCEPTED_EPOCH_KEY, 2);
    storage.putDurable(CURRENT_EPOCH_KEY, 1);
    storage.putDurable('updatingEpoch', 2);
    storage.append(TXN_LOG, { zxid: 2 * 2 ** 32 + 1, txn: { type: 'create', path: '/e2', data: '', ephemeralOwner: 0, parentCVersion: 1 } });
    storage.sync();
    cluster.start();
    runFor(cluster, 1_000);
    expect(cluster.inspect(0).currentEpoch).toBe(2);
    expect(storage.durableValue(CURRENT_EPOCH_KEY)).toBe(2);
    expect(storage.durableValue('updatingEpoch')).toBeNull();
  });
});
