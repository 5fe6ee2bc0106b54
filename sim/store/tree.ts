/**
 * DataTree: the replicated znode tree every server holds, ZooKeeper's DataTree.
 *
 * Replicas never re-validate client requests: the leader's prep (prep.ts) already
 * decided each txn against the state all earlier txns produce, and a txn carries
 * absolute values (final path, new version, the parent's new cversion). Applying it is
 * therefore deterministic, and re-applying a txn that a state already contains is
 * harmless, which ZooKeeper relies on when it replays a log over a snapshot:
 *  - create of an existing node → NODEEXISTS, nothing changes except that the parent's
 *    cversion is raised to the txn's `parentCVersion` if it is behind (ZooKeeper's
 *    processTxn does the same: ZOOKEEPER-1046 / fuzzy snapshots);
 *  - delete of a missing node → NONODE, nothing changes;
 *  - setData sets the txn's version and data, so doing it twice equals doing it once;
 *  - createSession of a known session / closeSession of an unknown one change nothing;
 *  - cversion only moves forward (compared as a wrapping int32 serial number), pzxid
 *    only on a cversion advance (create) or to a larger zxid (delete);
 *  - lastProcessedZxid only moves forward.
 * A delete (by a delete txn, or closeSession's of each ephemeral, DataTree.killSession)
 * moves only the parent's pzxid, never its cversion (DataTree.deleteNode since
 * ZOOKEEPER-1046), so every txn is an absolute delta and replay is harmless.
 * Apply also refuses, without changing anything, the structurally impossible: deleting a
 * node that has children (NOTEMPTY), a child under an ephemeral. Those can only arise
 * when replicas diverged (an injected bug): the digest will show it, the tree stays sound.
 *
 * The digest is a 32-bit sum of per-node hashes (path, data, full stat except the derived
 * numChildren/dataLength) and per-session hashes (id, timeout), maintained on every
 * change, so it is O(1) to read and equal for equal content however it was reached.
 * lastProcessedZxid is not part of it (compare digests at equal zxids).
 */

import { DATA_SEED, NODE_SEED, PATH_SEED, fmix32, hashString, mix32, mixNumber, sessionHash } from './digest.js';
import { isValidPath, nameOf, parentOf, utf8Length } from './path.js';
import type {
  ApplyOutcome,
  DataTreeJSON,
  ExistsResult,
  GetChildrenResult,
  GetDataResult,
  NodeView,
  SessionInfo,
  Stat,
  Txn,
  WatchEvent,
  ZkErrorCode,
  ZkFail,
  ZkOk,
  ZkRequest,
  ZkResult,
  ZkSubFail,
} from './types.js';

/** One shared, frozen failure result per code (results are read-only). */
export const FAIL: Readonly<Record<ZkErrorCode, ZkFail>> = Object.freeze({
  NONODE: Object.freeze({ ok: false, code: 'NONODE' }),
  NODEEXISTS: Object.freeze({ ok: false, code: 'NODEEXISTS' }),
  BADVERSION: Object.freeze({ ok: false, code: 'BADVERSION' }),
  NOTEMPTY: Object.freeze({ ok: false, code: 'NOTEMPTY' }),
  NOCHILDRENFOREPHEMERALS: Object.freeze({ ok: false, code: 'NOCHILDRENFOREPHEMERALS' }),
  SESSIONEXPIRED: Object.freeze({ ok: false, code: 'SESSIONEXPIRED' }),
  SESSIONMOVED: Object.freeze({ ok: false, code: 'SESSIONMOVED' }),
  BADARGUMENTS: Object.freeze({ ok: false, code: 'BADARGUMENTS' }),
  RUNTIMEINCONSISTENCY: Object.freeze({ ok: false, code: 'RUNTIMEINCONSISTENCY' }),
} as const);

/** A failed multi's sub-op that was valid but rolled back (ErrorResult with code OK). */
const ROLLED_BACK: ZkSubFail = Object.freeze({ ok: false, code: 'OK' });

