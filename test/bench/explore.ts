/**
 * Explorer benchmarks (`npm run bench`, section "explore"): with every bug switch off,
 * 3-server ZAB and 3-server Paxos, one client, two writes, at most one crash, explored
 * breadth-first after a warm-up (the simulator's own order until just before the first
 * write, 385 ms) to a depth bound: states generated, unique states, depth, time, whether
 * the bounded space was exhausted, unique states per second (wall, and per CPU second:
 * one core, whatever else the machine runs; V8's GC threads count too); the same search
 * without the partial-order reduction (sleep sets: the same unique states, more
 * successors computed). Then the costs
 * behind the rate, per state: building a world (setup and warm-up: what every state
 * cost when states were replayed from the root), one step, a snapshot, a restore of a
 * sibling (the parts one step touched), a fingerprint after one step (one server hashed
 * again) and from scratch (every server), and a successor as the search makes it
 * (restore + step + fingerprint); and random walks; then where the bfs's own time goes,
 * per unique state (phases: restore, step, fingerprint, snapshot, other). Last, the same bfs on two worker
 * processes (`zablab explore --workers 2`, start-up included): unique states (equal to
 * one worker's), wall and CPU seconds (the coordinator's and the workers'), CPU seconds
 * per wall second, and the wall-clock speed-up over the one-worker search above.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../sim/scenario/load.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import { explore, type ExploreResult } from '../../sim/explore/search.js';
import { World } from '../../sim/explore/world.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';
import type { Reduction } from '../../sim/explore/reduction.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
const ONE_CRASH: Budgets = { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: 1_000_000 };
/** Depth bounds that keep the section well under a minute on this machine (snapshots made them 3-5× faster than replays). */
const DEPTH = { zab: 8, paxos: 9 };

function scenario() {
  return parseScenario(readFileSync(FILE, 'utf8'), FILE);
}

function bfs(adapter: ProtocolAdapter, maxDepth: number, reduction: Reduction = 'sleep'): { result: ExploreResult; seconds: number; cpuSeconds: number } {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = explore(scenario(), adapter, { strategy: 'bfs', maxDepth, maxStates: 2_000_000, budgets: ONE_CRASH, seed: 1, prefix: WARMUP, reduction });
  const used = process.cpuUsage(cpu);
  return { result, seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

export function costs(adapter: ProtocolAdapter): Record<string, number> {
  const s = scenario();
  const make = (prefix: ScheduleStep[]) => new World(s, adapter, { seed: 1, budgets: ONE_CRASH, prefix });
  const time = (runs: number, fn: () => void) => {
    fn();
    const start = performance.now();
    for (let i = 0; i < runs; i++) fn();
    return ((performance.now() - start) / runs) * 1000;
  };
  const setupUs = time(200, () => make([]));
  const worldUs = time(200, () => make(WARMUP));
  // A replayed step: enumerate the choices, take one (what replaying a path does per step).
  let steps = 0;
  let stepMs = 0;
  for (let walk = 0; walk < 100; walk++) {
    const world = make(WARMUP);
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      const choices = world.choices();
      if (choices.length === 0) break;
      world.apply(choices[(walk + i) % choices.length]);
      stepMs += performance.now() - start;
      steps++;
    }
  }
  const stepUs = (stepMs * 1000) / steps;
  // A successor as BFS makes it, and its parts: restore the parent, take one choice, fingerprint.
  const world = make(WARMUP);
  const parent = world.snapshot();
  const choices = world.choices();
  let next = 0;
  const step = () => {
    world.restore(parent);
    world.apply(choices[next++ % choices.length]);
  };
  const successorUs = time(2_000, () => {
    step();
    world.fingerprint();
  });
  let restoreTotal = 0;
  let fingerprintTotal = 0;
  let snapshotTotal = 0;
  for (let i = 0; i < 2_000; i++) {
    let start = performance.now();
    world.restore(parent);
    restoreTotal += performance.now() - start;
    world.apply(choices[next++ % choices.length]);
    start = performance.now();
    world.fingerprint();
    fingerprintTotal += performance.now() - start;
    start = performance.now();
    world.snapshot();
    snapshotTotal += performance.now() - start;
  }
  const fullFingerprintUs = time(500, () => world.fingerprintFromScratch());
  const walkStart = performance.now();
  const walks = explore(s, adapter, { strategy: 'random', maxDepth: 30, maxStates: 20_000, budgets: ONE_CRASH, seed: 1, prefix: WARMUP });
  const walkSeconds = (performance.now() - walkStart) / 1000;
  return {
    setupUs: Math.round(setupUs),
    worldWithWarmupUs: Math.round(worldUs),
    stepUs: Math.round(stepUs),
    restoreUs: Math.round((restoreTotal * 1000) / 2_000),
    snapshotUs: Math.round((snapshotTotal * 1000) / 2_000),
    fingerprintAfterStepUs: Math.round((fingerprintTotal * 1000) / 2_000),
    fingerprintFromScratchUs: Math.round(fullFingerprintUs),
    successorUs: Math.round(successorUs),
    randomWalkStatesPerSec: Math.round(walks.states / walkSeconds),
    randomWalkUniquePerSec: Math.round(walks.unique / walkSeconds),
  };
}

const PHASES = ['restore', 'apply', 'fingerprint', 'snapshot'] as const;

/**
 * Where a bfs's CPU time goes, per unique state (µs, this process's CPU time, so a
 * shared machine's other load counts little): the same search as bfs() with World's
 * restore (a snapshot put back: a sibling's parent, or a state's nearest kept
 * ancestor), apply (a step, the invariant checks included; replayed steps too),
 * fingerprint and snapshot timed, and the rest (choices, sleep sets, the visited set,
 * the queue) as other. Timing a call costs a little, so this run is not the one the
 * rates above come from.
 */
export function phases(adapter: ProtocolAdapter, maxDepth: number): Record<string, number> {
  const proto = World.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = PHASES.map((name) => proto[name]);
  const spent: Record<string, number> = { restore: 0, apply: 0, fingerprint: 0, snapshot: 0 };
  // A phase called inside another (a snapshot fingerprints the clients) counts to the outer one.
  let inside = 0;
  PHASES.forEach((name, i) => {
    const original = originals[i];
    proto[name] = function (this: World, ...args: unknown[]) {
      if (inside > 0) return original.apply(this, args);
      inside++;
      const start = process.cpuUsage();
      try {
        return original.apply(this, args);
      } finally {
        const used = process.cpuUsage(start);
        spent[name] += used.user + used.system;
        inside--;
      }
    };
  });
  let result: ExploreResult;
  let total: number;
  try {
    const run = bfs(adapter, maxDepth);
    result = run.result;
    total = run.cpuSeconds * 1e6;
  } finally {
    PHASES.forEach((name, i) => (proto[name] = originals[i]));
  }
  const perUnique = (us: number) => Number((us / result.unique).toFixed(1));
  const out: Record<string, number> = {};
  let timed = 0;
  for (const name of PHASES) {
    out[`phase${name[0].toUpperCase()}${name.slice(1)}CpuUsPerUnique`] = perUnique(spent[name]);
    timed += spent[name];
  }
  out.phaseOtherCpuUsPerUnique = perUnique(total - timed);
  out.phaseTotalCpuUsPerUnique = perUnique(total);
  return out;
}

/** `zablab explore --workers N --json` on the bench's space: what the command reports. */
function cli(protocol: string, maxDepth: number, workers: number): { unique: number; seconds: number; cpuSeconds: number; cpuPerWall: number; workers: number } {
  const bin = join(ROOT, 'bin', 'zablab.js');
  const args = [bin, 'explore', FILE, '--protocol', protocol, '--warmup-ms', '385', '--max-crashes', '1', '--max-depth', String(maxDepth), '--max-states', '2000000', '--workers', String(workers), '--json'];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 })) as { unique: number; seconds: number; cpuSeconds: number; cpuPerWall: number; workers: number };
}

