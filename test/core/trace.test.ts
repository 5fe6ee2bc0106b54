import { describe, expect, it } from 'vitest';
import { readTrace, traceToJson, traceToNdjson, TraceFormatError } from '../../sim/core/trace.js';
import { faultyRingRun } from '../bench/ring.js';

describe('trace files', () => {
  it('round-trip through JSON and NDJSON with the same hash', () => {
    for (const seed of [1, 2, 3]) {
      const trace = faultyRingRun(seed, 'connection', true).trace.toTrace();
      expect(trace.events.length).toBeGreaterThan(100);
      for (const text of [traceToJson(trace), traceToNdjson(trace)]) {
        const read = readTrace(text);
        expect(read.hash).toBe(trace.hash);
        expect(read.storedHash).toBe(trace.hash);
        expect(read.events.length).toBe(trace.events.length);
      }
    }
  });

  it('rejects malformed and newer-version traces, naming where', () => {
    const trace = faultyRingRun(4, 'datagram', true).trace.toTrace();
    const good = JSON.parse(traceToJson(trace));
    const cases: [unknown, RegExp][] = [
      [{ ...good, meta: { ...good.meta, version: 99 } }, /meta\.version.*newer/],
      [{ ...good, meta: { ...good.meta, format: 'x' } }, /meta\.format/],
      [{ ...good, events: 'nope' }, /events: expected an array/],
      [{ ...good, events: [{ ...good.events[0], timeUs: 'soon' }] }, /events\[0\]\.timeUs/],
      [{ ...good, events: [good.events[1]] }, /events\[0\]\.seq/],
      [{ ...good, events: [{ ...good.events.find((e: { kind: string }) => e.kind === 'send'), seq: 0, msgId: undefined }] }, /events\[0\]\.msgId/],
    ];
    for (const [doc, pattern] of cases) {
      expect(() => readTrace(JSON.stringify(doc))).toThrow(TraceFormatError);
      expect(() => readTrace(JSON.stringify(doc))).toThrow(pattern);
    }
    const lines = traceToNdjson(trace).split('\n');
    lines[3] = '{"timeUs": 1, oops';
    expect(() => readTrace(lines.join('\n'))).toThrow(/line 4: invalid JSON/);
    expect(() => readTrace('')).toThrow(/empty/);
  });
});
