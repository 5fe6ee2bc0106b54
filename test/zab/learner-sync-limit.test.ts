/**
 * A learner's patience with a silent leader (Learner): while it synchronizes — from its
 * ACKEPOCH until it acknowledges NEWLEADER — it reads with the initLimit socket timeout
 * (Learner.syncWithLeader; a big DIFF or SNAP may take the leader that long), and only
 * from then on with syncLimit. A learner that gave up after syncLimit during the sync
 * would leave a leader that is merely slow to send the sync, and come back, for ever
 * (mutant zab-learner-synclimit-during-sync).
 */
import { describe, expect, it } from 'vitest';
import { zabConfig } from '../../sim/zab/index.js';
import { allServing, establishedLeader, eventsOf, restartServer, runFor, runUntil, zabRig } from './harness.js';

describe('a synchronizing learner', () => {
  it('waits initLimit, not syncLimit, for a leader silent during the sync; after it, syncLimit', () => {
    // tickTime 20 ms: syncLimit 2 ticks = 40 ms, initLimit 10 ticks = 200 ms.
    const { cluster, monitor } = zabRig({ servers: 3, seed: 4, config: zabConfig({ syncLimit: 2, initLimit: 10 }) });
    cluster.start();
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 3_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    const follower = (leader + 1) % 3;
    cluster.crash(follower);
    runFor(cluster, 10_000);
    restartServer(cluster, follower);
    expect(runUntil(cluster, () => cluster.inspect(follower).zabState === 'SYNCHRONIZATION', 2_000_000)).toBe(true);
    const from = cluster.trace.events.length;
    // The leader's packets to it wait 120 ms (6 ticks): more than syncLimit, less than initLimit.
    cluster.clog(leader, follower, cluster.nowUs + 120_000);
    runFor(cluster, 400_000);
    const gaveUp = eventsOf(cluster, 'note', follower, from).filter((e) => /heard nothing from leader/.test(String(e.text)));
    expect(gaveUp).toEqual([]);
    expect(cluster.inspect(follower).zabState).toBe('BROADCAST');
    expect(cluster.inspect(follower).leader).toBe(leader);
    // Once synchronized, the same silence is more than syncLimit: it looks for a leader.
    const later = cluster.trace.events.length;
    cluster.clog(leader, follower, cluster.nowUs + 120_000);
    runFor(cluster, 120_000);
    const note = eventsOf(cluster, 'note', follower, later).find((e) => /heard nothing from leader \d+ for 2 ticks/.test(String(e.text)));
    expect(note).toBeDefined();
    // Exactly syncLimit of silence (Learner's socket timeout tickTime·syncLimit), not a
    // tick more: the learner checks every half tick, so it gives up within 40–50 ms of
    // the last packet it got from the leader.
    const heard = eventsOf(cluster, 'deliver', follower).filter((e) => e.from === leader && e.timeUs < note!.timeUs);
    const lastHeardUs = Math.max(...heard.map((e) => e.timeUs));
    expect(note!.timeUs - lastHeardUs).toBeGreaterThan(40_000);
    expect(note!.timeUs - lastHeardUs).toBeLessThanOrEqual(50_000);
    expect(monitor!.violations).toEqual([]);
  });
});
