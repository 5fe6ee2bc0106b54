/**
 * `zablab check <history-file…> --model <name> [--json] [--timeout-ms N] [--max-steps N]`
 *
 * One verdict per file. Formats: Jepsen EDN (`.edn`) or the JSON form (`.json`,
 * `.ndjson`, `.jsonl`); other names are sniffed (EDN starts with `;`, `{:`, `[{:`, …).
 * With `--json`, one JSON object per line per file:
 * `{"file","model","verdict","ops","elapsedMs","partitions","steps","maxSteps","timeoutMs"}`,
 * plus `"explanation"` when not linearizable, and `"unknownReason"` (steps or timeout)
 * and `"unknownHint"` (which flag raises that budget) when unknown.
 *
 * Every file has a budget: 60 s, and 1000 search steps per operation (at least 10M, at
 * most 100M) unless --timeout-ms / --max-steps say otherwise.
 *
 * Exit codes: 0 all linearizable; 1 some history is not; 3 some check ran out of budget
 * (and none is not linearizable); 2 bad input (a flag, an unreadable file, a malformed
 * history: the message names the file and line), which takes precedence.
 *
 * This module is isomorphic: files and the clock come through `io`.
 */
import { checkHistory, resolveModel, type LinResult } from './checker.js';
import { parseEdnHistory, readEdnForms } from './edn.js';
import { HistoryError, normalizeOrder, type HistoryEvent } from './history.js';
import { verdictPage } from './html.js';
import { parseJson, parseJsonHistory } from './json.js';
import type { AnyModel } from './model.js';
import { casRegisterModel, kvModel, MODEL_NAMES, multiRegisterModel, mutexModel, registerModel, znodeModel } from './models/index.js';

export interface CheckIo {
  /** Writes text to standard output; every call passes whole lines ending in "\n". */
  stdout(s: string): void;
  /** Writes text to standard error; whole lines ending in "\n". */
  stderr(s: string): void;
  /** Reads a file as UTF-8; throws (e.g. a Node ENOENT error) when it cannot. */
  readFile(path: string): string;
  /** A millisecond wall clock (the CLI owns it). */
  now(): number;
  /** Shows a progress line (a terminal's; the CLI redraws and erases it); absent: none. */
  progress?: { update(text: string): void; done(): void };
  /**
   * Output files (--html): `check` before the work (throws an Error with a message if
   * the path may not be written: an input, or existing without force), `write` after.
   */
  output?: {
    check(path: string, inputs: readonly string[], force: boolean): void;
    write(path: string, text: string, inputs: readonly string[], force: boolean): void;
  };
}

/** The default time budget per file: a check never runs for ever unasked. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** The default step budget per file: STEPS_PER_OP per operation, within [MIN, MAX]. */
export const STEPS_PER_OP = 1_000;
export const MIN_DEFAULT_STEPS = 10_000_000;
export const MAX_DEFAULT_STEPS = 100_000_000;

/** The step budget for a history of `ops` operations unless --max-steps says otherwise. */
export function defaultMaxSteps(ops: number): number {
  return Math.min(MAX_DEFAULT_STEPS, Math.max(MIN_DEFAULT_STEPS, ops * STEPS_PER_OP));
}

export const CHECK_USAGE = `usage: zablab check <history-file…> --model <${MODEL_NAMES.join('|')}> [--initial VALUE] [--failed-ops jepsen|porcupine] [--html FILE [--force]] [--json] [--timeout-ms N] [--max-steps N]

Checks each client history for linearizability against the model.
  --model NAME      the object the history operates on (required)
  --initial VALUE   the state before the history, as JSON or EDN (default: nil, as
                    Knossos's models): a register's value (--initial 0); multi-register's
                    values by key ('{:x 0 :y 0}'); the mutex's holder (0, or nil: free);
                    znode's nodes by path with their data ('{"/a": "x"}'; the root exists);
                    kv's values by key ('{"0": "x"}'; default the empty string)
  --failed-ops HOW  jepsen (default): a :fail operation did not happen, and is left out;
                    porcupine: a failed cas ran and returned false (the register did not
                    hold its old value), any other failed operation is indeterminate
  --html FILE       also write the verdict as a self-contained page: the operations by
                    process, the longest partial linearizations, the operation that fails
                    and why (one history file; an existing FILE only with --force)
  --json            one JSON object per line per file
  --timeout-ms N    give up on a file after N milliseconds (verdict unknown; default 60000)
  --max-steps N     give up on a file after N search steps (verdict unknown; default
                    1000 per operation, at least 10000000 and at most 100000000)
Exit: 0 all linearizable, 1 some not linearizable, 3 some unknown, 2 bad input.
`;

