/**
 * ZooKeeper's data tree, as seen by clients: per znode, existence, data and version;
 * per parent, the children and the child-change counter (cversion) that names
 * sequential nodes.
 *
 * ## Operations (what the simulator's ZooKeeper client records)
 *
 * | f             | invocation value                          | completion value (type ok)                          |
 * |---------------|-------------------------------------------|-----------------------------------------------------|
 * | `create`      | `{path, data, sequential?: boolean}`      | the created path, or `"NODEEXISTS"` / `"NONODE"`    |
 * | `delete`      | `{path, version}` (-1 or absent: any)     | `null` / `true` / `"ok"`, or `"NONODE"` / `"BADVERSION"` / `"NOTEMPTY"` |
 * | `setData`     | `{path, data, version}` (-1 or absent: any) | the new version (a number; `null` = not checked), or `"NONODE"` / `"BADVERSION"` |
 * | `getData`     | `{path}`                                  | `{data, version}` (version optional), or `"NONODE"` |
 * | `exists`      | `{path}`                                  | `true` / `false` (or a stat `{version}` / `null`)   |
 * | `getChildren` | `{path}`                                  | the children's names (any order), or `"NONODE"`     |
 *
 * A sequential create's `path` is the prefix; ZooKeeper appends the parent's cversion
 * as ten digits ("/q/lock-0000000003"). The cversion counts the children created, not
 * the deleted ones: ZooKeeper stopped bumping it on delete in 3.4 (ZOOKEEPER-1046,
 * DataTree.deleteNode), so create, create, delete, create-sequential names …0000000002. Error names are compared case-insensitively
 * ignoring punctuation ("NoNode", "NO_NODE"); the store's `{ok: false, code}` and
 * `{ok: true, path | stat | data | children}` results are accepted too.
 *
 * An `ok` completion with a ZooKeeper error is a definite operation: it happened, and
 * the state must explain the error (create returning NODEEXISTS means the node existed
 * at that instant). Connection loss and timeouts are `info`; refused requests are `fail`.
 * Ephemeral nodes are treated as persistent: deletions by session expiry are not
 * operations, so histories that rely on them must record them.
 *
 * The tree starts with only the root "/" (data null), unless `initial` says otherwise.
 *
 * ## Partition: per parent directory
 *
 * An operation on path p belongs to p's parent directory; getChildren(d) belongs to d.
 * That keeps getChildren and sequential names exact, since both depend on all of a
 * directory's children. Two facts cross directories: a create or getChildren under d
 * needs d to exist (d's existence belongs to d's parent), and deleting d needs d to be
 * childless. Directory d's part is checked alone when d's existence cannot change while
 * its operations run (no create/delete of d, or all of them completed, in a definite
 * real-time order, before the first operation under d) and no delete of d races with
 * creates/deletes under d; otherwise d's part is merged with its parent's. In the
 * usual workload (create the directories, then work inside them) every directory is
 * its own part.
 */
import type { Operation } from '../history.js';
import type { Model, ModelPart } from '../model.js';
import { hashString, hashValue, mix32, showValue, valuesEqual } from '../values.js';

export interface ZNode {
  readonly data: unknown;
  readonly version: number;
  /** Children created so far (deletes do not count, ZOOKEEPER-1046): the next sequential suffix. */
  readonly cversion: number;
  readonly numChildren: number;
}

/** One znode's share of a tree's hash: the tree's hash XORs them, so an edit updates it in O(1). */
function nodeHashOf(path: string, n: ZNode): number {
  const nodeHash = mix32(hashValue(n.data) + Math.imul(n.version, 0x27d4eb2f) + Math.imul(n.cversion, 0x165667b1) + n.numChildren);
  return mix32(hashString(path) + Math.imul(nodeHash, 0x9e3779b1));
}

/**
 * An immutable set of znodes (path → node), with a cached hash. The hash is the XOR of
 * the nodes' shares (and the size), so a tree made from another by a few edits gets it
 * from its parent's in O(edits) (`withNodes`) instead of a pass over every node: the
 * search hashes every new state, and a long run's directory holds hundreds of nodes
 * (a 30 s queue run: half the checker's CPU was this pass).
 */
