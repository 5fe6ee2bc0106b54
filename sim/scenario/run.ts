/**
 * Running a scenario, top-down in phases (TigerBeetle's VOPR shape):
 *   1. setup     — the cluster, its invariant checkers, the clients;
 *   2. story     — the workload runs while the fault script (or the nemesis, made
 *                  concrete first) acts, until durationMs;
 *   3. liveness  — everything healed, resumed and restarted; clients finish their
 *                  operations; the cluster must converge within healMs;
 *   4. verdict   — invariants, liveness (caught up and converged), linearizability,
 *                  primary order, and each expectation ✓, ✗, or – skipped.
 * The result is a pure function of (scenario, seed, protocol, code).
 *
 * Safety and liveness are told apart: an invariant violation is something that must
 * never happen, and halts the run where it happens; a cluster that has not caught up or
 * converged when the quiet time ends is a liveness failure. An expectation the run did
 * not get to evaluate, because it halted first (whether every operation completes, the
 * cluster converges, a leader change happens…), is reported as skipped, never as met.
 */
import type { Message, NodeSnapshot } from '../core/node.js';
import type { TraceEvent, Trace } from '../core/trace.js';
import { Cluster } from '../net/cluster.js';
import type { LatencySpec } from '../net/latency.js';
import { shapeCuts } from '../net/partitions.js';
import { History, type OpRecord } from '../client/history.js';
import { startWorkload, DEFAULT_MIX, type RunningWorkload, type WorkloadSpec } from '../client/workload.js';
import { replaySchedule } from '../explore/scheduler.js';
import { isRecipeOp, onRecipeEphemeral, RECIPE_OPS, recipeGroups, type RecipeFlaws, type RecipeGroup } from '../client/recipes.js';
import { DEFAULT_SESSION_OPTIONS, type ZkClient } from '../client/session.js';
import { checkRecipe, combineRecipeReports, type RecipeContext, type RecipeReport } from '../check/recipes.js';
import type { ClientPause } from '../check/lock-fencing.js';
import { ExpiryWatch, clientExpiries, type ClientExpiry } from '../check/cut-off.js';
import { checkHistory, type LinResult } from '../check/lin/checker.js';
import { addCommittedWrites, tookEffect, withKnownWrites, type CommittedWrite, type CommittedWrites } from './known-writes.js';
import { attachPrimaryOrder } from '../check/primary-order.js';
import { TimelineRecorder } from '../check/timeline.js';
import { availability, type Availability } from '../check/availability.js';
import type { ProtocolAdapter, InvariantMonitor } from './protocol.js';
import { grantedSessionTimeoutUs } from './protocols.js';
import { resolveTarget, syncCrashFault, type TargetContext } from './targets.js';
import { connectProblem, DEFAULT_LATENCY_MS, DEFAULT_SYNC_LATENCY_MS, scenarioTiming, timingProblem } from './timing.js';
import { checkedForLinearizability, readExpectations, readsReport, watchReads, type DeposedSyncAnswer, type ReadsReport } from './reads.js';
import type { Expectations, FaultAction, LatencyMs, NemesisSpec, ProtocolName, Scenario, SyncKind, SyncStep } from './types.js';
import { DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_WITH_TRACE } from './limits.js';

export interface RunOptions {
  seed?: number;
  protocol?: ProtocolName;
  /** Keep every trace event in memory (the hash is computed either way). */
  keepTrace?: boolean;
  /** Scenario name for the trace's meta. */
  name?: string;
  /** Linearizability check budget. */
  linMaxSteps?: number;
  /** Deliberately broken recipes (tests showing a recipe's checker fire); never from a scenario file. */
  recipeFlaws?: RecipeFlaws;
  /**
   * Stop the run after this many events (default DEFAULT_MAX_EVENTS): it halts as at an
   * invariant violation, with `limit` set, and what ran so far (trace included) is kept.
   */
  maxEvents?: number;
  /** Called every 100,000 events with the simulated time and the latest time the run may reach. */
  onProgress?: (nowUs: number, endUs: number) => void;
  /**
   * Compute only what the verdict (`ok`, `expectations`) reads: the linearizability check
   * of the history, a search that costs a sweep seed about a twentieth of its CPU, runs
   * only when an expectation reads it (`linearizable`); otherwise `linearizability` says
   * it was not checked. For a caller that keeps nothing of the run but its verdict, hash
   * and counters (a sweep worker, sim/cli/sweep-worker.ts): same verdict, same trace.
   */
  verdictOnly?: boolean;
}

/** The events one run may process unless told otherwise (limits.ts says why these). */
export { DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_WITH_TRACE };

export interface LeaderRecord {
  node: number;
  epoch: number;
  atUs: number;
}

/** ok: evaluated and met; failed: evaluated and not met; skipped: the run halted before it could be evaluated. */
export type ExpectationStatus = 'ok' | 'failed' | 'skipped';

export interface ExpectationResult {
  name: string;
  status: ExpectationStatus;
  /** True only for status 'ok' (a skipped expectation is neither met nor failed). */
  ok: boolean;
  detail: string;
  /** Failed only by a hazard ZooKeeper does not prevent, named in the detail (RecipeReport.hazardOnly). */
  hazard?: true;
}

/** The expectations that were evaluated and not met (skipped ones are not failures). */
export function failedExpectations(result: Pick<RunResult, 'expectations'>): ExpectationResult[] {
  return result.expectations.filter((e) => e.status === 'failed');
}

/**
 * A failing run whose every failed expectation is a hazard ZooKeeper does not prevent
 * (a recipe that broke as Curator's does under a client's pause past its session or a
 * server cut off from its leader) and that ran to its end: what swarm counts apart from
 * failures, since no fix of zablab's could make it pass.
 */
export function failsOnlyByHazards(result: Pick<RunResult, 'expectations' | 'ok' | 'limit'>): boolean {
  const failed = failedExpectations(result);
  return !result.ok && result.limit === undefined && failed.length > 0 && failed.every((e) => e.hazard === true);
}

export interface RunResult {
  scenario: string;
  title: string;
  protocol: ProtocolName;
  seed: number;
  traceHash: string;
  events: number;
  simTimeUs: number;
  leaders: LeaderRecord[];
  invariants: { ok: boolean; violations: { invariant: string; message: string; seqs?: readonly number[]; timeUs?: number }[] };
  linearizability: { verdict: LinResult['verdict'] | 'skipped'; model?: string; ops: number; explanation?: string };
  /** A recipe's own checker (who held the lock, who believed itself leader, when); absent without a recipe. */
  recipe?: RecipeReport;
  /**
   * The primary-order check over the txns each server applied: `commits` applied txns
   * (one per server), `discarded` chosen but discarded at apply time as stale (Paxos's
   * stale-txn guard; ZAB never needs one).
   */
  primaryOrder: { ok: boolean; violations: { invariant: string; node: number; message: string }[]; commits: number; discarded: number; firstDiscarded?: string };
  /** Every up server on one tree and position; per server its tree digest and last applied txn (zxid or slot), null if down. */
  convergence: { ok: boolean; digests: (number | null)[]; applied: (number | null)[] };
  /**
   * The liveness phase's verdict: every live server caught up with what was committed and
   * all are on one tree when the quiet time ends (problems say who is behind; `why`, when
   * the protocol's own timers explain it, why they were still waiting); skipped if the run
   * halted before the liveness phase ended.
   */
  liveness: { status: ExpectationStatus; problems: string[]; why?: string[] };
  /** Where the run stopped early: the invariant that halted it, and when (null if it ran to its end). */
  halted: { invariant: string; reason: string; atUs: number } | null;
  /** Set when the run stopped at its events limit (RunOptions.maxEvents), not at its end. */
  limit?: { maxEvents: number; atUs: number };
  /** Servers out of service at the end (for `recovers`; null if the protocol cannot tell). */
  outOfService: number[] | null;
  /**
   * What servers logged where ZooKeeper logs an ERROR or throws an unexpected exception
   * (the `error` trace records): a symptom its users see even when the cluster recovers.
   */
  serverErrors: { node: number; atUs: number; text: string; where: string }[];
  /** Settings of the scenario that this protocol does not use (ignored, said so). */
  warnings: string[];
  ops: { total: number; ok: number; fail: number; info: number; pending: number };
  /** Reads by mode, what each was checked for, and what was found (sim/scenario/reads.ts); absent without a workload. */
  reads?: ReadsReport;
  commits: number;
  syncModes: Record<string, number>;
  faults: { atUs: number; action: string; nodes: number[]; client?: number }[];
  /** Per fault the first write and read that succeeded after it; the longest window with no successful operation (sim/check/availability.ts). */
  availability: Availability;
  expectations: ExpectationResult[];
  ok: boolean;
  /** The trace, when keepTrace was set. */
  trace?: Trace;
  /** The client history (for export and the lab). */
  history: import('../check/lin/history.js').HistoryEvent[];
}

