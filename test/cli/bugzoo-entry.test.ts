/**
 * `npm run bugzoo` runs dist/test/bench/bugzoo.js through the `dist` symlink. Its "am I the
 * program?" test compared the module's own path (the build's directory) with argv's (the
 * link), so it never ran: the command printed nothing and exited 0. Bad flags get one line
 * and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const ENTRY = join(ROOT, 'dist', 'test', 'bench', 'bugzoo.js');
const run = (args: string[]) => spawnSync(process.execPath, [ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

// npm test builds dist first; the mutation runner's copy of the checkout has none.
describe.skipIf(!existsSync(ENTRY))('npm run bugzoo', () => {
  it('runs through the dist symlink and prints its table', () => {
    const result = run(['--runs', '3', '--seeds', '1', '--only', 'epochBeforeHistory', '--no-shrink', '--json']);
    expect(result.status).toBe(0);
    const rows = JSON.parse(result.stdout) as { bug: string; seeds: number; maxRuns: number }[];
    expect(rows).toMatchObject([{ bug: 'epochBeforeHistory', seeds: 1, maxRuns: 3 }]);
  });

  it.each([
    [['--runs', 'x'], /--runs must be a positive integer, got "x"/],
    [['--only', 'nosuch'], /unknown bug switch "nosuch"/],
    [['--generator', 'nosuch'], /--generator must be one of/],
  ])('%j: one line, exit 2', (args, message) => {
    const result = run(args as string[]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message as RegExp);
  });
});
