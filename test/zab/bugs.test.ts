/**
 * Every invariant is shown to fire: each test switches on one protocol bug (a single
 * wrong decision, config.bugs) in a scenario that exposes it, and asserts that the
 * checker names the invariant. Runs keep going after a violation (halt: false) so that
 * one scenario can show everything a bug breaks; `first` is the invariant reported first.
 */
import { describe, expect, it } from 'vitest';
import { makeZxid, zabConfig, TXN_LOG, type LogEntry, type ZabMessage } from '../../sim/zab/index.js';
import type { ZabInvariant } from '../../sim/check/zab/index.js';
import type { Cluster } from '../../sim/net/cluster.js';
import {
  allServing,
  connectClient,
  establishedLeader,
  restartServer,
  runFor,
  resultOf,
  roundTrip,
  runUntil,
  servingZab,
  writeAll,
  zabRig,
  type Rig,
} from './harness.js';
import type { ZabNode } from '../../sim/zab/node.js';

function buggy(bugs: string[], options: { servers?: number; seed?: number; syncUs?: number } = {}): Rig & { leader: number } {
  const rig = zabRig({
    servers: options.servers ?? 3,
    seed: options.seed ?? 7,
    config: zabConfig({ bugs }),
    storage: options.syncUs === undefined ? undefined : { syncLatency: { kind: 'constant', us: options.syncUs } },
    invariants: { halt: false },
  });
  rig.cluster.start();
  expect(runUntil(rig.cluster, () => establishedLeader(rig.cluster) !== null && allServing(rig.cluster), 2_000_000)).toBe(true);
  return { ...rig, leader: establishedLeader(rig.cluster)! };
}

function fired(rig: Rig): ZabInvariant[] {
  return [...new Set(rig.monitor!.violations.map((v) => v.invariant))];
}

function paths(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `/${prefix}${i}`);
}

/** Runs until some violation is reported (or the window passes). */
function untilViolation(rig: Rig, withinUs: number): void {
  runUntil(rig.cluster, () => rig.monitor!.violations.length > 0, withinUs);
}

describe('a correct run reports nothing', () => {
  it('with the same scenarios and no bug', () => {
    const rig = buggy([]);
    const client = connectClient(rig.cluster, rig.leader);
    expect(writeAll(client, rig.leader, paths('a', 20)).size).toBe(20);
    rig.cluster.crash(rig.leader);
    runFor(rig.cluster, 500_000);
    restartServer(rig.cluster, rig.leader);
    expect(runUntil(rig.cluster, () => allServing(rig.cluster), 2_000_000)).toBe(true);
    rig.monitor!.finalCheck();
    expect(fired(rig)).toEqual([]);
  });
});

describe('epochFromLastZxid (ZOOKEEPER-335): an epoch is reused', () => {
  it('Leadership2: two servers established in the same epoch', () => {
    const rig = buggy(['epochFromLastZxid']);
    // The leader of epoch 1 wrote nothing: its epoch leaves no trace in any zxid.
    rig.cluster.crash(rig.leader);
    untilViolation(rig, 2_000_000);
    expect(rig.monitor!.violations[0].invariant).toBe('Leadership2');
  });

  it('Leadership1: a paused leader and a new one lead the same epoch', () => {
    const rig = buggy(['epochFromLastZxid']);
    rig.cluster.pause(rig.leader);
    untilViolation(rig, 2_000_000);
    expect(rig.monitor!.violations[0].invariant).toBe('Leadership1');
  });
});

/** An isolated leader commits a write alone, then the majority moves on without it. */
function loneCommit(bugs: string[]): Rig {
  const rig = buggy(bugs, { seed: 11 });
  const { cluster } = rig;
  const old = rig.leader;
  const client = connectClient(cluster, old);
  expect(writeAll(client, old, paths('a', 3)).size).toBe(3);
  cluster.partition([[old], cluster.serverIds.filter((id) => id !== old)]);
  expect(writeAll(client, old, ['/lonely']).size).toBe(bugs.includes('commitWithoutQuorum') ? 1 : 0);
  expect(runUntil(cluster, () => establishedLeader(cluster) !== null && establishedLeader(cluster) !== old, 2_000_000)).toBe(true);
  const leader = establishedLeader(cluster)!;
  const c2 = connectClient(cluster, leader);
  writeAll(c2, leader, paths('b', 3));
  cluster.heal();
  runUntil(cluster, () => allServing(cluster), 2_000_000);
  runFor(cluster, 200_000);
  rig.monitor!.finalCheck();
  return rig;
}

