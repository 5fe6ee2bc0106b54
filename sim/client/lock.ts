/**
 * Curator's InterProcessMutex (recipes/locks/InterProcessMutex, LockInternals,
 * StandardLockInternalsDriver), on the real data-tree operations:
 *
 * - acquire: a protected ephemeral-sequential node `<base>/_c_<uuid>-lock-N`
 *   (createsTheLock), then the lock loop (internalLockLoop): list the children sorted by
 *   their sequence number; the first holds the lock; any other watches its predecessor
 *   with getData (not exists: a watch on a node that is already gone would linger) and
 *   waits. A NONODE on that getData means the predecessor already went: look again.
 *   Any event, a watch or a connection-state change, wakes the waiter to look again.
 * - our node missing from the children (the session expired and took it): LockInternals
 *   .attemptLock starts over with a new node while the retry policy allows;
 * - our node made by an earlier session of this client (it expired, and the client has a
 *   new one): the node is doomed even while a server still lists it (a leader that has
 *   not committed the closeSession yet, or a stale server), so we delete it (guaranteed)
 *   and start over as above. Curator (CURATOR-604, open) takes the lock with such a node,
 *   and two clients hold the lock once the old session's close commits; the flaw
 *   `holdWithExpiredSessionNode` restores that behaviour;
 * - an error in the loop (retries exhausted): our node is deleted (guaranteed) and the
 *   acquire fails — definitely not held;
 * - reentrancy: an acquire by the holder only counts (lockCount); the node goes when the
 *   count drops to zero (release → LockInternals.releaseLock → guaranteed delete).
 *
 * What a lock cannot promise (ZooKeeper does not): a holder learns that its session
 * expired only when it reconnects, and another client may hold the lock by then.
 * Curator's answer is the application's connection-state listener: on SUSPENDED it must
 * stop acting as the holder (sim/client/recipes.ts does: it releases).
 */
import type { ClientNotification } from './protocol.js';
import { getChildrenOp, protectedTwins, retrySleepUs, type CuratorClient } from './curator.js';

/** Knobs for deliberately broken locks, so tests can show the mutex checker firing. */
export interface LockFlaws {
  /** Everyone watches nothing and treats "my node exists" as holding the lock. */
  noPredecessorCheck?: boolean;
  /** The application keeps acting as the holder through SUSPENDED and LOST (ignores connection loss). */
  keepHoldingWhenSuspended?: boolean;
  /**
   * CURATOR-604 (open in Curator): the lock loop takes the lock with a node its previous,
   * expired session made, while a server that has not yet closed that session still lists
   * it; once the session is closed the node goes and another client takes the lock too.
   */
  holdWithExpiredSessionNode?: boolean;
  /**
   * Curator's InterProcessMutex: a twin of our node (the same protected create, retried
   * while its first try was still in flight: curator.ts, protectedTwins) is left in place;
   * ahead of ours it is a predecessor that never goes, and every waiter hangs behind it
   * until our session ends (shortsession zab 1223).
   */
  waitOnOwnTwin?: boolean;
  /** The resource's guard accepts every write whatever its fencing token (resource.ts). */
  guardIgnoresToken?: boolean;
}

export class InterProcessMutex {
  private ourPath: string | null = null;
  private lockCount = 0;
  /** The acquire in progress was interrupted (its thread, in Curator): it gives up at its next step. */
  private interrupted = false;

  constructor(
    private readonly curator: CuratorClient,
    readonly basePath: string,
    private readonly lockName = 'lock-',
    readonly flaws: LockFlaws = {},
  ) {}

  /** The node that holds (or waits for) the lock for this client, when it has one. */
  get path(): string | null {
    return this.ourPath;
  }

  get isHeld(): boolean {
    return this.lockCount > 0;
  }

  /**
   * Interrupts the acquire in progress, as Curator's LeaderSelector interrupts its election
   * thread: the lock loop stops at its next step, deletes our node (guaranteed) and the
   * acquire ends not held (LockInternals: InterruptedException, deleteOurPath).
   */
  interrupt(): void {
    this.interrupted = true;
  }

