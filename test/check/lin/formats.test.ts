/**
 * Inputs: the EDN reader and Jepsen histories (Knossos conventions), the JSON form,
 * and malformed histories reported with their line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../sim/check/lin/checker.js';
import { parseEdnHistory, readEdn, readEdnForms } from '../../../sim/check/lin/edn.js';
import { HistoryError, pairHistory, type HistoryEvent } from '../../../sim/check/lin/history.js';
import { parseJsonHistory } from '../../../sim/check/lin/json.js';
import { h } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/histories/${name}`, import.meta.url), 'utf8');

function errorOf(f: () => unknown): HistoryError {
  try {
    f();
  } catch (e) {
    if (e instanceof HistoryError) return e;
    throw e;
  }
  throw new Error('expected a HistoryError');
}

describe('EDN reader', () => {
  it('reads the EDN that Jepsen writes', () => {
    expect(
      readEdn(`{:a 1, :b -2.5e3, :c "x\\ty", :d nil, :e [true false], :f #{1 2}, :g (1 :k/w), "s" \\c,
                :h #inst "2024-01-01T00:00:00Z", :i 3N, :j 1.5M, :k 1/4, :l #_ ignored 7, :m ##Inf}`),
    ).toEqual({
      a: 1,
      b: -2500,
      c: 'x\ty',
      d: null,
      e: [true, false],
      f: [1, 2],
      g: [1, 'k/w'],
      s: 'c',
      h: '2024-01-01T00:00:00Z',
      i: 3,
      j: 1.5,
      k: 0.25,
      l: 7,
      m: Infinity,
    });
  });

  it('reads a set without its order: #{2 1} equals #{1 2}', () => {
    expect(readEdn('#{2 1 :b "a" :a}')).toEqual(readEdn('#{"a" :a 1 :b 2}'));
    const history = (read: string) => parseEdnHistory(`{:type :invoke, :f :write, :value #{1 2}, :process 0}\n{:type :ok, :f :write, :value #{1 2}, :process 0}\n{:type :invoke, :f :read, :value nil, :process 1}\n{:type :ok, :f :read, :value ${read}, :process 1}\n`);
    expect(checkHistory(history('#{2 1}').events, 'register').verdict).toBe('linearizable');
    expect(checkHistory(history('#{2 3}').events, 'register').verdict).toBe('not-linearizable');
  });

  it('keeps the line of each top-level form and skips comments', () => {
    const forms = readEdnForms('; comment\n{:a 1}\n\n  [2 ; inner\n 3]\n');
    expect(forms).toEqual([
      { value: { a: 1 }, line: 2 },
      { value: [2, 3], line: 4 },
    ]);
  });

  it('reports bad EDN with the line', () => {
    expect(errorOf(() => readEdnForms('{:a 1}\n{:b 2\n')).line).toBe(2);
    expect(errorOf(() => readEdnForms('{:a 1}\n{:b 2}\n]')).message).toMatch(/unexpected \]/);
    expect(errorOf(() => readEdnForms('\n\n{:a "oops}')).line).toBe(3);
    expect(errorOf(() => readEdnForms('{:a 1 :b}')).message).toMatch(/key without a value/);
  });
});

describe('Jepsen EDN histories', () => {
  it('reads a real-looking history: nemesis ignored, extra keys ignored, keywords as strings', () => {
    const { events, lines } = parseEdnHistory(fixture('cas-register-jepsen.edn'));
    expect(events.some((e) => e.process === 'nemesis')).toBe(false);
    expect(events[0]).toEqual({ type: 'invoke', process: 0, f: 'read', value: null });
    expect(events.find((e) => e.f === 'cas')).toEqual({ type: 'invoke', process: 0, f: 'cas', value: [3, 1] });
    expect(lines[0]).toBe(4);
    const result = checkHistory(events, 'cas-register', { lines });
    expect(result.verdict).toBe('linearizable');
    // 7 invocations; the failed cas is dropped.
    expect(result.ops).toBe(6);
  });

  it('reads the vector form with tagged operations, and finds the stale read', () => {
    const { events, lines } = parseEdnHistory(fixture('cas-register-stale-read.edn'));
    expect(events).toHaveLength(6);
    expect(lines).toEqual([3, 4, 5, 6, 7, 8]);
    const result = checkHistory(events, 'cas-register', { lines });
    expect(result.verdict).toBe('not-linearizable');
    expect(result.explanation?.stuckOpText).toBe('p2 read 1');
    expect(result.explanation?.text).toContain('p2 read 1 (operation 2, line 7) cannot be linearized');
  });

  it('follows Knossos: an invocation that never completes is indeterminate', () => {
    const { events } = parseEdnHistory(
      '{:type :invoke :f :write :value 1 :process 0}\n{:type :invoke :f :read :value nil :process 1}\n{:type :ok :f :read :value 1 :process 1}',
    );
    expect(events.at(-1)).toEqual({ type: 'info', process: 0, f: 'write', value: null });
    expect(checkHistory(events, 'register').verdict).toBe('linearizable');
  });

  it('JSON follows Knossos too: an invocation that never completes is indeterminate', () => {
    const text = ['{"type":"invoke","process":0,"f":"write","value":1}', '{"type":"invoke","process":1,"f":"read","value":null}', '{"type":"ok","process":1,"f":"read","value":1}'].join('\n');
    const { events, lines } = parseJsonHistory(text);
    expect(events.at(-1)).toEqual({ type: 'info', process: 0, f: 'write', value: null });
    expect(lines.at(-1)).toBe(1);
    expect(checkHistory(events, 'register').verdict).toBe('linearizable');
  });

  it('reports a bad operation with its line', () => {
    const e = errorOf(() => parseEdnHistory('{:type :invoke :f :read :process 0}\n{:type :done :f :read :process 0}'));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/unknown op type :done/);
    expect(errorOf(() => parseEdnHistory('[{:type :invoke :f :read :process 0}\n 42]')).line).toBe(2);
    expect(errorOf(() => parseEdnHistory(fixture('bad-syntax.edn'))).line).toBe(2);
  });
});

describe('JSON histories', () => {
  const events: HistoryEvent[] = h(['invoke', 0, 'write', 1], ['ok', 0, 'write', 1]);
  it('accepts an array, {"history": […]} and NDJSON', () => {
    expect(parseJsonHistory(JSON.stringify(events)).events).toEqual(events);
    expect(parseJsonHistory(JSON.stringify({ meta: { seed: 1 }, history: events })).events).toEqual(events);
    expect(parseJsonHistory(events.map((e) => JSON.stringify(e)).join('\n')).events).toEqual(events);
  });

  it('keeps lines, for the array form and the object form', () => {
    expect(parseJsonHistory(fixture('register.json')).lines.slice(0, 3)).toEqual([2, 3, 4]);
    expect(parseJsonHistory(fixture('mutex-two-holders.json')).lines[0]).toBe(4);
    expect(parseJsonHistory(fixture('znode-lock.json')).lines[5]).toBe(6);
  });

  it('reports bad JSON with the line', () => {
    const e = errorOf(() => parseJsonHistory('[\n{"type": "invoke"},\n{"type": }\n]'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/unexpected "}"/);
    expect(errorOf(() => parseJsonHistory('{"type":"invoke","process":0,"f":"read","value":null}\n{"type": "ok"')).line).toBe(2);
  });
});

describe('malformed histories', () => {
  const pair = (events: HistoryEvent[], lines?: number[]) => errorOf(() => pairHistory(events, lines ? { lines } : {}));

  it('a completion without an invocation (unbalanced)', () => {
    const { events, lines } = parseEdnHistory(fixture('bad-unbalanced.edn'));
    const e = errorOf(() => checkHistory(events, 'register', { lines }));
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/ok completion of read for process 1 without a pending invocation/);
  });

  it('a process invoking twice', () => {
    const { events, lines } = parseJsonHistory(fixture('bad-double-invoke.json'));
    const e = pair(events, lines);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/process 0 invokes read while its write \(line 2\) is still pending/);
  });

  it('an unknown op type', () => {
    const e = pair([{ type: 'done' as never, process: 0, f: 'read', value: null }]);
    expect(e.message).toMatch(/unknown op type "done" \(event #0\)/);
  });

  it('an invocation after an info, an invocation that never completes, mismatched f', () => {
    expect(pair(h(['invoke', 0, 'write', 1], ['info', 0, 'write', 1], ['invoke', 0, 'read', null])).message).toMatch(
      /after its info completion/,
    );
    expect(pair(h(['invoke', 0, 'write', 1])).message).toMatch(/never completes/);
    expect(pair(h(['invoke', 0, 'write', 1], ['ok', 0, 'read', 1])).message).toMatch(/does not match its pending write/);
  });

  it('operations the model does not know, with the line', () => {
    const { events, lines } = parseEdnHistory('{:type :invoke :f :cas :value [1 2] :process 0}\n{:type :ok :f :cas :value [1 2] :process 0}');
    const e = errorOf(() => checkHistory(events, 'register', { lines }));
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/unknown register operation f="cas"/);
    expect(errorOf(() => checkHistory(h(['invoke', 0, 'cas', 3], ['ok', 0, 'cas', 3]), 'cas-register')).message).toMatch(
      /cas value must be a pair/,
    );
  });

  it('time going backwards; at one instant invocations come first (closed intervals)', () => {
    const timed = (t: number, e: HistoryEvent): HistoryEvent => ({ ...e, timeUs: t });
    const [i0, o0, i1, o1] = h(['invoke', 0, 'write', 1], ['ok', 0, 'write', 1], ['invoke', 1, 'read', null], ['ok', 1, 'read', null]);
    expect(pair([timed(5, i0), timed(3, o0)]).message).toMatch(/time goes backwards/);
    // p1's read is invoked at the instant p0's write completes: they overlap.
    const { ops } = pairHistory([timed(0, i0), timed(10, o0), timed(10, i1), timed(20, o1)]);
    expect(ops[0].returnIndex).toBeGreaterThan(ops[1].callIndex);
  });
});
