/**
 * The witness check (sim/check/lin/witness.ts): completions that say where they took
 * effect (`effectAt`) are first tried in that order. A hint may decide "linearizable"
 * fast; it must never change a verdict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../sim/check/lin/checker.js';
import { renderHistory } from '../../../sim/check/lin/explain.js';
import type { HistoryEvent } from '../../../sim/check/lin/history.js';
import { parseJsonHistory } from '../../../sim/check/lin/json.js';
import type { AnyModel } from '../../../sim/check/lin/model.js';
import { casRegisterModel, mutexModel, registerModel, znodeModel } from '../../../sim/check/lin/models/index.js';
import { bruteForce, execute, historyArb, mutexOpArb, registerOpArb, znodeOpArb } from './helpers.js';

/** A cas-register execution: `processes` clients, each `perProcess` calls, all hinted. */
function casExecution(seed: number, processes: number, perProcess: number, infoRate = 0.05): HistoryEvent[] {
  let value: number | null = null;
  return execute<unknown>(
    seed,
    processes,
    perProcess,
    (random) => {
      const r = random();
      const v = Math.floor(random() * 3);
      return r < 0.4 ? { f: 'read', invoke: null } : r < 0.7 ? { f: 'write', invoke: v } : { f: 'cas', invoke: [v, (v + 1) % 3] };
    },
    (op) => {
      if (op.f === 'read') return { result: value };
      if (op.f === 'write') {
        value = op.invoke as number;
        return { result: value };
      }
      const [from, to] = op.invoke as [number, number];
      if (value !== from) return { result: null, fail: true };
      value = to;
      return { result: [from, to] };
    },
    infoRate,
    true,
  );
}

const withoutHints = (events: readonly HistoryEvent[]) => events.map(({ effectAt: _, ...e }) => e);

