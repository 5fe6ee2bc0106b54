/**
 * A small EDN reader, enough for Jepsen histories, and the Jepsen history loader.
 *
 * Reads maps, vectors, lists, sets (as arrays, a set's elements in one canonical order),
 * keywords (as strings without the colon: `:read` → "read", `:jepsen/x` → "jepsen/x"),
 * strings, characters (as strings), integers (numbers; beyond 2^53 bigints, exactly),
 * floats, ratios (as numbers), nil (null), true/false, symbols (as strings),
 * `;` comments, `#_` discards and tagged literals (`#inst "…"`, `#jepsen.history.Op{…}`:
 * read as the tagged value). Map keys become strings. Errors carry the line.
 *
 * ## Jepsen histories, read with Knossos's conventions
 *
 * Either one top-level vector (or list) of operation maps, or one map per line
 * (Jepsen's history.edn). Keys used: `:type` (invoke/ok/fail/info), `:process`,
 * `:f`, `:value`; the rest (`:time`, `:index`, `:error`, …) are ignored, and list order
 * is real-time order. `:nemesis` operations are ignored. As in Knossos, `fail`ed
 * operations are dropped, a read of nil matches any state, an `ok` operation's value
 * fills in its invocation's, and an invocation that never completes is indeterminate
 * (an `info` completion is appended for it).
 */
import { completePendingAsInfo, HistoryError, isNemesis, type HistoryEvent, type OpType } from './history.js';
import { showValue, valueKey } from './values.js';

const MAX_DEPTH = 500;
const WS = /[\s,]/;
const DELIM = /[\s,()[\]{}";]/;

class EdnReader {
  pos = 0;
  line = 1;
  constructor(private readonly text: string) {}

  fail(message: string, line = this.line): never {
    throw new HistoryError(`EDN: ${message}`, line);
  }

  /** Skips whitespace, commas, comments and `#_` discards; returns whether input remains. */
  skip(): boolean {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && WS.test(t[this.pos])) {
        if (t[this.pos] === '\n') this.line++;
        this.pos++;
      }
      if (t[this.pos] === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
        continue;
      }
      if (t[this.pos] === '#' && t[this.pos + 1] === '_') {
        this.pos += 2;
        this.read(0);
        continue;
      }
      return this.pos < t.length;
    }
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /** Reads one form; `close` is the closing delimiter expected by the caller. */
  read(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    if (!this.skip()) this.fail('unexpected end of input');
    const c = this.text[this.pos];
    switch (c) {
      case '(':
      case '[':
        this.pos++;
        return this.readSeq(c === '(' ? ')' : ']', depth);
      case '{':
        this.pos++;
        return this.readMap(depth);
      case ')':
      case ']':
      case '}':
        return this.fail(`unexpected ${c}`);
      case '"':
        return this.readString();
      case '\\':
        return this.readChar();
      case ':':
        this.pos++;
        return this.readToken('keyword');
      case '#':
        return this.readDispatch(depth);
      default:
        return this.readAtom(this.readToken('symbol'));
    }
  }

  private readSeq(close: string, depth: number): unknown[] {
    const start = this.line;
    const out: unknown[] = [];
    for (;;) {
      if (!this.skip()) this.fail(`unclosed ${close === ')' ? '(' : close === ']' ? '[' : '#{'} (end of input)`, start);
      if (this.peek() === close) {
        this.pos++;
        return out;
      }
      out.push(this.read(depth + 1));
    }
  }

  private readMap(depth: number): Record<string, unknown> {
    const start = this.line;
    const out: Record<string, unknown> = {};
    for (;;) {
      if (!this.skip()) this.fail('unclosed { (end of input)', start);
      if (this.peek() === '}') {
        this.pos++;
        return out;
      }
      const keyLine = this.line;
      const key = this.read(depth + 1);
      if (!this.skip()) this.fail('unclosed { (end of input)', start);
      if (this.peek() === '}') this.fail('map has a key without a value', keyLine);
      const value = this.read(depth + 1);
      out[typeof key === 'string' ? key : valueKey(key)] = value;
    }
  }

  private readString(): string {
    const t = this.text;
    const startLine = this.line;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.fail(`unterminated string starting on line ${startLine}`, startLine);
      const c = t[this.pos++];
      if (c === '"') return out;
      if (c === '\n') this.line++;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = t[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\' };
      if (e in simple) out += simple[e];
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.substr(this.pos, 4))) {
        out += String.fromCharCode(parseInt(t.substr(this.pos, 4), 16));
        this.pos += 4;
      } else this.fail(`bad escape \\${e ?? ''} in string`);
    }
  }

  private readChar(): string {
    this.pos++;
    const t = this.text;
    let end = this.pos + 1;
    while (end < t.length && !DELIM.test(t[end])) end++;
    const name = t.substring(this.pos, end);
    this.pos = end;
    const named: Record<string, string> = { newline: '\n', space: ' ', tab: '\t', return: '\r', backspace: '\b', formfeed: '\f' };
    if (name.length === 1) return name;
    if (name in named) return named[name];
    if (/^u[0-9a-fA-F]{4}$/.test(name)) return String.fromCharCode(parseInt(name.substring(1), 16));
    return this.fail(`bad character literal \\${name}`);
  }

  private readToken(kind: 'keyword' | 'symbol'): string {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length && !DELIM.test(t[this.pos])) this.pos++;
    const token = t.substring(start, this.pos);
    if (token.length === 0) this.fail(kind === 'keyword' ? 'empty keyword' : `unexpected ${JSON.stringify(t[this.pos])}`);
    return kind === 'keyword' && token.startsWith(':') ? token.substring(1) : token;
  }

  private readDispatch(depth: number): unknown {
    const next = this.text[this.pos + 1];
    if (next === '{') {
      this.pos += 2;
      // A set has no order: #{2 1} is #{1 2}. Its elements in one canonical order, so
      // two sets compare equal exactly when they hold the same elements.
      const keyed = this.readSeq('}', depth).map((v) => [valueKey(v), v] as const);
      return keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    }
    if (next === '#') {
      this.pos += 2;
      const name = this.readToken('symbol');
      const values: Record<string, number> = { Inf: Infinity, '-Inf': -Infinity, NaN: NaN };
      if (name in values) return values[name];
      return this.fail(`unknown symbolic value ##${name}`);
    }
    // Tagged literal: #tag form → form.
    this.pos++;
    const tagLine = this.line;
    const tag = this.readToken('symbol');
    if (!/^[A-Za-z]/.test(tag)) this.fail(`bad tag #${tag}`, tagLine);
    return this.read(depth + 1);
  }

  private readAtom(token: string): unknown {
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (/^[+-]?\d/.test(token)) {
      let m = /^([+-]?\d+)N?$/.exec(token);
      if (m) return exactInteger(m[1]);
      m = /^([+-]?\d+(\.\d*)?([eE][+-]?\d+)?)M?$/.exec(token);
      if (m) return Number(m[1]);
      m = /^([+-]?\d+)\/(\d+)$/.exec(token);
      if (m) return Number(m[1]) / Number(m[2]);
      m = /^([+-]?)0[xX]([0-9a-fA-F]+)N?$/.exec(token);
      if (m) return exactInteger(`${m[1]}0x${m[2]}`);
      this.fail(`bad number ${token}`);
    }
    return token; // a symbol, read as its name
  }
}

