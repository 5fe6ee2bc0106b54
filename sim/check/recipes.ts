/**
 * Checkers for the promises of ZooKeeper recipes, over the recorded history: exclusive
 * roles (lock, leader latch, leader selector), configuration (config), the queue, group
 * membership, the double barrier and the shared counter. Each says where ZooKeeper
 * itself promises less, and names such cases instead of failing them.
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
import { checkLock, namePausedOverlaps, type ClientPause } from './lock-fencing.js';
import type { ClientExpiry } from './cut-off.js';
import { connectStringOf } from '../client/workload.js';

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
  /**
   * Violated, and only by overlaps a hazard ZooKeeper does not prevent explains (a client's
   * pause past its session, a server cut off from its leader: named in the summary).
   * Curator's recipe breaks the same way there; only fencing stops the damage. A verdict
   * for the reader, not a pass: the run still fails an expectation that the recipe holds.
   */
  readonly hazardOnly?: boolean;
}

/** The operations that start and end a role, per recipe. */
export const ROLE_OPS: Readonly<Record<string, { readonly start: string; readonly end: string; readonly role: string; readonly roles: string }>> = {
  lock: { start: 'acquire', end: 'release', role: 'held the lock', roles: 'held the lock' },
  'leader-latch': { start: 'elect', end: 'resign', role: 'believed itself leader', roles: 'believed themselves leader' },
  'leader-selector': { start: 'elect', end: 'resign', role: 'believed itself leader', roles: 'believed themselves leader' },
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
export function checkConfig(events: readonly HistoryEvent[], complete = true): RecipeReport {
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
  if (complete && ends.length > 1) problems.push(`the readers end on different versions: ${[...finals].map(([c, v]) => `client ${c} on ${v}`).join(', ')}`);
  const stale = [...finals].filter(([, v]) => v < published);
  if (complete && stale.length > 0) problems.push(`${stale.map(([c, v]) => `client ${c} ends on version ${v}`).join(', ')}, older than the last published (${published})`);
  const observations = [...seen.values()].reduce((n, list) => n + list.length, 0);
  const summary =
    problems.length === 0
      ? `${seen.size} reader(s), ${observations} observation(s), versions only move forward${complete ? `, every reader ends on version ${ends[0] ?? '–'}` : ''}`
      : problems.join('; ');
  return { recipe: 'config', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/** The sequence number at the end of a sequential node's name (`…queue-0000000007` → 7), or null. */
function sequenceOf(path: unknown): number | null {
  if (typeof path !== 'string') return null;
  const match = /(\d{10})$/.exec(path);
  return match === null ? null : Number(match[1]);
}

/** A protected node's prefix (`_c_<uuid>-`), which a retried create keeps, or null. */
function protectedPrefix(node: string): string | null {
  const match = /^_c_[0-9a-f-]{36}-/.exec(node);
  return match === null ? null : match[0];
}

/**
 * A queue (`queue`, sim/client/queue.ts) promises:
 * - every item whose put succeeded is taken exactly once, and nothing is taken that no
 *   put made. One exception ZooKeeper cannot prevent: a protected put whose answer was
 *   lost looks for its node before creating it again, and misses it if a consumer took it
 *   meanwhile — the item is put, and taken, twice. The two nodes share the put's
 *   protected prefix; the checker names them and does not count them as a violation;
 * - order, as ZooKeeper gives it: a sequential node's number comes from the parent's
 *   cversion when the create commits, so numbers follow the puts' commit order, and that
 *   respects real time — a put that finished before another began has the smaller
 *   number; each consumer takes in increasing number (a single consumer: FIFO). Across
 *   consumers nothing is promised: they interleave.
 */
export function checkQueue(events: readonly HistoryEvent[], complete = true): RecipeReport {
  const problems: string[] = [];
  const invoked = new Map<number, HistoryEvent>();
  const puts = new Map<string, { node: string; seq: number | null; fromUs: number; toUs: number }>();
  const takes = new Map<string, { node: string; client: number }[]>();
  const unsettled = new Set<string>();
  const lastSeq = new Map<number, number>();
  let taken = 0;
  for (const event of events) {
    const client = event.process as number;
    if (event.type === 'invoke') {
      invoked.set(client, event);
      continue;
    }
    const start = invoked.get(client);
    invoked.delete(client);
    if (start === undefined) continue;
    if (event.f === 'enqueue' && event.type === 'ok') {
      const path = String(event.value);
      puts.set(String(start.value), { node: path.slice(path.lastIndexOf('/') + 1), seq: sequenceOf(path), fromUs: start.timeUs ?? 0, toUs: event.timeUs ?? 0 });
    } else if (event.f === 'enqueue' && event.type === 'info') unsettled.add(String(start.value));
    else if (event.f === 'take' && event.type === 'ok') {
      taken++;
      const node = String(start.value);
      const list = takes.get(String(event.value)) ?? [];
      list.push({ node, client });
      takes.set(String(event.value), list);
      const seq = sequenceOf(node);
      const last = lastSeq.get(client);
      if (seq !== null && last !== undefined && seq <= last) problems.push(`client ${client} took node ${seq} after node ${last} (a consumer takes in sequence order)`);
      if (seq !== null) lastSeq.set(client, seq);
    }
  }
  // Real-time order of the puts: each must have a number above every put that completed before it began.
  const byEnd = [...puts].filter((entry): entry is [string, { node: string; seq: number; fromUs: number; toUs: number }] => entry[1].seq !== null);
  byEnd.sort((a, b) => a[1].toUs - b[1].toUs);
  let maxSeq = -1;
  let maxItem = '';
  let j = 0;
  for (const [item, put] of [...byEnd].sort((a, b) => a[1].fromUs - b[1].fromUs)) {
    while (j < byEnd.length && byEnd[j][1].toUs < put.fromUs) {
      if (byEnd[j][1].seq > maxSeq) [maxSeq, maxItem] = [byEnd[j][1].seq, byEnd[j][0]];
      j++;
    }
    if (put.seq < maxSeq) problems.push(`${item} got node ${put.seq}, below ${maxItem}'s ${maxSeq}, though its put began after that one finished`);
  }
  // Exactly once, twins of a retried put aside.
  let twins = 0;
  for (const [item, list] of takes) {
    const put = puts.get(item);
    if (put === undefined && !unsettled.has(item)) {
      problems.push(`client ${list[0].client} took ${item}, which no put made`);
      continue;
    }
    const nodes = new Set<string>();
    for (const { node, client } of list) {
      if (nodes.has(node)) problems.push(`${item} was taken twice from node ${sequenceOf(node)} (the second time by client ${client})`);
      else if (put !== undefined && node !== put.node && protectedPrefix(node) !== protectedPrefix(put.node)) problems.push(`client ${client} took ${item} from node ${sequenceOf(node)}, but it was put as node ${put.seq}`);
      else if (put !== undefined && node !== put.node) twins++;
      nodes.add(node);
    }
  }
  if (complete) for (const [item, put] of puts) if (!takes.has(item)) problems.push(`${item} was put (node ${put.seq}) and never taken`);
  const twinNote =
    twins === 0 ? '' : `; ${twins} item(s) put twice by a retried put whose lost create had already been taken (a protected create cannot find a node that is gone: ZooKeeper does not make creates idempotent)`;
  const summary =
    problems.length === 0
      ? `${puts.size} item(s) put, ${taken} taken, each ${complete ? 'exactly' : 'at most'} once, each consumer in sequence order${twinNote}`
      : problems.slice(0, 4).join('; ') + (problems.length > 4 ? ` (and ${problems.length - 4} more)` : '');
  return { recipe: 'queue', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/** What a checker may need besides the history: the clients' session timeout and when leaders were established. */
export interface RecipeContext {
  readonly sessionTimeoutUs: number;
  readonly leaderChangesUs: readonly number[];
  /** Clients whose process was stopped (pause-client), for the lock's verdict (lock-fencing.ts). */
  readonly clientPauses?: readonly ClientPause[];
  /** The lock's holders write to a resource, fenced or not (sim/client/resource.ts). */
  readonly lockResource?: 'unfenced' | 'fenced';
  /**
   * Only the safety promises (the run need not recover and finish: the swarm's): the
   * completion ones — every reader on the last configuration, every item taken, every
   * waiter through, the counter read at the end, a member seen gone in time — are left out.
   */
  readonly safetyOnly?: boolean;
  /**
   * When each client's sessions ended at the servers (the first closeSession applied, by
   * expiry or close), from the run; a client need not have learned it. Absent where only
   * a trace is at hand (the lab): the checkers then go by what the clients learned.
   */
  readonly sessionEndsUs?: ReadonlyMap<number, readonly number[]>;
  /**
   * The same ends seen per server (same order as `sessionEndsUs`): server → when it
   * applied the session's closeSession. A watcher learns through the servers it knows.
   */
  readonly sessionEndsAtServersUs?: ReadonlyMap<number, readonly ReadonlyMap<number, number>[]>;
  /**
   * Per client: each leader's proposal to close one of its sessions (an expiry), with the
   * server the client was connected to then and how long the leader had heard nothing
   * from it (sim/check/cut-off.ts): when the servers decided a paused client's expiry, and
   * the cut-off server hazard. Absent where the trace does not say.
   */
  readonly sessionExpiries?: ReadonlyMap<number, readonly ClientExpiry[]>;
  /** The workload's connect strings: client i knows only connectStrings[i % length] (absent: every server). */
  readonly connectStrings?: readonly (readonly number[])[];
  /** Per client: when it connected (or reconnected) and to which server, as pairs [timeUs, server, …]. */
  readonly clientConnections?: readonly (readonly number[])[];
}

/**
 * Group membership (`membership`, sim/client/group.ts). ZooKeeper's promise: the leader
 * expires a session it has not heard from for the session timeout and deletes its
 * ephemerals, and the group's watcher is told. So once a member has been silent for the
 * timeout (plus `graceUs`: the leader's expiry check, the closeSession's commit, the
 * watch and the watcher's next listing), no listing may still show it — until it joins
 * again. It is measured from the member's last word with a server, or from the latest
 * leader change after it: a new leader starts every session's clock afresh, so a cut-off
 * member can linger longer (ZooKeeper's SessionTrackerImpl is the leader's, not
 * replicated). And a watch fires once: a member back before the watcher lists again is
 * never seen gone; the checker counts such expiries and does not call them violations.
 * A listing without the member counts from the end of its session at the servers
 * (`sessionEndsUs`, from the run) when that came before the member's last word: a
 * server cut off from the leader answers pings whose touches never reach it.
 * And the watcher learns only through the servers it knows (its connect string): ZooKeeper
 * tells a watch when the watcher's server applies the change, so where none of those
 * servers applied the member's closeSession until late (each cut off, paused, or still
 * rejoining), the bound runs from the first of them that did (`sessionEndsAtServersUs`).
 */
export function checkMembership(events: readonly HistoryEvent[], context: RecipeContext, graceUs = Math.max(200_000, context.sessionTimeoutUs / 2)): RecipeReport {
  const views: { atUs: number; watcher: number; names: readonly string[] }[] = [];
  const expiries: { client: number; member: string; silentSinceUs: number; learnedUs: number; leavingSinceUs: number; backUs: number | null }[] = [];
  // Every expiry a member learned since its last join (a join can outlast several short
  // sessions) ends when the member is back: its next join completes.
  const pendingBack = new Map<string, number[]>();
  // A member leaving (its leave invoked, no join since) deletes its node itself.
  const leavingSince = new Map<string, number>();
  for (const event of events) {
    const member = `c${event.process as number}`;
    if (event.type === 'invoke') {
      if (event.f === 'leave') leavingSince.set(member, event.timeUs ?? 0);
      continue;
    }
    if (event.type !== 'ok') continue;
    if (event.f === 'view' && Array.isArray(event.value)) views.push({ atUs: event.timeUs ?? 0, watcher: event.process as number, names: event.value as string[] });
    else if (event.f === 'expired') {
      const learned = pendingBack.get(member);
      if (learned === undefined) pendingBack.set(member, [expiries.length]);
      else learned.push(expiries.length);
      const silentSinceUs = typeof event.value === 'number' ? event.value : (event.timeUs ?? 0);
      expiries.push({ client: event.process as number, member, silentSinceUs, learnedUs: event.timeUs ?? 0, leavingSinceUs: leavingSince.get(member) ?? Infinity, backUs: null });
    } else if (event.f === 'join') {
      leavingSince.delete(member);
      for (const i of pendingBack.get(member) ?? []) expiries[i].backUs = event.timeUs ?? 0;
      pendingBack.delete(member);
    }
  }
  const problems: string[] = [];
  let unseen = 0;
  let throughLateServers = 0;
  let throughPausedWatcher = 0;
  let throughReconnectedWatcher = 0;
  let slowestUs = 0;
  const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
  for (const expiry of expiries) {
    // The member's node may be there again from its rejoin on: only listings before that count.
    const untilUs = expiry.backUs ?? Infinity;
    const lastLeaderUs = context.leaderChangesUs.filter((atUs) => atUs > expiry.silentSinceUs && atUs < untilUs).reduce((a, b) => Math.max(a, b), -Infinity);
    const fromUs = Math.max(expiry.silentSinceUs, lastLeaderUs);
    const deadlineUs = fromUs + context.sessionTimeoutUs + graceUs;
    // The member's node goes when its session ends at the servers, which can be before the
    // member last heard from its server (that server cut off from the leader answered its
    // pings, but its touches never reached the leader's session tracker: swarm zab 71281).
    // A listing without it from that end on counts; the run knows the end (`sessionEndsUs`).
    const ends = context.sessionEndsUs?.get(expiry.client) ?? [];
    let ended = -1;
    for (let i = 0; i < ends.length; i++) if (ends[i] <= expiry.learnedUs && (ended < 0 || ends[i] > ends[ended])) ended = i;
    const endedUs = ended < 0 ? -Infinity : ends[ended];
    // And a member that was leaving may have deleted its node before its session ended
    // (h28 recipes2 zab 1247: the leave's delete applied, the watcher saw it gone, then the
    // session expired): a listing without it from the leave on counts too.
    const seenFromUs = Math.min(expiry.silentSinceUs, endedUs === -Infinity ? Infinity : endedUs, expiry.leavingSinceUs);
    const gone = views.find((view) => view.atUs > seenFromUs && view.atUs < untilUs && !view.names.includes(expiry.member));
    // The watcher (of the listing that saw it gone, else of the last listing) could learn
    // no earlier than the first of its servers applied the end.
    const watcher = gone?.watcher ?? lastWatcherBefore(views, untilUs);
    const atServers = ended < 0 ? undefined : context.sessionEndsAtServersUs?.get(expiry.client)?.[ended];
    const reachableUs = watcher === undefined || atServers === undefined ? -Infinity : firstAppliedAmong(atServers, connectStringOf(context.connectStrings, watcher));
    const lateServers = reachableUs + graceUs > deadlineUs;
    const serversBoundUs = lateServers ? reachableUs + graceUs : deadlineUs;
    // A watcher whose process was stopped (pause-client) lists nothing meanwhile: the bound
    // runs from its waking (h36's obsrecipes mix, paxos 132: the watcher stopped for 2 s).
    let wokeUs = -Infinity;
    for (const pause of context.clientPauses ?? []) {
      if (pause.client === watcher && pause.fromUs < serversBoundUs && pause.toUs > Math.min(fromUs, seenFromUs)) wokeUs = Math.max(wokeUs, pause.toUs);
    }
    const pausedWatcher = wokeUs + graceUs > serversBoundUs;
    const pausedBoundUs = pausedWatcher ? wokeUs + graceUs : serversBoundUs;
    // A watcher without a connection lists nothing either: one that connected again after
    // the end reached its servers, having listed nothing since, learns from then on (its
    // watch comes back with SetWatches, or its new session lists afresh). Swarm-like
    // scenario, zab 210 of the lock-twin fixture's with the leader crashed: the watcher's
    // server left service for an election, its 20 ms session expired meanwhile, and it
    // was back only at 941.7 ms, 217 ms after its servers applied the member's close.
    const learnFromUs = pausedWatcher ? wokeUs : lateServers ? reachableUs : Math.min(fromUs, seenFromUs);
    const reconnectedUs = watcher === undefined ? -Infinity : reconnectedAfter(context.clientConnections?.[watcher], views, watcher, learnFromUs, gone?.atUs ?? untilUs);
    const reconnectedWatcher = reconnectedUs + graceUs > pausedBoundUs;
    const boundUs = reconnectedWatcher ? reconnectedUs + graceUs : pausedBoundUs;
    if (gone !== undefined && gone.atUs <= boundUs) {
      slowestUs = Math.max(slowestUs, gone.atUs - (reconnectedWatcher ? reconnectedUs : learnFromUs));
      if (reconnectedWatcher) throughReconnectedWatcher++;
      else if (pausedWatcher) throughPausedWatcher++;
      else if (lateServers) throughLateServers++;
      continue;
    }
    const why = reconnectedWatcher
      ? `${ms(graceUs)} after the watcher, without a connection meanwhile, connected again (at ${ms(reconnectedUs)})`
      : pausedWatcher
      ? `${ms(graceUs)} after the watcher, stopped meanwhile, woke (at ${ms(wokeUs)})`
      : lateServers
        ? `${ms(graceUs)} after the first of the watcher's servers applied its closeSession (at ${ms(reachableUs)})`
        : `${ms(deadlineUs - fromUs)} after ${fromUs === expiry.silentSinceUs ? 'it fell silent' : 'the last leader change'} (session timeout ${ms(context.sessionTimeoutUs)})`;
    if (gone !== undefined) problems.push(`the watcher saw ${expiry.member} gone only at ${ms(gone.atUs)}, later than ${why}`);
    // Never seen gone: a watch fires once, so a member back soon after its node went may be missed.
    else if (untilUs > boundUs + graceUs) problems.push(`the watcher never saw ${expiry.member} gone, though it was away until ${ms(untilUs)}, past ${why}`);
    else unseen++;
  }
  const final = views[views.length - 1];
  if (final !== undefined && final.names.length > 0) problems.push(`the watcher's last listing still shows ${final.names.join(', ')} after every member left`);
  const unseenNote = unseen === 0 ? '' : `; ${unseen} expiry(ies) the watcher never saw (the member was back before it listed again: a watch fires once)`;
  const lateNote =
    (throughLateServers === 0 ? '' : `; ${throughLateServers} counted from when the first of the watcher's servers applied the end (none of them could tell it sooner: cut off, paused or rejoining)`) +
    (throughPausedWatcher === 0 ? '' : `; ${throughPausedWatcher} counted from when the watcher, stopped meanwhile (pause-client), woke`) +
    (throughReconnectedWatcher === 0 ? '' : `; ${throughReconnectedWatcher} counted from when the watcher, without a connection meanwhile, connected again`);
  const summary =
    problems.length === 0
      ? expiries.length === 0
        ? `no member session expired; ${views.length} listing(s), the last one empty`
        : `${expiries.length} member session(s) expired; the watcher saw each gone within the session timeout of its silence or of the last leader change (the slowest after ${ms(slowestUs)})${lateNote}${unseenNote}; ${views.length} listing(s)`
      : problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : '');
  return { recipe: 'membership', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/**
 * The watcher's first connection after `fromUs` and before `beforeUs`, if it listed
 * nothing between `fromUs` and that connection (so it had no server to learn through);
 * -Infinity otherwise. `connections`: pairs [timeUs, server, …].
 */
function reconnectedAfter(
  connections: readonly number[] | undefined,
  views: readonly { atUs: number; watcher: number }[],
  watcher: number,
  fromUs: number,
  beforeUs: number,
): number {
  if (connections === undefined) return -Infinity;
  for (let i = 0; i + 1 < connections.length; i += 2) {
    const atUs = connections[i];
    if (atUs <= fromUs) continue;
    if (atUs >= beforeUs) return -Infinity;
    return views.some((view) => view.watcher === watcher && view.atUs > fromUs && view.atUs < atUs) ? -Infinity : atUs;
  }
  return -Infinity;
}

function lastWatcherBefore(views: readonly { atUs: number; watcher: number }[], untilUs: number): number | undefined {
  for (let i = views.length - 1; i >= 0; i--) if (views[i].atUs < untilUs) return views[i].watcher;
  return undefined;
}

/** The earliest time one of `servers` (undefined: any) applied the end; Infinity if none did. */
function firstAppliedAmong(atServers: ReadonlyMap<number, number>, servers: readonly number[] | undefined): number {
  let first = Infinity;
  for (const [server, atUs] of atServers) if ((servers === undefined || servers.includes(server)) && atUs < first) first = atUs;
  return first;
}

/**
 * A double barrier (`double-barrier`, sim/client/barrier.ts), round by round: nobody
 * passes enter before every member has begun to enter (invoked its `enter`), and nobody
 * passes leave before every member has begun to leave. What ZooKeeper cannot promise: a
 * member's presence is an ephemeral node, so a member whose session expired inside the
 * barrier looks to the others as if it had left; a pass before such a member left is
 * named, not counted as a violation. The member need not have heard of its expiry yet
 * (cut off, it learns on reconnecting, perhaps after the run): with `sessionEndsUs`
 * (the run's record of each client's sessions ended at the servers) a session ended
 * after the member began entering the round and before the pass excuses it too.
 */
export function checkDoubleBarrier(events: readonly HistoryEvent[], sessionEndsUs?: ReadonlyMap<number, readonly number[]>): RecipeReport {
  type Phase = 'enter' | 'leave';
  const invoked = new Map<string, number>();
  const passed: { phase: Phase; round: number; client: number; atUs: number }[] = [];
  const expiredIn = new Set<string>();
  const members = new Set<number>();
  for (const event of events) {
    const client = event.process as number;
    members.add(client);
    if (event.f === 'expired' && event.type === 'ok') expiredIn.add(`${client}:${String(event.value)}`);
    if (event.f !== 'enter' && event.f !== 'leave') continue;
    const key = `${event.f}:${String(event.value)}:${client}`;
    if (event.type === 'invoke') invoked.set(key, event.timeUs ?? 0);
    else if (event.type === 'ok') passed.push({ phase: event.f, round: Number(event.value), client, atUs: event.timeUs ?? 0 });
  }
  const problems: string[] = [];
  let excused = 0;
  const rounds = new Set<number>();
  const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
  for (const pass of passed) {
    rounds.add(pass.round);
    for (const member of members) {
      if (member === pass.client) continue;
      const startedUs = invoked.get(`${pass.phase}:${pass.round}:${member}`);
      if (startedUs !== undefined && startedUs < pass.atUs) continue;
      // Its session ended at the servers after it began entering this round and before the
      // pass (its node went with it), whether or not it had heard of that yet.
      const enteredUs = invoked.get(`enter:${pass.round}:${member}`);
      const endedInside = enteredUs !== undefined && sessionEndsUs?.get(member)?.some((t) => t >= enteredUs && t <= pass.atUs) === true;
      if (pass.phase === 'leave' && (endedInside || expiredIn.has(`${member}:${pass.round}`))) {
        excused++;
        continue;
      }
      problems.push(`client ${pass.client} passed ${pass.phase} of round ${pass.round} at ${ms(pass.atUs)}, before client ${member} ${pass.phase === 'enter' ? 'entered' : 'left'}${startedUs === undefined ? '' : ` (at ${ms(startedUs)})`}`);
    }
  }
  const excusedNote = excused === 0 ? '' : `; ${excused} pass(es) before a member whose session expired inside the barrier had left (its ephemeral node went with the session: ZooKeeper cannot tell that from leaving)`;
  const summary =
    problems.length === 0
      ? `${rounds.size} round(s) of ${members.size} member(s): nobody passed enter before all had entered, nor leave before all had left${excusedNote}`
      : problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : '');
  return { recipe: 'double-barrier', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/**
 * A barrier (`barrier`, sim/client/distributed-barrier.ts), Curator's DistributedBarrier,
 * round by round. Safety: nobody passes a round's barrier before it is removed — a
 * waiter's `waitOnBarrier` may end ok only after the controller invoked that round's
 * `removeBarrier` (the delete cannot commit earlier; a pass after the invocation and
 * before the controller's answer is legal: the delete committed, the controller had not
 * heard yet). A wait invoked before the round's `setBarrier` completed is named, not
 * failed: Curator's waitOnBarrier finds no node and passes (the node's absence is all a
 * waiter sees; the application must set the barrier first). Completion (`complete`,
 * checked where the run heals and has time to finish): every waiter passed every round
 * that was set, after the removal.
 */
export function checkBarrier(events: readonly HistoryEvent[], complete = true): RecipeReport {
  const setUs = new Map<number, number>();
  const removeUs = new Map<number, number>();
  const waitFromUs = new Map<number, number>();
  const passes: { client: number; round: number; fromUs: number; atUs: number }[] = [];
  const waiters = new Set<number>();
  let timeouts = 0;
  for (const event of events) {
    const client = event.process as number;
    const atUs = event.timeUs ?? 0;
    const round = Number(event.value);
    if (event.f === 'setBarrier' && event.type === 'ok' && !setUs.has(round)) setUs.set(round, atUs);
    else if (event.f === 'removeBarrier' && event.type === 'invoke' && !removeUs.has(round)) removeUs.set(round, atUs);
    else if (event.f === 'waitOnBarrier') {
      waiters.add(client);
      if (event.type === 'invoke') waitFromUs.set(client, atUs);
      else if (event.type === 'ok') passes.push({ client, round, fromUs: waitFromUs.get(client) ?? atUs, atUs });
      else if (event.type === 'fail') timeouts++;
    }
  }
  const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
  const problems: string[] = [];
  let beforeSet = 0;
  const passed = new Set<string>();
  for (const pass of passes) {
    passed.add(`${pass.client}:${pass.round}`);
    const removedUs = removeUs.get(pass.round);
    if (removedUs !== undefined && removedUs < pass.atUs) continue;
    const setAtUs = setUs.get(pass.round);
    if (setAtUs === undefined || pass.fromUs < setAtUs) {
      beforeSet++;
      continue;
    }
    problems.push(`client ${pass.client} passed the barrier of round ${pass.round} at ${ms(pass.atUs)}, ${removedUs === undefined ? 'and it was never removed' : `before it was removed (at ${ms(removedUs)})`}`);
  }
  if (complete) {
    for (const round of [...setUs.keys()].sort((a, b) => a - b)) {
      for (const waiter of [...waiters].sort((a, b) => a - b)) if (!passed.has(`${waiter}:${round}`)) problems.push(`client ${waiter} never passed the barrier of round ${round}`);
    }
  }
  const notes = [
    timeouts === 0 ? '' : `; ${timeouts} wait(s) timed out and waited again`,
    beforeSet === 0 ? '' : `; ${beforeSet} wait(s) began before the barrier was set and passed at once (Curator's waitOnBarrier: no node, no barrier)`,
  ].join('');
  const summary =
    problems.length === 0
      ? `${setUs.size} round(s), ${waiters.size} waiter(s): nobody passed a barrier before it was removed${complete ? ', every waiter passed every round' : ''}${notes}`
      : problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : '');
  return { recipe: 'barrier', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/**
 * A shared counter on versions (`counter`, sim/client/counter.ts): every successful
 * increment wrote a value no other increment wrote (a compare-and-set on the version:
 * two increments that both set 5 are a lost update), each client's increments set
 * increasing values (a client never reads older than its own write), and the final value
 * is at least the number of successful increments. It may be more, by at most the number
 * of writes whose answer was lost: such a write may have been applied, and the retry then
 * increments again — ZooKeeper's setData is not idempotent, and Curator's
 * DistributedAtomicInteger counts such an increment twice too.
 */
export function checkCounter(events: readonly HistoryEvent[], complete = true): RecipeReport {
  const problems: string[] = [];
  const setBy = new Map<number, number>();
  const lastByClient = new Map<number, number>();
  let succeeded = 0;
  let unknown = 0;
  let final: number | null = null;
  for (const event of events) {
    if (event.type === 'invoke') continue;
    const client = event.process as number;
    if (event.f === 'final' && event.type === 'ok') final = Number(event.value);
    if (event.f !== 'increment') continue;
    const out = (event.value ?? {}) as { value?: number; unknown?: number };
    unknown += out.unknown ?? 0;
    if (event.type !== 'ok' || typeof out.value !== 'number') continue;
    succeeded++;
    const other = setBy.get(out.value);
    if (other !== undefined) problems.push(`clients ${other} and ${client} both set the counter to ${out.value} (a lost update)`);
    setBy.set(out.value, client);
    const last = lastByClient.get(client);
    if (last !== undefined && out.value <= last) problems.push(`client ${client} set ${out.value} after it had set ${last}`);
    lastByClient.set(client, out.value);
  }
  if (final === null) {
    if (complete) problems.push('the counter was never read at the end');
  } else if (final < succeeded) problems.push(`${succeeded} increments succeeded but the counter ends at ${final} (lost updates)`);
  else if (final > succeeded + unknown) problems.push(`the counter ends at ${final}, above the ${succeeded} successful increments plus ${unknown} write(s) of unknown outcome`);
  const extra = final !== null && final > succeeded ? `; ${final - succeeded} more than the successful increments, from writes whose answer was lost and that were applied before the retry (setData is not idempotent)` : '';
  const summary =
    problems.length === 0
      ? `${succeeded} increment(s) succeeded, each setting a value no other set; ${final === null ? 'the counter was not read at the end (the run need not finish)' : `the counter ends at ${final}`}${extra}`
      : problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : '');
  return { recipe: 'counter', verdict: problems.length === 0 ? 'holds' : 'violated', summary, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/**
 * The recipe's checker, when it has one. With `context.safetyOnly` only the safety
 * promises are checked (the exclusive roles, the double barrier and the lock's resource
 * have no other); membership's promise is one of timing (a member seen gone within its
 * session timeout once a leader can expire it), so it is not checked at all then.
 */
export function checkRecipe(recipe: string, events: readonly HistoryEvent[], endUs: number, context?: RecipeContext): RecipeReport | undefined {
  const complete = context?.safetyOnly !== true;
  if (recipe === 'lock') return checkLock(checkExclusiveRole(recipe, events, endUs), events, context);
  if (ROLE_OPS[recipe] !== undefined) return checkLeader(checkExclusiveRole(recipe, events, endUs), context);
  if (recipe === 'config') return checkConfig(events, complete);
  if (recipe === 'queue') return checkQueue(events, complete);
  if (recipe === 'membership' && !complete) return notChecked(recipe, 'its promise is one of timing and completion (a silent member seen gone within its session timeout; every member gone at the end), not asked of a run that need not recover');
  if (recipe === 'membership' && context !== undefined) return checkMembership(events, context);
  if (recipe === 'barrier') return checkBarrier(events, complete);
  if (recipe === 'double-barrier') return checkDoubleBarrier(events, context?.sessionEndsUs);
  if (recipe === 'counter') return checkCounter(events, complete);
  return undefined;
}

/**
 * A leader latch's or selector's report: as the mutex checker says (any overlap is a
 * violation — a leader has no resource that fences it here), with the overlaps a pause
 * explains (of the earlier leader, or of the later one waking on a stale answer) named
 * as the GC-pause hazard ZooKeeper does not prevent (pauseBehind, as for the lock).
 */
function checkLeader(role: RecipeReport, context: RecipeContext | undefined): RecipeReport {
  const { note, unexplained } = namePausedOverlaps(
    role,
    context,
    'became leader',
    "only a fencing token (the leader's node's czxid or sequence number) checked by whatever the leader acts on stops the damage",
  );
  return note === null ? role : { ...role, summary: `${role.summary}; ${note}`, ...(unexplained === 0 ? { hazardOnly: true } : {}) };
}

function notChecked(recipe: string, why: string): RecipeReport {
  return { recipe, verdict: 'holds', summary: `not checked: ${why}`, windows: [], overlaps: [], maxOverlapUs: 0 };
}

/** Several recipes side by side: one report that holds when every one of theirs does. */
export function combineRecipeReports(reports: readonly RecipeReport[]): RecipeReport | undefined {
  if (reports.length <= 1) return reports[0];
  return {
    recipe: reports.map((report) => report.recipe).join('+'),
    verdict: reports.every((report) => report.verdict === 'holds') ? 'holds' : 'violated',
    summary: reports.map((report) => `${report.recipe}: ${report.summary}`).join('; '),
    windows: reports.flatMap((report) => report.windows),
    overlaps: reports.flatMap((report) => report.overlaps),
    maxOverlapUs: Math.max(...reports.map((report) => report.maxOverlapUs)),
    // Hazards only when some recipe is violated and every violated one is by hazards alone.
    ...(reports.some((report) => report.verdict === 'violated') && reports.every((report) => report.verdict === 'holds' || report.hazardOnly === true) ? { hazardOnly: true } : {}),
  };
}
