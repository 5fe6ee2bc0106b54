/**
 * The lock's verdict when its holders may have been paused, and the check of the resource
 * it protects (sim/client/resource.ts).
 *
 * What ZooKeeper does not promise: a client whose process is stopped (a GC pause) longer
 * than its session timeout loses its session and its lock node, and another client
 * acquires the lock; the paused client cannot know — nothing of it runs — and when it
 * resumes it still believes it holds the lock until it processes the expiry. Two clients
 * then believe they hold the lock, and no client-side rule (Curator's SUSPENDED handling
 * included) can prevent it. Martin Kleppmann, "How to do distributed locking" (2016), and
 * Curator's lock documentation (a lock is only as good as the holder's knowledge of its
 * session) give the fix: the resource checks a fencing token.
 *
 * The resource check, precisely: the writes the resource accepted, in the order it
 * accepted them, carry tokens that never go down. A write accepted after another with a
 * newer token came from a stale holder (its lock was granted before the other's): that is
 * the damage fencing prevents. What fencing cannot and need not prevent: a stale holder's
 * write that reaches the resource before the new holder's first one (the resource's order
 * is then as if the old hold ended later).
 *
 * The verdict: without a resource, as the mutex checker says (any overlap is a violation);
 * the note names the overlaps ZooKeeper does not promise to avoid (the earlier holder was
 * paused during the overlap long enough for its session to expire, pauseBehind; or its
 * server, cut off from the leader, kept answering it while the leader expired its session,
 * cutOffBehind and cut-off.ts). With an unfenced resource, violated on any overlap or
 * stale write. With a fenced one, violated on a stale write, or on an overlap that no such
 * hazard explains (a broken lock, which fencing must not hide).
 */
import type { HistoryEvent } from './lin/history.js';
import type { RecipeContext, RecipeReport, RoleOverlap, RoleWindow } from './recipes.js';
import { pingIntervalUs } from '../client/session.js';
import type { ClientExpiry } from './cut-off.js';

/** A client's process stopped from `fromUs` to `toUs` (the scenario's pause-client). */
export interface ClientPause {
  readonly client: number;
  readonly fromUs: number;
  readonly toUs: number;
}

export interface ResourceWrites {
  readonly accepted: number;
  readonly refused: number;
  /** Accepted writes whose token was older than one accepted before them. */
  readonly stale: readonly { client: number; token: number; appliedUs: number; after: { client: number; token: number; appliedUs: number } }[];
}

/** The resource's accepted writes in its own order, and those that came from a stale holder. */
export function checkResourceWrites(events: readonly HistoryEvent[]): ResourceWrites {
  const accepted: { client: number; token: number; seq: number; appliedUs: number }[] = [];
  let refused = 0;
  for (const event of events) {
    if (event.f !== 'resource-write' || event.type === 'invoke') continue;
    const out = event.value as { token?: number; seq?: number; appliedUs?: number } | null;
    if (event.type !== 'ok') {
      refused++;
      continue;
    }
    if (typeof out?.token !== 'number' || typeof out.seq !== 'number' || typeof out.appliedUs !== 'number') throw new Error('checkResourceWrites: an accepted write without token, seq and appliedUs');
    accepted.push({ client: event.process as number, token: out.token, seq: out.seq, appliedUs: out.appliedUs });
  }
  accepted.sort((a, b) => a.seq - b.seq);
  const stale: ResourceWrites['stale'][number][] = [];
  let newest: (typeof accepted)[number] | null = null;
  for (const write of accepted) {
    if (newest !== null && write.token < newest.token) {
      stale.push({ client: write.client, token: write.token, appliedUs: write.appliedUs, after: { client: newest.client, token: newest.token, appliedUs: newest.appliedUs } });
    } else newest = write;
  }
  return { accepted: accepted.length, refused, stale };
}

/** How long a paused client's continuations take to run on waking (see pauseBehind). */
const WAKE_US = 100;

