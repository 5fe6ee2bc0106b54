import { describe, expect, it } from 'vitest';
import type { ClientNotification } from '../../sim/client/protocol.js';
import { attachPaxosInvariants } from '../../sim/check/paxos/index.js';
import { checkPrimaryOrder } from '../../sim/check/primary-order.js';
import { paxosConfig } from '../../sim/paxos/index.js';
import { paxosCluster, resultOf, roundTrip, runFor, runUntil, stableLeader, TestClient, type Outcome } from './harness.js';
import { Workload } from './workload.js';
import { faultArb, healAll, scheduleFaults } from './nemesis.js';
import fc from 'fast-check';

function started(servers: number, seed: number, options: Parameters<typeof paxosCluster>[0] = {}) {
  const cluster = paxosCluster({ servers, seed, ...options });
  const invariants = attachPaxosInvariants(cluster);
  cluster.start();
  return { cluster, invariants };
}

function converged(cluster: ReturnType<typeof paxosCluster>): boolean {
  const live = cluster.serverIds.filter((id) => cluster.isUp(id));
  const first = cluster.inspect(live[0]);
  return live.every((id) => cluster.inspect(id).lastApplied === first.lastApplied && cluster.inspect(id).treeDigest === first.treeDigest);
}

function connect(client: TestClient, server: number): void {
  const outcome = roundTrip(client, (done) => client.connect(server, done));
  expect(outcome.kind === 'reply' && outcome.reply.kind, JSON.stringify(outcome)).toBe('connected');
}

function ok(outcome: Outcome): unknown {
  expect(outcome.kind).toBe('reply');
  return resultOf(outcome);
}

describe('Multi-Paxos: leader election', () => {
  it('a leader emerges within tens of milliseconds, with no external oracle', () => {
    const times: number[] = [];
    for (const servers of [1, 3, 5, 7]) {
      for (let seed = 1; seed <= 15; seed++) {
        const { cluster, invariants } = started(servers, seed);
        expect(runUntil(cluster, () => stableLeader(cluster) !== null, 300_000), `n=${servers} seed=${seed}`).toBe(true);
        times.push(cluster.nowUs);
        expect(invariants.violations).toEqual([]);
      }
    }
    times.sort((a, b) => a - b);
    // Election timeout 20 ms + jitter, one phase-1 round trip, a heartbeat.
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(60_000);
    expect(times[times.length - 1]).toBeLessThan(200_000);
  }, 30_000);

  it('candidates that pre-empt each other back off: one wins though every promise outlasts the election timeout', () => {
    // A promise waits for a 30 ms disk sync, longer than the 20 ms election timeout, so a
    // candidate is usually pre-empted by another's higher ballot before its phase 1 ends.
    // Counted as a failed election, each pre-emption doubles the candidate's random wait
    // (up to 2^4 timeouts) until one candidacy runs alone for long enough. Uncounted, the
    // candidates kept drawing from the base spread: 180-1,060 ms to a leader (median 716).
    const times: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const { cluster, invariants } = started(3, seed, { storage: { syncLatency: { kind: 'constant', us: 30_000 }, durableImmediately: false } });
      let leader: number | null = null;
      let sinceUs = 0;
      // A leader that holds for half a second.
      const held = () => {
        const now = stableLeader(cluster);
        if (now !== leader) [leader, sinceUs] = [now, cluster.nowUs];
        return leader !== null && cluster.nowUs - sinceUs >= 500_000;
      };
      expect(runUntil(cluster, held, 3_000_000), `seed ${seed}`).toBe(true);
      times.push(sinceUs);
      expect(invariants.violations).toEqual([]);
    }
    expect(Math.max(...times), JSON.stringify(times)).toBeLessThan(400_000);
  });

  it('records state and election events in the shared vocabulary', () => {
    const { cluster } = started(3, 4);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const election = cluster.trace.events.find((e) => e.kind === 'election')!;
    expect(election).toMatchObject({ node: leader, leader });
    expect(typeof election.epoch).toBe('number');
    const states = cluster.trace.events.filter((e) => e.kind === 'state' && e.node === leader);
    expect(states.map((e) => e.role)).toEqual(['FOLLOWER', 'CANDIDATE', 'LEADER']);
    expect(states[2]).toMatchObject({ ballot: election.epoch, leader });
    const snapshot = cluster.inspect(leader);
    expect(snapshot).toMatchObject({ role: 'LEADER', ballot: election.epoch, promised: election.epoch, leader, chosenPrefix: 0, lastApplied: 0 });
    expect(typeof snapshot.treeDigest).toBe('number');
  });

  it('a crashed leader is replaced; chosen commands survive; clients carry on', () => {
    const { cluster, invariants } = started(5, 11);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const first = stableLeader(cluster)!;
    const client = new TestClient(cluster);
    const follower = (first + 1) % 5;
    connect(client, follower);
    expect(ok(roundTrip(client, (d) => client.op(follower, { op: 'create', path: '/a', data: '1', mode: 'persistent' }, d)))).toEqual({ ok: true, path: '/a' });
    cluster.crash(first);
    expect(runUntil(cluster, () => stableLeader(cluster) !== null && stableLeader(cluster) !== first, 500_000)).toBe(true);
    const second = stableLeader(cluster)!;
    const result = ok(roundTrip(client, (d) => client.op(follower, { op: 'setData', path: '/a', data: '2', version: 0 }, d))) as { ok: boolean };
    expect(result.ok).toBe(true);
    const read = ok(roundTrip(client, (d) => client.op(second, { op: 'getData', path: '/a' }, d, 'quorum'))) as { data: string };
    expect(read.data).toBe('2');
    cluster.restart(first);
    runUntil(cluster, () => converged(cluster), 500_000);
    expect(converged(cluster)).toBe(true);
    expect(invariants.violations).toEqual([]);
  });
});