/**
 * An integer as EDN reads it, exactly: a number where a double holds it exactly, a
 * bigint beyond 2^53 (Clojure's Long and BigInt compare equal by value; rounding a
 * 23-digit id to a double would make two different values equal).
 */
function exactInteger(text: string): number | bigint {
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  const big = BigInt(digits);
  const value = negative ? -big : big;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Reads every top-level EDN form with its starting line. */
export function readEdnForms(text: string): { value: unknown; line: number }[] {
  const r = new EdnReader(text);
  const out: { value: unknown; line: number }[] = [];
  while (r.skip()) {
    const line = r.line;
    out.push({ value: r.read(0), line });
  }
  return out;
}

/** Reads a single EDN value (the first form). */
export function readEdn(text: string): unknown {
  const forms = readEdnForms(text);
  if (forms.length === 0) throw new HistoryError('EDN: no value', 1);
  return forms[0].value;
}

const OP_TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

function toEvent(form: unknown, line: number): HistoryEvent | undefined {
  if (typeof form !== 'object' || form === null || Array.isArray(form)) {
    throw new HistoryError('expected an operation map like {:type :invoke, :process 0, :f :read, :value nil}', line);
  }
  const m = form as Record<string, unknown>;
  if (isNemesis(m.process)) return undefined;
  if (typeof m.type !== 'string' || !OP_TYPES.has(m.type)) {
    const shown = m.type === undefined ? 'missing' : `:${String(m.type)}`;
    throw new HistoryError(`unknown op type ${shown}: expected :invoke, :ok, :fail or :info`, line);
  }
  if (!(typeof m.process === 'number' || typeof m.process === 'string')) {
    throw new HistoryError(`:process must be an integer or a keyword, got ${m.process === undefined ? 'nothing' : showValue(m.process)}`, line);
  }
  if (typeof m.f !== 'string') throw new HistoryError(`:f must be a keyword, got ${m.f === undefined ? 'nothing' : showValue(m.f)}`, line);
  // Porcupine's kv logs name the key in a field of its own: folded into Jepsen's
  // independent-key tuple [key, value], which the kv model reads.
  if ('key' in m) return { type: m.type as OpType, process: m.process, f: m.f, value: [m.key, m.value ?? null] };
  return { type: m.type as OpType, process: m.process, f: m.f, value: m.value ?? null };
}

/**
 * Loads a Jepsen EDN history: events (Knossos conventions, see the module comment)
 * and the source line of each.
 * @throws HistoryError with the line for bad EDN or malformed operations.
 */
export function parseEdnHistory(text: string): { events: HistoryEvent[]; lines: number[] } {
  const forms = readEdnForms(text);
  let items = forms;
  if (forms.length > 0 && Array.isArray(forms[0].value)) {
    if (forms.length > 1) throw new HistoryError('expected one vector of operations, or one operation map per line', forms[1].line);
    items = elementLines(text);
  }
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  for (const { value, line } of items) {
    const ev = toEvent(value, line);
    if (!ev) continue;
    events.push(ev);
    lines.push(line);
  }
  completePendingAsInfo(events, lines);
  return { events, lines };
}

/** The elements of the single top-level vector, each with its starting line. */
function elementLines(text: string): { value: unknown; line: number }[] {
  const r = new EdnReader(text);
  r.skip();
  r.pos++; // the opening [ or (
  const close = text[r.pos - 1] === '(' ? ')' : ']';
  const out: { value: unknown; line: number }[] = [];
  while (r.skip() && r.peek() !== close) {
    const line = r.line;
    out.push({ value: r.read(1), line });
  }
  return out;
}
