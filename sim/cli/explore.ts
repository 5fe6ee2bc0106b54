/** `zablab explore <scenario>`: model-check the real nodes under the controlled scheduler (sim/explore). */
import { protocolAdapter } from '../scenario/protocols.js';
import { explore, STRATEGIES, type ExploreProgress, type ExploreResult, type Strategy } from '../explore/search.js';
import { counterexampleScenario, replayCounterexample, type Replayed } from '../explore/counterexample.js';
import { SOMETIMES } from '../explore/world.js';
import { REDUCTIONS, type Reduction } from '../explore/reduction.js';
import { parseFlags } from './args.js';
import { UsageError, err, out } from './io.js';
import { checkOutputFile, writeOutputFile } from './outputs.js';
import { parseProtocol, parseSeed, protocolsOf, runScheduled, withBugs } from './run.js';
import { loadScenario } from './scenarios.js';
import { coreCount, parseWorkers } from './limits.js';
import { workerProcessFlags } from './sweep.js';
import { EXPLORE_CHILD_ARG, type WorkerReply } from './explore-worker.js';
import { exploreParallel, randomParallel, type LevelPort, type LevelReply, type LevelRequest, type ParallelResult } from '../explore/parallel.js';
import { World } from '../explore/world.js';
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXPLORE_USAGE = `usage: zablab explore <scenario> [--protocol zab|paxos] [--bug NAME]… [--strategy bfs|dfs|random]
                      [--max-depth N] [--max-states N] [--max-crashes K] [--max-partitions K]
                      [--max-losses K] [--max-duplicates K] [--warmup-ms T] [--free-timers]
                      [--reduction sleep|none] [--seed N] [--workers N] [--out FILE] [--force] [--json]

Model checking: runs the scenario's servers and clients under a scheduler that chooses
every event (which message arrives next, which timer fires, when a disk sync completes,
when the client acts, and faults within the budgets), and checks every invariant in
every state. bfs (the default) finds a shortest counterexample; dfs explores to the
depth bound; random takes random walks. A counterexample is written to FILE (default
explore-<scenario>-<protocol>.json; an existing one only with --force, the scenario
never) as a scenario with an explicit schedule that \`zablab run FILE\` replays to the
same violation and trace hash.
--warmup-ms T first lets the simulator take events in time order until T ms (boot,
elect a leader), and searches from there; a scenario's own schedule, if it has one,
is taken first too. Message latencies are zero under the scheduler: messages arrive
when it says, and the clock moves only when a timer or a timed action fires: in time
order, or, with --free-timers, any node's next timer first (slow nodes, pauses).
--reduction sleep (the default for bfs and dfs) skips a choice whose result another
order of independent events (two servers' deliveries, syncs, client requests,
notices, a crash) already reaches: the same states, fewer successors computed.
--workers N (default 1, at most the core count) runs on N worker processes. bfs splits
each level's states among them with one visited set: the same unique states, verdict
and counterexample depth as one worker (no sleep sets on workers: each state is still
expanded once, but the choices they prune are computed). random: each worker its own
walks on its share of --max-states. dfs runs on one worker.
Defaults: --max-depth 12, --max-states 100000, no faults (every budget 0), seed 1.
Exit: 0 the bounded space holds, 1 a counterexample, 2 bad input.
`;

function count(value: string | undefined, flag: string, fallback: number): number {
  const parsed = parseSeed(value, flag);
  return parsed ?? fallback;
}

