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
 * the same space say how deep a bug lies when BFS cannot reach it; where a walk breaks an
 * invariant, BFS from its schedule without the last --guided-tail choices (guided.ts)
 * finds the shortest way from there, replayed like the others. The last column sorts
 * each switch: found by BFS; shown within the budget (by the guided BFS); beyond the
 * budget by its story (what the story uses that the budget does not allow: a second
 * crash, a partition, more clients; a smaller schedule is not excluded); or within it
 * by its story but deeper than the bound, with the estimate.
 *
 *   node dist/test/bench/explore-zoo.js [--max-depth D] [--max-states N] [--walk-states N] [--guided-tail K] [--only a,b] [--write]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { allBugs, protocolAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolName } from '../../sim/scenario/types.js';
import { explore, type Counterexample } from '../../sim/explore/search.js';
import { guidedBfs } from '../../sim/explore/guided.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import type { Scenario } from '../../sim/scenario/types.js';
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

/** What a switch's bug story (scenarios/bugs/) uses: its faults by kind, and its clients. */
interface StoryNeeds {
  faults: Map<string, number>;
  clients: number;
}

/**
 * What each switch's bug story (scenarios/bugs/) needs, from its fault script: the
 * faults a hand-made schedule used to show the bug (crashes, restarts, partitions and
 * cuts, clogs, pauses), and its clients. A reader sees beside each row whether the bug
 * fits the zoo's budget (one crash, no partition) at all.
 */
function readStoryNeeds(): Map<string, StoryNeeds> {
  const dir = join(ROOT, 'scenarios', 'bugs');
  const out = new Map<string, StoryNeeds>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const story = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { bugs?: string[]; faults?: { action: string }[]; workload?: { clients?: number } };
    const faults = new Map<string, number>();
    for (const fault of story.faults ?? []) {
      const kind = fault.action === 'cut' || fault.action === 'partition' ? 'partition' : fault.action;
      if (kind === 'heal') continue;
      faults.set(kind, (faults.get(kind) ?? 0) + 1);
    }
    for (const bug of story.bugs ?? []) out.set(bug, { faults, clients: story.workload?.clients ?? 0 });
  }
  return out;
}

function describeNeeds(needs: StoryNeeds | undefined): string {
  if (needs === undefined) return '–';
  const faults = [...needs.faults].map(([kind, n]) => `${n} ${kind}${n > 1 ? (kind.endsWith('h') ? 'es' : 's') : ''}`).join(', ');
  return `${faults || 'no fault'}; ${needs.clients} client${needs.clients === 1 ? '' : 's'}`;
}

/** What the story uses beyond the zoo's budget (one client, two writes, one crash and its restart, nothing else), or null. */
function beyondBudget(needs: StoryNeeds | undefined): string | null {
  if (needs === undefined) return null;
  const over: string[] = [];
  for (const [kind, n] of needs.faults) {
    if (kind === 'crash' && n > 1) over.push(`${n} crashes`);
    else if (kind === 'restart' && n > 1) over.push(`${n} restarts`);
    else if (kind !== 'crash' && kind !== 'restart') over.push(`${n} ${kind}${n > 1 ? 's' : ''}`);
  }
  if (needs.clients > 1) over.push(`${needs.clients} clients`);
  return over.length > 0 ? over.join(', ') : null;
}

const argv = process.argv.slice(2);
/** Random walks: to this depth, this many states per switch. */
const WALK_DEPTH = 60;
const WALK_STATES = Number(flag(argv, '--walk-states') ?? 50_000);
const maxDepth = Number(flag(argv, '--max-depth') ?? 14);
const maxStates = Number(flag(argv, '--max-states') ?? 100_000);
/** Guided BFS: the random walk's counterexample without its last GUIDED_TAIL choices is the start. */
const GUIDED_TAIL = Number(flag(argv, '--guided-tail') ?? 10);
const only = flag(argv, '--only')?.split(',');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const shrunk = randomShrunk(readme);
const storyNeeds = readStoryNeeds();
const base = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const rows: string[] = [];
const started = performance.now();
let found = 0;
let guidedFound = 0;
let total = 0;
const BUDGETS = { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: base.durationMs * 1000 };

/** Replays a counterexample as `zablab run` does (it must reproduce) and returns its length in trace events up to the violation. */
function replayedLength(scenario: Scenario, protocol: ProtocolName, adapter: ProtocolAdapter, found: Counterexample, name: string): number {
  const file = counterexampleScenario(scenario, protocol, 1, found, 'bfs');
  const replayed = replayCounterexample(file, adapter, found);
  if (!replayed.reproduced) throw new Error(`${name}: the counterexample did not replay`);
  const events = runScenario(file, adapter, { seed: 1, keepTrace: true }).trace!.events;
  let last = events.length - 1;
  while (last >= 0 && events[last].kind !== 'violation') last--;
  return last + 1;
}