/**
 * The pause that explains an overlap: one of the two clients — the earlier holder, or the
 * later one acting on an answer that reached it before it could learn its session had
 * expired — was stopped, over the overlap's start, for longer than its (granted) session
 * timeout less the client's ping interval, a third of it (ClientCnxn pings after
 * readTimeout/2 of quiet). The servers last heard from it at most a ping interval before
 * the pause, so they may expire its session while it is stopped, and the pause swallows
 * the moment it would have given the role up (SUSPENDED, 2/3 of the timeout without a
 * word from a server): it cannot know. Where the run knows when each client's sessions
 * ended at the servers (`sessionEndsUs`), one of the paused client's must have ended
 * during that pause, before the overlap began: a session that ended otherwise — early,
 * or while its client ran — is not this hazard but a bug. The later client's pause may end
 * just before the overlap: what reached it while it was stopped runs when it wakes, and
 * Curator's continuations take a microsecond each (WAKE_US); a belief that needed a new
 * answer from a server (a network round trip) is not this.
 *
 * The earlier holder may also have taken the role on waking, on an answer that reached it
 * during the pause (within WAKE_US of its end), its session having ended in the pause
 * (shortsession zab 2809: an 8 ms pause against a 4 ms session); `windows` says when its
 * belief began.
 *
 * One more way the same pause shows (slowrecipes zab 736, 30 ms disk syncs): the leader
 * decided the earlier holder's expiry during its pause (proposed the close), but the
 * servers applied it only after the client woke, behind their disks. The client woke into
 * a session already closing, and a server that had not applied the close yet answered it
 * (ZooKeeper's followers serve reads from their own tree): it took the role again, or kept
 * it, until the close reached its server. Named when the run knows the proposal
 * (`sessionExpiries`), the close was applied before the other took the role, and the
 * holder's belief in the overlap began before that close (with the closing session, not a
 * later one: `windows`).
 */
export function pauseBehind(
  overlap: RoleOverlap,
  context: RecipeContext | undefined,
  windows: readonly RoleWindow[] = [],
): { pause: ClientPause; endUs: number | undefined; decidedUs?: number; wokeOnStale?: boolean } | undefined {
  const pauses = context?.clientPauses;
  if (context === undefined || pauses === undefined) return undefined;
  const sessionTimeoutUs = context.sessionTimeoutUs;
  const silentUs = sessionTimeoutUs - pingIntervalUs(sessionTimeoutUs);
  for (const client of overlap.clients) {
    const earlier = client === overlap.clients[0];
    const wakeUs = earlier ? 0 : WAKE_US;
    for (const pause of pauses) {
      if (pause.client !== client || pause.toUs - pause.fromUs <= silentUs || pause.fromUs >= overlap.toUs) continue;
      const ends = context.sessionEndsUs?.get(client) ?? [];
      if (pause.toUs + wakeUs >= overlap.fromUs) {
        if (context.sessionEndsUs === undefined) return { pause, endUs: undefined };
        const endUs = ends.find((e) => e >= pause.fromUs && e <= Math.min(pause.toUs, overlap.fromUs));
        if (endUs !== undefined) return { pause, endUs };
      }
      if (!earlier) continue;
      const belief = windows.find((w) => w.client === client && w.fromUs <= overlap.fromUs && (w.toUs === null || w.toUs >= overlap.fromUs));
      if (belief !== undefined && belief.fromUs >= pause.fromUs && belief.fromUs <= pause.toUs + WAKE_US) {
        // It took the role on waking, on an answer that reached it while it was stopped,
        // its session having ended during the pause (shortsession zab 2809).
        const endUs = ends.find((e) => e >= pause.fromUs && e <= pause.toUs);
        if (endUs !== undefined) return { pause, endUs, wokeOnStale: true };
      }
      for (const expiry of context.sessionExpiries?.get(client) ?? []) {
        if (expiry.atUs < pause.fromUs || expiry.atUs > pause.toUs) continue;
        const appliedUs = ends.find((e) => e >= expiry.atUs && e <= overlap.fromUs);
        if (appliedUs !== undefined && belief !== undefined && belief.fromUs <= appliedUs) return { pause, endUs: appliedUs, decidedUs: expiry.atUs };
      }
    }
  }
  return undefined;
}

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

/** How long the leader was paused in the session's last timeout before it proposed the close. */
function leaderPausedUs(expiry: ClientExpiry, sessionTimeoutUs: number): number {
  const pause = expiry.leaderPause;
  if (pause === null) return 0;
  return Math.max(0, Math.min(pause.toUs, expiry.atUs) - Math.max(pause.fromUs, expiry.atUs - sessionTimeoutUs));
}

/**
 * The cut-off server that explains an overlap (sim/check/cut-off.ts): the earlier holder's
 * session was expired by a leader that had received no touch report, for at least half
 * the session timeout, from the server the client was connected to — a server cut off
 * from it — or that was itself paused for at least half the timeout before it proposed
 * the close (a report it got on waking was sent before its pause), while the server went
 * on answering the client's pings — and the session ended at the servers before the later
 * holder took the role; or the later holder's session was so expired before it took the
 * role, on an answer its server gave before applying the close. Needs the run's expiries
 * and session ends (for the later holder, where each server applied them); without them
 * nothing is named.
 */
