/**
 * An observer learns each txn from the leader's INFORM (Observer.processPacket), and its
 * commit processor skips a txn its tree already has (ZooKeeperServer.processTxn is never
 * handed a zxid at or below lastProcessedZxid by the observer's request processors): an
 * INFORM for the txn it holds last — synchronized by DIFF just before the leader's INFORM
 * for it reached the observer — is neither logged nor applied again (mutant
 * zab-inform-reapplies-last: `<` for `<=`, which logs it twice and delivers it twice).
 */
import { describe, expect, it } from 'vitest';
import { zabConfig, type LogEntry } from '../../sim/zab/index.js';
import { allServing, connectClient, establishedLeader, eventsOf, runFor, runUntil, writeAll, zabRig } from './harness.js';

describe("an observer's INFORM", () => {
  it('for the txn it already holds last (and one older) is neither logged nor applied again', () => {
    const { cluster, monitor } = zabRig({ servers: 4, seed: 13, config: zabConfig({ observers: [3] }) });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 3_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const client = connectClient(cluster, leader);
    expect(writeAll(client, leader, ['/a', '/b']).size).toBe(2);
    expect(runUntil(cluster, () => cluster.inspect(3).lastProcessedZxid === cluster.inspect(leader).lastProcessedZxid, 1_000_000)).toBe(true);
    const observer = cluster.behavior(3) as unknown as { log(ctx: unknown): readonly LogEntry[] };
    const ctx = (cluster as unknown as { slots: { ctx: unknown }[] }).slots[3].ctx;
    const entries = observer.log(ctx);
    const [older, last] = entries.slice(-2);
    const before = cluster.inspect(3);
    const labelsOf = (snapshot: typeof before) => (snapshot.log as { labels: string[] }).labels;
    const labels = [...labelsOf(before)];
    const from = cluster.trace.events.length;
    cluster.send(leader, 3, { type: 'INFORM', entry: last });
    cluster.send(leader, 3, { type: 'INFORM', entry: older });
    runFor(cluster, 50_000);
    const after = cluster.inspect(3);
    expect(labelsOf(after)).toEqual(labels);
    expect(after.lastProcessedZxid).toBe(before.lastProcessedZxid);
    expect(after.treeDigest).toBe(before.treeDigest);
    expect(eventsOf(cluster, 'commit', 3, from)).toEqual([]);
    expect(monitor!.violations).toEqual([]);
  });
});
