/**
 * `checkHistory`: is a client history linearizable with respect to a model?
 *
 * 1. Pair and validate the events (history.ts): `fail`ed operations are dropped, and
 *    `info` operations whose function is read-only are dropped (they constrain nothing).
 * 2. Split the operations into independent parts with the model's `partition`
 *    (P-compositionality: linearizability is local to each object). A part whose
 *    operations say where they took effect is first checked in that order (witness.ts).
 * 3. Search each part (search.ts), in order of first invocation and in rounds of growing
 *    step slices; stop at the first part found not linearizable and explain it
 *    (explain.ts). When the search stalls, a local refutation (refute.ts) may prove the
 *    violation from a window of the history.
 *
 * The search is bounded: after `maxSteps` model steps in total, or past `timeoutMs`
 * measured with the injected `now` clock, the verdict is `unknown` rather than a hang.
 * Inside the simulator there is no clock, so only the step budget applies unless the
 * caller passes `now` (the CLI passes its wall clock).
 */
import { pairHistory, type HistoryEvent } from './history.js';
import type { AnyModel, Model, ModelPart } from './model.js';
import { MODEL_NAMES, modelByName } from './models/index.js';
import { buildExplanation, type Explanation } from './explain.js';
import { makeRefuter } from './refute.js';
import { searchPart, type SearchBudget } from './search.js';
import { witnessHolds } from './witness.js';

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface CheckOptions {
  /** Model steps allowed in total (default {@link DEFAULT_MAX_STEPS}). */
  readonly maxSteps?: number;
  /** Wall-clock budget in milliseconds; needs `now`. */
  readonly timeoutMs?: number;
  /** Millisecond clock for `timeoutMs` (a wall clock the caller owns). */
  readonly now?: () => number;
  /** Source line of each event, for error messages and explanations. */
  readonly lines?: readonly number[];
  /**
   * Steps the search spends stuck at one point before trying a local refutation
   * (refute.ts); default 4096. A tuning knob; tests set 0 to exercise refutation.
   */
  readonly refuteAfterSteps?: number;
}

export interface LinResult {
  readonly verdict: Verdict;
  /** Operations checked: ok and info (fail dropped). */
  readonly ops: number;
  /** Independent parts the history split into. */
  readonly partitions: number;
  /** Model steps taken. */
  readonly steps: number;
  /** Present when not linearizable. */
  readonly explanation?: Explanation;
  /** Present when unknown: which budget ran out. */
  readonly unknownReason?: 'steps' | 'timeout';
}

/**
 * Default step budget. A 100k-operation cas-register history with 10 processes takes
 * a few hundred thousand steps; a step may store one memo entry (under 100 bytes), so
 * this also bounds memory to about a gigabyte.
 */
export const DEFAULT_MAX_STEPS = 10_000_000;

/** The model for a registry name or a model object; throws on an unknown name. */
export function resolveModel(model: AnyModel | string): AnyModel {
  if (typeof model !== 'string') return model;
  const m = modelByName(model);
  if (!m) throw new Error(`unknown model ${JSON.stringify(model)}; known models: ${MODEL_NAMES.join(', ')}`);
  return m;
}

/**
 * Checks a history against a model.
 * @throws HistoryError when the history is malformed (with the source line when known).
 */
export function checkHistory<S>(events: readonly HistoryEvent[], model: Model<S> | string, opts: CheckOptions = {}): LinResult {
  const m = resolveModel(model) as Model<S>;
  const paired = pairHistory(events, {
    ...(opts.lines ? { lines: opts.lines } : {}),
    ...(m.validate ? { validate: (op) => m.validate?.(op) } : {}),
  });
  const ops = paired.ops.filter((op) => !(op.type === 'info' && m.isReadOnly?.(op)));
  const parts: ModelPart<S>[] = m.partition ? m.partition(ops) : [{ key: 'all operations', ops }];
  for (const part of parts) {
    // The search needs each part in invocation order.
    if (part.ops.some((op, k) => k > 0 && op.callIndex < part.ops[k - 1].callIndex)) {
      part.ops.sort((a, b) => a.callIndex - b.callIndex);
    }
  }
  parts.sort((a, b) => (a.ops[0]?.callIndex ?? 0) - (b.ops[0]?.callIndex ?? 0));
  const now = opts.now;
  const budget: SearchBudget = {
    maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS,
    steps: 0,
    deadline: now !== undefined && opts.timeoutMs !== undefined ? now() + opts.timeoutMs : Infinity,
    ...(now !== undefined ? { now } : {}),
  };
  const summary = { ops: paired.ops.length, partitions: parts.length };
  // Parts are searched in rounds, as Porcupine searches them in parallel and stops at the
  // first illegal one: each undecided part gets a slice of the budget, in order of first
  // invocation; a part that needs more waits for the next round, with four times the
  // slice. So one hard, linearizable part cannot use the whole budget before an easy
  // violation in another part is found (Porcupine's kv c50-bad log). A part is searched
  // from scratch in each round it needs, which costs at most a third more steps; the last
  // undecided part gets all that remains. Deterministic: slices count steps, not time.
  // A part whose operations carry where they took effect (`effectAt`) is first checked
  // in that order (witness.ts): one linear pass, which decides it when the order holds.
  const undecided = parts.map((_, k) => k).filter((k) => !witnessHolds(m, parts[k].ops, parts[k].init !== undefined ? parts[k].init! : m.init(), budget));
  let slice = Math.max(10_000, Math.floor(budget.maxSteps / (4 * Math.max(1, parts.length))));
  while (undecided.length > 0) {
    for (let u = 0; u < undecided.length; ) {
      const k = undecided[u];
      const part = parts[k];
      const remaining = budget.maxSteps - budget.steps;
      const all = undecided.length === 1 || slice >= remaining;
      const partBudget: SearchBudget = all ? budget : { ...budget, maxSteps: budget.steps + slice };
      const init = part.init !== undefined ? part.init : m.init();
      const refute = makeRefuter(m, part.ops, init, partBudget);
      const result = searchPart(m, part.ops, init, partBudget, {
        ...(refute ? { refute } : {}),
        ...(opts.refuteAfterSteps !== undefined ? { refuteAfterSteps: opts.refuteAfterSteps } : {}),
      });
      if (partBudget !== budget) budget.steps = partBudget.steps;
      if (result.verdict === 'unknown') {
        if (all || result.reason === 'timeout' || budget.steps >= budget.maxSteps) {
          return { verdict: 'unknown', ...summary, steps: Math.min(budget.steps, budget.maxSteps + 1), unknownReason: result.reason };
        }
        u++; // over its slice: searched again next round
        continue;
      }
      if (result.verdict === 'not-linearizable') {
        const explanation = buildExplanation({
          model: m,
          part: part.key,
          partIndex: k,
          parts: parts.length,
          ops: part.ops,
          stuck: result.stuck,
          deadEnds: result.deadEnds,
          nearDeadEnds: result.nearDeadEnds,
          states: result.states,
          deadEndCount: result.deadEndCount,
          provedLocally: result.refuted,
        });
        return { verdict: 'not-linearizable', ...summary, steps: budget.steps, explanation };
      }
      undecided.splice(u, 1);
    }
    slice *= 4;
  }
  return { verdict: 'linearizable', ...summary, steps: budget.steps };
}