export function cutOffBehind(overlap: RoleOverlap, context: RecipeContext | undefined): ClientExpiry | undefined {
  if (context === undefined) return undefined;
  const [earlier, later] = overlap.clients;
  const cutOff = (expiry: ClientExpiry) =>
    // A client on the leader itself, or not yet connected, is not served by a cut-off server (NaN fails the test too).
    expiry.server >= 0 &&
    expiry.server !== expiry.leader &&
    expiry.atUs <= overlap.fromUs &&
    (expiry.silentUs >= context.sessionTimeoutUs / 2 || leaderPausedUs(expiry, context.sessionTimeoutUs) >= context.sessionTimeoutUs / 2);
  const ends = context.sessionEndsUs?.get(earlier);
  for (const expiry of context.sessionExpiries?.get(earlier) ?? []) {
    if (ends !== undefined && cutOff(expiry) && ends.some((endUs) => endUs >= expiry.atUs && endUs <= overlap.fromUs)) return expiry;
  }
  // The later one, its session expired so by the time it took the role, acting on an answer
  // its server gave before applying the close (a follower serves reads from its own tree,
  // and a session lives at a server until its closeSession is applied there): it took the
  // role within a hop of that server's applying the close — a quarter of the session, the
  // bound the swarm keeps hops under for these recipes (lock-twin scenario, leader clogged
  // 25 ms, sessions 30 ms: zab 29 and 148). Needs where the close was applied.
  const laterEnds = context.sessionEndsUs?.get(later);
  const laterAt = context.sessionEndsAtServersUs?.get(later);
  if (laterEnds === undefined || laterAt === undefined) return undefined;
  for (const expiry of context.sessionExpiries?.get(later) ?? []) {
    if (!cutOff(expiry)) continue;
    const i = laterEnds.findIndex((endUs) => endUs >= expiry.atUs);
    const appliedUs = i < 0 ? undefined : laterAt[i]?.get(expiry.server);
    if (appliedUs !== undefined && overlap.fromUs <= appliedUs + context.sessionTimeoutUs / 4) return expiry;
  }
  return undefined;
}

/** How a recipe report names the hazards ZooKeeper does not prevent (what follows says which). */
export const HAZARD_NOTE = 'ZooKeeper does not promise more here';

/**
 * An exclusive role's overlaps split into those a hazard ZooKeeper does not prevent
 * explains — a client's pause (pauseBehind) or a cut-off server (cutOffBehind) — and the
 * rest, and the sentence that names them.
 */