export function exploreCommand(argv: string[]): number | Promise<number> {
  const { values, positionals } = parseFlags(
    'explore',
    argv,
    {
      protocol: { type: 'string' },
      bug: { type: 'string', multiple: true },
      strategy: { type: 'string' },
      'max-depth': { type: 'string' },
      'max-states': { type: 'string' },
      'max-crashes': { type: 'string' },
      'max-partitions': { type: 'string' },
      'max-losses': { type: 'string' },
      'max-duplicates': { type: 'string' },
      seed: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'free-timers': { type: 'boolean' },
      reduction: { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    EXPLORE_USAGE,
  );
  if (positionals.length !== 1) throw new UsageError(`explore takes exactly one scenario\n${EXPLORE_USAGE}`);
  const strategy = (values.strategy ?? 'bfs') as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(values.strategy)}`);
  const reduction = (values.reduction ?? 'sleep') as Reduction;
  if (!REDUCTIONS.includes(reduction)) throw new UsageError(`--reduction must be one of ${REDUCTIONS.join(', ')}, got ${JSON.stringify(values.reduction)}`);
  const maxDepth = count(values['max-depth'], '--max-depth', 12);
  const maxStates = count(values['max-states'], '--max-states', 100_000);
  if (maxStates < 1) throw new UsageError('--max-states must be at least 1');
  const seed = count(values.seed, '--seed', 1);
  if (values.workers !== undefined && values.workers.trim() === '0') throw new UsageError('--workers must be at least 1, got "0"');
  let workers = values.workers === undefined ? 1 : parseWorkers(values.workers, 'explore');
  if (workers > 1 && strategy === 'dfs') {
    err('zablab explore: note: --workers applies to bfs and random; dfs runs on one worker\n');
    workers = 1;
  }
  const loaded = loadScenario(positionals[0]);
  const protocol = parseProtocol(values.protocol) ?? protocolsOf(loaded.scenario)[0];
  if (protocol === undefined) throw new UsageError(`${loaded.file}: none of its protocols is available`);
  const scenario = withBugs(loaded.scenario, values.bug, protocol);
  const file = values.out ?? `explore-${loaded.name.replace(/[\\/]/g, '-')}-${protocol}.json`;
  const outputRules = { flag: '--out', inputs: [loaded.file], force: values.force === true };
  checkOutputFile(file, outputRules);
  const adapter = protocolAdapter(protocol);
  const budgets = {
    crashes: count(values['max-crashes'], '--max-crashes', 0),
    partitions: count(values['max-partitions'], '--max-partitions', 0),
    losses: count(values['max-losses'], '--max-losses', 0),
    duplicates: count(values['max-duplicates'], '--max-duplicates', 0),
    horizonUs: Math.round(scenario.durationMs * 1000),
    freeTimers: values['free-timers'] === true,
  };
  const warmupText = values['warmup-ms'];
  // Number('') is 0: an empty value is no time, not the start.
  const warmupMs = warmupText === undefined ? 0 : warmupText.trim() === '' ? NaN : Number(warmupText);
  if (!(warmupMs >= 0 && warmupMs <= scenario.durationMs)) throw new UsageError(`--warmup-ms must be a time between 0 and the scenario's durationMs (${scenario.durationMs}), got ${JSON.stringify(values['warmup-ms'])}`);
  // A scenario's own schedule, then the warm-up: the search starts where they end.
  const prefix = [...(scenario.schedule ?? []), ...(warmupMs > 0 ? [{ e: 'run' as const, untilMs: warmupMs }] : [])];
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  const progress = progressLine(startMs);
  const finish = (result: ExploreResult, parallel: ParallelResult | null): number => {
    progress.done();
    return conclude(result, (performance.now() - startMs) / 1000, parallel);
  };
  if (workers > 1) {
    // The prefix is taken here first: a step of the scenario's schedule that cannot happen is bad input, named, before any worker starts.
    runScheduled(loaded.file, () => new World(scenario, adapter, { seed, budgets, prefix }));
    const task = { scenario, protocol, maxDepth, budgets, seed, prefix };
    const search = strategy === 'random' ? (ports: LevelPort[]) => randomParallel(task, ports, { maxStates, seed }) : (ports: LevelPort[]) => exploreParallel(task, ports, { maxStates, onProgress: progress.update });
    return withWorkerProcesses(workers, search).then((result) => finish(result, result));
  }
  // The scenario's schedule is taken first: a step of it that cannot happen is bad input, naming the step.
  const result = runScheduled(loaded.file, () => explore(scenario, adapter, { strategy, maxDepth, maxStates, budgets, seed, prefix, reduction, onProgress: progress.update, progressEvery: 200 }));
  return finish(result, null);

  function conclude(result: ExploreResult, seconds: number, parallel: ParallelResult | null): number {
    const used = process.cpuUsage(startCpu);
    // This process's CPU and its workers': how many cores the search kept busy.
    const cpuSeconds = (used.user + used.system) / 1e6 + (parallel?.workerCpuSeconds ?? 0);
    let replayed: Replayed | null = null;
    if (result.violation !== null) {
      const counterexample = counterexampleScenario(scenario, protocol, seed, result.violation, strategy);
      writeOutputFile(file, JSON.stringify(counterexample, null, 2) + '\n', outputRules);
      replayed = replayCounterexample(counterexample, adapter, result.violation);
    }
    if (values.json) {
      const { violation, ...figures } = result;
      out(
        JSON.stringify({
          scenario: loaded.name,
          protocol,
          bugs: scenario.bugs ?? [],
          budgets: { ...budgets, horizonUs: undefined, horizonMs: scenario.durationMs },
          ...figures,
          seconds: Number(seconds.toFixed(3)),
          uniquePerSecond: Math.round(result.unique / Math.max(seconds, 1e-9)),
          workers: parallel?.workers ?? 1,
          cpuSeconds: Number(cpuSeconds.toFixed(3)),
          cpuPerWall: Number((cpuSeconds / Math.max(seconds, 1e-9)).toFixed(2)),
          violation: violation && { invariant: violation.invariant, message: violation.message, depth: violation.depth, steps: violation.schedule.length, traceHashAtViolation: violation.traceHash, file, replayed },
        }) + '\n',
      );
    } else {
      out(report(loaded.name, protocol, result, seconds, budgets, replayed, file, parallel && { workers: parallel.workers, cpuSeconds }));
    }
    if (replayed !== null && !replayed.reproduced) {
      err(`zablab: internal error: the counterexample did not replay to ${result.violation!.invariant} with the explorer's events (got ${replayed.invariant ?? 'no violation'}, ${replayed.traceHashAtViolation} instead of ${result.violation!.traceHash})\n`);
      return 70;
    }
    return result.violation === null ? 0 : 1;
  }
}

function report(name: string, protocol: string, r: ExploreResult, seconds: number, budgets: Record<string, number | boolean>, replayed: Replayed | null, file: string, parallel: { workers: number; cpuSeconds: number } | null): string {
  const lines: string[] = [];
  const faults = Object.entries(budgets)
    .filter(([key, value]) => key !== 'horizonUs' && key !== 'freeTimers' && typeof value === 'number' && value > 0)
    .map(([key, value]) => `${key} ≤ ${value}`);
  lines.push(`▶ explore ${name} · ${protocol} · ${r.strategy} · depth ≤ ${r.maxDepth} · ${faults.length > 0 ? faults.join(', ') : 'no faults'}`);
  lines.push(`  states       ${r.states} generated, ${r.unique} unique, deepest ${r.depth}, ${seconds.toFixed(1)} s (${Math.round(r.unique / Math.max(seconds, 1e-9))} unique states/s)`);
  const bound = r.violation !== null ? 'stopped at the first violation' : r.exhausted ? (r.cutAtDepth > 0 ? `exhausted to depth ${r.maxDepth} (${r.cutAtDepth} states at the depth bound had successors)` : 'the whole bounded space exhausted') : r.strategy === 'random' ? 'random walks (never exhaustive)' : 'stopped at --max-states';
  lines.push(`  space        ${bound}`);
  if (parallel !== null) lines.push(`  workers      ${parallel.workers} processes, ${parallel.cpuSeconds.toFixed(1)} s CPU with this one (${(parallel.cpuSeconds / Math.max(seconds, 1e-9)).toFixed(2)} CPU s per wall s)${r.strategy === 'bfs' ? ', one visited set, no sleep sets' : ', a walk seed each'}`);
  if (r.pruned > 0) lines.push(`  reduction    ${r.pruned} choices left asleep (their states reached by a commuted order), ${r.reexpanded} states taken up again`);
  lines.push(`  sometimes    ${SOMETIMES.map((p) => (r.sometimes[p] === null ? `✗ ${p}` : `✓ ${p} (depth ${r.sometimes[p]})`)).join(', ')}`);
  if (r.violation === null) {
    lines.push('  invariants   ✓ no violation in any explored state');
  } else {
    const v = r.violation;
    lines.push(`  invariants   ✗ ${v.invariant} at depth ${v.depth}: ${v.message}`);
    lines.push(`  counterexample ${v.schedule.length} steps, written to ${file}; replay: zablab run ${file}`);
    if (replayed !== null) {
      lines.push(`  replayed     ${replayed.reproduced ? '✓' : '✗'} ${replayed.invariant ?? 'no violation'}, the same events up to it (${replayed.traceHashAtViolation}) · zablab run prints trace ${replayed.traceHash}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** A progress line on a terminal (stderr), at most five times a second; nothing otherwise. */
function progressLine(startMs: number): { update: (p: ExploreProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastMs = 0;
  let shown = false;
  return {
    update: (p) => {
      if (!tty) return;
      const now = performance.now();
      if (now - lastMs < 200) return;
      lastMs = now;
      shown = true;
      const rate = Math.round(p.unique / Math.max((now - startMs) / 1000, 1e-9));
      process.stderr.write(`\r  states ${p.states}  unique ${p.unique}  depth ${p.depth}  queue ${p.queue}  ${rate} unique/s   `);
    },
    done: () => {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'sim', 'cli', 'explore-worker.js') : join(dirname(here), 'explore-worker.js');
}

/** Runs `work` with N worker processes as its ports (sim/explore/parallel.ts), and stops them after, whatever happens. */
async function withWorkerProcesses<T>(n: number, work: (ports: LevelPort[]) => Promise<T>): Promise<T> {
  const flags = workerProcessFlags(n, coreCount());
  const children = Array.from({ length: n }, () => fork(workerFile(), [EXPLORE_CHILD_ARG], { execArgv: flags, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let closing = false;
  const ports = children.map((child): LevelPort => {
    const waiting: { resolve: (reply: LevelReply) => void; reject: (error: Error) => void }[] = [];
    const fail = (error: Error) => {
      for (const pending of waiting.splice(0)) pending.reject(error);
    };
    child.on('message', (reply: WorkerReply) => {
      const pending = waiting.shift();
      if (pending === undefined) return;
      if (reply.type === 'error') pending.reject(new Error(`explore worker ${child.pid}: ${reply.message}`));
      else pending.resolve(reply);
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (!closing) fail(new Error(`explore worker process ${child.pid} exited early (${signal ?? `code ${code}`})`));
    });
    return {
      call: (request: LevelRequest) =>
        new Promise<LevelReply>((resolve, reject) => {
          waiting.push({ resolve, reject });
          child.send(request);
        }),
    };
  });
  try {
    return await work(ports);
  } finally {
    closing = true;
    for (const child of children) if (child.connected) child.disconnect();
  }
}