export const US_PER_MS = 1000;
const msToUs = (ms: number) => Math.round(ms * US_PER_MS);

export function latencyToUs(spec: LatencyMs): LatencySpec {
  switch (spec.kind) {
    case 'constant':
      return { kind: 'constant', us: msToUs(spec.ms) };
    case 'uniform':
      return { kind: 'uniform', minUs: msToUs(spec.minMs), maxUs: msToUs(Math.max(spec.minMs, spec.maxMs)) };
    case 'exponential':
      return { kind: 'exponential', minUs: msToUs(spec.minMs ?? 0), meanUs: msToUs(spec.meanMs) };
    case 'lognormal':
      return { kind: 'lognormal', minUs: msToUs(spec.minMs ?? 0), medianUs: msToUs(spec.medianMs), sigma: spec.sigma };
  }
}

/** Defaults: a LAN-ish network, fast disks, 3 clients. */
export const DEFAULT_HEAL_MS = 3_000;

/**
 * The nemesis made concrete: a fault script drawn from the "nemesis" stream, so that a
 * random schedule can be saved, replayed and shrunk like a hand-written one.
 */
export function materializeNemesis(spec: NemesisSpec, scenario: Scenario, rng: import('../core/rng.js').Rng): FaultAction[] {
  const faults: FaultAction[] = [];
  const stopMs = Math.min(spec.stopMs ?? scenario.durationMs, scenario.durationMs);
  const faultMs = spec.faultDurationMs ?? spec.intervalMs / 2;
  let t = spec.startMs ?? spec.intervalMs;
  while (t < stopMs && faults.length < 10_000) {
    const kind = rng.pick(spec.kinds);
    const atMs = Math.round(t * 1000) / 1000;
    const durationMs = Math.max(1, Math.round(rng.next() * faultMs * 2 * 1000) / 1000);
    switch (kind) {
      case 'crash':
        faults.push({ atMs, action: 'crash', target: 'any', durationMs });
        break;
      case 'leader-crash':
        faults.push({ atMs, action: 'crash', target: 'leader', durationMs });
        break;
      case 'sync-crash':
        faults.push(syncCrashFault(rng, atMs, durationMs));
        break;
      case 'pause':
        faults.push({ atMs, action: 'pause', target: rng.chance(0.5) ? 'leader' : 'any', durationMs });
        break;
      case 'partition':
        faults.push({ atMs, action: 'partition', shape: rng.pick(['halves', 'random-node', 'bridge', 'majorities-ring'] as const), durationMs });
        break;
      case 'leader-isolate':
        faults.push({ atMs, action: 'partition', isolate: 'leader', durationMs });
        break;
      case 'clog':
        faults.push({ atMs, action: 'clog', from: 'any', to: 'any', durationMs });
        break;
      case 'loss':
        faults.push({ atMs, action: 'loss', rate: Math.round(rng.next() * 30) / 100, durationMs });
        break;
    }
    t += Math.max(1, rng.exponential(spec.intervalMs));
  }
  return faults;
}

export interface Runtime {
  cluster: Cluster<Message>;
  adapter: ProtocolAdapter;
  /** The server a fault on "leader" targets (-1: none known), and the epoch it was established in. */
  leader: number;
  leaderEpoch: number;
  leaders: LeaderRecord[];
  roles: string[];
  previousTarget: number[];
  /** `client`: the client a client fault (pause-client) acted on; its `nodes` are empty. */
  faultLog: { atUs: number; action: string; nodes: number[]; client?: number }[];
  /** The workload's clients, for client faults (set once the workload starts). */
  clients?: readonly ZkClient[];
  /** sessionId → when its first closeSession was applied (expiry or close). */
  sessionEndsUs: Map<number, number>;
  /** sessionId → server → when that server applied the session's closeSession. */
  sessionEndsAtServersUs: Map<number, Map<number, number>>;
  /** Commit index (zxid, slot) → when a server first applied it (not replayed, not discarded as stale). */
  firstCommitUs: Map<number, number>;
  /** Each pause-client fault: when the client stopped and (once it did) resumed. */
  clientPauses: { client: number; fromUs: number; toUs?: number }[];
  /** The leaders' closeSession proposals and their silence from each server (recipe runs only: sim/check/cut-off.ts). */
  expiries?: ExpiryWatch;
  /** Times at which the leader was hit by a fault (for leaderWithinMs). */
  leaderFaultsUs: number[];
  baseLossRate: number;
  baseDupRate: number;
  /**
   * Crashes and pauses aimed at `syncing`: armed when their time comes, they act on the
   * next server that starts a synchronization of their `syncKind`, `delayMs` after the
   * step they name (`at`).
   */
  armed: ArmedFault[];
}

/**
 * A `syncing` fault waiting for its moment. Aimed at a later step than `start`, it follows
 * the first synchronization of its kind (`learner` synced by `leader`; -1 before one
 * starts) until the learner reaches that step; if the learner or its leader crashes or
 * leaves, or the learner is synchronized again, it lets go and waits for the next one.
 */
interface ArmedFault {
  fault: FaultAction & { action: 'crash' | 'pause' };
  learner: number;
  leader: number;
}

/** Whether a ZAB synchronization (its mode, the txns it sends) is of the kind a `syncing` fault waits for. */
export function syncOfKind(kind: SyncKind | undefined, mode: string, txns: number): boolean {
  switch (kind ?? 'history') {
    case 'history':
      return txns > 0 || mode !== 'DIFF';
    case 'diff':
      return mode === 'DIFF' && txns > 0;
    case 'trunc':
      return mode === 'TRUNC';
    case 'snap':
      return mode === 'SNAP';
    case 'any':
      return true;
  }
}

/** The step of a synchronization a learner reaches when it receives a message of this type, or null. */
function stepOfDelivery(type: string): SyncStep | null {
  switch (type) {
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
      return 'received';
    case 'NEWLEADER':
      return 'newleader';
    case 'UPTODATE':
      return 'uptodate';
    default:
      return null;
  }
}

/** Whether a fault is aimed at a step the run sees as a delivery (and needs deliveries tapped). */
function aimsAtDelivery(fault: FaultAction): boolean {
  return (fault.action === 'crash' || fault.action === 'pause') && fault.target === 'syncing' && fault.at !== undefined && fault.at !== 'start' && fault.at !== 'ack-newleader';
}

function targetContext(rt: Runtime): TargetContext {
  return { servers: rt.cluster.size, leader: rt.leader, up: (n) => rt.cluster.isUp(n), rng: rt.cluster.rngs.stream('nemesis'), previous: rt.previousTarget };
}

function resolve(rt: Runtime, target: string): number[] {
  const nodes = resolveTarget(target, targetContext(rt));
  rt.previousTarget = nodes;
  return nodes;
}

/**
 * A ZAB leader starts to synchronize `learner` (the sync-mode record): the learner's
 * earlier synchronization, if a fault followed it, is over; the first armed fault free to
 * take this one and of its kind fires now (`at` start) or follows it to its step.
 */
function armedOnSyncStart(rt: Runtime, leader: number, learner: number, mode: string, txns: number): void {
  releaseArmed(rt, learner, false);
  for (let i = 0; i < rt.armed.length; i++) {
    const armed = rt.armed[i];
    if (armed.learner >= 0 || !syncOfKind(armed.fault.syncKind, mode, txns)) continue;
    if ((armed.fault.at ?? 'start') === 'start') {
      rt.armed.splice(i, 1);
      fireArmed(rt, armed.fault, learner, leader);
    } else {
      armed.learner = learner;
      armed.leader = leader;
    }
    return;
  }
}

