/**
 * Scripted Paxos scenarios shared by the tests: the primary-order contrast of
 * PROTOCOLS.md §12 (the Zab paper's Figure 1) and the seeds of the injectable bugs.
 * Every scenario uses constant latencies (network 1 ms, client 0.5 ms, fsync 0.5 ms)
 * and per-node election timeouts, so the fault script plays out the same every time.
 */
import type { NodeId } from '../../sim/core/node.js';
import type { Cluster } from '../../sim/net/cluster.js';
import { attachPaxosInvariants, type PaxosInvariantChecker } from '../../sim/check/paxos/index.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { DEFAULT_PAXOS_CONFIG, paxosConfig, type PaxosBug, type PaxosConfig, type PaxosMessage } from '../../sim/paxos/index.js';
import type { ZkRequest } from '../../sim/store/types.js';
import { FAST_US, MEDIUM_US, NEVER_US, SLOW_US, TestClient, roundTrip, runUntil, runUntilLeader, scriptedCluster, type Outcome } from './harness.js';


export interface ScenarioRun {
  cluster: Cluster<PaxosMessage>;
  invariants: PaxosInvariantChecker;
  outcomes: Record<string, Outcome | undefined>;
  history: HistoryEvent[];
}

/** Records one client operation into a Jepsen-style history (for the linearizability checker). */
class Recorder {
  readonly history: HistoryEvent[] = [];
  readonly outcomes: Record<string, Outcome | undefined> = {};
  constructor(private readonly cluster: Cluster<PaxosMessage>) {}

  /** `process`: a distinct one per operation keeps the history well-formed whatever overlaps. */
  op(name: string, client: TestClient, server: NodeId, process: number, f: string, value: unknown, req: ZkRequest): void {
    this.history.push({ type: 'invoke', process, f, value, timeUs: this.cluster.nowUs });
    client.op(server, req, (outcome) => {
      this.outcomes[name] = outcome;
      const timeUs = this.cluster.nowUs;
      if (outcome.kind === 'timeout') this.history.push({ type: 'info', process, f, value: null, timeUs });
      else if (outcome.reply.kind === 'result') this.history.push({ type: 'ok', process, f, value: outcome.reply.result, timeUs });
      else this.history.push({ type: 'fail', process, f, value: null, timeUs });
    });
  }

  /** Closes operations still open at the end (their outcome is unknown). */
  close(): HistoryEvent[] {
    const open = new Map<number | string, HistoryEvent>();
    for (const event of this.history) {
      if (event.type === 'invoke') open.set(event.process, event);
      else open.delete(event.process);
    }
    for (const event of open.values()) this.history.push({ type: 'info', process: event.process, f: event.f, value: null, timeUs: this.cluster.nowUs });
    return this.history;
  }
}

function connected(client: TestClient, server: NodeId): void {
  const outcome = roundTrip(client, (done) => client.connect(server, done));
  if (outcome.kind !== 'reply' || outcome.reply.kind !== 'connected') throw new Error(`client could not connect via node ${server}: ${JSON.stringify(outcome)}`);
}

/** Another endpoint in the same session: a second operation in flight, in its own history process. */
function sameSession(client: TestClient): TestClient {
  const twin = new TestClient(client.cluster, client.timeoutUs);
  twin.sessionId = client.sessionId;
  twin.lastZxid = client.lastZxid;
  return twin;
}

function runFor(cluster: Cluster<PaxosMessage>, us: number): void {
  cluster.run({ untilUs: cluster.nowUs + us });
}

/**
 * The two-leader primary-order scenario (PROTOCOLS.md §12, Zab paper Figure 1):
 *   1. L1 = node 0 leads; a client creates /q.
 *   2. L1's links to both followers are cut; the client creates sequential /q/item- (A):
 *      L1 computes A = /q/item-0000000000 and proposes it in slot 4; only L1 votes.
 *   3. The link L1 → node 1 comes back; the client creates /q/item- again (B): L1
 *      computes B = /q/item-0000000001 against its speculative state, *which contains A*,
 *      and proposes it in slot 5; nodes 0 and 1 vote: B is chosen.
 *   4. L1 crashes before it retransmits A. Node 1 leads with promises from nodes 1 and
 *      2: slot 4 is empty (no-op), slot 5 holds B (re-proposed).
 *   5. A second client creates /q/item- (C) and lists /q, through node 1.
 * Every replica then learns no-op, B, C: B (L1's 5th txn) without A (its 4th): the
 * chosen log breaks local primary order. Paxos is right to choose B — it is safe per
 * slot — but B is a state delta computed against a state with A: applied, /q would hold
 * item 1 without item 0 (what `staleTxnGuard: false` shows); the guard discards it
 * instead, so what the replicas apply keeps primary order.
 */
