/**
 * ZAB's quorums count distinct voters only (issue 12, point 8): a duplicated ACK never
 * counts twice, an observer's ACK never counts, and the quorum a leader records when it
 * is established holds only voters.
 */
import { describe, expect, it } from 'vitest';
import { zabConfig } from '../../sim/zab/index.js';
import { allServing, connectClient, establishedLeader, eventsOf, runFor, runUntil, story, zabRig } from './harness.js';

describe('ZAB quorums', () => {
  it('a duplicated ACK from one follower never commits a proposal without a quorum', () => {
    const { cluster, monitor } = zabRig({ servers: 5, seed: 31 });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const followers = cluster.serverIds.filter((id) => id !== leader);
    const [acker, ...silent] = followers;
    const client = connectClient(cluster, leader);
    // Only `acker` reaches the leader: leader + acker = 2 of 5.
    for (const id of silent) cluster.clog(id, leader, cluster.nowUs + 2_000_000);
    const before = cluster.inspect(leader).lastCommittedZxid as number;
    client.op(leader, { op: 'create', path: '/dup', data: 'x', mode: 'persistent' }, () => {});
    expect(runUntil(cluster, () => eventsOf(cluster, 'logged', acker).some((e) => (e.zxid as number) > before), 500_000)).toBe(true);
    const zxid = eventsOf(cluster, 'propose', leader).at(-1)!.index as number;
    for (let i = 0; i < 3; i++) cluster.send(acker, leader, { type: 'ACK', zxid });
    runFor(cluster, 100_000);
    expect(cluster.inspect(leader).lastCommittedZxid).toBe(before);
    expect(eventsOf(cluster, 'commit', leader).some((e) => e.index === zxid)).toBe(false);
    expect(monitor!.violations).toEqual([]);
  });

  it("an observer's NEWLEADER ACK never establishes a leader; the recorded quorum holds only voters", () => {
    const { cluster, monitor } = zabRig({ servers: 4, seed: 13, config: zabConfig({ observers: [3], initLimit: 50, syncLimit: 30 }) });
    cluster.start();
    // Voters 0, 1, 2 elect 2. When it starts synchronizing, the voters' links to it clog:
    // their NEWLEADER ACKs wait, and only the observer's packets reach it for a while.
    expect(runUntil(cluster, () => cluster.inspect(2).role === 'LEADING' && cluster.inspect(2).zabState === 'SYNCHRONIZATION', 2_000_000)).toBe(true);
    cluster.clog(0, 2, cluster.nowUs + 300_000);
    cluster.clog(1, 2, cluster.nowUs + 300_000);
    runFor(cluster, 250_000);
    if (eventsOf(cluster, 'election').length > 0) console.log(story(cluster));
    expect(eventsOf(cluster, 'election')).toEqual([]);
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null, 2_000_000)).toBe(true);
    for (const election of eventsOf(cluster, 'election')) {
      const quorum = election.quorum as number[];
      expect(quorum.every((id) => id !== 3)).toBe(true);
      expect(new Set(quorum).size).toBe(quorum.length);
      expect(quorum.length).toBeGreaterThanOrEqual(2);
    }
    expect(monitor!.violations).toEqual([]);
  });
});
