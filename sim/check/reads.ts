/**
 * What ZooKeeper promises about reads, checked against the order the service committed
 * its txns in — the promises that are weaker than linearizability, which the znode
 * linearizability check (check/lin) cannot state.
 *
 * ZooKeeper's Programmer's Guide ("ZooKeeper Consistency Guarantees"): "Sequential
 * Consistency: updates from a client will be applied in the order that they were sent";
 * "Single System Image: a client will see the same view of the service regardless of the
 * server that it connects to. i.e., a client will never see an older view of the system
 * even if the client fails over to a different server with the same session". Reads are
 * served by the connected server and may be stale, but each client moves forward along
 * the one order in which the service commits writes (the paper calls this ordered
 * sequential consistency). Checked here, per client:
 *
 * - every read returns the state after some prefix of the committed order (never a value
 *   that was not committed);
 * - that prefix never shrinks: not below what the client read before (monotonic reads),
 *   nor below its own writes (read-your-writes);
 * - its writes come after everything it has read (its order is the commit order).
 *
 * "Per client": zablab's client presents the newest zxid it has seen whenever it
 * (re)connects, also when it has to open a new session after an expiry, and a server
 * behind it refuses the connection; so its guarantee spans its sessions. ZooKeeper's own
 * is per session (a new session of the real client library starts from scratch).
 *
 * How: the committed txns are replayed on a fresh DataTree; for each path a client read,
 * the value a read would return is computed after every txn, giving per value the
 * positions (prefix lengths) where it could be read. A client's position starts at 0;
 * a read moves it to the first position at or after it where the read's value holds —
 * none is a violation; a write (create / setData, found in the order by its data, which
 * zablab's workloads make unique) moves it past the write, and must not lie before it.
 * The greedy choice of the earliest position is exact: it never passes a client's true
 * position, so a correct run is never flagged, and a read that fits no position at or
 * after where the client provably is cannot be explained by any.
 *
 * Also found here: reads that missed a write which had completed before they were
 * invoked (in the commit order, the read's value was overwritten by then). Each such read
 * is a definite linearizability violation, found without a search; zablab counts them for
 * sync reads, which ZooKeeper does not promise to be linearizable (ZOOKEEPER-1675).
 *
 * Limits: deletes and failed writes carry no data, so they are not located in the order
 * (they constrain nothing here; the linearizability check sees them); reads of other
 * clients do not raise the staleness floor.
 */
import { DataTree, parentOf } from '../store/index.js';
import type { Txn, ZkRequest } from '../store/types.js';
import { historyValue } from '../client/session.js';

/** One operation of a client history (sim/client/history.ts's OpRecord fits). */
export interface ReadCheckOp {
  readonly opId: number;
  readonly client: number;
  readonly f: string;
  readonly value: unknown;
  readonly result?: 'ok' | 'fail' | 'info';
  readonly output?: unknown;
  readonly readMode?: string;
  readonly invokeUs: number;
  readonly completeUs?: number;
  readonly server?: number;
}

/** One committed txn, in commit order (`index`: its zxid or slot). Undefined: a no-op. */
export interface CommittedTxn {
  readonly index: number;
  readonly txn: Txn | undefined;
}

export interface SessionViolation {
  readonly client: number;
  readonly opId: number;
  /**
   * `never-committed`: no committed state has the value read; `went-back`: only older
   * states than the client had seen; `watch-late`: the read saw a node change that a watch
   * the client held had not yet announced (sim/client/session.ts, watchedStates).
   */
  readonly kind: 'never-committed' | 'went-back' | 'watch-late';
  readonly message: string;
  /** The operation that had taken the client past the state read. */
  readonly sinceOpId?: number;
}

export interface ReadCheckResult {
  /** Ordered sequential consistency per client. */
  readonly sessions: { readonly ok: boolean; readonly reads: number; readonly violations: readonly SessionViolation[] };
  /** Reads whose value had been overwritten, in the commit order, by a write that completed before they were invoked. */
  readonly stale: readonly number[];
}

const READS = new Set(['getData', 'exists', 'getChildren']);

/** Returns the same key for values the znode model treats as equal (object keys in any order, children in any order). */
function canon(f: string, value: unknown): string {
  if (f === 'getChildren' && Array.isArray(value)) return JSON.stringify([...value].map(String).sort());
  return stable(value);
}

function stable(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stable(record[key])}`)
    .join(',')}}`;
}

function pathOf(value: unknown): string | undefined {
  const path = (value as { path?: unknown } | null)?.path;
  return typeof path === 'string' ? path : undefined;
}

function readKey(f: string, path: string): string {
  return `${f} ${path}`;
}

