/**
 * The linearizability verdict of a trace's client history, with the checker's
 * explanation as data the lab and `zablab run --report` draw (sim/check/lin/explain.ts).
 *
 * RunResult carries only the explanation's text, so this rebuilds the history
 * from the trace's `invoke` / `complete` events (History records both, in the same
 * order) and selects the operations exactly as sim/scenario/run.ts does before
 * checking: lock recipes against the mutex model; otherwise, against the znode tree,
 * writes, quorum reads, sync reads except those whose sync a deposed leader answered
 * (ZOOKEEPER-1675, told from the trace's `sync-answer` and `election` events), and local
 * reads only if the scenario's expectations include them (sim/scenario/reads.ts); and,
 * as the run does, the writes of unknown outcome as the trace's commits tell them
 * (known-writes.ts).
 */
import type { TraceEvent } from '../core/trace.js';
import type { HistoryEvent } from '../check/lin/history.js';
import { checkHistory } from '../check/lin/checker.js';
import type { Explanation } from '../check/lin/explain.js';
import { expectationsFor } from './run.js';
import { checkedForLinearizability, excusedSyncReads } from './reads.js';
import type { ProtocolName, Scenario } from './types.js';
import { onRecipeEphemeral, RECIPE_OPS, recipeGroups } from '../client/recipes.js';
import { addCommittedWrites, discarded, tookEffect, withKnownWrites, type CommittedWrite, type CommittedWrites } from './known-writes.js';

export interface LinReport {
  verdict: 'linearizable' | 'not-linearizable' | 'unknown' | 'skipped';
  model?: string;
  ops: number;
  explanation?: Explanation;
  error?: string;
}

const LOCK_OPS = new Set(['acquire', 'release']);

/** An operation of a trace's history (its invocation's fields). */
export interface TraceOp {
  readonly f: string;
  readonly readMode?: string;
  readonly opId: number;
  readonly value: unknown;
}

/**
 * The client history a trace records: its `invoke` / `complete` events as History wrote
 * them (sim/client/history.ts, which also closes the pending ones as `info` at the end),
 * with the operation each event belongs to. `opEffects` (a trace's `meta.opEffects`:
 * where each answered call took effect, by operation id) gives the `ok` completions
 * their `effectAt`, as the run's own history has them.
 */
export function historyFromTrace(events: readonly TraceEvent[], opEffects?: unknown): { history: HistoryEvent[]; ops: TraceOp[]; opOfEvent: number[] } {
  const effects = Array.isArray(opEffects) ? (opEffects as unknown[]) : [];
  const history: HistoryEvent[] = [];
  const opOfEvent: number[] = [];
  const ops: TraceOp[] = [];
  // Completions find their invocation by the operation's id (a recipe's own operations
  // share a process with the ZooKeeper calls under them).
  const open = new Map<number, number>();
  for (const e of events) {
    if (e.kind === 'invoke') {
      const opId = ops.length;
      ops.push({ f: String(e.f), readMode: typeof e.readMode === 'string' ? e.readMode : undefined, opId: Number(e.opId), value: e.value });
      open.set(Number(e.opId), opId);
      opOfEvent.push(opId);
      history.push({ type: 'invoke', process: Number(e.process), f: String(e.f), value: e.value, timeUs: e.timeUs, index: history.length });
    } else if (e.kind === 'complete') {
      const opId = open.get(Number(e.opId));
      if (opId === undefined) continue;
      open.delete(Number(e.opId));
      opOfEvent.push(opId);
      const done: HistoryEvent = { type: e.result as HistoryEvent['type'], process: Number(e.process), f: String(e.f), value: e.value, timeUs: e.timeUs, index: history.length };
      const at = effects[Number(e.opId)];
      if (done.type === 'ok' && typeof at === 'number' && Number.isFinite(at)) done.effectAt = at;
      history.push(done);
    }
  }
  return { history, ops, opOfEvent };
}

/**
 * The linearizability verdict of a trace, as the run that wrote it judged it. `meta`, the
 * trace's meta: what the run knew that the events do not say (`opEffects`, where each
 * answered call took effect; `undatedCommits`, the committed txns no commit event dates).
 */