/** `learner`, synchronized by `leader`, reached `step`: the fault following it there fires. */
function armedOnSyncStep(rt: Runtime, learner: number, leader: number, step: SyncStep): void {
  for (let i = 0; i < rt.armed.length; i++) {
    const armed = rt.armed[i];
    if (armed.learner !== learner || armed.leader !== leader || armed.fault.at !== step) continue;
    rt.armed.splice(i, 1);
    fireArmed(rt, armed.fault, learner, leader);
    return;
  }
}

/** The synchronizations `node` takes part in (as the learner, or also as the leader) are abandoned: their faults wait for the next. */
function releaseArmed(rt: Runtime, node: number, asLeaderToo: boolean): void {
  for (const armed of rt.armed) {
    if (armed.learner === node || (asLeaderToo && armed.leader === node)) armed.learner = armed.leader = -1;
  }
}

/**
 * An armed `syncing` fault acts on `node`, `delayMs` from now (a fault aimed at the crash
 * windows of a synchronization); with `withLeaderMs`, the leader syncing it (`leader`, -1
 * if none, as for a Paxos candidate) crashes at the same moment, for that long.
 */
function fireArmed(rt: Runtime, fault: ArmedFault['fault'], node: number, leader: number): void {
  const { cluster } = rt;
  cluster.at(cluster.nowUs + msToUs(fault.delayMs ?? 0), () => {
    if (!cluster.isUp(node)) return;
    applyFault(rt, { atMs: fault.atMs, action: fault.action, target: `node:${node}`, durationMs: fault.durationMs, note: fault.note });
    if (fault.action === 'crash' && fault.withLeaderMs !== undefined && leader >= 0 && cluster.isUp(leader)) {
      applyFault(rt, { atMs: fault.atMs, action: 'crash', target: `node:${leader}`, durationMs: fault.withLeaderMs });
    }
  });
}

/**
 * Whether a server the fault spares still leads with a newer epoch (ballot) than the
 * leader it hit: two proposers can both win phase 1 (Paxos: ballot 40 first, then a
 * stale 36 with a promise given before the 40), and the latest election names the stale
 * one. Faulting it leaves the cluster led, so no new election is owed (swarm paxos
 * 119964 reported "no leader within the limit" though server 1 led throughout).
 */
function newerLeaderSpared(rt: Runtime, nodes: readonly number[]): boolean {
  const epochOf = (node: number): number => {
    for (let i = rt.leaders.length - 1; i >= 0; i--) if (rt.leaders[i].node === node) return rt.leaders[i].epoch;
    return -Infinity;
  };
  const hit = epochOf(rt.leader);
  for (let node = 0; node < rt.roles.length; node++) {
    if (node === rt.leader || nodes.includes(node) || !rt.adapter.leaderRoles.includes(rt.roles[node])) continue;
    if (epochOf(node) > hit) return true;
  }
  return false;
}

/** Applies one fault action now; schedules its undo when it has a duration. */
function applyFault(rt: Runtime, fault: FaultAction): void {
  const { cluster } = rt;
  const log = (nodes: number[]) => {
    rt.faultLog.push({ atUs: cluster.nowUs, action: fault.action, nodes });
    if (rt.leader >= 0 && nodes.includes(rt.leader) && fault.action !== 'restart' && fault.action !== 'resume' && !newerLeaderSpared(rt, nodes)) rt.leaderFaultsUs.push(cluster.nowUs);
  };
  const undoAt = (durationMs: number | undefined, undo: () => void) => {
    if (durationMs !== undefined) cluster.at(cluster.nowUs + msToUs(durationMs), undo);
  };
  if (fault.note) cluster.trace.add(cluster.nowUs, -1, 'note', { text: fault.note });
  switch (fault.action) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume': {
      if (fault.target === 'syncing') {
        if (fault.action === 'crash' || fault.action === 'pause') rt.armed.push({ fault: fault as ArmedFault['fault'], learner: -1, leader: -1 });
        return;
      }
      const nodes = resolve(rt, fault.target);
      if (nodes.length === 0) {
        cluster.trace.add(cluster.nowUs, -1, 'note', { text: `${fault.action} ${fault.target}: no such server right now` });
        return;
      }
      log(nodes);
      for (const node of nodes) {
        if (fault.action === 'crash') cluster.crash(node);
        else if (fault.action === 'restart') cluster.restart(node);
        else if (fault.action === 'pause') cluster.pause(node);
        else cluster.resume(node);
      }
      if (fault.action === 'crash') undoAt(fault.durationMs, () => nodes.forEach((n) => cluster.restart(n)));
      if (fault.action === 'pause') undoAt(fault.durationMs, () => nodes.forEach((n) => cluster.resume(n)));
      return;
    }
    case 'partition': {
      if (fault.shape !== undefined) {
        const { cuts, groups } = shapeCuts(fault.shape, cluster.size, cluster.rngs.stream('nemesis'));
        if (groups) cluster.partition(groups, fault.shape);
        else {
          cluster.net.heal();
          cluster.cut(cuts, fault.shape);
        }
        const isolated = new Set<number>();
        for (const [, to] of cuts) isolated.add(to);
        log([...isolated]);
      } else {
        let groups: number[][];
        if (fault.groups !== undefined) {
          groups = fault.groups.map((group) => [...new Set(group.flatMap((t) => resolve(rt, t)))]);
        } else {
          // Isolate: the target on one side, everyone else together on the other.
          const isolated = resolve(rt, fault.isolate!);
          groups = [isolated, cluster.serverIds.filter((n) => !isolated.includes(n))];
        }
        cluster.partition(groups);
        log(groups[0] ?? []);
      }
      undoAt(fault.durationMs, () => cluster.heal());
      return;
    }
    case 'cut': {
      const from = resolve(rt, fault.from);
      const to = resolve(rt, fault.to);
      const cuts: [number, number][] = [];
      for (const a of from) for (const b of to) if (a !== b) cuts.push([a, b]);
      cluster.cut(cuts);
      log(to);
      undoAt(fault.durationMs, () => cluster.heal());
      return;
    }
    case 'heal':
      cluster.heal();
      return;
    case 'clog': {
      const from = resolve(rt, fault.from);
      const to = resolve(rt, fault.to);
      for (const a of from) for (const b of to) if (a !== b) cluster.clog(a, b, cluster.nowUs + msToUs(fault.durationMs));
      log([...from, ...to]);
      return;
    }
    case 'loss':
      cluster.setLossRate(fault.rate);
      undoAt(fault.durationMs, () => cluster.setLossRate(rt.baseLossRate));
      return;
    case 'duplicate':
      cluster.setDupRate(fault.rate);
      undoAt(fault.durationMs, () => cluster.setDupRate(rt.baseDupRate));
      return;
    case 'restart-all':
      for (let n = 0; n < cluster.size; n++) cluster.restart(n);
      return;
    case 'resume-all':
      for (let n = 0; n < cluster.size; n++) cluster.resume(n);
      return;
    case 'pause-client': {
      const client = rt.clients?.[fault.client];
      if (client === undefined) {
        cluster.trace.add(cluster.nowUs, -1, 'note', { text: `pause-client ${fault.client}: no such client` });
        return;
      }
      if (client.paused) return;
      rt.faultLog.push({ atUs: cluster.nowUs, action: fault.action, nodes: [], client: fault.client });
      cluster.trace.add(cluster.nowUs, -1, 'pause-client', { client: fault.client });
      client.pause();
      rt.clientPauses.push({ client: fault.client, fromUs: cluster.nowUs });
      cluster.at(cluster.nowUs + msToUs(fault.durationMs), () => resumeClient(rt, client));
      return;
    }
  }
}

/**
 * Per client (by index), when each of its sessions ended at the servers: the first
 * closeSession applied anywhere, and when each server applied it (same order). The run
 * passes its clients' sessions; the lab, a trace's `meta.clientSessions`.
 */
export function clientSessionEnds(
  sessionIds: readonly (readonly number[])[],
  endsUs: ReadonlyMap<number, number>,
  atServersUs: ReadonlyMap<number, ReadonlyMap<number, number>>,
): { ends: Map<number, number[]>; atServers: Map<number, ReadonlyMap<number, number>[]> } {
  const ends = new Map<number, number[]>();
  const atServers = new Map<number, ReadonlyMap<number, number>[]>();
  sessionIds.forEach((ids, i) => {
    const mine: number[] = [];
    const mineAt: ReadonlyMap<number, number>[] = [];
    for (const id of ids) {
      const at = endsUs.get(id);
      if (at === undefined) continue;
      mine.push(at);
      mineAt.push(atServersUs.get(id) ?? new Map());
    }
    if (mine.length > 0) {
      ends.set(i, mine);
      atServers.set(i, mineAt);
    }
  });
  return { ends, atServers };
}

