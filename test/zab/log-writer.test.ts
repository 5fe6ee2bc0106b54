/**
 * The log writer's group commit (sim/zab/log-writer.ts), as ZooKeeper's
 * SyncRequestProcessor does it: an entry is reported durable, and a barrier (the learner's
 * "log, fsync, then ACK NEWLEADER") fires, only once a sync issued after the write
 * completed. Checked against the plain rule over random interleavings of appends,
 * barriers and sync completions.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Storage } from '../../sim/core/node.js';
import { LogWriter } from '../../sim/zab/log-writer.js';
import type { LogEntry } from '../../sim/zab/index.js';

/** A disk whose syncs complete only when the test says so, in issue order. */
function rig() {
  let lastSyncId = 0;
  const issued: number[] = [];
  const durable: number[] = [];
  const storage = {
    append: () => {},
    truncate: () => {},
    sync: () => {
      issued.push(++lastSyncId);
      return lastSyncId;
    },
  } as unknown as Storage;
  const writer = new LogWriter(storage, { onDurable: (entry: LogEntry) => durable.push(entry.zxid) });
  const completeNext = (): boolean => {
    const syncId = issued.shift();
    if (syncId === undefined) return false;
    writer.onSync(syncId);
    return true;
  };
  return { writer, durable, completeNext };
}

const entry = (zxid: number): LogEntry => ({ zxid, txn: { type: 'check', path: '/' } });

describe('the log writer', () => {
  it('a barrier set while a sync is in flight waits for the next sync, which covers the writes made meanwhile', () => {
    const { writer, durable, completeNext } = rig();
    writer.append(entry(1), 0); // sync 1 starts, covering entry 1
    writer.append(entry(2), 0); // waits for the next sync
    const fired: number[][] = [];
    writer.barrier(() => fired.push([...durable]));
    completeNext(); // sync 1: entry 1 is durable, entry 2 is not
    expect(durable).toEqual([1]);
    expect(fired).toEqual([]);
    completeNext(); // sync 2
    expect(fired).toEqual([[1, 2]]);
  });

  it('reports entries durable in order and fires each barrier only after every write before it is durable', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('append', 'barrier', 'complete'), { maxLength: 60 }), (steps) => {
        const { writer, durable, completeNext } = rig();
        let appended = 0;
        const barriers: { needs: number; firedWith: number | null }[] = [];
        for (const step of steps) {
          if (step === 'append') writer.append(entry(++appended), 0);
          else if (step === 'complete') completeNext();
          else {
            const barrier = { needs: appended, firedWith: null as number | null };
            barriers.push(barrier);
            writer.barrier(() => (barrier.firedWith = durable.length));
          }
          for (const b of barriers) if (b.firedWith !== null) expect(b.firedWith).toBeGreaterThanOrEqual(b.needs);
        }
        for (let i = 0; i < 1_000 && completeNext(); i++);
        expect(durable).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
        for (const b of barriers) expect(b.firedWith).not.toBeNull();
        expect(writer.isFlushed).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
