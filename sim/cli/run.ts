/** `zablab run`, `zablab suite`, `zablab list`, `zablab schema`, `zablab bugs`. */
import { traceToJson, traceToNdjson } from '../core/trace.js';
import { formatUs } from '../core/time.js';
import { failedExpectations, runScenario, type ExpectationStatus, type RunResult } from '../scenario/run.js';
import { allBugs, protocolAdapter, PROTOCOLS } from '../scenario/protocols.js';
import { SCENARIO_SCHEMA } from '../scenario/schema.js';
import { describeReads } from '../scenario/reads.js';
import { describeAvailability } from '../check/availability.js';
import { PROTOCOL_NAMES, type ProtocolName, type Scenario } from '../scenario/types.js';
import { parseFlags, parseSeedValue } from './args.js';
import { LimitReached, UsageError, out } from './io.js';
import { eventsLimitMessage, parseMaxEvents } from './limits.js';
import { checkOutputFile, writeOutputFile } from './outputs.js';
import { progressLine } from './progress.js';
import { ScheduleError } from '../explore/scheduler.js';
import { listScenarioFiles, loadScenario, wrap } from './scenarios.js';
import { refuseToOverwrite, shellWord, writeReport } from './report.js';
import { runReportPage } from './run-report.js';

/** --seed N: an unsigned 32-bit integer, parsed exactly. */
export function parseSeed(value: string | undefined, flag = '--seed'): number | undefined {
  return value === undefined ? undefined : parseSeedValue(value, flag);
}

/** The flags that shape a run, the same for run, sweep, shrink and hunt. */
export const RUN_FLAGS = {
  seed: { type: 'string' },
  protocol: { type: 'string' },
  bug: { type: 'string', multiple: true },
  'max-events': { type: 'string' },
} as const;

export function parseProtocol(value: string | undefined): ProtocolName | undefined {
  if (value === undefined) return undefined;
  if (!(PROTOCOL_NAMES as readonly string[]).includes(value)) throw new UsageError(`--protocol must be one of ${PROTOCOL_NAMES.join(', ')}, got ${JSON.stringify(value)}`);
  if (PROTOCOLS[value as ProtocolName] === undefined) throw new UsageError(`protocol ${value} is not available in this build`);
  return value as ProtocolName;
}

export function protocolsOf(scenario: Scenario): ProtocolName[] {
  return (scenario.protocols ?? ['zab']).filter((p) => PROTOCOLS[p] !== undefined);
}

const tick = (ok: boolean) => (ok ? '✓' : '✗');
/** ✓ met, ✗ failed, – skipped (never evaluated: the run halted first). */
const mark = (status: ExpectationStatus) => (status === 'ok' ? '✓' : status === 'failed' ? '✗' : '–');

function primaryOrderLine(po: RunResult['primaryOrder']): string {
  const verdict = po.ok ? `✓ holds over ${po.commits} applied txns` : `✗ ${po.violations[0].invariant} on node ${po.violations[0].node}: ${po.violations[0].message}`;
  if (po.discarded === 0) return verdict;
  return `${verdict}; ${po.discarded} chosen out of primary order were discarded by the stale-txn guard, not applied (${po.firstDiscarded})`;
}

function livenessLine(result: RunResult): string {
  const { liveness, halted } = result;
  if (liveness.status === 'skipped') return `– skipped: the run halted at ${halted?.invariant ?? 'an invariant violation'} before the liveness phase`;
  if (liveness.status === 'ok') return '✓ every server caught up and on one tree when the quiet time ended';
  const why = (liveness.why ?? []).map((sentence) => `\n               why: ${sentence}`).join('');
  return `✗ not converged when the quiet time ended (liveness, not safety): ${liveness.problems.slice(0, 3).join('; ')}${why}`;
}

