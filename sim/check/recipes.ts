/**
 * Checkers for the promises of ZooKeeper recipes, over the recorded history.
 *
 * Exclusive roles — the lock's holder, the leader latch's leader — are *beliefs*: a
 * client believes it holds the role from the completion of its `acquire` / `elect` until
 * the invocation of its `release` / `resign` (it stops acting on the role the moment it
 * decides to give it up). The checker lists each client's windows and every stretch of
 * time in which two clients believed it at once, with how long it lasted.
 *
 * What ZooKeeper promises, and what it does not: the znodes behind a role are
 * linearizable, so two clients never *hold the node* at once; a client's *belief* is
 * another matter. A holder learns of its session's expiry only when it reconnects, and
 * a paused holder (a GC pause) believes until it wakes. Curator's recipes give the role
 * up on SUSPENDED (no word from the server for 2/3 of the session timeout), which is
 * before the session can expire while the client's clock runs; a pause longer than the
 * session timeout defeats any client-side rule, and only a fencing token checked by the
 * protected resource (the node's czxid or sequence number) stops the damage.
 */
import type { HistoryEvent } from './lin/history.js';

export interface RoleWindow {
  readonly client: number;
  readonly fromUs: number;
  /** null: still believed when the run ended. */
  readonly toUs: number | null;
}

export interface RoleOverlap {
  readonly clients: readonly [number, number];
  readonly fromUs: number;
  readonly toUs: number;
}

export interface RecipeReport {
  readonly recipe: string;
  readonly verdict: 'holds' | 'violated';
  /** One line for the CLI and the lab. */
  readonly summary: string;
  readonly windows: readonly RoleWindow[];
  readonly overlaps: readonly RoleOverlap[];
  /** Longest time two clients believed the role at once (µs). */
  readonly maxOverlapUs: number;
}

/** The operations that start and end a role, per recipe. */
export const ROLE_OPS: Readonly<Record<string, { readonly start: string; readonly end: string; readonly role: string; readonly roles: string }>> = {
  lock: { start: 'acquire', end: 'release', role: 'held the lock', roles: 'held the lock' },
  'leader-latch': { start: 'elect', end: 'resign', role: 'believed itself leader', roles: 'believed themselves leader' },
};

/** Each client's belief windows and the overlaps between different clients'. */
export function checkExclusiveRole(recipe: string, events: readonly HistoryEvent[], endUs: number): RecipeReport {
  const ops = ROLE_OPS[recipe];
  if (ops === undefined) throw new Error(`checkExclusiveRole: ${recipe} has no exclusive role`);
  const windows: RoleWindow[] = [];
  const open = new Map<number, number>();
  for (const event of events) {
    // A recipe's operations run as one process per client (they never end unknown mid-run).
    const client = event.process as number;
    const atUs = event.timeUs ?? 0;
    if (event.f === ops.start && event.type === 'ok') open.set(client, atUs);
    else if (event.f === ops.end && event.type === 'invoke') {
      const fromUs = open.get(client);
      if (fromUs !== undefined) windows.push({ client, fromUs, toUs: atUs });
      open.delete(client);
    }
  }
  for (const [client, fromUs] of open) windows.push({ client, fromUs, toUs: null });
  windows.sort((a, b) => a.fromUs - b.fromUs || a.client - b.client);
  const overlaps: RoleOverlap[] = [];
  let maxOverlapUs = 0;
  for (let i = 0; i < windows.length; i++) {
    const a = windows[i];
    const aEnd = a.toUs ?? endUs;
    for (let j = i + 1; j < windows.length && windows[j].fromUs < aEnd; j++) {
      const b = windows[j];
      if (b.client === a.client) continue;
      const toUs = Math.min(aEnd, b.toUs ?? endUs);
      if (toUs <= b.fromUs) continue;
      overlaps.push({ clients: [a.client, b.client], fromUs: b.fromUs, toUs });
      maxOverlapUs = Math.max(maxOverlapUs, toUs - b.fromUs);
    }
  }
  const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
  const summary =
    overlaps.length === 0
      ? `${windows.length} window(s) in which one client ${ops.role}; never two at once`
      : `two clients ${ops.roles} at once ${overlaps.length} time(s), the longest for ${ms(maxOverlapUs)} (first: clients ${overlaps[0].clients.join(' and ')} from ${ms(overlaps[0].fromUs)} to ${ms(overlaps[0].toUs)})`;
  return { recipe, verdict: overlaps.length === 0 ? 'holds' : 'violated', summary, windows, overlaps, maxOverlapUs };
}

