/**
 * Snapshots of a live object graph, restored in place (a memento): what lets the
 * explorer make a state's successors from the state itself instead of replaying its
 * path from the root (RaftScope's checkpoint store, Stateright's cloned states, for a
 * world whose parts hold each other and closures).
 *
 * A snapshot walks every object reachable from its roots through own enumerable fields,
 * array elements, map and set entries, and records each object's contents (shallowly:
 * references stay references). Restoring writes those contents back into the SAME
 * objects, so every reference into the graph, closures included, stays valid: a
 * closure that captured the cluster or a client sees the restored object. Objects made
 * after the snapshot are dropped with the fields that held them.
 *
 * What a walk cannot see, and so what may not hold state: variables captured by
 * closures (a `let` in a factory). The modules an explored world runs keep their state
 * in fields for this reason (the workload's counters, the invariant checkers, the
 * cluster's disk queue); test/explore/snapshot.test.ts checks restored worlds against
 * replayed ones, state by state. Seeded generators (core/rng.ts) keep their position in
 * a closure of seedrandom's: they are saved through their own saveState/loadState.
 *
 * Components: a world is split into parts (each server's node and storage, and the
 * rest); a snapshot of a component is immutable once taken, so a child state shares
 * the parent's snapshot of every component its step did not touch (structural sharing),
 * and restoring skips a component already in the wanted state.
 */
import { Rng } from '../core/rng.js';

const KIND_OBJECT = 0;
const KIND_ARRAY = 1;
const KIND_MAP = 2;
const KIND_SET = 3;
const KIND_TYPED = 4;
const KIND_RNG = 5;
/** A plain object (a dictionary, a literal): its set of fields may change, so a restore also deletes fields added since. */
const KIND_PLAIN = 6;

/** The saved contents of one component: parallel arrays, one entry per object. */
export interface ComponentSnapshot {
  readonly objects: readonly object[];
  readonly kinds: Uint8Array;
  /** Per object: field names (objects), or null. */
  readonly keys: readonly (readonly string[] | null)[];
  /** Per object: field values, elements, flattened map entries, set items, typed-array copy, or rng position. */
  readonly values: readonly unknown[];
}

export interface SnapshotOptions {
  /** Never walked (immutable inputs, or objects another component owns). */
  readonly stop: ReadonlySet<object>;
}

/** Records everything reachable from `roots` (see the file comment). */
export function snapshotComponent(roots: readonly object[], options: SnapshotOptions): ComponentSnapshot {
  const stop = options.stop;
  const seen = new Set<object>();
  const objects: object[] = [];
  const kinds: number[] = [];
  const keys: (string[] | null)[] = [];
  const values: unknown[] = [];
  const stack: object[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (seen.has(value) || stop.has(value)) return;
    seen.add(value);
    stack.push(value);
  };
  for (const root of roots) visit(root);
  while (stack.length > 0) {
    const object = stack.pop()!;
    if (Object.isFrozen(object)) {
      // Nothing to restore in it (a frozen constant); what it refers to may still change.
      if (Array.isArray(object)) for (const item of object) visit(item);
      else if (!(object instanceof Map) && !(object instanceof Set)) for (const name of Object.keys(object)) visit((object as Record<string, unknown>)[name]);
      continue;
    }
    objects.push(object);
    if (Array.isArray(object)) {
      kinds.push(KIND_ARRAY);
      keys.push(null);
      values.push(object.slice());
      for (let i = 0; i < object.length; i++) visit(object[i]);
    } else if (object instanceof Map) {
      kinds.push(KIND_MAP);
      keys.push(null);
      const flat: unknown[] = [];
      for (const [key, item] of object) {
        flat.push(key, item);
        visit(key);
        visit(item);
      }
      values.push(flat);
    } else if (object instanceof Set) {
      kinds.push(KIND_SET);
      keys.push(null);
      const items = [...object];
      values.push(items);
      for (const item of items) visit(item);
    } else if (ArrayBuffer.isView(object)) {
      kinds.push(KIND_TYPED);
      keys.push(null);
      values.push((object as unknown as { slice(): unknown }).slice());
    } else if (object instanceof Rng) {
      kinds.push(KIND_RNG);
      keys.push(null);
      values.push(rngPosition(object));
    } else {
      // A class instance has every declared field from its constructor on (ES2022 class fields): its field set is fixed.
      const proto = Object.getPrototypeOf(object) as unknown;
      kinds.push(proto === Object.prototype || proto === null ? KIND_PLAIN : KIND_OBJECT);
      const names = internKeys(proto, Object.keys(object));
      const record = object as Record<string, unknown>;
      const fields = new Array<unknown>(names.length);
      for (let i = 0; i < names.length; i++) {
        const field = record[names[i]];
        fields[i] = field;
        visit(field);
      }
      keys.push(names);
      values.push(fields);
    }
  }
  return { objects, kinds: Uint8Array.from(kinds), keys, values };
}

