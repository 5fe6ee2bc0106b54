/**
 * Group commit: "reply only once what the reply promises is on disk".
 *
 * Acceptors must persist a promise or a vote before answering, or a crash could make
 * them break it (the `volatileAcceptor` bug). One sync per message would be correct but
 * slow; like every real log (ZooKeeper's SyncRequestProcessor, etcd's WAL) writes are
 * batched: at most one sync is in flight, writes made meanwhile wait for the next one,
 * and each waiting reply is released by the first sync that covers its write. Syncs
 * complete in call order (the storage model guarantees it), so a reply queued behind
 * a sync is never released before an earlier write.
 */
import type { NodeContext, Storage } from '../core/node.js';
import type { PaxosMessage } from './messages.js';

export type DurableAction = (ctx: NodeContext<PaxosMessage>) => void;

export class GroupCommit {
  /** Buffered writes that no sync covers yet. */
  private dirty = false;
  private inflightSyncId = -1;
  private waitingForInflight: DurableAction[] = [];
  private waitingForNext: DurableAction[] = [];

  constructor(private readonly storage: Storage) {}

  /** Something was written (put / append) and must be synced. */
  markWritten(): void {
    this.dirty = true;
  }

  /** Runs `action` once everything written so far is durable (at once if it already is). */
  afterDurable(ctx: NodeContext<PaxosMessage>, action: DurableAction): void {
    if (this.dirty) this.waitingForNext.push(action);
    else if (this.inflightSyncId >= 0) this.waitingForInflight.push(action);
    else action(ctx);
  }

  /** Starts a sync for the buffered writes unless one is already in flight. Call at the end of a handler. */
  flush(): void {
    if (!this.dirty || this.inflightSyncId >= 0) return;
    this.inflightSyncId = this.storage.sync();
    this.dirty = false;
    // No sync was in flight, so nothing waits for one: the two queues swap (an array
    // fewer per sync, and syncs come a few per write).
    const empty = this.waitingForInflight;
    if (empty.length !== 0) throw new Error('group commit: replies wait for a sync that is not in flight');
    this.waitingForInflight = this.waitingForNext;
    this.waitingForNext = empty;
  }

  /** A sync completed; returns true if it was ours. */
  onSync(ctx: NodeContext<PaxosMessage>, syncId: number): boolean {
    if (syncId !== this.inflightSyncId) return false;
    this.inflightSyncId = -1;
    // Released in order, and the array kept for the next sync (flush swaps it in). With
    // no sync in flight an action that waits goes to waitingForNext, so none is added
    // here while they run (the loop would run it too).
    const released = this.waitingForInflight;
    for (let i = 0; i < released.length; i++) released[i](ctx);
    released.length = 0;
    this.flush();
    return true;
  }

  get pendingCount(): number {
    return this.waitingForInflight.length + this.waitingForNext.length;
  }
}
