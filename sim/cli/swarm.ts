/**
 * `zablab swarm --protocol P --runs N`: swarm testing. Each seed S..S+N-1 draws a
 * whole scenario from sim/scenario/swarm.ts (its own mix of fault kinds and settings
 * at their edges) and runs it on the sweep's worker threads. Every failing run is
 * saved as a scenario file with its seed (and bug switch), which `zablab run`
 * replays; the first failing run of each symptom is shrunk (on the workers too).
 * Like `zablab sweep`, the command starts its workers once it knows how many it needs
 * and before it loads the simulator and the scenario validator (startSweepPool): the two
 * load side by side. So this module imports nothing heavy at its top.
 */
import { join } from 'node:path';
import type { SwarmProfile, SwarmProfileName } from '../scenario/swarm.js';
import { PROTOCOL_NAMES, type ProtocolName } from '../scenario/types.js';
import { MAX_SEED, parseFlags, parseSeedValue, parseUint } from './args.js';
import { UsageError, err, out } from './io.js';
import { parseMaxEvents, parseWorkers } from './limits.js';
import { checkOutputFile, checkOutputFolder, writeOutputFile } from './outputs.js';
import { machineLine, parseWorkerModel, progressReporter, runSweep, startSweepPool, streamSweep, type JobSource, type SweepPool, type WorkerModel } from './sweep.js';
import { resolveShard, shardSize, shardWords } from './shard.js';
import type { SweepJob, SweepOutcome } from './sweep-worker.js';
import { shellWord } from './report.js';
import { summaryLines, writeSweepReport } from './sweep-report.js';

export const SWARM_USAGE = `usage: zablab swarm --protocol zab|paxos --runs N [--profile mixed|recipes-one-fault] [--seed S] [--workers W] [--worker-model process|thread] [--shard K/N | --shard-count N] [--out DIR] [--bug NAME] [--shrink K] [--shrink-runs R] [--report FILE.html] [--json]

Swarm testing: runs N scenarios drawn from seeds S..S+N-1 (default S = 1), each with
its own random mix of fault kinds and settings at their edges, on W workers (default:
all cores; worker processes, or threads with --worker-model thread). --shard K/N runs
every N-th of those seeds from the K-th, as zablab sweep does (and reads the shard
from the environment as it does: zablab sweep --help); zablab merge joins the shards. Every failing run is saved under DIR (default swarm-failures/)
as a scenario file with its seed: \`zablab run FILE\` reproduces it. The first failing
run of each symptom (up to K symptoms, default 5; 0: none) is shrunk with at most R
runs (default 300) and saved beside it as …-shrunk.json. A run broken only by a hazard
ZooKeeper does not prevent (a recipe that breaks as Curator's does when a client pauses
past its session or its server is cut off from the leader; the checker names it) is
saved too but counted apart, as a hazard, not a failure: no fix of zablab's would make
it pass (--json: "hazard": true). --bug switches a bug on in
every run. --report writes one self-contained HTML page with the percentiles and
histogram of each availability figure and the worst seeds' scenarios (FILE-seeds/).

--profile says what each seed draws:
  mixed              (default) a random subset of every fault kind, many faults, settings at their edges
  recipes-one-fault  Curator's recipes side by side (three to all nine, one to three clients each),
                     sessions of 20-40 ms (ZAB: tickTime 10 ms), plain network and disks, and exactly
                     ONE fault once the recipes are at work: leader pause or follower pause (half a
                     session to three), leader crash, crash and restart, clogged leader, isolated
                     leader, a 5-8 % loss window (Paxos: with duplicates), or a client's GC pause.
                     Expects safety, recovery to one tree and every recipe finished. Its seeds are
                     its own (files saved as swarm-P-recipes-one-fault-seedN.json).
Exit: 0 every run passes or fails only by named hazards, 1 some fail, 2 bad input.
`;

/** A failure's symptom: the invariants it broke, or else the first expectation that failed. */
export function symptomOf(outcome: SweepOutcome): string {
  if (outcome.violations.length > 0) return `invariant ${outcome.violations.join(', ')}`;
  const first = outcome.failed[0] ?? 'failed';
  return first.startsWith('simulator error') ? first.slice(0, 80) : first.slice(0, first.indexOf(':') < 0 ? undefined : first.indexOf(':'));
}

interface SwarmFailure {
  outcome: SweepOutcome;
  profile: SwarmProfile;
  /** The job, kept for the first failing run of each symptom only (the one shrunk). */
  job?: SweepJob;
  reproduction: string;
  shrunkFile?: string;
}

