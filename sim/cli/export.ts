/** `zablab export <trace> --format edn|shiviz|json [--out FILE]`. */
import { readTrace, TraceFormatError } from '../core/trace.js';
import { traceHistoryToEdn, traceToShiViz } from '../check/export.js';
import { parseFlags } from './args.js';
import { UsageError, out, readTextFile } from './io.js';
import { checkOutputFile, writeOutputFile } from './outputs.js';

export const EXPORT_USAGE = `usage: zablab export <trace> --format edn|shiviz|json [--out FILE] [--force]

Writes to FILE (an existing one only with --force, the trace never), else to stdout.

  edn     the client history as Jepsen EDN (for Knossos, Elle, Porcupine)
  shiviz  the message log with vector clocks, for ShiViz
  json    the client history as zablab's JSON history form (for zablab check)
`;

export function exportCommand(argv: string[]): number {
  const { values, positionals } = parseFlags('export', argv, { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } }, EXPORT_USAGE);
  if (positionals.length !== 1) throw new UsageError(`takes exactly one trace file, got ${positionals.length} (zablab export --help)`);
  const format = values.format;
  if (format !== 'edn' && format !== 'shiviz' && format !== 'json') throw new UsageError(`--format must be edn, shiviz or json, got ${JSON.stringify(format)}`);
  const file = positionals[0];
  const rules = { flag: '--out', inputs: [file], force: values.force === true };
  if (values.out !== undefined) checkOutputFile(values.out, rules);
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
  if (values.out !== undefined) writeOutputFile(values.out, text, rules);
  else out(text);
  return 0;
}