function writeKey(type: string, path: string, data: string): string {
  return `${type}\u0000${path}\u0000${data}`;
}

/** Where each value of one read could be observed: intervals [start, end) of prefix lengths. */
class Timeline {
  private readonly byValue = new Map<string, number[]>();
  private last: string | null = null;
  private lastStart = 0;

  push(position: number, value: string): void {
    if (value === this.last) return;
    if (this.last !== null) this.close(position);
    this.last = value;
    this.lastStart = position;
  }

  finish(end: number): void {
    if (this.last !== null) this.close(end + 1);
    this.last = null;
  }

  private close(end: number): void {
    let spans = this.byValue.get(this.last!);
    if (spans === undefined) {
      spans = [];
      this.byValue.set(this.last!, spans);
    }
    spans.push(this.lastStart, end);
  }

  has(value: string): boolean {
    return this.byValue.has(value);
  }

  /** The first position ≥ from at which `value` is read, if any. */
  firstAtOrAfter(value: string, from: number): number | undefined {
    const spans = this.byValue.get(value);
    if (spans === undefined) return undefined;
    let lo = 0;
    let hi = spans.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (spans[2 * mid + 1] <= from) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= spans.length / 2) return undefined;
    return Math.max(spans[2 * lo], from);
  }

  /** The last position at which `value` is read. */
  lastPosition(value: string): number | undefined {
    const spans = this.byValue.get(value);
    return spans === undefined ? undefined : spans[spans.length - 1] - 1;
  }
}

/** The paths whose reads a txn may change (a znode and its parent's children); undefined: any. */
function touched(txn: Txn): string[] | undefined {
  switch (txn.type) {
    case 'create':
    case 'delete':
      return [txn.path, parentOf(txn.path)];
    case 'setData':
      return [txn.path];
    case 'multi': {
      const paths: string[] = [];
      for (const sub of txn.txns) {
        const more = touched(sub);
        if (more === undefined) return undefined;
        paths.push(...more);
      }
      return paths;
    }
    case 'check':
    case 'createSession':
    case 'error':
      return [];
    default:
      // closeSession deletes the session's ephemerals, wherever they are.
      return undefined;
  }
}

function describeOp(op: ReadCheckOp): string {
  const mode = op.readMode !== undefined ? `, a ${op.readMode} read` : '';
  const server = op.server !== undefined ? ` on server ${op.server}` : '';
  return `op ${op.opId}${mode}${server}`;
}

function describeRead(op: ReadCheckOp): string {
  return `${op.f} ${pathOf(op.value) ?? '?'} → ${JSON.stringify(op.output)}`;
}

/**
 * Checks a history's reads against the committed order.
 * @param ops the history's operations, in invocation order
 * @param committed the committed txns, in commit order
 * @param label names a txn for messages (default: its position)
 */