export function formatReport(result: RunResult, scenario: Scenario, traceFile?: string): string {
  const lines: string[] = [];
  lines.push(`▶ ${scenario.title}   [${result.scenario} · ${result.protocol} · seed ${result.seed}]`);
  lines.push('');
  lines.push(wrap(scenario.explanation));
  lines.push('');
  for (const warning of result.warnings) lines.push(`  note         ${warning}`);
  const leaders = result.leaders.map((l) => `${l.node} (epoch ${l.epoch}) at ${formatUs(l.atUs)}`);
  lines.push(`  leaders      ${leaders.length ? leaders.slice(0, 6).join(', ') + (leaders.length > 6 ? `, … (${leaders.length} in all)` : '') : 'none'}`);
  const faults = result.faults.map((f) => `${f.action} ${f.client !== undefined ? `client ${f.client}` : `[${f.nodes.join(',')}]`} at ${formatUs(f.atUs)}`);
  lines.push(`  faults       ${faults.length ? faults.slice(0, 6).join('; ') + (faults.length > 6 ? `; … (${faults.length} in all)` : '') : 'none'}`);
  lines.push(`  operations   ${result.ops.total} invoked: ${result.ops.ok} ok, ${result.ops.fail} failed, ${result.ops.info} unknown, ${result.ops.pending} pending`);
  lines.push(`  invariants   ${tick(result.invariants.ok)} ${result.invariants.ok ? 'all hold' : result.invariants.violations.map((v) => `${v.invariant}: ${v.message}`).slice(0, 3).join('; ')}`);
  const lin = result.linearizability;
  lines.push(`  history      ${lin.verdict === 'skipped' ? '– no client operations' : `${tick(lin.verdict === 'linearizable')} ${lin.verdict} (${lin.model}, ${lin.ops} ops)`}`);
  if (result.recipe !== undefined) lines.push(`  recipe       ${tick(result.recipe.verdict === 'holds')} ${result.recipe.recipe}: ${result.recipe.summary}`);
  if (lin.explanation && lin.verdict === 'not-linearizable') lines.push(wrap(lin.explanation, 100, '               ').trimStart().replace(/^/, '               '));
  if (result.reads !== undefined) {
    describeReads(result.reads).forEach((line, i) => lines.push(`${i === 0 ? '  reads        ' : '               '}${wrap(line, 100, '               ').trimStart()}`));
  }
  describeAvailability(result.availability).forEach((line, i) => lines.push(`${i === 0 ? '  availability ' : '               '}${line}`));
  lines.push(`  primary order ${primaryOrderLine(result.primaryOrder)}`);
  lines.push(`  liveness     ${livenessLine(result)}`);
  if (result.serverErrors.length > 0) {
    const first = result.serverErrors[0];
    lines.push(`  errors       ${result.serverErrors.length} logged by servers; first: server ${first.node} at ${(first.atUs / 1000).toFixed(3)} ms in ${first.where}: ${first.text}`);
  }
  lines.push(`  trace        ${result.traceHash} · ${result.events} events · ${formatUs(result.simTimeUs)} simulated${traceFile ? ` · written to ${traceFile}` : ''}`);
  lines.push('');
  lines.push('  expectations');
  for (const e of result.expectations) lines.push(`   ${mark(e.status)} ${e.name} — ${e.detail}`);
  lines.push('');
  lines.push(result.limit !== undefined ? `  STOPPED at the events limit (${result.limit.maxEvents} events): no verdict` : result.ok ? '  PASS' : '  FAIL');
  return lines.join('\n') + '\n';
}

export function resultJson(result: RunResult): Record<string, unknown> {
  const { trace: _trace, history: _history, ...rest } = result;
  return rest;
}

/** Runs a scenario; a schedule step that cannot happen is bad input, naming the step. */
export function runScheduled<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ScheduleError) throw new UsageError(`${file}: $.schedule[${error.index}]: ${error.message}`);
    throw error;
  }
}