export class ZTree {
  private cachedXor: number | undefined;
  constructor(
    readonly nodes: ReadonlyMap<string, ZNode>,
    /** The XOR of the nodes' shares, when the caller knows it. */
    nodesXor?: number,
  ) {
    this.cachedXor = nodesXor;
  }
  /** The XOR of every node's share (computed once). */
  get nodesXor(): number {
    if (this.cachedXor === undefined) {
      let x = 0;
      for (const [path, n] of this.nodes) x ^= nodeHashOf(path, n);
      this.cachedXor = x;
    }
    return this.cachedXor;
  }
  get hash(): number {
    return 0x510e527f ^ this.nodes.size ^ this.nodesXor;
  }
}

export interface ZnodeOptions {
  /** Nodes present before the history starts (path → data); parents must be listed too. */
  readonly initial?: Readonly<Record<string, unknown>>;
}

type ErrorCode = 'NONODE' | 'NODEEXISTS' | 'BADVERSION' | 'NOTEMPTY';

/** What ZooKeeper would answer (expected) or did answer (observed). */
type Outcome =
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'created'; readonly path: string }
  | { readonly kind: 'done'; readonly version?: number }
  | { readonly kind: 'data'; readonly data: unknown; readonly version?: number }
  | { readonly kind: 'exists'; readonly exists: boolean; readonly version?: number }
  | { readonly kind: 'children'; readonly names: readonly string[] }
  | { readonly kind: 'unknown' };

interface Args {
  readonly path: string;
  readonly data?: unknown;
  readonly version?: number;
  readonly sequential?: boolean;
  readonly mode?: string;
}

const F = new Set(['create', 'delete', 'setData', 'getData', 'exists', 'getChildren']);
const KNOWN_ERRORS: Record<string, readonly string[]> = {
  create: ['NODEEXISTS', 'NONODE'],
  delete: ['NONODE', 'BADVERSION', 'NOTEMPTY'],
  setData: ['NONODE', 'BADVERSION'],
  getData: ['NONODE'],
  exists: [],
  getChildren: ['NONODE'],
};
const ROOT_KEY = '(root node)';

function args(op: Operation): Args {
  return op.invokeValue as Args;
}

function isSequential(a: Args): boolean {
  return a.sequential === true || (typeof a.mode === 'string' && a.mode.includes('sequential'));
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.substring(0, i);
}

function nameOf(path: string): string {
  return path.substring(path.lastIndexOf('/') + 1);
}

function suffix(n: number): string {
  const s = String(n);
  return s.length >= 10 ? s : '0000000000'.substring(s.length) + s;
}

function isSequentialName(prefix: string, path: string): boolean {
  return path.length === prefix.length + 10 && path.startsWith(prefix) && /^\d{10}$/.test(path.substring(prefix.length));
}

function normalizeCode(s: string): string {
  return s.toUpperCase().replace(/[^A-Z]/g, '').replace(/^KEEPERERRORCODE/, '');
}

function anyVersion(v: number | undefined): boolean {
  return v === undefined || v === null || v === -1;
}

