import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CANCELLED, EventQueue } from '../../sim/core/queue.js';

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
});