describe('Multi-Paxos: the replicated log', () => {
  it('chooses commands in slots and every replica applies the same sequence', () => {
    const { cluster, invariants } = started(3, 2);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const client = new TestClient(cluster);
    connect(client, 0);
    const replies: unknown[] = [];
    // Pipelined in one session: replies come back in request order (per-session FIFO).
    for (let i = 0; i < 5; i++) client.op(i % 3, { op: 'create', path: `/n${i}`, data: `${i}`, mode: 'persistent' }, (o) => replies.push(resultOf(o)));
    runUntil(cluster, () => replies.length === 5, 200_000);
    cluster.run({ untilUs: cluster.nowUs + 20_000 });
    expect(converged(cluster)).toBe(true);
    const commits = (node: number) => cluster.trace.events.filter((e) => e.kind === 'commit' && e.node === node).map((e) => `${e.index}:${e.value}`);
    expect(commits(1)).toEqual(commits(0));
    expect(commits(2)).toEqual(commits(0));
    const propose = cluster.trace.events.find((e) => e.kind === 'propose' && (e.txn as { type?: string } | undefined)?.type === 'create')!;
    expect(propose).toMatchObject({ label: `slot ${String(propose.index)}`, origin: expect.stringMatching(/^paxos:b\d+$/), originSeq: 2, command: 'txn' });
    expect(propose.dependsOn).toEqual({ origin: propose.origin, originSeq: 1 });
    expect(cluster.trace.events.filter((e) => e.kind === 'accepted' && e.slot === propose.index)).toHaveLength(3);
    expect(cluster.trace.events.filter((e) => e.kind === 'chosen' && e.slot === propose.index)).toHaveLength(3);
    expect(invariants.violations).toEqual([]);
    expect(checkPrimaryOrder(cluster.trace.events).ok).toBe(true);
  });

  it('a lagging replica catches up slot by slot from the leader', () => {
    const { cluster, invariants } = started(3, 5);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const lagging = (leader + 1) % 3;
    const client = new TestClient(cluster);
    connect(client, leader);
    cluster.partition([[lagging], cluster.serverIds.filter((id) => id !== lagging)]);
    let done = 0;
    const writeNext = (i: number): void => {
      client.op(leader, { op: 'create', path: `/w${i}`, data: '', mode: 'persistent' }, () => {
        done++;
        if (i < 150) writeNext(i + 1);
      });
    };
    writeNext(1);
    runUntil(cluster, () => done === 150, 2_000_000);
    const behind = cluster.inspect(lagging).lastApplied as number;
    cluster.heal();
    runUntil(cluster, () => converged(cluster), 500_000);
    expect(converged(cluster)).toBe(true);
    const caughtUp = cluster.trace.events.filter((e) => e.kind === 'chosen' && e.node === lagging && e.via === 'catch-up');
    expect(caughtUp.length).toBeGreaterThan(100);
    expect(Math.min(...caughtUp.map((e) => e.slot as number))).toBe(behind + 1);
    expect(invariants.violations).toEqual([]);
  });

  it('a node cut off from the leader does not depose it (pre-vote: no grant while a leader is heard)', () => {
    const { cluster, invariants } = started(3, 5);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const away = (leader + 1) % 3;
    const from = cluster.trace.events.length;
    // The leader's packets to it are held for ten election timeouts: it hears no leader and
    // probes, but the other follower and the leader itself do hear one and refuse.
    cluster.clog(leader, away, cluster.nowUs + 200_000);
    runFor(cluster, 400_000);
    const after = cluster.trace.events.slice(from);
    expect(after.some((e) => e.kind === 'deliver' && e.type === 'Probe' && e.from === away)).toBe(true);
    expect(after.filter((e) => e.kind === 'election')).toEqual([]);
    expect(stableLeader(cluster)).toBe(leader);
    expect(invariants.violations).toEqual([]);
  });

  it('an acceptor that promised a newer ballot refuses the old leader\'s heartbeat, and the old leader steps down', () => {
    // Pre-vote off, the link between the leader and one follower cut both ways: the follower
    // elects itself with the third node's promise. The old leader still reaches that third
    // node; its heartbeat is below the promise: Nack, and it must stop leading (else the
    // third node's acks keep it "live" and it confirms read indexes of a ballot it lost).
    const { cluster, invariants } = started(3, 7, { config: paxosConfig({ preVote: false }) });
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const old = stableLeader(cluster)!;
    const rival = (old + 1) % 3;
    cluster.cut([[old, rival], [rival, old]]);
    const from = cluster.trace.events.length;
    expect(runUntil(cluster, () => cluster.trace.events.slice(from).some((e) => e.kind === 'election' && e.node === rival), 500_000)).toBe(true);
    runFor(cluster, 100_000);
    expect(cluster.inspect(old).role).not.toBe('LEADER');
    expect(invariants.violations).toEqual([]);
  });

  it('a restarted node replays its chosen slots from disk, then catches up', () => {
    const { cluster, invariants } = started(3, 6);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const victim = (leader + 2) % 3;
    const client = new TestClient(cluster);
    connect(client, leader);
    for (let i = 0; i < 10; i++) roundTrip(client, (d) => client.op(leader, { op: 'create', path: `/r${i}`, data: '', mode: 'persistent' }, d));
    cluster.run({ untilUs: cluster.nowUs + 10_000 });
    cluster.crash(victim);
    for (let i = 10; i < 20; i++) roundTrip(client, (d) => client.op(leader, { op: 'create', path: `/r${i}`, data: '', mode: 'persistent' }, d));
    cluster.restart(victim);
    runUntil(cluster, () => converged(cluster), 500_000);
    expect(converged(cluster)).toBe(true);
    const replayed = cluster.trace.events.filter((e) => e.kind === 'commit' && e.node === victim && e.replay === true);
    expect(replayed.length).toBeGreaterThanOrEqual(10);
    expect(invariants.violations).toEqual([]);
  });

  it('stays safe and live over lossy, duplicating, reordering datagrams', () => {
    const { cluster, invariants } = started(5, 8, {
      network: { latency: { kind: 'exponential', minUs: 200, meanUs: 2_000 }, lossRate: 0.2, dupRate: 0.2 },
    });
    const workload = new Workload(cluster, cluster.rngs.stream('workload'), { clients: 4, stopAtUs: 1_500_000 });
    workload.start(30_000);
    cluster.run({ untilUs: 1_500_000 });
    expect(cluster.trace.countsByKind.get('duplicate') ?? 0).toBeGreaterThan(1_000);
    expect(workload.okCount).toBeGreaterThan(200);
    cluster.setLossRate(0);
    cluster.run({ untilUs: 2_000_000 });
    expect(converged(cluster)).toBe(true);
    expect(invariants.violations).toEqual([]);
  }, 30_000);
});

