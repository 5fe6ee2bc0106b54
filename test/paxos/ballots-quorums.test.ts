/**
 * Paxos safety rules that no invariant checker sees directly, pinned by behaviour:
 * - a restarted proposer never reuses a ballot (its highest round is durable before its
 *   first Prepare: PMS's "a proposer never reuses a proposal number");
 * - a duplicated datagram never counts twice toward a quorum (Promise, Accepted and the
 *   pre-vote's ProbeReply are counted per sender);
 * - the quorums the trace records (an election's promises, a chosen slot's voters) are
 *   majorities of distinct members, each of which really promised / voted.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../sim/core/node.js';
import type { TraceEvent } from '../../sim/core/trace.js';
import { quorumSize } from '../../sim/core/quorum.js';
import { attachPaxosInvariants } from '../../sim/check/paxos/index.js';
import { paxosConfig, type PaxosMessage } from '../../sim/paxos/index.js';
import type { Cluster } from '../../sim/net/cluster.js';
import { loadScenarioText } from '../../sim/index.js';
import { runScenario } from '../../sim/scenario/run.js';
import { paxosAdapter } from '../../sim/scenario/protocols.js';
import { NEVER_US, roleOf, runFor, runUntil, scriptedCluster, TestClient } from './harness.js';

type Rig = Cluster<PaxosMessage>;

/** A cluster where only node 0 ever campaigns (the others' election timeouts never fire). */
function onlyNodeZeroCampaigns(servers: number, preVote: boolean, seed: number): Rig {
  const timeoutsUs = Array.from({ length: servers }, (_, id) => (id === 0 ? 10_000 : NEVER_US));
  const cluster = scriptedCluster({ timeoutsUs, seed, config: paxosConfig({ preVote }), network: { latency: { kind: 'uniform', minUs: 500, maxUs: 1_500 } } });
  attachPaxosInvariants(cluster);
  return cluster;
}

function ballotOf(event: TraceEvent): number {
  return (event.msg as { ballot: number }).ballot;
}

describe('Paxos ballots: a restarted proposer never reuses one', () => {
  for (const preVote of [false, true]) {
    it(`every Prepare / Accept after a restart has a ballot above all before it (unsynced storage, pre-vote ${preVote ? 'on' : 'off'})`, () => {
      for (const seed of [1, 2, 3]) {
        const cluster = onlyNodeZeroCampaigns(3, preVote, seed);
        // Ballots node 0 sent in Prepare / Accept, per incarnation (a crash starts the next one).
        const byIncarnation: number[][] = [[]];
        let crashOn: 'Prepare' | 'Accept' | null = null;
        let crashes = 0;
        cluster.trace.listen((e) => {
          if (e.node !== 0) return;
          if (e.kind === 'crash') byIncarnation.push([]);
          if (e.kind !== 'send' || (e.type !== 'Prepare' && e.type !== 'Accept')) return;
          byIncarnation[byIncarnation.length - 1].push(ballotOf(e));
          if (e.type !== crashOn) return;
          // The very instant it sends: before its own acceptor persisted the promise or the vote,
          // and before any sync covered what it wrote. Only what it wrote durably survives.
          // (With pre-vote on, a proposer that forgot its round mostly learns it back from the
          // others' refusals before phase 1; with it off, nothing hides a forgotten round.)
          crashOn = null;
          crashes++;
          const atUs = cluster.nowUs;
          cluster.at(atUs, () => cluster.crash(0));
          cluster.at(atUs + 2_000, () => cluster.restart(0));
        }, { messages: true });
        cluster.start();
        for (let cycle = 0; cycle < 6; cycle++) {
          if (cycle % 2 === 0) {
            crashOn = 'Prepare'; // its next candidacy
          } else {
            expect(runUntil(cluster, () => cluster.isUp(0) && roleOf(cluster, 0) === 'LEADER', 1_000_000), `seed ${seed} cycle ${cycle}`).toBe(true);
            crashOn = 'Accept'; // the createSession of a client connecting now
            new TestClient(cluster).connect(0);
          }
          expect(runUntil(cluster, () => crashOn === null, 1_000_000), `seed ${seed} cycle ${cycle}: node 0 sent no ${crashOn}`).toBe(true);
          runFor(cluster, 5_000);
        }
        expect(runUntil(cluster, () => roleOf(cluster, 0) === 'LEADER', 1_000_000)).toBe(true);
        expect(crashes).toBe(6);
        expect(byIncarnation).toHaveLength(7);
        let highestBefore = 0;
        byIncarnation.forEach((ballots, incarnation) => {
          expect(ballots.length, `seed ${seed}: incarnation ${incarnation} sent Prepare / Accept`).toBeGreaterThan(0);
          expect(Math.min(...ballots), `seed ${seed}: incarnation ${incarnation} reused ballot ≤ ${highestBefore}`).toBeGreaterThan(highestBefore);
          highestBefore = Math.max(...ballots);
        });
      }
    });
  }
});

