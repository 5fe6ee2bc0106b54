/**
 * Local refutation: proving that an operation cannot be linearized by looking only at
 * a window of the history before its completion, instead of exhausting every order
 * since the start (which is what makes failing histories expensive for Wing & Gong
 * search: after the failure it backtracks through the whole history).
 *
 * Take an instant c before the stuck operation's completion R. In any linearization
 * of the whole history, each operation takes effect at an instant inside its interval.
 * The operations that take effect after c form a sequence that starts in whatever
 * state the object was in at c, which is one of `model.reachableStates` (a finite
 * over-approximation). So the window
 *
 *   - mandatory: ok operations invoked at or after c that complete by R;
 *   - optional (may take effect or not, no deadline): ok operations pending at c
 *     (they may have taken effect before c) or completing after R, and info
 *     operations invoked before R. They are even allowed to take effect several
 *     times: that only adds behaviours, and keeps the configurations down to
 *     (mandatory operations left, state) instead of every subset of them,
 *
 * must be linearizable from at least one of those states. If it is from none, the
 * whole history is not linearizable. Windows grow (×2) until one refutes or covers
 * the whole history; an inconclusive window proves nothing either way.
 *
 * ```
 *            c                              R
 *   p0  [----|--- write 1 ---]              |      optional (pending at c)
 *   p1       |  [-- write 2 --]             |      mandatory
 *   p2       |                  [- read 1 --]      mandatory: the stuck operation
 * ```
 */
import type { Operation } from './history.js';
import type { Model } from './model.js';
import { searchPart, type SearchBudget } from './search.js';

/** Operations before the stuck one in the first window; ×2 per attempt. */
const FIRST_WINDOW_OPS = 16;

export function makeRefuter<S>(
  model: Model<S>,
  ops: readonly Operation[],
  init: S,
  budget: SearchBudget,
): ((stuck: number, returnIndex: number, stepLimit: number) => boolean) | undefined {
  if (!model.reachableStates) return undefined;
  let universe: S[] | undefined | null = null;
  // For building windows without scanning the whole history: info operations, and the
  // latest completion among ok operations up to each index.
  const infoOps: number[] = [];
  const latestReturn = new Int32Array(ops.length);
  for (let i = 0; i < ops.length; i++) {
    if (ops[i].type === 'info') infoOps.push(i);
    const own = ops[i].type === 'ok' ? ops[i].returnIndex : -1;
    latestReturn[i] = Math.max(own, i > 0 ? latestReturn[i - 1] : -1);
  }
  // Start states already refuted, per (stuck operation, window width): a later
  // attempt with a larger step limit resumes instead of redoing them.
  const refutedStarts = new Map<string, Set<number>>();
  return (stuck, returnIndex, stepLimit) => {
    // The attempt gets its own budget, so an inconclusive one costs at most stepLimit.
    const local: SearchBudget = { ...budget, maxSteps: Math.min(budget.maxSteps, budget.steps + stepLimit) };
    const settle = (proved: boolean): boolean => {
      budget.steps = local.steps;
      return proved;
    };
    if (universe === null) universe = model.reachableStates?.(ops, init);
    if (universe === undefined) return settle(false);
    // Cheapest window: the stuck operation alone, in every state (e.g. a read of a
    // value never written).
    if (universe.every((x) => model.step(x, ops[stuck]) === undefined)) return settle(true);
    for (let width = FIRST_WINDOW_OPS; ; width *= 2) {
      const first = Math.max(0, stuck - width);
      const c = ops[first].callIndex;
      // Operations invoked before R that may take effect after c: ok ones pending at c
      // (found scanning back from `first` while some earlier one completes after c),
      // every info one, and everything invoked from c on.
      const members = new Set<number>(infoOps.filter((i) => ops[i].callIndex < returnIndex));
      for (let i = first - 1; i >= 0 && latestReturn[i] >= c; i--) if (ops[i].type === 'ok' && ops[i].returnIndex >= c) members.add(i);
      for (let i = first; i < ops.length && ops[i].callIndex < returnIndex; i++) members.add(i);
      const window: Operation[] = [];
      const optionalFlags: number[] = [];
      const reusableFlags: number[] = [];
      for (const i of [...members].sort((a, b) => a - b)) {
        const op = ops[i];
        if (op.type === 'ok' && op.returnIndex < c) continue; // took effect before c
        window.push(op);
        optionalFlags.push(op.type === 'ok' && (op.callIndex < c || op.returnIndex > returnIndex) ? 1 : 0);
        reusableFlags.push(op.type === 'info' || op.callIndex < c || op.returnIndex > returnIndex ? 1 : 0);
      }
      const optional = Uint8Array.from(optionalFlags);
      const reusable = Uint8Array.from(reusableFlags);
      const key = `${stuck}/${width}`;
      let done = refutedStarts.get(key);
      if (!done) refutedStarts.set(key, (done = new Set()));
      let refuted = true;
      for (let k = 0; k < universe.length; k++) {
        if (done.has(k)) continue;
        const r = searchPart(model, window, universe[k], local, { optional, reusable });
        if (r.verdict === 'unknown') return settle(false);
        if (r.verdict === 'linearizable') {
          refuted = false;
          break;
        }
        done.add(k);
      }
      if (refuted) return settle(true);
      if (first === 0) return settle(false);
    }
  };
}