/** The observed result of an operation, normalized; `undefined` when malformed. */
function observe(op: Operation): Outcome | undefined {
  if (op.type === 'info') return { kind: 'unknown' };
  let r = op.completeValue;
  if (typeof r === 'object' && r !== null && !Array.isArray(r) && 'ok' in r) {
    const z = r as { ok: boolean; code?: string; path?: string; stat?: { version?: number } | null; data?: unknown; children?: unknown };
    if (!z.ok) r = String(z.code);
    else if (op.f === 'create') r = z.path;
    else if (op.f === 'setData') r = z.stat?.version ?? null;
    else if (op.f === 'getData') r = { data: z.data, version: z.stat?.version };
    else if (op.f === 'exists') r = z.stat ?? false;
    else if (op.f === 'getChildren') r = z.children;
    else r = null;
  }
  if (typeof r === 'string' && !(op.f === 'create' && r.startsWith('/'))) {
    const code = normalizeCode(r);
    if (code === 'OK' && (op.f === 'delete' || op.f === 'setData')) return { kind: 'done' };
    return KNOWN_ERRORS[op.f].includes(code) ? { kind: 'error', code } : undefined;
  }
  switch (op.f) {
    case 'create':
      return typeof r === 'string' ? { kind: 'created', path: r } : undefined;
    case 'delete':
      return r === null || r === true ? { kind: 'done' } : undefined;
    case 'setData':
      if (r === null || r === true) return { kind: 'done' };
      if (typeof r === 'number') return { kind: 'done', version: r };
      if (typeof r === 'object' && typeof (r as { version?: unknown }).version === 'number') {
        return { kind: 'done', version: (r as { version: number }).version };
      }
      return undefined;
    case 'getData': {
      if (typeof r !== 'object' || r === null || Array.isArray(r) || !('data' in r)) return undefined;
      const d = r as { data: unknown; version?: unknown };
      if (d.version !== undefined && d.version !== null && typeof d.version !== 'number') return undefined;
      return typeof d.version === 'number' ? { kind: 'data', data: d.data, version: d.version } : { kind: 'data', data: d.data };
    }
    case 'exists':
      if (typeof r === 'boolean') return { kind: 'exists', exists: r };
      if (r === null) return { kind: 'exists', exists: false };
      if (typeof r === 'object' && typeof (r as { version?: unknown }).version === 'number') {
        return { kind: 'exists', exists: true, version: (r as { version: number }).version };
      }
      return undefined;
    case 'getChildren':
      if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) return undefined;
      return { kind: 'children', names: (r as string[]).map(nameOf).sort() };
    default:
      return undefined;
  }
}

interface Evaluation {
  readonly expected: Outcome;
  readonly next?: ZTree;
}

/** `tree` with `changes` applied (a node set, or removed when undefined); the hash follows in O(changes). */
function withNodes(tree: ZTree, changes: readonly (readonly [string, ZNode | undefined])[]): ZTree {
  const m = new Map(tree.nodes);
  let x = tree.nodesXor;
  for (const [path, node] of changes) {
    const old = m.get(path);
    if (old !== undefined) x ^= nodeHashOf(path, old);
    if (node === undefined) m.delete(path);
    else {
      m.set(path, node);
      x ^= nodeHashOf(path, node);
    }
  }
  return new ZTree(m, x);
}

function childrenOf(tree: ZTree, dir: string): string[] {
  const names: string[] = [];
  for (const p of tree.nodes.keys()) if (p !== '/' && parentOf(p) === dir) names.push(nameOf(p));
  return names.sort();
}

