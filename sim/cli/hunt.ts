/** `zablab hunt --bug NAME [--protocol P] [--seed K] [--runs N] [--generator G] [--out FILE]`. */
import { HUNT_GENERATORS, huntBug, type HuntGenerator } from '../scenario/hunt.js';
import { allBugs, protocolAdapter } from '../scenario/protocols.js';
import { parseFlags, parseUint } from './args.js';
import { UsageError, out } from './io.js';
import { parseMaxEvents } from './limits.js';
import { checkOutputFile, writeOutputFile } from './outputs.js';
import { progressLine } from './progress.js';
import { parseProtocol, parseSeed } from './run.js';

export const HUNT_USAGE = `usage: zablab hunt --bug NAME [--protocol zab|paxos] [--seed K] [--runs N] [--generator mixed|swarm|classic] [--max-events N] [--out FILE] [--force] [--json]

Random search for a bug switch, with no fault script: random clusters, workloads and
fault schedules with the switch on, until an expectation fails; the failing run is
then shrunk and written to FILE (default hunt-<bug>.json). --generator: the swarm's
draws (zablab swarm), the hunt's classic profile, or each run one of them (mixed, the
default). --seed (or --search-seed) is the search seed, an unsigned 32-bit integer:
the same seed finds the same run. --protocol, if given, must be the bug's. The file
holds the run's seed, protocol and bug switch; an existing FILE is replaced only with
--force. --max-events bounds each run (default 10000000); a run stopped there has no
verdict and does not count as found. Exit 0 found, 1 not found, 2 bad input.
`;

export function huntCommand(argv: string[]): number {
  const { values } = parseFlags(
    'hunt',
    argv,
    { bug: { type: 'string' }, protocol: { type: 'string' }, seed: { type: 'string' }, runs: { type: 'string' }, 'search-seed': { type: 'string' }, generator: { type: 'string' }, 'max-events': { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
    HUNT_USAGE,
    false,
  );
  const bug = allBugs().find((b) => b.name === values.bug);
  // hunt searches for one switch's bug; with every switch off, `sweep` or `swarm` runs the correct code.
  if (values.bug === undefined) throw new UsageError('--bug NAME is required: hunt looks for one bug switch (zablab bugs lists them); to search the correct code, use sweep or swarm');
  if (bug === undefined) throw new UsageError(`--bug must name a bug switch (zablab bugs lists them), got ${JSON.stringify(values.bug)}`);
  const protocol = parseProtocol(values.protocol);
  if (protocol !== undefined && protocol !== bug.protocol) throw new UsageError(`--bug ${bug.name} is a ${bug.protocol} bug switch, not a ${protocol} one`);
  const maxRuns = values.runs === undefined ? 2_000 : parseUint(values.runs, '--runs');
  if (values.seed !== undefined && values['search-seed'] !== undefined) throw new UsageError('give --seed or --search-seed, not both (they are the same)');
  const searchSeed = parseSeed(values.seed ?? values['search-seed'], values.seed !== undefined ? '--seed' : '--search-seed') ?? 1;
  if (values.generator !== undefined && !(HUNT_GENERATORS as readonly string[]).includes(values.generator)) throw new UsageError(`--generator must be one of ${HUNT_GENERATORS.join(', ')}, got ${JSON.stringify(values.generator)}`);
  const maxEvents = parseMaxEvents(values['max-events']);
  const file = values.out ?? `hunt-${bug.name}.json`;
  const rules = { flag: '--out', inputs: [], force: values.force === true };
  checkOutputFile(file, rules);
  const progress = progressLine();
  const started = performance.now();
  const result = huntBug(protocolAdapter(bug.protocol), bug.name, {
    searchSeed,
    maxRuns,
    generator: values.generator as HuntGenerator | undefined,
    maxEvents,
    onRun: (run, of) => progress.update(`hunt ${bug.name}: run ${run} of at most ${of}, ${((performance.now() - started) / 1000).toFixed(1)} s`),
  });
  progress.done();
  if (result.found) {
    // Everything that shaped the run goes into the file: the bug switch, protocol and seed.
    const found = result.shrunk?.scenario ?? result.scenario!;
    const saved = { ...found, protocols: [bug.protocol], seed: found.seed ?? result.seed, bugs: [...new Set([...(found.bugs ?? []), bug.name])] };
    writeOutputFile(file, JSON.stringify(saved, null, 2) + '\n', rules);
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
