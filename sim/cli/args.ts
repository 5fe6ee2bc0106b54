/**
 * Flags for every `zablab` command, parsed one way: `--help`/`-h` on any command prints
 * its usage; an unknown flag, a missing value or a negative number gets one line naming
 * the command and the flag, with a hint, instead of node:util's several-line message;
 * numbers are parsed exactly (a seed is an unsigned 32-bit integer, nothing is rounded).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends FlagSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** Thrown by parseFlags on --help: main prints the usage and exits 0. */
export class HelpRequest extends Error {
  constructor(readonly usage: string) {
    super('help');
    this.name = 'HelpRequest';
  }
}

/** The known flag closest to `name` (at most 2 edits away), for a "did you mean" hint. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

/**
 * Parses `argv` for `zablab <command>` against `options` (a `help` flag is added).
 * Throws HelpRequest on --help, UsageError on anything malformed.
 */
export function parseFlags<const T extends FlagSpec>(command: string, argv: string[], options: T, usage: string, allowPositionals = true): Parsed<T> {
  const spec: FlagSpec = { ...options, help: { type: 'boolean', short: 'h' } };
  const shorts = new Map(Object.entries(spec).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const known = Object.keys(spec);
  const knownList = known.filter((k) => k !== 'help').map((k) => `--${k}`).join(', ') || 'none';
  const where = `zablab ${command}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (arg === '--help' || arg === '-h') throw new HelpRequest(usage);
    if (!arg.startsWith('-') || arg === '-') continue;
    if (/^-\d/.test(arg)) throw new UsageError(`${arg}: negative numbers are not accepted here (every count, seed and limit is a non-negative integer; ${where} --help)`);
    const long = arg.startsWith('--');
    const name = long ? arg.slice(2).split('=')[0] : shorts.get(arg.slice(1, 2));
    if (name === undefined || !known.includes(name)) {
      const hint = long ? closest(name ?? '', known) : undefined;
      throw new UsageError(`unknown flag ${long ? `--${name}` : arg}${hint ? ` (did you mean --${hint}?)` : ''}; its flags: ${knownList} (${where} --help)`);
    }
    const option = spec[name];
    const inline = long && arg.includes('=');
    if (option.type === 'boolean') {
      if (inline) throw new UsageError(`--${name} takes no value, got ${JSON.stringify(arg)}`);
      continue;
    }
    if (inline || (!long && arg.length > 2)) continue;
    const value = argv[i + 1];
    if (value === undefined || value === '--') throw new UsageError(`--${name} needs a value (${where} --help)`);
    if (/^-\d/.test(value)) throw new UsageError(`--${name} ${value}: negative numbers are not accepted (${where} --help)`);
    if (value.startsWith('-') && value !== '-') throw new UsageError(`--${name} needs a value, got the flag ${value} (write --${name}=${value} if you mean it)`);
    i++;
  }
  try {
    return parseArgs({ args: argv, options: spec, allowPositionals, strict: true }) as unknown as Parsed<T>;
  } catch (error) {
    // Anything the scan above did not foresee: still one line.
    throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')} (${where} --help)`);
  }
}

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/**
 * An unsigned integer flag parsed exactly: digits only, at most `max` (default
 * Number.MAX_SAFE_INTEGER), never rounded.
 */
export function parseUint(value: string, flag: string, max: number = Number.MAX_SAFE_INTEGER, what = 'a non-negative integer'): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} needs ${what}, got ${JSON.stringify(value)}`);
  const parsed = BigInt(value);
  if (parsed > BigInt(max)) throw new UsageError(`${flag} ${value}: too large; it takes ${what}, at most ${max}`);
  return Number(parsed);
}

/** A seed: an unsigned 32-bit integer, 0..4294967295. */
export function parseSeedValue(value: string, flag = '--seed'): number {
  return parseUint(value, flag, MAX_SEED, 'an unsigned 32-bit integer (0..4294967295)');
}