describe('commitWithoutQuorum: the leader commits on its own ACK', () => {
  it('LeaderLogCompleteness, PrimaryIntegrity, CommittedLogMonotonicity, PrefixConsistency, Agreement, CommittedLogDurability', () => {
    const rig = loneCommit(['commitWithoutQuorum']);
    expect(rig.monitor!.violations[0].invariant).toBe('LeaderLogCompleteness');
    expect(fired(rig)).toEqual(expect.arrayContaining<ZabInvariant>([
      'LeaderLogCompleteness',
      'PrimaryIntegrity',
      'CommittedLogMonotonicity',
      'PrefixConsistency',
      'Agreement',
      'CommittedLogDurability',
    ]));
  });

  it('is not reported without the bug', () => {
    expect(fired(loneCommit([]))).toEqual([]);
  });
});

/**
 * A follower ACKs before its log write is durable; the leader commits with that ACK and
 * crashes; the follower crashes before its write reaches the disk. The txn is committed
 * but only the dead leader's disk holds it.
 */
function earlyAck(bugs: string[]): Rig {
  const rig = buggy(bugs, { seed: 5, syncUs: 3_000 });
  const cluster = rig.cluster as Cluster<ZabMessage>;
  const leader = rig.leader;
  const [f1, f2] = cluster.serverIds.filter((id) => id !== leader);
  const client = connectClient(cluster, leader);
  expect(writeAll(client, leader, paths('a', 3)).size).toBe(3);
  cluster.partition([[f2], [leader, f1]]);
  runFor(cluster, 1_000);
  // When the leader commits /w, both it and f1 crash at once.
  let armed = true;
  cluster.trace.listen((event) => {
    if (armed && event.kind === 'commit' && event.node === leader && (event.txn as { path?: string }).path === '/w') {
      armed = false;
      cluster.at(cluster.nowUs, () => {
        cluster.crash(f1);
        cluster.crash(leader);
      });
    }
  });
  client.op(leader, { op: 'create', path: '/w', data: 'x', mode: 'persistent' });
  runFor(cluster, 50_000);
  cluster.heal();
  restartServer(cluster, f1);
  runUntil(cluster, () => establishedLeader(cluster) !== null, 2_000_000);
  const c2 = connectClient(cluster, establishedLeader(cluster)!);
  writeAll(c2, establishedLeader(cluster)!, paths('b', 2));
  return rig;
}

describe('ackBeforeLog: a follower ACKs before its write is durable', () => {
  it('LeaderLogCompleteness (and PrimaryIntegrity, CommittedLogMonotonicity) when a committed txn dies with the leader', () => {
    const rig = earlyAck(['ackBeforeLog']);
    expect(rig.monitor!.violations[0].invariant).toBe('LeaderLogCompleteness');
    expect(fired(rig)).toEqual(expect.arrayContaining<ZabInvariant>(['LeaderLogCompleteness', 'PrimaryIntegrity', 'CommittedLogMonotonicity']));
  });

  it('is not reported without the bug (the leader cannot commit with a lost ACK)', () => {
    expect(fired(earlyAck([]))).toEqual([]);
  });
});

/** An old leader comes back with an uncommitted proposal that must be truncated. */
function orphan(bugs: string[]): Rig {
  const rig = buggy(bugs, { seed: 13 });
  const { cluster } = rig;
  const old = rig.leader;
  const client = connectClient(cluster, old);
  expect(writeAll(client, old, paths('a', 3)).size).toBe(3);
  cluster.partition([[old], cluster.serverIds.filter((id) => id !== old)]);
  client.op(old, { op: 'create', path: '/orphan', data: 'x', mode: 'persistent' });
  runFor(cluster, 5_000);
  expect(cluster.storage(old).log<LogEntry>(TXN_LOG).at(-1)?.txn).toMatchObject({ path: '/orphan' });
  cluster.crash(old);
  cluster.heal();
  runUntil(cluster, () => establishedLeader(cluster) !== null, 2_000_000);
  restartServer(cluster, old);
  runUntil(cluster, () => allServing(cluster), 2_000_000);
  const leader = establishedLeader(cluster)!;
  const c2 = connectClient(cluster, leader);
  writeAll(c2, leader, paths('b', 3));
  runFor(cluster, 100_000);
  rig.monitor!.finalCheck();
  return rig;
}

describe('skipTruncate: a learner ignores TRUNC', () => {
  it('ProcessConsistency first, then HistoryConsistency, PrefixConsistency, Agreement', () => {
    const rig = orphan(['skipTruncate']);
    expect(rig.monitor!.violations[0].invariant).toBe('ProcessConsistency');
    expect(fired(rig)).toEqual(expect.arrayContaining<ZabInvariant>(['ProcessConsistency', 'HistoryConsistency', 'PrefixConsistency', 'Agreement']));
  });

  it('is not reported without the bug', () => {
    expect(fired(orphan([]))).toEqual([]);
  });
});

