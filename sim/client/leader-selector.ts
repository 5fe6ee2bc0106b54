/**
 * Curator's LeaderSelector (recipes/leader/LeaderSelector), built as Curator builds it on
 * an InterProcessMutex (lock.ts) at the election path:
 *
 * - doWork(): mutex.acquire(); once held, hasLeadership and the application's
 *   takeLeadership() runs; when it returns (the application relinquishes) or is
 *   cancelled, hasLeadership goes off and mutex.release() deletes the node (guaranteed);
 * - autoRequeue(): after each term (or a failed acquire) the selector queues again;
 * - LeaderSelectorListenerAdapter.stateChanged: SUSPENDED or LOST cancels leadership
 *   (CancelLeadershipException interrupts takeLeadership), so a leader that stops
 *   hearing from its server stops leading before its session can expire. Since
 *   CURATOR-518 it cancels the whole election (cancelElection), the acquire too: an
 *   acquire that ran on across a lost session could take the lock with the lost
 *   session's node and lead alongside the next leader once that node went.
 *
 * What ZooKeeper does not promise, as for the latch: a leader paused past its session
 * timeout believes it leads until it wakes; only fencing (the lock node's czxid or
 * sequence number, checked by what the leader writes to) stops the damage.
 */
import type { CuratorClient } from './curator.js';
import { InterProcessMutex } from './lock.js';

export interface SelectorFlaws {
  /** takeLeadership is not cancelled on SUSPENDED or LOST (a listener without the adapter's stateChanged). */
  ignoreConnectionLoss?: boolean;
}

/** The application's side: `takeLeadership(relinquish)` starts a term; calling `relinquish` ends it. `onCancelled` says the term was cut short. */
export interface SelectorListener {
  queued(): void;
  takeLeadership(relinquish: () => void): void;
  /** Leadership is over (relinquished or cancelled); `done` once the mutex is released. */
  leadershipEnded(cancelled: boolean, released: (whenReleased: () => void) => void): void;
  /** The acquire gave up (the retry policy); the selector requeues. */
  acquireFailed(): void;
}

export class LeaderSelector {
  private readonly mutex: InterProcessMutex;
  private leading = false;
  private acquiring = false;
  private term = 0;
  private closed = false;

  constructor(
    private readonly curator: CuratorClient,
    readonly leaderPath: string,
    private readonly id: string,
    private readonly listener: SelectorListener,
    private readonly requeueDelayUs: () => number,
    flaws: SelectorFlaws = {},
  ) {
    this.mutex = new InterProcessMutex(curator, leaderPath, 'lock-');
    curator.onConnectionState((state) => {
      if (flaws.ignoreConnectionLoss === true) return;
      if (state !== 'SUSPENDED' && state !== 'LOST') return;
      if (this.leading) this.endTerm(this.term, true);
      else if (this.acquiring) this.mutex.interrupt();
    });
  }

  get hasLeadership(): boolean {
    return this.leading;
  }

  /** start() with autoRequeue(). */
  start(): void {
    this.doWork();
  }

  /** Stops requeueing after the current term (the application is shutting down). */
  close(): void {
    this.closed = true;
  }

  private doWork(): void {
    if (this.closed) return;
    this.listener.queued();
    this.acquiring = true;
    this.mutex.acquire(this.id, (held) => {
      this.acquiring = false;
      if (!held) {
        this.listener.acquireFailed();
        return this.requeue();
      }
      this.leading = true;
      const term = ++this.term;
      this.listener.takeLeadership(() => this.endTerm(term, false));
    });
  }

  private endTerm(term: number, cancelled: boolean): void {
    if (!this.leading || term !== this.term) return;
    this.leading = false;
    this.listener.leadershipEnded(cancelled, (whenReleased) =>
      this.mutex.release(() => {
        whenReleased();
        this.requeue();
      }),
    );
  }

  private requeue(): void {
    this.curator.later(this.requeueDelayUs(), () => this.doWork());
  }
}
