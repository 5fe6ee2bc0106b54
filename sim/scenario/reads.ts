/**
 * Reads, honestly: what each read mode promises, and what a run checks of it.
 *
 * | read mode | served by | ZooKeeper promises | zablab checks |
 * |---|---|---|---|
 * | `local` | the connected server's tree | ordered sequential consistency (may be stale) | per client order (check/reads.ts); linearizability only with `includeLocalReads` |
 * | `sync` | sync through the leader, then local | the read reflects every write the leader committed before it answered the sync — not linearizable: a deposed leader that has not noticed yet can answer (ZOOKEEPER-1675) | per client order; linearizability, except for the reads whose sync a deposed leader answered, which are counted and left out |
 * | `quorum` | zablab's own: the read is ordered like a write (a no-op txn / a slot) | ZooKeeper has none | per client order; linearizability, always |
 *
 * Why not check sync reads for linearizability strictly: ZooKeeper does not promise it,
 * and zablab models the window where it fails (an old leader answers syncs until its
 * syncLimit check fails). Why not leave them out altogether: outside that window a sync
 * read must be linearizable, and a service that answers a sync before the writes it
 * must wait for is broken; checking them catches that. The run tells the two apart from
 * the trace: the leader records every `sync-answer` with its epoch; a sync answered by a
 * leader while a newer epoch is established (an `election` event) was answered by a
 * deposed leader. Such reads are excused, counted, and the history is also checked with
 * them in (`strict`), so the story shows what ZooKeeper does not promise.
 *
 * Paxos records no `sync-answer`: its sync is a read index confirmed by a quorum
 * (sim/paxos/service.ts), which a deposed leader cannot get, so every Paxos sync read is
 * checked for linearizability.
 */
import type { TraceEvent } from '../core/trace.js';
import type { Cluster } from '../net/cluster.js';
import type { Message } from '../core/node.js';
import type { History, OpRecord } from '../client/history.js';
import { checkReads, type CommittedTxn, type SessionViolation } from '../check/reads.js';
import { checkHistory, type LinResult } from '../check/lin/checker.js';
import type { Expectations } from './types.js';

/** A sync answered by a leader whose epoch a newer established leader had superseded. */
export interface DeposedSyncAnswer {
  readonly leader: number;
  readonly epoch: number;
  readonly newerLeader: number;
  readonly newerEpoch: number;
  /** The server that forwarded the sync (the client's). */
  readonly server: number;
  readonly timeUs: number;
}

const wireKey = (endpoint: number, request: number) => `${endpoint}:${request}`;

/**
 * Tells, from trace events in order, which sync reads a deposed leader answered. Fed by
 * the runner's trace listener, or by the lab from a finished trace.
 */
export class SyncAnswerWatch {
  private newestEpoch = Number.NEGATIVE_INFINITY;
  private newestLeader = -1;
  private readonly opOfRequest = new Map<string, number>();
  private readonly deposed = new Map<number, DeposedSyncAnswer>();
  private answered = 0;
  /** Deposed leaders (leader:epoch) already noted in the trace (watchReads; a field so a snapshot of the run sees it). */
  readonly noted = new Set<string>();

  /** Observes one event; returns the answer when a deposed leader gave it. */
  observe(event: TraceEvent): DeposedSyncAnswer | undefined {
    switch (event.kind) {
      case 'election': {
        const epoch = Number(event.epoch);
        if (epoch > this.newestEpoch) {
          this.newestEpoch = epoch;
          this.newestLeader = Number(event.leader);
        }
        return undefined;
      }
      case 'invoke':
        if (typeof event.endpoint === 'number' && typeof event.request === 'number') this.opOfRequest.set(wireKey(event.endpoint, event.request), Number(event.opId));
        return undefined;
      case 'sync-answer': {
        this.answered++;
        const epoch = Number(event.epoch);
        if (!(epoch < this.newestEpoch)) return undefined;
        const answer: DeposedSyncAnswer = { leader: event.node, epoch, newerLeader: this.newestLeader, newerEpoch: this.newestEpoch, server: Number(event.server), timeUs: event.timeUs };
        const opId = this.opOfRequest.get(wireKey(Number(event.client), Number(event.request)));
        if (opId !== undefined) this.deposed.set(opId, answer);
        return answer;
      }
      default:
        return undefined;
    }
  }

  /** Sync reads whose sync a deposed leader answered: operation id → the answer. */
  get excused(): ReadonlyMap<number, DeposedSyncAnswer> {
    return this.deposed;
  }

  /** Syncs answered in all (by any leader). */
  get syncsAnswered(): number {
    return this.answered;
  }
}

/** The same, over a finished trace's events (the lab). */
export function excusedSyncReads(events: Iterable<TraceEvent>): ReadonlyMap<number, DeposedSyncAnswer> {
  const watch = new SyncAnswerWatch();
  for (const event of events) watch.observe(event);
  return watch.excused;
}