function parseCount(value: string | undefined, flag: string, fallback: number | undefined): number {
  if (value === undefined && fallback === undefined) throw new UsageError(`${flag} N is required (zablab swarm --help)`);
  return value === undefined ? fallback! : parseUint(value, flag);
}

/** What every line of a swarm says about the swarm it belongs to (`zablab merge` checks the shards by it). */
interface LineTags {
  shard: string;
  seeds: string;
  bug?: string;
  /** The profile, when not the default (mixed): lines of two profiles are different swarms. */
  profile?: SwarmProfileName;
}

function lineOf(o: SweepOutcome, profile: SwarmProfile, tags: LineTags, reproduction?: string, shrunk?: string): string {
  return JSON.stringify({ protocol: o.protocol, seed: o.seed, ok: o.ok, traceHash: o.traceHash, events: o.events, kinds: profile.kinds, extremes: profile.extremes, failed: o.failed, violations: o.violations, ...(o.hazard ? { hazard: true } : {}), reproduction, shrunk, ...tags }) + '\n';
}

type SwarmValues = ReturnType<typeof parseSwarmFlags>['values'];

function parseSwarmFlags(argv: string[]) {
  return parseFlags(
    'swarm',
    argv,
    {
      protocol: { type: 'string' },
      runs: { type: 'string' },
      profile: { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      'worker-model': { type: 'string' },
      shard: { type: 'string' },
      'shard-count': { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      bug: { type: 'string' },
      'max-events': { type: 'string' },
      shrink: { type: 'string' },
      'shrink-runs': { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean' },
    },
    SWARM_USAGE,
  );
}

export async function swarmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseSwarmFlags(argv);
  if (positionals.length > 0) throw new UsageError(`takes no scenario: it draws its own (got ${JSON.stringify(positionals[0])})`);
  if (values.protocol === undefined) throw new UsageError('--protocol zab|paxos is required (zablab swarm --help)');
  // The name only: whether this build has the protocol is checked once the simulator is loaded (parseProtocol).
  if (!(PROTOCOL_NAMES as readonly string[]).includes(values.protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOL_NAMES.join(', ')}, got ${JSON.stringify(values.protocol)}`);
  const runs = parseCount(values.runs, '--runs', undefined);
  if (runs < 1) throw new UsageError('--runs needs at least 1');
  const firstSeed = values.seed === undefined ? 1 : parseSeedValue(values.seed);
  if (firstSeed + runs - 1 > MAX_SEED) throw new UsageError(`--seed ${firstSeed} --runs ${runs}: the last seed would pass ${MAX_SEED} (seeds are unsigned 32-bit integers)`);
  const workers = parseWorkers(values.workers, 'swarm');
  const model = parseWorkerModel(values['worker-model']);
  const shard = resolveShard({ shard: values.shard, shardCount: values['shard-count'] }, process.env);
  const shardRuns = shardSize(runs, shard);
  if (shardRuns === 0) throw new UsageError(`shard ${shard.index}/${shard.count} of ${runs} runs holds no run`);
  // The workers start now and load the simulator while this process loads it too (startSweepPool).
  const pool = workers === 0 ? undefined : startSweepPool(Math.min(workers, shardRuns), { model });
  try {
    return await planAndRunSwarm(argv, values, { runs, firstSeed, workers, model, shard, shardRuns, pool });
  } finally {
    // Workers the swarm did not take (bad input found after they started, or fewer runs).
    await pool?.close();
  }
}

interface SwarmPlan {
  runs: number;
  firstSeed: number;
  workers: number;
  model: WorkerModel;
  shard: ReturnType<typeof resolveShard>;
  shardRuns: number;
  pool: SweepPool | undefined;
}

/** The rest of `zablab swarm`, once its workers are starting: the draws, the runs, the shrinking, the summary. */
async function planAndRunSwarm(argv: string[], values: SwarmValues, plan: SwarmPlan): Promise<number> {
  const { runs, firstSeed, workers, model, shard, shardRuns, pool } = plan;
  // The simulator, the draws and the scenario validator, loaded while the workers start.
  const [{ validateScenario }, { allBugs }, { SWARM_PROFILES, drawSwarmProfileScenario }, { parseProtocol }, { HAZARD_NOTE }] = await Promise.all([
    import('../scenario/load.js'),
    import('../scenario/protocols.js'),
    import('../scenario/swarm.js'),
    import('./run.js'),
    import('../check/lock-fencing.js'),
  ]);
  const protocol = parseProtocol(values.protocol) as ProtocolName;
  const profileName = (values.profile ?? 'mixed') as SwarmProfileName;
  if (!SWARM_PROFILES.includes(profileName)) throw new UsageError(`--profile ${values.profile}: not a swarm profile (one of ${SWARM_PROFILES.join(', ')})`);
  const profileTag = profileName === 'mixed' ? '' : `-${profileName}`;
  const maxEvents = parseMaxEvents(values['max-events']);
  const shrinkSymptoms = parseCount(values.shrink, '--shrink', 5);
  const shrinkRuns = parseCount(values['shrink-runs'], '--shrink-runs', 300);
  const outDir = values.out ?? 'swarm-failures';
  const bugs: string[] = [];
  if (values.bug !== undefined) {
    const known = allBugs().filter((b) => b.protocol === protocol);
    if (!known.some((b) => b.name === values.bug)) throw new UsageError(`--bug ${values.bug}: not a ${protocol} bug switch (zablab bugs lists them: ${known.map((b) => b.name).join(', ')})`);
    bugs.push(values.bug);
  }
  const prefix = `swarm-${protocol}${profileTag}${bugs.length ? `-${bugs[0]}` : ''}-seed`;
  const rules = { flag: '--out', inputs: [], force: values.force === true };
  checkOutputFolder(outDir, rules, (name) => name.startsWith(prefix) && /^\d+(-shrunk)?\.json$/.test(name.slice(prefix.length)));
  if (values.report !== undefined) checkOutputFile(values.report, { ...rules, flag: '--report' });

  // ---- draw lazily (every scenario goes through the validator, as a file would) and run
  const known = new Set(allBugs().map((b) => b.name));
  const profiles = new Map<number, SwarmProfile>();
  const jobs = new Map<number, SweepJob>();
  /** The draw of one seed (the index-th of this shard): a pure function of (protocol, seed, bugs), so it can be made again. */
  const drawn = (index: number) => {
    const draw = drawSwarmProfileScenario(profileName, protocol, firstSeed + shard.index + index * shard.count, { bugs });
    const name = `swarm-${protocol}${profileTag}-${draw.seed}`;
    return { draw, job: { index, name, scenario: validateScenario(JSON.parse(JSON.stringify(draw.scenario)), name, known), protocol, seed: draw.seed, maxEvents } as SweepJob };
  };
  const source: JobSource = {
    total: shardRuns,
    job: (index) => {
      const { draw, job } = drawn(index);
      profiles.set(index, draw.profile);
      jobs.set(index, job);
      return job;
    },
  };
  // Only a report needs every run's figures at the end.
  const kept: SweepOutcome[] = [];
  const started = performance.now();
  const progress = progressReporter(values.json === true);
  const failures: SwarmFailure[] = [];
  const bySymptom = new Map<string, SwarmFailure[]>();
  /** Runs broken only by hazards ZooKeeper does not prevent: saved, never shrunk, not failures. */
  const hazards: SwarmFailure[] = [];
  const tags: LineTags = { shard: `${shard.index}/${shard.count}`, seeds: `${firstSeed}..${firstSeed + runs - 1}`, bug: bugs[0], ...(profileName === 'mixed' ? {} : { profile: profileName }) };
  const stats = await streamSweep(source, {
    workers,
    model,
    pool,
    onResult: (outcome, done, total) => {
      progress.onResult(outcome, done, total);
      const profile = profiles.get(outcome.index)!;
      const job = jobs.get(outcome.index)!;
      profiles.delete(outcome.index);
      jobs.delete(outcome.index);
      if (values.report !== undefined) kept.push(outcome);
      if (outcome.ok) {
        if (values.json) out(lineOf(outcome, profile, tags));
        return;
      }
      // Saved as it comes, with its seed and bug switch: `zablab run FILE` replays it.
      const reproduction = join(outDir, `${prefix}${outcome.seed}.json`);
      writeOutputFile(reproduction, JSON.stringify(job.scenario, null, 2) + '\n', rules);
      if (outcome.hazard) {
        hazards.push({ outcome, profile, reproduction });
        return;
      }
      const symptom = symptomOf(outcome);
      const group = bySymptom.get(symptom) ?? [];
      const failure: SwarmFailure = { outcome, profile, ...(group.length === 0 ? { job } : {}), reproduction };
      failures.push(failure);
      group.push(failure);
      bySymptom.set(symptom, group);
    },
  });
  progress.finish();
  const runSeconds = (performance.now() - started) / 1000;

  // ---- shrink the first failing run of each symptom
  const toShrink = [...bySymptom.values()].slice(0, shrinkSymptoms).map((group) => group[0]).filter((r) => r.outcome.error === undefined);
  if (toShrink.length > 0 && shrinkRuns > 0) {
    if (!values.json) err(`shrinking ${toShrink.length} failing run(s), one per symptom…\n`);
    const shrinkJobs: SweepJob[] = toShrink.map((r, index) => ({ ...r.job!, index, shrinkRuns }));
    const shrunk = await runSweep(shrinkJobs, { workers, model });
    shrunk.forEach((result, i) => {
      if (result.shrunk === undefined) return;
      const run = toShrink[i];
      run.shrunkFile = run.reproduction.replace(/\.json$/, '-shrunk.json');
      writeOutputFile(run.shrunkFile, JSON.stringify(result.shrunk.scenario, null, 2) + '\n', rules);
      run.outcome.shrunk = result.shrunk;
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const summaries =
    values.report === undefined
      ? []
      : writeSweepReport({ file: values.report, command: ['zablab', 'swarm', ...argv].map(shellWord).join(' '), outcomes: kept, scenarioOf: (o) => drawn(o.index).job.scenario, inputs: [], groupOf: (o) => `swarm · ${o.protocol}` });

  // ---- report (with --json, passing runs were printed as they came; failing runs follow, after shrinking)
  if (values.json) {
    for (const f of [...failures, ...hazards].sort((a, b) => a.outcome.index - b.outcome.index)) out(lineOf(f.outcome, f.profile, tags, f.reproduction, f.shrunkFile));
  } else {
    out(`swarm ${protocol}${profileTag === '' ? '' : ` (profile ${profileName})`}${bugs.length ? ` with ${bugs[0]}` : ''}: seeds ${firstSeed}..${firstSeed + runs - 1}${shard.count > 1 ? `, ${shardWords(shard)}: ${shardRuns} of them` : ''}\n`);
    for (const [symptom, group] of bySymptom) {
      const first = group[0];
      out(`\n  ✗ ${symptom}: ${group.length} run(s), seeds ${group.slice(0, 8).map((r) => r.outcome.seed).join(', ')}${group.length > 8 ? ', …' : ''}\n`);
      out(`    ${first.outcome.failed[0]?.slice(0, 300) ?? ''}\n`);
      out(`    reproduce: zablab run ${first.reproduction}\n`);
      const s = first.outcome.shrunk;
      if (s !== undefined && first.shrunkFile !== undefined) {
        out(`    shrunk (${s.runs} runs): faults ${s.original.faults} → ${s.shrunk.faults}, operations ${s.original.ops} → ${s.shrunk.ops}, servers ${s.original.servers} → ${s.shrunk.servers}, events ${s.original.events} → ${s.shrunk.events}: zablab run ${first.shrunkFile}\n`);
      }
    }
    if (hazards.length > 0) {
      const first = hazards[0];
      out(`\n  ⚠ broken only by hazards ZooKeeper does not prevent (not failures): ${hazards.length} run(s), seeds ${hazards.slice(0, 8).map((r) => r.outcome.seed).join(', ')}${hazards.length > 8 ? ', …' : ''}\n`);
      // From the hazard's name on: the recipes' summaries before it say only what held.
      const detail = first.outcome.failed[0] ?? '';
      const named = detail.indexOf(HAZARD_NOTE);
      out(`    ${named < 0 ? detail.slice(0, 300) : `${detail.slice(0, detail.indexOf(':') + 1)} … ${detail.slice(named, named + 300)}`}\n`);
      out(`    reproduce: zablab run ${first.reproduction}\n`);
    }
    if (values.report !== undefined) out(`\navailability (ms)\n${summaryLines(summaries).map((line) => `  ${line}\n`).join('')}report: ${values.report}\n`);
    const hazardWords = hazards.length === 0 ? '' : `, ${hazards.length} broken only by named hazards`;
    out(`\n${shardRuns} runs, ${failures.length} failed (${bySymptom.size} symptom${bySymptom.size === 1 ? '' : 's'})${hazardWords} in ${seconds.toFixed(1)} s: ${(shardRuns / runSeconds).toFixed(1)} seeds/s on ${machineLine(stats)}${failures.length + hazards.length ? `; ${failures.length ? 'failing runs' : 'they are'} saved in ${outDir}/` : ''}\n`);
  }
  // Hazards are findings about ZooKeeper's promises, not failures of the simulator.
  return failures.length === 0 ? 0 : 1;
}
