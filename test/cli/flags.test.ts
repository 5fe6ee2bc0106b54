/**
 * Flags, the same way on every command: --help works everywhere; unknown flags and
 * negative numbers get one line with the command's prefix and a hint; seeds are unsigned
 * 32-bit integers parsed exactly (never rounded).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, zablab, zablabInProcess } from './helpers.js';

const STORY = join(ROOT, 'scenarios', 'election-cold-start-3.json');
const COMMANDS = ['run', 'suite', 'sweep', 'swarm', 'shrink', 'hunt', 'list', 'check', 'view', 'export', 'schema', 'bugs', 'trace-info'];

describe('flags', () => {
  it('--help and -h print the usage of every command, exit 0', async () => {
    // Through the binary once; the rest through its dispatcher, in this process.
    expect(zablab(['list', '--help']).stdout).toMatch(/^usage: zablab list\b/);
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const result = await zablabInProcess([command, flag]);
        expect(result.code, `${command} ${flag}: ${result.stderr}`).toBe(0);
        expect(result.stdout, command).toMatch(new RegExp(`^usage: zablab ${command}\\b`));
      }
    }
  });

  it('an unknown flag gets one line naming the command, the flag, a near match and --help', async () => {
    const cases: [string[], RegExp][] = [
      [['run', STORY, '--sed', '3'], /^zablab run: unknown flag --sed \(did you mean --seed\?\); its flags: --seed, .* \(zablab run --help\)\n$/],
      [['list', '--jsn'], /^zablab list: unknown flag --jsn \(did you mean --json\?\)/],
      [['bugs', '--frobnicate'], /^zablab bugs: unknown flag --frobnicate; its flags: --json \(zablab bugs --help\)\n$/],
      [['sweep', STORY, '--seeds', '1..2', '-x'], /^zablab sweep: unknown flag -x; /],
      [['check', 'h.json', '--model', 'register', '--colour'], /^zablab check: unknown flag --colour; its flags: /],
      [['frobnicate'], /^zablab: unknown command "frobnicate" \(zablab --help lists the commands\)\n$/],
    ];
    for (const [args, pattern] of cases) {
      const result = await zablabInProcess(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(pattern);
    }
  });

  it('negative numbers and missing values get one line and a hint, not the parser\'s several', async () => {
    const cases: [string[], RegExp][] = [
      [['run', STORY, '--seed', '-5'], /^zablab run: --seed -5: negative numbers are not accepted \(zablab run --help\)\n$/],
      [['sweep', STORY, '--seeds', '1..2', '--workers', '-1'], /^zablab sweep: --workers -1: negative numbers are not accepted/],
      [['swarm', '--protocol', 'zab', '--runs', '-3'], /^zablab swarm: --runs -3: negative numbers are not accepted/],
      [['run', STORY, '--seed=-5'], /^zablab run: --seed needs an unsigned 32-bit integer \(0\.\.4294967295\), got "-5"\n$/],
      [['run', STORY, '--seed'], /^zablab run: --seed needs a value \(zablab run --help\)\n$/],
      [['run', STORY, '--trace', '--json'], /^zablab run: --trace needs a value, got the flag --json/],
      [['hunt', '--bug', 'applyOnPropose', '--runs', '-1'], /^zablab hunt: --runs -1: negative numbers/],
    ];
    for (const [args, pattern] of cases) {
      const result = await zablabInProcess(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(pattern);
    }
  });

  it('seeds are unsigned 32-bit integers: larger ones are refused, not rounded onto another seed', async () => {
    for (const args of [
      ['run', STORY, '--seed', '9007199254740993'],
      ['run', STORY, '--seed', '4294967296'],
      ['sweep', STORY, '--seeds', '0..99999999999'],
      ['shrink', STORY, '--seed', '18446744073709551615'],
      ['swarm', '--protocol', 'zab', '--runs', '2', '--seed', '4294967295'],
    ]) {
      const result = await zablabInProcess(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/^zablab (run|sweep|shrink|swarm): --seeds? [^\n]*(too large|would pass 4294967295)[^\n]*\n$/);
    }
    const top = zablab(['run', STORY, '--seed', '4294967295', '--json']);
    expect(top.code).toBe(0);
    expect(JSON.parse(top.stdout)).toMatchObject({ seed: 4294967295 });
  });
});