/** A closeSession commit that took effect (known-writes.ts): records when the session first ended and when this server applied it. */
export function noteSessionEnd(event: TraceEvent, endsUs: Map<number, number>, atServersUs: Map<number, Map<number, number>>): void {
  const txn = event.txn as { type?: string; sessionId?: number } | undefined;
  if (txn?.type !== 'closeSession' || !tookEffect(event) || txn.sessionId === undefined) return;
  let atServers = atServersUs.get(txn.sessionId);
  if (atServers === undefined) {
    endsUs.set(txn.sessionId, event.timeUs);
    atServersUs.set(txn.sessionId, (atServers = new Map()));
  }
  if (!atServers.has(event.node)) atServers.set(event.node, event.timeUs);
}

/**
 * The trace with what its events do not say in its meta (not hashed): each client's
 * sessions, for the lab's recipe verdict, and where each answered call took effect
 * (`opEffects[opId]`: the zxid or log index its answer carried, or null), for the lab's
 * linearizability verdict (sim/check/lin/witness.ts); and the txns the protocol committed
 * that no commit event dates (`undatedCommits`: [zxid or index, txn]; a txn a server
 * learned only by a snapshot, say), which the run's verdict counts as committed at an
 * unknown time and the lab must too (sim/scenario/lin-report.ts).
 */
function withClientMeta(trace: Trace, clients: readonly ZkClient[], ops: readonly OpRecord[], undatedCommits?: readonly [number, unknown][]): Trace {
  if (undatedCommits !== undefined && undatedCommits.length > 0) trace.meta.undatedCommits = undatedCommits;
  if (clients.length > 0) {
    trace.meta.clientSessions = clients.map((client) => [...client.sessionIds]);
    trace.meta.clientConnections = clients.map((client) => [...client.connections]);
  }
  if (ops.some((op) => op.effectAt !== undefined)) trace.meta.opEffects = ops.map((op) => op.effectAt ?? null);
  return trace;
}

/** The paused client runs again (the fault's end, or the liveness phase). */
function resumeClient(rt: Runtime, client: ZkClient): void {
  if (!client.paused) return;
  rt.cluster.trace.add(rt.cluster.nowUs, -1, 'resume-client', { client: client.index });
  for (const pause of rt.clientPauses) if (pause.client === client.index && pause.toUs === undefined) pause.toUs = rt.cluster.nowUs;
  client.resume();
}

/** What the recipe checkers need besides the history: one builder for the run and the lab (recipe-report.ts), so the two verdicts agree. */
export function recipeContextOf(
  spec: WorkloadSpec | undefined,
  leaderChangesUs: readonly number[],
  clientPauses: readonly ClientPause[],
  safetyOnly = false,
  sessionEnds?: { ends: ReadonlyMap<number, readonly number[]>; atServers: ReadonlyMap<number, readonly ReadonlyMap<number, number>[]> },
  servers?: { scenario: Scenario; protocol: ProtocolName },
  expiries?: ReadonlyMap<number, readonly ClientExpiry[]>,
  clientConnections?: readonly (readonly number[])[],
): RecipeContext {
  // The timeout the servers grant (2..20 ticks, Paxos at least four heartbeats), not the one asked for: a session expires on it.
  const requestedUs = spec?.session?.sessionTimeoutUs ?? DEFAULT_SESSION_OPTIONS.sessionTimeoutUs;
  return {
    ...(safetyOnly ? { safetyOnly } : {}),
    ...(sessionEnds !== undefined ? { sessionEndsUs: sessionEnds.ends, sessionEndsAtServersUs: sessionEnds.atServers } : {}),
    ...(expiries !== undefined ? { sessionExpiries: expiries } : {}),
    ...(spec?.connectStrings !== undefined && spec.connectStrings.length > 0 ? { connectStrings: spec.connectStrings } : {}),
    ...(clientConnections !== undefined ? { clientConnections } : {}),
    sessionTimeoutUs: servers === undefined ? requestedUs : grantedSessionTimeoutUs(servers.scenario, servers.protocol, requestedUs),
    leaderChangesUs,
    clientPauses,
    ...(spec?.lockResource !== undefined ? { lockResource: spec.lockResource } : {}),
  };
}

export function workloadSpec(scenario: Scenario): WorkloadSpec | undefined {
  const w = scenario.workload;
  if (w === undefined || w.clients === 0) return undefined;
  return {
    clients: w.clients,
    opsPerClient: w.opsPerClient,
    ratePerSec: w.ratePerSec ?? 50,
    mix: w.mix ?? DEFAULT_MIX,
    keys: w.keys ?? 3,
    readMode: w.readMode ?? 'local',
    startUs: msToUs(w.startMs ?? 0),
    stopUs: msToUs(Math.min(w.stopMs ?? scenario.durationMs, scenario.durationMs)),
    session: {
      ...(w.sessionTimeoutMs !== undefined ? { sessionTimeoutUs: msToUs(w.sessionTimeoutMs) } : {}),
      ...(w.requestTimeoutMs !== undefined ? { requestTimeoutUs: msToUs(w.requestTimeoutMs) } : {}),
    },
    recipe: w.recipe,
    ...(w.clientRecipes !== undefined ? { clientRecipes: w.clientRecipes } : {}),
    ...(w.lockResource !== undefined ? { lockResource: w.lockResource } : {}),
    ...(w.watches !== undefined && w.watches > 0 ? { watchShare: w.watches } : {}),
    servers: w.servers,
    clientMixes: w.clientMixes,
    connectStrings: w.connectStrings,
    clientStartUs: w.clientStartMs?.map(msToUs),
  };
}

/** The effective expectations for a protocol (byProtocol overrides the common ones). */
export function expectationsFor(scenario: Scenario, protocol: ProtocolName): Omit<Expectations, 'byProtocol'> {
  const { byProtocol, ...common } = scenario.expect ?? {};
  return { ...common, ...(byProtocol?.[protocol] ?? {}) };
}

/** Everything a run builds before its story starts (phase 1), for the story and the phases after it. */
export interface RunSetup {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly protocol: ProtocolName;
  readonly cluster: Cluster<Message>;
  readonly monitor: InvariantMonitor;
  readonly primaryOrder: ReturnType<typeof attachPrimaryOrder>;
  readonly syncAnswers: ReturnType<typeof watchReads>;
  readonly rt: Runtime;
  readonly counters: { commits: number; syncModes: Record<string, number> };
  /** Errors the servers logged (ZooKeeper's ERROR lines). */
  readonly serverErrors: RunResult['serverErrors'];
  readonly timeline: TimelineRecorder;
  readonly history: History;
  readonly spec: WorkloadSpec | undefined;
  readonly workload: RunningWorkload | undefined;
  readonly storyEndUs: number;
}

/**
 * A scenario with a `schedule` runs under a controlled scheduler (sim/explore): the
 * schedule, not the clock, decides which event happens next, so a message takes no
 * time of its own (every latency is zero, nothing is lost or duplicated unless a step
 * says so) and the clock moves only when a timer or a timed action fires.
 */
export function isScheduled(scenario: Scenario): boolean {
  return scenario.schedule !== undefined;
}

const ZERO_LATENCY: LatencySpec = { kind: 'constant', us: 0 };