/** Unique states 10 choices deeper than a bound with `unique` of them, at the ~3× per choice the space grows. */
function estimate(unique: number): string {
  return (unique * 3 ** 10).toExponential(1);
}
for (const bug of allBugs()) {
  if (only !== undefined && !only.includes(bug.name)) continue;
  total++;
  const adapter = protocolAdapter(bug.protocol);
  const scenario = { ...base, bugs: [bug.name] };
  const start = performance.now();
  const result = explore(scenario, adapter, { strategy: 'bfs', maxDepth, maxStates, seed: 1, prefix: [{ e: 'run', untilMs: WARMUP_MS }], budgets: BUDGETS });
  const seconds = (performance.now() - start) / 1000;
  let cells: string;
  let bfsFound = false;
  if (result.violation !== null) {
    found++;
    bfsFound = true;
    const warm = result.violation.depth === 0 && result.violation.schedule.length === 1 ? ' (in the warm-up)' : '';
    cells = `${result.violation.invariant}${warm} | ${result.violation.depth} | ${replayedLength(scenario, bug.protocol as ProtocolName, adapter, result.violation, bug.name)} | ${result.unique} | ${seconds.toFixed(1)} s`;
  } else {
    // Without a violation, every schedule up to the last complete level was checked.
    const checked = result.exhausted ? maxDepth : result.depth - 1;
    cells = `no: none in any schedule of ≤ ${checked} choices${result.exhausted ? '' : ` (${maxStates} states)`} | – | – | ${result.unique} | ${seconds.toFixed(1)} s`;
  }
  // The explorer's random walks over the same space, unbounded in depth up to WALK_DEPTH: how deep the bug lies, when BFS cannot reach it.
  const walks = explore(scenario, adapter, { strategy: 'random', maxDepth: WALK_DEPTH, maxStates: WALK_STATES, seed: 1, prefix: [{ e: 'run', untilMs: WARMUP_MS }], budgets: BUDGETS });
  const walked = walks.violation !== null ? `${walks.violation.invariant} at depth ${walks.violation.depth} (${walks.states} states)` : `no (${walks.states} states)`;
  // BFS from the walk's counterexample without its tail: the shortest way through the region the walk found.
  let guided = '–';
  if (walks.violation !== null && walks.violation.depth > GUIDED_TAIL) {
    const { result: g, prefixSteps } = guidedBfs(scenario, adapter, walks.violation, GUIDED_TAIL, { maxStates, seed: 1, budgets: BUDGETS });
    if (g.violation !== null) {
      if (!bfsFound) guidedFound++;
      const from = prefixSteps - (walks.violation.schedule.length - walks.violation.depth);
      guided = `${g.violation.invariant} at ${from} + ${g.violation.depth} choices (walk: ${walks.violation.depth}), ${replayedLength(scenario, bug.protocol as ProtocolName, adapter, g.violation, bug.name)} events`;
    } else {
      guided = `none within ${GUIDED_TAIL} choices of the walk's choice ${walks.violation.depth - GUIDED_TAIL}`;
    }
  }
  const needs = storyNeeds.get(bug.name);
  const over = beyondBudget(needs);
  const verdict = bfsFound ? 'found by BFS' : guided !== '–' && !guided.startsWith('none') ? 'shows within the budget; BFS finds it from the walk\'s region, beyond the exhaustive bound from the warm-up' : over !== null ? `its story needs ${over}: beyond the budget (a smaller schedule is not excluded)` : `${needs === undefined ? 'no story to judge the budget by' : 'within the budget by its story'}; not reached: deeper than ${result.exhausted ? maxDepth : result.depth - 1} choices (≈ ${estimate(result.unique)} unique states 10 choices deeper)`;
  const row = `| \`${bug.name}\` | ${bug.protocol} | ${cells} | ${walked} | ${guided} | ${shrunk.get(bug.name) ?? '–'} | ${describeNeeds(needs)} | ${verdict} |`;
  rows.push(row);
  process.stderr.write(row + '\n');
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const table = [
  '| switch | protocol | found by BFS | depth (choices after the warm-up) | counterexample length (trace events) | unique states | time | random walks (≤ ' + WALK_DEPTH + ' choices) | BFS from the walk\'s choice n − ' + GUIDED_TAIL + ' | random search, shrunk (trace events) | its bug story (scenarios/bugs/) uses | so |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `_Generated by \`npm run explorezoo\` (depth ≤ ${maxDepth}, ≤ ${maxStates} states, ≤ 1 crash, warm-up ${WARMUP_MS} ms, sleep-set reduction) in ${minutes} min: ${found} of ${total} switches found by BFS from the warm-up, ${guidedFound} more by BFS from a random walk's region._`,
].join('\n');
process.stdout.write(table + '\n');
if (argv.includes('--write')) replaceReadmeBlock('explorezoo', table);
