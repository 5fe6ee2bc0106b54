/**
 * `zablab run` says what happened: expectations a halted run never evaluated are shown
 * as skipped (text and --json), and a cluster still behind after the quiet time is a
 * liveness failure, not an invariant violation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zablab } from './helpers.js';
import { haltedStory, STALLED } from '../helpers/verdict-stories.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zablab-verdicts-'));
});

function file(name: string, content: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('zablab run: a run that halted at an invariant violation', () => {
  it('--json: the expectations it never evaluated have status "skipped", not ok: true', () => {
    const run = zablab(['run', file('halted', haltedStory()), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; halted: { invariant: string }; liveness: { status: string }; expectations: { name: string; status: string; ok: boolean; detail: string }[] };
    expect(result.ok).toBe(true);
    expect(result.halted.invariant).toBe('ProcessConsistency');
    expect(result.liveness.status).toBe('skipped');
    const skipped = result.expectations.filter((e) => e.status === 'skipped');
    expect(skipped.map((e) => e.name)).toEqual(['at least 3 leader change(s)', 'every operation completes after healing', 'every server back in service after healing', 'servers converge to the same tree']);
    for (const e of skipped) expect(e.ok).toBe(false);
  });

  it('text: "–  skipped: the run halted at …", never ✓ beside them', () => {
    const run = zablab(['run', file('halted-text', haltedStory())]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {3}– every operation completes after healing — skipped: the run halted at ProcessConsistency \(t=[\d.]+ ms\)$/m);
    expect(run.stdout).toMatch(/^ {3}– servers converge to the same tree — skipped: the run halted at ProcessConsistency/m);
    expect(run.stdout).toMatch(/^ {2}liveness {5}– skipped: the run halted at ProcessConsistency before the liveness phase$/m);
    expect(run.stdout).not.toMatch(/✓ (every operation completes|every server back in service|servers converge)/);
    expect(run.stdout).toMatch(/\n {2}PASS\n$/);
  });
});

describe('zablab run: a cluster still behind when the quiet time ends', () => {
  it('is a liveness failure, not an Agreement violation', () => {
    const run = zablab(['run', file('stalled', STALLED), '--protocol', 'zab']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}invariants {3}✓ all hold$/m);
    expect(run.stdout).toMatch(/^ {2}liveness {5}✗ not converged when the quiet time ended \(liveness, not safety\): server 0 has not delivered the committed/m);
    expect(run.stdout).toMatch(/^ {3}✗ servers converge to the same tree — not converged when the quiet time ended \(a liveness failure\)/m);
    expect(run.stdout).not.toContain('Agreement');
  });
});
