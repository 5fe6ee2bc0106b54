/**
 * A set of registers updated by transactions, with Knossos's semantics
 * (knossos.model/multi-register).
 *
 * Operations: `f = "txn"`, value: a list of micro-operations `[f, key, value]`:
 * `["read", "x", 1]` reads 1 from x (a read of nil/null matches anything),
 * `["write", "y", 2]` writes 2 to y. In EDN: `{:f :txn, :value [[:read :x nil] [:write :y 2]]}`.
 * A transaction applies its micro-operations in order, atomically. Every key starts nil
 * unless `initial` gives it a value, as Knossos's `(multi-register {:x 0 :y 0})` does.
 *
 * Partition: transactions touching a common key are connected; each connected group
 * of keys is an independent object (linearizability is local), checked on its own.
 */
import { effectiveValue, type Operation } from '../history.js';
import type { Model, ModelPart } from '../model.js';
import { hashString, hashValue, mix32, showValue, valueKey, valuesEqual } from '../values.js';

type Micro = readonly [string, unknown, unknown];

/** State: canonical key (JSON text of the key) → value; absent = nil. Never mutated. */
export type MultiRegisterState = ReadonlyMap<string, unknown>;

function micros(op: Operation): readonly Micro[] {
  return effectiveValue(op) as readonly Micro[];
}

function keyOf(k: unknown): string {
  return valueKey(k);
}

function showKey(canonical: string): string {
  return canonical.startsWith('"') ? (JSON.parse(canonical) as string) : canonical;
}

function apply(state: MultiRegisterState, op: Operation): MultiRegisterState | string {
  let next: Map<string, unknown> | undefined;
  for (const [f, k, v] of micros(op)) {
    const key = keyOf(k);
    const cur = next ? next.get(key) : state.get(key);
    if (f === 'read') {
      if (v !== null && v !== undefined && !valuesEqual(v, cur ?? null)) {
        return `can't read ${showValue(v)} from ${showKey(key)}, which holds ${showValue(cur ?? null)}`;
      }
    } else {
      next ??= new Map(state);
      if (v === null || v === undefined) next.delete(key);
      else next.set(key, v);
    }
  }
  return next ?? state;
}

function stateHash(state: MultiRegisterState): number {
  let h = 0x6a09e667 ^ state.size;
  for (const [k, v] of state) h ^= mix32(hashString(k) + Math.imul(hashValue(v), 0x9e3779b1));
  return h;
}

function statesEqual(a: MultiRegisterState, b: MultiRegisterState): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    if (!b.has(k) || !valuesEqual(v, b.get(k))) return false;
  }
  return true;
}

function describe(state: MultiRegisterState): string {
  if (state.size === 0) return '{}';
  const parts = [...state.keys()].sort().map((k) => `${showKey(k)}=${showValue(state.get(k))}`);
  return `{${parts.join(', ')}}`;
}

function find(parent: Map<string, string>, k: string): string {
  let r = k;
  while (parent.get(r) !== r) r = parent.get(r) as string;
  let c = k;
  while (c !== r) {
    const n = parent.get(c) as string;
    parent.set(c, r);
    c = n;
  }
  return r;
}

function partitionByKeys(ops: readonly Operation[], initial: MultiRegisterState): ModelPart<MultiRegisterState>[] {
  const parent = new Map<string, string>();
  for (const op of ops) {
    let first: string | undefined;
    for (const [, k] of micros(op)) {
      const key = keyOf(k);
      if (!parent.has(key)) parent.set(key, key);
      if (first === undefined) first = key;
      else parent.set(find(parent, key), find(parent, first));
    }
  }
  const groups = new Map<string, { keys: Set<string>; ops: Operation[] }>();
  for (const op of ops) {
    const ms = micros(op);
    const root = ms.length === 0 ? '' : find(parent, keyOf(ms[0][1]));
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { keys: new Set(), ops: [] }));
    for (const [, k] of ms) g.keys.add(keyOf(k));
    g.ops.push(op);
  }
  return [...groups.values()].map((g) => ({
    key: g.keys.size === 0 ? 'empty transactions' : `keys ${[...g.keys].sort().map(showKey).join(', ')}`,
    ops: g.ops,
    // Each part starts from the initial values of its own keys.
    init: new Map([...initial].filter(([k]) => g.keys.has(k))),
  }));
}

export interface MultiRegisterOptions {
  /** Each key's value before the history (a key absent or null starts nil). */
  readonly initial?: Readonly<Record<string, unknown>>;
}

export function multiRegisterModel(options: MultiRegisterOptions = {}): Model<MultiRegisterState> {
  const initial: MultiRegisterState = new Map(Object.entries(options.initial ?? {}).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [keyOf(k), v]));
  return {
    name: 'multi-register',
    init: () => initial,
    step(state, op) {
      const r = apply(state, op);
      return typeof r === 'string' ? undefined : r;
    },
    explain(state, op) {
      const r = apply(state, op);
      return typeof r === 'string' ? r : 'the transaction applies';
    },
    hash: stateHash,
    equal: statesEqual,
    describeState: describe,
    describeOp(op) {
      const parts = micros(op).map(([f, k, v]) =>
        f === 'read' ? `r ${showKey(keyOf(k))} ${v === null || v === undefined ? '?' : showValue(v)}` : `w ${showKey(keyOf(k))} ${showValue(v)}`,
      );
      return `txn [${parts.join(', ')}]`;
    },
    stateData(state) {
      const out: Record<string, unknown> = {};
      for (const k of [...state.keys()].sort()) out[showKey(k)] = state.get(k);
      return out;
    },
    validate(op) {
      if (op.f !== 'txn') return `unknown multi-register operation f=${JSON.stringify(op.f)}: expected txn`;
      const ms = effectiveValue(op);
      if (!Array.isArray(ms)) return `txn value must be a list of [f, key, value], got ${showValue(ms)}`;
      for (const m of ms) {
        if (!Array.isArray(m) || m.length !== 3 || (m[0] !== 'read' && m[0] !== 'write')) {
          return `txn micro-operation must be [read|write, key, value], got ${showValue(m)}`;
        }
      }
      return undefined;
    },
    isReadOnly: (op) => micros(op).every(([f]) => f === 'read'),
    partition: (ops) => partitionByKeys(ops, initial),
  };
}