/** Phase 1: the cluster, its invariant checkers, the clients and the fault script, nothing run yet. */
export function setupRun(scenario: Scenario, adapter: ProtocolAdapter, options: RunOptions = {}): RunSetup {
  const seed = options.seed ?? scenario.seed ?? 1;
  const protocol = adapter.name as ProtocolName;
  const bugs = new Set(scenario.bugs ?? []);
  const network = scenario.network ?? {};
  const scheduled = isScheduled(scenario);
  const cluster = new Cluster<Message>({
    servers: scenario.cluster.servers,
    seed,
    keepTrace: options.keepTrace ?? false,
    factory: adapter.factory(scenario, bugs),
    network: scheduled
      ? { channel: adapter.channel, latency: ZERO_LATENCY, lossRate: 0, dupRate: 0, disconnectDetectUs: 0, clientLatency: ZERO_LATENCY }
      : {
          channel: adapter.channel,
          latency: latencyToUs(network.latency ?? DEFAULT_LATENCY_MS),
          links: network.links?.map((link) => ({ from: link.from, to: link.to, latency: latencyToUs(link.latency), symmetric: link.symmetric })),
          lossRate: network.lossRate ?? 0,
          dupRate: network.dupRate ?? 0,
          disconnectDetectUs: msToUs(network.disconnectDetectMs ?? 20),
          clientLatency: latencyToUs(network.clientLatency ?? { kind: 'uniform', minMs: 0.2, maxMs: 0.8 }),
        },
    storage: {
      syncLatency: scheduled ? ZERO_LATENCY : latencyToUs(scenario.storage?.syncLatency ?? DEFAULT_SYNC_LATENCY_MS),
      durableImmediately: scenario.storage?.durableImmediately ?? false,
    },
    meta: { scenario: options.name, title: scenario.title, protocol, clients: scenario.workload?.clients ?? 0, bugs: [...bugs], scenarioBody: scenario },
  });
  const monitor: InvariantMonitor = adapter.attachInvariants(cluster);
  const primaryOrder = attachPrimaryOrder(cluster, { record: true, halt: false });
  const syncAnswers = watchReads(cluster);
  const rt: Runtime = {
    cluster,
    adapter,
    leader: -1,
    leaderEpoch: -1,
    leaders: [],
    roles: new Array<string>(cluster.size).fill('LOOKING'),
    previousTarget: [],
    faultLog: [],
    clientPauses: [],
    leaderFaultsUs: [],
    baseLossRate: scheduled ? 0 : (network.lossRate ?? 0),
    baseDupRate: scheduled ? 0 : (network.dupRate ?? 0),
    armed: [],
    sessionEndsUs: new Map(),
    sessionEndsAtServersUs: new Map(),
    firstCommitUs: new Map(),
  };
  const counters = { commits: 0, syncModes: {} as Record<string, number> };
  const serverErrors: RunResult['serverErrors'] = [];
  cluster.trace.listen((event: TraceEvent) => {
    switch (event.kind) {
      case 'election': {
        const epoch = Number(event.epoch ?? 0);
        // "The leader" a fault targets is the newest established leader still leading: a
        // Paxos proposer whose older ballot is established after a newer one (on promises
        // given before the newer ballot's) does not displace it (swarm paxos 119964).
        if (!(rt.leader >= 0 && adapter.leaderRoles.includes(rt.roles[rt.leader]) && rt.leaderEpoch > epoch)) {
          rt.leader = event.leader as number;
          rt.leaderEpoch = epoch;
        }
        rt.leaders.push({ node: event.leader as number, epoch, atUs: event.timeUs });
        break;
      }
      case 'state': {
        const role = event.role as string | undefined;
        if (role !== undefined) {
          rt.roles[event.node] = role;
          if (event.node === rt.leader && !adapter.leaderRoles.includes(role)) rt.leader = -1;
        }
        if (rt.armed.length > 0) {
          // A Paxos server becomes a candidate: its phase 1 and the recovery of the slots it learns of follow.
          if (role === 'CANDIDATE') fireArmed(rt, rt.armed.shift()!.fault, event.node, -1);
          else if (role === 'LOOKING') releaseArmed(rt, event.node, true);
        }
        break;
      }
      case 'crash':
        rt.roles[event.node] = 'DOWN';
        if (event.node === rt.leader) rt.leader = -1;
        if (rt.armed.length > 0) releaseArmed(rt, event.node, true);
        break;
      case 'newleader':
        if (rt.armed.length > 0) armedOnSyncStep(rt, event.node, event.leader as number, 'ack-newleader');
        break;
      case 'commit': {
        if (event.node === rt.leaders[rt.leaders.length - 1]?.node && event.command !== 'noop' && event.command !== 'read' && event.command !== 'move') counters.commits++;
        // A txn discarded as stale or refused as SESSIONMOVED (Paxos, at apply) changed nothing.
        if (tookEffect(event) && !rt.firstCommitUs.has(event.index as number)) rt.firstCommitUs.set(event.index as number, event.timeUs);
        // When each session ended at the servers (the first closeSession applied), for the recipe checkers.
        noteSessionEnd(event, rt.sessionEndsUs, rt.sessionEndsAtServersUs);
        break;
      }
      case 'error':
        serverErrors.push({ node: event.node, atUs: event.timeUs, text: String(event.text), where: String(event.where) });
        break;
      case 'sync-mode':
        counters.syncModes[event.mode as string] = (counters.syncModes[event.mode as string] ?? 0) + 1;
        if (rt.armed.length > 0) armedOnSyncStart(rt, event.node, event.learner as number, event.mode as string, event.txns as number);
        break;
    }
  });
  const timeline = new TimelineRecorder();
  cluster.trace.listen((event) => timeline.observe(event));
  const history = new History(cluster.trace);
  const spec = workloadSpec(scenario);
  // Only a recipe's checker asks which server a client heard when its session expired: other runs pay nothing per delivery.
  const expiries = recipeGroups(spec).length > 0 ? (rt.expiries = new ExpiryWatch(cluster.size)) : undefined;
  if (expiries !== undefined) cluster.trace.listen((event) => expiries.observe(event));
  cluster.start();
  const workload = spec !== undefined ? startWorkload(cluster, history, spec, options.recipeFlaws) : undefined;
  rt.clients = workload?.clients;
  const faults = scenario.faults ?? (scenario.nemesis !== undefined ? materializeNemesis(scenario.nemesis, scenario, cluster.rngs.stream('nemesis-schedule')) : []);
  // Faults aimed at a step a learner reaches by a delivery (NEWLEADER, …) watch deliveries; other runs do not pay for it.
  const stepsByDelivery = faults.some(aimsAtDelivery);
  if (expiries !== undefined || stepsByDelivery) {
    cluster.trace.tapDeliveries((timeUs, node, from, type) => {
      if (expiries !== undefined) expiries.delivered(from, node, timeUs, type);
      if (stepsByDelivery && rt.armed.length > 0) {
        const step = stepOfDelivery(type);
        if (step !== null) armedOnSyncStep(rt, node, from, step);
      }
    });
  }
  for (const fault of faults) cluster.at(msToUs(fault.atMs), () => applyFault(rt, fault));
  return { scenario, seed, protocol, cluster, monitor, primaryOrder, syncAnswers, rt, counters, serverErrors, timeline, history, spec, workload, storyEndUs: msToUs(scenario.durationMs) };
}