export function twoLeaderScenario(config: PaxosConfig = DEFAULT_PAXOS_CONFIG, attach: (cluster: Cluster<PaxosMessage>) => void = () => {}): ScenarioRun {
  const cluster = scriptedCluster({ timeoutsUs: [FAST_US, MEDIUM_US, SLOW_US], config });
  const invariants = attachPaxosInvariants(cluster);
  attach(cluster);
  const recorder = new Recorder(cluster);
  cluster.start();
  runUntilLeader(cluster, 0);
  const client = new TestClient(cluster, 200_000);
  connected(client, 0);
  recorder.op('create /q', client, 0, 1, 'create', { path: '/q', data: '' }, { op: 'create', path: '/q', data: '', mode: 'persistent' });
  runUntil(cluster, () => recorder.outcomes['create /q'] !== undefined, 100_000);

  // 2. A reaches L1's own acceptor only.
  cluster.cut([
    [0, 1],
    [0, 2],
  ]);
  recorder.op('A', client, 0, 2, 'create', { path: '/q/item-', data: 'A', sequential: true }, { op: 'create', path: '/q/item-', data: 'A', mode: 'persistent-sequential' });
  runFor(cluster, 600); // A arrives at L1 (0.5 ms) and is proposed
  // 3. B reaches L1 and node 1: chosen.
  cluster.heal();
  cluster.cut([[0, 2]]);
  recorder.op('B', sameSession(client), 0, 3, 'create', { path: '/q/item-', data: 'B', sequential: true }, { op: 'create', path: '/q/item-', data: 'B', mode: 'persistent-sequential' });
  runFor(cluster, 4_000); // B proposed at +0.5 ms, voted by node 1 at +2 ms (durable +2.5 ms)
  // 4. L1 crashes before retransmitting A (acceptRetryUs = 8 ms).
  cluster.crash(0);
  cluster.heal();
  runUntilLeader(cluster, 1);
  // 5. Another client, through the new leader.
  const client3 = new TestClient(cluster, 200_000);
  connected(client3, 1);
  recorder.op('C', client3, 1, 4, 'create', { path: '/q/item-', data: 'C', sequential: true }, { op: 'create', path: '/q/item-', data: 'C', mode: 'persistent-sequential' });
  runUntil(cluster, () => recorder.outcomes.C !== undefined, 100_000);
  recorder.op('list /q', client3, 1, 5, 'getChildren', { path: '/q' }, { op: 'getChildren', path: '/q' });
  runUntil(cluster, () => recorder.outcomes['list /q'] !== undefined, 100_000);
  runFor(cluster, 50_000);
  return { cluster, invariants, outcomes: recorder.outcomes, history: recorder.close() };
}


/**
 * The Zab paper's Figure 1 with three leaders (PROTOCOLS.md §12):
 *   1. P1 = node 0 leads (ballot b1); two clients connect, one creates /q.
 *   2. Node 0 is cut off: it proposes A and B (sequential creates under /q) in slots 4
 *      and 5; only its own acceptor votes.
 *   3. P2 = node 1 leads (b2) with node 2; its link to node 2 is then cut: it proposes C
 *      in slot 4, which only it votes for.
 *   4. P2, alone, steps down (no acks); then nodes 0 and 1 can talk again, and one of
 *      them becomes P3 (ballot b3) with promises from both: slot 4 holds A@b1 and C@b2,
 *      so C (higher ballot); slot 5 holds B@b1. P3 re-proposes C, B, then proposes D.
 * Every replica learns C (P2's), then B (P1's, without A): the chosen log breaks local
 * *and* global primary order. The stale-txn guard discards B when it is applied; without
 * it (`staleTxnGuard: false`) B is applied and the replicas break both.
 */