export function namePausedOverlaps(
  role: RecipeReport,
  context: RecipeContext | undefined,
  took: string,
  remedy: string,
): { note: string | null; unexplained: number } {
  const named = role.overlaps.map((overlap) => {
    const pause = pauseBehind(overlap, context, role.windows);
    return { overlap, pause, cutOff: pause === undefined ? cutOffBehind(overlap, context) : undefined };
  });
  const paused = named.filter((n) => n.pause !== undefined);
  const cutOff = named.filter((n) => n.cutOff !== undefined);
  const rest = named.filter((n) => n.pause === undefined && n.cutOff === undefined);
  if (paused.length + cutOff.length === 0) return { note: null, unexplained: rest.length };
  const sessionTimeoutUs = context!.sessionTimeoutUs; // a hazard explained an overlap: there is a context
  const sentences: string[] = [];
  if (paused.length > 0) {
    const { overlap, pause: behind } = paused[0];
    const { pause, endUs, decidedUs, wokeOnStale } = behind!;
    const long = `longer than its session timeout (${ms(sessionTimeoutUs)})${pause.toUs - pause.fromUs > sessionTimeoutUs ? '' : ' less the third of it between two pings'}`;
    const expired =
      decidedUs !== undefined
        ? `its session expired (the leader decided it at ${ms(decidedUs)}, during the pause; the servers applied it at ${ms(endUs!)}, after it woke into the closing session)`
        : `its session expired${endUs !== undefined ? ` (at the servers at ${ms(endUs)})` : ''}`;
    const [earlier, later] = overlap.clients;
    sentences.push(
      `client ${pause.client} was paused from ${ms(pause.fromUs)} to ${ms(pause.toUs)}, ${long}, so ` +
        (pause.client === earlier && wokeOnStale === true
          ? `${expired}; on waking it acted on an answer that reached it before it learned of the expiry, and client ${later} ${took}`
          : pause.client === earlier
          ? `${expired} and client ${later} ${took} while it could not know`
          : `${expired} while client ${earlier} ${took}, and on waking it acted on an answer that reached it before it learned of the expiry`) +
        (paused.length > 1 ? ` (${paused.length} such overlaps)` : ''),
    );
  }
  if (cutOff.length > 0) {
    const { overlap, cutOff: expiry } = cutOff[0];
    const [earlier, later] = overlap.clients;
    const expiredLater = (context!.sessionExpiries?.get(later) ?? []).includes(expiry!);
    const [served, other] = expiredLater ? [later, earlier] : [earlier, later];
    sentences.push(
      `client ${served}'s server ${expiry!.server} went on answering its pings, but ` +
        (leaderPausedUs(expiry!, sessionTimeoutUs) >= sessionTimeoutUs / 2
          ? `leader ${expiry!.leader} was paused from ${ms(expiry!.leaderPause!.fromUs)} to ${ms(expiry!.leaderPause!.toUs)} and received none of its touch reports meanwhile, `
          : `leader ${expiry!.leader} had ${Number.isFinite(expiry!.silentUs) ? `received none of its touch reports for ${ms(expiry!.silentUs)}` : 'never received a touch report from it'} (the server cut off from it, or the leader paused), `) +
        (expiredLater
          ? `so the leader expired its session (timeout ${ms(sessionTimeoutUs)}) at ${ms(expiry!.atUs)} while client ${other} ${took}, and it acted on an answer its server gave before applying the close, while it could not know: `
          : `so the leader expired its session (timeout ${ms(sessionTimeoutUs)}) at ${ms(expiry!.atUs)} and client ${other} ${took} while it could not know: `) +
        `a server serves its clients until it notices it lost its leader (ZAB: syncLimit × tickTime; Paxos: an election timeout without a heartbeat), and a session shorter than that, or than a leader's pause, is not protected` +
        (cutOff.length > 1 ? ` (${cutOff.length} such overlaps)` : ''),
    );
  }
  let note = `${HAZARD_NOTE}: ${sentences.join('; ')}; ${remedy}`;
  if (rest.length > 0) note += `; ${rest.length} overlap(s) no such pause or cut-off server explains (first: clients ${rest[0].overlap.clients.join(' and ')} from ${ms(rest[0].overlap.fromUs)} to ${ms(rest[0].overlap.toUs)})`;
  return { note, unexplained: rest.length };
}

/** The lock's report, given the mutex checker's (checkExclusiveRole) and the resource's writes. */
export function checkLock(role: RecipeReport, events: readonly HistoryEvent[], context: RecipeContext | undefined): RecipeReport {
  const { note, unexplained } = namePausedOverlaps(role, context, 'acquired the lock', 'only a fencing token checked by the resource stops the damage (Kleppmann, "How to do distributed locking")');
  const parts = [role.summary];
  if (note !== null) parts.push(note);
  const mode = context?.lockResource;
  // Every overlap named by a hazard: the lock broke the way Curator's does there.
  const hazards = role.overlaps.length > 0 && unexplained === 0;
  if (mode === undefined) return { ...role, summary: parts.join('; '), ...(hazards ? { hazardOnly: true } : {}) };
  const writes = checkResourceWrites(events);
  if (writes.stale.length === 0) parts.push(`the ${mode} resource accepted ${writes.accepted} write(s), never one from a stale holder${writes.refused > 0 ? `, and refused ${writes.refused} carrying a stale token` : ''}`);
  else {
    const s = writes.stale[0];
    parts.push(
      `the ${mode} resource accepted ${writes.stale.length} write(s) from a stale holder: client ${s.client} wrote with token ${s.token} at ${ms(s.appliedUs)}, after client ${s.after.client} had written with the newer token ${s.after.token} at ${ms(s.after.appliedUs)}`,
    );
  }
  const violated = writes.stale.length > 0 || (mode === 'unfenced' ? role.overlaps.length > 0 : unexplained > 0);
  // An unfenced resource takes a stale holder's writes: the hazard's damage. A fenced one
  // fails only by taking one (or by an overlap no hazard explains): it is broken, whatever
  // explains the overlap.
  const hazardOnly = violated && hazards && mode === 'unfenced';
  return { ...role, verdict: violated ? 'violated' : 'holds', summary: parts.join('; '), ...(hazardOnly ? { hazardOnly: true } : {}) };
}