describe('applyWritesLocally: a follower executes writes itself', () => {
  it('Integrity', () => {
    const rig = buggy(['applyWritesLocally']);
    const follower = (rig.leader + 1) % 3;
    const client = connectClient(rig.cluster, follower);
    writeAll(client, follower, ['/local']);
    expect(rig.monitor!.violations[0].invariant).toBe('Integrity');
  });
});

/** A follower falls behind within the committed-log window and returns by DIFF. */
function lagging(bugs: string[], crossEpoch: boolean, away = crossEpoch ? 1 : 4, inNewEpoch = 1): Rig {
  // Five servers when the leader also fails: the other three still make a quorum.
  const n = crossEpoch ? 5 : 3;
  const rig = buggy(bugs, { seed: 17, servers: n });
  const { cluster } = rig;
  let leader = rig.leader;
  const lag = (leader + 1) % n;
  const client = connectClient(cluster, leader);
  expect(writeAll(client, leader, paths('a', 3)).size).toBe(3);
  cluster.partition([[lag], cluster.serverIds.filter((id) => id !== lag)]);
  runUntil(cluster, () => cluster.inspect(lag).role === 'LOOKING', 1_000_000);
  // Across epochs, one txn in each: the learner's gap check (ZOOKEEPER-4925) only looks inside an epoch.
  if (away > 0) writeAll(client, leader, paths('b', away));
  if (crossEpoch) {
    // A new epoch while the follower is away: its DIFF spans two epochs.
    cluster.crash(leader);
    runUntil(cluster, () => establishedLeader(cluster) !== null, 2_000_000);
    restartServer(cluster, leader);
    leader = establishedLeader(cluster)!;
    // The same session (no createSession txn): exactly these txns in the new epoch.
    expect(resultOf(roundTrip(client, (done) => client.connect(leader, done)))).toMatchObject({ kind: 'connected' });
    expect(writeAll(client, leader, paths('c', inNewEpoch)).size).toBe(inNewEpoch);
  }
  cluster.heal();
  runUntil(cluster, () => allServing(cluster), 2_000_000);
  const c3 = connectClient(cluster, leader);
  writeAll(c3, leader, paths('d', 2));
  runFor(cluster, 100_000);
  rig.monitor!.finalCheck();
  return rig;
}

