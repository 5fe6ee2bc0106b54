/**
 * Per-server state at the cursor, folded from the trace.
 *
 * Node snapshots (`inspect()`) are not in traces, so the lab derives what a server
 * knows from the events it recorded:
 * - scalar state — status (up / down / paused), role, leader, the epoch / ballot fields
 *   of `state` events, the current vote, the last sync mode — as one snapshot per
 *   change, found by binary search;
 * - its log, as "incarnations" of entries: each entry lives from the event that
 *   created it (propose / accepted / logged / commit) until a truncation, a crash that
 *   loses it (it was only in memory) or a replacement; it becomes durable at `logged`
 *   (ZAB) or `accepted` (a Paxos acceptor's vote is persisted before it is recorded),
 *   and committed at `commit`;
 * - its data tree: the committed entries in index order, applied to a DataTree (the
 *   same code the servers run).
 * What a crash loses is modelled from the trace alone: entries not yet durable, the
 * vote, the role. Epoch and ballot fields survive (they are written to disk).
 */
import type { TraceEvent } from '../../sim/core/trace.js';
import { DataTree, type Txn } from '../../sim/store/index.js';
import { firstAfter, type TraceModel } from './model.js';
import { formatZxid } from './format.js';

export interface LogEntry {
  id: number;
  node: number;
  index: number;
  label: string;
  /** What the entry does when no txn says it (a Paxos vote's label); else see txnText(txn). */
  text: string;
  txn?: unknown;
  value?: unknown;
  origin?: string;
  createdSeq: number;
  durableSeq: number;
  /** The first time it was known committed (for "what changed"). */
  committedSeq: number;
  /** Intervals [start, end) during which the server knows it committed (flat pairs). */
  committed: number[];
  endSeq: number;
  endReason?: string;
}

/** Whether the server knows entry e committed after event seq. */
export function isCommitted(e: LogEntry, seq: number): boolean {
  const c = e.committed;
  for (let i = 0; i < c.length; i += 2) if (c[i] <= seq && seq < c[i + 1]) return true;
  return false;
}

/** How a server's tree changes: rebuilt (from nothing, its disk, or a leader's snapshot), or a txn applied. */
type TreeOp =
  | { seq: number; kind: 'empty' }
  | { seq: number; kind: 'disk'; upTo: number }
  | { seq: number; kind: 'copy'; from: number }
  /** A snapshot written; `of`: a TRUNC fell back to the older snapshot written at that seq (-1: to none). */
  | { seq: number; kind: 'snapshot'; zxid?: number; of?: number }
  | { seq: number; kind: 'apply'; entry: LogEntry };

export type Fields = Record<string, unknown>;

interface Snapshot {
  seq: number;
  fields: Fields;
}

export interface NodeView {
  node: number;
  fields: Fields;
  /** Fields that changed at exactly this event. */
  changed: Set<string>;
  log: LogEntry[];
  logTotal: number;
  /** Entries removed at exactly this event (struck through). */
  removed: LogEntry[];
  lastProposed?: LogEntry;
  lastLogged?: LogEntry;
  lastCommitted?: LogEntry;
  memoryOnly: number;
}

/** Tree checkpoints every this many tree operations. */
const CHECKPOINT = 64;

/** Scalar fields that survive a crash (they are on disk). */
const DURABLE_FIELD = /epoch|promised|ballot/i;

export function txnText(txn: unknown): string {
  if (typeof txn !== 'object' || txn === null) return txn === undefined ? '' : String(txn);
  const t = txn as Record<string, unknown>;
  const type = String(t.type ?? '?');
  switch (type) {
    case 'create':
      return `create ${String(t.path)}${t.data !== undefined && t.data !== '' ? ` = ${String(t.data)}` : ''}`;
    case 'setData':
      return `set ${String(t.path)} = ${String(t.data)}`;
    case 'delete':
      return `delete ${String(t.path)}`;
    case 'createSession':
      return `open session ${typeof t.sessionId === 'number' ? '0x' + t.sessionId.toString(16) : ''}`;
    case 'closeSession':
      return `close session ${typeof t.sessionId === 'number' ? '0x' + t.sessionId.toString(16) : ''}`;
    case 'check':
      return t.path === '/' ? 'no-op (read barrier)' : `check ${String(t.path)}`;
    case 'error':
      return `error ${String(t.code ?? '')}`;
    case 'multi':
      return `multi (${Array.isArray(t.txns) ? t.txns.length : '?'} ops)`;
    default:
      return type;
  }
}