/**
 * Whether an operation goes into the znode linearizability check: writes, quorum reads,
 * sync reads unless excused (a deposed leader answered their sync), local reads only
 * when the story asks (`includeLocalReads`). The lab selects with this too.
 */
export function checkedForLinearizability(op: { readonly readMode?: string }, includeLocalReads: boolean, excused: boolean): boolean {
  if (op.readMode === 'local') return includeLocalReads;
  if (op.readMode === 'sync') return !excused;
  return true;
}

/** What the run reports about reads. */
export interface ReadsReport {
  /** Read operations per mode (every outcome). */
  modes: { local: number; sync: number; quorum: number };
  /** Reads that missed a write which had completed before they were invoked, per mode. */
  stale: { local: number; sync: number; quorum: number };
  /** Sync reads whose sync a deposed leader answered (ZOOKEEPER-1675): left out of the linearizability check. */
  deposedSyncReads: number;
  /** Stale sync reads among those. */
  staleDeposedSyncReads: number;
  /** The znode check with those reads in (present only when some were left out). */
  strict?: { verdict: LinResult['verdict']; ops: number; explanation?: string };
  /** ZooKeeper's ordered sequential consistency, per client (check/reads.ts). */
  sequentialConsistency: { verdict: 'hold' | 'violated' | 'skipped' | 'unknown'; reads: number; violations: number; first: SessionViolation[]; detail?: string };
}

const READ_FS = new Set(['getData', 'exists', 'getChildren']);

/**
 * Follows a running cluster: which syncs a deposed leader answered, with a note on that
 * leader in the trace the first time (recorded after the event, never from inside the
 * trace listener).
 */
export function watchReads(cluster: Cluster<Message>): SyncAnswerWatch {
  const watch = new SyncAnswerWatch();
  const noted = watch.noted;
  const notes: { node: number; text: string }[] = [];
  cluster.trace.listen((event) => {
    const answer = watch.observe(event);
    if (answer === undefined) return;
    const key = `${answer.leader}:${answer.epoch}`;
    if (noted.has(key)) return;
    noted.add(key);
    notes.push({
      node: answer.leader,
      text:
        `answers a sync from server ${answer.server} while deposed: epoch ${answer.newerEpoch} is established (leader ${answer.newerLeader}), ` +
        `but this leader of epoch ${answer.epoch} has not noticed (its syncLimit check has not failed yet). The read that follows on server ${answer.server} ` +
        `may miss writes the new leader committed: ZooKeeper's sync + read is not linearizable (ZOOKEEPER-1675). Later syncs it answers are not noted.`,
    });
  });
  cluster.afterEvent(() => {
    if (notes.length === 0) return;
    for (const note of notes) cluster.trace.add(cluster.nowUs, note.node, 'note', { text: note.text });
    notes.length = 0;
  });
  return watch;
}

/**
 * The reads part of a run's verdict: per-mode counts, stale reads, sequential
 * consistency per client against the committed order, and the strict check when some
 * sync reads were excused.
 */
export function readsReport(
  history: History,
  excused: ReadonlyMap<number, DeposedSyncAnswer>,
  committed: readonly { index: number; txn: unknown }[] | undefined,
  options: { includeLocalReads: boolean; maxSteps: number; label?: (index: number) => string; watchOrder?: readonly SessionViolation[] },
): ReadsReport {
  const ops = history.ops;
  const report: ReadsReport = {
    modes: { local: 0, sync: 0, quorum: 0 },
    stale: { local: 0, sync: 0, quorum: 0 },
    deposedSyncReads: 0,
    staleDeposedSyncReads: 0,
    sequentialConsistency: { verdict: 'skipped', reads: 0, violations: 0, first: [] },
  };
  for (const op of ops) if (READ_FS.has(op.f) && op.readMode !== undefined) report.modes[op.readMode]++;
  for (const opId of excused.keys()) if (ops[opId]?.readMode === 'sync') report.deposedSyncReads++;
  if (report.modes.local + report.modes.sync + report.modes.quorum > 0) {
    if (committed === undefined) {
      report.sequentialConsistency = { verdict: 'skipped', reads: 0, violations: 0, first: [], detail: 'the protocol does not say what it committed' };
    } else {
      try {
        const result = checkReads(ops, committed as readonly CommittedTxn[], options.label);
        // A watch event must come before the data it announces: the clients' own record (ZkClient.watchOrderViolations).
        const violations = [...result.sessions.violations, ...(options.watchOrder ?? [])];
        report.sequentialConsistency = { verdict: violations.length === 0 ? 'hold' : 'violated', reads: result.sessions.reads, violations: violations.length, first: violations.slice(0, 3) };
        for (const opId of result.stale) {
          const mode = ops[opId].readMode;
          if (mode !== undefined) report.stale[mode]++;
          if (mode === 'sync' && excused.has(opId)) report.staleDeposedSyncReads++;
        }
      } catch (error) {
        // A committed order the data tree cannot replay is a protocol bug; the invariants say which.
        report.sequentialConsistency = { verdict: 'unknown', reads: 0, violations: 0, first: [], detail: `the committed order cannot be replayed: ${(error as Error).message}` };
      }
    }
  }
  if (report.deposedSyncReads > 0) {
    const lockOps = new Set(['acquire', 'release']);
    const events = history.select((op: OpRecord) => !lockOps.has(op.f) && checkedForLinearizability(op, options.includeLocalReads, false));
    try {
      const strict = checkHistory(events, 'znode', { maxSteps: options.maxSteps });
      report.strict = { verdict: strict.verdict, ops: strict.ops, ...(strict.explanation !== undefined ? { explanation: strict.explanation.text } : {}) };
    } catch (error) {
      report.strict = { verdict: 'unknown', ops: events.length, explanation: `the recorded history is malformed: ${(error as Error).message}` };
    }
  }
  return report;
}

