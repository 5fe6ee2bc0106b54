/** `zablab trace-info <trace>`: what a trace file holds, and its hash. */
import { readTrace, TraceFormatError } from '../core/trace.js';
import { formatUs } from '../core/time.js';
import { parseFlags } from './args.js';
import { UsageError, readTextFile, out } from './io.js';

export const TRACE_INFO_USAGE = `usage: zablab trace-info <trace.json|trace.ndjson> [--json]

Prints the trace's scenario, protocol, seed, nodes, events by kind, simulated time and
hash (recomputed from the events, and checked against the hash stored in the file).
`;

export function traceInfoCommand(argv: string[]): number {
  const { values, positionals } = parseFlags('trace-info', argv, { json: { type: 'boolean' } }, TRACE_INFO_USAGE);
  if (positionals.length !== 1) throw new UsageError(`takes exactly one trace file, got ${positionals.length} (zablab trace-info --help)`);
  const file = positionals[0];
  const text = readTextFile(file);
  let trace;
  try {
    trace = readTrace(text);
  } catch (error) {
    if (error instanceof TraceFormatError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  const counts: Record<string, number> = {};
  const nodes = new Set<number>();
  for (const event of trace.events) {
    counts[event.kind] = (counts[event.kind] ?? 0) + 1;
    if (event.node >= 0) nodes.add(event.node);
  }
  const simTimeUs = trace.events.length ? trace.events[trace.events.length - 1].timeUs : 0;
  const hashMatches = trace.storedHash === undefined ? null : trace.storedHash === trace.hash;
  if (values.json) {
    out(JSON.stringify({ file, meta: trace.meta, events: trace.events.length, eventsByKind: counts, nodes: [...nodes].sort((a, b) => a - b), simTimeUs, hash: trace.hash, storedHash: trace.storedHash, hashMatches }) + '\n');
  } else {
    const meta = trace.meta;
    const lines = [
      `trace     ${file}`,
      `scenario  ${meta.scenario ?? '(none)'}${meta.title ? ` — ${meta.title}` : ''}`,
      `protocol  ${meta.protocol}   seed ${meta.seed}   servers ${meta.servers}${meta.clients !== undefined ? `   clients ${meta.clients}` : ''}`,
      `events    ${trace.events.length}`,
      ...Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, count]) => `  ${kind.padEnd(12)} ${count}`),
      `sim time  ${formatUs(simTimeUs)} (${simTimeUs} µs)`,
      `hash      ${trace.hash}${hashMatches === false ? `   (MISMATCH: the file says ${trace.storedHash})` : hashMatches ? '   (matches the file)' : ''}`,
    ];
    out(lines.join('\n') + '\n');
  }
  return hashMatches === false ? 1 : 0;
}