export class NodeStates {
  private readonly snapshots: Snapshot[][];
  private readonly entries: LogEntry[][];
  private readonly txnByIndex = new Map<string, unknown>();
  private readonly treeOps: TreeOp[][];
  private readonly treeCache = new Map<number, { resetSeq: number; applied: number; tree: DataTree }>();
  /** Per node: op index → the tree right after that op (every CHECKPOINT ops), for fast jumps back. */
  private readonly checkpoints = new Map<number, Map<number, DataTree>>();
  /** Durable snapshots (ZAB `snapshot` events): the tree as it was then. */
  private readonly snapshotsAt = new Map<string, DataTree>();

  constructor(private readonly model: TraceModel) {
    const n = model.servers;
    this.snapshots = Array.from({ length: n }, () => [{ seq: -1, fields: { status: 'up' } }]);
    this.entries = Array.from({ length: n }, () => []);
    this.treeOps = Array.from({ length: n }, () => [{ seq: -1, kind: 'empty' }]);
    this.fold();
  }

  private fold(): void {
    const { events } = this.model;
    const alive: Map<number, LogEntry>[] = Array.from({ length: this.model.servers }, () => new Map());
    let nextId = 0;
    const current = (node: number) => this.snapshots[node][this.snapshots[node].length - 1].fields;
    const update = (node: number, seq: number, patch: Fields, drop?: (key: string) => boolean) => {
      const prev = current(node);
      const next: Fields = {};
      for (const key in prev) if (!drop || !drop(key)) next[key] = prev[key];
      Object.assign(next, patch);
      const list = this.snapshots[node];
      if (list[list.length - 1].seq === seq) list[list.length - 1].fields = next;
      else list.push({ seq, fields: next });
    };
    const create = (e: TraceEvent, index: number, source: Partial<LogEntry>): LogEntry => {
      const entry: LogEntry = {
        id: nextId++,
        node: e.node,
        index,
        label: source.label ?? this.labelFor(index),
        text: source.text ?? '',
        createdSeq: e.seq,
        durableSeq: Infinity,
        committedSeq: Infinity,
        committed: [],
        endSeq: Infinity,
      };
      if (source.txn !== undefined) entry.txn = source.txn;
      if (source.value !== undefined) entry.value = source.value;
      if (source.origin !== undefined) entry.origin = source.origin;
      this.entries[e.node].push(entry);
      alive[e.node].set(index, entry);
      return entry;
    };
    const closeCommitted = (entry: LogEntry, seq: number) => {
      const c = entry.committed;
      if (c.length > 0 && c[c.length - 1] === Infinity) c[c.length - 1] = seq;
    };
    const end = (entry: LogEntry, seq: number, reason: string) => {
      entry.endSeq = seq;
      entry.endReason = reason;
      closeCommitted(entry, seq);
      alive[entry.node].delete(entry.index);
    };
    const zab = this.model.protocol === 'zab';
    /** The live entry at index if it is the same txn, else a fresh one (replacing a different one). */
    const entryFor = (e: TraceEvent, index: number, identity: unknown, source: Partial<LogEntry>): LogEntry => {
      const existing = alive[e.node].get(index);
      if (existing !== undefined) {
        const same = identity === undefined || existing.value === undefined || existing.value === identity;
        if (same) {
          if (existing.txn === undefined && source.txn !== undefined) existing.txn = source.txn;
          if (existing.value === undefined && identity !== undefined) existing.value = identity;
          return existing;
        }
        end(existing, e.seq, 'replaced by a different value');
      }
      return create(e, index, { ...source, ...(identity !== undefined ? { value: identity } : {}) });
    };
    for (const e of events) {
      const node = e.node;
      if (node < 0 || node >= this.model.servers) continue;
      switch (e.kind) {
        case 'state': {
          const patch: Fields = {};
          for (const key in e) if (key !== 'timeUs' && key !== 'seq' && key !== 'node' && key !== 'kind') patch[key] = e[key];
          update(node, e.seq, patch);
          break;
        }
        case 'vote':
          update(node, e.seq, { vote: { leader: e.leader, zxid: e.zxid, epoch: e.epoch, round: e.round } });
          break;
        case 'promise':
          update(node, e.seq, { promised: e.ballot });
          break;
        case 'election':
          update(node, e.seq, { established: e.epoch });
          break;
        case 'sync-mode':
          update(node, e.seq, { syncMode: `${String(e.mode)} → S${String(e.learner)}` });
          break;
        case 'crash': {
          update(node, e.seq, { status: 'down', role: 'DOWN', leader: null }, (key) => !DURABLE_FIELD.test(key) || key === 'vote');
          for (const entry of [...alive[node].values()]) {
            if (entry.durableSeq > e.seq) end(entry, e.seq, 'lost in the crash (only in memory)');
            else closeCommitted(entry, e.seq);
          }
          this.treeOps[node].push({ seq: e.seq, kind: 'empty' });
          break;
        }
        case 'restart':
          update(node, e.seq, { status: 'up', role: 'STARTING' });
          break;
        case 'pause':
          update(node, e.seq, { status: 'paused' });
          break;
        case 'resume':
          update(node, e.seq, { status: 'up' });
          break;
        case 'propose': {
          const index = Number(e.index);
          if (e.txn !== undefined) this.txnByIndex.set(`${index}/${String(e.origin ?? '')}`, e.txn);
          entryFor(e, index, e.value ?? e.origin, { label: labelOf(e, index, this.model.counterBits), txn: e.txn, origin: e.origin as string | undefined });
          break;
        }
        case 'accepted': {
          const index = Number(e.slot ?? e.index);
          const entry = entryFor(e, index, e.value, { label: `slot ${index}`, text: typeof e.label === 'string' ? e.label : '' });
          if (entry.durableSeq > e.seq) entry.durableSeq = e.seq;
          break;
        }
        case 'logged': {
          const index = Number(e.index ?? e.zxid);
          const entry = entryFor(e, index, e.value, { label: labelOf(e, index, this.model.counterBits), txn: e.txn });
          if (entry.durableSeq > e.seq) entry.durableSeq = e.seq;
          break;
        }
        case 'truncate': {
          const to = Number(e.index ?? e.zxid ?? e.to);
          for (const entry of [...alive[node].values()]) if (entry.index > to) end(entry, e.seq, `truncated to ${this.labelFor(to)}`);
          this.treeOps[node].push({ seq: e.seq, kind: 'disk', upTo: to });
          break;
        }
        case 'restore': {
          // The tree is rebuilt from the snapshot and the log on disk (ZAB loadDataBase).
          const patch: Fields = {};
          for (const key of ['acceptedEpoch', 'currentEpoch']) if (e[key] !== undefined) patch[key] = e[key];
          update(node, e.seq, patch);
          for (const entry of alive[node].values()) closeCommitted(entry, e.seq);
          this.treeOps[node].push({ seq: e.seq, kind: 'disk', upTo: typeof e.lastProcessedZxid === 'number' ? e.lastProcessedZxid : Infinity });
          break;
        }
        case 'snap':
          // SNAP: the leader's tree replaces this one.
          this.treeOps[node].push({ seq: e.seq, kind: 'copy', from: Number(e.leader) });
          break;
        case 'snapshot':
          this.treeOps[node].push({ seq: e.seq, kind: 'snapshot', zxid: Number(e.zxid) });
          break;
        case 'snapshot-fallback': {
          // The server starts again from an older snapshot (a TRUNC below its newest one).
          const ops = this.treeOps[node];
          if (Number(e.zxid) < 0) ops.push({ seq: e.seq, kind: 'snapshot', zxid: -1, of: -1 }); // none: the whole log
          for (let i = ops.length - 1; i >= 0 && Number(e.zxid) >= 0; i--) {
            const o = ops[i];
            if (o.kind === 'snapshot' && o.of === undefined && o.zxid === Number(e.zxid)) {
              ops.push({ seq: e.seq, kind: 'snapshot', zxid: o.zxid, of: o.seq });
              break;
            }
          }
          break;
        }
        case 'commit': {
          const index = Number(e.index);
          const entry = entryFor(e, index, e.value, { label: labelOf(e, index, this.model.counterBits), txn: e.txn, origin: e.origin as string | undefined });
          if (entry.txn === undefined && e.txn !== undefined) entry.txn = e.txn;
          // A ZAB replay from its own log is applied but not known committed; a Paxos replay is (chosen slots are on disk).
          const known = !(zab && e.replay === true);
          if (!zab && e.replay === true && entry.durableSeq > e.seq) entry.durableSeq = e.seq;
          if (known) {
            if (entry.committedSeq > e.seq) entry.committedSeq = e.seq;
            const c = entry.committed;
            if (c.length === 0 || c[c.length - 1] !== Infinity) c.push(e.seq, Infinity);
          }
          this.treeOps[node].push({ seq: e.seq, kind: 'apply', entry });
          break;
        }
      }
    }
  }

