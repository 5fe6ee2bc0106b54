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
 * paused longer than its session timeout during the overlap). With an unfenced resource,
 * violated on any overlap or stale write. With a fenced one, violated on a stale write, or
 * on an overlap that no such pause explains (a broken lock, which fencing must not hide).
 */
import type { HistoryEvent } from './lin/history.js';
import type { RecipeContext, RecipeReport, RoleOverlap } from './recipes.js';

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

/** The pause that explains an overlap: the earlier holder stopped longer than its session timeout, during the overlap. */
function pauseBehind(overlap: RoleOverlap, pauses: readonly ClientPause[], sessionTimeoutUs: number): ClientPause | undefined {
  return pauses.find((p) => p.client === overlap.clients[0] && p.toUs - p.fromUs > sessionTimeoutUs && p.fromUs < overlap.toUs && p.toUs > overlap.fromUs);
}

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

/** The lock's report, given the mutex checker's (checkExclusiveRole) and the resource's writes. */
export function checkLock(role: RecipeReport, events: readonly HistoryEvent[], context: RecipeContext | undefined): RecipeReport {
  const pauses = context?.clientPauses ?? [];
  const sessionTimeoutUs = context?.sessionTimeoutUs ?? Infinity;
  const paused = role.overlaps.map((overlap) => ({ overlap, pause: pauseBehind(overlap, pauses, sessionTimeoutUs) }));
  const explained = paused.filter((p) => p.pause !== undefined);
  const parts = [role.summary];
  if (explained.length > 0) {
    const { overlap, pause } = explained[0];
    parts.push(
      `ZooKeeper does not promise more here: client ${overlap.clients[0]} was paused from ${ms(pause!.fromUs)} to ${ms(pause!.toUs)}, longer than its session timeout (${ms(sessionTimeoutUs)}), ` +
        `so its session expired and client ${overlap.clients[1]} acquired the lock while it could not know; only a fencing token checked by the resource stops the damage (Kleppmann, "How to do distributed locking")`,
    );
  }
  const mode = context?.lockResource;
  if (mode === undefined) return { ...role, summary: parts.join('; ') };
  const writes = checkResourceWrites(events);
  if (writes.stale.length === 0) parts.push(`the ${mode} resource accepted ${writes.accepted} write(s), never one from a stale holder${writes.refused > 0 ? `, and refused ${writes.refused} carrying a stale token` : ''}`);
  else {
    const s = writes.stale[0];
    parts.push(
      `the ${mode} resource accepted ${writes.stale.length} write(s) from a stale holder: client ${s.client} wrote with token ${s.token} at ${ms(s.appliedUs)}, after client ${s.after.client} had written with the newer token ${s.after.token} at ${ms(s.after.appliedUs)}`,
    );
  }
  const unexplained = paused.length - explained.length;
  const violated = writes.stale.length > 0 || (mode === 'unfenced' ? role.overlaps.length > 0 : unexplained > 0);
  return { ...role, verdict: violated ? 'violated' : 'holds', summary: parts.join('; ') };
}
