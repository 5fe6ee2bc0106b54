/**
 * Who may write in a session (SessionImpl.owner): the learner connection (LearnerHandler)
 * the session's client reached the leader through, or the leader itself for its own
 * clients (ServerCnxn.me). `sid` names the server, for traces.
 */
export interface SessionOwner {
  readonly sid: number;
}

/**
 * The leader's session tracker (SessionTrackerImpl): when each open session expires
 * unless a client touches it. Touches come from requests the leader sees and from the
 * session lists learners attach to their PING answers. Expiry is decided by the leader
 * alone and replicated as a closeSession txn, which deletes the session's ephemerals
 * atomically at its zxid. The tracker is volatile: a new leader starts every session's
 * clock afresh (full timeout), as ZooKeeper does.
 *
 * It also knows each session's owner (setOwner / checkSession): set when the session is
 * created and when a reconnect is revalidated, checked for every write at prep. A write
 * that reaches the leader through another server than the owner is a SESSIONMOVED error
 * txn (ZOOKEEPER-710: a request held by a server the client has left must not change
 * anything once the client moved on). Volatile too: a new leader knows no owners, and
 * the first request of a session sets its owner, as checkSession does for `owner == null`.
 */
export class SessionTracker {
  /** sessionId → expiry time (µs). */
  private readonly expiries = new Map<number, number>();
  private readonly timeouts = new Map<number, number>();
  /** Open session → its owner; absent: no owner yet (the next request sets it). */
  private readonly owners = new Map<number, SessionOwner>();

  /** Tracks a session; `owner` for a session created now (createSession sets the owner at prep). */
  add(sessionId: number, timeoutUs: number, nowUs: number, owner?: SessionOwner): void {
    this.timeouts.set(sessionId, timeoutUs);
    this.expiries.set(sessionId, nowUs + timeoutUs);
    if (owner !== undefined) this.owners.set(sessionId, owner);
  }

  /**
   * checkSession's owner rule for a write of an open session: true if `owner` owns it (or
   * nobody did: `owner` does now); false if another owner does (SESSIONMOVED). Sessions
   * not tracked here (closing or closed, unknown) pass: prep refuses them as expired.
   */
  checkOwner(sessionId: number, owner: SessionOwner): boolean {
    if (!this.timeouts.has(sessionId)) return true;
    const current = this.owners.get(sessionId);
    if (current === undefined) {
      this.owners.set(sessionId, owner);
      return true;
    }
    return current === owner;
  }

  /** The session's owner, if it has one (for traces). */
  ownerOf(sessionId: number): SessionOwner | undefined {
    return this.owners.get(sessionId);
  }

  touch(sessionId: number, nowUs: number): void {
    const timeoutUs = this.timeouts.get(sessionId);
    if (timeoutUs === undefined) return;
    this.expiries.set(sessionId, nowUs + timeoutUs);
  }

  /**
   * ZooKeeper's touchSession as REVALIDATE uses it: true (and the session's clock restarts,
   * and `owner` owns it from now on) if the session is open and not closing; false if it
   * expired or was closed.
   */
  revalidate(sessionId: number, nowUs: number, owner: SessionOwner): boolean {
    if (!this.timeouts.has(sessionId)) return false;
    this.touch(sessionId, nowUs);
    // Leader.revalidateSession / LeaderZooKeeperServer.revalidateSession: setOwner.
    this.owners.set(sessionId, owner);
    return true;
  }

  /**
   * A closeSession for it was proposed: forget it. ZooKeeper marks the session closing
   * (setSessionClosing: touchSession is false from then on) and removes it when the
   * closeSession is applied (ZooKeeperServer.killSession: sessionTracker.removeSession);
   * here a closing session and a closed one are both simply not tracked, which answers
   * every question the same way (touch does nothing, revalidate is false, checkOwner
   * leaves the write to prep, which refuses it as expired). Nothing of the session is
   * kept: a leader that serves for hours through session churn holds only open sessions
   * (a set of closing ids, never emptied, grew by one per closed session: h54's
   * long-run hunt).
   */
  closed(sessionId: number): void {
    this.expiries.delete(sessionId);
    this.timeouts.delete(sessionId);
    this.owners.delete(sessionId);
  }

  /** How many sessions the tracker holds anything about (open ones only; for tests and probes of boundedness). */
  get retained(): number {
    const ids = new Set<number>(this.timeouts.keys());
    for (const id of this.expiries.keys()) ids.add(id);
    for (const id of this.owners.keys()) ids.add(id);
    return ids.size;
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
