/**
 * A mutual-exclusion lock, for checking lock recipes (ZooKeeper's included).
 *
 * Operations: `acquire` and `release` (values ignored). The state is the holder's
 * process id, or null when free. Like Knossos's mutex, acquiring a held lock and
 * releasing a free one are illegal; unlike it, the holder is tracked, so a release
 * by another process is illegal too ("p1 can't release: held by p0"), and messages
 * name the holder. A process whose acquire ended `info` may hold the lock forever:
 * a lock recipe whose lock outlives its holder (session expiry) must record that
 * release as an operation of the holder's process for this model to accept it.
 */
import type { Operation, ProcessId } from '../history.js';
import type { Model } from '../model.js';
import { hashValue } from '../values.js';

export type MutexState = ProcessId | null;

function who(p: ProcessId): string {
  return typeof p === 'number' ? `p${p}` : p;
}

export interface MutexOptions {
  /** The process holding the lock before the history (default: free, null). */
  readonly initial?: MutexState;
}

export function mutexModel(options: MutexOptions = {}): Model<MutexState> {
  const initial = options.initial ?? null;
  return {
    name: 'mutex',
    dependsOnProcess: true,
    init: () => initial,
    step(state, op) {
      if (op.f === 'acquire') return state === null ? op.process : undefined;
      if (op.f === 'release') return state !== null && state === op.process ? null : undefined;
      return undefined;
    },
    explain(state, op) {
      if (op.f === 'acquire') return `${who(op.process)} can't acquire: held by ${who(state as ProcessId)}`;
      if (state === null) return `${who(op.process)} can't release: the lock is free`;
      return `${who(op.process)} can't release: held by ${who(state)}`;
    },
    hash: hashValue,
    equal: (a, b) => a === b,
    describeState: (s) => (s === null ? 'free' : `held by ${who(s)}`),
    describeOp: (op: Operation) => op.f,
    reachableStates(ops) {
      const holders = new Set<MutexState>([null, initial]);
      for (const op of ops) if (op.f === 'acquire') holders.add(op.process);
      return holders.size <= 64 ? [...holders] : undefined;
    },
    validate: (op) =>
      op.f === 'acquire' || op.f === 'release'
        ? undefined
        : `unknown mutex operation f=${JSON.stringify(op.f)}: expected acquire or release`,
  };
}