export function checkReads(ops: readonly ReadCheckOp[], committed: readonly CommittedTxn[], label: (index: number) => string = (index) => `#${index}`): ReadCheckResult {
  const txns = committed.filter((entry) => entry.txn !== undefined);
  // The reads to follow, and where each write is in the order.
  const timelines = new Map<string, { req: ZkRequest; timeline: Timeline }>();
  for (const op of ops) {
    if (op.result !== 'ok' || !READS.has(op.f)) continue;
    const path = pathOf(op.value);
    if (path === undefined) continue;
    const key = readKey(op.f, path);
    if (!timelines.has(key)) timelines.set(key, { req: { op: op.f, path } as ZkRequest, timeline: new Timeline() });
  }
  const writeAt = new Map<string, number>();
  const tree = new DataTree();
  // The reads of each path: a txn is observed only through the paths it touches.
  const byPath = new Map<string, { req: ZkRequest; timeline: Timeline }[]>();
  for (const entry of timelines.values()) {
    const path = (entry.req as { path: string }).path;
    const list = byPath.get(path);
    if (list === undefined) byPath.set(path, [entry]);
    else list.push(entry);
  }
  const observeRead = (position: number, { req, timeline }: { req: ZkRequest; timeline: Timeline }) => timeline.push(position, canon(req.op, historyValue(req, tree.read(req))));
  const observe = (position: number, txn: Txn | undefined) => {
    const paths = txn === undefined ? undefined : touched(txn);
    if (paths === undefined) {
      for (const entry of timelines.values()) observeRead(position, entry);
      return;
    }
    for (const path of paths) for (const entry of byPath.get(path) ?? []) observeRead(position, entry);
  };
  observe(0, undefined);
  const locate = (txn: Txn, position: number) => {
    if (txn.type === 'create' || txn.type === 'setData') {
      const key = writeKey(txn.type, txn.path, txn.data);
      if (!writeAt.has(key)) writeAt.set(key, position);
    } else if (txn.type === 'multi') {
      for (const sub of txn.txns) locate(sub, position);
    }
  };
  for (let i = 0; i < txns.length; i++) {
    const txn = txns[i].txn!;
    locate(txn, i);
    tree.apply(txn, txns[i].index);
    observe(i + 1, txn);
  }
  for (const { timeline } of timelines.values()) timeline.finish(txns.length);
  const labelAt = (position: number) => (position > 0 ? label(txns[position - 1].index) : 'the empty tree');

  /** The position a successful write took, if it can be located. */
  const positionOfWrite = (op: ReadCheckOp): number | undefined => {
    const value = op.value as { path?: unknown; data?: unknown } | null;
    if (typeof value?.data !== 'string') return undefined;
    if (op.f === 'create' && typeof op.output === 'string' && op.output.startsWith('/')) return writeAt.get(writeKey('create', op.output, value.data));
    if (op.f === 'setData' && typeof value.path === 'string' && (typeof op.output === 'number' || op.output === null)) return writeAt.get(writeKey('setData', value.path, value.data));
    return undefined;
  };

  // Ordered sequential consistency, per client.
  const violations: SessionViolation[] = [];
  const clients = new Map<number, { position: number; by: ReadCheckOp | undefined }>();
  let reads = 0;
  for (const op of ops) {
    if (op.result !== 'ok') continue;
    let client = clients.get(op.client);
    if (client === undefined) {
      client = { position: 0, by: undefined };
      clients.set(op.client, client);
    }
    const path = pathOf(op.value);
    if (READS.has(op.f) && path !== undefined) {
      reads++;
      const value = canon(op.f, op.output);
      const timeline = timelines.get(readKey(op.f, path))!.timeline;
      const at = timeline.firstAtOrAfter(value, client.position);
      if (at !== undefined) {
        client.position = at;
        client.by = op;
        continue;
      }
      if (!timeline.has(value)) {
        violations.push({ client: op.client, opId: op.opId, kind: 'never-committed', message: `client ${op.client} read ${describeRead(op)} (${describeOp(op)}): no committed state has that value` });
      } else {
        const last = timeline.lastPosition(value)!;
        const since = client.by!;
        violations.push({
          client: op.client,
          opId: op.opId,
          kind: 'went-back',
          sinceOpId: since.opId,
          message:
            `client ${op.client} read ${describeRead(op)} (${describeOp(op)}), a state that ended with ${labelAt(last + 1)}, ` +
            `after it had already seen ${labelAt(client.position)} (${READS.has(since.f) ? `it read ${describeRead(since)}` : `its own ${since.f}`}, ${describeOp(since)}): it went back in time`,
        });
      }
      continue;
    }
    const at = positionOfWrite(op);
    if (at === undefined) continue;
    if (at < client.position) {
      const since = client.by!;
      violations.push({
        client: op.client,
        opId: op.opId,
        kind: 'went-back',
        sinceOpId: since.opId,
        message: `client ${op.client}'s ${op.f} ${pathOf(op.value) ?? '?'} (op ${op.opId}) is ${labelAt(at + 1)}, ordered before ${labelAt(client.position)} that it had already seen (${describeOp(since)}): its order is not the commit order`,
      });
      continue;
    }
    client.position = at + 1;
    client.by = op;
  }

  // Reads that missed a write completed before they began.
  const writes: { completeUs: number; after: number }[] = [];
  for (const op of ops) {
    if (op.result !== 'ok' || op.completeUs === undefined) continue;
    const at = positionOfWrite(op);
    if (at !== undefined) writes.push({ completeUs: op.completeUs, after: at + 1 });
  }
  writes.sort((a, b) => a.completeUs - b.completeUs);
  const readsByInvoke = ops.filter((op) => op.result === 'ok' && READS.has(op.f) && pathOf(op.value) !== undefined).sort((a, b) => a.invokeUs - b.invokeUs || a.opId - b.opId);
  const stale: number[] = [];
  let floor = 0;
  let w = 0;
  for (const op of readsByInvoke) {
    // Intervals are closed: a write completing at the read's invocation instant overlaps it.
    while (w < writes.length && writes[w].completeUs < op.invokeUs) floor = Math.max(floor, writes[w++].after);
    const value = canon(op.f, op.output);
    const timeline = timelines.get(readKey(op.f, pathOf(op.value)!))!.timeline;
    if (timeline.has(value) && timeline.firstAtOrAfter(value, floor) === undefined) stale.push(op.opId);
  }
  stale.sort((a, b) => a - b);
  return { sessions: { ok: violations.length === 0, reads, violations }, stale };
}
