import { describe, expect, it } from 'vitest';
import { readTrace, traceToJson, traceToNdjson, TraceFormatError, TraceHasher, TraceRecorder, TRACE_FORMAT, TRACE_VERSION, MESSAGE_SEND, MESSAGE_DELIVER, MESSAGE_DROP, MESSAGE_DUPLICATE } from '../../sim/core/trace.js';
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

  it('hashes a record from its fields as it hashes the event read back from a file', () => {
    // The recorder hashes protocol records without building the event when nobody keeps
    // or watches it; a file is hashed event by event. Both must agree, field for field.
    const meta = { format: TRACE_FORMAT, version: TRACE_VERSION, seed: 1, protocol: 'zab', servers: 3 } as const;
    const records: [number, string, Record<string, unknown> | undefined][] = [
      [0, 'state', { role: 'LEADING', epoch: 2, leader: null, skipped: undefined }],
      [1, 'commit', { index: 2 ** 32 + 7, label: '0x100000007', txn: { op: 'setData', path: '/a', data: 'é', version: -1, nested: [1, 'two', undefined, { x: 0.5 }] }, replay: true }],
      [2, 'crash', undefined],
      [-1, 'partition', { groups: [[0], [1, 2]], cuts: [[0, 1]], shape: undefined }],
      [1, 'odd', { big: -(2 ** 40), huge: 1e300, flag: false, tiny: -0.25 }],
    ];
    // The recorder takes each record over: every recorder gets copies.
    const copy = (data: Record<string, unknown> | undefined) => (data === undefined ? undefined : structuredClone(data));
    const record = (recorder: TraceRecorder) => records.forEach(([node, kind, data], i) => recorder.add(i * 10, node, kind, copy(data)));
    const kept = new TraceRecorder({ ...meta }, true);
    const unkept = new TraceRecorder({ ...meta }, false);
    record(kept);
    record(unkept);
    expect(unkept.hash()).toBe(kept.hash());
    expect(readTrace(traceToNdjson(kept.toTrace())).hash).toBe(kept.hash());
    const other = new TraceRecorder({ ...meta }, false);
    records.forEach(([node, kind, data], i) => other.add(i * 10, node, kind, i === 1 ? { ...copy(data), label: '0x100000008' } : copy(data)));
    expect(other.hash()).not.toBe(kept.hash());
    // A record may not set the event's own fields: refused, loudly.
    for (const head of ['kind', 'node', 'seq', 'timeUs']) expect(() => other.add(99, 0, 'odd', { [head]: 1 })).toThrow(`may not set the event's own field "${head}"`);
  });

  it('hashes records of one kind with changing fields as the events read back (the per-kind name cache never answers for the wrong field)', () => {
    // The recorder remembers the field names of a kind's last record; records of one kind
    // that name other fields, fewer, more or in another order must hash as their events do.
    const meta = { format: TRACE_FORMAT, version: TRACE_VERSION, seed: 1, protocol: 'zab', servers: 3 } as const;
    const shapes: Record<string, unknown>[] = [
      { role: 'LEADING', epoch: 1 },
      { epoch: 1, role: 'LEADING' },
      { role: 'LEADING' },
      { role: 'LEADING', epoch: 1, leader: 2 },
      { role: undefined, epoch: 1 },
      { rolf: 'LEADING', epoch: 1 },
      { role: 'LEADING', epoch: 1 },
    ];
    const kept = new TraceRecorder({ ...meta }, true);
    const unkept = new TraceRecorder({ ...meta }, false);
    shapes.forEach((data, i) => {
      kept.add(i, 0, 'state', structuredClone(data));
      unkept.add(i, 0, 'state', structuredClone(data));
    });
    expect(unkept.hash()).toBe(kept.hash());
    expect(readTrace(traceToNdjson(kept.toTrace())).hash).toBe(kept.hash());
    // Each record counts: two shapes swapped give another hash.
    const swapped = new TraceRecorder({ ...meta }, false);
    [shapes[0], shapes[5], ...shapes.slice(2, 5), shapes[1], shapes[6]].forEach((data, i) => swapped.add(i, 0, 'state', structuredClone(data)));
    expect(swapped.hash()).not.toBe(kept.hash());
    expect(unkept.countsByKind.get('state')).toBe(shapes.length);
  });

  it('gives record listeners the record without an event object, and each listener its place when events are built', () => {
    const meta = { format: TRACE_FORMAT, version: TRACE_VERSION, seed: 1, protocol: 'paxos', servers: 3 } as const;
    const seen: string[] = [];
    const record = (timeUs: number, seq: number, node: number, kind: string, fields: Readonly<Record<string, unknown>>) =>
      seen.push(`record ${timeUs} ${seq} ${node} ${kind} ${JSON.stringify(fields)}`);
    // Only a record listener, nothing kept: the record's own fields, untouched (no head added).
    const bare = new TraceRecorder(meta, false);
    bare.listenRecords(record);
    const fields = { slot: 3, ballot: 7 };
    bare.add(5, 1, 'accepted', fields);
    bare.add(6, 2, 'crash');
    expect(seen).toEqual(['record 5 0 1 accepted {"slot":3,"ballot":7}', 'record 6 1 2 crash {}']);
    expect(Object.keys(fields)).toEqual(['slot', 'ballot']);
    // With an event listener too, both see every record, in the order they listened.
    seen.length = 0;
    const mixed = new TraceRecorder(meta, false);
    mixed.listen((event) => seen.push(`event ${event.seq} ${event.kind}`));
    mixed.listenRecords(record);
    mixed.add(8, 0, 'promise', { ballot: 4 });
    expect(seen).toEqual(['event 0 promise', 'record 8 0 0 promise {"ballot":4,"timeUs":8,"seq":0,"node":0,"kind":"promise"}']);
    // Kept events: the record listener sees the kept event, and the hash is the same either way.
    const kept = new TraceRecorder(meta, true);
    kept.listenRecords(() => {});
    kept.add(5, 1, 'accepted', { slot: 3, ballot: 7 });
    kept.add(6, 2, 'crash');
    expect(kept.hash()).toBe(bare.hash());
  });

  it('keeps message events as columns and reads them back exactly: fractional and huge times, payloads, connections, drops and duplicates', () => {
    // The columns hold ids in 32-bit words and the time in a float of its own: a time a
    // fault script made fractional, or one past 2^32 µs, must read back as it was recorded.
    const recorder = new TraceRecorder({ format: TRACE_FORMAT, version: TRACE_VERSION, seed: 1, protocol: 'zab', servers: 3 }, true);
    const times = [0, 12.5, 2 ** 31 + 5, 2 ** 40 + 1];
    const expected: Record<string, unknown>[] = [];
    // More than one chunk (2^14 events), so the chunk arithmetic is read back too.
    for (let i = 0; i < 20_000; i++) {
      const timeUs = times[i % times.length] + i;
      const [node, peer, msgId] = [i % 3, (i + 1) % 3, 3 * i + 1];
      const seq = i;
      switch (i % 4) {
        case 0: {
          const msg = { type: 'PROPOSAL', zxid: i };
          recorder.addMessage(MESSAGE_SEND, timeUs, node, peer, msgId, 'PROPOSAL', 0, msg, i % 8 === 0 ? undefined : i);
          expected.push({ timeUs, seq, node, kind: 'send', to: peer, msgId, type: 'PROPOSAL', msg, conn: i % 8 === 0 ? undefined : i });
          break;
        }
        case 1:
          recorder.addMessage(MESSAGE_DELIVER, timeUs, node, peer, msgId, 'ACK', 0);
          expected.push({ timeUs, seq, node, kind: 'deliver', from: peer, msgId, type: 'ACK' });
          break;
        case 2:
          recorder.addMessage(MESSAGE_DROP, timeUs, node, peer, msgId, 'ACK', 2);
          expected.push({ timeUs, seq, node, kind: 'drop', from: peer, msgId, type: 'ACK', reason: 'partition' });
          break;
        default:
          recorder.addMessage(MESSAGE_DUPLICATE, timeUs, node, peer, msgId, 'PROPOSAL', msgId);
          expected.push({ timeUs, seq, node, kind: 'duplicate', from: peer, msgId, type: 'PROPOSAL', dupOf: msgId - 1 });
      }
    }
    expect(recorder.events).toEqual(expected);
  });

  it('hashes a message event as mixing its fields word by word (trace version 1), whatever its time and types', () => {
    // mixMessageEvent mixes its words in one loop and caches the last type's hash: the
    // digest must stay that of the plain definition, one mix() per word, or every trace
    // hash ever recorded changes. Times past 2^31 and 2^32 µs and a fractional one take
    // the other branches of the number encoding; the types alternate and repeat.
    const fnv1a = (text: string): number => {
      let h = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      return h;
    };
    const reference = new TraceHasher();
    const fast = new TraceHasher();
    const times = [0, 17, 2 ** 31 + 5, 2 ** 32 - 1, 2 ** 32 + 3, 2 ** 40 + 1, 12.5];
    const types = ['PROPOSAL', 'ACK', 'ACK', 'a-type-name-longer-than-thirty-two-characters', 'PROPOSAL'];
    for (let i = 0; i < 40; i++) {
      const [code, timeUs, node, peer, msgId, type, extra] = [1 + (i % 4), times[i % times.length], i % 5, -1 + (i % 3), 2 ** 31 + i, types[i % types.length], i % 6];
      fast.mixMessageEvent(code, timeUs, node, peer, msgId, type, extra);
      reference.mix(code);
      if (Number.isInteger(timeUs)) {
        reference.mix(timeUs % 2 ** 32);
        reference.mix(Math.floor(timeUs / 2 ** 32));
      } else {
        reference.mix(fnv1a(String(timeUs)));
        reference.mix(String(timeUs).length);
      }
      for (const word of [node, peer, msgId, fnv1a(type), extra]) reference.mix(word);
      expect(fast.digest()).toBe(reference.digest());
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