interface Args {
  readonly files: string[];
  readonly model: string;
  readonly json: boolean;
  readonly timeoutMs?: number;
  readonly maxSteps?: number;
  /** --initial, parsed; absent: the model's default. */
  readonly initial?: { value: unknown };
  /** --failed-ops porcupine: failed cas operations ran and returned false. */
  readonly porcupineFailures: boolean;
  readonly html?: string;
  readonly force: boolean;
}

/**
 * --failed-ops porcupine, as Porcupine's etcd tests read Jepsen's logs: a failed cas ran
 * and returned false (it becomes a completed `cas-false`, which the cas-register model
 * accepts only where the register did not hold its old value); any other failed
 * operation (a timed-out read) is indeterminate, `info`.
 */
export function failuresAsPorcupine(events: readonly HistoryEvent[], lines?: readonly number[]): HistoryEvent[] {
  const out = events.map((e) => ({ ...e }));
  const pending = new Map<unknown, number>();
  // Paired in real-time order (at one instant, a process's invocation may be listed after
  // its completion), as the checker will pair them.
  for (const i of normalizeOrder(out, lines)) {
    const e = out[i];
    if (e.type === 'invoke') {
      pending.set(e.process, i);
      continue;
    }
    const invocation = pending.get(e.process);
    pending.delete(e.process);
    if (e.type !== 'fail') continue;
    if (e.f === 'cas' && invocation !== undefined && out[invocation].f === 'cas') {
      out[invocation].f = 'cas-false';
      e.f = 'cas-false';
      e.type = 'ok';
    } else {
      // Indeterminate, but the process goes on (a Jepsen :fail does not end it, and
      // Porcupine's etcd model only makes the operation return at infinity): the operation
      // gets a process of its own, so the process's next invocation is not one after `info`.
      e.type = 'info';
      if (invocation !== undefined) {
        const own = `${String(e.process)} (failed op, event ${i + 1})`;
        out[invocation].process = own;
        e.process = own;
      }
    }
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each model with an initial value (--initial): how it is read, and what it must look like. */
const WITH_INITIAL: Readonly<Record<string, (initial: unknown) => AnyModel>> = {
  register: (initial) => registerModel({ initial }),
  'cas-register': (initial) => casRegisterModel({ initial }),
  'multi-register': (initial) => {
    if (!isMap(initial)) throw new UsageError(`--initial for multi-register is a map of key to value, e.g. '{:x 0 :y 0}' or '{"x": 0}', got ${JSON.stringify(initial)}`);
    return multiRegisterModel({ initial });
  },
  mutex: (initial) => {
    if (initial !== null && typeof initial !== 'number' && typeof initial !== 'string') throw new UsageError(`--initial for mutex is the process holding the lock (a number or a name) or nil, got ${JSON.stringify(initial)}`);
    return mutexModel({ initial });
  },
  kv: (initial) => {
    if (!isMap(initial)) throw new UsageError(`--initial for kv is a map of key to value, e.g. '{"0": "x"}', got ${JSON.stringify(initial)}`);
    return kvModel({ initial });
  },
  znode: (initial) => {
    if (!isMap(initial)) throw new UsageError(`--initial for znode is a map of path to data, e.g. '{"/locks": null, "/config": "a"}', got ${JSON.stringify(initial)}`);
    try {
      return znodeModel({ initial });
    } catch (e) {
      throw new UsageError(`--initial: ${(e as Error).message}`);
    }
  },
};

/** --initial's value: JSON first (0, "a", [1,2]), else EDN (nil, :a, [1 2]). */
function parseInitial(text: string | undefined): { value: unknown } {
  if (text === undefined || text.trim() === '') throw new UsageError('--initial needs a value (JSON or EDN), got nothing');
  try {
    return { value: parseJson(text) };
  } catch {
    // not JSON: try EDN
  }
  try {
    const forms = readEdnForms(text);
    if (forms.length === 1) return { value: forms[0].value };
  } catch {
    // reported below
  }
  throw new UsageError(`--initial needs one JSON or EDN value, got ${JSON.stringify(text)}`);
}

class UsageError extends Error {}

function required(flag: string, value: string | undefined): string {
  if (value === undefined || (value.startsWith('-') && value !== '-')) throw new UsageError(`${flag} needs a value${value === undefined ? '' : `, got the flag ${value}`}`);
  return value;
}

function positiveInt(flag: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) <= 0) {
    throw new UsageError(`${flag} needs a positive integer, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return Number(value);
}

function parseArgs(argv: readonly string[]): Args | 'help' {
  const files: string[] = [];
  let model: string | undefined;
  let json = false;
  let timeoutMs: number | undefined;
  let maxSteps: number | undefined;
  let initial: { value: unknown } | undefined;
  let porcupineFailures = false;
  let html: string | undefined;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.substring(0, eq) : a;
    const inline = eq > 0 ? a.substring(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--help' || flag === '-h') return 'help';
    else if (flag === '--json' && inline === undefined) json = true;
    else if (flag === '--force' && inline === undefined) force = true;
    else if (flag === '--html') html = required('--html', value());
    else if (flag === '--model') model = required('--model', value());
    else if (flag === '--timeout-ms') timeoutMs = positiveInt('--timeout-ms', value());
    else if (flag === '--max-steps') maxSteps = positiveInt('--max-steps', value());
    else if (flag === '--initial') initial = parseInitial(value());
    else if (flag === '--failed-ops') {
      const how = required('--failed-ops', value());
      if (how !== 'jepsen' && how !== 'porcupine') throw new UsageError(`--failed-ops must be jepsen or porcupine, got ${JSON.stringify(how)}`);
      porcupineFailures = how === 'porcupine';
    }
    else if (a === '--') {
      files.push(...argv.slice(i + 1));
      break;
    } else if (/^-\d/.test(a)) throw new UsageError(`${a}: negative numbers are not accepted`);
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown flag ${a}; its flags: --model, --initial, --failed-ops, --html, --force, --json, --timeout-ms, --max-steps`);
    else files.push(a);
  }
  if (model === undefined || model === '') throw new UsageError(`--model is required (${MODEL_NAMES.join(', ')})`);
  if (!MODEL_NAMES.includes(model)) throw new UsageError(`unknown model ${JSON.stringify(model)}; known models: ${MODEL_NAMES.join(', ')}`);
  // The model is made here, so an --initial of the wrong shape is bad input (exit 2).
  if (initial !== undefined) WITH_INITIAL[model](initial.value);
  if (files.length === 0) throw new UsageError('no history file given');
  if (html !== undefined && files.length !== 1) throw new UsageError(`--html draws one history, got ${files.length} files`);
  return {
    files,
    model,
    json,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(initial !== undefined ? { initial } : {}),
    porcupineFailures,
    ...(html !== undefined ? { html } : {}),
    force,
  };
}