/** Node 0 and node 1 can talk; everyone else is cut off from node 0. Every datagram arrives twice. */
function onlyOneAcceptorReachable(cluster: Rig): void {
  const others = cluster.serverIds.filter((id) => id > 1);
  cluster.cut(others.flatMap((id) => [[0, id] as [number, number], [id, 0] as [number, number]]));
  cluster.setDupRate(1);
}

function duplicatesDelivered(cluster: Rig, type: string, from: NodeId, to: NodeId, sinceUs = 0): number {
  const perMessage = new Map<number, number>();
  const originalOf = new Map<number, number>();
  for (const e of cluster.trace.events) {
    if (e.timeUs < sinceUs) continue;
    if (e.kind === 'duplicate' && e.type === type) originalOf.set(e.msgId as number, e.dupOf as number);
    if (e.kind === 'deliver' && e.type === type && e.node === to && e.from === from) {
      const id = originalOf.get(e.msgId as number) ?? (e.msgId as number);
      perMessage.set(id, (perMessage.get(id) ?? 0) + 1);
    }
  }
  return [...perMessage.values()].filter((n) => n > 1).length;
}

describe('Paxos quorums: a duplicated datagram never counts twice', () => {
  it('duplicated Promises from the one reachable acceptor do not make a 5-server candidate leader', () => {
    for (const seed of [1, 2, 3]) {
      const cluster = onlyNodeZeroCampaigns(5, false, seed);
      onlyOneAcceptorReachable(cluster);
      cluster.start();
      runFor(cluster, 300_000);
      const events = cluster.trace.events;
      expect(events.some((e) => e.kind === 'state' && e.node === 0 && e.role === 'CANDIDATE'), `seed ${seed}`).toBe(true);
      expect(duplicatesDelivered(cluster, 'Promise', 1, 0), `seed ${seed}: duplicated Promises reached node 0`).toBeGreaterThan(0);
      expect(events.filter((e) => e.kind === 'election'), `seed ${seed}`).toEqual([]);
      expect(events.some((e) => e.kind === 'state' && e.role === 'LEADER'), `seed ${seed}`).toBe(false);
    }
  });

  it('duplicated pre-vote grants from the one reachable server do not start phase 1', () => {
    for (const seed of [1, 2, 3]) {
      const cluster = onlyNodeZeroCampaigns(5, true, seed);
      onlyOneAcceptorReachable(cluster);
      cluster.start();
      runFor(cluster, 300_000);
      const events = cluster.trace.events;
      expect(duplicatesDelivered(cluster, 'ProbeReply', 1, 0), `seed ${seed}: duplicated grants reached node 0`).toBeGreaterThan(0);
      expect(events.some((e) => e.kind === 'send' && e.type === 'Prepare'), `seed ${seed}`).toBe(false);
      expect(events.some((e) => e.kind === 'state' && e.role !== 'FOLLOWER'), `seed ${seed}`).toBe(false);
    }
  });

  it('duplicated Accepteds from the one reachable acceptor do not choose a 5-server leader’s write', () => {
    for (const seed of [1, 2, 3]) {
      const cluster = onlyNodeZeroCampaigns(5, true, seed);
      cluster.start();
      expect(runUntil(cluster, () => roleOf(cluster, 0) === 'LEADER', 500_000)).toBe(true);
      const client = new TestClient(cluster);
      let connected = false;
      client.connect(0, (o) => (connected = o.kind === 'reply' && o.reply.kind === 'connected'));
      expect(runUntil(cluster, () => connected, 100_000)).toBe(true);
      runFor(cluster, 10_000);
      // Now only node 1 answers node 0, twice each time; node 0 still leads for an election timeout.
      for (const id of [2, 3, 4]) cluster.crash(id);
      cluster.setDupRate(1);
      const sinceUs = cluster.nowUs;
      let chosenBefore = 0;
      for (const e of cluster.trace.events) if (e.kind === 'chosen') chosenBefore++;
      let answered = false;
      client.op(0, { op: 'create', path: '/x', data: 'v', mode: 'persistent' }, () => (answered = true));
      runFor(cluster, 100_000);
      const events = cluster.trace.events;
      const proposed = events.filter((e) => e.kind === 'propose' && e.timeUs >= sinceUs && e.node === 0);
      expect(proposed.length, `seed ${seed}: node 0 proposed the write`).toBeGreaterThan(0);
      expect(duplicatesDelivered(cluster, 'Accepted', 1, 0, sinceUs), `seed ${seed}: duplicated Accepteds reached node 0`).toBeGreaterThan(0);
      expect(events.filter((e) => e.kind === 'chosen').length, `seed ${seed}: something was chosen by two acceptors of five`).toBe(chosenBefore);
      expect(events.some((e) => e.kind === 'commit' && e.timeUs >= sinceUs && (e.txn as { type?: string } | undefined)?.type === 'create')).toBe(false);
      expect(answered, `seed ${seed}: the client was answered`).toBe(false);
    }
  });
});

