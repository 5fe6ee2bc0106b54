/**
 * The event queue: a binary min-heap of pooled event records ordered by (timeUs, seq).
 *
 * `seq` is a per-queue counter assigned at scheduling time, so two events at the same
 * instant run in the order they were scheduled, and ties never depend on anything else.
 * Records are recycled through a free list: the hot path (one event per message, timer
 * or sync) allocates nothing once the pool is warm. Cancelling is lazy: a cancelled
 * record stays in the heap with kind CANCELLED and is skipped when it surfaces; the
 * queue counts them, and its owner calls compact() between events once they outnumber
 * the live ones (timers are re-set far more often than they fire: a Paxos follower
 * re-arms its election timer on every Accept, and four records in five in the heap
 * were dead ones, each making every push and pop deeper).
 */

export const CANCELLED = -1;

export class EventRecord {
  timeUs = 0;
  seq = 0;
  /** What to do; small integer codes owned by the dispatcher. CANCELLED = skip. */
  kind = 0;
  /** The node (or client) the event concerns, -1 if none. */
  node = -1;
  /** Incarnation of `node` when scheduled: stale events of a crashed process are ignored. */
  incarnation = 0;
  a = 0;
  b = 0;
  ref: unknown = undefined;
}

export class EventQueue {
  // Records are compared in place (an earlier version kept the keys in parallel typed
  // arrays; it measured no faster and is harder to read).
  private heap: EventRecord[] = [];
  private size = 0;
  private free: EventRecord[] = [];
  private nextSeq = 0;
  /** Sequence numbers of scheduleAhead(): below every schedule() number, increasing. */
  private nextAheadSeq = -Number.MAX_SAFE_INTEGER;
  /** Cancelled records still in the heap (a count kept for compaction, not for correctness). */
  private cancelledCount = 0;

  get length(): number {
    return this.size;
  }

  /** Total events ever scheduled (the next sequence number). */
  get scheduledCount(): number {
    return this.nextSeq;
  }

  schedule(timeUs: number, kind: number, node: number, ref: unknown, a = 0, b = 0): EventRecord {
    return this.insert(timeUs, this.nextSeq++, kind, node, ref, a, b);
  }

  /**
   * Schedules an event that runs before every event of the same instant scheduled with
   * schedule(), before or after it; events scheduled ahead keep their own order. For a
   * hand-over that nothing may overtake: what a paused node held arrived before
   * anything that arrives at the instant it resumes.
   */
  scheduleAhead(timeUs: number, kind: number, node: number, ref: unknown, a = 0, b = 0): EventRecord {
    return this.insert(timeUs, this.nextAheadSeq++, kind, node, ref, a, b);
  }

  private insert(timeUs: number, seq: number, kind: number, node: number, ref: unknown, a: number, b: number): EventRecord {
    const record = this.free.length > 0 ? (this.free.pop() as EventRecord) : new EventRecord();
    record.timeUs = timeUs;
    record.seq = seq;
    record.kind = kind;
    record.node = node;
    record.incarnation = 0;
    record.a = a;
    record.b = b;
    record.ref = ref;
    this.siftUp(record);
    return record;
  }

  /** The earliest event, or undefined. The caller hands it back with release() when done. */
  pop(): EventRecord | undefined {
    if (this.size === 0) return undefined;
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.size];
    heap[this.size] = undefined as unknown as EventRecord;
    if (this.size > 0) this.siftDown(last, 0);
    if (top.kind === CANCELLED && this.cancelledCount > 0) this.cancelledCount--;
    return top;
  }

  /**
   * Calls `visit` with every record in the heap, cancelled ones included, in no
   * particular order. For a scheduler that picks the next event itself (sim/explore);
   * do not schedule or pop while visiting.
   */
  forEach(visit: (record: EventRecord) => void): void {
    for (let i = 0; i < this.size; i++) visit(this.heap[i]);
  }

  /** The record at heap position `i` (0 ≤ i < length), cancelled or not: forEach without a closure. */
  recordAt(i: number): EventRecord {
    return this.heap[i];
  }

  /**
   * Whether compact() is worth it: more cancelled records than live ones (and enough to
   * pay for the rebuild). Compaction never changes what pops when: the order is the total
   * order of (timeUs, seq), whatever the heap's shape.
   */
  get wantsCompaction(): boolean {
    return this.cancelledCount > 64 && this.cancelledCount * 2 > this.size;
  }

  /**
   * Removes every cancelled record from the heap at once (back to the pool), keeping the
   * order of the rest: filtered in place, then heapified bottom-up (linear time). Call it
   * between events, when nobody holds a cancelled record (it may be reused).
   */
  compact(): void {
    const heap = this.heap;
    const size = this.size;
    let live = 0;
    for (let i = 0; i < size; i++) {
      const record = heap[i];
      if (record.kind === CANCELLED) this.release(record);
      else heap[live++] = record;
    }
    for (let i = live; i < size; i++) heap[i] = undefined as unknown as EventRecord;
    this.size = live;
    this.cancelledCount = 0;
    for (let i = (live >> 1) - 1; i >= 0; i--) this.siftDown(heap[i], i);
  }

  peekTimeUs(): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : this.heap[0].timeUs;
  }

  release(record: EventRecord): void {
    record.ref = undefined;
    this.free.push(record);
  }

  cancel(record: EventRecord): void {
    if (record.kind !== CANCELLED) this.cancelledCount++;
    record.kind = CANCELLED;
    record.ref = undefined;
  }

  private siftUp(record: EventRecord): void {
    const heap = this.heap;
    let index = this.size++;
    const timeUs = record.timeUs;
    const seq = record.seq;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent.timeUs < timeUs || (parent.timeUs === timeUs && parent.seq < seq)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = record;
  }

  /** Moves `record` down from `index` (a hole) to its place. */
  private siftDown(record: EventRecord, index: number): void {
    const heap = this.heap;
    const size = this.size;
    const timeUs = record.timeUs;
    const seq = record.seq;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      let childRecord = heap[child];
      const right = child + 1;
      if (right < size) {
        const rightRecord = heap[right];
        if (rightRecord.timeUs < childRecord.timeUs || (rightRecord.timeUs === childRecord.timeUs && rightRecord.seq < childRecord.seq)) {
          child = right;
          childRecord = rightRecord;
        }
      }
      if (timeUs < childRecord.timeUs || (timeUs === childRecord.timeUs && seq < childRecord.seq)) break;
      heap[index] = childRecord;
      index = child;
    }
    heap[index] = record;
  }
}