export function runScenario(scenario: Scenario, adapter: ProtocolAdapter, options: RunOptions = {}): RunResult {
  // ---- 1. setup
  const setup = setupRun(scenario, adapter, options);
  const { seed, protocol, cluster, monitor, primaryOrder, syncAnswers, rt, counters, serverErrors, timeline, history, spec, workload, storyEndUs } = setup;
  // Every phase runs through `advance`, so the events limit holds over the whole run.
  const maxEvents = options.maxEvents ?? (options.keepTrace ? DEFAULT_MAX_EVENTS_WITH_TRACE : DEFAULT_MAX_EVENTS);
  const progressEvery = options.onProgress === undefined ? Number.POSITIVE_INFINITY : 100_000;
  const advance = (limits: { untilUs: number; stopWhen?: () => boolean }): void => {
    // Run in slices only to report progress: stopping at an event boundary and going on
    // is the same run (the hash does not change).
    while (cluster.run({ ...limits, maxEvents: Math.min(progressEvery, maxEvents - cluster.eventsProcessed) }) === 'events') {
      if (cluster.eventsProcessed >= maxEvents) {
        cluster.halt(`events limit: ${maxEvents} events processed`);
        return;
      }
      options.onProgress!(cluster.nowUs, storyEndUs + msToUs(scenario.healMs ?? DEFAULT_HEAL_MS));
    }
  };

  // ---- 2. story: in time order, or first the scheduled events in the schedule's order
  if (scenario.schedule !== undefined) replaySchedule(setup, scenario.schedule);
  if (cluster.haltReason === null) advance({ untilUs: storyEndUs });

  const expected = expectationsFor(scenario, protocol);
  // ---- 3. liveness: heal everything and let the clients finish
  const healEndUs = storyEndUs + msToUs(scenario.healMs ?? DEFAULT_HEAL_MS);
  if (cluster.haltReason === null) {
    cluster.trace.add(cluster.nowUs, -1, 'note', { text: 'The story is over: healing the network, resuming and restarting every server.' });
    cluster.heal();
    // Faults still waiting for a synchronization to aim at never fire: the story is over.
    rt.armed.length = 0;
    // A loss or duplication fault still running is undone to these base rates later:
    // the healed network stays healed.
    rt.baseLossRate = 0;
    rt.baseDupRate = 0;
    if (cluster.net.lossRate !== 0) cluster.setLossRate(0);
    if (cluster.net.dupRate !== 0) cluster.setDupRate(0);
    for (let n = 0; n < cluster.size; n++) {
      cluster.resume(n);
      cluster.restart(n);
    }
    for (const client of workload?.clients ?? []) resumeClient(rt, client);
    workload?.stop();
    // With `recovers`, the cluster has settled only once every server serves again.
    const serving = expected.recovers === true ? adapter.inService : undefined;
    // Settled as the verdict will judge it: same trees, and no server still catching up
    // (a learner mid-sync can hold the leader's tree before it has delivered it).
    const settled = () => (workload === undefined || workload.done()) && converged(cluster, serving) && (monitor.lagging?.() ?? []).length === 0;
    advance({ untilUs: storyEndUs + Math.floor((healEndUs - storyEndUs) / 2), stopWhen: settled });
    if (cluster.haltReason === null && !settled()) {
      // Some protocols can wedge without a fault: ZooKeeper leaves a server that
      // accepted a higher epoch in a failed election unable to join an ensemble that
      // settled on a lower one, until the ensemble re-elects. An operator would restart
      // the leader; so does the liveness phase, once, and says so in the trace.
      const leader = rt.leader;
      if (leader >= 0) {
        cluster.trace.add(cluster.nowUs, leader, 'note', { text: `Not converged after half the quiet time: restarting the leader ${leader}, as an operator would.` });
        cluster.crash(leader);
        cluster.restart(leader);
      }
      advance({ untilUs: healEndUs, stopWhen: settled });
    }
    // A little more time so followers apply the last commits.
    if (cluster.haltReason === null) advance({ untilUs: Math.min(healEndUs, cluster.nowUs + 200_000), stopWhen: settled });
    // Settling can be a lull: the sessions of the stopped clients expire afterwards, and
    // their closeSession txns must reach every server too. The quiet time allows it.
    if (cluster.haltReason === null && !settled()) advance({ untilUs: healEndUs, stopWhen: settled });
  }
  // Halted before the end: the invariant that stopped the run (the end-of-run checks below may add more, but stop nothing).
  const halted = cluster.haltReason === null ? null : { invariant: monitor.violations[0]?.invariant ?? cluster.haltReason.split(':')[0], reason: cluster.haltReason, atUs: cluster.nowUs };
  if (halted === null) monitor.finalCheck?.();

  // ---- 4. verdict
  const snapshots = cluster.serverIds.map((n) => (cluster.isUp(n) ? cluster.inspect(n) : null));
  const digests = snapshots.map((snapshot) => (snapshot?.treeDigest as number | undefined) ?? null);
  const applied = snapshots.map((snapshot) => ((snapshot?.lastProcessedZxid ?? snapshot?.lastApplied) as number | undefined) ?? null);
  const convergence = { ok: converged(cluster), digests, applied };
  const liveness = livenessVerdict(halted, convergence, halted === null ? (monitor.lagging?.() ?? []) : []);
  if (liveness.status === 'failed') {
    const why = adapter.stillWaiting?.(cluster) ?? [];
    if (why.length > 0) liveness.why = why;
  }
  // A recipe's operations are its own (acquire, release, …): the ZooKeeper calls under
  // them may time out and be retried, as Curator's retry loop does, and are not counted.
  const groups = recipeGroups(spec);
  const counted = groups.length === 0 ? history.ops : history.ops.filter((op) => isRecipeOp(groups, op));
  const opsSummary = summarizeOps(counted);
  // Operations still waiting when the run ends have an unknown outcome.
  history.closePending(cluster.nowUs);
  const committedTxns = monitor.committedTxns?.();
  // evaluate() reads the linearizability verdict only under a `linearizable` expectation.
  const lin =
    options.verdictOnly === true && expected.linearizable === undefined
      ? { verdict: 'skipped' as const, ops: 0, explanation: 'not checked: no expectation of this run reads it (a verdict-only run)' }
      : checkLinearizability(history, spec, expected, options, syncAnswers.excused, committedTxns === undefined ? undefined : committedWrites(committedTxns, rt.firstCommitUs));
  const recipeContext = recipeContextOf(
    spec,
    rt.leaders.map((leader) => leader.atUs),
    rt.clientPauses.map((p) => ({ client: p.client, fromUs: p.fromUs, toUs: p.toUs ?? cluster.nowUs })),
    expected.recipe === 'safe',
    clientSessionEnds((workload?.clients ?? []).map((client) => client.sessionIds), rt.sessionEndsUs, rt.sessionEndsAtServersUs),
    { scenario, protocol },
    rt.expiries === undefined
      ? undefined
      : clientExpiries(
          (workload?.clients ?? []).map((client) => client.sessionIds),
          (workload?.clients ?? []).map((client) => client.connections),
          rt.expiries.proposals,
        ),
    (workload?.clients ?? []).map((client) => client.connections),
  );
  const recipeReport = checkRecipes(groups, history, cluster.nowUs, recipeContext);
  const reads =
    spec === undefined || groups.length > 0
      ? undefined
      : readsReport(history, syncAnswers.excused, committedTxns, {
          includeLocalReads: expected.includeLocalReads ?? false,
          maxSteps: options.linMaxSteps ?? 5_000_000,
          watchOrder: (workload?.clients ?? []).flatMap((client) => client.watchOrderViolations.map((v) => ({ client: client.index, opId: v.opId, kind: 'watch-late' as const, message: v.message }))),
        });
  const violations = [...monitor.violations];
  const result: RunResult = {
    scenario: options.name ?? scenario.title,
    title: scenario.title,
    protocol,
    seed,
    traceHash: cluster.trace.hash(),
    events: cluster.trace.count,
    simTimeUs: cluster.nowUs,
    leaders: rt.leaders,
    invariants: { ok: violations.length === 0, violations },
    linearizability: lin,
    ...(recipeReport !== undefined ? { recipe: recipeReport } : {}),
    primaryOrder: { ok: primaryOrder.violations.length === 0, violations: primaryOrder.violations.map((v) => ({ invariant: v.invariant, node: v.node, message: v.message })), commits: primaryOrder.commits, discarded: primaryOrder.discarded, ...(primaryOrder.firstDiscarded !== undefined ? { firstDiscarded: primaryOrder.firstDiscarded } : {}) },
    convergence,
    liveness,
    halted,
    ...(halted !== null && cluster.haltReason?.startsWith('events limit') ? { limit: { maxEvents, atUs: cluster.nowUs } } : {}),
    outOfService: outOfService(cluster, adapter),
    serverErrors,
    warnings: ignoredSettings(scenario, adapter),
    ops: opsSummary,
    ...(reads !== undefined ? { reads } : {}),
    commits: counters.commits,
    syncModes: counters.syncModes,
    faults: rt.faultLog,
    availability: availability(timeline.timeline()),
    expectations: [],
    ok: false,
    trace: options.keepTrace ? withClientMeta(cluster.trace.toTrace(), workload?.clients ?? [], history.ops, undatedCommits(committedTxns, rt.firstCommitUs)) : undefined,
    history: history.events,
  };
  result.expectations = evaluate(expected, result, rt);
  // A run cut short at its events limit reached no verdict: it is not a pass.
  result.ok = failedExpectations(result).length === 0 && result.limit === undefined;
  return result;
}

/**
 * Operations by outcome. A function of its own, not a loop in runScenario: a loop over
 * every operation made runScenario hot enough for TurboFan to compile the whole of it
 * (80-140 ms of CPU per sweep worker, measured with --trace-opt over 240 seeds) for a
 * function that runs once per seed.
 */
