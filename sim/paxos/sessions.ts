/**
 * The leader's session tracker, as ZooKeeper's (SessionTrackerImpl over an ExpiryQueue):
 * each open session sits in the bucket of the time it expires unless a client touches
 * it, and the leader expires the buckets whose time has come.
 *
 * - A session's clock starts when the leader starts tracking it: when it applies the
 *   createSession (so never before the session was created), or, for every session
 *   already open, when it takes over as leader. ZooKeeper's new leader does the same:
 *   its tracker is rebuilt from the data tree with every session touched at once, so a
 *   session alive under the old leader gets a full timeout to reach the new one.
 * - A touch moves the session to the bucket of `now + timeout`.
 * - Expiry times are rounded up to the next multiple of the interval (ZooKeeper's
 *   `roundToNextInterval`, with tickTime as the interval), so a session tracked at t
 *   with timeout T expires no earlier than t + T, and all the sessions of a bucket go
 *   together: the leader checks once per tick, not once per session.
 *
 * Volatile, per leader (LeaderState): a deposed leader's tracker is simply dropped.
 */
export class SessionTracker {
  /** Tracked session → its timeout (µs). */
  private readonly timeouts = new Map<number, number>();
  /** Tracked session → the expiry time of the bucket it sits in. */
  private readonly expiries = new Map<number, number>();
  /** Expiry time (a multiple of the interval) → the sessions expiring then. */
  private readonly buckets = new Map<number, Set<number>>();
  /** The earliest bucket not yet handed out by expired(). */
  private nextExpiryUs: number;

  constructor(
    private readonly intervalUs: number,
    nowUs: number,
  ) {
    if (!(Number.isSafeInteger(intervalUs) && intervalUs > 0)) throw new Error(`session tracker: bad interval ${intervalUs}`);
    this.nextExpiryUs = this.roundUp(nowUs);
  }

  /** The first multiple of the interval strictly after `timeUs` (ZooKeeper's roundToNextInterval). */
  private roundUp(timeUs: number): number {
    return (Math.floor(timeUs / this.intervalUs) + 1) * this.intervalUs;
  }

  /** Starts (or restarts) the clock of a session with this timeout, now. */
  track(sessionId: number, timeoutUs: number, nowUs: number): void {
    this.timeouts.set(sessionId, timeoutUs);
    this.moveTo(sessionId, this.roundUp(nowUs + timeoutUs));
  }

  /** A client touched the session: it lives a full timeout from now. Unknown sessions are ignored. */
  touch(sessionId: number, nowUs: number): void {
    const timeoutUs = this.timeouts.get(sessionId);
    if (timeoutUs !== undefined) this.moveTo(sessionId, this.roundUp(nowUs + timeoutUs));
  }

  /** An expired session whose close cannot be proposed yet: it expires again at the next bucket. */
  retry(sessionId: number, timeoutUs: number, nowUs: number): void {
    this.timeouts.set(sessionId, timeoutUs);
    this.moveTo(sessionId, this.roundUp(nowUs));
  }

  /** Stops tracking (the session closed, or its closeSession is proposed). */
  remove(sessionId: number): void {
    const expiryUs = this.expiries.get(sessionId);
    if (expiryUs === undefined) return;
    this.leaveBucket(sessionId, expiryUs);
    this.expiries.delete(sessionId);
    this.timeouts.delete(sessionId);
  }

  has(sessionId: number): boolean {
    return this.timeouts.has(sessionId);
  }

  get size(): number {
    return this.timeouts.size;
  }

  /**
   * The sessions whose expiry time is at or before `nowUs`, in id order; they are no
   * longer tracked (track them again to retry later).
   */
  expired(nowUs: number): readonly number[] {
    let out: number[] | undefined;
    while (this.nextExpiryUs <= nowUs) {
      const bucket = this.buckets.get(this.nextExpiryUs);
      if (bucket !== undefined) {
        this.buckets.delete(this.nextExpiryUs);
        for (const sessionId of bucket) {
          (out ??= []).push(sessionId);
          this.expiries.delete(sessionId);
          this.timeouts.delete(sessionId);
        }
      }
      this.nextExpiryUs += this.intervalUs;
    }
    if (out === undefined) return NONE;
    return out.sort((a, b) => a - b);
  }

  private moveTo(sessionId: number, expiryUs: number): void {
    const previous = this.expiries.get(sessionId);
    if (previous === expiryUs) return;
    if (previous !== undefined) this.leaveBucket(sessionId, previous);
    this.expiries.set(sessionId, expiryUs);
    let bucket = this.buckets.get(expiryUs);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(expiryUs, bucket);
    }
    bucket.add(sessionId);
  }

  private leaveBucket(sessionId: number, expiryUs: number): void {
    const bucket = this.buckets.get(expiryUs);
    if (bucket === undefined) return;
    bucket.delete(sessionId);
    if (bucket.size === 0) this.buckets.delete(expiryUs);
  }
}