describe('the witness order', () => {
  it('decides a history of many concurrent clients in one pass: as many steps as ok operations', () => {
    const events = casExecution(7, 60, 6, 0);
    const oks = events.filter((e) => e.type === 'ok').length;
    const hinted = checkHistory(events, 'cas-register');
    expect(hinted.verdict).toBe('linearizable');
    expect(hinted.steps).toBe(oks);
    // The same history without hints needs the search (and far more steps).
    const searched = checkHistory(withoutHints(events), 'cas-register');
    expect(searched.verdict).toBe('linearizable');
    expect(searched.steps).toBeGreaterThan(hinted.steps);
  });

  it('an order the model accepts but real time forbids is not a witness', () => {
    // w1 completes before w2 is invoked, so w1 precedes w2; the read of 1 after both is
    // then impossible. Hints put w2 before w1, an order the register would accept.
    const events: HistoryEvent[] = [
      { type: 'invoke', process: 0, f: 'write', value: 1 },
      { type: 'ok', process: 0, f: 'write', value: 1, effectAt: 2 },
      { type: 'invoke', process: 1, f: 'write', value: 2 },
      { type: 'ok', process: 1, f: 'write', value: 2, effectAt: 1 },
      { type: 'invoke', process: 2, f: 'read', value: null },
      { type: 'ok', process: 2, f: 'read', value: 1, effectAt: 3 },
    ];
    expect(checkHistory(events, 'register').verdict).toBe('not-linearizable');
  });

  it('a wrong or partial hint only costs the pass: the search still decides', () => {
    const events = casExecution(11, 4, 8);
    // Reverse the hints: the witness fails, the history is still linearizable.
    const oks = events.filter((e) => e.effectAt !== undefined).length;
    const reversed = events.map((e) => (e.effectAt !== undefined ? { ...e, effectAt: oks - e.effectAt } : e));
    expect(checkHistory(reversed, 'cas-register').verdict).toBe('linearizable');
    // One completion without a hint: no witness for its part, the search decides.
    const k = events.findIndex((e) => e.effectAt !== undefined);
    const partial = events.map((e, i) => (i === k ? withoutHints([e])[0] : e));
    expect(checkHistory(partial, 'cas-register').verdict).toBe('linearizable');
  });

  it('an operation of unknown outcome without a hint is placed where a later answer needs it', () => {
    // p1's write of 2 is info; the read of 2 proves it took effect: the witness places it
    // just before the read.
    const events: HistoryEvent[] = [
      { type: 'invoke', process: 0, f: 'write', value: 1 },
      { type: 'ok', process: 0, f: 'write', value: 1, effectAt: 1 },
      { type: 'invoke', process: 1, f: 'write', value: 2 },
      { type: 'info', process: 1, f: 'write', value: 2 },
      { type: 'invoke', process: 2, f: 'read', value: null },
      { type: 'ok', process: 2, f: 'read', value: 2, effectAt: 3 },
    ];
    expect(checkHistory(events, 'register')).toMatchObject({ verdict: 'linearizable', steps: 4 });
    // Many clients, some of whose calls took effect unheard of: still one pass.
    const many = casExecution(7, 60, 6, 0.05);
    const oks = many.filter((e) => e.type === 'ok').length;
    const hinted = checkHistory(many, 'cas-register');
    expect(hinted.verdict).toBe('linearizable');
    expect(hinted.steps).toBeLessThan(3 * oks);
    expect(checkHistory(withoutHints(many), 'cas-register').steps).toBeGreaterThan(hinted.steps);
  });

  it('an operation placed before another moves that one no earlier than its own call', () => {
    // The read of 2 needs the info write of 2, called at event 3; so the read takes effect
    // at 3 or later, after the write of 3 completed (event 2). The read of 3 that follows
    // is then impossible, though the hints' order (read 2, write 3, read 3) looks fine.
    const events: HistoryEvent[] = [
      { type: 'invoke', process: 0, f: 'read', value: null },
      { type: 'invoke', process: 1, f: 'write', value: 3 },
      { type: 'ok', process: 1, f: 'write', value: 3, effectAt: 2 },
      { type: 'invoke', process: 2, f: 'write', value: 2 },
      { type: 'info', process: 2, f: 'write', value: 2 },
      { type: 'ok', process: 0, f: 'read', value: 2, effectAt: 1 },
      { type: 'invoke', process: 3, f: 'read', value: null },
      { type: 'ok', process: 3, f: 'read', value: 3, effectAt: 3 },
    ];
    expect(checkHistory(events, 'register').verdict).toBe('not-linearizable');
  });

  it('an operation of unknown outcome whose hinted place the model refuses never took effect', () => {
    // The info cas [5 6] is hinted between the write of 1 and the read of 1: refused
    // there, it is left out, and the witness holds (three steps: no search).
    const events: HistoryEvent[] = [
      { type: 'invoke', process: 0, f: 'write', value: 1 },
      { type: 'ok', process: 0, f: 'write', value: 1, effectAt: 1 },
      { type: 'invoke', process: 1, f: 'cas', value: [5, 6] },
      { type: 'info', process: 1, f: 'cas', value: [5, 6], effectAt: 2 },
      { type: 'invoke', process: 2, f: 'read', value: null },
      { type: 'ok', process: 2, f: 'read', value: 1, effectAt: 3 },
    ];
    expect(checkHistory(events, 'cas-register')).toMatchObject({ verdict: 'linearizable', steps: 3 });
  });

  it('an operation of unknown outcome hinted at an answered write\'s place is not placed there: that txn is the answered one\'s', () => {
    // A put's sequential create lost its answer; its retry (same data, so the run hints
    // the lost one at the retry's commit) made /q/i-0000000000 at 5. Placed first at 5,
    // the lost create would take that name and the retry's answer would look wrong.
    const events: HistoryEvent[] = [
      { type: 'invoke', process: 0, f: 'create', value: { path: '/q/i-', data: 'd', sequential: true } },
      { type: 'info', process: 0, f: 'create', value: 'timeout', effectAt: 5 },
      { type: 'invoke', process: 1, f: 'create', value: { path: '/q/i-', data: 'd', sequential: true } },
      { type: 'ok', process: 1, f: 'create', value: '/q/i-0000000000', effectAt: 5 },
      { type: 'invoke', process: 2, f: 'create', value: { path: '/q/i-', data: 'e', sequential: true } },
      { type: 'ok', process: 2, f: 'create', value: '/q/i-0000000001', effectAt: 6 },
    ];
    // One pass of the witness: two steps, no search.
    expect(checkHistory(events, znodeModel({ initial: { '/q': null } }))).toMatchObject({ verdict: 'linearizable', steps: 2 });
    // Still sound: a listing that needs the lost create to have taken effect (three
    // children) is linearizable too; one that names a child nobody made is not.
    const listing = (names: string[]): HistoryEvent[] => [
      ...events,
      { type: 'invoke', process: 3, f: 'getChildren', value: { path: '/q' } },
      { type: 'ok', process: 3, f: 'getChildren', value: names, effectAt: 7 },
    ];
    expect(checkHistory(listing(['i-0000000000', 'i-0000000001', 'i-0000000002']), znodeModel({ initial: { '/q': null } })).verdict).toBe('linearizable');
    expect(checkHistory(listing(['i-0000000000', 'i-0000000001', 'i-0000000003']), znodeModel({ initial: { '/q': null } })).verdict).toBe('not-linearizable');
  });

  it('JSON histories carry effectAt; a hint that is not a number is refused with its line', () => {
    const good = parseJsonHistory('[{"type":"invoke","process":0,"f":"write","value":1},\n{"type":"ok","process":0,"f":"write","value":1,"effectAt":5}]');
    expect(good.events[1].effectAt).toBe(5);
    expect(() => parseJsonHistory('[{"type":"invoke","process":0,"f":"write","value":1},\n{"type":"ok","process":0,"f":"write","value":1,"effectAt":"5"}]')).toThrow(
      /line 2.*effectAt|effectAt.*finite number/,
    );
  });
});

