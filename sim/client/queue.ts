/**
 * Curator's DistributedQueue (recipes/queue/DistributedQueue, ChildrenCache), on the real
 * data-tree operations:
 *
 * - start(): the queue node is created (creatingParentContainersIfNeeded);
 * - put(item): a persistent-sequential node `<queue>/queue-N` holding the item. Curator's
 *   put is a plain create, so a create retried after a connection loss can enqueue the
 *   item twice; this one is protected (`_c_<uuid>-queue-N`, CreateBuilderImpl
 *   .withProtection): a retry first looks for the node the lost create may have made. It
 *   still cannot see a node a consumer already took: that item is put twice (the checker
 *   tells such twins by their shared protected prefix). A put is retried until answered;
 * - the consumer loop (runLoop over ChildrenCache): getChildren with a watch; the children
 *   sorted by their sequence number (sortChildren — the protected prefix is ignored, as
 *   StandardLockInternalsDriver.fixForSorting does); each item in turn is taken. When the
 *   listing is done, a watch event that came meanwhile (or a reconnect) lists again;
 *   otherwise the consumer waits for one.
 * - a take. Curator's processNormally (getData, then delete with its version) loses an
 *   item whose delete's answer is lost: the retried delete finds NONODE and the consumer
 *   cannot tell its own delete from another's (Curator's javadoc: without a lockPath "the
 *   item will be lost"). Curator's cure, processWithLockSafety, claims the item with an
 *   ephemeral lock node; this take claims it in the item itself: setData of a claim mark
 *   with the version just read (a CAS: one consumer wins), then a guaranteed delete. A
 *   claim whose answer is lost is settled by reading the item after a sync: our mark, or
 *   NONODE / another mark (it was not ours: a claimed item is deleted only by its
 *   claimer). So every item is taken exactly once, under any faults.
 *
 * Order (what ZooKeeper promises): a sequential node's number is the parent's cversion
 * when its create commits, so numbers follow the puts' commit order, which respects real
 * time (a put that finished before another began has the smaller number); a single
 * consumer takes items in that order, several consumers each in increasing order,
 * interleaved.
 */
import type { ClientNotification } from './protocol.js';
import type { ClientOp } from './session.js';
import { getChildrenOp, type CuratorClient } from './curator.js';
import { sortBySequence } from './lock.js';

export const QUEUE_ITEM_NAME = 'queue-';

/** Knobs for deliberately broken queues, so tests can show the queue checker firing. */
export interface QueueFlaws {
  /** The consumer processes an item it read even when its claim failed (another consumer took it). */
  ignoreClaimResult?: boolean;
  /** Children taken in name order (the protected prefix's random uuid), not by sequence number. */
  sortByName?: boolean;
}

/** How a take ended: `taken` (our claim won and the node is gone), `missed` (not ours, or not reachable: it stays for another pass). */
export type TakeOutcome = { kind: 'taken'; data: string } | { kind: 'missed' };

/** The start of a claimed item's data: the claimer's name follows. */
export const CLAIM_MARK = 'claimed by ';

function itemOf(output: unknown): { data: string; version: number } | null {
  const value = output as { data?: unknown; version?: unknown } | string | null;
  if (typeof value !== 'object' || value === null || typeof value.data !== 'string' || typeof value.version !== 'number') return null;
  return { data: value.data, version: value.version };
}

function setOp(path: string, data: string, version: number): ClientOp {
  return { f: 'setData', value: { path, data, version }, req: { op: 'setData', path, data, version } };
}

/** The producer side: put(), retried until answered; the node's path, or null when ZooKeeper refused it (an error code). */
export function putItem(curator: CuratorClient, queuePath: string, data: string, done: (path: string | null) => void): void {
  curator.createProtected(`${queuePath}/${QUEUE_ITEM_NAME}`, data, 'persistent-sequential', (created) => {
    done(created.ok && typeof created.output === 'string' && created.output.startsWith(`${queuePath}/`) ? created.output : null);
  }, true);
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
  private claims = 0;

  /** `owner` names this consumer in its claim marks. */
  constructor(
    private readonly curator: CuratorClient,
    readonly queuePath: string,
    private readonly owner: string,
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

  /** Takes one item: getData, the claim (a versioned setData of our mark), the guaranteed delete. */
  take(node: string, done: (outcome: TakeOutcome) => void): void {
    const path = `${this.queuePath}/${node}`;
    const mark = `${CLAIM_MARK}${this.owner}#${++this.claims}`;
    this.curator.call({ f: 'getData', value: { path }, req: { op: 'getData', path } }, (read) => {
      // Retries exhausted: nothing changed, the item stays for the next pass.
      if (!read.ok) return done({ kind: 'missed' });
      const item = itemOf(read.output);
      if (item === null || item.data.startsWith(CLAIM_MARK)) return done({ kind: 'missed' });
      const claimed = () => this.curator.guaranteedDelete(path, () => done({ kind: 'taken', data: item.data }));
      if (this.flaws.ignoreClaimResult === true) return this.curator.call(setOp(path, mark, item.version), () => claimed());
      this.curator.call(setOp(path, mark, item.version), (set) => {
        if (set.ok && typeof set.output === 'number') return claimed();
        if (set.ok && set.uncertain !== true) return done({ kind: 'missed' });
        this.settleClaim(path, mark, (ours) => (ours ? claimed() : done({ kind: 'missed' })));
      });
    });
  }

  /** A claim of unknown outcome: read the item after a sync (retried until answered); ours if it carries our mark. */
  private settleClaim(path: string, mark: string, done: (ours: boolean) => void): void {
    this.curator.call({ f: 'getData', value: { path }, req: { op: 'getData', path }, readMode: 'sync' }, (read) => {
      if (!read.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.settleClaim(path, mark, done));
      done(itemOf(read.output)?.data === mark);
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
