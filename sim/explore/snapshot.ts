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
 * a closure of seedrandom's: they are saved through their own saveState/loadState. So
 * is a trace recorder that keeps no events (its state is counts and a hash; walking it
 * visited its caches and listener lists, a fifth of a world's objects).
 *
 * Components: a world is split into parts (each server's node and storage, and the
 * rest); a snapshot of a component is immutable once taken, so a child state shares
 * the parent's snapshot of every component its step did not touch (structural sharing),
 * and restoring skips a component already in the wanted state.
 */
import { Rng } from '../core/rng.js';
import { TraceRecorder, type RecorderState } from '../core/trace.js';

const KIND_OBJECT = 0;
const KIND_ARRAY = 1;
const KIND_MAP = 2;
const KIND_SET = 3;
const KIND_TYPED = 4;
const KIND_RNG = 5;
/** A plain object (a dictionary, a literal): its set of fields may change, so a restore also deletes fields added since. */
const KIND_PLAIN = 6;
/** A trace recorder that keeps no events: saved through its own saveState/loadState (a few numbers), not walked. */
const KIND_TRACE = 7;

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
  /**
   * An earlier snapshot of the same component (the one last restored or taken): an
   * object whose contents equal what it saved shares its saved record instead of a new
   * copy, and when every object is the same the lists are shared too. A step changes a
   * few objects of a component, so most of a snapshot is shared with its parent's, and
   * the garbage a snapshot leaves is what changed.
   */
  readonly base?: ComponentSnapshot | null;
}

/**
 * The walk's visited marks and stack, reused: one component is walked at a time. An
 * object is visited in this walk when its mark is this walk's number: marks outlive a
 * walk (weakly: they go with their objects), so a walk neither clears a set nor grows
 * one again from empty (a set cleared per snapshot rebuilt its table every time).
 */
const marks = new WeakMap<object, number>();
let walkNumber = 0;
const stack: object[] = [];
/** The walk's kinds, before they are copied into the snapshot's Uint8Array. */
const scratchKinds: number[] = [];

