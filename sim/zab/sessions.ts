/**
 * The leader's session tracker (SessionTrackerImpl): when each open session expires
 * unless a client touches it. Touches come from requests the leader sees and from the
 * session lists learners attach to their PING answers. Expiry is decided by the leader
 * alone and replicated as a closeSession txn, which deletes the session's ephemerals
 * atomically at its zxid. The tracker is volatile: a new leader starts every session's
 * clock afresh (full timeout), as ZooKeeper does.
 */
export class SessionTracker {
  /** sessionId → expiry time (µs). */
  private readonly expiries = new Map<number, number>();
  private readonly timeouts = new Map<number, number>();
  /** Sessions whose closeSession is proposed but not yet committed. */
  private readonly closing = new Set<number>();

  add(sessionId: number, timeoutUs: number, nowUs: number): void {
    this.timeouts.set(sessionId, timeoutUs);
    this.expiries.set(sessionId, nowUs + timeoutUs);
    this.closing.delete(sessionId);
  }

  touch(sessionId: number, nowUs: number): void {
    const timeoutUs = this.timeouts.get(sessionId);
    if (timeoutUs === undefined || this.closing.has(sessionId)) return;
    this.expiries.set(sessionId, nowUs + timeoutUs);
  }

  /**
   * ZooKeeper's touchSession as REVALIDATE uses it: true (and the session's clock restarts)
   * if the session is open and not closing; false if it expired or was closed.
   */
  revalidate(sessionId: number, nowUs: number): boolean {
    if (!this.timeouts.has(sessionId) || this.closing.has(sessionId)) return false;
    this.touch(sessionId, nowUs);
    return true;
  }

  /** A closeSession for it was proposed: stop tracking. */
  closed(sessionId: number): void {
    this.expiries.delete(sessionId);
    this.timeouts.delete(sessionId);
    this.closing.add(sessionId);
  }

  /** Sessions whose expiry passed, in id order (deterministic). */
  expired(nowUs: number): number[] {
    let out: number[] | undefined;
    for (const [sessionId, expiryUs] of this.expiries) {
      if (expiryUs <= nowUs) (out ??= []).push(sessionId);
    }
    if (out === undefined) return NONE;
    return out.sort((a, b) => a - b);
  }

  get size(): number {
    return this.expiries.size;
  }
}

const NONE: number[] = [];
