/**
 * Breadth-first search on several workers (sim/explore/parallel.ts, `zablab explore
 * --workers N`): the result must not depend on N. With every switch off, the same
 * unique states, depth, states at the bound and "sometimes" depths as the one-worker
 * search; with a bug switch, the same verdict and a counterexample of the same (shortest)
 * depth that `zablab run` replays to the same invariant and hash. In-process workers
 * check the coordination for 2 and 3 workers on any machine; the CLI runs worker
 * processes (capped at the core count).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolName, Scenario } from '../../sim/scenario/types.js';
import { explore, type ExploreResult } from '../../sim/explore/search.js';
import { exploreParallel, localPort, randomParallel, type LevelTask } from '../../sim/explore/parallel.js';
import { replayCounterexample, counterexampleScenario } from '../../sim/explore/counterexample.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';
import { ROOT, zablab } from '../cli/helpers.js';

const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO: Scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
const ONE_CRASH: Budgets = { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: 1_000_000 };

function both(protocol: ProtocolName, maxDepth: number, workers: number, scenario: Scenario = SCENARIO): Promise<[ExploreResult, ExploreResult]> {
  const one = explore(scenario, protocolAdapter(protocol), { strategy: 'bfs', maxDepth, maxStates: 100_000, budgets: ONE_CRASH, seed: 1, prefix: WARMUP });
  const task: LevelTask = { scenario, protocol, maxDepth, budgets: ONE_CRASH, seed: 1, prefix: WARMUP };
  const ports = Array.from({ length: workers }, () => localPort(protocolAdapter));
  return exploreParallel(task, ports, { maxStates: 100_000 }).then((many) => [one, many]);
}

function space(result: ExploreResult) {
  return { unique: result.unique, depth: result.depth, exhausted: result.exhausted, cutAtDepth: result.cutAtDepth, sometimes: result.sometimes, violation: result.violation?.invariant ?? null };
}

describe('bfs on several workers', () => {
  it('with every switch off, the same bounded space as one worker (ZAB on 2 workers, Paxos on 3)', async () => {
    const [zabOne, zabTwo] = await both('zab', 5, 2);
    expect(zabOne.exhausted).toBe(true);
    expect(zabOne.unique).toBeGreaterThan(500);
    expect(space(zabTwo)).toEqual(space(zabOne));
    // Every state is expanded once: no sleep sets, so at least the one worker's successors.
    expect(zabTwo.states).toBeGreaterThanOrEqual(zabOne.states);
    const [paxosOne, paxosThree] = await both('paxos', 6, 3);
    expect(paxosOne.sometimes['txn committed']).not.toBeNull();
    expect(space(paxosThree)).toEqual(space(paxosOne));
  });

  it('with a bug switch, the same verdict and a shortest counterexample that replays (a violation in the initial state too)', async () => {
    for (const [bug, depth] of [
      ['applyWritesLocally', 2],
      ['applyOnPropose', 0],
    ] as const) {
      const scenario = { ...SCENARIO, bugs: [bug] };
      const [one, two] = await both('zab', 4, 2, scenario);
      expect(one.violation?.depth, bug).toBe(depth);
      expect(two.violation?.invariant, bug).toBe(one.violation?.invariant);
      expect(two.violation?.depth, bug).toBe(depth);
      const file = counterexampleScenario(scenario, 'zab', 1, two.violation!, 'bfs');
      expect(replayCounterexample(file, protocolAdapter('zab'), two.violation!).reproduced, bug).toBe(true);
    }
  });

  it('zablab explore --workers 2 and --workers 1 agree: unique states, verdict, counterexample depth, replay hash', () => {
    const workers = Math.min(2, availableParallelism());
    const dir = mkdtempSync(join(tmpdir(), 'zablab-parallel-'));
    const clean = (n: number) => zablab(['explore', FILE, '--warmup-ms', '385', '--max-crashes', '1', '--max-depth', '4', '--workers', String(n), '--json']);
    const [a, b] = [clean(1), clean(2)];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const [ja, jb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as { unique: number; exhausted: boolean; workers: number; cpuPerWall: number }[];
    expect(jb.workers).toBe(workers);
    expect(jb.unique).toBe(ja.unique);
    expect(jb.exhausted).toBe(true);
    const found = (n: number) => {
      const out = join(dir, `cx-${n}.json`);
      const cli = zablab(['explore', FILE, '--bug', 'applyWritesLocally', '--warmup-ms', '385', '--max-depth', '4', '--workers', String(n), '--out', out, '--json']);
      expect(cli.code, cli.stderr).toBe(1);
      const reported = JSON.parse(cli.stdout) as { violation: { invariant: string; depth: number; replayed: { traceHash: string; reproduced: boolean } } };
      const run = zablab(['run', out, '--json']);
      expect(run.code, run.stderr).toBe(0);
      return { ...reported.violation, run: (JSON.parse(run.stdout) as { traceHash: string }).traceHash };
    };
    const [va, vb] = [found(1), found(2)];
    expect(vb.invariant).toBe(va.invariant);
    expect(vb.depth).toBe(va.depth);
    expect(vb.replayed.reproduced).toBe(true);
    expect(vb.run).toBe(vb.replayed.traceHash);
  });

  it('random walks on 2 workers: their own walks, every state counted once, a counterexample that replays', async () => {
    const task: LevelTask = { scenario: SCENARIO, protocol: 'zab', maxDepth: 30, budgets: ONE_CRASH, seed: 1, prefix: WARMUP };
    const two = await randomParallel(task, [localPort(protocolAdapter), localPort(protocolAdapter)], { maxStates: 2_000, seed: 1 });
    const one = explore(SCENARIO, protocolAdapter('zab'), { strategy: 'random', maxDepth: 30, maxStates: 1_000, budgets: ONE_CRASH, seed: 1, prefix: WARMUP });
    expect(two.states).toBe(2_000);
    // Different walks: the two workers together meet more states than one worker's share alone.
    expect(two.unique).toBeGreaterThan(one.unique);
    expect(two.unique).toBeLessThanOrEqual(two.states);
    const buggy = { ...task, scenario: { ...SCENARIO, bugs: ['applyWritesLocally'] } };
    const found = await randomParallel(buggy, [localPort(protocolAdapter), localPort(protocolAdapter)], { maxStates: 2_000, seed: 1 });
    expect(found.violation?.invariant).toBe('Integrity');
    const file = counterexampleScenario(buggy.scenario, 'zab', 1, found.violation!, 'random');
    expect(replayCounterexample(file, protocolAdapter('zab'), found.violation!).reproduced).toBe(true);
  });

  it('bad --workers values: one line, exit 2; above the core count it is capped with a note; dfs runs on one worker', () => {
    for (const value of ['0', 'two', '-1', '1.5', '']) {
      const cli = zablab(['explore', FILE, '--max-depth', '1', '--workers', value]);
      expect(cli.code, `${value}: ${cli.stderr}`).toBe(2);
      expect(cli.stderr.trim().split('\n')[0]).toMatch(/--workers/);
      expect(cli.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
    const many = zablab(['explore', FILE, '--warmup-ms', '385', '--max-depth', '2', '--workers', '999', '--json']);
    expect(many.code, many.stderr).toBe(0);
    expect(many.stderr).toMatch(/--workers 999: this machine has \d+ core/);
    expect((JSON.parse(many.stdout) as { workers: number }).workers).toBe(availableParallelism());
    const dfs = zablab(['explore', FILE, '--warmup-ms', '385', '--max-depth', '2', '--strategy', 'dfs', '--workers', '2', '--json']);
    expect(dfs.code, dfs.stderr).toBe(0);
    if (availableParallelism() > 1) expect(dfs.stderr).toMatch(/--workers applies to bfs and random; dfs runs on one worker/);
    expect((JSON.parse(dfs.stdout) as { workers: number }).workers).toBe(1);
  });
});
