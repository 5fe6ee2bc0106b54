/**
 * Sweeps across machines: a sweep split three ways (by --shard and by the environment a
 * Kubernetes Indexed Job or a CI matrix gives) and joined again by `zablab merge` has the
 * totals, the runs and the reproductions of the sweep run whole; overlapping or missing
 * shards are refused.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zablab } from './helpers.js';
import { resolveShard } from '../../sim/cli/shard.js';

interface Line {
  scenario?: string;
  protocol: string;
  seed: number;
  ok: boolean;
  traceHash: string;
  reproduction?: string;
  shard: string;
  seeds: string;
}

const lines = (text: string): Line[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
/** A line without what depends on where and in which shard it ran. */
const essence = (l: Line) => ({ ...l, shard: undefined, reproduction: l.reproduction === undefined ? undefined : l.reproduction.replace(/^.*[\\/]/, '') });

const PASSING = join(ROOT, 'scenarios', 'election-cold-start-3.json');
const SEEDS = '1..8';

function failingStory(dir: string): string {
  // Cannot hold: at most 0 leaders. Every seed fails and is saved.
  const file = join(dir, 'no-leader.json');
  const story = JSON.parse(readFileSync(PASSING, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...story, $schema: undefined, expect: { maxLeaders: 0 } }));
  return file;
}

describe('zablab merge', () => {
  it('joins a sweep sharded three ways (flag, Indexed Job, CI matrix) into the unsharded totals, runs and reproductions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-merge-'));
    const failing = failingStory(dir);
    const base = ['sweep', failing, PASSING, '--seeds', SEEDS, '--protocol', 'zab', '--workers', '0', '--json'];
    const whole = zablab([...base, '--out', join(dir, 'whole')]);
    expect(whole.code).toBe(1);
    // The three shards as three kinds of machine would start them.
    const shardEnv: { args: string[]; env?: Record<string, string> }[] = [
      { args: ['--shard', '0/3'] },
      { args: ['--shard-count', '3'], env: { JOB_COMPLETION_INDEX: '1' } },
      { args: [], env: { ZABLAB_SHARD: '2/3' } },
    ];
    const shardDirs = shardEnv.map(({ args, env }, k) => {
      const out = join(dir, `shard-${k}`);
      const result = zablab([...base, '--out', out, ...args], { env });
      expect(result.code, result.stderr).toBe(1);
      expect(new Set(lines(result.stdout).map((l) => l.shard))).toEqual(new Set([`${k}/3`]));
      writeFileSync(join(out, 'runs.jsonl'), result.stdout);
      return out;
    });
    const merged = zablab(['merge', ...shardDirs, '--out', join(dir, 'merged'), '--json']);
    expect(merged.code, merged.stderr).toBe(1);
    const summary = JSON.parse(merged.stdout) as { runs: number; passed: number; failed: number; shards: number; groups: { name: string; runs: number; failed: number; failingSeeds: number[] }[] };
    const wholeLines = lines(whole.stdout);
    expect(summary.runs).toBe(wholeLines.length);
    expect(summary.failed).toBe(wholeLines.filter((l) => !l.ok).length);
    expect(summary.passed).toBe(8);
    expect(summary.shards).toBe(3);
    expect(summary.groups).toEqual([
      { name: 'no-leader zab', runs: 8, failed: 8, failingSeeds: [1, 2, 3, 4, 5, 6, 7, 8] },
      { name: 'election-cold-start-3 zab', runs: 8, failed: 0, failingSeeds: [] },
    ]);
    // The merged runs are the whole sweep's, in its order, reproductions pointing into merged/.
    const mergedLines = lines(readFileSync(join(dir, 'merged', 'runs.jsonl'), 'utf8'));
    expect(mergedLines.map(essence)).toEqual(wholeLines.map(essence));
    for (const line of mergedLines.filter((l) => !l.ok)) expect(line.reproduction!.startsWith(join(dir, 'merged'))).toBe(true);
    // The same reproductions, byte for byte.
    const saved = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.json')).sort();
    expect(saved(join(dir, 'merged'))).toEqual(saved(join(dir, 'whole')));
    for (const name of saved(join(dir, 'whole'))) expect(readFileSync(join(dir, 'merged', name), 'utf8')).toBe(readFileSync(join(dir, 'whole', name), 'utf8'));
    // Again into the same folder: refused, the earlier merge is kept.
    const again = zablab(['merge', ...shardDirs, '--out', join(dir, 'merged')]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    // Overlapping or missing shards: one line, exit 2, nothing written.
    const refusals: [string[], RegExp][] = [
      [[shardDirs[0], shardDirs[1]], /shard 2\/3 missing/],
      [[...shardDirs, join(shardDirs[1], 'runs.jsonl')], /seed 2 of no-leader zab again .*overlapping shards/],
      [[shardDirs[0], shardDirs[0], shardDirs[1], shardDirs[2]], /again .*overlapping/],
    ];
    const cut = join(dir, 'cut');
    mkdirSync(cut);
    writeFileSync(join(cut, 'runs.jsonl'), readFileSync(join(shardDirs[2], 'runs.jsonl'), 'utf8').split('\n').slice(0, 2).join('\n'));
    refusals.push([[shardDirs[0], shardDirs[1], cut], /election-cold-start-3 zab: 2 of seeds 1\.\.8 missing \(3, 6; shard 2\/3\)/]);
    for (const [args, pattern] of refusals) {
      const result = zablab(['merge', ...args]);
      expect(result.code, result.stdout).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('joins the shards of a swarm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-merge-swarm-'));
    const base = ['swarm', '--protocol', 'paxos', '--runs', '5', '--workers', '0', '--json', '--shrink', '0'];
    const whole = lines(zablab([...base, '--out', join(dir, 'whole')]).stdout);
    const files = [0, 1].map((k) => {
      const result = zablab([...base, '--out', join(dir, `s${k}`), '--shard', `${k}/2`]);
      const file = join(dir, `s${k}.jsonl`);
      writeFileSync(file, result.stdout);
      return file;
    });
    const merged = zablab(['merge', ...files, '--json']);
    const summary = JSON.parse(merged.stdout) as { kind: string; runs: number; failed: number; groups: { name: string }[] };
    expect(summary.kind).toBe('swarm');
    expect(summary.runs).toBe(5);
    expect(summary.failed).toBe(whole.filter((l) => !l.ok).length);
    expect(summary.groups.map((g) => g.name)).toEqual(['swarm paxos']);
    expect(merged.code).toBe(summary.failed === 0 ? 0 : 1);
  });
});

