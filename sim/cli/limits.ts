/**
 * The CLI's limits, stated in one place (README "Limits"): events per run, seeds per
 * sweep, worker threads. A run that reaches a limit stops with what it has and exit
 * code 3; a flag beyond a cap is refused or clamped with a note, never ignored.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_WITH_TRACE } from '../scenario/limits.js';
import { parseUint } from './args.js';
import { UsageError, err } from './io.js';

export { LimitReached } from './io.js';

/** The most events --max-events may allow one run (2^31: ~30 min and several GB with a trace). */
export const MAX_EVENTS_CAP = 2 ** 31;

/** --max-events N: events one run may process; default DEFAULT_MAX_EVENTS (less when the trace is kept). */
export function parseMaxEvents(value: string | undefined, keepTrace = false): number {
  if (value === undefined) return keepTrace ? DEFAULT_MAX_EVENTS_WITH_TRACE : DEFAULT_MAX_EVENTS;
  const n = parseUint(value, '--max-events', MAX_EVENTS_CAP, 'a positive integer');
  if (n === 0) throw new UsageError('--max-events needs a positive integer, got 0');
  return n;
}

/** The message for a run stopped at its events limit. */
export function eventsLimitMessage(maxEvents: number, atUs: number, what: string): string {
  return `${what} stopped at its events limit (${maxEvents} events, ${(atUs / 1000).toFixed(3)} ms simulated) before its end; raise it with --max-events N (at most ${MAX_EVENTS_CAP})`;
}

/** The cores this machine offers: the default and the cap of --workers. */
export function coreCount(): number {
  return Math.max(1, availableParallelism());
}

/**
 * --workers N for `zablab <command>`: 0 runs inline; default and cap the core count (more
 * threads than cores only cost memory and time). A request above the cap is clamped, and
 * a note on stderr, with the command's prefix as every message, says so.
 */
export function parseWorkers(value: string | undefined, command: string): number {
  const cores = coreCount();
  if (value === undefined) return cores;
  const n = parseUint(value, '--workers', Number.MAX_SAFE_INTEGER);
  if (n > cores) {
    err(`zablab ${command}: note: --workers ${n}: this machine has ${cores} core${cores === 1 ? '' : 's'}; using ${cores} worker${cores === 1 ? '' : 's'}\n`);
    return cores;
  }
  return n;
}