export function benchExplore(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, adapter] of [
    ['zab', zabAdapter],
    ['paxos', paxosAdapter],
  ] as const) {
    const { result, seconds, cpuSeconds } = bfs(adapter, DEPTH[name]);
    out[`${name}BfsStates`] = result.states;
    out[`${name}BfsUnique`] = result.unique;
    out[`${name}BfsDepth`] = result.depth;
    out[`${name}BfsSeconds`] = Number(seconds.toFixed(2));
    out[`${name}BfsExhausted`] = result.exhausted ? 1 : 0;
    out[`${name}BfsViolations`] = result.violation === null ? 0 : 1;
    out[`${name}BfsUniquePerSec`] = Math.round(result.unique / seconds);
    // CPU time of this (single-threaded) process: the rate on one core when the machine is shared.
    out[`${name}BfsCpuSeconds`] = Number(cpuSeconds.toFixed(2));
    out[`${name}BfsUniquePerCpuSec`] = Math.round(result.unique / cpuSeconds);
    out[`${name}BfsReplayedStepsPerState`] = Number((result.stepsReplayed / Math.max(result.states, 1)).toFixed(2));
    out[`${name}BfsPruned`] = result.pruned;
    // The same space without the partial-order reduction: the same unique states, more successors computed.
    const full = bfs(adapter, DEPTH[name], 'none');
    out[`${name}BfsNoReductionStates`] = full.result.states;
    out[`${name}BfsNoReductionUnique`] = full.result.unique;
    out[`${name}BfsNoReductionCpuSeconds`] = Number(full.cpuSeconds.toFixed(2));
    out[`${name}BfsNoReductionUniquePerCpuSec`] = Math.round(full.result.unique / full.cpuSeconds);
    for (const [property, depth] of Object.entries(result.sometimes)) out[`${name}Sometimes_${property.replace(/ (\w)/g, (_, c: string) => c.toUpperCase())}Depth`] = depth ?? -1;
    for (const [key, value] of Object.entries(costs(adapter))) out[`${name}${key[0].toUpperCase()}${key.slice(1)}`] = value;
    for (const [key, value] of Object.entries(phases(adapter, DEPTH[name]))) out[`${name}${key[0].toUpperCase()}${key.slice(1)}`] = value;
    // Two worker processes (capped at the core count): the same unique states; the speed-up is over the one-worker bfs above (wall).
    const two = cli(name, DEPTH[name], 2);
    out[`${name}Workers2Workers`] = two.workers;
    out[`${name}Workers2Unique`] = two.unique;
    out[`${name}Workers2Seconds`] = Number(two.seconds.toFixed(2));
    out[`${name}Workers2CpuSeconds`] = Number(two.cpuSeconds.toFixed(2));
    out[`${name}Workers2CpuPerWall`] = two.cpuPerWall;
    out[`${name}Workers2UniquePerSec`] = Math.round(two.unique / two.seconds);
    out[`${name}Workers2UniquePerCpuSec`] = Math.round(two.unique / two.cpuSeconds);
    out[`${name}Workers2Speedup`] = Number((seconds / two.seconds).toFixed(2));
  }
  return out;
}