const OK_EMPTY: ZkOk = Object.freeze({ ok: true });
const OK_NO_STAT: ExistsResult = Object.freeze({ ok: true, stat: null });
const NO_EVENTS: readonly WatchEvent[] = Object.freeze([]);
const NO_PATHS: readonly string[] = Object.freeze([]);

/** Whether int32 counter `a` is ahead of `b`, serial-number style (survives the wrap). */
function isAhead(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

class ZNode implements NodeView {
  data: string;
  dataHash: number;
  readonly pathHash: number;
  readonly czxid: number;
  mzxid: number;
  pzxid: number;
  version = 0;
  cversion = 0;
  readonly ephemeralOwner: number;
  readonly children = new Set<string>();
  /** This node's current contribution to the tree digest. */
  hash = 0;

  constructor(path: string, pathHash: number, data: string, zxid: number, ephemeralOwner: number) {
    this.pathHash = pathHash || hashString(path, PATH_SEED);
    this.data = data;
    this.dataHash = hashString(data, DATA_SEED);
    this.czxid = zxid;
    this.mzxid = zxid;
    this.pzxid = zxid;
    this.ephemeralOwner = ephemeralOwner;
  }

  get numChildren(): number {
    return this.children.size;
  }

  computeHash(): number {
    let h = mix32(NODE_SEED, this.pathHash);
    h = mix32(h, this.dataHash);
    h = mixNumber(h, this.czxid);
    h = mixNumber(h, this.mzxid);
    h = mixNumber(h, this.pzxid);
    h = mix32(h, this.version);
    h = mix32(h, this.cversion);
    h = mixNumber(h, this.ephemeralOwner);
    return fmix32(h);
  }

  stat(): Stat {
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      pzxid: this.pzxid,
      version: this.version,
      cversion: this.cversion,
      ephemeralOwner: this.ephemeralOwner,
      dataLength: utf8Length(this.data),
      numChildren: this.children.size,
    };
  }

  copy(path: string): ZNode {
    const n = new ZNode(path, this.pathHash, this.data, this.czxid, this.ephemeralOwner);
    n.dataHash = this.dataHash;
    n.mzxid = this.mzxid;
    n.pzxid = this.pzxid;
    n.version = this.version;
    n.cversion = this.cversion;
    n.hash = this.hash;
    for (const c of this.children) n.children.add(c);
    return n;
  }
}

class SessionRecord implements SessionInfo {
  constructor(
    public timeoutUs: number,
    public readonly ephemerals: Set<string>,
  ) {}
}

function isSafeInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n);
}

/** The watch events a successful create, delete or setData fires: built once, at their exact size. */
function createdEvents(path: string): WatchEvent[] {
  return [{ path, type: 'NodeCreated' }, { path: parentOf(path), type: 'NodeChildrenChanged' }];
}
function deletedEvents(path: string): WatchEvent[] {
  return [{ path, type: 'NodeDeleted' }, { path: parentOf(path), type: 'NodeChildrenChanged' }];
}
function dataChangedEvents(path: string): WatchEvent[] {
  return [{ path, type: 'NodeDataChanged' }];
}

export class DataTree {
  private readonly nodes = new Map<string, ZNode>();
  private readonly sessionMap = new Map<number, SessionRecord>();
  /**
   * Ephemeral paths by owner. Kept apart from sessionMap (sharing the Set while the
   * session exists) because a replayed create may name an owner whose session is gone.
   */
  private readonly ephemeralsByOwner = new Map<number, Set<string>>();
  private digestSum = 0;
  /** zxid of the latest txn applied (never decreases). */
  lastProcessedZxid = 0;

  constructor() {
    const root = new ZNode('/', 0, '', 0, 0);
    root.hash = root.computeHash();
    this.nodes.set('/', root);
    this.digestSum = root.hash;
  }

  // ---------------------------------------------------------------- apply

