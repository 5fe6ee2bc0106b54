/**
 * Single registers, with Knossos's semantics (knossos.model/register, cas-register).
 *
 * Operations (value = the invocation's argument; an `ok` operation's value is filled in
 * from its completion, as Knossos does):
 * - `read`  — value: the value read. A read of nil/null matches any state (an
 *             invocation whose result is unknown, as Knossos treats `:value nil`).
 * - `write` — value: the value written.
 * - `cas`   — value: `[old, new]`; takes effect only if the register holds `old`
 *             (cas-register only). A compare-and-set that found another value is a
 *             `fail` in Jepsen histories, so it is dropped before checking.
 *
 * The state is the register's value; the initial value is nil (null) unless given.
 */
import { effectiveValue, type Operation } from '../history.js';
import type { Model } from '../model.js';
import { hashValue, showValue, valueKey, valuesEqual } from '../values.js';

export interface RegisterOptions {
  /** Initial value (default null, Knossos's nil). */
  readonly initial?: unknown;
}

/** Above this many distinct values, local refutation is not worth it. */
const MAX_REACHABLE_STATES = 64;

function casPair(op: Operation): readonly [unknown, unknown] {
  return effectiveValue(op) as readonly [unknown, unknown];
}

function makeRegister(name: string, allowCas: boolean, options: RegisterOptions): Model<unknown> {
  const allowed = allowCas ? 'read, write or cas' : 'read or write';
  const initial = options.initial ?? null;
  return {
    name,
    init: () => initial,
    step(state, op) {
      switch (op.f) {
        case 'read': {
          const v = effectiveValue(op);
          return v === null || valuesEqual(v, state) ? state : undefined;
        }
        case 'write':
          return effectiveValue(op) ?? null;
        case 'cas': {
          const [from, to] = casPair(op);
          return valuesEqual(from, state) ? (to ?? null) : undefined;
        }
        case 'cas-false':
          // A cas that ran and returned false (zablab check --failed-ops porcupine): the
          // register did not hold `from` when it ran, and is unchanged.
          return allowCas && !valuesEqual(casPair(op)[0], state) ? state : undefined;
        default:
          return undefined;
      }
    },
    explain(state, op) {
      switch (op.f) {
        case 'read':
          return `can't read ${showValue(effectiveValue(op))} from register ${showValue(state)}`;
        case 'cas': {
          const [from, to] = casPair(op);
          return `can't CAS register ${showValue(state)} from ${showValue(from)} to ${showValue(to)}`;
        }
        case 'cas-false':
          return `cas from ${showValue(casPair(op)[0])} returned false, but the register holds ${showValue(state)}`;
        default:
          return `${op.f} is not a ${name} operation`;
      }
    },
    hash: hashValue,
    equal: valuesEqual,
    describeState: (state) => showValue(state),
    describeOp(op) {
      const v = effectiveValue(op);
      switch (op.f) {
        case 'read':
          return v === null ? 'read ?' : `read ${showValue(v)}`;
        case 'cas': {
          const [from, to] = casPair(op);
          return `cas ${showValue(from)}→${showValue(to)}`;
        }
        case 'cas-false': {
          const [from, to] = casPair(op);
          return `cas ${showValue(from)}→${showValue(to)} returned false`;
        }
        default:
          return `${op.f} ${showValue(v)}`;
      }
    },
    validate(op) {
      if (op.f === 'read' || op.f === 'write') return undefined;
      if ((op.f === 'cas' || op.f === 'cas-false') && allowCas) {
        const v = effectiveValue(op);
        if (!Array.isArray(v) || v.length !== 2) return `cas value must be a pair [old, new], got ${showValue(v)}`;
        return undefined;
      }
      return `unknown ${name} operation f=${JSON.stringify(op.f)}: expected ${allowed}`;
    },
    // A cas that returned false changed nothing, like a read.
    isReadOnly: (op) => op.f === 'read' || op.f === 'cas-false',
    reachableStates(ops, init) {
      const states: unknown[] = [init];
      const seen = new Set<unknown>([init]);
      for (const op of ops) {
        if (op.f === 'read' || op.f === 'cas-false') continue;
        const v = op.f === 'cas' ? (casPair(op)[1] ?? null) : (effectiveValue(op) ?? null);
        const key = typeof v === 'object' && v !== null ? valueKey(v) : v;
        if (seen.has(key)) continue;
        seen.add(key);
        states.push(v);
        if (states.length > MAX_REACHABLE_STATES) return undefined;
      }
      return states;
    },
  };
}

/** A read/write register (Knossos `register`). */
export function registerModel(options: RegisterOptions = {}): Model<unknown> {
  return makeRegister('register', false, options);
}

/** A read/write/compare-and-set register (Knossos `cas-register`). */
export function casRegisterModel(options: RegisterOptions = {}): Model<unknown> {
  return makeRegister('cas-register', true, options);
}
