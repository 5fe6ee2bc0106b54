/** `zablab hunt --bug NAME [--runs N] [--search-seed K] [--generator G] [--out FILE]`. */
import { parseArgs } from 'node:util';
import { HUNT_GENERATORS, huntBug, type HuntGenerator } from '../scenario/hunt.js';
import { allBugs, protocolAdapter } from '../scenario/protocols.js';
import { UsageError, out, writeTextFile } from './io.js';
import { parseSeed } from './run.js';

export const HUNT_USAGE = `usage: zablab hunt --bug NAME [--runs N] [--search-seed K] [--generator mixed|swarm|classic] [--out FILE] [--json]

Random search for a bug switch, with no fault script: random clusters, workloads and
fault schedules with the switch on, until an expectation fails; the failing run is
then shrunk and written to FILE (default hunt-<bug>.json). --generator: the swarm's
draws (zablab swarm), the hunt's classic profile, or each run one of them (mixed, the
default). Exit 0 found, 1 not found.
`;

export function huntCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { bug: { type: 'string' }, runs: { type: 'string' }, 'search-seed': { type: 'string' }, generator: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    out(HUNT_USAGE);
    return 0;
  }
  const bug = allBugs().find((b) => b.name === values.bug);
  if (bug === undefined) throw new UsageError(`--bug must name a bug switch (zablab bugs lists them), got ${JSON.stringify(values.bug)}`);
  const maxRuns = parseSeed(values.runs, '--runs') ?? 2_000;
  const searchSeed = parseSeed(values['search-seed'], '--search-seed') ?? 1;
  if (values.generator !== undefined && !(HUNT_GENERATORS as readonly string[]).includes(values.generator)) throw new UsageError(`--generator must be one of ${HUNT_GENERATORS.join(', ')}, got ${JSON.stringify(values.generator)}`);
  const result = huntBug(protocolAdapter(bug.protocol), bug.name, { searchSeed, maxRuns, generator: values.generator as HuntGenerator | undefined });
  if (result.found) {
    const file = values.out ?? `hunt-${bug.name}.json`;
    writeTextFile(file, JSON.stringify(result.shrunk?.scenario ?? result.scenario, null, 2) + '\n');
    if (values.json) out(JSON.stringify({ bug: bug.name, protocol: bug.protocol, found: true, runs: result.runs, seed: result.seed, failed: result.failed, shrunk: result.shrunk && { original: result.shrunk.original, shrunk: result.shrunk.shrunk }, file }) + '\n');
    else {
      out(`found ${bug.name} (${bug.protocol}) after ${result.runs} random run(s), seed ${result.seed}:\n  ${result.failed!.join('\n  ')}\n`);
      if (result.shrunk) {
        const o = result.shrunk.original;
        const s = result.shrunk.shrunk;
        out(`shrunk: faults ${o.faults} → ${s.faults}, clients ${o.clients} → ${s.clients}, operations ${o.ops} → ${s.ops}, events ${o.events} → ${s.events}\n`);
      }
      out(`written to ${file}; reproduce with: zablab run ${file}\n`);
    }
    return 0;
  }
  if (values.json) out(JSON.stringify({ bug: bug.name, protocol: bug.protocol, found: false, runs: result.runs }) + '\n');
  else out(`${bug.name} not found in ${result.runs} random runs (search seed ${searchSeed})\n`);
  return 1;
}
