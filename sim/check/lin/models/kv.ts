/**
 * A key-value store of strings, partitioned per key: Porcupine's kv model (its kv test
 * logs, `test_data/kv/*.txt`), and Jepsen's independent keys.
 *
 * Operations: `get`, `put`, `append` (also `read` and `write`), each on a key. The key
 * comes with the operation as Jepsen's independent tuple, value `[key, v]`; in EDN, a
 * `:key` field is folded into that tuple, so Porcupine's lines
 * `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}` read as they are.
 * A key starts as the empty string, as in Porcupine (or as `initial` says); a get must
 * return the key's value (nil reads as the empty string), a put replaces it, an append
 * concatenates to it.
 *
 * Partition: one part per key (linearizability is local), so a history of many keys is
 * many small searches, as Porcupine's Partition does.
 */
import { effectiveValue, type Operation } from '../history.js';
import type { Model, ModelPart } from '../model.js';
import { hashValue, showValue, valueKey } from '../values.js';

export interface KvOptions {
  /** Each key's value before the history (default: the empty string). */
  readonly initial?: Readonly<Record<string, unknown>>;
}

function keyValue(op: Operation): readonly [unknown, unknown] {
  return effectiveValue(op) as readonly [unknown, unknown];
}

const keyName = (k: unknown): string => (typeof k === 'string' ? k : typeof k === 'bigint' ? k.toString() : valueKey(k));
const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : valueKey(v));

export function kvModel(options: KvOptions = {}): Model<string> {
  const initial = new Map(Object.entries(options.initial ?? {}).map(([k, v]) => [k, text(v)]));
  const apply = (state: string, op: Operation): string | undefined => {
    const [, v] = keyValue(op);
    switch (op.f) {
      case 'get':
      case 'read':
        return text(v) === state ? state : undefined;
      case 'put':
      case 'write':
        return text(v);
      case 'append':
        return state + text(v);
      default:
        return undefined;
    }
  };
  return {
    name: 'kv',
    init: () => '',
    step: apply,
    explain(state, op) {
      const [k, v] = keyValue(op);
      return `can't get ${showValue(text(v))} from key ${keyName(k)}, which holds ${showValue(state)}`;
    },
    hash: hashValue,
    equal: (a, b) => a === b,
    describeState: (s) => showValue(s),
    describeOp(op) {
      const [k, v] = keyValue(op);
      return op.f === 'get' || op.f === 'read' ? `get(${keyName(k)}) -> ${showValue(text(v))}` : `${op.f}(${keyName(k)}, ${showValue(text(v))})`;
    },
    validate(op) {
      if (!['get', 'put', 'append', 'read', 'write'].includes(op.f)) return `unknown kv operation f=${JSON.stringify(op.f)}: expected get, put or append`;
      const kv = effectiveValue(op);
      if (!Array.isArray(kv) || kv.length !== 2) return `a kv operation's value is [key, value] (or EDN :key with :value), got ${showValue(kv)}`;
      return undefined;
    },
    isReadOnly: (op) => op.f === 'get' || op.f === 'read',
    partition(ops): ModelPart<string>[] {
      const byKey = new Map<string, Operation[]>();
      for (const op of ops) {
        const key = keyName(keyValue(op)[0]);
        let part = byKey.get(key);
        if (part === undefined) byKey.set(key, (part = []));
        part.push(op);
      }
      return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, part]) => ({ key: `key ${key}`, ops: part, init: initial.get(key) ?? '' }));
    },
  };
}