  /** Applies a txn at `zxid`; returns the client-visible result and the fired watch events. */
  apply(txn: Txn, zxid: number): ApplyOutcome {
    if (!isSafeInt(zxid) || zxid < 0) throw new Error(`DataTree.apply: bad zxid ${String(zxid)}`);
    let result: ZkResult;
    let events: readonly WatchEvent[] = NO_EVENTS;
    // A single create, delete or setData fires a fixed set of events, built once it
    // succeeded as an array of its exact size (an empty array that is pushed to grows a
    // backing store of 17 slots: most of an apply's garbage, and every replica applies).
    switch (txn.type) {
      case 'create':
        result = this.createNode(txn.path, txn.data, txn.ephemeralOwner, txn.parentCVersion, zxid);
        if (result.ok) events = createdEvents(txn.path);
        break;
      case 'delete':
        result = this.deleteNode(txn.path, zxid);
        if (result.ok) events = deletedEvents(txn.path);
        break;
      case 'setData':
        result = this.setNodeData(txn.path, txn.data, txn.version, zxid);
        if (result.ok) events = dataChangedEvents(txn.path);
        break;
      case 'check':
        result = OK_EMPTY;
        break;
      case 'createSession':
        result = this.createSession(txn.sessionId, txn.timeoutUs);
        break;
      case 'closeSession': {
        const ev: WatchEvent[] = [];
        result = this.closeSession(txn.sessionId, zxid, ev);
        events = ev;
        break;
      }
      case 'multi': {
        const ev: WatchEvent[] = [];
        result = this.applyMulti(txn.txns, zxid, ev);
        events = ev;
        break;
      }
      case 'error':
        result =
          txn.results === undefined
            ? FAIL[txn.code]
            : { ok: false, code: txn.code, results: txn.results.map((c) => (c === 'OK' ? ROLLED_BACK : FAIL[c])) };
        break;
      default:
        throw new Error(`DataTree.apply: unknown txn type ${String((txn as { type?: unknown }).type)}`);
    }
    if (zxid > this.lastProcessedZxid) this.lastProcessedZxid = zxid;
    return { result, events };
  }

  private applyMulti(txns: readonly Txn[], zxid: number, ev: WatchEvent[]): ZkResult {
    const results: ZkResult[] = new Array<ZkResult>(txns.length);
    let firstError: ZkErrorCode | undefined;
    for (let i = 0; i < txns.length; i++) {
      const t = txns[i];
      let r: ZkResult;
      switch (t.type) {
        case 'create':
          r = this.createNode(t.path, t.data, t.ephemeralOwner, t.parentCVersion, zxid);
          if (r.ok) ev.push(...createdEvents(t.path));
          break;
        case 'delete':
          r = this.deleteNode(t.path, zxid);
          if (r.ok) ev.push(...deletedEvents(t.path));
          break;
        case 'setData':
          r = this.setNodeData(t.path, t.data, t.version, zxid);
          if (r.ok) ev.push(...dataChangedEvents(t.path));
          break;
        case 'check':
          r = OK_EMPTY;
          break;
        default:
          throw new Error(`DataTree.apply: a multi cannot contain a ${t.type} txn`);
      }
      // Sub-txns fail at apply time only when replaying onto a state that has them.
      if (!r.ok && firstError === undefined) firstError = r.code;
      results[i] = r;
    }
    if (firstError === undefined) return { ok: true, results };
    // Only a replay gets here (nobody waits for its answer); the shape is still ZooKeeper's.
    return { ok: false, code: firstError, results: results.map((r) => (r.ok ? ROLLED_BACK : r)) };
  }

  private rehash(node: ZNode): void {
    const h = node.computeHash();
    this.digestSum = (this.digestSum - node.hash + h) | 0;
    node.hash = h;
  }

