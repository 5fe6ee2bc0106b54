/**
 * The ZAB stories of the issue, each on 3, 5 and 7 servers: election of the best
 * server, leader crash, an old leader's uncommitted proposal, an isolated leader, no
 * quorum, and a lagging follower brought back by DIFF or SNAP. Invariants run online in
 * every test (a violation halts the run and fails it).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { zabConfig, makeZxid, TXN_LOG, type LogEntry } from '../../sim/zab/index.js';
import type { Txn } from '../../sim/store/types.js';
import {
  allServing,
  connectClient,
  establishedLeader,
  eventsOf,
  hasPath,
  restartServer,
  runFor,
  runUntil,
  writeAll,
  zabRig,
  type Rig,
} from './harness.js';
import { settle } from './chaos.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/scenario/run.js';
import { zabAdapter } from '../../sim/scenario/protocols.js';
import { ROOT } from '../cli/helpers.js';

const SIZES = [3, 5, 7] as const;

function expectHealthy(rig: Rig): void {
  expect(rig.monitor!.violations).toEqual([]);
  expect(rig.cluster.haltReason).toBeNull();
}

function finish(rig: Rig): void {
  expect(settle(rig.cluster, 3_000_000)).toBe(true);
  expect(rig.monitor!.finalCheck()).toEqual([]);
  expectHealthy(rig);
  const digests = new Set(rig.cluster.serverIds.filter((id) => rig.cluster.isUp(id)).map((id) => rig.cluster.inspect(id).treeDigest));
  expect(digests.size).toBe(1);
}

function startElected(n: number, seed: number, config = zabConfig()): Rig & { leader: number } {
  const rig = zabRig({ servers: n, seed, config });
  rig.cluster.start();
  expect(runUntil(rig.cluster, () => establishedLeader(rig.cluster) !== null && allServing(rig.cluster), 2_000_000)).toBe(true);
  return { ...rig, leader: establishedLeader(rig.cluster)! };
}

function paths(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `/${prefix}${i}`);
}

describe.each(SIZES)('%i servers', (n) => {
  it('elects the server with the best (currentEpoch, last zxid, id) at a cold start', () => {
    // A common history of three epochs; each server holds a prefix of it and may have
    // moved on to a later epoch without txns. FLE must pick the best, epoch first.
    const history: LogEntry[] = [];
    for (let epoch = 1; epoch <= 3; epoch++) {
      for (let counter = 1; counter <= 4; counter++) {
        const i = history.length;
        const txn: Txn = { type: 'create', path: `/h${i}`, data: '', ephemeralOwner: 0, parentCVersion: i + 1 };
        history.push({ zxid: makeZxid(epoch, counter), txn });
      }
    }
    const server = fc.record({ prefix: fc.integer({ min: 0, max: history.length }), extraEpochs: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(server, { minLength: n, maxLength: n }), fc.integer({ min: 1, max: 1_000_000 }), (servers, seed) => {
        const rig = zabRig({ servers: n, seed });
        const states = servers.map((s, id) => {
          const lastZxid = s.prefix === 0 ? 0 : history[s.prefix - 1].zxid;
          const epoch = Math.floor(lastZxid / 2 ** 32) + s.extraEpochs;
          const storage = rig.cluster.storage(id);
          storage.putDurable('acceptedEpoch', epoch);
          storage.putDurable('currentEpoch', epoch);
          for (let i = 0; i < s.prefix; i++) storage.append(TXN_LOG, history[i]);
          storage.sync();
          return { id, epoch, lastZxid };
        });
        // Declare the preloaded history as proposed before the run.
        for (const entry of history) {
          const epoch = Math.floor(entry.zxid / 2 ** 32);
          rig.cluster.trace.add(0, -1, 'propose', { index: entry.zxid, label: `${epoch}:${entry.zxid % 2 ** 32}`, origin: `zab:e${epoch}`, originSeq: entry.zxid % 2 ** 32, txn: entry.txn });
        }
        const best = states.reduce((a, b) => (b.epoch > a.epoch || (b.epoch === a.epoch && (b.lastZxid > a.lastZxid || (b.lastZxid === a.lastZxid && b.id > a.id))) ? b : a));
        rig.cluster.start();
        expect(runUntil(rig.cluster, () => establishedLeader(rig.cluster) !== null && allServing(rig.cluster), 2_000_000)).toBe(true);
        expect(establishedLeader(rig.cluster)).toBe(best.id);
        // The first election round decides it: every vote converged on the best server.
        const election = eventsOf(rig.cluster, 'election')[0];
        expect(election.node).toBe(best.id);
        expect(election.epoch).toBe(Math.max(...states.map((s) => s.epoch)) + 1);
        finish(rig);
      }),
      { numRuns: 15, seed: 42 + n },
    );
  });

  it('votes with currentEpoch, not acceptedEpoch: a server that accepted an epoch it never reached does not win by it', () => {
    // Server 0 accepted epoch 5 in an election that failed (currentEpoch still 1) and has
    // the shortest log; FLE compares (currentEpoch, zxid, id), so the longest log wins.
    const rig = zabRig({ servers: n, seed: 7 + n });
    const history: LogEntry[] = Array.from({ length: 4 }, (_, i) => ({ zxid: makeZxid(1, i + 1), txn: { type: 'create', path: `/e${i}`, data: '', ephemeralOwner: 0, parentCVersion: i + 1 } as Txn }));
    const best = 1;
    for (const id of rig.cluster.serverIds) {
      const storage = rig.cluster.storage(id);
      storage.putDurable('acceptedEpoch', id === 0 ? 5 : 1);
      storage.putDurable('currentEpoch', 1);
      const length = id === 0 ? 1 : id === best ? 4 : 2;
      for (let i = 0; i < length; i++) storage.append(TXN_LOG, history[i]);
      storage.sync();
    }
    for (const entry of history) rig.cluster.trace.add(0, -1, 'propose', { index: entry.zxid, label: `1:${entry.zxid % 2 ** 32}`, origin: 'zab:e1', originSeq: entry.zxid % 2 ** 32, txn: entry.txn });
    rig.cluster.start();
    expect(runUntil(rig.cluster, () => establishedLeader(rig.cluster) !== null, 2_000_000)).toBe(true);
    expect(establishedLeader(rig.cluster)).toBe(best);
    // The first round decides it: nobody else ever took the lead.
    expect(new Set(eventsOf(rig.cluster, 'state').filter((e) => e.role === 'LEADING').map((e) => e.node))).toEqual(new Set([best]));
    // Server 0 promised epoch 5: it never follows a leader of an older epoch. (When the
    // quorum settled on a lower epoch it stays out, as in ZooKeeper, until a re-election.)
    runFor(rig.cluster, 200_000);
    const joinedOlder = eventsOf(rig.cluster, 'state', 0).filter((e) => e.zabState === 'BROADCAST' && (e.currentEpoch as number) < 5);
    expect(joinedOlder).toEqual([]);
    expect(rig.monitor!.violations).toEqual([]);
  });

  it('keeps every committed txn when the leader crashes during broadcast', () => {
    const rig = startElected(n, 100 + n);
    const { cluster } = rig;
    const follower = (rig.leader + 1) % n;
    const client = connectClient(cluster, follower);
    const before = writeAll(client, follower, paths('a', 20));
    expect(before.size).toBe(20);
    // Crash the leader while writes are in flight.
    const acked = new Set<string>();
    const inFlight = paths('b', 30);
    inFlight.forEach((path, i) =>
      cluster.at(cluster.nowUs + i * 300, () =>
        client.op(follower, { op: 'create', path, data: 'w', mode: 'persistent' }, (o) => {
          if (o.kind === 'reply' && o.reply.kind === 'result' && o.reply.result.ok) acked.add(path);
        }),
      ),
    );
    cluster.at(cluster.nowUs + 7_000, () => cluster.crash(rig.leader));
    runFor(cluster, 20_000);
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && establishedLeader(cluster) !== rig.leader, 3_000_000)).toBe(true);
    const newLeader = establishedLeader(cluster)!;
    runFor(cluster, 500_000);
    for (const path of [...before, ...acked]) expect(hasPath(cluster, newLeader, path), path).toBe(true);
    expect(acked.size).toBeGreaterThan(0);
    restartServer(cluster, rig.leader);
    expect(runUntil(cluster, () => allServing(cluster), 3_000_000)).toBe(true);
    finish(rig);
  });

  for (const newWrites of [false, true]) {
    it(`truncates an old leader's uncommitted proposal when it comes back (${newWrites ? 'SNAP: the new epoch wrote' : 'TRUNC: nothing new'})`, () => {
      const rig = startElected(n, 200 + n + (newWrites ? 1 : 0));
      const { cluster } = rig;
      const old = rig.leader;
      const client = connectClient(cluster, old);
      expect(writeAll(client, old, paths('c', 5)).size).toBe(5);
      const others = cluster.serverIds.filter((id) => id !== old);
      cluster.partition([[old], others]);
      // The isolated leader still believes it leads: it proposes and logs, alone.
      client.op(old, { op: 'create', path: '/orphan', data: 'x', mode: 'persistent' });
      runFor(cluster, 5_000);
      const log = cluster.storage(old).log<LogEntry>(TXN_LOG);
      expect(log[log.length - 1].txn).toMatchObject({ type: 'create', path: '/orphan' });
      cluster.crash(old);
      cluster.heal();
      expect(runUntil(cluster, () => establishedLeader(cluster) !== null, 3_000_000)).toBe(true);
      const leader = establishedLeader(cluster)!;
      if (newWrites) {
        const c2 = connectClient(cluster, leader);
        expect(writeAll(c2, leader, paths('d', 3)).size).toBe(3);
      }
      const from = cluster.trace.count;
      restartServer(cluster, old);
      expect(runUntil(cluster, () => allServing(cluster), 3_000_000)).toBe(true);
      const modes = eventsOf(cluster, 'sync-mode', undefined, from).filter((e) => e.learner === old);
      expect(modes.at(-1)?.mode).toBe(newWrites ? 'SNAP' : 'TRUNC');
      if (!newWrites) expect(eventsOf(cluster, 'truncate', old, from).length).toBe(1);
      for (const id of cluster.serverIds) expect(hasPath(cluster, id, '/orphan')).toBe(false);
      finish(rig);
    });
  }

  it('an isolated leader steps down and the majority elects a new one', () => {
    const config = zabConfig();
    const rig = startElected(n, 300 + n, config);
    const { cluster } = rig;
    const old = rig.leader;
    const oldEpoch = cluster.inspect(old).currentEpoch as number;
    const start = cluster.nowUs;
    cluster.partition([[old], cluster.serverIds.filter((id) => id !== old)]);
    expect(runUntil(cluster, () => cluster.inspect(old).role === 'LOOKING', 1_000_000)).toBe(true);
    // Within syncLimit ticks (plus one tick of slack) the leader notices it lost its quorum.
    expect(cluster.nowUs - start).toBeLessThanOrEqual((config.syncLimit + 2) * config.tickTimeUs);
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null, 2_000_000)).toBe(true);
    const leader = establishedLeader(cluster)!;
    expect(leader).not.toBe(old);
    expect(cluster.inspect(leader).currentEpoch).toBeGreaterThan(oldEpoch);
    const client = connectClient(cluster, leader);
    expect(writeAll(client, leader, paths('e', 5)).size).toBe(5);
    cluster.heal();
    expect(runUntil(cluster, () => allServing(cluster), 3_000_000)).toBe(true);
    finish(rig);
  });

  it('commits nothing without a quorum, and recovers when it returns', () => {
    const rig = startElected(n, 400 + n);
    const { cluster } = rig;
    const client = connectClient(cluster, rig.leader);
    expect(writeAll(client, rig.leader, paths('f', 3)).size).toBe(3);
    const committedBefore = rig.monitor!.committed;
    // Every server alone: no group holds a quorum.
    cluster.partition(cluster.serverIds.map((id) => [id]));
    const from = cluster.trace.count;
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      cluster.at(cluster.nowUs + i * 50_000, () =>
        client.op(rig.leader, { op: 'create', path: `/g${i}`, data: 'x', mode: 'persistent' }, (o) => {
          outcomes.push(o.kind === 'timeout' ? 'timeout' : o.reply.kind === 'refused' ? o.reply.code : 'ok');
        }),
      );
    }
    runFor(cluster, 1_500_000);
    expect(outcomes.filter((o) => o === 'ok')).toEqual([]);
    expect(rig.monitor!.committed).toBe(committedBefore);
    expect(eventsOf(cluster, 'election', undefined, from)).toEqual([]);
    expect(cluster.serverIds.every((id) => cluster.inspect(id).role === 'LOOKING')).toBe(true);
    expectHealthy(rig);
    cluster.heal();
    // FastLeaderElection backs off: after 1.5 s alone a server's notification timeout has
    // doubled from 200 ms to 3.2 s, and a peer that already decided is told only then.
    expect(runUntil(cluster, () => establishedLeader(cluster) !== null && allServing(cluster), 5_000_000)).toBe(true);
    const c2 = connectClient(cluster, establishedLeader(cluster)!);
    expect(writeAll(c2, establishedLeader(cluster)!, paths('h', 3)).size).toBe(3);
    finish(rig);
  });

  for (const [label, behind, expected] of [['DIFF', 30, 'DIFF'], ['SNAP', 80, 'SNAP']] as const) {
    it(`a lagging follower catches up by ${label}`, () => {
      const rig = startElected(n, 500 + n, zabConfig({ committedLogSize: 50 }));
      const { cluster } = rig;
      const lagging = (rig.leader + 1) % n;
      const client = connectClient(cluster, rig.leader);
      expect(writeAll(client, rig.leader, paths('i', 10)).size).toBe(10);
      cluster.partition([[lagging], cluster.serverIds.filter((id) => id !== lagging)]);
      expect(runUntil(cluster, () => cluster.inspect(lagging).role === 'LOOKING', 1_000_000)).toBe(true);
      expect(writeAll(client, rig.leader, paths('j', behind), 5_000_000, 8).size).toBe(behind);
      const from = cluster.trace.count;
      cluster.heal();
      expect(runUntil(cluster, () => allServing(cluster) && cluster.inspect(lagging).lastProcessedZxid === cluster.inspect(rig.leader).lastProcessedZxid, 3_000_000)).toBe(true);
      const modes = eventsOf(cluster, 'sync-mode', rig.leader, from).filter((e) => e.learner === lagging);
      expect(modes.at(-1)?.mode).toBe(expected);
      if (expected === 'DIFF') expect(modes.at(-1)?.txns).toBe(behind);
      else expect(eventsOf(cluster, 'snap', lagging, from).length).toBe(1);
      for (const path of paths('j', behind)) expect(hasPath(cluster, lagging, path)).toBe(true);
      finish(rig);
    });
  }
});

describe('regressions found by random search', () => {
  // Each story must still happen (its marker note appears) and hold every expectation.
  const stories: [file: string, marker: RegExp][] = [
    ['zab-flush-before-vote.json', /shuts down its log writer: flushes and fsyncs [1-9]\d* logged txn/],
    ['zab-ack-withdrawn-on-trunc.json', /withdraws 4's ACK of 1 outstanding proposal/],
    ['zab-trunc-below-leader-snapshot.json', /is below its snapshot at .*: starts from its older snapshot/],
    ['zab-stepped-down-leader-replays-its-proposal.json', /not enough followers synced .*: steps down/],
  ];
  for (const [name, marker] of stories) {
    it(`${name}: the story happens and every expectation holds`, () => {
      const file = join(ROOT, 'test', 'fixtures', 'regressions', name);
      const scenario = parseScenario(readFileSync(file, 'utf8'), file);
      const result = runScenario(scenario, zabAdapter, { keepTrace: true });
      expect(result.trace!.events.some((e) => e.kind === 'note' && marker.test(String(e.text)))).toBe(true);
      expect(result.invariants.violations).toEqual([]);
      expect(result.ok).toBe(true);
    });
  }

  const runRegression = (name: string) => {
    const file = join(ROOT, 'test', 'fixtures', 'regressions', name);
    return runScenario(parseScenario(readFileSync(file, 'utf8'), file), zabAdapter, { keepTrace: true });
  };

  it('a paused leader established for an older epoch after a newer epoch committed breaks no invariant', () => {
    const result = runRegression('zab-paused-leader-older-epoch.json');
    // The story happens: a leader is established for an epoch older than one that already committed a txn.
    const events = result.trace!.events;
    let newestCommittedEpoch = 0;
    const late = events.findIndex((e) => {
      if (e.kind === 'commit' && e.replay !== true && !String(e.label).endsWith(':0')) newestCommittedEpoch = Math.max(newestCommittedEpoch, Number(String(e.label).split(':')[0]));
      return e.kind === 'election' && (e.epoch as number) < newestCommittedEpoch;
    });
    expect(late).toBeGreaterThan(0);
    expect(result.invariants.violations).toEqual([]);
    expect(result.ok).toBe(true);
  });
  it('a deposed leader that TRUNCs a learner below txns a newer epoch committed, then forwards them again, breaks no invariant', () => {
    const result = runRegression('zab-deposed-leader-truncs-below-newer-epoch.json');
    // The story happens: after a newer epoch is established, the older epoch's leader sends a TRUNC.
    const events = result.trace!.events;
    let newestEpoch = 0;
    const leadingEpoch = new Map<number, number>();
    const deposedTrunc = events.some((e) => {
      if (e.kind === 'election') newestEpoch = Math.max(newestEpoch, e.epoch as number);
      if (e.kind === 'state' && e.role === 'LEADING') leadingEpoch.set(e.node, e.currentEpoch as number);
      return e.kind === 'sync-mode' && e.mode === 'TRUNC' && (leadingEpoch.get(e.node) ?? newestEpoch) < newestEpoch;
    });
    expect(deposedTrunc).toBe(true);
    expect(result.invariants.violations).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