function summarizeOps(counted: readonly OpRecord[]): RunResult['ops'] {
  const opsSummary = { total: counted.length, ok: 0, fail: 0, info: 0, pending: 0 };
  for (const op of counted) {
    if (op.result === undefined) opsSummary.pending++;
    else opsSummary[op.result]++;
  }
  return opsSummary;
}

/** Liveness after the quiet time: nobody behind, everyone on one tree (skipped if the run halted). */
function livenessVerdict(halted: RunResult['halted'], convergence: RunResult['convergence'], lagging: readonly string[]): RunResult['liveness'] {
  if (halted !== null) return { status: 'skipped', problems: [] };
  const problems = [...lagging];
  if (problems.length === 0 && !convergence.ok) {
    const where = convergence.applied.map((position, n) => (position === null ? null : `${n}: ${position}`)).filter((x) => x !== null);
    problems.push(`the servers have not all applied the same txns (last applied per server: ${where.join(', ')}; tree digests ${convergence.digests.join(', ')})`);
  }
  return { status: problems.length === 0 ? 'ok' : 'failed', problems };
}

/** Cluster settings each protocol reads; the others are ZooKeeper's or Paxos's own. */
const CLUSTER_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  zab: ['servers', 'observers', 'tickTimeMs', 'initLimit', 'syncLimit', 'counterBits', 'committedLogSize'],
  // Paxos reads tickTimeMs only for the session timeout bounds (2 and 20 ticks, as a ZooKeeper server).
  paxos: ['servers', 'tickTimeMs', 'electionTimeoutMs'],
};

/** The scenario's settings `adapter`'s protocol ignores: cluster fields and other protocols' bug switches. */
export function ignoredSettings(scenario: Scenario, adapter: ProtocolAdapter): string[] {
  const warnings: string[] = [];
  const used = CLUSTER_SETTINGS[adapter.name];
  if (used !== undefined) {
    for (const key of Object.keys(scenario.cluster)) {
      if (!used.includes(key)) warnings.push(`cluster.${key} is not used by ${adapter.name}: ignored`);
    }
  }
  if (isScheduled(scenario) && (scenario.network !== undefined || scenario.storage?.syncLatency !== undefined)) {
    warnings.push('network and disk latencies, loss and duplication are not used under a schedule: its steps decide what arrives and when');
  }
  const known = new Set(adapter.bugs.map((bug) => bug.name));
  for (const bug of scenario.bugs ?? []) if (!known.has(bug)) warnings.push(`bug switch ${bug} is not a ${adapter.name} switch: ignored`);
  if (!isScheduled(scenario)) {
    const timing = scenarioTiming(scenario);
    const tight = timingProblem(adapter.name, timing);
    if (tight !== null) warnings.push(`${tight}: servers may leave service whenever a message or a disk sync is slow, and the cluster may not settle (a setting to change, not a bug)`);
    const slowConnect = scenario.workload === undefined ? null : connectProblem(timing);
    if (slowConnect !== null) warnings.push(`${slowConnect} (a setting to change, not a bug)`);
  }
  return warnings;
}

/** Up servers that do not serve clients (null if the protocol cannot tell). */
function outOfService(cluster: Cluster<Message>, adapter: ProtocolAdapter): number[] | null {
  const inService = adapter.inService;
  if (inService === undefined) return null;
  return cluster.serverIds.filter((n) => cluster.isUp(n) && !inService(cluster.inspect(n)));
}

/** Every up server on the same tree and zxid (and, given `inService`, every one serving). One inspect() per server. */
function converged(cluster: Cluster<Message>, inService?: (snapshot: NodeSnapshot) => boolean): boolean {
  let digest: unknown;
  let lastApplied: unknown;
  for (const n of cluster.serverIds) {
    if (!cluster.isUp(n)) continue;
    const snapshot = cluster.inspect(n);
    if (inService !== undefined && !inService(snapshot)) return false;
    if (digest === undefined) {
      digest = snapshot.treeDigest;
      lastApplied = snapshot.lastProcessedZxid ?? snapshot.lastApplied;
    } else if (snapshot.treeDigest !== digest || (snapshot.lastProcessedZxid ?? snapshot.lastApplied) !== lastApplied) {
      return false;
    }
  }
  return true;
}

function checkLinearizability(
  history: History,
  spec: WorkloadSpec | undefined,
  expected: Omit<Expectations, 'byProtocol'>,
  options: RunOptions,
  excused: ReadonlyMap<number, DeposedSyncAnswer>,
  committed?: CommittedWrites,
): RunResult['linearizability'] {
  if (spec === undefined || history.ops.length === 0) return { verdict: 'skipped', ops: 0 };
  // The mutex model reads the lock's acquire and release (not the holders' resource writes).
  const lockOps = new Set(['acquire', 'release']);
  const groups = recipeGroups(spec);
  // One recipe alone: a lock's or a leader's operations against the mutex model. In a mix
  // the ZooKeeper calls are checked against the znode model and each recipe by its checker.
  const sole = groups.length === 1 ? groups[0].recipe : undefined;
  let model: string;
  let events;
  if (sole === 'lock') {
    model = 'mutex';
    events = history.select((op) => lockOps.has(op.f));
  } else if (sole === 'leader-latch' || sole === 'leader-selector') {
    // Leadership is a mutex: elect acquires it, resign releases it.
    model = 'mutex';
    events = history.select((op) => op.f === 'elect' || op.f === 'resign').map((e) => ({ ...e, f: e.f === 'elect' ? 'acquire' : 'release' }));
  } else {
    model = 'znode';
    const includeLocal = expected.includeLocalReads ?? false;
    // A recipe's own operations (publish, observe, …) are not znode operations; the ZooKeeper calls under them are.
    const recipeFs = new Set(Object.values(RECIPE_OPS).flat());
    const recipes = groups.map((group) => group.recipe);
    events = history.select((op) => !recipeFs.has(op.f) && !onRecipeEphemeral(recipes, op.value) && checkedForLinearizability(op, includeLocal, excused.has(op.opId)));
    // The writes whose outcome a client never learned: the run knows which were committed
    // and when (known-writes.ts); the lab's verdict from the trace does the same.
    if (committed !== undefined) events = withKnownWrites(events, committed, history.events);
  }
  try {
    const result = checkHistory(events, model, { maxSteps: options.linMaxSteps ?? 5_000_000 });
    return { verdict: result.verdict, model, ops: result.ops, explanation: result.explanation?.text };
  } catch (error) {
    // A malformed history is a bug in the client library: report it, do not hide it.
    return { verdict: 'unknown', model, ops: events.length, explanation: `the recorded history is malformed: ${(error as Error).message}` };
  }
}

/**
 * Each recipe's checker over its own clients' operations; several recipes side by side
 * give one report that holds when every one of theirs does.
 */
function checkRecipes(groups: readonly RecipeGroup[], history: History, endUs: number, context: RecipeContext): RecipeReport | undefined {
  const reports = groups.flatMap((group) => {
    const ops = new Set(RECIPE_OPS[group.recipe]);
    const report = checkRecipe(group.recipe, history.select((op) => ops.has(op.f) && group.clients.includes(op.process as number)), endUs, context);
    return report === undefined ? [] : [report];
  });
  return combineRecipeReports(reports);
}

/** The committed txns no commit event that took effect dates, as [zxid or index, txn] (for the trace's meta). */
function undatedCommits(committed: readonly { index: number; txn: unknown }[] | undefined, firstCommitUs: ReadonlyMap<number, number>): [number, unknown][] | undefined {
  if (committed === undefined) return undefined;
  const out: [number, unknown][] = [];
  for (const { index, txn } of committed) if (!firstCommitUs.has(index)) out.push([index, txn]);
  return out;
}

/** Each data value the committed txns wrote → its first commit time (known-writes.ts). */
function committedWrites(committed: readonly { index: number; txn: unknown }[], firstCommitUs: ReadonlyMap<number, number>): CommittedWrites {
  const out = new Map<string, CommittedWrite>();
  // A txn the protocol committed that no commit event dates (a server that learned it by
  // a snapshot, say) took effect at a time the run does not know: Infinity, which keeps
  // its write's outcome unknown (known-writes.ts) but says it happened.
  for (const { index, txn } of committed) addCommittedWrites(out, txn, firstCommitUs.get(index) ?? Infinity, index);
  return out;
}

