/**
 * `npm run bench`: the canonical benchmarks, measured the same way every time.
 * Prints a table, or with `--json` one JSON object: {"engine": {...}, "checker": {...}, ...}.
 * `--only engine,checker` runs a subset. Figures are wall-clock on this machine.
 *
 * Each suite runs in a process of its own (`--suite NAME`, its JSON on stdout), so no
 * suite can measure what another left behind in V8. One full in-process run had given
 * ZAB 25.4k ops/s where `--only zab` gave 35-42k (2026-12-07); measured in CPU time per
 * operation, though, ZAB after the engine and checker suites did as well as alone
 * (4 pairs, medians 39.2k and 37.6k ops per CPU second, at a load of 5-6): the gap was
 * wall-clock variation (one process's three ~150 ms runs took 147-367 ms), which a
 * process per suite does not remove. `--in-process` runs every suite in this process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { benchEngine } from './engine.js';

type Suite = () => Record<string, number> | Promise<Record<string, number>>;

const here = dirname(fileURLToPath(import.meta.url));

/** Optional suites live in their own modules (added by later work); missing ones are skipped. */
async function optionalSuite(file: string, exportName: string): Promise<Suite | undefined> {
  const path = join(here, file);
  if (!existsSync(path)) return undefined;
  const module = (await import(path)) as Record<string, Suite>;
  return module[exportName];
}

/** Runs one suite in a fresh node process (this file with `--suite NAME`) and returns its figures. */
function runIsolated(name: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--suite', name], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench suite ${name} exited with code ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, number>);
      } catch {
        reject(new Error(`bench suite ${name} printed no JSON result`));
      }
    });
  });
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const onlyIndex = argv.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set((argv[onlyIndex + 1] ?? '').split(',')) : undefined;
  const suiteIndex = argv.indexOf('--suite');
  const inProcess = argv.includes('--in-process');
  const suites: [string, Suite | undefined][] = [
    ['engine', benchEngine],
    ['checker', await optionalSuite('checker.js', 'benchChecker')],
    ['zab', await optionalSuite('zab.js', 'benchZab')],
    ['paxos', await optionalSuite('paxos.js', 'benchPaxos')],
    ['sweep', await optionalSuite('sweep.js', 'benchSweep')],
    ['web', await optionalSuite('web.js', 'benchWeb')],
    ['explore', await optionalSuite('explore.js', 'benchExplore')],
    ['cli', await optionalSuite('cli.js', 'benchCli')],
  ];
  if (suiteIndex >= 0) {
    // A child of runIsolated: one suite, its figures as one JSON line.
    const name = argv[suiteIndex + 1];
    const suite = suites.find(([candidate]) => candidate === name)?.[1];
    if (suite === undefined) throw new Error(`no bench suite ${name}`);
    process.stdout.write(JSON.stringify(await suite()) + '\n');
    return;
  }
  const results: Record<string, Record<string, number>> = {};
  for (const [name, suite] of suites) {
    if (suite === undefined || (only && !only.has(name))) continue;
    if (!json) process.stderr.write(`running ${name}…\n`);
    results[name] = inProcess ? await suite() : await runIsolated(name);
  }
  if (json) {
    process.stdout.write(JSON.stringify(results) + '\n');
    return;
  }
  const rows: [string, string][] = [];
  for (const [suite, values] of Object.entries(results)) {
    for (const [key, value] of Object.entries(values)) rows.push([`${suite}.${key}`, value.toLocaleString('en-US', { maximumFractionDigits: 2 })]);
  }
  const width = Math.max(...rows.map(([key]) => key.length));
  process.stdout.write(`${'benchmark'.padEnd(width)}  value\n${'-'.repeat(width)}  -----\n`);
  for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`);
}

await main(process.argv.slice(2));