/** What ZooKeeper answers to `op` in `tree`, and the tree after it. */
function evaluate(tree: ZTree, op: Operation): Evaluation {
  const a = args(op);
  const node = tree.nodes.get(a.path);
  const error = (code: ErrorCode): Evaluation => ({ expected: { kind: 'error', code } });
  switch (op.f) {
    case 'create': {
      const parentPath = parentOf(a.path);
      const parent = tree.nodes.get(parentPath);
      if (!parent) return error('NONODE');
      const path = isSequential(a) ? a.path + suffix(parent.cversion) : a.path;
      if (tree.nodes.has(path)) return error('NODEEXISTS');
      const next = withNodes(tree, [
        [path, { data: a.data ?? null, version: 0, cversion: 0, numChildren: 0 }],
        [parentPath, { ...parent, cversion: parent.cversion + 1, numChildren: parent.numChildren + 1 }],
      ]);
      return { expected: { kind: 'created', path }, next };
    }
    case 'delete': {
      if (!node) return error('NONODE');
      if (!anyVersion(a.version) && a.version !== node.version) return error('BADVERSION');
      if (node.numChildren > 0) return error('NOTEMPTY');
      const parentPath = parentOf(a.path);
      const parent = parentPath === a.path ? undefined : tree.nodes.get(parentPath);
      // A delete leaves the parent's cversion alone (ZooKeeper ≥ 3.4, ZOOKEEPER-1046).
      const next = withNodes(tree, parent ? [[a.path, undefined], [parentPath, { ...parent, numChildren: parent.numChildren - 1 }]] : [[a.path, undefined]]);
      return { expected: { kind: 'done' }, next };
    }
    case 'setData': {
      if (!node) return error('NONODE');
      if (!anyVersion(a.version) && a.version !== node.version) return error('BADVERSION');
      const version = node.version + 1;
      const next = withNodes(tree, [[a.path, { ...node, data: a.data ?? null, version }]]);
      return { expected: { kind: 'done', version }, next };
    }
    case 'getData':
      return node ? { expected: { kind: 'data', data: node.data, version: node.version } } : error('NONODE');
    case 'exists':
      return { expected: node ? { kind: 'exists', exists: true, version: node.version } : { kind: 'exists', exists: false } };
    case 'getChildren':
      return node ? { expected: { kind: 'children', names: childrenOf(tree, a.path) } } : error('NONODE');
    default:
      throw new Error(`znode: unknown f ${op.f}`);
  }
}

function matches(observed: Outcome, expected: Outcome): boolean {
  switch (observed.kind) {
    case 'unknown':
      return true;
    case 'error':
      return expected.kind === 'error' && expected.code === observed.code;
    case 'created':
      return expected.kind === 'created' && expected.path === observed.path;
    case 'done':
      return expected.kind === 'done' && (observed.version === undefined || observed.version === expected.version);
    case 'data':
      return (
        expected.kind === 'data' &&
        valuesEqual(observed.data, expected.data) &&
        (observed.version === undefined || observed.version === expected.version)
      );
    case 'exists':
      return (
        expected.kind === 'exists' &&
        expected.exists === observed.exists &&
        (observed.version === undefined || observed.version === expected.version)
      );
    case 'children':
      return expected.kind === 'children' && valuesEqual(observed.names, expected.names);
  }
}

function showOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'unknown':
      return '?';
    case 'error':
      return o.code;
    case 'created':
      return o.path;
    case 'done':
      return o.version === undefined ? 'ok' : `version ${o.version}`;
    case 'data':
      return o.version === undefined ? showValue(o.data) : `${showValue(o.data)} (version ${o.version})`;
    case 'exists':
      return o.exists ? (o.version === undefined ? 'true' : `true (version ${o.version})`) : 'false';
    case 'children':
      return `[${o.names.join(', ')}]`;
  }
}

function describeCall(op: Operation): string {
  const a = args(op);
  let call: string;
  switch (op.f) {
    case 'create':
      call = `create${isSequential(a) ? '-sequential' : ''} ${a.path} ${showValue(a.data ?? null, 30)}`;
      break;
    case 'delete':
      call = `delete ${a.path}${anyVersion(a.version) ? '' : ` v${a.version}`}`;
      break;
    case 'setData':
      call = `setData ${a.path} ${showValue(a.data ?? null, 30)}${anyVersion(a.version) ? '' : ` v${a.version}`}`;
      break;
    default:
      call = `${op.f} ${a.path}`;
  }
  return call;
}

function describeOp(op: Operation): string {
  const o = observe(op);
  const call = describeCall(op);
  return o && o.kind !== 'unknown' ? `${call} → ${showOutcome(o)}` : call;
}