/** A 5-server story under every kind of fault, with a quarter of the datagrams duplicated. */
const FAULTY_STORY = JSON.stringify({
  title: 'Every fault, duplicated datagrams',
  explanation: 'A random nemesis (crashes, pauses, partitions, clogs, loss) over a network that duplicates a quarter of the datagrams.',
  protocols: ['paxos'],
  cluster: { servers: 5 },
  network: { dupRate: 0.25 },
  workload: { clients: 4, ratePerSec: 50, keys: 3, readMode: 'quorum' },
  nemesis: { kinds: ['crash', 'pause', 'partition', 'clog', 'loss', 'leader-crash', 'leader-isolate'], intervalMs: 200, faultDurationMs: 120 },
  durationMs: 1500,
});

describe('Paxos quorums: what the trace records', () => {
  it('every election and every chosen slot names a majority of distinct members, each of which promised / voted', () => {
    const scenario = loadScenarioText(FAULTY_STORY, 'faulty.json');
    const servers = scenario.cluster.servers;
    const quorum = quorumSize(servers);
    let elections = 0;
    let chosen = 0;
    for (const seed of [1, 2, 3, 4]) {
      const result = runScenario(scenario, paxosAdapter, { seed, keepTrace: true });
      expect(result.invariants.violations, `seed ${seed}`).toEqual([]);
      // What each acceptor sent so far: promises by ballot, votes by (slot, ballot, value).
      const promised = new Set<string>();
      const voted = new Set<string>();
      for (const e of result.trace!.events) {
        if (e.kind === 'promise') promised.add(`${e.node}@${e.ballot}`);
        if (e.kind === 'accepted') voted.add(`${e.node}:${e.slot}@${e.ballot}=${e.value}`);
        if (e.kind === 'election') {
          elections++;
          const promises = e.promises as NodeId[];
          const where = `seed ${seed}: node ${e.node}'s election at ballot ${e.epoch}`;
          expect(new Set(promises).size, where).toBe(promises.length);
          expect(promises.length, where).toBeGreaterThanOrEqual(quorum);
          for (const acceptor of promises) {
            expect(Number.isInteger(acceptor) && acceptor >= 0 && acceptor < servers, where).toBe(true);
            expect(promised.has(`${acceptor}@${e.epoch}`), `${where}: node ${acceptor} never promised it`).toBe(true);
          }
        }
        if (e.kind === 'chosen' && e.via === 'quorum') {
          chosen++;
          const voters = e.voters as NodeId[];
          const where = `seed ${seed}: node ${e.node} learning slot ${e.slot} at ballot ${e.ballot}`;
          expect(new Set(voters).size, where).toBe(voters.length);
          expect(voters.length, where).toBeGreaterThanOrEqual(quorum);
          for (const acceptor of voters) {
            expect(Number.isInteger(acceptor) && acceptor >= 0 && acceptor < servers, where).toBe(true);
            expect(voted.has(`${acceptor}:${e.slot}@${e.ballot}=${e.value}`), `${where}: node ${acceptor} never voted ${e.value}`).toBe(true);
          }
        }
      }
    }
    // The story had something to check.
    expect(elections).toBeGreaterThan(8);
    expect(chosen).toBeGreaterThan(1_000);
  });
});