  /** InterProcessMutex.acquire(): `done(true)` once held, `done(false)` if it gave up (not held). */
  acquire(data: string, done: (held: boolean) => void): void {
    this.interrupted = false;
    if (this.lockCount > 0) {
      // Re-entering: the same owner already holds it (InterProcessMutex.internalLock, lockData).
      this.lockCount++;
      this.curator.later(0, () => done(true));
      return;
    }
    let retryCount = 0;
    const attempt = () => {
      this.curator.createProtected(`${this.basePath}/${this.lockName}`, data, 'ephemeral-sequential', (created) => {
        if (!created.ok || typeof created.output !== 'string' || !created.output.startsWith(`${this.basePath}/`)) return done(false);
        const ourPath = created.output;
        // The session our node belongs to: the protected create made it, or adopted it,
        // under the client's current session (ProtectedMode.validateFoundNode).
        const ourSession = this.curator.zk.sessionId;
        this.lockLoop(ourPath, ourSession, (result) => {
          if (result === 'held') {
            this.ourPath = ourPath;
            this.lockCount = 1;
            return done(true);
          }
          if (result === 'failed') return this.curator.guaranteedDelete(ourPath, () => done(false));
          // Our node is gone (session expired): start over while the policy allows.
          const sleepUs = retrySleepUs(this.curator.policy, retryCount++, this.curator.rng);
          if (sleepUs === null) return done(false);
          this.curator.later(sleepUs, attempt);
        });
      });
    };
    attempt();
  }

  /** InterProcessMutex.release(): `done` once the count is down or our node is deleted. */
  release(done: () => void): void {
    if (this.lockCount <= 0) throw new Error('InterProcessMutex.release: not held');
    if (--this.lockCount > 0) {
      this.curator.later(0, done);
      return;
    }
    const ourPath = this.ourPath!;
    this.ourPath = null;
    this.curator.guaranteedDelete(ourPath, () => done());
  }

  /** LockInternals.internalLockLoop. */
  private lockLoop(ourPath: string, ourSession: number | undefined, done: (result: 'held' | 'gone' | 'failed') => void): void {
    const curator = this.curator;
    const ourName = ourPath.slice(this.basePath.length + 1);
    let waitingOn: string | null = null;
    let woken = false;
    let finished = false;
    const wake = () => {
      woken = true;
      if (waitingOn !== null) {
        curator.watchPath(waitingOn, null);
        waitingOn = null;
        look();
      }
    };
    const onState = () => {
      if (!finished) wake();
    };
    const unsubscribe = curator.onConnectionState(onState);
    const finish = (result: 'held' | 'gone' | 'failed') => {
      finished = true;
      unsubscribe();
      done(result);
    };
    const look = (): void => {
      woken = false;
      if (this.interrupted) return finish('failed');
      curator.call(getChildrenOp(this.basePath), (listed) => {
        if (this.interrupted) return finish('failed');
        if (!listed.ok || !Array.isArray(listed.output)) return finish(listed.ok ? 'gone' : 'failed');
        const children = sortBySequence(listed.output as string[], this.lockName);
        const index = children.indexOf(ourName);
        if (index < 0) return finish('gone');
        if (curator.zk.sessionId !== ourSession && this.flaws.holdWithExpiredSessionNode !== true) {
          // Our node's session expired (we have a new one): it is gone in all but name.
          return curator.guaranteedDelete(ourPath, () => finish('gone'));
        }
        const twins = this.flaws.waitOnOwnTwin === true ? [] : protectedTwins(ourName, children);
        if (twins.length > 0) {
          // Our own create's earlier node: delete it (guaranteed) and look again.
          return curator.guaranteedDeleteAll(
            twins.map((twin) => `${this.basePath}/${twin}`),
            () => look(),
          );
        }
        if (index === 0 || this.flaws.noPredecessorCheck === true) return finish('held');
        const predecessor = `${this.basePath}/${children[index - 1]}`;
        curator.watchPath(predecessor, (event: ClientNotification) => {
          if (event.kind === 'watch') wake();
        });
        curator.call({ f: 'getData', value: { path: predecessor }, req: { op: 'getData', path: predecessor, watch: true } }, (read) => {
          if (!read.ok) {
            curator.watchPath(predecessor, null);
            return finish('failed');
          }
          if (read.output === 'NONODE' || woken) {
            // Already gone (or an event came while we asked): look again.
            curator.watchPath(predecessor, null);
            return look();
          }
          waitingOn = predecessor;
        });
      });
    };
    look();
  }
}

/** StandardLockInternalsDriver.fixForSorting: children ordered by the sequence after the lock name. */
export function sortBySequence(children: readonly string[], lockName: string): string[] {
  const key = (name: string) => {
    const i = name.lastIndexOf(lockName);
    return i < 0 ? name : name.slice(i + lockName.length);
  };
  return children
    .filter((name) => name.includes(lockName))
    .slice()
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a < b ? -1 : a > b ? 1 : 0));
}
