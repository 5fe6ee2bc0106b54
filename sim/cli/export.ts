/** `zablab export <trace> --format edn|shiviz|json [--out FILE]`. */
import { parseArgs } from 'node:util';
import { readTrace, TraceFormatError } from '../core/trace.js';
import { traceHistoryToEdn, traceToShiViz } from '../check/export.js';
import { UsageError, out, readTextFile, writeTextFile } from './io.js';

export const EXPORT_USAGE = `usage: zablab export <trace> --format edn|shiviz|json [--out FILE]

  edn     the client history as Jepsen EDN (for Knossos, Elle, Porcupine)
  shiviz  the message log with vector clocks, for ShiViz
  json    the client history as zablab's JSON history form (for zablab check)
`;

export function exportCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, options: { format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  if (values.help) {
    out(EXPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`export takes exactly one trace file\n${EXPORT_USAGE}`);
  const format = values.format;
  if (format !== 'edn' && format !== 'shiviz' && format !== 'json') throw new UsageError(`--format must be edn, shiviz or json, got ${JSON.stringify(format)}`);
  const file = positionals[0];
  let trace;
  try {
    trace = readTrace(readTextFile(file));
  } catch (error) {
    if (error instanceof TraceFormatError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  let text: string;
  if (format === 'edn') text = traceHistoryToEdn(trace.events);
  else if (format === 'shiviz') text = traceToShiViz(trace.events, trace.meta.servers);
  else {
    const history = trace.events
      .filter((e) => e.kind === 'invoke' || e.kind === 'complete')
      .map((e) => ({ type: e.kind === 'invoke' ? 'invoke' : e.result, process: e.process, f: e.f, value: e.value, timeUs: e.timeUs }));
    text = JSON.stringify(history) + '\n';
  }
  if (values.out) writeTextFile(values.out, text);
  else out(text);
  return 0;
}