describe('the shard from the environment', () => {
  it('maps a Kubernetes Indexed Job, a CI matrix and GitLab parallel jobs to the right shard; the flag wins', () => {
    expect(resolveShard({}, {})).toMatchObject({ index: 0, count: 1 });
    expect(resolveShard({ shardCount: '4' }, { JOB_COMPLETION_INDEX: '3' })).toMatchObject({ index: 3, count: 4, source: 'JOB_COMPLETION_INDEX' });
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '5' })).toMatchObject({ index: 0, count: 5 });
    expect(resolveShard({}, { ZABLAB_SHARD: '2/3' })).toMatchObject({ index: 2, count: 3, source: 'ZABLAB_SHARD' });
    expect(resolveShard({}, { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '2' })).toMatchObject({ index: 0, count: 2, source: 'CI_NODE_INDEX' });
    // Precedence: the flag, then ZABLAB_SHARD, then the Indexed Job, then GitLab.
    expect(resolveShard({ shard: '1/2' }, { ZABLAB_SHARD: '2/3', JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '9' })).toMatchObject({ index: 1, count: 2 });
    expect(resolveShard({}, { ZABLAB_SHARD: '2/3', JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '9' })).toMatchObject({ index: 2, count: 3 });
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '9', CI_NODE_INDEX: '1', CI_NODE_TOTAL: '2' })).toMatchObject({ index: 4, count: 9 });
    const refused: [Parameters<typeof resolveShard>[0], Record<string, string>, RegExp][] = [
      [{}, { JOB_COMPLETION_INDEX: '2' }, /JOB_COMPLETION_INDEX=2 is set .*--shard-count N or set JOB_COMPLETIONS/],
      [{ shardCount: '2' }, { JOB_COMPLETION_INDEX: '2' }, /shard index 2 is not below the shard count 2/],
      [{}, { JOB_COMPLETION_INDEX: 'x', JOB_COMPLETIONS: '2' }, /JOB_COMPLETION_INDEX must be a non-negative integer/],
      [{}, { ZABLAB_SHARD: '3/3' }, /ZABLAB_SHARD 3\/3: shard index 3 is not below/],
      [{}, { ZABLAB_SHARD: 'two' }, /ZABLAB_SHARD must be K\/N/],
      [{}, { ZABLAB_SHARD: '0/0' }, /between 1 and/],
      [{ shardCount: '3' }, {}, /--shard-count N needs JOB_COMPLETION_INDEX/],
      [{ shard: '0/2', shardCount: '2' }, {}, /do not go together/],
      [{}, { CI_NODE_INDEX: '0', CI_NODE_TOTAL: '2' }, /CI_NODE_INDEX must be at least 1/],
    ];
    for (const [flags, env, pattern] of refused) expect(() => resolveShard(flags, env)).toThrow(pattern);
  });

  it('a bad shard in the environment stops the sweep before it runs: one line, exit 2', () => {
    const result = zablab(['sweep', PASSING, '--seeds', SEEDS, '--workers', '0'], { env: { JOB_COMPLETION_INDEX: '7', JOB_COMPLETIONS: '3' } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^zablab sweep: JOB_COMPLETION_INDEX=7 with JOB_COMPLETIONS=3: shard index 7 is not below the shard count 3/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });
});