  private labelFor(index: number): string {
    return this.model.protocol === 'zab' ? formatZxid(index, this.model.counterBits) : `slot ${index}`;
  }

  private snapshotAt(node: number, seq: number): Snapshot {
    const list = this.snapshots[node];
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (list[mid].seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return list[lo];
  }

  fieldsAt(node: number, seq: number): Fields {
    return this.snapshotAt(node, seq).fields;
  }

  /**
   * The label of the highest entry in node's log after event `seq` (its last zxid or
   * slot), '' when empty. Scans back from the newest entry created by then and stops
   * after a bounded number of live ones: logs grow in index order, so the newest live
   * entries hold the highest index — cheap enough for every animation frame.
   */
  lastLabelAt(node: number, seq: number): string {
    const list = this.entries[node];
    const lo = firstAfter(list.length, (i) => list[i].createdSeq, seq);
    let best: LogEntry | undefined;
    let live = 0;
    for (let i = lo - 1; i >= 0 && live < 32; i--) {
      const entry = list[i];
      if (entry.endSeq <= seq) continue;
      live++;
      if (best === undefined || entry.index > best.index) best = entry;
    }
    return best?.label ?? '';
  }

  /** The entries of node's log alive after event `seq`, by index. */
  logAt(node: number, seq: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (const entry of this.entries[node]) {
      if (entry.createdSeq > seq) break;
      if (entry.endSeq > seq) out.push(entry);
    }
    let sorted = true;
    for (let i = 1; i < out.length; i++) if (out[i].index < out[i - 1].index) sorted = false;
    if (!sorted) out.sort((a, b) => a.index - b.index);
    return out;
  }

  view(node: number, seq: number, tail = 10): NodeView {
    const snap = this.snapshotAt(node, seq);
    const prev = snap.seq === seq ? this.snapshotAt(node, seq - 1) : snap;
    const changed = new Set<string>();
    if (snap !== prev) {
      for (const key in snap.fields) if (JSON.stringify(snap.fields[key]) !== JSON.stringify(prev.fields[key])) changed.add(key);
      for (const key in prev.fields) if (!(key in snap.fields)) changed.add(key);
    }
    const log = this.logAt(node, seq);
    const removed: LogEntry[] = [];
    for (const entry of this.entries[node]) {
      if (entry.createdSeq > seq) break;
      if (entry.endSeq === seq) removed.push(entry);
    }
    let lastLogged: LogEntry | undefined;
    let lastCommitted: LogEntry | undefined;
    let memoryOnly = 0;
    for (const entry of log) {
      if (entry.durableSeq <= seq) lastLogged = entry;
      else memoryOnly++;
      if (isCommitted(entry, seq)) lastCommitted = entry;
    }
    const view: NodeView = {
      node,
      fields: snap.fields,
      changed,
      log: log.slice(Math.max(0, log.length - tail)),
      logTotal: log.length,
      removed,
      memoryOnly,
    };
    if (log.length > 0) view.lastProposed = log[log.length - 1];
    if (lastLogged) view.lastLogged = lastLogged;
    if (lastCommitted) view.lastCommitted = lastCommitted;
    return view;
  }

  /** Whether anything about node changed at event seq (for the panel's highlight). */
  touched(view: NodeView, seq: number): boolean {
    if (view.changed.size > 0 || view.removed.length > 0) return true;
    return view.log.some((e) => e.createdSeq === seq || e.durableSeq === seq || e.committedSeq === seq);
  }

  /**
   * The data tree of node after event seq: the last rebuild (empty after a crash, from
   * disk on restore or truncation, a copy of the leader's on SNAP), then every txn the
   * server applied since, in order. Cached per node, so stepping forward is incremental.
   */
  treeAt(node: number, seq: number, depth = 0): DataTree | undefined {
    if (this.fieldsAt(node, seq).status === 'down') return undefined;
    const ops = this.treeOps[node];
    let lo = 0;
    let hi = ops.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ops[mid].seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    const last = lo;
    let reset = last;
    while (reset > 0 && (ops[reset].kind === 'apply' || ops[reset].kind === 'snapshot')) reset--;
    const cached = this.treeCache.get(node);
    let tree: DataTree;
    let from: number;
    if (cached !== undefined && cached.resetSeq === ops[reset].seq && cached.applied <= last) {
      tree = cached.tree;
      from = cached.applied + 1;
    } else {
      let points = this.checkpoints.get(node);
      if (!points) this.checkpoints.set(node, (points = new Map()));
      let best = -1;
      for (let k = last - (last % CHECKPOINT); k > reset; k -= CHECKPOINT) {
        if (points.has(k)) {
          best = k;
          break;
        }
      }
      if (best >= 0) {
        tree = points.get(best)!.clone();
        from = best + 1;
      } else {
        tree = this.baseTree(node, ops[reset], depth);
        from = reset + 1;
      }
    }
    const points = this.checkpoints.get(node) ?? new Map<number, DataTree>();
    this.checkpoints.set(node, points);
    for (let i = from; i <= last; i++) {
      const op = ops[i];
      if (op.kind === 'apply') applyEntry(tree, op.entry, this.txnByIndex);
      if (i % CHECKPOINT === 0 && i > reset && !points.has(i)) points.set(i, tree.clone());
    }
    this.treeCache.set(node, { resetSeq: ops[reset].seq, applied: last, tree });
    return tree;
  }

  /**
   * Builds the tree checkpoints of one server ahead of time (every stretch between two
   * rebuilds), so that jumping anywhere later costs at most CHECKPOINT tree operations.
   */
  warm(node: number): void {
    const ops = this.treeOps[node];
    for (let i = 1; i <= ops.length; i++) {
      if (i === ops.length || ops[i].kind === 'empty' || ops[i].kind === 'disk' || ops[i].kind === 'copy') {
        const seq = ops[i - 1].seq;
        if (seq >= 0 && this.fieldsAt(node, seq).status !== 'down') this.treeAt(node, seq);
      }
    }
  }

  private baseTree(node: number, op: TreeOp, depth: number): DataTree {
    if (op.kind === 'copy') {
      const source = depth < 4 ? this.treeAt(op.from, op.seq, depth + 1) : undefined;
      return source ? source.clone() : new DataTree();
    }
    if (op.kind !== 'disk') return new DataTree();
    // The last durable snapshot, then the durable log after it, up to upTo.
    const ops = this.treeOps[node];
    let snapshot: DataTree | undefined;
    for (let i = ops.indexOf(op) - 1; i >= 0; i--) {
      const o = ops[i];
      if (o.kind === 'snapshot') {
        if (o.of === -1) break; // no snapshot: the whole log from an empty tree
        const at = o.of ?? o.seq;
        const key = `${node}/${at}`;
        snapshot = this.snapshotsAt.get(key);
        if (!snapshot) {
          const t = depth < 4 ? this.treeAt(node, at, depth + 1) : undefined;
          snapshot = t ? t.clone() : new DataTree();
          this.snapshotsAt.set(key, snapshot);
        }
        break;
      }
    }
    const tree = snapshot ? snapshot.clone() : new DataTree();
    const after = tree.lastProcessedZxid;
    for (const entry of this.logAt(node, op.seq)) {
      if (entry.durableSeq > op.seq || entry.index <= after || entry.index > op.upTo) continue;
      applyEntry(tree, entry, this.txnByIndex);
    }
    return tree;
  }
}

function applyEntry(tree: DataTree, entry: LogEntry, txnByIndex: Map<string, unknown>): void {
  const txn = entry.txn ?? txnByIndex.get(`${entry.index}/${entry.origin ?? ''}`);
  if (txn === undefined || typeof txn !== 'object') return;
  try {
    tree.apply(txn as Txn, Math.max(tree.lastProcessedZxid, entry.index));
  } catch {
    // A txn this build cannot apply (a newer format): show the tree without it.
  }
}

function labelOf(e: TraceEvent, index: number, counterBits: number): string {
  if (typeof e.label === 'string' && e.label !== '') return e.label;
  return formatZxid(index, counterBits);
}