/** Records everything reachable from `roots` (see the file comment). */
export function snapshotComponent(roots: readonly object[], options: SnapshotOptions): ComponentSnapshot {
  const stop = options.stop;
  const base = options.base ?? null;
  const baseObjects = base?.objects ?? [];
  // Sized for base's count (a step adds or removes a few objects): lists grown by push are copied as they grow.
  const hint = base !== null ? base.objects.length : 0;
  const objects: object[] = new Array<object>(hint);
  const keys: (readonly string[] | null)[] = new Array<readonly string[] | null>(hint);
  const values: unknown[] = new Array<unknown>(hint);
  const kinds = scratchKinds;
  let count = 0;
  /** Whether the objects so far are base's, in base's order (then base's lists serve). */
  let sameObjects = base !== null;
  let sameKeys = base !== null;
  /** Where base's order stands against this walk's: a step adds or removes a few objects, and the walk after them is base's, shifted. */
  let shift = 0;
  const walk = ++walkNumber;
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (marks.get(value) === walk || stop.has(value)) return;
    marks.set(value, walk);
    stack.push(value);
  };
  try {
    for (const root of roots) visit(root);
    while (stack.length > 0) {
      const object = stack.pop()!;
      if (Object.isFrozen(object)) {
        // Nothing to restore in it (a frozen constant); what it refers to may still change.
        if (Array.isArray(object)) for (const item of object) visit(item);
        else if (!(object instanceof Map) && !(object instanceof Set)) for (const name of Object.keys(object)) visit((object as Record<string, unknown>)[name]);
        continue;
      }
      const index = count++;
      objects[index] = object;
      // The base's record of this object: where base saw it, base's order shifted by what was added or removed before it.
      let was = -1;
      if (base !== null) {
        if (baseObjects[index + shift] === object) was = index + shift;
        else {
          was = realign(baseObjects, object, index + shift);
          if (was >= 0) shift = was - index;
        }
        if (was !== index) sameObjects = false;
      }
      let kind: number;
      let names: readonly string[] | null = null;
      let saved: unknown;
      if (Array.isArray(object)) {
        kind = KIND_ARRAY;
        const old = was >= 0 ? (base!.values[was] as unknown[]) : null;
        saved = old !== null && arrayHolds(object, old) ? old : object.slice();
        for (let i = 0; i < object.length; i++) visit(object[i]);
      } else if (object instanceof Map) {
        kind = KIND_MAP;
        const old = was >= 0 ? (base!.values[was] as unknown[]) : null;
        if (old !== null && mapHolds(object, old)) {
          saved = old;
          for (let i = 0; i < old.length; i++) visit(old[i]);
        } else {
          const flat: unknown[] = [];
          for (const [key, item] of object) {
            flat.push(key, item);
            visit(key);
            visit(item);
          }
          saved = flat;
        }
      } else if (object instanceof Set) {
        kind = KIND_SET;
        const old = was >= 0 ? (base!.values[was] as unknown[]) : null;
        saved = old !== null && setHolds(object, old) ? old : [...object];
        for (const item of saved as unknown[]) visit(item);
      } else if (ArrayBuffer.isView(object)) {
        kind = KIND_TYPED;
        saved = (object as unknown as { slice(): unknown }).slice();
      } else if (object instanceof Rng) {
        kind = KIND_RNG;
        const old = was >= 0 && base!.kinds[was] === KIND_RNG ? (base!.values[was] as RngPosition) : null;
        // The same count of draws is the same position (restoreComponent relies on it too): no state copied again.
        saved = old !== null && old.draws === object.draws && old.spareNormal === (object as unknown as { spareNormal: number }).spareNormal ? old : rngPosition(object);
      } else if (object instanceof TraceRecorder && !object.keepEvents) {
        kind = KIND_TRACE;
        const old = was >= 0 && base!.kinds[was] === KIND_TRACE ? (base!.values[was] as RecorderState) : null;
        saved = object.saveState(old);
      } else {
        // A class instance has every declared field from its constructor on (ES2022 class fields): its field set is fixed,
        // so one base saw has base's names (restoreComponent relies on the same: it never deletes a class instance's field).
        if (was >= 0 && base!.kinds[was] === KIND_OBJECT) {
          kind = KIND_OBJECT;
          names = base!.keys[was]!;
        } else {
          const proto = Object.getPrototypeOf(object) as unknown;
          kind = proto === Object.prototype || proto === null ? KIND_PLAIN : KIND_OBJECT;
          names = internKeys(proto, Object.keys(object));
        }
        const record = object as Record<string, unknown>;
        const old = was >= 0 && base!.kinds[was] === kind ? (base!.values[was] as unknown[]) : null;
        const oldNames = old !== null ? base!.keys[was] : null;
        if (oldNames !== null && oldNames !== names && sameNames(oldNames, names)) names = oldNames;
        const code = kind === KIND_OBJECT ? fieldCodeOf(names) : null;
        let fields: unknown[];
        if (code !== null) fields = old !== null && oldNames === names && code.holds(record, old) ? old : code.copy(record);
        else if (old !== null && oldNames === names && fieldsHold(record, names, old)) fields = old;
        else {
          fields = new Array<unknown>(names.length);
          for (let i = 0; i < names.length; i++) fields[i] = record[names[i]];
        }
        saved = fields;
        // The saved fields are the object's (held, or just copied): visited from there, with no field looked up by name again.
        for (let i = 0; i < fields.length; i++) visit(fields[i]);
      }
      if (was >= 0 && base!.kinds[was] !== kind) sameObjects = false;
      if (was >= 0 && base!.keys[was] !== names) sameKeys = false;
      kinds[index] = kind;
      keys[index] = names;
      values[index] = saved;
    }
  } finally {
    stack.length = 0;
  }
  objects.length = count;
  keys.length = count;
  values.length = count;
  if (base !== null && sameObjects && count === baseObjects.length) {
    return { objects: base.objects, kinds: base.kinds, keys: sameKeys ? base.keys : keys, values };
  }
  const kindList = new Uint8Array(count);
  for (let i = 0; i < count; i++) kindList[i] = kinds[i];
  return { objects, kinds: kindList, keys, values };
}

