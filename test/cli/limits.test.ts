/**
 * Limits, stated and enforced: a run stops at its events limit with what it has (exit 3,
 * the trace so far); a sweep of any seed range streams its runs in flat memory instead
 * of making every job first; --workers is capped at the core count.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zablab } from './helpers.js';

const STORY = join(ROOT, 'scenarios', 'election-cold-start-3.json');

describe('limits', () => {
  it('a run that reaches --max-events stops with exit 3, says so, and keeps the trace so far', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-limits-'));
    // A story of 1e9 ms would otherwise run for days.
    const scenario = join(dir, 'long.json');
    writeFileSync(scenario, JSON.stringify({ ...JSON.parse(readFileSync(STORY, 'utf8')), durationMs: 1e9 }));
    const trace = join(dir, 'long.ndjson');
    const result = zablab(['run', scenario, '--max-events', '3000', '--trace', trace]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^zablab run: the run stopped at its events limit \(3000 events, [\d.]+ ms simulated\) before its end; raise it with --max-events N .*; the trace so far is in .*long\.ndjson\n$/);
    expect(result.stdout).toMatch(/STOPPED at the events limit \(3000 events\): no verdict/);
    const info = zablab(['trace-info', trace, '--json']);
    expect(info.code).toBe(0);
    expect((JSON.parse(info.stdout) as { events: number }).events).toBeGreaterThanOrEqual(3000);
    const json = zablab(['run', scenario, '--max-events', '3000', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, limit: { maxEvents: 3000 } });
    expect(zablab(['run', scenario, '--max-events', '0']).stderr).toMatch(/^zablab run: --max-events needs a positive integer, got 0\n$/);
  });

  it('hunt takes --max-events as run does: a run stopped at the limit has no verdict, so it is not a find', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-hunt-limit-'));
    const out = join(dir, 'found.json');
    // applyWritesLocally shows in the first few random runs (commands.test.ts); with a limit
    // of 50 events no run gets past its election, so none can fail and nothing is found.
    const capped = zablab(['hunt', '--bug', 'applyWritesLocally', '--runs', '5', '--max-events', '50', '--out', out, '--json']);
    expect(capped.code).toBe(1);
    expect(JSON.parse(capped.stdout)).toMatchObject({ found: false, runs: 5 });
    const found = zablab(['hunt', '--bug', 'applyWritesLocally', '--runs', '20', '--max-events', '5000000', '--out', out, '--json']);
    expect(found.code).toBe(0);
    expect(zablab(['hunt', '--bug', 'applyWritesLocally', '--max-events', '-1']).stderr).toMatch(/^zablab hunt: --max-events/);
  });

  it('a sweep of the whole seed range starts at once and streams its results (jobs are made lazily)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-stream-'));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'zablab.js'), 'sweep', STORY, '--seeds', '0..4294967295', '--protocol', 'zab', '--workers', '1', '--json', '--out', dir], { cwd: dir });
    const first = await new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      let text = '';
      // The old code made all 4294967296 jobs first: gigabytes, and no line before it died.
      const timer = setTimeout(() => reject(new Error(`no result within 30 s: ${text}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const line = text.indexOf('\n');
        if (line >= 0) {
          clearTimeout(timer);
          resolve(text.slice(0, line));
        }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    }).finally(() => child.kill());
    expect(JSON.parse(first)).toMatchObject({ scenario: 'election-cold-start-3', protocol: 'zab', seed: 0 });
  });

  it('--workers above the core count is clamped, and says so', () => {
    const cores = availableParallelism();
    // One seed per core, so that every worker the clamp allows has a run (a sweep starts no more workers than runs).
    const result = zablab(['sweep', STORY, '--seeds', `1..${cores}`, '--protocol', 'zab', '--workers', String(cores + 38)]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`zablab sweep: note: --workers ${cores + 38}: this machine has ${cores} core`);
    expect(result.stdout).toMatch(new RegExp(`runs/s, ${cores} worker process${cores === 1 ? '' : 'es'}, [0-9.]+ CPU s per wall s\\)`));
  });
});