/** Reads a history file's text as EDN or JSON, by extension or by sniffing. */
export function parseHistoryFile(path: string, text: string): { events: HistoryEvent[]; lines: number[]; format: 'edn' | 'json' } {
  const lower = path.toLowerCase();
  let edn: boolean;
  if (lower.endsWith('.edn')) edn = true;
  else if (/\.(json|ndjson|jsonl)$/.test(lower)) edn = false;
  else edn = /^\s*(?:[;(#:]|[[{]\s*(?:[{(]\s*)?[:#;])/.test(text);
  return edn ? { ...parseEdnHistory(text), format: 'edn' } : { ...parseJsonHistory(text), format: 'json' };
}

function readError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

interface Budget {
  readonly maxSteps: number;
  readonly timeoutMs: number;
}

/** Which budget ran out, and how to raise it. */
function unknownText(r: LinResult, budget: Budget, args: Args): string {
  if (r.unknownReason === 'timeout') return `timed out after ${budget.timeoutMs} ms (${r.steps} steps); raise the time budget with --timeout-ms N${args.timeoutMs === undefined ? ` (default ${DEFAULT_TIMEOUT_MS})` : ''}`;
  return `the step budget ran out after ${r.steps} steps; raise it with --max-steps N${args.maxSteps === undefined ? ` (default for this history: ${budget.maxSteps}, ${STEPS_PER_OP} per operation, at least ${MIN_DEFAULT_STEPS})` : ''}`;
}

function humanLine(file: string, r: LinResult, elapsedMs: number, budget: Budget, args: Args): string {
  const stats = `${r.ops} operations, ${r.partitions} part${r.partitions === 1 ? '' : 's'}, ${round(elapsedMs)} ms`;
  if (r.verdict === 'linearizable') return `${file}: linearizable (${stats})\n`;
  if (r.verdict === 'unknown') return `${file}: unknown — ${unknownText(r, budget, args)} (${stats})\n`;
  const text = (r.explanation?.text ?? '').replace(/^/gm, '  ');
  return `${file}: NOT linearizable (${stats})\n${text}\n`;
}

/**
 * Runs `zablab check` with `argv` (the arguments after "check").
 * @returns the exit code.
 */
export async function checkCommand(argv: string[], io: CheckIo): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`zablab check: ${e.message} (zablab check --help)\n`);
    return 2;
  }
  if (args === 'help') {
    io.stdout(CHECK_USAGE);
    return 0;
  }
  if (args.html !== undefined) {
    if (io.output === undefined) {
      io.stderr('zablab check: --html is not available here\n');
      return 2;
    }
    try {
      io.output.check(args.html, args.files, args.force);
    } catch (e) {
      io.stderr(`zablab check: ${(e as Error).message}\n`);
      return 2;
    }
  }
  let badInput = false;
  let anyNot = false;
  let anyUnknown = false;
  for (const file of args.files) {
    let text: string;
    try {
      text = io.readFile(file);
    } catch (e) {
      io.stderr(`zablab check: cannot read ${file}: ${readError(e)}\n`);
      badInput = true;
      continue;
    }
    let result: LinResult;
    let elapsedMs: number;
    let budget: Budget;
    try {
      const parsed = parseHistoryFile(file, text);
      const lines = parsed.lines;
      const events = args.porcupineFailures ? failuresAsPorcupine(parsed.events, lines) : parsed.events;
      const start = io.now();
      const model = args.initial !== undefined ? WITH_INITIAL[args.model](args.initial.value) : resolveModel(args.model);
      budget = { maxSteps: args.maxSteps ?? defaultMaxSteps(Math.ceil(events.length / 2)), timeoutMs: args.timeoutMs ?? DEFAULT_TIMEOUT_MS };
      // The search asks the clock every 1024 steps: that is when progress is shown.
      let ticks = 0;
      const progress = io.progress;
      const now =
        progress === undefined
          ? () => io.now()
          : () => {
              const t = io.now();
              progress.update(`check ${file}: ≈${(++ticks * 1024).toLocaleString('en-US')} steps of at most ${budget.maxSteps.toLocaleString('en-US')}, ${((t - start) / 1000).toFixed(1)} s of at most ${budget.timeoutMs / 1000} s`);
              return t;
            };
      try {
        result = checkHistory(events, model, { lines, now, timeoutMs: budget.timeoutMs, maxSteps: budget.maxSteps });
      } finally {
        progress?.done();
      }
      elapsedMs = io.now() - start;
    } catch (e) {
      if (!(e instanceof HistoryError)) throw e;
      io.stderr(`zablab check: ${file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}\n`);
      badInput = true;
      continue;
    }
    if (args.html !== undefined && io.output !== undefined) io.output.write(args.html, verdictPage(file, args.model, result), args.files, args.force);
    if (result.verdict === 'not-linearizable') anyNot = true;
    if (result.verdict === 'unknown') anyUnknown = true;
    if (args.json) {
      const out = {
        file,
        model: args.model,
        verdict: result.verdict,
        ops: result.ops,
        elapsedMs: round(elapsedMs),
        partitions: result.partitions,
        steps: result.steps,
        maxSteps: budget.maxSteps,
        timeoutMs: budget.timeoutMs,
        ...(result.unknownReason ? { unknownReason: result.unknownReason, unknownHint: unknownText(result, budget, args) } : {}),
        ...(result.explanation ? { explanation: result.explanation } : {}),
      };
      // A history's integers beyond 2^53 are bigints: written as their digits, in a string.
      io.stdout(JSON.stringify(out, (_key, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) + '\n');
    } else {
      io.stdout(humanLine(file, result, elapsedMs, budget, args));
    }
  }
  if (badInput) return 2;
  if (anyNot) return 1;
  if (anyUnknown) return 3;
  return 0;
}
