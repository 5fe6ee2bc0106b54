/** `zablab shrink <scenario> [run's flags] [--out FILE]`. */
import { shrinkScenario } from '../scenario/shrink.js';
import { protocolAdapter } from '../scenario/protocols.js';
import { parseFlags, parseUint } from './args.js';
import { UsageError, out } from './io.js';
import { parseMaxEvents } from './limits.js';
import { checkOutputFile, writeOutputFile } from './outputs.js';
import { parseProtocol, parseSeed, protocolsOf, RUN_FLAGS, withBugs } from './run.js';
import { loadScenario } from './scenarios.js';

export const SHRINK_USAGE = `usage: zablab shrink <scenario> [--seed N] [--protocol zab|paxos] [--bug NAME]… [--max-events N] [--out FILE] [--force] [--max-runs N]

Minimises a failing run — fewer and shorter faults, fewer clients and operations, a
shorter story, fewer servers — while the same expectation still fails, and writes the
smallest scenario found to FILE (default <name>-shrunk.json), with everything that
shaped the run: its seed, protocol and bug switches. The run is the one \`zablab run\`
makes with the same flags. An existing FILE is replaced only with --force, the
scenario never.
Exit: 0 shrunk, 1 the run does not fail, 2 bad input.
`;

export function shrinkCommand(argv: string[]): number {
  const { values, positionals } = parseFlags('shrink', argv, { ...RUN_FLAGS, out: { type: 'string' }, force: { type: 'boolean' }, 'max-runs': { type: 'string' } }, SHRINK_USAGE);
  if (positionals.length !== 1) throw new UsageError(`takes exactly one scenario, got ${positionals.length} (zablab shrink --help)`);
  const maxRuns = values['max-runs'] === undefined ? undefined : parseUint(values['max-runs'], '--max-runs');
  const maxEvents = parseMaxEvents(values['max-events']);
  const requested = parseProtocol(values.protocol);
  const loaded = loadScenario(positionals[0]);
  const seed = parseSeed(values.seed) ?? loaded.scenario.seed ?? 1;
  const protocol = requested ?? protocolsOf(loaded.scenario)[0];
  if (protocol === undefined) throw new UsageError(`${loaded.file}: none of its protocols (${(loaded.scenario.protocols ?? []).join(', ')}) is available`);
  const scenario = withBugs(loaded.scenario, values.bug, protocol);
  const file = values.out ?? `${loaded.name.replace(/[\\/]/g, '_')}-shrunk.json`;
  const rules = { flag: '--out', inputs: [loaded.file], force: values.force === true };
  checkOutputFile(file, rules);
  let result;
  try {
    result = shrinkScenario(scenario, protocolAdapter(protocol), seed, { maxRuns, name: loaded.name, maxEvents });
  } catch (error) {
    if ((error as Error).message.includes('does not fail')) {
      out(`${loaded.name} passes on ${protocol} with seed ${seed}: nothing to shrink\n`);
      return 1;
    }
    throw error;
  }
  writeOutputFile(file, JSON.stringify(result.scenario, null, 2) + '\n', rules);
  const o = result.original;
  const s = result.shrunk;
  out(
    `shrunk ${loaded.name} (${protocol}, seed ${seed}) in ${result.runs} runs; still fails: ${result.failing.join('; ')}\n` +
      `  faults ${o.faults} → ${s.faults}, clients ${o.clients} → ${s.clients}, operations ${o.ops} → ${s.ops}, servers ${o.servers} → ${s.servers}, events ${o.events} → ${s.events}\n` +
      `  written to ${file}; reproduce with: zablab run ${file}\n`,
  );
  return 0;
}
