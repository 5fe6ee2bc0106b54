/**
 * Curator's DistributedQueue (recipes/queue/DistributedQueue, ChildrenCache), on the real
 * data-tree operations, without a lockPath:
 *
 * - start(): the queue node is created (creatingParentContainersIfNeeded);
 * - put(item): a persistent-sequential node `<queue>/queue-N` holding the item. Curator's
 *   put is a plain create, so a create retried after a connection loss can enqueue the
 *   item twice; this one is protected (`_c_<uuid>-queue-N`, CreateBuilderImpl
 *   .withProtection), so a retry first looks for the node the lost create may have made;
 * - the consumer loop (runLoop over ChildrenCache): getChildren with a watch; the children
 *   sorted by their sequence number (sortChildren — the protected prefix is ignored, as
 *   StandardLockInternalsDriver.fixForSorting does); each item in turn taken by
 *   processNormally: getData (its version), then delete with that version. The delete
 *   succeeding is the take; NONODE or BADVERSION means another consumer got it. When the
 *   listing is done, a watch event that came meanwhile (or a reconnect) lists again;
 *   otherwise the consumer waits for one.
 *
 * What the queue promises (Curator's javadoc, and ZooKeeper underneath): a sequential
 * node's number is the parent's cversion when its create commits, so numbers follow the
 * commit order of the puts, which respects real time (a put that finished before another
 * began has the smaller number); a single consumer takes items in that order, several
 * consumers each in increasing order but interleaved. Without a lockPath an item is
 * processed at most once: a consumer whose delete's answer is lost retries it, finds
 * NONODE and cannot tell its own delete from another consumer's, so the item is dropped
 * ("If an instance receives an item from the queue but dies while processing it, the
 * item will be lost").
 */
import type { ClientNotification } from './protocol.js';
import { getChildrenOp, type CuratorClient } from './curator.js';
import { sortBySequence } from './lock.js';

export const QUEUE_ITEM_NAME = 'queue-';

/** Knobs for deliberately broken queues, so tests can show the queue checker firing. */
export interface QueueFlaws {
  /** The consumer processes an item it read even when its delete failed (another consumer took it). */
  ignoreDeleteResult?: boolean;
  /** Children taken in name order (the protected prefix's random uuid), not by sequence number. */
  sortByName?: boolean;
}

/** How a take ended: `taken` (our delete removed it), `missed` (another consumer's), `unknown` (a lost answer, or retries exhausted). */
export type TakeOutcome = { kind: 'taken'; data: string } | { kind: 'missed' } | { kind: 'unknown' };

/** The producer side: put(). */
export function putItem(curator: CuratorClient, queuePath: string, data: string, done: (path: string | null) => void): void {
  curator.createProtected(`${queuePath}/${QUEUE_ITEM_NAME}`, data, 'persistent-sequential', (created) => {
    done(created.ok && typeof created.output === 'string' && created.output.startsWith(`${queuePath}/`) ? created.output : null);
  });
}

/** The items of a listing, in the order the consumer takes them. */
export function queueOrder(children: readonly string[], flaws: QueueFlaws = {}): string[] {
  if (flaws.sortByName === true) return children.filter((name) => name.includes(QUEUE_ITEM_NAME)).sort();
  return sortBySequence(children, QUEUE_ITEM_NAME);
}

/**
 * The consumer side: lists, takes, waits for the next change. `onTake(node, take)` asks
 * the application to take one item: it calls `take` (which runs processNormally) and
 * calls back when it is ready for the next one.
 */
export class QueueConsumer {
  private started = false;
  private busy = false;
  private dirty = false;
  /** The last listing showed no items (and nothing has changed since, as far as we know). */
  private empty = false;

  constructor(
    private readonly curator: CuratorClient,
    readonly queuePath: string,
    private readonly onItem: (node: string, next: () => void) => void,
    private readonly flaws: QueueFlaws = {},
  ) {}

  /** Whether the consumer is idle and its last look found the queue empty. */
  get idleAndEmpty(): boolean {
    return this.started && !this.busy && this.empty && !this.dirty;
  }

  start(): void {
    this.started = true;
    this.curator.watchPath(this.queuePath, (event: ClientNotification) => {
      if (event.kind === 'watch') this.changed();
    });
    this.curator.onConnectionState((state) => {
      if (state === 'RECONNECTED' || state === 'LOST') this.changed();
    });
    this.curator.mkdirs(this.queuePath, (made) => {
      if (!made.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.changed());
      this.list();
    });
  }

  close(): void {
    this.started = false;
    this.curator.watchPath(this.queuePath, null);
  }

  /** Something may have changed: list again now, or when the current pass ends. */
  changed(): void {
    this.dirty = true;
    this.empty = false;
    if (!this.busy) this.list();
  }

  /** processNormally: getData for the version, delete with it; the item is ours when the delete succeeds. */
  take(node: string, done: (outcome: TakeOutcome) => void): void {
    const path = `${this.queuePath}/${node}`;
    this.curator.call({ f: 'getData', value: { path }, req: { op: 'getData', path } }, (read) => {
      if (!read.ok) return done({ kind: 'unknown' });
      const value = read.output as { data?: unknown; version?: unknown } | string;
      if (typeof value !== 'object' || value === null || typeof value.data !== 'string' || typeof value.version !== 'number') return done({ kind: 'missed' });
      const data = value.data;
      const version = value.version;
      this.curator.call({ f: 'delete', value: { path, version }, req: { op: 'delete', path, version } }, (deleted) => {
        if (!deleted.ok) return done(this.flaws.ignoreDeleteResult === true ? { kind: 'taken', data } : { kind: 'unknown' });
        if (deleted.output === 'ok' || this.flaws.ignoreDeleteResult === true) return done({ kind: 'taken', data });
        // NONODE / BADVERSION: another consumer got it — or, after a lost answer, maybe we did.
        done(deleted.uncertain === true ? { kind: 'unknown' } : { kind: 'missed' });
      });
    });
  }

  private list(): void {
    if (!this.started || this.busy) return;
    this.busy = true;
    this.dirty = false;
    this.curator.call({ ...getChildrenOp(this.queuePath), req: { op: 'getChildren', path: this.queuePath, watch: true } }, (listed) => {
      if (!this.started) return;
      if (!listed.ok || !Array.isArray(listed.output)) {
        // Retries exhausted, or the queue node is missing: try again after the policy's longest sleep.
        this.busy = false;
        this.curator.later(this.curator.policy.maxSleepUs, () => this.changed());
        return;
      }
      const items = queueOrder(listed.output as string[], this.flaws);
      this.empty = items.length === 0;
      const step = (i: number): void => {
        if (!this.started) return;
        if (i >= items.length) {
          this.busy = false;
          if (this.dirty || items.length > 0) this.list();
          return;
        }
        this.onItem(items[i], () => this.curator.later(0, () => step(i + 1)));
      };
      step(0);
    });
  }
}