const NONE: readonly number[] = Object.freeze([]);

/** The connection that owns a session: the server holding it, and its key (Route.connection). */
export interface SessionOwner {
  readonly server: number;
  readonly connection: number;
}

/**
 * Who may write in each open session: part of the replicated state, changed only by
 * applying chosen commands, so every replica (and the leader's speculative state) knows
 * the same owner at the same slot.
 *
 * ZooKeeper keeps the owner in the leader's volatile tracker and checks it at prep
 * (SessionTrackerImpl.checkSession, PrepRequestProcessor); a Paxos write can be chosen
 * long after its proposer prepared it, by a later leader, so the owner is checked where
 * Paxos checks every condition, at apply time (Paxos Made Live's guarded operations,
 * PROTOCOLS.md §12). The createSession sets the owner, and a reconnect is itself a
 * command (`move`) that sets it: a write whose connection does not own its session when
 * it is applied changes nothing (SESSIONMOVED). Owners are per connection, not per
 * server: a write held by a server through a connection its client has given up cannot
 * land after the client reconnected, even to that same server.
 */
export class SessionOwners {
  private readonly owners = new Map<number, SessionOwner>();

  get(sessionId: number): SessionOwner | undefined {
    return this.owners.get(sessionId);
  }

  set(sessionId: number, owner: SessionOwner): void {
    this.owners.set(sessionId, owner);
  }

  delete(sessionId: number): void {
    this.owners.delete(sessionId);
  }

  /**
   * Whether a write of `sessionId` through `connection` may apply: its connection owns
   * the session, or nobody does yet (the first writer then does, as checkSession sets an
   * absent owner).
   */
  admits(sessionId: number, owner: SessionOwner): boolean {
    const current = this.owners.get(sessionId);
    if (current === undefined) {
      this.owners.set(sessionId, owner);
      return true;
    }
    return current.connection === owner.connection && current.server === owner.server;
  }

  clone(): SessionOwners {
    const copy = new SessionOwners();
    for (const [sessionId, owner] of this.owners) copy.owners.set(sessionId, owner);
    return copy;
  }

  get size(): number {
    return this.owners.size;
  }
}

/**
 * A server's touches on their way to the leader. ZooKeeper's learner keeps every session
 * its clients touched and sends them all with its next PING answer, which TCP delivers.
 * Here acks are datagrams, so a touch is kept and sent with every heartbeat ack until the
 * leader confirmed it: each ack carries a stamp (the sender's clock), the leader echoes
 * in its heartbeats the latest stamp it received from each server, and a touch first
 * reported at stamp s is forgotten once the echo is later than s — the ack of that later
 * stamp was sent while the touch was still kept, so it carried it. (Not "at s": several
 * acks may share a stamp, and one sent before the touch would then confirm it.) Stamps
 * never go back, across a restart either, so an echo of an ack sent before a restart
 * confirms nothing reported after it. A lost, duplicated or reordered datagram thus
 * costs a resend, never a touch.
 */
export class TouchReports {
  /** Touched session → stamp of the first ack that reported its latest touch (UNREPORTED before that). */
  private readonly pending = new Map<number, number>();

  touch(sessionId: number): void {
    this.pending.set(sessionId, UNREPORTED);
  }

  /** The session is gone: nothing more to report. */
  forget(sessionId: number): void {
    this.pending.delete(sessionId);
  }

  /** Every unconfirmed touch, for an ack stamped `stampUs`. */
  report(stampUs: number): readonly number[] {
    if (this.pending.size === 0) return NONE;
    const sessions = new Array<number>(this.pending.size);
    let i = 0;
    for (const [sessionId, reportedUs] of this.pending) {
      sessions[i++] = sessionId;
      if (reportedUs === UNREPORTED) this.pending.set(sessionId, stampUs);
    }
    return sessions;
  }

  /** The leader received this server's report stamped `echoedUs`: what was reported before it arrived. */
  confirm(echoedUs: number): void {
    if (this.pending.size === 0) return;
    for (const [sessionId, reportedUs] of this.pending) if (reportedUs !== UNREPORTED && reportedUs < echoedUs) this.pending.delete(sessionId);
  }

  /** Every touch, to the leader on this very server (nothing can be lost on the way): forgets them. */
  takeAll(): readonly number[] {
    if (this.pending.size === 0) return NONE;
    const sessions = [...this.pending.keys()];
    this.pending.clear();
    return sessions;
  }

  get size(): number {
    return this.pending.size;
  }
}

const UNREPORTED = -1;
