/**
 * The model interface: a sequential specification of an object, as a plain object of
 * pure functions. The checker asks whether some order of the history's operations,
 * consistent with real time, is a legal sequential execution of the model.
 *
 * To add a model, write an object with `init`, `step`, `explain`, `hash`, `equal`,
 * `describeState` and `describeOp` (see models/register.ts for a small example), and
 * optionally `partition` when the history splits into independent objects.
 *
 * States must be immutable values: `step` returns a new state (or the same one when
 * nothing changes) and never mutates its argument, because the search keeps old states
 * to backtrack to and memoizes them.
 */
import type { Operation } from './history.js';

/** One independent part of a history (P-compositionality). */
export interface ModelPart<S> {
  /** Human-readable name of the part, e.g. `key "x"` or `children of /locks`. */
  readonly key: string;
  /** The part's operations, in invocation order. */
  readonly ops: Operation[];
  /** The part's initial state; `model.init()` when absent. */
  readonly init?: S;
}

export interface Model<S = unknown> {
  /** Registry name, e.g. "cas-register". */
  readonly name: string;
  /** Initial state of the object. */
  init(): S;
  /**
   * Applies `op` to `state`: the new state, or `undefined` when `op` cannot take effect
   * in `state` (e.g. a read that returned 3 when the register holds 4). An `info`
   * operation's result is unknown (`op.completeValue` is undefined): apply its effect.
   * Never returns `undefined` as a legal state. Must be pure and fast: it is the
   * search's inner loop.
   */
  step(state: S, op: Operation): S | undefined;
  /** Why `step(state, op)` is `undefined`, e.g. "can't read 3 from register 4". */
  explain(state: S, op: Operation): string;
  /** 32-bit hash of a state, consistent with `equal`. */
  hash(state: S): number;
  equal(a: S, b: S): boolean;
  /** Short text of a state, e.g. "4" or "held by p1". */
  describeState(state: S): string;
  /** Short text of an operation without its process, e.g. "read 3", "cas 1→2". */
  describeOp(op: Operation): string;
  /** A JSON-serializable form of a state for the browser lab (default: the state). */
  stateData?(state: S): unknown;
  /** Shape check of an operation; a message means the history is malformed for this model. */
  validate?(op: Operation): string | undefined;
  /**
   * True when `step` and `explain` look at `op.process`. Otherwise the checker may
   * treat indeterminate operations that differ only in their process as interchangeable.
   */
  readonly dependsOnProcess?: boolean;
  /**
   * True when `op` never changes the state. Such an operation with an unknown outcome
   * (`info`) constrains nothing, so the checker drops it.
   */
  isReadOnly?(op: Operation): boolean;
  /**
   * A finite set of states containing every state reachable from any state by any
   * sequence of these operations, and the initial state (e.g. for a register: the
   * initial value and every value written). Optional: when present and small, the
   * checker can prove a violation from a window of the history around it instead of
   * exhausting every order since the start (see refute.ts). Return undefined when the
   * set would be large.
   */
  reachableStates?(ops: readonly Operation[], init: S): S[] | undefined;
  /**
   * Splits the operations into independent parts (P-compositionality: the history is
   * linearizable iff every part is). Each operation goes to exactly one part. Absent:
   * one part holding everything.
   */
  partition?(ops: readonly Operation[]): ModelPart<S>[];
}

/** A model whose state type is erased, for registries and options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = Model<any>;