/** Adds --bug switches to a scenario, checking that each exists for the protocol. */
export function withBugs(scenario: Scenario, bugs: string[] | undefined, protocol: string): Scenario {
  if (bugs === undefined || bugs.length === 0) return scenario;
  const known = allBugs().filter((b) => b.protocol === protocol);
  for (const bug of bugs) {
    if (known.some((b) => b.name === bug)) continue;
    const other = allBugs().find((b) => b.name === bug);
    if (other !== undefined) throw new UsageError(`--bug ${bug}: a ${other.protocol} bug switch, and this run is ${protocol}: pass --protocol ${other.protocol}`);
    throw new UsageError(`--bug ${bug}: not a ${protocol} bug switch (zablab bugs lists them: ${known.map((b) => b.name).join(', ')})`);
  }
  return { ...scenario, bugs: [...new Set([...(scenario.bugs ?? []), ...bugs])] };
}

export const RUN_USAGE = `usage: zablab run <scenario> [--seed N] [--protocol zab|paxos] [--bug NAME]… [--max-events N] [--trace FILE] [--report FILE.html] [--force] [--json]

Runs a scenario (a path, or a name from \`zablab list\`) and reports the story, the
elections, faults and operations, the invariant and linearizability results, and each
expectation. --seed is an unsigned 32-bit integer (0..4294967295). --bug switches a bug
on (zablab bugs lists them). --trace writes the trace (NDJSON if FILE ends in .ndjson,
else JSON). --report writes one self-contained HTML page (no network needed): the
story, the verdicts, the availability figures, the latency, throughput and fault plots,
the linearizability explanation drawn, and the command that reproduces the run. An
existing output is replaced only with --force, the scenario never.
--max-events stops the run after N events (default 10000000; 2000000 with --trace or
--report) and keeps what it has (the report so far, the trace so far).
Exit: 0 every expectation holds, 1 one fails, 2 bad input, 3 stopped at --max-events.
`;

export function runCommand(argv: string[]): number {
  const { values, positionals } = parseFlags('run', argv, { ...RUN_FLAGS, trace: { type: 'string' }, report: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } }, RUN_USAGE);
  if (positionals.length !== 1) throw new UsageError(`takes exactly one scenario, got ${positionals.length} (zablab run --help)`);
  const seed = parseSeed(values.seed);
  const requested = parseProtocol(values.protocol);
  const maxEvents = parseMaxEvents(values['max-events'], values.trace !== undefined || values.report !== undefined);
  const loaded = loadScenario(positionals[0]);
  const traceRules = { flag: '--trace', inputs: [loaded.file], force: values.force === true };
  if (values.trace !== undefined) checkOutputFile(values.trace, traceRules);
  const protocol = requested ?? protocolsOf(loaded.scenario)[0];
  if (protocol === undefined) throw new UsageError(`${loaded.file}: none of its protocols (${(loaded.scenario.protocols ?? []).join(', ')}) is available`);
  const scenario = withBugs(loaded.scenario, values.bug, protocol);
  if (values.report !== undefined) {
    refuseToOverwrite(values.report, [loaded.file]);
    checkOutputFile(values.report, { ...traceRules, flag: '--report' });
  }
  const progress = progressLine();
  const shownSeed = seed ?? scenario.seed ?? 1;
  const result = runScheduled(loaded.file, () =>
    runScenario(scenario, protocolAdapter(protocol), {
    seed,
    name: loaded.name,
    keepTrace: values.trace !== undefined || values.report !== undefined,
    maxEvents,
    onProgress: (nowUs, endUs) => progress.update(`run ${loaded.name} · ${protocol} · seed ${shownSeed}: ${formatUs(nowUs)} of at most ${formatUs(endUs)} simulated`),
  }),
  );
  progress.done();
  if (values.trace !== undefined && result.trace) {
    writeOutputFile(values.trace, values.trace.endsWith('.ndjson') ? traceToNdjson(result.trace) : traceToJson(result.trace), traceRules);
  }
  const text = formatReport(result, scenario, values.trace);
  if (values.report !== undefined) {
    const command = ['zablab', 'run', positionals[0], '--seed', String(result.seed), '--protocol', protocol, ...(values.bug ?? []).flatMap((bug) => ['--bug', bug])].map(shellWord).join(' ');
    writeReport(values.report, runReportPage(scenario, result, command, text), [loaded.file]);
  }
  out(values.json ? JSON.stringify(resultJson(result)) + '\n' : text + (values.report !== undefined ? `  report       ${values.report}\n` : ''));
  if (result.limit !== undefined) throw new LimitReached(eventsLimitMessage(result.limit.maxEvents, result.limit.atUs, 'the run') + (values.trace !== undefined ? `; the trace so far is in ${values.trace}` : ''));
  return result.ok ? 0 : 1;
}

