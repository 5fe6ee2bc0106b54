/**
 * A witness check: a linearization proposed by the system that produced the history,
 * verified in one linear pass.
 *
 * The simulator's clients know where each of their operations took effect: a ZooKeeper
 * answer carries the zxid of the server's last applied txn, a write's its own txn (and
 * an error answer's its error txn), and Paxos answers carry the log index. Ordered by
 * that (`effectAt`, writes before the reads that saw them), the operations of a correct
 * run are a linearization. Wing & Gong's search has to find one among the interleavings
 * of every concurrent call: eighty clients on one key (hand-made mix "crowd", zab 517,
 * 525 operations) ran out of 40 million steps; the witness needs 525.
 *
 * Sound whatever the hint: the order is accepted only if (1) each operation, stepped
 * through the model in that order from the part's initial state, is legal, and (2) it
 * respects real time, i.e. there are nondecreasing points p1 ≤ p2 ≤ … with each pi in
 * its operation's closed interval [callIndex, returnIndex] (greedily: pi = max(pi-1,
 * callIndex) must not pass returnIndex). An operation of unknown outcome (`info`) is left
 * out, which is always allowed: it may never have taken effect. When any `ok` operation
 * has no hint, or the order fails either test, the search decides as before.
 */
import type { Operation } from './history.js';
import type { Model } from './model.js';
import type { SearchBudget } from './search.js';

/** True when the hinted order of `ops` is a linearization from `init`; counts its model steps in `budget`. */
export function witnessHolds<S>(model: Model<S>, ops: readonly Operation[], init: S, budget: SearchBudget): boolean {
  const placed: Operation[] = [];
  for (const op of ops) {
    if (op.type === 'info') continue;
    if (op.effectAt === undefined) return false;
    placed.push(op);
  }
  if (placed.length === 0 || budget.steps + placed.length > budget.maxSteps) return false;
  const readOnly = (op: Operation) => (model.isReadOnly?.(op) === true ? 1 : 0);
  placed.sort((a, b) => a.effectAt! - b.effectAt! || readOnly(a) - readOnly(b) || a.returnIndex - b.returnIndex);
  let state = init;
  let point = -1;
  for (const op of placed) {
    if (op.callIndex > point) point = op.callIndex;
    if (point > op.returnIndex) return false;
    budget.steps++;
    const next = model.step(state, op);
    if (next === undefined) return false;
    state = next;
  }
  return true;
}
