/**
 * The txn log writer: ZooKeeper's SyncRequestProcessor, as a queue inside the node.
 *
 * Appends go to the storage log "txnlog" at once (the page cache: the process sees
 * them), and become durable when a storage sync covering them completes. One sync is
 * in flight at a time; appends made meanwhile are group-committed by the next one.
 * When a sync completes, the entries it covered are reported in order through
 * `onDurable` (the node records `logged` and, a follower, sends its ACK there: an ACK
 * means "durable on this server", DOC internals).
 *
 * Each append carries a `token` chosen by the node (the learner session it belongs to,
 * or -1): the node ACKs only if the token is still current, so an entry that becomes
 * durable after its server left the leader is logged but not acknowledged.
 *
 * A truncation drops the not-yet-durable entries beyond the cut from the queue (they
 * will never be reported) and is itself made durable by the next sync, in order with
 * the appends around it (storage syncs apply their batches in call order).
 */
import type { Storage } from '../core/node.js';
import type { LogEntry } from './messages.js';

export const TXN_LOG = 'txnlog';

export interface LogWriterHost {
  /** Called, in log order, for every entry the disk now holds. */
  onDurable(entry: LogEntry, token: number): void;
}

export class LogWriter {
  /** Appended but not yet reported durable, in order (parallel arrays: no object per entry). */
  private entries: LogEntry[] = [];
  private tokens: number[] = [];
  /** The sync id that covers entries[i], or 0 while none was issued. */
  private coveredBy: number[] = [];
  private head = 0;
  /** Writes (appends or a truncation) not yet covered by any issued sync. */
  private dirty = false;
  private inflightSyncId = 0;
  private readonly barriers: { syncId: number; callback: () => void }[] = [];
  private pendingBarriers: (() => void)[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly host: LogWriterHost,
  ) {}

  /** Entries appended and not yet durable. */
  get backlog(): number {
    return this.entries.length - this.head;
  }

  /** Nothing written is waiting for the disk. */
  get isFlushed(): boolean {
    return !this.dirty && this.inflightSyncId === 0;
  }

  append(entry: LogEntry, token: number): void {
    this.storage.append(TXN_LOG, entry);
    this.entries.push(entry);
    this.tokens.push(token);
    this.coveredBy.push(0);
    this.dirty = true;
    this.maybeSync();
  }

  /** Truncates the log to `length` entries (view now, durable with the next sync). */
  truncate(length: number, keepZxid: number): void {
    this.storage.truncate(TXN_LOG, length);
    // Queued entries beyond the cut never become part of the history: forget them.
    let keep = this.head;
    while (keep < this.entries.length && this.entries[keep].zxid <= keepZxid) keep++;
    this.entries.length = keep;
    this.tokens.length = keep;
    this.coveredBy.length = keep;
    this.dirty = true;
    this.maybeSync();
  }

  /**
   * Calls `callback` once everything written so far is durable (at once if it already
   * is). Used by the learner at NEWLEADER: log, fsync, THEN write currentEpoch and ACK.
   */
  barrier(callback: () => void): void {
    if (!this.dirty && this.inflightSyncId === 0) {
      callback();
      return;
    }
    if (this.dirty) {
      // Waits for the sync that will cover the current writes.
      this.pendingBarriers.push(callback);
      this.maybeSync();
      return;
    }
    this.barriers.push({ syncId: this.inflightSyncId, callback });
  }

  private maybeSync(): void {
    if (!this.dirty || this.inflightSyncId !== 0) return;
    const syncId = this.storage.sync();
    this.inflightSyncId = syncId;
    this.dirty = false;
    for (let i = this.head; i < this.entries.length; i++) if (this.coveredBy[i] === 0) this.coveredBy[i] = syncId;
    for (const callback of this.pendingBarriers) this.barriers.push({ syncId, callback });
    this.pendingBarriers = [];
  }

  /** A storage sync completed; returns true if it was one of ours. */
  onSync(syncId: number): boolean {
    if (syncId !== this.inflightSyncId) return false;
    this.inflightSyncId = 0;
    const entries = this.entries;
    while (this.head < entries.length && this.coveredBy[this.head] !== 0 && this.coveredBy[this.head] <= syncId) {
      const i = this.head++;
      this.host.onDurable(entries[i], this.tokens[i]);
    }
    if (this.head > 1024 && this.head * 2 > entries.length) this.compact();
    // Writes made while this sync ran go out in the next one (group commit).
    this.maybeSync();
    while (this.barriers.length > 0 && this.barriers[0].syncId <= syncId) this.barriers.shift()!.callback();
    return true;
  }

  private compact(): void {
    this.entries = this.entries.slice(this.head);
    this.tokens = this.tokens.slice(this.head);
    this.coveredBy = this.coveredBy.slice(this.head);
    this.head = 0;
  }

  /** Tokens are compared by the host; this forgets pending barriers (the role that waited is gone). */
  dropBarriers(): void {
    this.barriers.length = 0;
    this.pendingBarriers = [];
  }
}