/** Per class, its instances' field names as last seen: snapshots share one array instead of keeping a copy per object. */
const keysOfClass = new WeakMap<object, string[]>();

function internKeys(proto: unknown, names: string[]): string[] {
  if (typeof proto !== 'object' || proto === null || proto === Object.prototype) return names;
  const known = keysOfClass.get(proto);
  if (known !== undefined && known.length === names.length) {
    let same = true;
    for (let i = 0; i < names.length && same; i++) same = known[i] === names[i];
    if (same) return known;
  }
  keysOfClass.set(proto, names);
  return names;
}

interface RngPosition {
  draws: number;
  spareNormal: number;
  state: ReturnType<Rng['saveState']>;
}

function rngPosition(rng: Rng): RngPosition {
  const fields = rng as unknown as { spareNormal: number };
  return { draws: rng.draws, spareNormal: fields.spareNormal, state: rng.saveState() };
}

/** Writes a component's saved contents back into its objects. */
export function restoreComponent(snapshot: ComponentSnapshot): void {
  const { objects, kinds, keys, values } = snapshot;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i];
    switch (kinds[i]) {
      case KIND_ARRAY: {
        const saved = values[i] as unknown[];
        const array = object as unknown[];
        array.length = saved.length;
        for (let j = 0; j < saved.length; j++) array[j] = saved[j];
        break;
      }
      case KIND_MAP: {
        const flat = values[i] as unknown[];
        const map = object as Map<unknown, unknown>;
        map.clear();
        for (let j = 0; j < flat.length; j += 2) map.set(flat[j], flat[j + 1]);
        break;
      }
      case KIND_SET: {
        const set = object as Set<unknown>;
        set.clear();
        for (const item of values[i] as unknown[]) set.add(item);
        break;
      }
      case KIND_TYPED:
        (object as unknown as { set(from: unknown): void }).set(values[i]);
        break;
      case KIND_RNG: {
        const rng = object as Rng;
        const position = values[i] as RngPosition;
        // The stream is a function of the seed: the same count of draws is the same position.
        if (rng.draws !== position.draws) rng.loadState(position.state);
        rng.draws = position.draws;
        (rng as unknown as { spareNormal: number }).spareNormal = position.spareNormal;
        break;
      }
      case KIND_OBJECT: {
        const names = keys[i]!;
        const fields = values[i] as unknown[];
        const record = object as Record<string, unknown>;
        for (let j = 0; j < names.length; j++) record[names[j]] = fields[j];
        break;
      }
      default: {
        const names = keys[i]!;
        const fields = values[i] as unknown[];
        const record = object as Record<string, unknown>;
        for (let j = 0; j < names.length; j++) record[names[j]] = fields[j];
        // A field added since the snapshot goes (a dictionary's new key).
        let count = 0;
        for (const name in record) if (Object.prototype.hasOwnProperty.call(record, name)) count++;
        if (count !== names.length) {
          const wanted = new Set(names);
          for (const name of Object.keys(record)) if (!wanted.has(name)) delete record[name];
        }
      }
    }
  }
}