  private createNode(
    path: string,
    data: string,
    ephemeralOwner: number,
    parentCVersion: number,
    zxid: number,
  ): ZkResult {
    if (path === '/') return FAIL.NODEEXISTS;
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return FAIL.NONODE;
    if (this.nodes.has(path)) {
      // Replayed create: the node is there, but the parent may have missed the cversion
      // bump (ZooKeeper's processTxn adjusts it on NODEEXISTS too).
      if (isAhead(parentCVersion, parent.cversion)) {
        parent.cversion = parentCVersion;
        parent.pzxid = zxid;
        this.rehash(parent);
      }
      return FAIL.NODEEXISTS;
    }
    if (parent.ephemeralOwner !== 0) return FAIL.NOCHILDRENFOREPHEMERALS;
    if (isAhead(parentCVersion, parent.cversion)) {
      parent.cversion = parentCVersion;
      parent.pzxid = zxid;
      this.rehash(parent);
    }
    const node = new ZNode(path, 0, data, zxid, ephemeralOwner);
    node.hash = node.computeHash();
    this.digestSum = (this.digestSum + node.hash) | 0;
    this.nodes.set(path, node);
    parent.children.add(nameOf(path));
    if (ephemeralOwner !== 0) {
      let set = this.ephemeralsByOwner.get(ephemeralOwner);
      if (set === undefined) {
        set = new Set();
        this.ephemeralsByOwner.set(ephemeralOwner, set);
      }
      set.add(path);
    }
    return { ok: true, path };
  }

