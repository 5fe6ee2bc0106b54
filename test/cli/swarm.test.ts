/**
 * `zablab swarm` end to end: one line per bad flag (exit 2); the same results whatever
 * the worker count; failing runs saved as scenarios that `zablab run` reproduces, the
 * first of each symptom shrunk beside them.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zablab } from './helpers.js';

interface Line {
  protocol: string;
  seed: number;
  ok: boolean;
  traceHash: string;
  kinds: string[];
  failed: string[];
  violations: string[];
  reproduction?: string;
  shrunk?: string;
}

const lines = (stdout: string): Line[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

describe('zablab swarm', () => {
  it('rejects bad flags with one line and exit code 2', () => {
    for (const args of [
      ['swarm', '--runs', '3'],
      ['swarm', '--protocol', 'raft', '--runs', '3'],
      ['swarm', '--protocol', 'zab'],
      ['swarm', '--protocol', 'zab', '--runs', 'many'],
      ['swarm', '--protocol', 'zab', '--runs', '0'],
      ['swarm', '--protocol', 'zab', '--runs', '3', '--seed', '-1'],
      ['swarm', '--protocol', 'zab', '--runs', '3', '--workers', 'two'],
      ['swarm', '--protocol', 'zab', '--runs', '3', '--bug', 'volatileAcceptor'],
      ['swarm', '--protocol', 'zab', '--runs', '3', '--frobnicate'],
      ['swarm', '--protocol', 'zab', '--runs', '3', '--profile', 'recipes'],
      ['swarm', 'scenarios/election-cold-start-3.json', '--protocol', 'zab', '--runs', '3'],
    ]) {
      const { code, stderr } = zablab(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(/^zablab swarm: [^\n]+\n$/);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('draws the same runs whatever the worker count, and passes on the correct protocols', () => {
    const args = ['swarm', '--protocol', 'paxos', '--runs', '6', '--seed', '40', '--json'];
    const inline = zablab([...args, '--workers', '0']);
    const threads = zablab([...args, '--workers', '2']);
    expect(inline.code).toBe(0);
    expect(lines(inline.stdout).map((l) => l.seed)).toEqual([40, 41, 42, 43, 44, 45]);
    expect(lines(threads.stdout)).toEqual(lines(inline.stdout));
    const summary = zablab(['swarm', '--protocol', 'zab', '--runs', '4', '--workers', '1']);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(/4 runs, 0 failed \(0 symptoms\) in [\d.]+ s: [\d.]+ seeds\/s on 1 worker/);
  });

  it('saves every failing run with its seed and bug switch, shrinks one per symptom, and zablab run reproduces both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-swarm-'));
    const result = zablab(['swarm', '--protocol', 'zab', '--runs', '3', '--bug', 'applyOnPropose', '--workers', '1', '--shrink-runs', '40', '--json', '--out', dir]);
    expect(result.code).toBe(1);
    const runs = lines(result.stdout);
    const failing = runs.filter((r) => !r.ok);
    expect(failing.length).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => !f.includes('shrunk')).sort()).toEqual(failing.map((r) => `swarm-zab-applyOnPropose-seed${r.seed}.json`).sort());
    const first = failing[0];
    const saved = JSON.parse(readFileSync(first.reproduction!, 'utf8')) as { seed: number; bugs: string[]; protocols: string[] };
    expect(saved).toMatchObject({ seed: first.seed, bugs: ['applyOnPropose'], protocols: ['zab'] });
    const again = zablab(['run', first.reproduction!, '--json']);
    expect(again.code).toBe(1);
    expect((JSON.parse(again.stdout) as Line).traceHash).toBe(first.traceHash);
    expect(first.shrunk).toBeDefined();
    const shrunk = zablab(['run', first.shrunk!, '--json']);
    expect(shrunk.code).toBe(1);
    expect((JSON.parse(shrunk.stdout) as { ok: boolean; invariants: { ok: boolean } }).invariants.ok).toBe(false);
  });
});