describe('diffSkipsFirst: a DIFF leaves out the first missing txn', () => {
  it('ProcessConsistency first, then TotalOrder and LocalPrimaryOrder', () => {
    const rig = lagging(['diffSkipsFirst'], false);
    expect(rig.monitor!.violations[0].invariant).toBe('ProcessConsistency');
    expect(fired(rig)).toEqual(expect.arrayContaining<ZabInvariant>(['ProcessConsistency', 'TotalOrder', 'LocalPrimaryOrder']));
  });

  it('across an epoch: the first txn the follower delivers of the new epoch is its leader\'s second (LocalPrimaryOrder)', () => {
    // Nothing more in the old epoch while the follower is away, two txns in the new one: the
    // DIFF leaves out (e+1, 1), so the follower goes from epoch e's last txn to (e+1, 2).
    const rig = lagging(['diffSkipsFirst'], true, 0, 2);
    const local = rig.monitor!.violations.filter((v) => v.invariant === 'LocalPrimaryOrder');
    expect(local.map((v) => v.message)).toContainEqual(expect.stringMatching(/delivers txn #2 of epoch \d+'s leader without its earlier ones/));
    expect(fired(lagging([], true, 0, 2))).toEqual([]);
  });

  it('is not reported without the bug', () => {
    expect(fired(lagging([], false))).toEqual([]);
  });
});

describe('diffNewestFirst: a DIFF lists its txns newest first', () => {
  it('GlobalPrimaryOrder (with TotalOrder) when the DIFF spans two epochs', () => {
    const rig = lagging(['diffNewestFirst'], true);
    expect(fired(rig)).toEqual(expect.arrayContaining<ZabInvariant>(['GlobalPrimaryOrder', 'TotalOrder']));
  });

  it('is not reported without the bug', () => {
    expect(fired(lagging([], true))).toEqual([]);
  });
});

describe('applyOnPropose: a follower applies a proposal before its COMMIT', () => {
  it('CommitConsistency', () => {
    const rig = buggy(['applyOnPropose']);
    const client = connectClient(rig.cluster, rig.leader);
    writeAll(client, rig.leader, ['/early']);
    expect(rig.monitor!.violations[0].invariant).toBe('CommitConsistency');
  });
});

describe('every invariant is shown to fire', () => {
  it('the tests above cover all fifteen', () => {
    const covered = new Set<ZabInvariant>([
      'Leadership1', 'Leadership2', 'LeaderLogCompleteness', 'PrimaryIntegrity', 'CommittedLogMonotonicity', 'PrefixConsistency',
      'Agreement', 'CommittedLogDurability', 'ProcessConsistency', 'HistoryConsistency', 'Integrity', 'TotalOrder',
      'LocalPrimaryOrder', 'GlobalPrimaryOrder', 'CommitConsistency',
    ]);
    expect(covered.size).toBe(15);
  });
});

describe('the checker on hand-built traces', () => {
  it('two servers delivering different txns under one zxid break PrefixConsistency and Agreement', () => {
    const rig = zabRig({ servers: 3, seed: 1 });
    const trace = rig.cluster.trace;
    const zxid = makeZxid(1, 1);
    const txnA = { type: 'create', path: '/a', data: 'x', ephemeralOwner: 0, parentCVersion: 1 };
    const txnB = { type: 'create', path: '/b', data: 'y', ephemeralOwner: 0, parentCVersion: 1 };
    // Two leaders of epoch 1 proposed different txns as 1:1 (a Leadership bug); both are known proposals.
    trace.add(0, -1, 'propose', { index: zxid, label: '1:1', origin: 'zab:e1', originSeq: 1, txn: txnA });
    trace.add(0, -1, 'propose', { index: zxid, label: '1:1', origin: 'zab:e1', originSeq: 1, txn: txnB });
    trace.add(10, 0, 'commit', { index: zxid, label: '1:1', origin: 'zab:e1', originSeq: 1, txn: txnA });
    expect(rig.monitor!.violations).toEqual([]);
    trace.add(20, 1, 'commit', { index: zxid, label: '1:1', origin: 'zab:e1', originSeq: 1, txn: txnB });
    const fired = rig.monitor!.violations.map((v) => `${v.invariant}@${v.node}`);
    expect(fired).toContain('PrefixConsistency@1');
    expect(fired).toContain('Agreement@1');
  });

  it('a TRUNC that removes the newest committed txn breaks CommittedLogDurability, as one that removes an older one does', () => {
    for (const cutTo of [1, 0]) {
      const rig = zabRig({ servers: 3, seed: 1 });
      const trace = rig.cluster.trace;
      const txn = (i: number) => ({ type: 'create', path: `/n${i}`, data: '', ephemeralOwner: 0, parentCVersion: i });
      for (const counter of [1, 2]) {
        const fields = { index: makeZxid(1, counter), label: `1:${counter}`, origin: 'zab:e1', originSeq: counter, txn: txn(counter) };
        trace.add(0, -1, 'propose', fields);
        trace.add(10 + counter, 0, 'commit', { ...fields });
        trace.add(20 + counter, 1, 'commit', { ...fields });
      }
      expect(rig.monitor!.violations).toEqual([]);
      // Server 1 truncates its log to 1:1 (dropping the committed 1:2), or to 1:0 (dropping both).
      trace.add(30, 1, 'truncate', { zxid: makeZxid(1, cutTo), label: `1:${cutTo}`, dropped: 2 - cutTo });
      expect(rig.monitor!.violations.map((v) => `${v.invariant}@${v.node}`)).toContain('CommittedLogDurability@1');
    }
  });
});

describe('the end-of-run Agreement check', () => {
  it('reports two servers at the same zxid with different trees, which no delivery showed', () => {
    const rig = servingZab({ seed: 5 });
    const { cluster, leader, follower } = rig;
    const client = connectClient(cluster, leader);
    expect(writeAll(client, leader, ['/x']).size).toBe(1);
    runFor(cluster, 50_000);
    expect(rig.monitor!.finalCheck()).toEqual([]);
    // A silent divergence (as a corrupt snapshot would leave): the follower's /x changes
    // with no txn, at the zxid it already had.
    const tree = (cluster.behavior(follower) as unknown as ZabNode).tree;
    const zxid = tree.lastProcessedZxid;
    tree.apply({ type: 'setData', path: '/x', data: 'corrupt', version: 9 }, zxid);
    expect(cluster.inspect(follower).lastProcessedZxid).toBe(cluster.inspect(leader).lastProcessedZxid);
    const found = rig.monitor!.finalCheck();
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map((v) => v.invariant))).toEqual(new Set(['Agreement']));
    expect(found[0].message).toMatch(/at the end, servers \d and \d are both at zxid/);
  });
});