export function linFromTrace(events: readonly TraceEvent[], scenario: Scenario | undefined, protocol: string, meta?: Readonly<Record<string, unknown>>, maxSteps = 5_000_000): LinReport {
  const { history, ops, opOfEvent } = historyFromTrace(events, meta?.opEffects);
  if (ops.length === 0) return { verdict: 'skipped', ops: 0 };
  const groups = recipeGroups(scenario?.workload);
  // One recipe alone: a lock's or a leader's operations against the mutex model (as run.ts).
  const recipe = groups.length === 1 ? groups[0].recipe : undefined;
  const recipes = groups.map((group) => group.recipe);
  const expected = scenario !== undefined ? expectationsFor(scenario, protocol as ProtocolName) : {};
  const includeLocal = expected.includeLocalReads ?? false;
  let model: string;
  let keep: (op: TraceOp) => boolean;
  // As the run's verdict (sim/scenario/run.ts): a lock's acquire/release and a latch's
  // elect/resign against the mutex, otherwise the ZooKeeper calls against the znode model.
  const recipeFs = new Set(Object.values(RECIPE_OPS).flat());
  if (recipe === 'lock') {
    model = 'mutex';
    keep = (op) => LOCK_OPS.has(op.f);
  } else if (recipe === 'leader-latch' || recipe === 'leader-selector') {
    model = 'mutex';
    keep = (op) => op.f === 'elect' || op.f === 'resign';
  } else {
    model = 'znode';
    const excused = excusedSyncReads(events);
    keep = (op) => !recipeFs.has(op.f) && !onRecipeEphemeral(recipes, op.value) && checkedForLinearizability(op, includeLocal, excused.has(op.opId));
  }
  let selected = history
    .filter((_, i) => keep(ops[opOfEvent[i]]))
    .map((e) => (e.f === 'elect' ? { ...e, f: 'acquire' } : e.f === 'resign' ? { ...e, f: 'release' } : e));
  // As the run: the writes of unknown outcome whose commit the trace shows took effect by it; the others never did.
  if (model === 'znode') selected = withKnownWrites(selected, committedWritesOfTrace(events, meta?.undatedCommits), history);
  try {
    const result = checkHistory(selected, model, { maxSteps });
    const report: LinReport = { verdict: result.verdict, model, ops: result.ops };
    if (result.explanation) report.explanation = result.explanation;
    return report;
  } catch (error) {
    return { verdict: 'unknown', model, ops: ops.length, error: (error as Error).message };
  }
}

/**
 * Each data value a trace's commits wrote → its first commit that took effect. A txn a
 * server only replayed from its log (logged by all, the leader gone before any commit, and
 * then part of the next leader's history) has no such commit, yet it took effect: it
 * counts as committed at a time the trace does not say (Infinity), as the run counts a
 * txn its protocol committed that no commit event dates. Were it left out, the lab would
 * take its write for one that never happened (crowd zab 911, data c55-4).
 */
function committedWritesOfTrace(events: readonly TraceEvent[], undatedCommits?: unknown): CommittedWrites {
  const out = new Map<string, CommittedWrite>();
  const indexOf = (e: TraceEvent) => (typeof e.index === 'number' ? e.index : undefined);
  for (const e of events) if (e.kind === 'commit' && tookEffect(e)) addCommittedWrites(out, e.txn, e.timeUs, indexOf(e));
  for (const e of events) if (e.kind === 'commit' && e.replay === true && !discarded(e)) addCommittedWrites(out, e.txn, Infinity, indexOf(e));
  // The txns the protocol committed that no event dates (the trace's meta, written by the
  // run): a txn a server learned only by a snapshot, its leader gone before any commit
  // (queue zab 2 of h59's generated runs: a claim's setData, logged by a leader that
  // crashed, carried into the next epoch by restore and SNAP). Without them the lab took
  // that write for one that never happened and called a linearizable run not linearizable.
  if (Array.isArray(undatedCommits)) {
    for (const entry of undatedCommits) {
      if (Array.isArray(entry) && typeof entry[0] === 'number') addCommittedWrites(out, entry[1], Infinity, entry[0]);
    }
  }
  return out;
}
