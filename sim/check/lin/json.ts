/**
 * The JSON history form.
 *
 * A history is any of:
 * - an array of events: `[{"type":"invoke","process":0,"f":"write","value":1}, …]`;
 * - an object with a `history` array (other keys are ignored, so a simulator trace
 *   that carries its history this way can be checked directly): `{"history": [ … ]}`;
 * - NDJSON: one event object per line.
 *
 * An event is a {@link HistoryEvent}:
 * ```json
 * {"type": "invoke" | "ok" | "fail" | "info",
 *  "process": 0,            // number or string; "nemesis" events are ignored
 *  "f": "cas",              // the operation
 *  "value": [1, 2],         // argument (invoke) or result (ok); null when none
 *  "timeUs": 1500,          // optional virtual time in microseconds
 *  "effectAt": 4294967301}  // optional, ok completions: where the call took effect (a hint, witness.ts)
 * ```
 * Other keys are ignored. List order is real-time order; when every event has
 * `timeUs`, time must not decrease, and at equal times invocations come first. As in
 * EDN input (and Knossos), an invocation that never completes is indeterminate: an
 * `info` completion is appended for it.
 */
import { completePendingAsInfo, HistoryError, type HistoryEvent } from './history.js';

const MAX_DEPTH = 500;

class JsonReader {
  pos = 0;
  line = 1;
  constructor(private readonly text: string) {}

  fail(message: string, line = this.line): never {
    throw new HistoryError(`JSON: ${message}`, line);
  }

  skip(): boolean {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 10) this.line++;
      else if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) break;
      this.pos++;
    }
    return this.pos < t.length;
  }

  private found(): string {
    return this.pos < this.text.length ? JSON.stringify(this.text[this.pos]) : 'end of input';
  }

  read(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    if (!this.skip()) this.fail('unexpected end of input');
    const t = this.text;
    const c = t[this.pos];
    if (c === '{') return this.readObject(depth);
    if (c === '[') return this.readArray(depth);
    if (c === '"') return this.readString();
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(t.substring(this.pos, this.pos + 400));
      if (!m) this.fail(`bad number`);
      this.pos += m[0].length;
      // An integer beyond 2^53 is read exactly (a bigint): rounded to a double, two
      // different ids would compare equal.
      const n = Number(m[0]);
      return m[2] === undefined && m[3] === undefined && !Number.isSafeInteger(n) ? BigInt(m[0]) : n;
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (t.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail(`unexpected ${this.found()}`);
  }

  private readArray(depth: number): unknown[] {
    return this.readElements(depth).map((element) => element.value);
  }

  /** Like readArray, but returns each element with its starting line. */
  readArrayWithLines(): { value: unknown; line: number }[] {
    this.skip();
    if (this.text[this.pos] !== '[') this.fail(`expected [ but found ${this.found()}`);
    return this.readElements(0);
  }

  /** The elements of the array at `[`, each with its starting line. */
  private readElements(depth: number): { value: unknown; line: number }[] {
    this.pos++;
    const out: { value: unknown; line: number }[] = [];
    if (this.skip() && this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skip();
      const line = this.line;
      out.push({ value: this.read(depth + 1), line });
      this.skip();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c === ']') {
        this.pos++;
        return out;
      } else this.fail(`expected , or ] but found ${this.found()}`);
    }
  }

  private readObject(depth: number): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    if (this.skip() && this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skip();
      if (this.text[this.pos] !== '"') this.fail(`expected a string key but found ${this.found()}`);
      const key = this.readString();
      this.skip();
      if (this.text[this.pos] !== ':') this.fail(`expected : but found ${this.found()}`);
      this.pos++;
      out[key] = this.read(depth + 1);
      this.skip();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c === '}') {
        this.pos++;
        return out;
      } else this.fail(`expected , or } but found ${this.found()}`);
    }
  }

  private readString(): string {
    const t = this.text;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t[this.pos++];
      if (c === '"') return out;
      if (c === '\n') this.fail('unterminated string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = t[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
      if (e in simple) out += simple[e];
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.substr(this.pos, 4))) {
        out += String.fromCharCode(parseInt(t.substr(this.pos, 4), 16));
        this.pos += 4;
      } else this.fail(`bad escape \\${e ?? ''} in string`);
    }
  }
}

/** Parses one JSON document (with line numbers in errors). */
export function parseJson(text: string): unknown {
  const r = new JsonReader(text);
  const v = r.read(0);
  if (r.skip()) r.fail('unexpected data after the JSON value');
  return v;
}

function toEvent(value: unknown, line: number): HistoryEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HistoryError('expected an event object like {"type":"invoke","process":0,"f":"read","value":null}', line);
  }
  const e = value as Record<string, unknown>;
  const ev: HistoryEvent = { type: e.type as HistoryEvent['type'], process: e.process as HistoryEvent['process'], f: e.f as string, value: e.value ?? null };
  if (e.timeUs !== undefined) ev.timeUs = e.timeUs as number;
  if (e.index !== undefined) ev.index = e.index as number;
  if (e.effectAt !== undefined && e.effectAt !== null) {
    if (typeof e.effectAt !== 'number' || !Number.isFinite(e.effectAt)) throw new HistoryError(`"effectAt" must be a finite number, got ${JSON.stringify(e.effectAt)}`, line);
    ev.effectAt = e.effectAt;
  }
  return ev;
}

/**
 * Loads a JSON history (see the module comment). Field checks happen when the
 * history is paired (history.ts), with these lines.
 * @throws HistoryError with the line for bad JSON.
 */
export function parseJsonHistory(text: string): { events: HistoryEvent[]; lines: number[] } {
  const r = new JsonReader(text);
  if (!r.skip()) throw new HistoryError('JSON: empty history file', 1);
  const start = { pos: r.pos, line: r.line };
  let items: { value: unknown; line: number }[];
  if (text[r.pos] === '[') {
    items = r.readArrayWithLines();
    if (r.skip()) r.fail('unexpected data after the history array');
  } else {
    const first = r.read(0);
    if (!r.skip() && typeof first === 'object' && first !== null && 'history' in first) {
      // {"history": [...]}: read again to get element lines.
      items = historyArrayLines(text, first as Record<string, unknown>, start.line);
    } else {
      // NDJSON: one event per line.
      items = [{ value: first, line: start.line }];
      while (r.skip()) {
        const line = r.line;
        items.push({ value: r.read(0), line });
      }
    }
  }
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  for (const { value, line } of items) {
    events.push(toEvent(value, line));
    lines.push(line);
  }
  completePendingAsInfo(events, lines);
  return { events, lines };
}

/** Element lines of the "history" array of a top-level object. */
function historyArrayLines(text: string, doc: Record<string, unknown>, line: number): { value: unknown; line: number }[] {
  if (!Array.isArray(doc.history)) throw new HistoryError('JSON: "history" must be an array of events', line);
  // Find the array by scanning the top-level object's keys with a reader.
  const r = new JsonReader(text);
  r.skip();
  r.pos++; // {
  for (;;) {
    r.skip();
    const key = r.read(1);
    r.skip();
    r.pos++; // :
    if (key === 'history') return r.readArrayWithLines();
    r.read(1);
    r.skip();
    r.pos++; // , (the document already parsed, so the syntax is valid)
  }
}