export function figureOneScenario(config: PaxosConfig = DEFAULT_PAXOS_CONFIG): ScenarioRun {
  const cluster = scriptedCluster({ timeoutsUs: [FAST_US, MEDIUM_US, NEVER_US], config });
  const invariants = attachPaxosInvariants(cluster);
  const recorder = new Recorder(cluster);
  cluster.start();
  runUntilLeader(cluster, 0);
  const first = new TestClient(cluster, 200_000);
  const second = new TestClient(cluster, 200_000);
  connected(first, 0);
  connected(second, 1);
  recorder.op('create /q', first, 0, 1, 'create', { path: '/q', data: '' }, { op: 'create', path: '/q', data: '', mode: 'persistent' });
  runUntil(cluster, () => recorder.outcomes['create /q'] !== undefined, 100_000);
  runFor(cluster, 5_000);
  cluster.partition([[0], [1, 2]]);
  const item = (data: string): ZkRequest => ({ op: 'create', path: '/q/item-', data, mode: 'persistent-sequential' });
  const value = (data: string) => ({ path: '/q/item-', data, sequential: true });
  recorder.op('A', first, 0, 2, 'create', value('A'), item('A'));
  recorder.op('B', sameSession(first), 0, 3, 'create', value('B'), item('B'));
  runUntilLeader(cluster, 1);
  cluster.cut([[1, 2]]);
  recorder.op('C', second, 1, 4, 'create', value('C'), item('C'));
  runFor(cluster, 3_000);
  // P2 alone until it gives up leading (its retransmitted Accept must not reach node 0).
  const p2Ballot = cluster.inspect(1).ballot as number;
  cluster.partition([[0], [1], [2]]);
  runUntil(cluster, () => cluster.inspect(1).role !== 'LEADER', 100_000);
  cluster.partition([[0, 1], [2]]);
  const p3 = () => [0, 1].find((id) => cluster.inspect(id).role === 'LEADER' && (cluster.inspect(id).ballot as number) > p2Ballot);
  runUntil(cluster, () => p3() !== undefined, 1_000_000);
  runFor(cluster, 5_000);
  const third = new TestClient(cluster, 200_000);
  connected(third, p3()!);
  recorder.op('D', third, p3()!, 5, 'create', value('D'), item('D'));
  runUntil(cluster, () => recorder.outcomes.D !== undefined, 100_000);
  cluster.heal();
  runFor(cluster, 50_000);
  return { cluster, invariants, outcomes: recorder.outcomes, history: recorder.close() };
}

// ---------------------------------------------------------------- the injectable bugs

export interface BugRun {
  cluster: Cluster<PaxosMessage>;
  invariants: PaxosInvariantChecker;
}

/**
 * Whether bug runs keep their events (they do, so tests can read the violation events).
 * Without, the checker is the trace's only listener and reads bare records
 * (TraceRecorder.listenRecords), as in the benchmark: a test runs both ways.
 */
export const bugRunOptions = { keepTrace: true };

function bugCluster(bug: PaxosBug | null, timeoutsUs: number[], halt: boolean): BugRun {
  const config = paxosConfig({ bugs: bug === null ? [] : [bug] });
  const cluster = scriptedCluster({ timeoutsUs, config, keepTrace: bugRunOptions.keepTrace });
  const invariants = attachPaxosInvariants(cluster, { halt });
  return { cluster, invariants };
}

function write(client: TestClient, server: NodeId, req: ZkRequest): void {
  client.op(server, req);
}

const CREATE_X: ZkRequest = { op: 'create', path: '/x', data: 'x', mode: 'persistent' };
const SET_X_V: ZkRequest = { op: 'setData', path: '/x', data: 'v', version: -1 };

/**
 * ignorePromisedValue — v chosen at ballot 1 by {a1, a2}; the ballot-2 proposer hears
 * {a2, a3}, ignores a2's (1, v) and proposes its own value (a no-op), which {a2, a3}
 * accept: a second value chosen.
 */
