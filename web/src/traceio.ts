/**
 * Opening trace files fast. `readTrace` (sim/core/trace.ts) validates every event and
 * recomputes the hash; the lab runs it in the worker, off the main thread, and shows
 * its verdict (and the hash) when it arrives. The page itself parses the file once,
 * checks what it needs to draw safely, and draws at once: a 100k-event trace is on
 * screen well within a second. If the quick checks fail, `readTrace` runs here to
 * report exactly what is wrong, with its own messages.
 */
import { readTrace, type TraceEvent, type TraceMeta } from '../../sim/core/trace.js';

export interface ParsedTrace {
  meta: TraceMeta;
  events: TraceEvent[];
  storedHash?: string;
}

function quickCheck(events: unknown[]): events is TraceEvent[] {
  let previous = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as TraceEvent;
    if (typeof e !== 'object' || e === null) return false;
    if (e.seq !== i || typeof e.timeUs !== 'number' || e.timeUs < previous || typeof e.node !== 'number' || typeof e.kind !== 'string') return false;
    previous = e.timeUs;
    switch (e.kind) {
      case 'send':
        if (typeof e.to !== 'number' || typeof e.msgId !== 'number' || typeof e.type !== 'string') return false;
        break;
      case 'deliver':
      case 'drop':
      case 'duplicate':
        if (typeof e.from !== 'number' || typeof e.msgId !== 'number' || typeof e.type !== 'string') return false;
        break;
    }
  }
  return true;
}

/** Parses a JSON or NDJSON trace; throws readTrace's error (with its where) when malformed. */
export function parseTraceFast(text: string): ParsedTrace {
  const start = text.search(/\S/);
  const firstEnd = text.indexOf('\n', Math.max(0, start));
  const rest = firstEnd < 0 ? '' : text.slice(firstEnd + 1).trim();
  let meta: unknown;
  let events: unknown[] | undefined;
  let storedHash: unknown;
  try {
    if (rest !== '' && !/^\s*[\]}]/.test(rest) && /^\s*\{"meta"/.test(text) && !text.slice(0, firstEnd).includes('"events"')) {
      // NDJSON: a header line, then one event per line.
      const header = JSON.parse(text.slice(0, firstEnd)) as Record<string, unknown>;
      meta = header.meta;
      storedHash = header.hash;
      events = [];
      for (const line of rest.split('\n')) if (line.trim() !== '') events.push(JSON.parse(line));
    } else {
      const doc = JSON.parse(text) as Record<string, unknown>;
      meta = doc?.meta;
      storedHash = doc?.hash;
      events = Array.isArray(doc?.events) ? doc.events : undefined;
    }
  } catch {
    events = undefined;
  }
  if (events !== undefined && typeof meta === 'object' && meta !== null) {
    // The metadata through the real reader (its messages), then the events quickly.
    readTrace(JSON.stringify({ meta, events: [] }));
    if (quickCheck(events)) return { meta: meta as TraceMeta, events, ...(typeof storedHash === 'string' ? { storedHash } : {}) };
  }
  const full = readTrace(text);
  return { meta: full.meta, events: full.events, ...(full.storedHash !== undefined ? { storedHash: full.storedHash } : {}) };
}
