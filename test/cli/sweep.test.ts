/**
 * `zablab sweep` end to end: one JSON line per run, shards that split a sweep and merge
 * by concatenation, and failing runs saved as scenarios that `zablab run` reproduces.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zablab } from './helpers.js';
import { startSweepPool, streamSweep, sweepBatchSize } from '../../sim/cli/sweep.js';
import type { Scenario } from '../../sim/scenario/types.js';

interface Line {
  scenario: string;
  protocol: string;
  seed: number;
  ok: boolean;
  traceHash: string;
  shard?: string;
}

function lines(stdout: string): Line[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

const STORY = join(ROOT, 'scenarios', 'election-cold-start-3.json');

describe('zablab sweep', () => {
  it('bad input found after the workers started still ends at once with exit 2 (the started workers are closed)', () => {
    // The workers start before the scenarios and --protocol are read (startSweepPool): a
    // worker left open would keep the command waiting for ever (the helper's time limit).
    const started = performance.now();
    const bad = zablab(['sweep', STORY, '--seeds', '1..4', '--workers', '2', '--protocol', 'nope']);
    expect(bad.stderr).toBe('zablab sweep: --protocol must be one of zab, paxos, got "nope"\n');
    expect(bad.code).toBe(2);
    const missing = zablab(['sweep', join(ROOT, 'no-such-scenario.json'), '--seeds', '1..4', '--workers', '2']);
    expect(missing.stderr).toMatch(/^zablab sweep: .*no-such-scenario\.json: no such scenario file/);
    expect(missing.code).toBe(2);
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  // The pool's workers are built code (dist/), as every worker: skipped in the mutation runner's copy.
  it.skipIf(!existsSync(join(ROOT, 'dist', 'sim', 'cli', 'sweep-worker.js')))('a worker started ahead that dies before its sweep begins fails the sweep, not hangs it', async () => {
    // An unknown V8 flag: node refuses to start, long before the sweep listens to the worker.
    const pool = startSweepPool(1, { processFlags: ['--zablab-no-such-v8-flag'] });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const job = { index: 0, name: 'story', scenario: JSON.parse(readFileSync(STORY, 'utf8')) as Scenario, protocol: 'zab', seed: 1 };
    await expect(streamSweep({ total: 1, job: () => job }, { workers: 1, pool })).rejects.toThrow(/sweep worker process \d+ exited early \(code 9\)/);
  });

  it('hands out whole batches until the end nears, then ever smaller ones, so no worker idles behind a last big batch', () => {
    // 240 seeds on 2 workers in batches of 8, as the sweep benchmark: handed out in turn.
    const sizes: number[] = [];
    for (let left = 240; left > 0; ) {
      const size = sweepBatchSize(left, 2, 8);
      expect(size).toBeGreaterThanOrEqual(1);
      expect(size).toBeLessThanOrEqual(Math.min(8, left));
      sizes.push(size);
      left -= size;
    }
    expect(sizes.slice(0, 20)).toEqual(new Array<number>(20).fill(8));
    // The last four batches (two per worker) are single seeds: the workers finish within a seed of each other.
    expect(sizes.slice(-4)).toEqual([1, 1, 1, 1]);
    expect(sweepBatchSize(10, 2, 8)).toBe(2);
    expect(sweepBatchSize(100, 1, 8)).toBe(8);
  });

  it('--shard K/N takes every N-th seed from the K-th; the shards concatenated are the whole sweep', () => {
    const whole = zablab(['sweep', STORY, '--seeds', '1..7', '--protocol', 'zab', '--workers', '1', '--json']);
    expect(whole.code).toBe(0);
    const all = lines(whole.stdout);
    expect(all.map((l) => l.seed)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const shards = [0, 1, 2].map((k) => lines(zablab(['sweep', STORY, '--seeds', '1..7', '--protocol', 'zab', '--workers', '1', '--json', '--shard', `${k}/3`]).stdout));
    expect(shards.map((s) => s.map((l) => l.seed))).toEqual([[1, 4, 7], [2, 5], [3, 6]]);
    // Each line names its shard (for zablab merge); apart from that the shards' lines are the whole sweep's.
    expect(shards.map((s) => [...new Set(s.map((l) => l.shard))])).toEqual([['0/3'], ['1/3'], ['2/3']]);
    const unshard = (l: Line) => ({ ...l, shard: undefined });
    const merged = shards.flat().sort((a, b) => a.seed - b.seed);
    expect(merged.map(unshard)).toEqual(all.map(unshard));
  });

  it('saves each failing run as a scenario with its seed, which zablab run reproduces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-sweep-'));
    // A story that cannot hold: at most 0 leaders.
    const file = join(dir, 'no-leader-allowed.json');
    writeFileSync(file, JSON.stringify({ title: 'no leader allowed', explanation: 'Fails on purpose.', protocols: ['zab'], cluster: { servers: 3 }, durationMs: 400, expect: { maxLeaders: 0 } }));
    const out = join(dir, 'out');
    const result = zablab(['sweep', file, '--seeds', '3..4', '--workers', '1', '--json', '--out', out]);
    expect(result.code).toBe(1);
    const runs = lines(result.stdout);
    expect(runs.map((r) => [r.seed, r.ok])).toEqual([[3, false], [4, false]]);
    const saved = readdirSync(out).filter((name) => name.endsWith('.json')).sort();
    expect(saved.length).toBe(2);
    const again = zablab(['run', join(out, saved[0]), '--json']);
    expect(again.code).toBe(1);
    const rerun = JSON.parse(again.stdout) as Line;
    expect(runs.map((r) => r.traceHash)).toContain(rerun.traceHash);
  });

  it('a run saved by sweep --bug replays with its bug switch: zablab run gives the same hash and fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-sweep-bug-'));
    const story = join(ROOT, 'scenarios', 'leader-crash-during-broadcast.json');
    const result = zablab(['sweep', story, '--protocol', 'zab', '--bug', 'applyWritesLocally', '--seeds', '1..2', '--workers', '1', '--json', '--out', dir]);
    expect(result.code).toBe(1);
    const runs = lines(result.stdout) as (Line & { reproduction?: string })[];
    expect(runs.length).toBe(2);
    for (const run of runs.filter((r) => !r.ok)) {
      const saved = JSON.parse(readFileSync(run.reproduction!, 'utf8')) as { seed: number; bugs?: string[]; protocols: string[] };
      expect(saved).toMatchObject({ seed: run.seed, bugs: ['applyWritesLocally'], protocols: ['zab'] });
      const again = zablab(['run', run.reproduction!, '--json']);
      expect(again.code).toBe(1);
      expect((JSON.parse(again.stdout) as Line).traceHash).toBe(run.traceHash);
    }
  });

  it('shrink takes run\'s flags (--bug, --protocol, --seed) and writes them into the shrunk scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-shrink-bug-'));
    const story = join(ROOT, 'scenarios', 'leader-crash-during-broadcast.json');
    const out = join(dir, 'shrunk.json');
    const result = zablab(['shrink', story, '--protocol', 'zab', '--bug', 'applyWritesLocally', '--seed', '1', '--max-runs', '15', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { seed: number; bugs?: string[]; protocols: string[] };
    expect(saved).toMatchObject({ seed: 1, bugs: ['applyWritesLocally'], protocols: ['zab'] });
    expect(zablab(['run', out]).code).toBe(1);
  });
});
