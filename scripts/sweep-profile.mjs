#!/usr/bin/env node
// Where a sweep seed's CPU goes (issue 17). Runs the sweep benchmark's seeds in one
// process, through runJob as a sweep worker does, with a sweep worker's V8 flags, twice:
//   1. under --cpu-prof: inclusive CPU per phase (the innermost phase function on each
//      sample's stack: setup / run / lin check / other checks / serialise; GC and
//      V8's runtime apart) and self time per function;
//   2. under --trace-opt: TurboFan's compile time per 40 seeds, and how much of it
//      recompiles functions after a deoptimization.
// With --single-threaded (the flags of two workers on two cores) compilation and GC run
// on the main thread, so both tables see all of a worker's CPU. Needs `npm run build`.
//   node scripts/sweep-profile.mjs [--seeds N] [--protocol zab|paxos] [--flags "V8 FLAGS"] [--top K]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const dist = new URL('../dist/', import.meta.url);

function fail(message) {
  process.stderr.write(`sweep-profile: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({ options: { seeds: { type: 'string', default: '240' }, protocol: { type: 'string', default: 'zab' }, flags: { type: 'string' }, top: { type: 'string', default: '25' }, child: { type: 'boolean' } } }).values;
} catch (error) {
  fail(`${error.message} (usage: node scripts/sweep-profile.mjs [--seeds N] [--protocol zab|paxos] [--flags "V8 FLAGS"] [--top K])`);
}
const seeds = Number(args.seeds);
const top = Number(args.top);
if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100_000) fail(`--seeds must be an integer from 1 to 100000, got ${JSON.stringify(args.seeds)}`);
if (!Number.isInteger(top) || top < 0 || top > 1000) fail(`--top must be an integer from 0 to 1000, got ${JSON.stringify(args.top)}`);
if (!['zab', 'paxos'].includes(args.protocol)) fail(`--protocol must be zab or paxos, got ${JSON.stringify(args.protocol)}`);

async function load(path) {
  try {
    return await import(new URL(path, dist).href);
  } catch {
    return fail(`cannot load dist/${path}: run npm run build first`);
  }
}

if (args.child) {
  // The child: the seeds, one after another, a marker line every 40 (for --trace-opt's output).
  const { runJob } = await load('sim/cli/sweep-worker.js');
  const { SWEEP_BENCH_SCENARIO: scenario } = await load('test/bench/sweep.js');
  const started = process.cpuUsage();
  for (let i = 0; i < seeds; i++) {
    JSON.stringify(runJob({ index: i, name: 'bench', scenario, protocol: args.protocol, seed: i + 1 }));
    if ((i + 1) % 40 === 0 || i + 1 === seeds) {
      const cpu = process.cpuUsage(started);
      process.stdout.write(`SEEDS ${i + 1} ${((cpu.user + cpu.system) / 1000).toFixed(0)}\n`);
    }
  }
  process.exit(0);
}

const { sweepWorkerFlags } = await load('sim/cli/sweep.js');
const flags = args.flags === undefined ? sweepWorkerFlags(2, 2) : args.flags.split(/\s+/).filter(Boolean);
const childArgs = [self, '--child', '--seeds', String(seeds), '--protocol', args.protocol];
const run = (extra) => {
  const child = spawnSync(process.execPath, [...flags, ...extra, ...childArgs], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (child.status !== 0) fail(`the profiled run failed (${child.signal ?? `exit ${child.status}`}): ${child.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
  return child.stdout;
};

// 1. Phases and self time.
const profileDir = mkdtempSync(join(tmpdir(), 'zablab-sweep-profile-'));
let profile;
try {
  run(['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=250']);
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) fail('node wrote no CPU profile');
  profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
} finally {
  rmSync(profileDir, { recursive: true, force: true });
}
// The innermost of these on a sample's stack names its phase ([function, file] patterns).
const PHASES = [
  ['setup (scenario made concrete, cluster, clients)', /^setupRun$/, /scenario\/run\.js$/],
  ['run (events: protocol, network, online invariants, trace hash)', /^run$/, /net\/cluster\.js$/],
  ['lin check', /^checkLinearizability$/, /scenario\/run\.js$/],
  ['reads check', /^readsReport$/, /scenario\/reads\.js$/],
  ['recipe check', /^checkRecipes$/, /scenario\/run\.js$/],
  ['availability figures', /^(availability|runFigures)$/, /check\/availability\.js$/],
  ['expectations', /^evaluate$/, /scenario\/run\.js$/],
  ['serialise (JSON, as the IPC message or a --json line)', /^stringify$/, /^$/],
  ['other verdict work in runScenario', /^runScenario$/, /scenario\/run\.js$/],
  ['runJob (outcome, violations)', /^runJob$/, /cli\/sweep-worker\.js$/],
];
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const shortUrl = (url) => url.split('/').slice(-2).join('/');
const phaseOf = (id) => {
  const name = nodes.get(id).callFrame.functionName;
  if (name === '(garbage collector)') return 'GC (scavenges and mark-compact)';
  if (name === '(program)') return 'V8 runtime outside JS (compilation, IC misses)';
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const frame = nodes.get(at).callFrame;
    for (const [label, fn, file] of PHASES) if (fn.test(frame.functionName) && file.test(shortUrl(frame.url))) return label;
  }
  return 'module loading and the rest';
};
const phases = new Map();
const selfTime = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i + 1] ?? 0;
  total += us;
  const frame = nodes.get(id).callFrame;
  const where = `${frame.functionName || '(anonymous)'} ${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`.trim();
  selfTime.set(where, (selfTime.get(where) ?? 0) + us);
  const phase = phaseOf(id);
  phases.set(phase, (phases.get(phase) ?? 0) + us);
});
const table = (map, limit) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');
process.stdout.write(`${seeds} ${args.protocol} seeds of the sweep benchmark in one process, flags: ${flags.join(' ') || '(none)'}\n`);
process.stdout.write(`\nCPU profile: ${(total / 1000).toFixed(0)} ms sampled, ${((total / 1000) / seeds).toFixed(2)} ms per seed\nby phase (inclusive)\n${table(phases, PHASES.length + 3)}\n`);
if (top > 0) process.stdout.write(`\nby function (self time, top ${top})\n${table(selfTime, top)}\n`);