describe('Multi-Paxos: the acceptor', () => {
  // One ballot below the promise is still below it (P1a): a Nack, no vote. At the promise
  // itself, the same proposer's Accept is voted for.
  for (const [offset, votes] of [[-1, false], [0, true]] as const) {
    it(`${votes ? 'votes for an Accept at its promise' : 'refuses an Accept one ballot below its promise'}`, () => {
      const { cluster } = started(3, 11);
      expect(runUntil(cluster, () => stableLeader(cluster) !== null, 300_000)).toBe(true);
      const leader = stableLeader(cluster)!;
      const follower = cluster.serverIds.find((id) => id !== leader)!;
      const promised = cluster.inspect(follower).promised as number;
      expect(promised).toBeGreaterThan(1);
      const slot = 10_000;
      const value = { id: 'probe', kind: 'noop' as const, origin: 'test', originSeq: 0, ballot: promised + offset };
      const sentAt = cluster.trace.count;
      cluster.send(leader, follower, { type: 'Accept', ballot: promised + offset, entries: [{ slot, ballot: promised + offset, value }] });
      cluster.run({ untilUs: cluster.nowUs + 20_000 });
      const after = cluster.trace.events.slice(sentAt);
      const voted = after.some((e) => e.kind === 'accepted' && e.node === follower && e.slot === slot);
      const nacked = after.some((e) => e.kind === 'send' && e.node === follower && e.type === 'Nack');
      expect(voted).toBe(votes);
      expect(nacked).toBe(!votes);
      expect(cluster.inspect(follower).promised).toBe(promised);
    });
  }
});

