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
 * 525 operations) ran out of 40 million steps; one pass of the witness decides it (a
 * budget of 1,100 model steps suffices).
 *
 * Sound whatever the hint: the order is accepted only if (1) each operation, stepped
 * through the model in that order from the part's initial state, is legal, and (2) it
 * respects real time, i.e. there are nondecreasing points p1 ≤ p2 ≤ … with each pi in
 * its operation's closed interval [callIndex, returnIndex] (greedily: pi = max(pi-1,
 * callIndex) must not pass returnIndex). An operation of unknown outcome (`info`) may
 * take effect at any point after its call, or never: one with a hint is placed there if
 * the model accepts it and left out otherwise; one without a hint is kept aside and
 * placed just before an operation the model would refuse, when that makes it legal (a
 * write the client never heard back about, that a later answer proves took effect). When
 * any `ok` operation has no hint, or the order fails either test, the search decides as
 * before.
 */
import type { Operation } from './history.js';
import type { Model } from './model.js';
import type { SearchBudget } from './search.js';

/** True when the hinted order of `ops` is a linearization from `init`; counts its model steps in `budget`. */
export function witnessHolds<S>(model: Model<S>, ops: readonly Operation[], init: S, budget: SearchBudget): boolean {
  const placed: Operation[] = [];
  const spare: Operation[] = [];
  const readOnly = (op: Operation) => (model.isReadOnly?.(op) === true ? 1 : 0);
  // A hint names one txn (zxid, log index), and a txn is the effect of one request: an
  // answered write that carries it owns it. An operation of unknown outcome hinted at the
  // same place (the run hints it by its data's commit, and a retried request writes the
  // same data: a lost protected create and its retry, queue zab/paxos runs) is not that
  // txn, so it is kept aside as an unhinted one, not placed first there, where the
  // answered write that follows would find the state already changed (a sequential
  // name one higher) and the witness would fail for a correct run.
  const owned = new Set<number>();
  for (const op of ops) if (op.type === 'ok' && op.effectAt !== undefined && readOnly(op) === 0) owned.add(op.effectAt);
  for (const op of ops) {
    if (op.effectAt !== undefined && !(op.type === 'info' && owned.has(op.effectAt))) placed.push(op);
    else if (op.type === 'info') spare.push(op);
    else return false;
  }
  if (placed.length === 0 || budget.steps + 2 * placed.length > budget.maxSteps) return false;
  placed.sort((a, b) => a.effectAt! - b.effectAt! || readOnly(a) - readOnly(b) || a.returnIndex - b.returnIndex);
  const used = new Array<boolean>(spare.length).fill(false);
  const stepLimit = budget.maxSteps;
  let state = init;
  let point = -1;
  for (const op of placed) {
    let at = Math.max(point, op.callIndex);
    if (op.type === 'ok' && at > op.returnIndex) return false;
    if (++budget.steps > stepLimit) return false;
    let next = model.step(state, op);
    if (next === undefined) {
      if (op.type === 'info') continue; // it never took effect
      // An unplaced operation of unknown outcome, called by then, that makes this one legal.
      for (let k = 0; k < spare.length && next === undefined; k++) {
        const s = spare[k];
        if (used[k] || Math.max(point, s.callIndex) > op.returnIndex) continue;
        if ((budget.steps += 2) > stepLimit) return false;
        const between = model.step(state, s);
        const after = between === undefined ? undefined : model.step(between, op);
        if (after === undefined) continue;
        used[k] = true;
        next = after;
        at = Math.max(at, s.callIndex);
      }
      if (next === undefined) return false;
    }
    point = at;
    state = next;
  }
  return true;
}