describe('Paxos quorums: a promise counts only for the ballot it answers', () => {
  it('promises to an earlier candidacy, delivered late, do not elect the current one', () => {
    for (const seed of [1, 2, 3]) {
      // A dry run finds when node 0's second candidacy starts (runs replay from the seed).
      const dry = onlyNodeZeroCampaigns(3, false, seed);
      dry.clog(2, 0, Number.MAX_SAFE_INTEGER); // node 2's answers never come
      dry.clog(1, 0, Number.MAX_SAFE_INTEGER);
      dry.start();
      const candidacies = () => dry.trace.events.filter((e) => e.kind === 'state' && e.node === 0 && e.role === 'CANDIDATE').length;
      expect(runUntil(dry, () => candidacies() === 2, 500_000), `seed ${seed}`).toBe(true);
      const secondUs = dry.nowUs;
      // The real run: node 1's promises to the first ballot are held until just after the
      // second candidacy starts, and its Prepare is held from just before, so those stale
      // promises reach node 0 while it runs the second ballot, 10 ms before the current one.
      const cluster = onlyNodeZeroCampaigns(3, false, seed);
      cluster.clog(2, 0, Number.MAX_SAFE_INTEGER);
      cluster.clog(1, 0, secondUs + 100);
      cluster.at(secondUs - 100, () => cluster.clog(0, 1, secondUs + 10_000));
      cluster.start();
      expect(runUntil(cluster, () => roleOf(cluster, 0) === 'LEADER', 500_000), `seed ${seed}`).toBe(true);
      const events = cluster.trace.events;
      const election = events.find((e) => e.kind === 'election')!;
      const ballot = election.epoch as number;
      const sent = new Map<number, number>(); // msgId → the Promise's ballot
      for (const e of events) if (e.kind === 'send' && e.type === 'Promise') sent.set(e.msgId as number, ballotOf(e));
      const delivered = events.filter((e) => e.kind === 'deliver' && e.type === 'Promise' && e.node === 0 && e.from === 1 && e.seq < election.seq);
      expect(delivered.some((e) => sent.get(e.msgId as number)! < ballot), `seed ${seed}: no stale promise arrived`).toBe(true);
      expect(election.promises, `seed ${seed}`).toEqual([0, 1]);
      expect(delivered.some((e) => sent.get(e.msgId as number) === ballot), `seed ${seed}: elected before node 1's promise of ballot ${ballot} arrived`).toBe(true);
    }
  });
});

describe('Paxos read index: only acks of the current ballot confirm it', () => {
  it('heartbeat acks of the leader’s previous ballot, delivered late, do not confirm a sync of its new one', () => {
    let stories = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const cluster = onlyNodeZeroCampaigns(3, false, seed);
      cluster.start();
      expect(runUntil(cluster, () => roleOf(cluster, 0) === 'LEADER', 500_000), `seed ${seed}`).toBe(true);
      const client = new TestClient(cluster);
      let connected = false;
      client.connect(0, (o) => (connected = o.kind === 'reply' && o.reply.kind === 'connected'));
      expect(runUntil(cluster, () => connected, 100_000)).toBe(true);
      runFor(cluster, 50_000);
      // Node 0 hears nobody for 60 ms: it steps down, campaigns again, and is elected by the
      // held promises; the held acks of its old heartbeats (higher sequence numbers than
      // its new ballot's) arrive with them.
      const firstElection = cluster.trace.events.find((e) => e.kind === 'election')!;
      for (const id of [1, 2]) cluster.clog(id, 0, cluster.nowUs + 60_000);
      let answeredUs = -1;
      let ballot = -1;
      cluster.trace.listen((e) => {
        if (e.kind !== 'election' || e.seq === firstElection.seq || ballot >= 0) return;
        ballot = e.epoch as number;
        cluster.at(cluster.nowUs, () => client.op(0, { op: 'getData', path: '/' }, () => (answeredUs = cluster.nowUs), 'sync'));
      });
      expect(runUntil(cluster, () => answeredUs >= 0, 500_000), `seed ${seed}`).toBe(true);
      const sent = new Map<number, number>();
      for (const e of cluster.trace.events) if (e.kind === 'send' && e.type === 'HeartbeatAck') sent.set(e.msgId as number, ballotOf(e));
      const acks = cluster.trace.events.filter((e) => e.kind === 'deliver' && e.type === 'HeartbeatAck' && e.node === 0 && e.timeUs <= answeredUs);
      const electedUs = cluster.trace.events.find((e) => e.kind === 'election' && e.epoch === ballot)!.timeUs;
      if (acks.some((e) => e.timeUs >= electedUs && sent.get(e.msgId as number)! < ballot)) stories++;
      // The sync's answer needs an ack of the new ballot from another node first.
      expect(acks.some((e) => sent.get(e.msgId as number) === ballot), `seed ${seed}: sync answered on old-ballot acks`).toBe(true);
    }
    // Old-ballot acks did reach the new leader before the sync's answer in some seeds.
    expect(stories).toBeGreaterThan(0);
  });
});
