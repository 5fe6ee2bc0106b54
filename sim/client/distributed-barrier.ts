/**
 * Curator's DistributedBarrier (recipes/barriers/DistributedBarrier), on the real
 * data-tree operations:
 *
 * - setBarrier(): create the barrier node, parents created if needed (Curator:
 *   creatingParentContainersIfNeeded; here persistent parents, as ZKPaths.mkdirs);
 *   NODEEXISTS is ignored;
 * - removeBarrier(): delete the barrier node; NONODE is ignored;
 * - waitOnBarrier(maxWait): `exists` with a watch; no node: the wait is over; otherwise
 *   wait for an event (the node's NodeDeleted; any notification wakes Curator's
 *   synchronized wait) and look again, until `maxWait` has elapsed (false: timed out).
 *
 * Where this differs from Curator, and why:
 * - Curator's calls throw once the retry policy gives up; the application must then call
 *   again. Here set and remove are retried until ZooKeeper answers (what an application
 *   that must set or lift the barrier does around Curator's call), so a controller under
 *   faults still lifts the barrier when the network heals.
 * - Curator's `exists` is a plain read, served by the connected server: a waiter whose
 *   server has not yet applied the create finds no node and passes a barrier that is set
 *   (reads are sequentially consistent, not linearizable). The waiter here syncs first
 *   (`sync` then `exists`, as the ZooKeeper programmer's guide advises for a read that
 *   must see the latest state), so a waiter that starts after the barrier was set sees it.
 *   `plainExists` (a flaw) reads as Curator does.
 * - On RECONNECTED the waiter looks again: the ZooKeeper client re-registers its watch
 *   (SetWatches) and the server fires a delete it missed, so this only makes the wake-up
 *   independent of a lost notification.
 *
 * What the barrier cannot promise: a waiter that calls waitOnBarrier before the
 * controller's setBarrier has succeeded finds no node and passes at once (the node's
 * absence is all a waiter can see); the workload starts its waiters only once the
 * barrier is set.
 */
import type { ClientNotification } from './protocol.js';
import type { CuratorClient } from './curator.js';
import { Wakeup } from './wakeup.js';

export interface PlainBarrierFlaws {
  /** The application goes on when waitOnBarrier times out, as if it had passed (its `false` ignored). */
  ignoreTimeout?: boolean;
  /** Plain `exists` as Curator reads (no sync first): a lagging server can hide a barrier just set. */
  plainExists?: boolean;
}

export class DistributedBarrier {
  private readonly wakeup = new Wakeup();
  /** The wait under way (null: none) and whether its `exists` is in flight. */
  private current: { done: (passed: boolean) => void; over: boolean } | null = null;
  private looking = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly curator: CuratorClient,
    readonly barrierPath: string,
    private readonly flaws: PlainBarrierFlaws = {},
  ) {
    curator.watchPath(barrierPath, (event) => this.onEvent(event));
    this.unsubscribe = curator.onConnectionState((state) => {
      if (state === 'RECONNECTED' || state === 'LOST') this.wakeup.wake();
    });
  }

  /** Stops listening (the barrier's round is over for this client). */
  close(): void {
    this.current = null;
    this.wakeup.cancel();
    this.unsubscribe();
    this.curator.watchPath(this.barrierPath, null);
  }

  /** setBarrier: the node exists when `done` runs (created by us, or already there). */
  setBarrier(done: () => void): void {
    const path = this.barrierPath;
    this.curator.call({ f: 'create', value: { path, data: '' }, req: { op: 'create', path, data: '', mode: 'persistent' } }, (created) => {
      if (!created.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.setBarrier(done));
      const slash = path.lastIndexOf('/');
      if (created.output === 'NONODE' && slash > 0) return this.curator.mkdirs(path.slice(0, slash), () => this.curator.later(0, () => this.setBarrier(done)));
      // The path (ours) or NODEEXISTS (there already: a lost create made it, or another controller): set.
      done();
    });
  }

  /** removeBarrier: the node is gone when `done` runs (deleted by us, or NONODE). */
  removeBarrier(done: () => void): void {
    this.curator.guaranteedDelete(this.barrierPath, () => done());
  }

  /**
   * waitOnBarrier(maxWaitUs): `done(true)` once the node is gone, `done(false)` when
   * `maxWaitUs` passed first. One read at a time: a wait that starts while the last
   * one's read is still in Curator's retry loop takes its answer, so timed-out waits
   * during an outage do not pile reads up.
   */
  waitOnBarrier(maxWaitUs: number, done: (passed: boolean) => void): void {
    const wait = { done, over: false };
    this.current = wait;
    this.curator.later(maxWaitUs, () => this.finish(wait, false));
    this.look();
  }

  private finish(wait: { done: (passed: boolean) => void; over: boolean }, passed: boolean): void {
    if (wait.over) return;
    wait.over = true;
    if (this.current === wait) {
      this.current = null;
      this.wakeup.cancel();
    }
    wait.done(passed);
  }

  /** exists with a watch: no node, the wait is over; there, wait for an event; no answer, look again later. */
  private readonly look = (): void => {
    this.wakeup.fresh();
    if (this.current === null || this.looking) return;
    this.looking = true;
    const path = this.barrierPath;
    this.curator.call({ f: 'exists', value: { path }, req: { op: 'exists', path, watch: true }, ...(this.flaws.plainExists === true ? {} : { readMode: 'sync' as const }) }, (found) => {
      this.looking = false;
      const wait = this.current;
      if (wait === null) return;
      if (found.ok && found.output === false) return this.finish(wait, true);
      if (!found.ok) return this.curator.later(this.curator.policy.maxSleepUs, this.look);
      this.wakeup.waitFor(this.look);
    });
  };

  private onEvent(event: ClientNotification): void {
    if (event.kind === 'watch') this.wakeup.wake();
  }

}
