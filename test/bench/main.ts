/**
 * `npm run bench`: the canonical benchmarks, measured the same way every time.
 * Prints a table, or with `--json` one JSON object: {"engine": {...}, "checker": {...}, ...}.
 * `--only engine,checker` runs a subset. Figures are wall-clock on this machine.
 */
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

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const onlyIndex = argv.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set((argv[onlyIndex + 1] ?? '').split(',')) : undefined;
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
  const results: Record<string, Record<string, number>> = {};
  for (const [name, suite] of suites) {
    if (suite === undefined || (only && !only.has(name))) continue;
    if (!json) process.stderr.write(`running ${name}…\n`);
    results[name] = await suite();
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