function ignorePromisedValue(bug: PaxosBug | null, halt: boolean): BugRun {
  const run = bugCluster(bug, [FAST_US, NEVER_US, MEDIUM_US], halt);
  const { cluster } = run;
  cluster.start();
  runUntilLeader(cluster, 0);
  cluster.partition([[0, 1], [2]]);
  const client = new TestClient(cluster);
  connected(client, 0); // slot 1 (v), chosen by {0, 1}
  runFor(cluster, 5_000);
  cluster.crash(0);
  cluster.heal();
  runUntil(cluster, () => cluster.haltReason !== null || cluster.inspect(2).lastApplied === 1, 500_000);
  runFor(cluster, 20_000);
  return run;
}

/**
 * pickFirstNotHighest — v accepted at ballot 1 by a1 only; w chosen at ballot 2 by
 * {a2, a3}; the ballot-3 proposer a1 hears its own (1, v) first and a2's (2, w) second,
 * keeps the first and proposes v.
 */
function pickFirstNotHighest(bug: PaxosBug | null, halt: boolean): BugRun {
  const run = bugCluster(bug, [FAST_US, NEVER_US, MEDIUM_US], halt);
  const { cluster } = run;
  cluster.start();
  runUntilLeader(cluster, 0);
  const client = new TestClient(cluster);
  connected(client, 0);
  write(client, 0, CREATE_X);
  runFor(cluster, 10_000);
  cluster.partition([[0], [1, 2]]);
  write(client, 0, SET_X_V); // slot 3: only a1 votes (1, v)
  runUntilLeader(cluster, 2);
  connected(new TestClient(cluster), 2); // slot 3: w (a createSession) chosen at ballot 2 by {a2, a3}
  cluster.partition([[0, 1], [2]]);
  runUntil(cluster, () => cluster.haltReason !== null || (cluster.inspect(0).role === 'LEADER' && (cluster.inspect(0).lastApplied as number) >= 3), 1_000_000);
  runFor(cluster, 20_000);
  return run;
}

/**
 * acceptBelowPromise — L1 (ballot 1) proposes v: its Accept to a2 is held up (a clogged
 * link), to a3 cut. L2 (ballot 2, promises {a2, a3}) gets w chosen in the same slot.
 * Then L1's late Accept(1, v) reaches a2, which promised 2 but votes anyway: v now has
 * a quorum {a1, a2} at ballot 1.
 */
function acceptBelowPromise(bug: PaxosBug | null, halt: boolean): BugRun {
  const run = bugCluster(bug, [FAST_US, NEVER_US, MEDIUM_US], halt);
  const { cluster } = run;
  cluster.start();
  runUntilLeader(cluster, 0);
  const client = new TestClient(cluster);
  connected(client, 0);
  write(client, 0, CREATE_X);
  runFor(cluster, 10_000);
  cluster.clog(0, 1, cluster.nowUs + 200_000);
  cluster.cut([[0, 2]]);
  write(client, 0, SET_X_V); // slot 3: v at ballot 1; reaches a2 only after the clog
  runUntilLeader(cluster, 2);
  connected(new TestClient(cluster), 2); // slot 3: w chosen at ballot 2
  runFor(cluster, 250_000);
  return run;
}

/**
 * volatileAcceptor — v chosen at ballot 1 by {a1, a2}; a2 restarts and has forgotten its
 * vote (and promise); the ballot-2 proposer hears {a2, a3}, finds nothing, and gets w
 * chosen by {a2, a3}.
 */
function volatileAcceptor(bug: PaxosBug | null, halt: boolean): BugRun {
  const run = bugCluster(bug, [FAST_US, NEVER_US, MEDIUM_US], halt);
  const { cluster } = run;
  cluster.start();
  runUntilLeader(cluster, 0);
  cluster.partition([[0, 1], [2]]);
  const client = new TestClient(cluster);
  connected(client, 0); // slot 1: v chosen by {a1, a2}
  runFor(cluster, 5_000);
  cluster.crash(0);
  cluster.crash(1);
  cluster.restart(1);
  cluster.heal();
  runUntilLeader(cluster, 2);
  new TestClient(cluster).connect(2); // w
  runFor(cluster, 20_000);
  return run;
}

/**
 * duplicateBallots — a bridge partition (a1 and a3 cannot talk; a2 hears both), and a2
 * is paused while a1 and a3 both time out: when a2 resumes it answers both pre-votes,
 * then both Prepares. Without the node id in the ballot both candidates use ballot 1
 * (round 1), a2 promises both (an equal ballot looks like a retransmission), and each
 * leader gets its own value into slot 1 at ballot 1.
 */