describe('hints never change a verdict (brute force)', () => {
  const agreesHinted = (model: AnyModel, events: HistoryEvent[]) => {
    const expected = bruteForce(events, model) ? 'linearizable' : 'not-linearizable';
    expect(checkHistory(events, model).verdict, renderHistory(events)).toBe(expected);
  };
  // Random hints on random histories: sometimes a valid order, mostly not.
  const hinted = (arb: fc.Arbitrary<HistoryEvent[]>) =>
    arb.chain((events) =>
      fc
        .array(fc.integer({ min: -1, max: 6 }), { minLength: events.length, maxLength: events.length })
        .map((keys) => events.map((e, i) => (e.type === 'ok' || (e.type === 'info' && keys[i] >= 0) ? { ...e, effectAt: keys[i] } : e))),
    );
  const cases: [string, AnyModel, fc.Arbitrary<HistoryEvent[]>][] = [
    ['cas-register', casRegisterModel(), hinted(historyArb(registerOpArb(true)))],
    ['register', registerModel(), hinted(historyArb(registerOpArb(false)))],
    ['mutex', mutexModel(), hinted(historyArb(mutexOpArb))],
    ['znode', znodeModel(), hinted(historyArb(znodeOpArb, { maxOps: 6 }))],
  ];
  for (const [name, model, arb] of cases) {
    it(`random hints, ${name}`, () => {
      fc.assert(
        fc.property(arb, (events) => agreesHinted(model, events)),
        { numRuns: 300, seed: 4243 },
      );
    });
  }

  it('true hints on executions, then one corrupted result (cas-register)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(), fc.integer({ min: 0, max: 3 }), (seed, pick, value) => {
        const events = casExecution(seed, 3, 2, 0.2);
        agreesHinted(casRegisterModel(), events);
        const reads = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'ok' && e.f === 'read');
        if (reads.length === 0) return;
        const { i } = reads[pick % reads.length];
        agreesHinted(
          casRegisterModel(),
          events.map((e, k) => (k === i ? { ...e, value } : e)),
        );
      }),
      { numRuns: 400, seed: 17 },
    );
  });
});
