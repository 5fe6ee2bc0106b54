/**
 * The mutation runner (scripts/mutants.mjs) itself: a bad catalogue entry is one line and
 * exit 2 before anything runs; a mutant the named tests notice is killed and one they do
 * not notice survives (exit 1); the checkout is left as it was. The real catalogue is run
 * by `npm run mutants`, not here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'zablab-mutants-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runner(entries: unknown, ...flags: string[]) {
  const file = join(dir, `catalogue-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof entries === 'string' ? entries : JSON.stringify(entries));
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'mutants.mjs'), '--catalogue', file, ...flags], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const base = {
  file: 'sim/core/quorum.ts',
  why: 'a strict majority',
  tests: ['test/core/quorum.test.ts'],
};

describe('npm run mutants', () => {
  it('the real catalogue still applies: every find occurs exactly once, every replacement parses, every test path exists', () => {
    // A change to the code a mutant edits must move the mutant with it (h34's learner
    // rewrite left two Paxos mutants pointing at text that was gone).
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'mutants.mjs'), '--list'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses a bad catalogue with one line per bad entry and exit 2, running nothing', () => {
    const bad = runner([
      { ...base, id: 'twice', find: 'quorum', replace: 'x' },
      { ...base, id: 'absent', find: 'no such text anywhere', replace: 'x' },
      { ...base, id: 'unparsable', find: 'return Math.floor(voterCount / 2) + 1;', replace: 'return (;' },
      { ...base, id: 'no-tests', find: 'return Math.floor(voterCount / 2) + 1;', replace: 'return 1;', tests: ['test/nowhere.test.ts'] },
    ]);
    expect(bad.code).toBe(2);
    const lines = bad.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/\[0\] twice: 'find' occurs \d+ times in sim\/core\/quorum.ts \(must be exactly once\)/);
    expect(lines[1]).toMatch(/\[1\] absent: 'find' occurs 0 times/);
    expect(lines[2]).toMatch(/\[2\] unparsable: the replacement does not parse/);
    expect(lines[3]).toMatch(/\[3\] no-tests: test path 'test\/nowhere.test.ts' does not exist/);
    expect(bad.stdout).toBe('');
    expect(runner('{ not json').stderr).toMatch(/^mutants: .*catalogue-.*\.json: not JSON/);
    expect(runner([], '--only', 'ghost').stderr).toMatch(/--only: no mutant 'ghost'/);
    expect(runner([], '--timeout-s', 'soon').code).toBe(2);
  });

  it('reports a mutant the tests notice as killed, one they miss as survived (exit 1), and leaves the checkout alone', () => {
    const before = readFileSync(join(ROOT, 'sim/core/quorum.ts'), 'utf8');
    const run = runner(
      [
        { ...base, id: 'half-is-a-quorum', find: 'return Math.floor(voterCount / 2) + 1;', replace: 'return Math.floor(voterCount / 2);' },
        // queue.test.ts never looks at quorums.
        { ...base, id: 'unnoticed', find: 'return Math.floor(voterCount / 2) + 1;', replace: 'return Math.floor(voterCount / 2);', tests: ['test/core/queue.test.ts'] },
        { ...base, id: 'argued', find: 'return Math.floor(voterCount / 2) + 1;', replace: 'return 1 + Math.floor(voterCount / 2);', equivalent: true },
      ],
      '--json',
      '--no-baseline',
    );
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { summary: Record<string, number>; mutants: { id: string; status: string; killedBy?: { file: string } }[] };
    expect(report.mutants.map((m) => [m.id, m.status])).toEqual([
      ['half-is-a-quorum', 'killed'],
      ['unnoticed', 'survived'],
      ['argued', 'equivalent'],
    ]);
    expect(report.mutants[0].killedBy?.file).toBe('test/core/quorum.test.ts');
    expect(report.summary).toMatchObject({ total: 3, killed: 1, survived: 1, equivalent: 1 });
    expect(readFileSync(join(ROOT, 'sim/core/quorum.ts'), 'utf8')).toBe(before);
  });
});