  /** DataTree.deleteNode: the parent loses the child and its pzxid moves; its cversion stays (ZOOKEEPER-1046). */
  private deleteNode(path: string, zxid: number): ZkResult {
    if (path === '/') return FAIL.BADARGUMENTS;
    const node = this.nodes.get(path);
    if (node === undefined) return FAIL.NONODE;
    if (node.children.size > 0) return FAIL.NOTEMPTY;
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) throw new Error(`DataTree: node ${path} has no parent`);
    this.nodes.delete(path);
    parent.children.delete(nameOf(path));
    this.digestSum = (this.digestSum - node.hash) | 0;
    // Only a larger zxid moves pzxid: a replayed delete must not undo a later create's.
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.rehash(parent);
    const owner = node.ephemeralOwner;
    if (owner !== 0) {
      const set = this.ephemeralsByOwner.get(owner);
      if (set !== undefined) {
        set.delete(path);
        if (set.size === 0 && !this.sessionMap.has(owner)) this.ephemeralsByOwner.delete(owner);
      }
    }
    return OK_EMPTY;
  }

  private setNodeData(path: string, data: string, version: number, zxid: number): ZkResult {
    const node = this.nodes.get(path);
    if (node === undefined) return FAIL.NONODE;
    if (node.data !== data) {
      node.data = data;
      node.dataHash = hashString(data, DATA_SEED);
    }
    node.version = version;
    node.mzxid = zxid;
    this.rehash(node);
    return { ok: true, stat: node.stat() };
  }

  private createSession(sessionId: number, timeoutUs: number): ZkResult {
    const existing = this.sessionMap.get(sessionId);
    if (existing !== undefined) {
      if (existing.timeoutUs !== timeoutUs) {
        this.digestSum = (this.digestSum - sessionHash(sessionId, existing.timeoutUs)) | 0;
        existing.timeoutUs = timeoutUs;
        this.digestSum = (this.digestSum + sessionHash(sessionId, timeoutUs)) | 0;
      }
      return OK_EMPTY;
    }
    let set = this.ephemeralsByOwner.get(sessionId);
    if (set === undefined) {
      set = new Set();
      this.ephemeralsByOwner.set(sessionId, set);
    }
    this.sessionMap.set(sessionId, new SessionRecord(timeoutUs, set));
    this.digestSum = (this.digestSum + sessionHash(sessionId, timeoutUs)) | 0;
    return OK_EMPTY;
  }

  private closeSession(sessionId: number, zxid: number, ev: WatchEvent[]): ZkResult {
    const set = this.ephemeralsByOwner.get(sessionId);
    if (set !== undefined && set.size > 0) {
      // Sorted: a deterministic order of deletions, hence of watch events.
      const paths = Array.from(set).sort();
      for (const p of paths) if (this.deleteNode(p, zxid).ok) ev.push(...deletedEvents(p));
    }
    const session = this.sessionMap.get(sessionId);
    if (session !== undefined) {
      this.sessionMap.delete(sessionId);
      this.digestSum = (this.digestSum - sessionHash(sessionId, session.timeoutUs)) | 0;
    }
    // An ephemeral that could not be deleted (diverged replica) keeps its owner entry.
    const left = this.ephemeralsByOwner.get(sessionId);
    if (left !== undefined && left.size === 0) this.ephemeralsByOwner.delete(sessionId);
    return OK_EMPTY;
  }

  // ---------------------------------------------------------------- reads

  getData(path: string): GetDataResult {
    const node = this.nodes.get(path);
    if (node === undefined) return isValidPath(path) ? FAIL.NONODE : FAIL.BADARGUMENTS;
    return { ok: true, data: node.data, stat: node.stat() };
  }

  /** `{ok: true, stat: null}` when the node does not exist. */
  exists(path: string): ExistsResult {
    const node = this.nodes.get(path);
    if (node === undefined) return isValidPath(path) ? OK_NO_STAT : FAIL.BADARGUMENTS;
    return { ok: true, stat: node.stat() };
  }

  /** Child names, sorted. */
  getChildren(path: string): GetChildrenResult {
    const node = this.nodes.get(path);
    if (node === undefined) return isValidPath(path) ? FAIL.NONODE : FAIL.BADARGUMENTS;
    return { ok: true, children: node.children.size === 0 ? NO_PATHS : Array.from(node.children).sort() };
  }

  /** Serves a read request (getData / exists / getChildren). Watches are the WatchManager's. */
  read(req: ZkRequest): ZkResult {
    switch (req.op) {
      case 'getData':
        return this.getData(req.path);
      case 'exists':
        return this.exists(req.path);
      case 'getChildren':
        return this.getChildren(req.path);
      default:
        throw new Error(`DataTree.read: ${req.op} is not a read served by the tree`);
    }
  }

  /** The node's prep-relevant facts, without copying (do not hold on to it). */
  peek(path: string): NodeView | undefined {
    return this.nodes.get(path);
  }

  hasSession(sessionId: number): boolean {
    return this.sessionMap.has(sessionId);
  }

  /** Open sessions: id → {timeoutUs, ephemerals}. Live views; do not mutate. */
  get sessions(): ReadonlyMap<number, SessionInfo> {
    return this.sessionMap;
  }

  /** Paths of the ephemerals owned by `sessionId`, sorted. */
  ephemeralsOf(sessionId: number): readonly string[] {
    const set = this.ephemeralsByOwner.get(sessionId);
    return set === undefined || set.size === 0 ? NO_PATHS : Array.from(set).sort();
  }

  /** Number of znodes, the root included. */
  get nodeCount(): number {
    return this.nodes.size;
  }

  /** Unsigned 32-bit hash of the whole content (nodes and sessions), maintained incrementally. */
  digest(): number {
    return this.digestSum >>> 0;
  }

  /** The digest recomputed from scratch (for checks; O(n)). */
  digestFromScratch(): number {
    let sum = 0;
    for (const node of this.nodes.values()) sum = (sum + node.computeHash()) | 0;
    for (const [id, s] of this.sessionMap) sum = (sum + sessionHash(id, s.timeoutUs)) | 0;
    return sum >>> 0;
  }

  /** Throws if the tree's internal structure is inconsistent (for tests and debug runs). */
  assertConsistent(): void {
    const fail = (msg: string): never => {
      throw new Error(`DataTree inconsistent: ${msg}`);
    };
    if (!this.nodes.has('/')) fail('no root');
    let ephemeralCount = 0;
    for (const [path, node] of this.nodes) {
      if (path !== '/') {
        const parent = this.nodes.get(parentOf(path));
        if (parent === undefined) fail(`${path} has no parent`);
        else if (!parent.children.has(nameOf(path))) fail(`${path} not among its parent's children`);
      }
      for (const c of node.children) {
        if (!this.nodes.has(path === '/' ? '/' + c : path + '/' + c)) fail(`${path} lists missing child ${c}`);
      }
      if (node.ephemeralOwner !== 0) {
        ephemeralCount++;
        if (node.children.size > 0) fail(`ephemeral ${path} has children`);
        if (!this.ephemeralsByOwner.get(node.ephemeralOwner)?.has(path)) fail(`ephemeral ${path} not indexed`);
      }
      if (node.hash !== node.computeHash()) fail(`${path} has a stale hash`);
    }
    let indexed = 0;
    for (const [owner, set] of this.ephemeralsByOwner) {
      indexed += set.size;
      const s = this.sessionMap.get(owner);
      if (s !== undefined && s.ephemerals !== set) fail(`session ${owner} ephemerals not shared`);
      if (s === undefined && set.size === 0) fail(`empty ephemeral set kept for closed session ${owner}`);
    }
    if (indexed !== ephemeralCount) fail(`ephemeral index has ${indexed} paths, tree ${ephemeralCount}`);
    if (this.digest() !== this.digestFromScratch()) fail('incremental digest differs from recomputed');
  }

  // ---------------------------------------------------------------- snapshots

  /** Deep copy (snapshots, SNAP sync, the leader's speculative tree). */
  clone(): DataTree {
    const t = new DataTree();
    t.nodes.clear();
    for (const [path, node] of this.nodes) t.nodes.set(path, node.copy(path));
    for (const [owner, set] of this.ephemeralsByOwner) t.ephemeralsByOwner.set(owner, new Set(set));
    for (const [id, s] of this.sessionMap) {
      let set = t.ephemeralsByOwner.get(id);
      if (set === undefined) {
        set = new Set();
        t.ephemeralsByOwner.set(id, set);
      }
      t.sessionMap.set(id, new SessionRecord(s.timeoutUs, set));
    }
    t.digestSum = this.digestSum;
    t.lastProcessedZxid = this.lastProcessedZxid;
    return t;
  }

  /** Canonical snapshot: nodes sorted by path, sessions by id (equal content ⇒ equal JSON). */
  toJSON(): DataTreeJSON {
    const paths = Array.from(this.nodes.keys()).sort();
    const nodes = paths.map((path) => {
      const n = this.nodes.get(path) as ZNode;
      return { path, data: n.data, stat: n.stat() };
    });
    const ids = Array.from(this.sessionMap.keys()).sort((a, b) => a - b);
    const sessions = ids.map((sessionId) => ({
      sessionId,
      timeoutUs: (this.sessionMap.get(sessionId) as SessionRecord).timeoutUs,
    }));
    return { format: 'zablab-datatree/1', lastProcessedZxid: this.lastProcessedZxid, nodes, sessions };
  }

  /** Rebuilds a tree from {@link toJSON}'s output; throws an Error naming the bad field. */
  static fromJSON(json: unknown, where = 'snapshot'): DataTree {
    const bad = (field: string, msg: string): never => {
      throw new Error(`${where}${field}: ${msg}`);
    };
    if (typeof json !== 'object' || json === null) return bad('', 'expected an object');
    const j = json as Partial<Record<keyof DataTreeJSON, unknown>>;
    if (j.format !== 'zablab-datatree/1') bad('.format', `expected "zablab-datatree/1", got ${JSON.stringify(j.format)}`);
    if (!isSafeInt(j.lastProcessedZxid) || j.lastProcessedZxid < 0) bad('.lastProcessedZxid', 'expected a non-negative integer');
    if (!Array.isArray(j.nodes)) return bad('.nodes', 'expected an array');
    if (!Array.isArray(j.sessions)) return bad('.sessions', 'expected an array');

    const t = new DataTree();
    t.nodes.clear();
    t.digestSum = 0;
    const declaredChildren: number[] = [];
    const nodeList = j.nodes as unknown[];
    for (let i = 0; i < nodeList.length; i++) {
      const f = `.nodes[${i}]`;
      const e = nodeList[i] as { path?: unknown; data?: unknown; stat?: Record<string, unknown> } | null;
      if (typeof e !== 'object' || e === null) return bad(f, 'expected an object');
      if (typeof e.path !== 'string' || !isValidPath(e.path)) return bad(`${f}.path`, `invalid path ${JSON.stringify(e.path)}`);
      if (t.nodes.has(e.path)) bad(`${f}.path`, `duplicate path ${e.path}`);
      if (typeof e.data !== 'string') bad(`${f}.data`, 'expected a string');
      const st = e.stat;
      if (typeof st !== 'object' || st === null) return bad(`${f}.stat`, 'expected an object');
      for (const k of ['czxid', 'mzxid', 'pzxid', 'version', 'cversion', 'ephemeralOwner'] as const) {
        if (!isSafeInt(st[k])) bad(`${f}.stat.${k}`, 'expected an integer');
      }
      if (st.dataLength !== undefined && st.dataLength !== utf8Length(e.data as string)) {
        bad(`${f}.stat.dataLength`, `is ${JSON.stringify(st.dataLength)} but data has ${utf8Length(e.data as string)} bytes (UTF-8)`);
      }
      const n = new ZNode(e.path, 0, e.data as string, st.czxid as number, st.ephemeralOwner as number);
      n.mzxid = st.mzxid as number;
      n.pzxid = st.pzxid as number;
      n.version = st.version as number;
      n.cversion = st.cversion as number;
      n.hash = n.computeHash();
      t.nodes.set(e.path, n);
      declaredChildren.push(st.numChildren === undefined ? -1 : (st.numChildren as number));
    }
    if (!t.nodes.has('/')) bad('.nodes', 'no root node "/"');
    let i = 0;
    for (const [path, n] of t.nodes) {
      if (path !== '/') {
        const parent = t.nodes.get(parentOf(path));
        if (parent === undefined) bad(`.nodes[${i}].path`, `parent ${parentOf(path)} of ${path} is missing`);
        else if (parent.ephemeralOwner !== 0) bad(`.nodes[${i}].path`, `parent ${parentOf(path)} is ephemeral`);
        else parent.children.add(nameOf(path));
      }
      if (n.ephemeralOwner !== 0) {
        let set = t.ephemeralsByOwner.get(n.ephemeralOwner);
        if (set === undefined) {
          set = new Set();
          t.ephemeralsByOwner.set(n.ephemeralOwner, set);
        }
        set.add(path);
      }
      i++;
    }
    i = 0;
    for (const n of t.nodes.values()) {
      const declared = declaredChildren[i];
      if (declared !== -1 && declared !== n.children.size) {
        bad(`.nodes[${i}].stat.numChildren`, `is ${declared} but the snapshot has ${n.children.size} children`);
      }
      t.digestSum = (t.digestSum + n.hash) | 0;
      i++;
    }
    const sessionList = j.sessions as unknown[];
    for (let k = 0; k < sessionList.length; k++) {
      const f = `.sessions[${k}]`;
      const s = sessionList[k] as { sessionId?: unknown; timeoutUs?: unknown } | null;
      if (typeof s !== 'object' || s === null) return bad(f, 'expected an object');
      if (!isSafeInt(s.sessionId) || s.sessionId <= 0) return bad(`${f}.sessionId`, 'expected a positive integer');
      if (typeof s.timeoutUs !== 'number' || !(s.timeoutUs > 0)) return bad(`${f}.timeoutUs`, 'expected a positive number');
      if (t.sessionMap.has(s.sessionId)) bad(`${f}.sessionId`, `duplicate session ${s.sessionId}`);
      t.createSession(s.sessionId, s.timeoutUs);
    }
    t.lastProcessedZxid = j.lastProcessedZxid as number;
    return t;
  }
}
