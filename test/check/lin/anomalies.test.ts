/**
 * Known anomalies are caught, each with a correct explanation: stale read, lost
 * update, two successful compare-and-sets from the same old value, a read of a value
 * never written, a read of a value written only later, two holders of a mutex.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory, type LinResult } from '../../../sim/check/lin/checker.js';
import type { Explanation } from '../../../sim/check/lin/explain.js';
import { h } from './helpers.js';

function violation(result: LinResult): Explanation {
  expect(result.verdict).toBe('not-linearizable');
  const e = result.explanation;
  if (!e) throw new Error('no explanation');
  return e;
}

describe('anomalies', () => {
  it('stale read: a read returns a value overwritten before it began', () => {
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'write', 1],
          ['ok', 0, 'write', 1],
          ['invoke', 1, 'write', 2],
          ['ok', 1, 'write', 2],
          ['invoke', 2, 'read', null],
          ['ok', 2, 'read', 1],
        ),
        'register',
      ),
    );
    expect(e.stuckOpText).toBe('p2 read 1');
    expect(e.statesBeforeText).toEqual(['2']);
    expect(e.reasons).toEqual(["can't read 1 from register 2"]);
    expect(e.longest[0].steps.map((s) => s.stateText)).toEqual(['1', '2']);
    expect(e.longest[0].candidates).toEqual([
      expect.objectContaining({ text: 'p2 read 1', accepted: false, reason: "can't read 1 from register 2" }),
    ]);
    expect(e.text).toContain("can't read 1 from register 2");
  });

  it('lost update: a compare-and-set based on a value an acknowledged write had replaced', () => {
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'write', 0],
          ['ok', 0, 'write', 0],
          ['invoke', 0, 'write', 1],
          ['ok', 0, 'write', 1],
          // p1 read 0 earlier and now swaps 0 for 2: p0's acknowledged write would be lost.
          ['invoke', 1, 'cas', [0, 2]],
          ['ok', 1, 'cas', [0, 2]],
          ['invoke', 2, 'read', null],
          ['ok', 2, 'read', 2],
        ),
        'cas-register',
      ),
    );
    expect(e.stuckOpText).toBe('p1 cas 0→2');
    expect(e.reasons).toEqual(["can't CAS register 1 from 0 to 2"]);
  });

  it('two successful compare-and-sets from the same old value: both orders fail', () => {
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'write', 0],
          ['ok', 0, 'write', 0],
          ['invoke', 1, 'cas', [0, 1]],
          ['invoke', 2, 'cas', [0, 2]],
          ['ok', 1, 'cas', [0, 1]],
          ['ok', 2, 'cas', [0, 2]],
        ),
        'cas-register',
      ),
    );
    expect(e.stuckOpText).toBe('p2 cas 0→2');
    expect(e.reasons).toEqual(["can't CAS register 1 from 0 to 2"]);
    // The other order is shown failing too.
    const reasons = e.alternatives.flatMap((p) => p.candidates.map((c) => c.reason));
    expect(reasons).toContain("can't CAS register 2 from 0 to 1");
    expect(e.text).toMatch(/Other orders fail earlier/);
  });

  it('a read of a value never written', () => {
    const e = violation(
      checkHistory(
        h(['invoke', 0, 'write', 1], ['invoke', 1, 'read', null], ['ok', 0, 'write', 1], ['ok', 1, 'read', 7]),
        'cas-register',
      ),
    );
    expect(e.stuckOpText).toBe('p1 read 7');
    // After the write (the furthest order gets) or before it (an alternative).
    expect(e.reasons).toEqual(["can't read 7 from register 1"]);
    const alternatives = e.alternatives.flatMap((p) => p.candidates.map((c) => c.reason));
    expect(alternatives).toContain("can't read 7 from register null");
  });

  it('a read of a value written only later', () => {
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'write', 0],
          ['ok', 0, 'write', 0],
          ['invoke', 1, 'read', null],
          ['ok', 1, 'read', 5],
          ['invoke', 2, 'write', 5],
          ['ok', 2, 'write', 5],
        ),
        'register',
      ),
    );
    expect(e.stuckOpText).toBe('p1 read 5');
    expect(e.reasons).toEqual(["can't read 5 from register 0"]);
    const stuck = e.ops.find((op) => op.id === e.stuckOpId);
    const write = e.ops.find((op) => op.text === 'p2 write 5');
    // The drawing data shows why: the read completed before the write was invoked.
    expect(stuck && write && stuck.returnIndex < write.callIndex).toBe(true);
  });

  it('two holders of a mutex', () => {
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'acquire', null],
          ['ok', 0, 'acquire', null],
          ['invoke', 1, 'acquire', null],
          ['ok', 1, 'acquire', null],
          ['invoke', 0, 'release', null],
          ['ok', 0, 'release', null],
        ),
        'mutex',
      ),
    );
    expect(e.stuckOpText).toBe('p1 acquire');
    expect(e.statesBeforeText).toEqual(['held by p0']);
    expect(e.reasons).toEqual(["p1 can't acquire: held by p0"]);
  });

  it('a mutex released by a process that does not hold it', () => {
    // p0 holds the lock; p1's release cannot be ordered anywhere: before p0's acquire the
    // lock is free, after it p0 holds it (the model tracks the holder, unlike Knossos's).
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'acquire', null],
          ['ok', 0, 'acquire', null],
          ['invoke', 1, 'release', null],
          ['ok', 1, 'release', null],
        ),
        'mutex',
      ),
    );
    expect(e.stuckOpText).toBe('p1 release');
    expect(e.reasons).toEqual(["p1 can't release: held by p0"]);
  });

  it('an indeterminate write may explain a read, even after its info', () => {
    const events = h(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'write', 2],
      ['info', 1, 'write', 2],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 1],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 2],
    );
    expect(checkHistory(events, 'register').verdict).toBe('linearizable');
    // …but only once.
    const again = [...events, ...h(['invoke', 2, 'write', 3], ['ok', 2, 'write', 3], ['invoke', 2, 'read', null], ['ok', 2, 'read', 2])];
    expect(checkHistory(again, 'register').verdict).toBe('not-linearizable');
  });

  it('fail operations are dropped; reads of nil match anything', () => {
    const events = h(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'cas', [5, 6]],
      ['fail', 1, 'cas', [5, 6]],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', null],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', 1],
    );
    const result = checkHistory(events, 'cas-register');
    expect(result.verdict).toBe('linearizable');
    expect(result.ops).toBe(3);
  });
});

describe('explanation data for drawing', () => {
  it('has lanes, intervals, the stuck operation and increasing linearization points inside intervals', () => {
    const e = violation(
      checkHistory(
        h(
          ['invoke', 0, 'write', 1],
          ['invoke', 1, 'write', 2],
          ['ok', 0, 'write', 1],
          ['invoke', 0, 'read', null],
          ['ok', 1, 'write', 2],
          ['ok', 0, 'read', 2],
          ['invoke', 2, 'read', null],
          ['ok', 2, 'read', 1],
        ),
        'register',
      ),
    );
    expect(e.processes).toEqual([0, 1, 2]);
    expect(e.ops.every((op) => op.lane === e.processes.indexOf(op.process))).toBe(true);
    expect(e.stuckOpText).toBe('p2 read 1');
    for (const p of e.longest) {
      let last = -Infinity;
      for (const s of p.steps) {
        const op = e.ops.find((o) => o.id === s.opId);
        if (!op) throw new Error('step without op');
        expect(s.point).toBeGreaterThan(op.callIndex);
        expect(s.point).toBeLessThan(op.returnIndex);
        expect(s.point).toBeGreaterThan(last);
        last = s.point;
      }
    }
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    expect(e.text).toMatch(/\* p2 read 1\s+\[-+\]/);
  });
});
