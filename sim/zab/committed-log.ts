/**
 * ZKDatabase.committedLog: the most recent committed proposals, kept in memory so the
 * leader can bring a learner up to date with a DIFF (PROPOSAL + COMMIT per missing txn)
 * instead of a full snapshot. Bounded by `committedLogSize`; a learner older than the
 * window gets a SNAP. Every server keeps one (it may become leader); it is rebuilt from
 * the log on restart and after a TRUNC, and emptied by a SNAP.
 */
import type { LogEntry } from './messages.js';

export class CommittedLog {
  private entries: LogEntry[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.length - this.start;
  }

  get isEmpty(): boolean {
    return this.entries.length === this.start;
  }

  /** Oldest zxid in the window (-1 when empty). */
  get minZxid(): number {
    return this.isEmpty ? -1 : this.entries[this.start].zxid;
  }

  /** Newest zxid in the window (-1 when empty). */
  get maxZxid(): number {
    return this.isEmpty ? -1 : this.entries[this.entries.length - 1].zxid;
  }

  add(entry: LogEntry): void {
    if (!this.isEmpty && entry.zxid <= this.maxZxid) throw new Error(`committedLog: ${entry.zxid} does not follow ${this.maxZxid}`);
    this.entries.push(entry);
    if (this.size > this.capacity) this.start++;
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
  }

  /** Rebuilds the window from the tail of `log[from, to)`. */
  reload(log: readonly LogEntry[], from: number, to: number): void {
    this.clear();
    for (let i = Math.max(from, to - this.capacity); i < to; i++) this.entries.push(log[i]);
  }

  at(index: number): LogEntry {
    return this.entries[this.start + index];
  }
}