/** One line for humans: the modes, what each was checked for, what was found. */
export function describeReads(reads: ReadsReport): string[] {
  const { modes, stale } = reads;
  const lines: string[] = [];
  const parts: string[] = [];
  if (modes.local > 0) parts.push(`${modes.local} local (sequentially consistent, may be stale: ${stale.local} were)`);
  if (modes.sync > 0) parts.push(`${modes.sync} sync (sync then read; ${stale.sync} stale)`);
  if (modes.quorum > 0) parts.push(`${modes.quorum} quorum (zablab's own: ordered like a write, linearizable; ${stale.quorum} stale)`);
  if (parts.length > 0) lines.push(parts.join(', '));
  if (reads.deposedSyncReads > 0) {
    lines.push(
      `${reads.deposedSyncReads} sync read(s) answered by a deposed leader (${reads.staleDeposedSyncReads} of them stale): not checked for linearizability, ` +
        `as ZooKeeper does not promise it (ZOOKEEPER-1675)` +
        (reads.strict !== undefined ? `; with them in, the history is ${reads.strict.verdict.replace('-', ' ')}` : ''),
    );
  }
  const sc = reads.sequentialConsistency;
  if (sc.verdict === 'hold') lines.push(`per client order (sequential consistency, ZooKeeper's guarantee) holds over ${sc.reads} reads`);
  else if (sc.verdict === 'violated') lines.push(`per client order (sequential consistency) violated ${sc.violations} time(s): ${sc.first[0]?.message ?? ''}`);
  else if (sc.detail !== undefined) lines.push(`per client order not checked: ${sc.detail}`);
  return lines;
}

/** The expectations about reads, evaluated (see Expectations). */
/**
 * The read expectations. `brokeFirst`: the invariant that broke (the run halted there),
 * or null. Once one broke, a read that then breaks sequential consistency is its
 * consequence, not this check's story: it is reported as skipped, never as met.
 */
export function readExpectations(
  expected: Omit<Expectations, 'byProtocol'>,
  reads: ReadsReport | undefined,
  brokeFirst: string | null,
): { name: string; status: 'ok' | 'failed' | 'skipped'; detail: string; claim: 'never' | 'happens' }[] {
  const results: { name: string; status: 'ok' | 'failed' | 'skipped'; detail: string; claim: 'never' | 'happens' }[] = [];
  if (reads === undefined) return results;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'failed') as 'ok' | 'failed';
  const sc = reads.sequentialConsistency;
  const wanted = expected.sequentialConsistency ?? (sc.verdict === 'skipped' ? undefined : 'hold');
  if (wanted !== undefined) {
    const detail = sc.verdict === 'hold' ? `held over ${sc.reads} reads` : sc.verdict === 'violated' ? `${sc.violations} violation(s): ${sc.first[0]?.message ?? ''}` : `${sc.verdict}${sc.detail !== undefined ? `: ${sc.detail}` : ''}`;
    if (wanted === 'hold') {
      const held = sc.verdict === 'hold' || sc.verdict === 'skipped';
      if (!held && brokeFirst !== null) results.push({ name: 'reads sequentially consistent per client', status: 'skipped', detail: `skipped: ${brokeFirst} broke first, and the reads after it are its consequence (${detail})`, claim: 'never' });
      else results.push({ name: 'reads sequentially consistent per client', status: verdict(held), detail, claim: 'never' });
    } else {
      results.push({ name: 'reads not sequentially consistent', status: verdict(sc.verdict === 'violated'), detail, claim: 'happens' });
    }
  }
  const staleDetail = `${reads.stale.sync} stale sync read(s) (missed a write completed before they began), ${reads.staleDeposedSyncReads} answered by a deposed leader (ZOOKEEPER-1675)`;
  if (expected.minStaleSyncReads !== undefined) results.push({ name: `at least ${expected.minStaleSyncReads} stale sync read(s)`, status: verdict(reads.stale.sync >= expected.minStaleSyncReads), detail: staleDetail, claim: 'happens' });
  if (expected.maxStaleSyncReads !== undefined) results.push({ name: `at most ${expected.maxStaleSyncReads} stale sync read(s)`, status: verdict(reads.stale.sync <= expected.maxStaleSyncReads), detail: staleDetail, claim: 'never' });
  return results;
}
