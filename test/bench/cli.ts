/**
 * The command line's start-up: `zablab --version` and `zablab check` on a small history,
 * each from process start to exit, median of several runs. `nodeMs` is a bare
 * `node -e 0` measured the same way, the floor any command pays (it shows how loaded
 * the machine was).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { median } from './median.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(ROOT, 'bin', 'zablab.js');
const RUNS = 9;

function medianMs(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    times.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`${args.join(' ')}: exit ${result.status}: ${result.stderr}`);
  }
  return Math.round(median(times) * 10) / 10;
}

export function benchCli(): Record<string, number> {
  return {
    nodeMs: medianMs(['-e', '0']),
    versionMs: medianMs([BIN, '--version']),
    checkSmallMs: medianMs([BIN, 'check', join(ROOT, 'test', 'fixtures', 'histories', 'register.json'), '--model', 'register']),
  };
}