describe('Multi-Paxos: a vote is a promise', () => {
  it('an acceptor that votes in a ballot above its promise raises the promise: a later Prepare between the two is refused', () => {
    // Paxos.tla Phase2b sets maxBal[a] to the ballot voted in. An acceptor left out of a
    // leader's phase 1 (cut off then) votes in its ballot when its Accept arrives; a Prepare
    // of an older candidacy delayed in the network must then get a Nack, not a Promise.
    // The Accept is made up (no leader ran that ballot), so no invariant checker watches.
    const cluster = paxosCluster({ servers: 3, seed: 11 });
    cluster.start();
    expect(runUntil(cluster, () => stableLeader(cluster) !== null, 300_000)).toBe(true);
    const leader = stableLeader(cluster)!;
    const [follower, other] = cluster.serverIds.filter((id) => id !== leader);
    const promised = cluster.inspect(follower).promised as number;
    const higher = promised + 6;
    const value = { id: 'probe', kind: 'noop' as const, origin: 'test', originSeq: 0, ballot: higher };
    cluster.send(leader, follower, { type: 'Accept', ballot: higher, entries: [{ slot: 10_000, ballot: higher, value }] });
    cluster.run({ untilUs: cluster.nowUs + 20_000 });
    expect(cluster.inspect(follower).promised).toBe(higher);
    const sentAt = cluster.trace.count;
    cluster.send(other, follower, { type: 'Prepare', ballot: promised + 3, fromSlot: 1 });
    cluster.run({ untilUs: cluster.nowUs + 20_000 });
    const after = cluster.trace.events.slice(sentAt);
    expect(after.some((e) => e.kind === 'promise' && e.node === follower && e.ballot === promised + 3)).toBe(false);
    expect(after.some((e) => e.kind === 'send' && e.node === follower && e.type === 'Nack')).toBe(true);
  });
});

