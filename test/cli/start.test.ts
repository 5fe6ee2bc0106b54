/**
 * Commands are loaded when chosen: `zablab --version` loads the dispatcher only, and
 * `zablab check` the checker only, never the simulator (which takes about half a second
 * to load). Their start-up time is measured by `npm run bench` (cli.versionMs,
 * cli.checkSmallMs), not here.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

function modulesLoaded(args: string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'helpers', 'module-log.mjs'), join(ROOT, 'bin', 'zablab.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return [...result.stderr.matchAll(/^loaded .*\/dist[^/]*\/(.*)$/gm)].map((m) => m[1]);
}

describe('fast start', () => {
  it('zablab --version loads only the dispatcher', () => {
    expect(modulesLoaded(['--version']).sort()).toEqual(['sim/cli/args.js', 'sim/cli/io.js', 'sim/cli/main.js']);
  });

  it('zablab check loads the checker, not the simulator', () => {
    const loaded = modulesLoaded(['check', join(ROOT, 'test', 'fixtures', 'histories', 'register.json'), '--model', 'register']);
    expect(loaded).toContain('sim/check/lin/cli.js');
    expect(loaded.filter((m) => /^sim\/(scenario|net|zab|paxos|client|core)\//.test(m))).toEqual([]);
  });
});