function duplicateBallots(bug: PaxosBug | null, halt: boolean): BugRun {
  const run = bugCluster(bug, [FAST_US, NEVER_US, MEDIUM_US], halt);
  const { cluster } = run;
  cluster.cut([
    [0, 2],
    [2, 0],
  ]);
  cluster.start();
  cluster.pause(1);
  runFor(cluster, 2 * MEDIUM_US + 10_000); // both a1 and a3 have asked a2 by now
  cluster.resume(1);
  runUntil(cluster, () => cluster.inspect(0).role === 'LEADER' && cluster.inspect(2).role === 'LEADER', 20_000);
  new TestClient(cluster).connect(0);
  new TestClient(cluster).connect(2);
  runFor(cluster, 20_000);
  return run;
}

/**
 * learnAcrossBallots — a1 votes v at ballot 1, a2 votes w at ballot 2, a3 votes v at
 * ballot 3: no value is chosen, but a learner that adds a1's and a3's votes for v across
 * ballots "learns" v (and a ballot-4 leader hearing {a1, a2} would choose w).
 */
function learnAcrossBallots(bug: PaxosBug | null, halt: boolean): BugRun {
  const timeoutsUs = [FAST_US, MEDIUM_US, SLOW_US];
  const run = bugCluster(bug, timeoutsUs, halt);
  const { cluster } = run;
  cluster.start();
  runUntilLeader(cluster, 0);
  const client = new TestClient(cluster);
  connected(client, 0); // slot 1
  runFor(cluster, 5_000);
  // v: a1's Accept reaches nobody, its Accepted (sent after its fsync) reaches a3.
  cluster.cut([
    [0, 1],
    [0, 2],
  ]);
  write(client, 0, CREATE_X);
  runFor(cluster, 600); // Accept sent at +0.5 ms, cut
  cluster.heal();
  cluster.cut([[0, 1]]);
  runFor(cluster, 700); // Accepted(1, v) sent at +1 ms, reaches a3
  cluster.crash(0);
  cluster.heal();
  runUntilLeader(cluster, 1); // ballot 2, promises {a2, a3}: slot 2 is empty
  cluster.cut([[1, 2]]);
  new TestClient(cluster).connect(1); // w: only a2 votes (ballot 2), so it is never chosen
  runFor(cluster, 5_000);
  timeoutsUs[0] = NEVER_US;
  cluster.restart(0);
  cluster.partition([[0, 2], [1]]);
  runUntil(cluster, () => cluster.haltReason !== null || cluster.inspect(2).role === 'LEADER', 500_000); // ballot 3, promises {a1, a3}: re-proposes v
  runFor(cluster, 20_000);
  return run;
}

/** The seed scenario of each injectable bug (PROTOCOLS.md §12); run with `bug: null` for the correct protocol. */
export const BUG_SCENARIOS: Record<PaxosBug, (bug: PaxosBug | null, halt: boolean) => BugRun> = {
  ignorePromisedValue,
  pickFirstNotHighest,
  acceptBelowPromise,
  volatileAcceptor,
  duplicateBallots,
  learnAcrossBallots,
};

/**
 * A forgotten promise: a1's Prepare(ballot 3) to a2 is held up on a clogged link while
 * a1 leads with a3; a1 crashes, a3 leads with ballot 5 and a2's promise; a2 restarts
 * without it (volatileAcceptor), and then a1's old Prepare(3) arrives: a2 promises 3
 * after 5.
 */
export function forgottenPromise(bug: PaxosBug | null, halt: boolean): BugRun {
  const timeoutsUs = [FAST_US, NEVER_US, MEDIUM_US];
  const run = bugCluster(bug, timeoutsUs, halt);
  const { cluster } = run;
  cluster.clog(0, 1, 400_000);
  cluster.start();
  runUntil(cluster, () => cluster.inspect(0).role === 'LEADER', 200_000);
  runFor(cluster, 5_000);
  cluster.crash(0);
  runUntil(cluster, () => cluster.inspect(2).role === 'LEADER', 300_000);
  runFor(cluster, 5_000);
  cluster.crash(1);
  cluster.restart(1);
  runFor(cluster, 400_000);
  return run;
}
