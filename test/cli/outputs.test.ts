/**
 * The CLI never loses work: an output is never one of the command's inputs, an existing
 * output is replaced only with --force, and output paths are checked before any work.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zablab } from './helpers.js';

const STORY = join(ROOT, 'scenarios', 'election-cold-start-3.json');

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zablab-outputs-'));
  copyFileSync(STORY, join(dir, 's.json'));
  return dir;
}

function expectRefused(result: { code: number; stderr: string; stdout: string }, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^zablab [a-z-]+: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
  // Refused before the work: no report was printed.
  expect(result.stdout).toBe('');
}

describe('outputs never overwrite inputs or existing files', () => {
  it('run --trace refuses the scenario itself (also through a link), and an existing file without --force', () => {
    const dir = workdir();
    const scenario = join(dir, 's.json');
    const before = readFileSync(scenario, 'utf8');
    expectRefused(zablab(['run', scenario, '--trace', scenario]), /--trace .*s\.json: that is an input of this command/);
    expectRefused(zablab(['run', scenario, '--trace', scenario, '--force']), /that is an input of this command/);
    symlinkSync(scenario, join(dir, 'link.json'));
    expectRefused(zablab(['run', scenario, '--trace', join(dir, 'link.json'), '--force']), /that is an input of this command/);
    expect(readFileSync(scenario, 'utf8')).toBe(before);

    const trace = join(dir, 't.json');
    writeFileSync(trace, 'precious');
    expectRefused(zablab(['run', scenario, '--trace', trace]), /--trace .*t\.json: the file exists; pass --force to replace it/);
    expect(readFileSync(trace, 'utf8')).toBe('precious');
    expect(zablab(['run', scenario, '--trace', trace, '--force']).code).toBe(0);
    expect(readFileSync(trace, 'utf8')).toMatch(/^\{/);
    // No temporary file is left beside the outputs.
    expect(readdirSync(dir).sort()).toEqual(['link.json', 's.json', 't.json']);
  });

  it('export --out and shrink --out refuse their input and existing files', () => {
    const dir = workdir();
    const trace = join(dir, 't.ndjson');
    expect(zablab(['run', join(dir, 's.json'), '--trace', trace]).code).toBe(0);
    const before = readFileSync(trace, 'utf8');
    expectRefused(zablab(['export', trace, '--format', 'edn', '--out', trace]), /--out .*t\.ndjson: that is an input/);
    expect(readFileSync(trace, 'utf8')).toBe(before);
    const edn = join(dir, 'h.edn');
    expect(zablab(['export', trace, '--format', 'edn', '--out', edn]).code).toBe(0);
    expectRefused(zablab(['export', trace, '--format', 'json', '--out', edn]), /the file exists/);
    expect(zablab(['export', trace, '--format', 'json', '--out', edn, '--force']).code).toBe(0);

    const scenario = join(dir, 's.json');
    expectRefused(zablab(['shrink', scenario, '--out', scenario, '--force']), /--out .*s\.json: that is an input/);
    expectRefused(zablab(['shrink', scenario, '--out', edn]), /the file exists/);
    expectRefused(zablab(['shrink', scenario, '--out', join(scenario, 'x.json')]), /is a file, not a folder/);
  });

  it('sweep --out: a file, or a folder holding reproductions it would replace, is refused before any run', () => {
    const dir = workdir();
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    expectRefused(zablab(['sweep', join(dir, 's.json'), '--seeds', '1..2', '--workers', '0', '--out', file]), /--out .*not-a-folder: is a file, expected a folder/);
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 's-zab-seed7.json'), 'an earlier reproduction');
    writeFileSync(join(out, 'notes.txt'), 'unrelated');
    expectRefused(zablab(['sweep', join(dir, 's.json'), '--seeds', '1..2', '--workers', '0', '--out', out]), /already holds 1 file\(s\) this command would replace \(s-zab-seed7\.json\); pass --force/);
    expectRefused(zablab(['hunt', '--bug', 'applyWritesLocally', '--runs', '1', '--out', join(out, 'notes.txt')]), /the file exists/);
    expect(readFileSync(join(out, 's-zab-seed7.json'), 'utf8')).toBe('an earlier reproduction');
  });
});
