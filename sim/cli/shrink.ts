/** `zablab shrink <scenario> --seed N [--protocol P] [--out FILE]`. */
import { parseArgs } from 'node:util';
import { shrinkScenario } from '../scenario/shrink.js';
import { protocolAdapter } from '../scenario/protocols.js';
import { UsageError, out, writeTextFile } from './io.js';
import { parseProtocol, parseSeed, protocolsOf } from './run.js';
import { loadScenario } from './scenarios.js';

export const SHRINK_USAGE = `usage: zablab shrink <scenario> --seed N [--protocol zab|paxos] [--out FILE] [--max-runs N]

Minimises a failing run — fewer and shorter faults, fewer clients and operations, a
shorter story, fewer servers — while the same expectation still fails, and writes the
smallest scenario found (with its seed) to FILE (default <name>-shrunk.json).
Exit: 0 shrunk, 1 the run does not fail, 2 bad input.
`;

export function shrinkCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { seed: { type: 'string' }, protocol: { type: 'string' }, out: { type: 'string' }, 'max-runs': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out(SHRINK_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`shrink takes exactly one scenario\n${SHRINK_USAGE}`);
  const loaded = loadScenario(positionals[0]);
  const seed = parseSeed(values.seed) ?? loaded.scenario.seed ?? 1;
  const protocol = parseProtocol(values.protocol) ?? protocolsOf(loaded.scenario)[0];
  const maxRuns = values['max-runs'] === undefined ? undefined : parseSeed(values['max-runs'], '--max-runs');
  let result;
  try {
    result = shrinkScenario(loaded.scenario, protocolAdapter(protocol), seed, { maxRuns, name: loaded.name });
  } catch (error) {
    if ((error as Error).message.includes('does not fail')) {
      out(`${loaded.name} passes on ${protocol} with seed ${seed}: nothing to shrink\n`);
      return 1;
    }
    throw error;
  }
  const file = values.out ?? `${loaded.name.replace(/[\\/]/g, '_')}-shrunk.json`;
  writeTextFile(file, JSON.stringify(result.scenario, null, 2) + '\n');
  const o = result.original;
  const s = result.shrunk;
  out(
    `shrunk ${loaded.name} (${protocol}, seed ${seed}) in ${result.runs} runs; still fails: ${result.failing.join('; ')}\n` +
      `  faults ${o.faults} → ${s.faults}, clients ${o.clients} → ${s.clients}, operations ${o.ops} → ${s.ops}, servers ${o.servers} → ${s.servers}, events ${o.events} → ${s.events}\n` +
      `  written to ${file}; reproduce with: zablab run ${file}\n`,
  );
  return 0;
}