// 2. TurboFan's compile time, per 40 seeds.
const traced = run(['--trace-opt']);
const compiled = new Set();
let window = { ms: 0, count: 0, recompiledMs: 0 };
let compileMs = 0;
let recompileMs = 0;
const rows = [];
for (const line of traced.split('\n')) {
  const mark = /^SEEDS (\d+) (\d+)$/.exec(line);
  if (mark !== null) {
    rows.push(`${`seeds to ${mark[1]}`.padEnd(15)} CPU ${mark[2].padStart(6)} ms so far; TurboFan ${window.ms.toFixed(0).padStart(5)} ms in ${String(window.count).padStart(4)} compilations (${window.recompiledMs.toFixed(0)} ms recompiling after a deopt)`);
    window = { ms: 0, count: 0, recompiledMs: 0 };
    continue;
  }
  const done = /^\[completed compiling \S+ <JSFunction \S* ?\(sfi = (\S+)\)>.* took ([\d.]+), ([\d.]+), ([\d.]+) ms\]/.exec(line);
  if (done === null) continue;
  const ms = Number(done[2]) + Number(done[3]) + Number(done[4]);
  window.ms += ms;
  window.count++;
  compileMs += ms;
  if (compiled.has(done[1])) {
    window.recompiledMs += ms;
    recompileMs += ms;
  }
  compiled.add(done[1]);
}
process.stdout.write(`\nTurboFan (a second run, under --trace-opt): ${compileMs.toFixed(0)} ms compiling, ${recompileMs.toFixed(0)} ms of it recompiling functions after a deoptimization\n${rows.join('\n')}\n`);
