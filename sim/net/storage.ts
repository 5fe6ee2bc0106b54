/**
 * The durable storage model of one node.
 *
 * Two copies are kept: the process's view (what it wrote, as the page cache shows it)
 * and the durable image (what the disk holds). Buffered writes go to the view and to a
 * pending list; `sync()` seals the pending list and, when the sync completes (an event
 * the cluster schedules after the storage latency), replays it onto the durable image.
 * A crash throws the view away and rebuilds it from the durable image: what was not
 * synced is lost. `putDurable` is an atomic file write that the writer waits for.
 * With `durableImmediately` every write reaches the disk at once (lessons not about disks).
 */
import type { Storage } from '../core/node.js';

type PendingOp =
  | { op: 0; key: string; value: unknown } // put
  | { op: 1; key: string; value: unknown } // append
  | { op: 2; key: string; length: number }; // truncate

export class NodeStorage implements Storage {
  private viewValues = new Map<string, unknown>();
  private viewLogs = new Map<string, unknown[]>();
  private readonly durableValues = new Map<string, unknown>();
  private readonly durableLogs = new Map<string, unknown[]>();
  private pending: PendingOp[] = [];
  /** Sealed batches waiting for their sync to complete, in order. */
  private readonly sealed: { syncId: number; ops: PendingOp[] }[] = [];
  private nextSyncId = 1;
  /**
   * Replaced by a new token at every change (a write, a sync sealed or completed, a
   * crash), never changed otherwise: one token stands for one content of this storage.
   * The explorer keeps a storage's hash by it (sim/explore/fingerprint.ts); a snapshot
   * restore puts the token back with the contents it stood for. Frozen: nothing in it.
   */
  version: object = Object.freeze({});
  /** Called by sync(): the cluster schedules the completion event. */
  requestSync: (syncId: number) => void = () => {};

  constructor(readonly durableImmediately: boolean) {}

  get<T = unknown>(key: string): T | undefined {
    return this.viewValues.get(key) as T | undefined;
  }

  put(key: string, value: unknown): void {
    this.version = Object.freeze({});
    this.viewValues.set(key, value);
    if (this.durableImmediately) this.durableValues.set(key, value);
    else this.pending.push({ op: 0, key, value });
  }

  putDurable(key: string, value: unknown): void {
    this.version = Object.freeze({});
    this.viewValues.set(key, value);
    this.durableValues.set(key, value);
  }

  log<T = unknown>(name: string): readonly T[] {
    return (this.viewLogs.get(name) ?? EMPTY) as readonly T[];
  }

  private viewLog(name: string): unknown[] {
    let log = this.viewLogs.get(name);
    if (log === undefined) {
      log = [];
      this.viewLogs.set(name, log);
    }
    return log;
  }

  private durableLog(name: string): unknown[] {
    let log = this.durableLogs.get(name);
    if (log === undefined) {
      log = [];
      this.durableLogs.set(name, log);
    }
    return log;
  }

  append(name: string, entry: unknown): void {
    this.version = Object.freeze({});
    this.viewLog(name).push(entry);
    if (this.durableImmediately) this.durableLog(name).push(entry);
    else this.pending.push({ op: 1, key: name, value: entry });
  }

  truncate(name: string, length: number): void {
    this.version = Object.freeze({});
    const log = this.viewLog(name);
    if (length < log.length) log.length = length;
    if (this.durableImmediately) {
      const durable = this.durableLog(name);
      if (length < durable.length) durable.length = length;
    } else {
      this.pending.push({ op: 2, key: name, length });
    }
  }

  durableLength(name: string): number {
    return this.durableLogs.get(name)?.length ?? 0;
  }

  /** Durable value of a key (for the viewer and tests; protocols use get()). */
  durableValue(key: string): unknown {
    return this.durableValues.get(key);
  }

  durableLogEntries(name: string): readonly unknown[] {
    return this.durableLogs.get(name) ?? EMPTY;
  }

  sync(): number {
    this.version = Object.freeze({});
    const syncId = this.nextSyncId++;
    this.sealed.push({ syncId, ops: this.pending });
    this.pending = [];
    this.requestSync(syncId);
    return syncId;
  }

  /** The disk finished sync `syncId`: its batch (and any earlier one) is now durable. */
  completeSync(syncId: number): void {
    this.version = Object.freeze({});
    while (this.sealed.length > 0 && this.sealed[0].syncId <= syncId) {
      const batch = this.sealed.shift()!;
      for (const op of batch.ops) {
        if (op.op === 0) this.durableValues.set(op.key, op.value);
        else if (op.op === 1) this.durableLog(op.key).push(op.value);
        else {
          const log = this.durableLog(op.key);
          if (op.length < log.length) log.length = op.length;
        }
      }
    }
  }

  /** The process died: unsynced writes are lost, the view is rebuilt from the disk. */
  crash(): void {
    this.version = Object.freeze({});
    this.pending = [];
    this.sealed.length = 0;
    this.viewValues = new Map(this.durableValues);
    this.viewLogs = new Map();
    for (const [name, log] of this.durableLogs) this.viewLogs.set(name, log.slice());
  }

  /** Writes not yet durable (buffered or being synced). */
  get unsyncedCount(): number {
    let count = this.pending.length;
    for (const batch of this.sealed) count += batch.ops.length;
    return count;
  }
}

const EMPTY: readonly unknown[] = Object.freeze([]);