/** Why the state's answer differs from the observed one, e.g. "/a already exists". */
function reason(tree: ZTree, op: Operation, expected: Outcome): string {
  const a = args(op);
  const node = tree.nodes.get(a.path);
  switch (expected.kind) {
    case 'error':
      if (expected.code === 'NONODE') return op.f === 'create' ? `parent ${parentOf(a.path)} does not exist` : `${a.path} does not exist`;
      if (expected.code === 'NODEEXISTS') {
        return isSequential(a) ? `${a.path}${suffix(tree.nodes.get(parentOf(a.path))?.cversion ?? 0)} already exists` : `${a.path} already exists`;
      }
      if (expected.code === 'BADVERSION') return `${a.path} has version ${node?.version}`;
      return `${a.path} has ${node?.numChildren} children`;
    case 'created':
      return isSequential(a)
        ? `the parent's cversion is ${tree.nodes.get(parentOf(a.path))?.cversion}, so it would create ${expected.path}`
        : `it would create ${expected.path}`;
    case 'done':
      return expected.version === undefined ? 'it would succeed' : `it would succeed with version ${expected.version}`;
    case 'data':
      return `${a.path} holds ${showValue(expected.data)} (version ${expected.version})`;
    case 'exists':
      return expected.exists ? `${a.path} exists (version ${expected.version})` : `${a.path} does not exist`;
    case 'children':
      return `${a.path}'s children are [${expected.names.join(', ')}]`;
    default:
      return 'its outcome is unknown';
  }
}

function describeTree(tree: ZTree): string {
  const paths = [...tree.nodes.keys()].filter((p) => p !== '/').sort();
  if (paths.length === 0) return '{/}';
  const shown = paths.slice(0, 12).map((p) => {
    const n = tree.nodes.get(p) as ZNode;
    return `${p}=${showValue(n.data, 20)}@v${n.version}`;
  });
  return `{${shown.join(', ')}${paths.length > 12 ? `, …${paths.length - 12} more` : ''}}`;
}

function treesEqual(a: ZTree, b: ZTree): boolean {
  if (a === b) return true;
  if (a.nodes.size !== b.nodes.size || a.hash !== b.hash) return false;
  for (const [p, x] of a.nodes) {
    const y = b.nodes.get(p);
    if (!y || x.version !== y.version || x.cversion !== y.cversion || x.numChildren !== y.numChildren) return false;
    if (!valuesEqual(x.data, y.data)) return false;
  }
  return true;
}

function validPath(path: unknown, allowTrailingSlash: boolean): boolean {
  if (typeof path !== 'string' || !path.startsWith('/')) return false;
  if (path === '/') return true;
  const body = allowTrailingSlash && path.endsWith('/') ? path.slice(0, -1) : path;
  return body.length > 0 && body.substring(1).split('/').every((s) => s.length > 0 && s !== '.' && s !== '..');
}