/**
 * Configuration through watches (`config`): every reader's cache moves only forward
 * (never an older version after a newer one — ZooKeeper's single system image for a
 * session), and once the faults are over every reader ends on the same version, at
 * least the newest one the writer knows it published. ZooKeeper promises that a watcher
 * hears of a change before it can read the changed data; a NodeCache reads the data only
 * after an event, so the order is the recipe's own and not checked here.
 */
export function checkConfig(events: readonly HistoryEvent[]): RecipeReport {
  const seen = new Map<number, number[]>();
  let published = -1;
  for (const event of events) {
    if (event.type !== 'ok') continue;
    if (event.f === 'publish' && typeof event.value === 'number') published = Math.max(published, event.value);
    if (event.f === 'observe') {
      const list = seen.get(event.process as number) ?? [];
      list.push(typeof event.value === 'number' ? event.value : -1);
      seen.set(event.process as number, list);
    }
  }
  const problems: string[] = [];
  const finals = new Map<number, number>();
  for (const [reader, versions] of [...seen].sort((a, b) => a[0] - b[0])) {
    for (let i = 1; i < versions.length; i++) {
      if (versions[i] < versions[i - 1]) {
        problems.push(`client ${reader} saw version ${versions[i]} after ${versions[i - 1]}`);
        break;
      }
    }
    finals.set(reader, versions[versions.length - 1]);
  }
  const ends = [...new Set(finals.values())];
  if (ends.length > 1) problems.push(`the readers end on different versions: ${[...finals].map(([c, v]) => `client ${c} on ${v}`).join(', ')}`);
  const stale = [...finals].filter(([, v]) => v < published);
  if (stale.length > 0) problems.push(`${stale.map(([c, v]) => `client ${c} ends on version ${v}`).join(', ')}, older than the last published (${published})`);
  const observations = [...seen.values()].reduce((n, list) => n + list.length, 0);
  const summary =
    problems.length === 0
      ? `${seen.size} reader(s), ${observations} observation(s), versions only move forward, every reader ends on version ${ends[0] ?? '–'}`
      : problems.join('; ');
  return { recipe: 'config', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/** The sequence number at the end of a sequential node's name (`…queue-0000000007` → 7), or null. */
function sequenceOf(path: unknown): number | null {
  if (typeof path !== 'string') return null;
  const match = /(\d{10})$/.exec(path);
  return match === null ? null : Number(match[1]);
}

/**
 * A queue (`queue`, Curator's DistributedQueue without a lockPath) promises:
 * - at most once: no item is taken twice, and nothing is taken that no put made;
 * - order, as ZooKeeper gives it: a sequential node's number comes from the parent's
 *   cversion when the create commits, so numbers follow the puts' commit order and that
 *   respects real time — a put that finished before another began has the smaller
 *   number; each consumer takes in increasing number (a single consumer: FIFO). Across
 *   consumers nothing is promised: they interleave;
 * - exactly once without faults: every item whose put succeeded is taken. Under faults
 *   an item can be lost, and ZooKeeper cannot prevent it: a consumer whose delete's answer
 *   was lost retries, finds NONODE, and cannot tell its own delete from another
 *   consumer's (Curator: "if an instance receives an item but dies while processing it,
 *   the item will be lost"; a lockPath is its cure). Such an item — no successful take,
 *   but a take of unknown outcome — is reported as lost, not as a violation.
 */
export function checkQueue(events: readonly HistoryEvent[]): RecipeReport {
  const problems: string[] = [];
  const invoked = new Map<number, HistoryEvent>();
  // item → its put's sequence number and real-time window (ok puts), or 'maybe' (the put's outcome is unknown)
  const puts = new Map<string, { node: string; seq: number | null; fromUs: number; toUs: number } | 'maybe'>();
  const takenBy = new Map<string, number>();
  const unknownTakes = new Set<string>();
  const lastSeq = new Map<number, number>();
  let takes = 0;
  for (const event of events) {
    const process = event.process as number;
    if (event.type === 'invoke') {
      invoked.set(process, event);
      continue;
    }
    const start = invoked.get(process);
    invoked.delete(process);
    if (start === undefined) continue;
    if (event.f === 'enqueue') {
      const item = String(start.value);
      if (event.type === 'ok') puts.set(item, { node: String(event.value).slice(String(event.value).lastIndexOf('/') + 1), seq: sequenceOf(event.value), fromUs: start.timeUs ?? 0, toUs: event.timeUs ?? 0 });
      else if (event.type === 'info') puts.set(item, 'maybe');
    } else if (event.f === 'take') {
      const seq = sequenceOf(start.value);
      if (event.type === 'info') unknownTakes.add(String(start.value));
      if (event.type !== 'ok') continue;
      takes++;
      const item = String(event.value);
      const put = puts.get(item);
      if (put === undefined && problems.length < 8) problems.push(`client ${process} took ${item}, which no put made`);
      else if (put !== undefined && put !== 'maybe' && put.seq !== null && put.seq !== seq) problems.push(`client ${process} took ${item} from node ${seq}, but it was put as node ${put.seq}`);
      const before = takenBy.get(item);
      if (before !== undefined) problems.push(`${item} was taken twice (by clients ${before} and ${process})`);
      takenBy.set(item, process);
      const last = lastSeq.get(process);
      if (seq !== null && last !== undefined && seq <= last) problems.push(`client ${process} took node ${seq} after node ${last} (a consumer takes in sequence order)`);
      if (seq !== null) lastSeq.set(process, seq);
    }
  }
  // Real-time order of the puts: sorted by completion, each must have a number above every put that completed before it began.
  const done = [...puts.entries()].filter((entry): entry is [string, { node: string; seq: number; fromUs: number; toUs: number }] => entry[1] !== 'maybe' && entry[1].seq !== null);
  done.sort((a, b) => a[1].toUs - b[1].toUs);
  let maxSeq = -1;
  let maxItem = '';
  let j = 0;
  for (const [item, put] of [...done].sort((a, b) => a[1].fromUs - b[1].fromUs)) {
    while (j < done.length && done[j][1].toUs < put.fromUs) {
      if (done[j][1].seq > maxSeq) [maxSeq, maxItem] = [done[j][1].seq, done[j][0]];
      j++;
    }
    if (put.seq < maxSeq) problems.push(`${item} got node ${put.seq}, below ${maxItem}'s ${maxSeq}, though its put began after that one finished`);
  }
  // Exactly once: every successful put taken, or lost in a take of unknown outcome.
  let lost = 0;
  for (const [item, put] of puts) {
    if (put === 'maybe' || takenBy.has(item)) continue;
    if (unknownTakes.has(put.node)) lost++;
    else if (problems.length < 8) problems.push(`${item} was put (node ${put.seq}) and never taken`);
  }
  const lostNote = lost === 0 ? '' : `; ${lost} item(s) lost to a take whose delete's answer was lost (ZooKeeper cannot tell a retried delete from another consumer's: Curator's queue without a lockPath promises at most once)`;
  const summary =
    problems.length === 0
      ? `${puts.size} item(s) put, ${takes} taken, none twice, each consumer in sequence order${lostNote}`
      : problems.slice(0, 4).join('; ') + (problems.length > 4 ? ` (and ${problems.length - 4} more)` : '');
  return { recipe: 'queue', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/** The recipe's checker, when it has one. */
export function checkRecipe(recipe: string, events: readonly HistoryEvent[], endUs: number): RecipeReport | undefined {
  if (ROLE_OPS[recipe] !== undefined) return checkExclusiveRole(recipe, events, endUs);
  if (recipe === 'config') return checkConfig(events);
  if (recipe === 'queue') return checkQueue(events);
  return undefined;
}
