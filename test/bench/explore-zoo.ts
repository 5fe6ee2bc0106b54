/**
 * The bug zoo, exhaustively: for every bug switch, breadth-first exploration of the
 * three-server, one-client, two-write scenario (scenarios/explore/) after the warm-up
 * (time order until 385 ms: a leader, the client's session), at most one crash, to a
 * depth bound and a state budget. Per switch: found or not within the bound, the depth
 * (choices after the warm-up) and length (trace events up to the violation, as the
 * random search counts them) of the shortest counterexample, states and time; beside
 * it the random search's shrunk counterexample from README's bugzoo table (`npm run
 * bugzoo`). Every counterexample found is replayed as `zablab run` would and must
 * reproduce. `--write` replaces the table in README.md between the explorezoo markers.
 *
 * Beside BFS, the explorer's random walks (to 60 choices, --walk-states per switch) on
 * the same space say how deep a bug lies when BFS cannot reach it.
 *
 *   node dist/test/bench/explore-zoo.js [--max-depth D] [--max-states N] [--walk-states N] [--only a,b] [--write]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { allBugs, protocolAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolName } from '../../sim/scenario/types.js';
import { explore } from '../../sim/explore/search.js';
import { counterexampleScenario, replayCounterexample } from '../../sim/explore/counterexample.js';
import { runScenario } from '../../sim/scenario/run.js';
import { replaceReadmeBlock } from './bugzoo.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const WARMUP_MS = 385;

function flag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

/** The random search's shrunk trace length per switch, from README's bugzoo table ("–" if it found none). */
function randomShrunk(readme: string): Map<string, string> {
  const block = readme.slice(readme.indexOf('<!-- bugzoo:start -->'), readme.indexOf('<!-- bugzoo:end -->'));
  const out = new Map<string, string>();
  for (const line of block.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    const events = /\/\s*(\d+)$/.exec(cells[7] ?? '')?.[1];
    out.set(name, events ?? '–');
  }
  return out;
}

/**
 * What each switch's bug story (scenarios/bugs/) needs, from its fault script: the
 * faults a hand-made schedule used to show the bug (crashes, restarts, partitions and
 * cuts, clogs, pauses), and its clients. A reader sees beside each row whether the bug
 * fits the zoo's budget (one crash, no partition) at all.
 */
function storyNeeds(): Map<string, string> {
  const dir = join(ROOT, 'scenarios', 'bugs');
  const out = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const story = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { bugs?: string[]; faults?: { action: string }[]; workload?: { clients?: number } };
    const counts = new Map<string, number>();
    for (const fault of story.faults ?? []) {
      const kind = fault.action === 'cut' || fault.action === 'partition' ? 'partition' : fault.action;
      if (kind === 'heal') continue;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const faults = [...counts].map(([kind, n]) => `${n} ${kind}${n > 1 ? (kind.endsWith('h') ? 'es' : 's') : ''}`).join(', ');
    const clients = story.workload?.clients ?? 0;
    for (const bug of story.bugs ?? []) out.set(bug, `${faults || 'no fault'}; ${clients} client${clients === 1 ? '' : 's'}`);
  }
  return out;
}

const argv = process.argv.slice(2);
/** Random walks: to this depth, this many states per switch. */
const WALK_DEPTH = 60;
const WALK_STATES = Number(flag(argv, '--walk-states') ?? 50_000);
const maxDepth = Number(flag(argv, '--max-depth') ?? 14);
const maxStates = Number(flag(argv, '--max-states') ?? 50_000);
const only = flag(argv, '--only')?.split(',');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const shrunk = randomShrunk(readme);
const needs = storyNeeds();
const base = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const rows: string[] = [];
const started = performance.now();
let found = 0;
let total = 0;
for (const bug of allBugs()) {
  if (only !== undefined && !only.includes(bug.name)) continue;
  total++;
  const adapter = protocolAdapter(bug.protocol);
  const scenario = { ...base, bugs: [bug.name] };
  const start = performance.now();
  const result = explore(scenario, adapter, { strategy: 'bfs', maxDepth, maxStates, seed: 1, prefix: [{ e: 'run', untilMs: WARMUP_MS }], budgets: { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: base.durationMs * 1000 } });
  const seconds = (performance.now() - start) / 1000;
  let cells: string;
  if (result.violation !== null) {
    found++;
    const file = counterexampleScenario(scenario, bug.protocol as ProtocolName, 1, result.violation, 'bfs');
    const replayed = replayCounterexample(file, adapter, result.violation);
    if (!replayed.reproduced) throw new Error(`${bug.name}: the counterexample did not replay`);
    const run = runScenario(file, adapter, { seed: 1, keepTrace: true });
    const events = run.trace!.events;
    let last = events.length - 1;
    while (last >= 0 && events[last].kind !== 'violation') last--;
    const warm = result.violation.depth === 0 && result.violation.schedule.length === 1 ? ' (in the warm-up)' : '';
    cells = `${result.violation.invariant}${warm} | ${result.violation.depth} | ${last + 1} | ${result.unique} | ${seconds.toFixed(1)} s`;
  } else {
    // Without a violation, every schedule up to the last complete level was checked.
    const checked = result.exhausted ? maxDepth : result.depth - 1;
    cells = `no: none in any schedule of ≤ ${checked} choices${result.exhausted ? '' : ` (${maxStates} states)`} | – | – | ${result.unique} | ${seconds.toFixed(1)} s`;
  }
  // The explorer's random walks over the same space, unbounded in depth up to WALK_DEPTH: how deep the bug lies, when BFS cannot reach it.
  const walks = explore(scenario, adapter, { strategy: 'random', maxDepth: WALK_DEPTH, maxStates: WALK_STATES, seed: 1, prefix: [{ e: 'run', untilMs: WARMUP_MS }], budgets: { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: base.durationMs * 1000 } });
  const walked = walks.violation !== null ? `${walks.violation.invariant} at depth ${walks.violation.depth} (${walks.states} states)` : `no (${walks.states} states)`;
  const row = `| \`${bug.name}\` | ${bug.protocol} | ${cells} | ${walked} | ${shrunk.get(bug.name) ?? '–'} | ${needs.get(bug.name) ?? '–'} |`;
  rows.push(row);
  process.stderr.write(row + '\n');
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const table = [
  '| switch | protocol | found by BFS | depth (choices after the warm-up) | counterexample length (trace events) | unique states | time | random walks (≤ ' + WALK_DEPTH + ' choices) | random search, shrunk (trace events) | its bug story (scenarios/bugs/) uses |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `_Generated by \`npm run explorezoo\` (depth ≤ ${maxDepth}, ≤ ${maxStates} states, ≤ 1 crash, warm-up ${WARMUP_MS} ms) in ${minutes} min: ${found} of ${total} switches found._`,
].join('\n');
process.stdout.write(table + '\n');
if (argv.includes('--write')) replaceReadmeBlock('explorezoo', table);