function validate(op: Operation): string | undefined {
  if (!F.has(op.f)) {
    return `unknown znode operation f=${JSON.stringify(op.f)}: expected create, delete, setData, getData, exists or getChildren`;
  }
  const a = op.invokeValue as Partial<Args> | null;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return `${op.f} value must be an object {path, …}, got ${showValue(a)}`;
  const seq = op.f === 'create' && isSequential(a as Args);
  if (!validPath(a.path, seq)) return `${op.f}: invalid path ${showValue(a.path)}`;
  if ((op.f === 'create' || op.f === 'delete') && a.path === '/') return `${op.f}: the root node cannot be ${op.f}d`;
  if (a.version !== undefined && a.version !== null && (typeof a.version !== 'number' || !Number.isInteger(a.version))) {
    return `${op.f}: version must be an integer, got ${showValue(a.version)}`;
  }
  if (op.type === 'ok' && observe(op) === undefined) {
    const errs = KNOWN_ERRORS[op.f];
    return `${op.f} ${a.path}: unexpected result ${showValue(op.completeValue)}${errs.length ? ` (errors allowed: ${errs.join(', ')})` : ''}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------
// Partition

function keyOf(op: Operation): string {
  const path = args(op).path;
  if (op.f === 'getChildren') return path;
  if (op.f === 'create') return parentOf(path);
  return path === '/' ? ROOT_KEY : parentOf(path);
}

/** Whether `op` may have created or deleted `dir` (ok with success, or info). */
function changesExistence(op: Operation, dir: string): boolean {
  const a = args(op);
  const o = observe(op);
  const success = o !== undefined && o.kind !== 'error';
  if (!success) return false;
  if (op.f === 'delete') return a.path === dir;
  if (op.f !== 'create') return false;
  if (!isSequential(a)) return a.path === dir;
  return o.kind === 'created' ? o.path === dir : isSequentialName(a.path, dir);
}

function changesChildren(op: Operation): boolean {
  if (op.f !== 'create' && op.f !== 'delete') return false;
  const o = observe(op);
  return o !== undefined && o.kind !== 'error';
}

/** All of `ops` definite and completed, one after the other, before `instant`. */
function settledBefore(ops: readonly Operation[], instant: number): boolean {
  for (let i = 0; i < ops.length; i++) {
    if (ops[i].type !== 'ok') return false;
    if (i > 0 && ops[i - 1].returnIndex > ops[i].callIndex) return false;
  }
  return ops[ops.length - 1].returnIndex < instant;
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  add(k: string): void {
    if (!this.parent.has(k)) this.parent.set(k, k);
  }
  find(k: string): string {
    let r = k;
    while (this.parent.get(r) !== r) r = this.parent.get(r) as string;
    this.parent.set(k, r);
    return r;
  }
  union(a: string, b: string): void {
    this.parent.set(this.find(a), this.find(b));
  }
}

function makePartition(initial: ReadonlyMap<string, unknown>) {
  const initialChildren = (dir: string): string[] =>
    [...initial.keys()].filter((p) => p !== '/' && parentOf(p) === dir);
  const initialNode = (path: string, fresh: boolean): ZNode => ({
    data: initial.get(path) ?? null,
    version: 0,
    cversion: 0,
    numChildren: fresh ? 0 : initialChildren(path).length,
  });

  return function partition(ops: readonly Operation[]): ModelPart<ZTree>[] {
    const groups = new Map<string, Operation[]>();
    for (const op of ops) {
      const k = keyOf(op);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(op);
    }
    const uf = new UnionFind();
    for (const k of groups.keys()) uf.add(k);
    const fixedExists = new Map<string, boolean>();
    const fresh = new Set<string>();
    for (const [dir, dirOps] of groups) {
      if (dir === ROOT_KEY || dir === '/') continue;
      const parentKey = parentOf(dir);
      const parentOps = groups.get(parentKey) ?? [];
      const changes = parentOps.filter((op) => changesExistence(op, dir));
      if (changes.length === 0) fixedExists.set(dir, initial.has(dir));
      else if (settledBefore(changes, dirOps[0].callIndex)) {
        fixedExists.set(dir, changes[changes.length - 1].f === 'create');
        fresh.add(dir);
      } else uf.union(dir, parentKey);
      const deletesDir = parentOps.some((op) => op.f === 'delete' && args(op).path === dir);
      if (deletesDir && dirOps.some(changesChildren)) uf.union(dir, parentKey);
    }
    const components = new Map<string, { keys: string[]; ops: Operation[] }>();
    for (const op of ops) {
      const k = keyOf(op);
      const root = uf.find(k);
      let c = components.get(root);
      if (!c) components.set(root, (c = { keys: [], ops: [] }));
      if (!c.keys.includes(k)) c.keys.push(k);
      c.ops.push(op);
    }
    return [...components.values()].flatMap(({ keys, ops: partOps }) => {
      const inPart = new Set(keys);
      const nodes = new Map<string, ZNode>();
      for (const k of keys) {
        if (k === ROOT_KEY || k === '/') {
          nodes.set('/', initialNode('/', false));
          if (k === ROOT_KEY) continue;
        } else if (!inPart.has(parentOf(k))) {
          // k's existence is fixed for this part: a placeholder node (its data and
          // version belong to the parent's part and are never read here).
          if (fixedExists.get(k)) nodes.set(k, initialNode(k, fresh.has(k)));
          if (fresh.has(k)) continue;
        }
        for (const child of initialChildren(k)) nodes.set(child, initialNode(child, false));
      }
      const label = keys
        .map((k) => (k === ROOT_KEY ? 'the root node' : k))
        .sort()
        .join(', ');
      const part = { key: keys.includes(ROOT_KEY) && keys.length === 1 ? label : `children of ${label}`, ops: partOps, init: new ZTree(nodes) };
      return splitByChild(part, keys);
    });
  };
}

/**
 * One directory's part, split per child when nothing in it looks at the directory as a
 * whole: no getChildren of it and no sequential create in it (the two readers of its
 * children's set and counter). Then an operation on one child (create, delete, setData,
 * getData, exists) reads and writes that child alone — the parent's counters it bumps
 * are read by nobody in the part, and the parent's existence is fixed for the part (else
 * it would have been merged with its parent's) — so each child is an independent object
 * (P-compositionality). Eighty clients on five keys under "/" were one part of 323
 * operations the search could not decide (hand-made mix "crowd", zab 191); per child
 * they are five small ones.
 */
function splitByChild(part: ModelPart<ZTree>, keys: readonly string[]): ModelPart<ZTree>[] {
  if (keys.length !== 1 || keys[0] === ROOT_KEY) return [part];
  const byChild = new Map<string, Operation[]>();
  for (const op of part.ops) {
    if (op.f === 'getChildren' || (op.f === 'create' && isSequential(args(op)))) return [part];
    const path = args(op).path;
    let ops = byChild.get(path);
    if (ops === undefined) byChild.set(path, (ops = []));
    ops.push(op);
  }
  if (byChild.size < 2) return [part];
  return [...byChild].map(([path, ops]) => ({ key: path, ops, init: part.init }));
}

export function znodeModel(options: ZnodeOptions = {}): Model<ZTree> {
  const initial = new Map<string, unknown>(Object.entries(options.initial ?? {}));
  for (const p of initial.keys()) {
    if (!validPath(p, false)) throw new Error(`znode: invalid initial path ${JSON.stringify(p)}`);
    if (p !== '/' && parentOf(p) !== '/' && !initial.has(parentOf(p))) {
      throw new Error(`znode: initial node ${p} has no parent ${parentOf(p)}`);
    }
  }
  const rootOnly = new ZTree(new Map([['/', { data: initial.get('/') ?? null, version: 0, cversion: 0, numChildren: 0 }]]));
  const full = new ZTree(
    new Map(
      ['/', ...[...initial.keys()].filter((p) => p !== '/')].map((p) => [
        p,
        {
          data: initial.get(p) ?? null,
          version: 0,
          cversion: 0,
          numChildren: [...initial.keys()].filter((c) => c !== '/' && parentOf(c) === p).length,
        },
      ]),
    ),
  );
  return {
    name: 'znode',
    init: () => (initial.size === 0 ? rootOnly : full),
    step(tree, op) {
      const { expected, next } = evaluate(tree, op);
      const observed = observe(op) as Outcome;
      if (!matches(observed, expected)) return undefined;
      return expected.kind === 'error' ? tree : (next ?? tree);
    },
    explain(tree, op) {
      const { expected } = evaluate(tree, op);
      const observed = observe(op) as Outcome;
      return `${describeCall(op)} returned ${showOutcome(observed)}, but ${reason(tree, op, expected)}`;
    },
    hash: (t) => t.hash,
    equal: treesEqual,
    describeState: describeTree,
    describeOp,
    stateData(tree) {
      const out: Record<string, ZNode> = {};
      for (const p of [...tree.nodes.keys()].sort()) out[p] = tree.nodes.get(p) as ZNode;
      return out;
    },
    validate,
    // Reads, and any operation answered with an error: ZooKeeper checks the error's
    // condition and changes nothing (create NODEEXISTS, setData NONODE or BADVERSION,
    // delete NOTEMPTY), so the search may take it as a read (a forced move when it fits).
    isReadOnly: (op) => op.f === 'getData' || op.f === 'exists' || op.f === 'getChildren' || (op.type === 'ok' && observe(op)?.kind === 'error'),
    partition: makePartition(initial),
  };
}
