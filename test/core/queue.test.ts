import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CANCELLED, EventQueue, type EventRecord } from '../../sim/core/queue.js';

describe('event queue', () => {
  it('pops in (time, scheduling order), like a stable sort, with cancels skipped', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean(), fc.boolean()), { maxLength: 300 }), (ops) => {
        const queue = new EventQueue();
        const expected: { t: number; id: number }[] = [];
        const popped: number[] = [];
        let id = 0;
        let now = 0;
        for (const [dt, cancel, popNow] of ops) {
          const record = queue.schedule(now + dt, 1, -1, null, id);
          if (cancel) queue.cancel(record);
          else expected.push({ t: now + dt, id });
          id++;
          if (popNow) {
            const next = queue.pop();
            if (next) {
              now = next.timeUs;
              if (next.kind !== CANCELLED) popped.push(next.a);
              queue.release(next);
            }
          }
        }
        for (let next = queue.pop(); next; next = queue.pop()) {
          if (next.kind !== CANCELLED) popped.push(next.a);
          queue.release(next);
        }
        expect(popped.length).toBe(expected.length);
        const order = new Map(popped.map((value, index) => [value, index]));
        for (let i = 0; i < expected.length; i++) {
          for (let j = i + 1; j < expected.length; j++) {
            const a = expected[i];
            const b = expected[j];
            // b was scheduled after a; if it is not due earlier, a must come out first.
            if (b.t >= a.t && order.get(b.id)! < order.get(a.id)!) expect.fail(`event ${b.id} (t=${b.t}) popped before ${a.id} (t=${a.t})`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('runs events scheduled ahead before every ordinary event of their instant, in their own order', () => {
    const queue = new EventQueue();
    queue.schedule(10, 1, -1, null, 1);
    queue.schedule(5, 1, -1, null, 2);
    queue.scheduleAhead(10, 1, -1, null, 3);
    queue.schedule(10, 1, -1, null, 4);
    queue.scheduleAhead(10, 1, -1, null, 5);
    queue.scheduleAhead(20, 1, -1, null, 6);
    const popped: number[] = [];
    for (let next = queue.pop(); next; next = queue.pop()) {
      popped.push(next.a);
      queue.release(next);
    }
    expect(popped).toEqual([2, 3, 5, 1, 4, 6]);
  });

  it('compaction (as Cluster.run does it, between events) drops cancelled records and keeps the pop order', () => {
    let totalCompactions = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 3 })), { minLength: 200, maxLength: 600 }), (ops) => {
        // The same schedule twice: one queue compacted whenever it wants to be, one never.
        const plain = new EventQueue();
        const compacted = new EventQueue();
        /** Records not yet cancelled or popped, by id, in both queues. */
        const live = new Map<number, [EventRecord, EventRecord]>();
        const fromPlain: number[] = [];
        const fromCompacted: number[] = [];
        const popLive = (queue: EventQueue, out: number[]): void => {
          const next = queue.pop()!;
          if (next.kind !== CANCELLED) {
            out.push(next.a);
            live.delete(next.a);
          }
          queue.release(next);
        };
        let id = 0;
        let now = 0;
        for (const [dt, cancelPick, popPick] of ops) {
          live.set(id, [plain.schedule(now + dt, 1, -1, null, id), compacted.schedule(now + dt, 1, -1, null, id)]);
          id++;
          // Mostly cancels, as timers re-armed on every message make them.
          if (cancelPick < 8 && live.size > 1) {
            const victim = [...live.keys()][(cancelPick * 7919 + id) % live.size];
            const [a, b] = live.get(victim)!;
            live.delete(victim);
            plain.cancel(a);
            compacted.cancel(b);
          }
          if (compacted.wantsCompaction) {
            const before = compacted.length;
            compacted.compact();
            totalCompactions++;
            expect(compacted.length).toBeLessThan(before);
            expect(compacted.wantsCompaction).toBe(false);
          }
          if (popPick === 0 && plain.length > 0) {
            now = plain.peekTimeUs();
            popLive(plain, fromPlain);
            while (compacted.length > 0 && fromCompacted.length < fromPlain.length) popLive(compacted, fromCompacted);
          }
        }
        while (plain.length > 0) popLive(plain, fromPlain);
        while (compacted.length > 0) popLive(compacted, fromCompacted);
        expect(fromCompacted).toEqual(fromPlain);
      }),
      { numRuns: 100 },
    );
    expect(totalCompactions).toBeGreaterThan(100);
    // And it does compact: a heap of mostly cancelled records shrinks to its live ones.
    const queue = new EventQueue();
    const records = Array.from({ length: 300 }, (_, i) => queue.schedule(1000 - i, 1, -1, null, i));
    for (let i = 0; i < 300; i++) if (i % 10 !== 0) queue.cancel(records[i]);
    expect(queue.wantsCompaction).toBe(true);
    queue.compact();
    expect(queue.length).toBe(30);
    const popped: number[] = [];
    for (let next = queue.pop(); next; next = queue.pop()) popped.push(next.a);
    expect(popped).toEqual(Array.from({ length: 30 }, (_, i) => 290 - 10 * i));
  });
});
