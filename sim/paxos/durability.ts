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
 *
 * A waiting reply is the message and its destination, kept in two parallel arrays (a
 * closure per reply, capturing what the reply needs, was a tenth of a Paxos write's
 * garbage: every acceptor answers every Accept). `release` sends it when it is due.
 */
import type { NodeContext, NodeId, Storage } from '../core/node.js';
import type { AcceptedMsg, PaxosMessage, PromiseMsg } from './messages.js';

/** The replies an acceptor holds back until its disk has what they promise. */
export type DurableReply = PromiseMsg | AcceptedMsg;

/** Sends a reply that became due (to every server: BROADCAST). */
export type ReleaseReply = (ctx: NodeContext<PaxosMessage>, to: NodeId, reply: DurableReply) => void;

export const BROADCAST = -1;

/** Replies waiting for one sync: messages and destinations, index by index. */
class ReplyQueue {
  readonly replies: DurableReply[] = [];
  readonly to: NodeId[] = [];

  get length(): number {
    return this.replies.length;
  }

  push(to: NodeId, reply: DurableReply): void {
    this.replies.push(reply);
    this.to.push(to);
  }

  /**
   * Empties both arrays by popping, not by `length = 0`: V8 drops the backing store of an
   * array whose length is set to 0, so every sync's first push allocated a new one (17
   * slots), twice per sync per node. Popping trims the store only while it is more than
   * twice too large, and settles on one that holds a sync's replies without growing.
   */
  clear(): void {
    const replies = this.replies;
    const to = this.to;
    while (replies.length > 0) {
      replies.pop();
      to.pop();
    }
  }
}

export class GroupCommit {
  /** Buffered writes that no sync covers yet. */
  private dirty = false;
  private inflightSyncId = -1;
  private waitingForInflight = new ReplyQueue();
  private waitingForNext = new ReplyQueue();

  constructor(
    private readonly storage: Storage,
    private readonly release: ReleaseReply,
  ) {}

  /** Something was written (put / append) and must be synced. */
  markWritten(): void {
    this.dirty = true;
  }

  /** Sends `reply` to `to` once everything written so far is durable (at once if it already is). */
  afterDurable(ctx: NodeContext<PaxosMessage>, to: NodeId, reply: DurableReply): void {
    if (this.dirty) this.waitingForNext.push(to, reply);
    else if (this.inflightSyncId >= 0) this.waitingForInflight.push(to, reply);
    else this.release(ctx, to, reply);
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
    // Released in order, and the queue kept for the next sync (flush swaps it in). With
    // no sync in flight a reply that waits goes to waitingForNext, so none is added
    // here while they are sent (the loop would send it too).
    const released = this.waitingForInflight;
    const replies = released.replies;
    const to = released.to;
    for (let i = 0; i < replies.length; i++) this.release(ctx, to[i], replies[i]);
    released.clear();
    this.flush();
    return true;
  }

  get pendingCount(): number {
    return this.waitingForInflight.length + this.waitingForNext.length;
  }
}