export const SUITE_USAGE = `usage: zablab suite [--seed N] [--json]

Runs every scenario in scenarios/ on each protocol it names, as a table.
Exit 1 if any expectation fails.
`;

export function suiteCommand(argv: string[]): number {
  const { values, positionals } = parseFlags('suite', argv, { seed: { type: 'string' }, json: { type: 'boolean' } }, SUITE_USAGE);
  if (positionals.length > 0) throw new UsageError(`takes no scenario, got ${JSON.stringify(positionals[0])} (zablab suite --help)`);
  const seed = parseSeed(values.seed);
  const rows: { name: string; protocol: string; ok: boolean; failed: string[]; events: number; hash: string }[] = [];
  for (const file of listScenarioFiles()) {
    const loaded = loadScenario(file);
    for (const protocol of protocolsOf(loaded.scenario)) {
      const result = runScenario(loaded.scenario, protocolAdapter(protocol), { seed, name: loaded.name });
      const row = { name: loaded.name, protocol, ok: result.ok, failed: failedExpectations(result).map((e) => `${e.name}: ${e.detail}`), events: result.events, hash: result.traceHash };
      rows.push(row);
      if (values.json) out(JSON.stringify({ scenario: row.name, protocol, seed: result.seed, ok: row.ok, traceHash: row.hash, events: row.events, failed: row.failed }) + '\n');
      else out(`${tick(row.ok)} ${row.name.padEnd(44)} ${protocol.padEnd(6)} ${String(row.events).padStart(8)} events  ${row.hash}${row.ok ? '' : `\n    ${row.failed.join('\n    ')}`}\n`);
    }
  }
  const failed = rows.filter((r) => !r.ok).length;
  if (!values.json) out(`\n${rows.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

const LIST_USAGE = `usage: zablab list [--json]

The scenarios in scenarios/ (names \`zablab run\` takes), their protocols and titles.
`;

export function listCommand(argv: string[]): number {
  const { values } = parseFlags('list', argv, { json: { type: 'boolean' } }, LIST_USAGE, false);
  const entries = listScenarioFiles().map((file) => {
    const { name, scenario } = loadScenario(file);
    return { name, title: scenario.title, protocols: scenario.protocols ?? ['zab'] };
  });
  if (values.json) out(JSON.stringify(entries) + '\n');
  else {
    const width = Math.max(0, ...entries.map((e) => e.name.length));
    for (const e of entries) out(`${e.name.padEnd(width)}  ${e.protocols.join(',').padEnd(10)}  ${e.title}\n`);
  }
  return 0;
}

const SCHEMA_USAGE = `usage: zablab schema

Prints the JSON Schema of scenario files (scenarios/scenario.schema.json).
`;

export function schemaCommand(argv: string[]): number {
  parseFlags('schema', argv, {}, SCHEMA_USAGE, false);
  out(JSON.stringify(SCENARIO_SCHEMA, null, 2) + '\n');
  return 0;
}

const BUGS_USAGE = `usage: zablab bugs [--json]

The bug switches (\`zablab run --bug NAME\`), each with its JIRA or paper reference
and the invariant it breaks.
`;

export function bugsCommand(argv: string[]): number {
  const { values } = parseFlags('bugs', argv, { json: { type: 'boolean' } }, BUGS_USAGE, false);
  const bugs = allBugs();
  if (values.json) out(JSON.stringify(bugs) + '\n');
  else {
    const width = Math.max(...bugs.map((b) => b.name.length));
    for (const b of bugs) out(`${b.name.padEnd(width)}  ${b.protocol.padEnd(6)} ${b.reference}\n${' '.repeat(width + 2)}breaks ${b.breaks}: ${b.summary}\n`);
  }
  return 0;
}