/** How far from where it was expected realign() looks for an object in base's order: a step adds or removes a few objects at a time. */
const REALIGN_WINDOW = 16;

/** The index of `object` in base's objects within REALIGN_WINDOW of `expected`, or -1 (an object base did not see nearby: a new one, or moved far). */
function realign(baseObjects: readonly object[], object: object, expected: number): number {
  for (let d = 1; d <= REALIGN_WINDOW; d++) {
    if (baseObjects[expected + d] === object) return expected + d;
    if (expected - d >= 0 && baseObjects[expected - d] === object) return expected - d;
  }
  return -1;
}

function arrayHolds(array: readonly unknown[], saved: readonly unknown[]): boolean {
  if (array.length !== saved.length) return false;
  for (let i = 0; i < saved.length; i++) if (array[i] !== saved[i]) return false;
  return true;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fieldsHold(record: Record<string, unknown>, names: readonly string[], saved: readonly unknown[]): boolean {
  for (let i = 0; i < names.length; i++) if (record[names[i]] !== saved[i]) return false;
  return true;
}

/**
 * A class's fields read and written by name in code made for its field list, instead of
 * by a name held in a variable: a keyed access with a different name at every field is
 * megamorphic (a lookup in V8's stub cache, at worst in the object's dictionary, per
 * field), and it was most of a restore's time (a touched server and the rest are a few
 * hundred objects, every field compared). The made code reads `o["role"]`, a named
 * access with its own inline cache, for one class's objects only. The same semantics:
 * holds() is fieldsHold(), restore() writes what differs, copy() the fields in order.
 */
interface FieldCode {
  holds(record: Record<string, unknown>, saved: readonly unknown[]): boolean;
  restore(record: Record<string, unknown>, saved: readonly unknown[]): void;
  copy(record: Record<string, unknown>): unknown[];
}

/** Per field-name list (one per class, internKeys), its code, or how often it was used before code was made for it. */
const fieldCodes = new WeakMap<readonly string[], FieldCode | number>();
/** A field list's code is made at its this-many-th use: a list met a few times (a class whose fields changed) is not worth compiling. */
const FIELD_CODE_AFTER = 8;
/** False where code cannot be made at run time (a page whose content security policy forbids it): the generic loops serve. */
let canMakeCode = true;

function fieldCodeOf(names: readonly string[]): FieldCode | null {
  const known = fieldCodes.get(names);
  if (typeof known === 'object') return known;
  if (!canMakeCode) return null;
  const uses = (known ?? 0) + 1;
  if (uses < FIELD_CODE_AFTER) {
    fieldCodes.set(names, uses);
    return null;
  }
  const code = makeFieldCode(names);
  if (code === null) {
    canMakeCode = false;
    return null;
  }
  fieldCodes.set(names, code);
  return code;
}

function makeFieldCode(names: readonly string[]): FieldCode | null {
  // JSON.stringify quotes a name as a string literal: o["name"] is a named access whatever the name holds.
  const at = names.map((name) => `o[${JSON.stringify(name)}]`);
  const holds = names.length === 0 ? 'return true;' : `return ${at.map((field, i) => `${field} === s[${i}]`).join(' && ')};`;
  const restore = at.map((field, i) => `if (${field} !== s[${i}]) ${field} = s[${i}];`).join('\n');
  const copy = `return [${at.join(', ')}];`;
  try {
    return {
      holds: new Function('o', 's', `'use strict';\n${holds}`) as FieldCode['holds'],
      restore: new Function('o', 's', `'use strict';\n${restore}`) as FieldCode['restore'],
      copy: new Function('o', `'use strict';\n${copy}`) as FieldCode['copy'],
    };
  } catch {
    return null;
  }
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

/**
 * Writes a component's saved contents back into its objects. Only what differs is
 * written: a step changes a few of a component's objects, and reading an object is much
 * cheaper than rebuilding it (a map cleared and refilled allocates its table again, and
 * every write to a field pays V8's write barrier), so an object already equal to its
 * saved contents is left as it is. With `from`, a snapshot of the same component that it
 * is known to equal now (World's change tracking), an object whose record the two
 * snapshots share is not even read.
 */
export function restoreComponent(snapshot: ComponentSnapshot, from: ComponentSnapshot | null = null): void {
  const { objects, kinds, keys, values } = snapshot;
  // The component is known to be in `from`'s state: where both snapshots hold the same record of an object (shared
  // because the object did not change between them; records are never changed once taken), it already is as saved.
  const known = from !== null && from.objects === objects && from.kinds === kinds ? from : null;
  const knownValues = known !== null ? known.values : null;
  const knownKeys = known !== null ? known.keys : null;
  for (let i = 0; i < objects.length; i++) {
    if (knownValues !== null && knownValues[i] === values[i] && knownKeys![i] === keys[i]) continue;
    const object = objects[i];
    switch (kinds[i]) {
      case KIND_ARRAY: {
        const saved = values[i] as unknown[];
        const array = object as unknown[];
        if (array.length !== saved.length) array.length = saved.length;
        for (let j = 0; j < saved.length; j++) if (array[j] !== saved[j]) array[j] = saved[j];
        break;
      }
      case KIND_MAP: {
        const flat = values[i] as unknown[];
        const map = object as Map<unknown, unknown>;
        if (restoreMapInPlace(map, flat)) break;
        map.clear();
        for (let j = 0; j < flat.length; j += 2) map.set(flat[j], flat[j + 1]);
        break;
      }
      case KIND_SET: {
        const set = object as Set<unknown>;
        const items = values[i] as unknown[];
        if (setHolds(set, items)) break;
        set.clear();
        for (const item of items) set.add(item);
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
      case KIND_TRACE:
        (object as TraceRecorder).loadState(values[i] as RecorderState);
        break;
      case KIND_OBJECT: {
        const names = keys[i]!;
        const fields = values[i] as unknown[];
        const record = object as Record<string, unknown>;
        const code = fieldCodeOf(names);
        if (code !== null) {
          code.restore(record, fields);
          break;
        }
        for (let j = 0; j < names.length; j++) {
          const name = names[j];
          if (record[name] !== fields[j]) record[name] = fields[j];
        }
        break;
      }
      default: {
        const names = keys[i]!;
        const fields = values[i] as unknown[];
        const record = object as Record<string, unknown>;
        // The fields' order is state too (walks and fingerprints read a dictionary in order): a key deleted since, or
        // deleted and added again, would come back at the end, so two equal states would hash apart. Then it is rebuilt.
        if (keysInOrder(record, names)) {
          for (let j = 0; j < names.length; j++) if (record[names[j]] !== fields[j]) record[names[j]] = fields[j];
        } else {
          for (const name of Object.keys(record)) delete record[name];
          for (let j = 0; j < names.length; j++) record[names[j]] = fields[j];
        }
      }
    }
  }
}

/** Whether `record`'s for-in keys are exactly `names`, in that order. */
export function keysInOrder(record: object, names: readonly string[]): boolean {
  let k = 0;
  for (const name in record) {
    if (k >= names.length || names[k] !== name) return false;
    k++;
  }
  return k === names.length;
}

/** Whether a map holds exactly the saved entries, in the saved order (iteration order is state too: walks and hashes see it). */
function mapHolds(map: Map<unknown, unknown>, flat: readonly unknown[]): boolean {
  if (map.size * 2 !== flat.length) return false;
  let j = 0;
  for (const [key, item] of map) {
    if (key !== flat[j] || item !== flat[j + 1]) return false;
    j += 2;
  }
  return true;
}

/** Keys a step added to a map, to delete (reused). */
const extraKeys: unknown[] = [];

/**
 * Puts a map back into the saved entries without rebuilding it, when the map's first
 * keys are the saved keys in the saved order: values that differ are set (a key keeps
 * its place), keys added after them are deleted. What a step does to a map is mostly
 * that (a counter moved, an entry added); clearing and refilling allocates the map's
 * table again. False: the keys are not in that shape (nothing was changed).
 */
function restoreMapInPlace(map: Map<unknown, unknown>, flat: readonly unknown[]): boolean {
  if (map.size * 2 < flat.length) return false;
  let j = 0;
  for (const key of map.keys()) {
    if (j >= flat.length) extraKeys.push(key);
    else if (key !== flat[j]) {
      extraKeys.length = 0;
      return false;
    }
    j += 2;
  }
  for (let i = 0; i < flat.length; i += 2) if (map.get(flat[i]) !== flat[i + 1]) map.set(flat[i], flat[i + 1]);
  for (const key of extraKeys) map.delete(key);
  extraKeys.length = 0;
  return true;
}

/** Whether a set holds exactly the saved items, in the saved order. */
function setHolds(set: Set<unknown>, items: readonly unknown[]): boolean {
  if (set.size !== items.length) return false;
  let j = 0;
  for (const item of set) if (item !== items[j++]) return false;
  return true;
}

/**
 * Where two snapshots of one component differ (tests: a snapshot taken as still true
 * against the component walked again, World's checkInPlace), or null: the same objects
 * in the same order, each with the same saved contents (references compared, numbers
 * by Object.is; generators by position; recorders by counts and hash).
 */
export function differenceBetween(a: ComponentSnapshot, b: ComponentSnapshot): string | null {
  const name = (object: object) => (Array.isArray(object) ? 'an array' : `a ${(object.constructor as { name?: string } | undefined)?.name ?? 'null-prototype object'}`);
  const count = Math.min(a.objects.length, b.objects.length);
  for (let i = 0; i < count; i++) {
    const object = b.objects[i];
    if (a.objects[i] !== object) return `object #${i} is ${name(object)}, was ${name(a.objects[i])} (objects added, removed or reached otherwise)`;
    if (a.kinds[i] !== b.kinds[i]) return `object #${i} (${name(object)}) is saved as another kind`;
    const was = a.values[i];
    const now = b.values[i];
    switch (b.kinds[i]) {
      case KIND_RNG: {
        const p = was as RngPosition;
        const q = now as RngPosition;
        if (p.draws !== q.draws || !Object.is(p.spareNormal, q.spareNormal)) return `object #${i} (a random stream) moved from draw ${p.draws} to ${q.draws}`;
        break;
      }
      case KIND_TRACE: {
        const p = was as RecorderState;
        const q = now as RecorderState;
        if (p.count !== q.count || p.heard !== q.heard || p.h1 !== q.h1 || p.h2 !== q.h2) return `object #${i} (the trace recorder) went from ${p.count} events to ${q.count}`;
        break;
      }
      default: {
        const p = was as ArrayLike<unknown>;
        const q = now as ArrayLike<unknown>;
        const names = b.keys[i];
        if (p.length !== q.length) return `object #${i} (${name(object)}) has ${q.length} entries, had ${p.length}`;
        for (let j = 0; j < p.length; j++) {
          if (!Object.is(p[j], q[j])) return `object #${i} (${name(object)}) changed at ${names !== null ? `field ${names[j]}` : `entry ${j}`}`;
        }
        if (names !== null && a.keys[i] !== null && !sameNames(a.keys[i]!, names)) return `object #${i} (${name(object)}) has other fields`;
      }
    }
  }
  if (a.objects.length !== b.objects.length) return `${b.objects.length} objects reached, ${a.objects.length} were`;
  return null;
}