/** "ms since the start" for details. */
const atMs = (us: number) => `${(us / 1000).toFixed(1)} ms`;

/**
 * Each expectation ✓, ✗ or skipped. A run that halted at an invariant violation was cut
 * short: what the liveness phase decides (operations complete, recovery, convergence) was
 * never evaluated, and an "it happens" expectation not met by then might have been met
 * later; those are skipped. What must never happen (invariants, at most N leaders or
 * commits, linearizability, primary order held) is judged on what did run.
 */
function evaluate(expected: Omit<Expectations, 'byProtocol'>, r: RunResult, rt: Runtime): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  const halted = r.halted;
  const skippedDetail = halted === null ? '' : `skipped: the run halted at ${halted.invariant} (t=${atMs(halted.atUs)})`;
  const add = (name: string, ok: boolean, detail: string) => results.push({ name, status: ok ? 'ok' : 'failed', ok, detail });
  /** Needs the liveness phase: skipped if the run halted. */
  const addAfterHealing = (name: string, ok: boolean, detail: string) => {
    if (halted !== null) results.push({ name, status: 'skipped', ok: false, detail: skippedDetail });
    else add(name, ok, detail);
  };
  /** Something happens: met by the prefix that ran, or skipped if the run halted before it did. */
  const addHappens = (name: string, ok: boolean, detail: string) => {
    if (!ok && halted !== null) results.push({ name, status: 'skipped', ok: false, detail: `${skippedDetail}; until then ${detail}` });
    else add(name, ok, detail);
  };
  const invariantsExpected = expected.invariants ?? (expected.violated !== undefined ? 'violated' : 'hold');
  const names = [...new Set(r.invariants.violations.map((v) => v.invariant))];
  if (invariantsExpected === 'hold') {
    add('invariants hold', r.invariants.ok, r.invariants.ok ? 'no violation' : `violated: ${r.invariants.violations.map((v) => `${v.invariant} (${v.message})`).join('; ')}`);
  } else {
    const ok = expected.violated !== undefined ? names.includes(expected.violated) : names.length > 0;
    add(`invariant ${expected.violated ?? 'any'} violated`, ok, names.length ? `violated: ${names.join(', ')}` : 'no invariant fired');
  }
  if (expected.linearizable !== undefined) {
    const verdict = r.linearizability.verdict;
    // No operation at all (clients that never reached a serving server) contradicts nothing.
    const detail = verdict === 'skipped' ? 'no operation was invoked: nothing to check' : `${verdict} (${r.linearizability.model ?? 'no model'}, ${r.linearizability.ops} ops)`;
    if (expected.linearizable) add('history linearizable', verdict === 'linearizable' || verdict === 'skipped', detail);
    else addHappens('history not linearizable', verdict === 'not-linearizable', detail);
  }
  if (expected.recipe !== undefined) {
    const report = r.recipe;
    if (report === undefined) results.push({ name: `recipe ${expected.recipe === 'violated' ? 'violated' : 'holds'}`, status: 'skipped', ok: false, detail: 'skipped: the run has no recipe with a checker' });
    else if (expected.recipe === 'hold' || expected.recipe === 'safe') {
      add(`${report.recipe} ${expected.recipe === 'hold' ? 'holds' : 'safe'}`, report.verdict === 'holds', report.summary);
      if (report.verdict === 'violated' && report.hazardOnly === true) results[results.length - 1].hazard = true;
    }
    else addHappens(`${report.recipe} violated`, report.verdict === 'violated', report.summary);
  }
  if (expected.leaderWithinMs !== undefined) {
    const limitUs = msToUs(expected.leaderWithinMs);
    const checkpoints = [0, ...rt.leaderFaultsUs];
    const late = checkpoints.filter((t) => !r.leaders.some((l) => l.atUs >= t && l.atUs <= t + limitUs));
    // A checkpoint whose window was still open when the run halted is not late: it was not given its time.
    const cutShort = halted !== null && late.some((t) => t + limitUs > halted.atUs);
    const name = `a leader within ${expected.leaderWithinMs} ms of the start and of each fault on the leader`;
    const detail = late.length === 0 ? `${checkpoints.length} checkpoint(s) met` : `no leader within the limit after t=${late.map((t) => (t / 1000).toFixed(1)).join(', ')} ms`;
    if (cutShort && late.every((t) => t + limitUs > halted.atUs)) addHappens(name, false, detail);
    else add(name, late.length === 0, detail);
  }
  if (expected.minLeaderChanges !== undefined) {
    const changes = Math.max(0, r.leaders.length - 1);
    addHappens(`at least ${expected.minLeaderChanges} leader change(s)`, changes >= expected.minLeaderChanges, `${changes} leader change(s)`);
  }
  if (expected.maxLeaders !== undefined) add(`at most ${expected.maxLeaders} leader(s)`, r.leaders.length <= expected.maxLeaders, `${r.leaders.length} leader(s) established`);
  if (expected.allOpsComplete) {
    const ok = r.ops.pending === 0 && r.ops.info === 0;
    addAfterHealing('every operation completes after healing', ok, `${r.ops.ok} ok, ${r.ops.fail} fail, ${r.ops.info} unknown, ${r.ops.pending} pending`);
  }
  if (expected.recovers) {
    const out = r.outOfService;
    if (out === null) results.push({ name: 'every server back in service after healing', status: 'skipped', ok: false, detail: `skipped: ${r.protocol} servers do not say whether they serve` });
    else addAfterHealing('every server back in service after healing', out.length === 0, out.length === 0 ? 'all serving' : `server(s) ${out.join(', ')} not serving at the end`);
  }
  // Not expecting errors is the default, but said only when one was logged (or asked for).
  if (expected.serverErrors === 'none' || (expected.serverErrors === undefined && r.serverErrors.length > 0)) {
    const first = r.serverErrors[0];
    add('no server logs an error', first === undefined, first === undefined ? 'none logged' : `${r.serverErrors.length} logged; first at t=${atMs(first.atUs)} on server ${first.node} (${first.where}): ${first.text}`);
  } else if (expected.serverErrors === 'logged') {
    addHappens('a server logs an error', r.serverErrors.length > 0, `${r.serverErrors.length} logged`);
  }
  if (expected.minOkOps !== undefined) addHappens(`at least ${expected.minOkOps} operations succeed`, r.ops.ok >= expected.minOkOps, `${r.ops.ok} ok`);
  if (expected.maxCommits !== undefined) {
    const storyCommits = r.primaryOrder.commits;
    add(`at most ${expected.maxCommits} txn(s) committed`, storyCommits <= expected.maxCommits, `${storyCommits} txn(s) applied, counted on every server`);
  }
  if (expected.converge ?? true) {
    const why = r.liveness.why === undefined ? '' : `; ${r.liveness.why.join('; ')}`;
    const detail = r.convergence.ok ? 'same tree everywhere' : `not converged when the quiet time ended (a liveness failure): ${r.liveness.problems.join('; ')}${why}`;
    addAfterHealing('servers converge to the same tree', r.convergence.ok, detail);
  }
  if (expected.primaryOrder !== undefined) {
    const po = r.primaryOrder;
    const discarded = po.discarded > 0 ? `; ${po.discarded} chosen out of primary order were discarded at apply time, not applied` : '';
    const detail = (po.ok ? `held over ${po.commits} applied txns` : `${po.violations[0].invariant}: ${po.violations[0].message}`) + discarded;
    if (expected.primaryOrder === 'hold') add('primary order holds', r.primaryOrder.ok, detail);
    else addHappens('primary order violated', !r.primaryOrder.ok, detail);
  }
  const brokeFirst = halted?.invariant ?? r.invariants.violations[0]?.invariant ?? null;
  for (const e of readExpectations(expected, r.reads, brokeFirst)) {
    if (e.status === 'skipped') results.push({ name: e.name, status: 'skipped', ok: false, detail: e.detail });
    else if (e.claim === 'happens') addHappens(e.name, e.status === 'ok', e.detail);
    else add(e.name, e.status === 'ok', e.detail);
  }
  if (expected.syncMode !== undefined) addHappens(`a ${expected.syncMode} sync happens`, (r.syncModes[expected.syncMode] ?? 0) > 0, `sync modes: ${JSON.stringify(r.syncModes)}`);
  return results;
}