describe('Multi-Paxos: clients', () => {
  it('refuses sessions while no leader is known (NOTREADY) and when behind the client (BEHIND)', () => {
    const { cluster } = started(3, 9);
    const early = new TestClient(cluster);
    expect(resultOf(roundTrip(early, (d) => early.connect(0, d)))).toBe('refused:NOTREADY');
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const lagging = (leader + 1) % 3;
    const client = new TestClient(cluster);
    connect(client, leader);
    cluster.partition([[lagging], cluster.serverIds.filter((id) => id !== lagging)]);
    roundTrip(client, (d) => client.op(leader, { op: 'create', path: '/b', data: '', mode: 'persistent' }, d));
    expect(client.lastZxid).toBeGreaterThan(cluster.inspect(lagging).lastApplied as number);
    // The lagging node still believes in the leader for an election timeout.
    expect(resultOf(roundTrip(client, (d) => client.connect(lagging, d)))).toBe('refused:BEHIND');
  });

  it('serves local, sync and quorum reads with their documented freshness', () => {
    const { cluster, invariants } = started(3, 10);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const follower = (leader + 1) % 3;
    const writer = new TestClient(cluster);
    const reader = new TestClient(cluster);
    connect(writer, leader);
    connect(reader, follower);
    roundTrip(writer, (d) => writer.op(leader, { op: 'create', path: '/c', data: 'old', mode: 'persistent' }, d));
    cluster.run({ untilUs: cluster.nowUs + 10_000 });
    // The follower misses the next write for 15 ms (its links from the others are
    // clogged), less than an election timeout: it still follows the leader.
    for (const other of cluster.serverIds) if (other !== follower) cluster.clog(other, follower, cluster.nowUs + 15_000);
    roundTrip(writer, (d) => writer.op(leader, { op: 'setData', path: '/c', data: 'new', version: -1 }, d));
    const read = (mode: 'local' | 'sync' | 'quorum') => (ok(roundTrip(reader, (d) => reader.op(follower, { op: 'getData', path: '/c' }, d, mode))) as { data: string }).data;
    expect(read('local')).toBe('old'); // stale: served from the follower's tree as it is
    expect(read('sync')).toBe('new'); // waits for the leader's read index
    expect(read('quorum')).toBe('new'); // ordered through a slot
    expect(invariants.violations).toEqual([]);
  });

  it('a leader cut off from every follower does not answer a sync: its read index needs a quorum to confirm it still leads', () => {
    // Raft §6.4 / etcd's ReadIndex: before serving a read index the leader hears from a
    // quorum in a heartbeat round started after the request. Cut off, it hears from none;
    // until it steps down, a newer leader may have committed writes it has not seen.
    const { cluster, invariants } = started(3, 10);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const reader = new TestClient(cluster);
    connect(reader, leader);
    roundTrip(reader, (d) => reader.op(leader, { op: 'create', path: '/c', data: 'old', mode: 'persistent' }, d));
    cluster.partition([[leader], cluster.serverIds.filter((id) => id !== leader)]);
    let answer: Outcome | undefined;
    reader.op(leader, { op: 'getData', path: '/c' }, (outcome) => (answer = outcome), 'sync');
    // Less than an election timeout: the leader still believes it leads.
    cluster.run({ untilUs: cluster.nowUs + 15_000 });
    expect(cluster.inspect(leader).role).toBe('LEADER');
    expect(answer).toBeUndefined();
    expect(invariants.violations).toEqual([]);
  });

  it('delivers one-shot watches, and expires silent sessions (ephemerals go, the client is told)', () => {
    const { cluster, invariants } = started(3, 12);
    runUntil(cluster, () => stableLeader(cluster) !== null, 300_000);
    const leader = stableLeader(cluster)!;
    const follower = (leader + 1) % 3;
    const watcher = new TestClient(cluster);
    const shortLived = new TestClient(cluster);
    connect(watcher, follower);
    let connected: Outcome | undefined;
    shortLived.connect(follower, (o) => (connected = o), 60_000);
    runUntil(cluster, () => connected !== undefined, 100_000);
    roundTrip(shortLived, (d) => shortLived.op(follower, { op: 'create', path: '/e', data: '', mode: 'ephemeral' }, d));
    expect(ok(roundTrip(watcher, (d) => watcher.op(follower, { op: 'exists', path: '/e', watch: true }, d)))).toMatchObject({ ok: true });
    // shortLived never pings: the leader expires it after 60 ms.
    cluster.run({ untilUs: cluster.nowUs + 150_000 });
    expect(shortLived.notifications).toContainEqual({ kind: 'expired', sessionId: shortLived.sessionId });
    expect(watcher.notifications.some((n: ClientNotification) => n.kind === 'watch' && n.path === '/e' && n.type === 'NodeDeleted')).toBe(true);
    expect(ok(roundTrip(watcher, (d) => watcher.op(leader, { op: 'exists', path: '/e' }, d, 'quorum')))).toEqual({ ok: true, stat: null });
    expect(resultOf(roundTrip(shortLived, (d) => shortLived.op(follower, { op: 'getData', path: '/' }, d)))).toBe('refused:SESSIONEXPIRED');
    expect(invariants.violations).toEqual([]);
  });
});

describe('Multi-Paxos: determinism', () => {
  it('the same seed gives the same trace hash; different seeds differ', () => {
    const run = (seed: number) => {
      const cluster = paxosCluster({ servers: 3, seed, keepTrace: false, network: { latency: { kind: 'uniform', minUs: 300, maxUs: 3_000 }, lossRate: 0.05, dupRate: 0.05 } });
      const faults = fc.sample(fc.array(faultArb(150_000, 2), { maxLength: 8 }), { numRuns: 1, seed })[0];
      scheduleFaults(cluster, faults);
      cluster.at(160_000, () => healAll(cluster));
      new Workload(cluster, cluster.rngs.stream('workload'), { stopAtUs: 200_000 }).start();
      cluster.start();
      cluster.run({ untilUs: 250_000 });
      return cluster.trace.hash();
    };
    const hashes = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      expect(run(seed)).toBe(run(seed));
      hashes.add(run(seed));
    }
    expect(hashes.size).toBe(10);
  }, 30_000);

  it('rejects unknown bug names and bad timings with a clear message', () => {
    expect(() => paxosConfig({ bugs: ['noSuchBug' as never] })).toThrow(/unknown Paxos bug "noSuchBug"/);
    expect(() => paxosConfig({ heartbeatIntervalUs: 0 })).toThrow(/heartbeatIntervalUs must be positive/);
  });
});
