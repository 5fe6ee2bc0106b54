#!/usr/bin/env node
/**
 * Mutation testing of the protocol code and the checkers: `npm run mutants`.
 *
 * Reads a catalogue of hand-chosen semantic mutants (test/mutants/catalogue.json), each
 * `{ id, file, find, replace, why, tests, equivalent? }`: `find` is exact text that must
 * occur exactly once in `file`, and `tests` the vitest files or folders that ought to
 * notice the change. For each mutant it writes the change into a throwaway copy of the
 * checkout (under the system's temporary folder, node_modules linked; the checkout itself
 * is never written), runs the named tests there with `vitest run --bail 1` under a time
 * limit, and reports the mutant as
 *   killed     a test failed (the suite noticed the broken rule),
 *   survived   every named test passed with the rule broken (a gap in the tests),
 *   timed out  the tests did not finish within the limit (counted as detected, shown apart),
 *   invalid    a bad catalogue line: `find` not found exactly once, a missing file, or a
 *              replacement that does not parse.
 * Before the mutants it runs the union of their tests once on the unchanged copy
 * (`--no-baseline` skips it): a test that fails without any mutant would "kill" them all.
 *
 * Exit codes: 0 no mutant survived, 1 some survived, 2 bad catalogue or flags (one line
 * each, nothing run), 3 the baseline failed. Mutants run one at a time: the machine is
 * shared, and a mutant's tests are chosen to take seconds, not minutes.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const usage = `usage: npm run mutants -- [--only ID[,ID…]]… [--json] [--timeout-s N] [--catalogue FILE] [--no-baseline] [--list]
  --only ID       run only these mutants (repeatable, or comma-separated)
  --json          one JSON object on stdout instead of the table
  --timeout-s N   time limit per mutant's test run, in seconds (default 180)
  --catalogue F   the catalogue (default test/mutants/catalogue.json)
  --no-baseline   skip running the tests once without any mutant first
  --list          print the catalogue's ids and files, run nothing`;

function fail(message, code = 2) {
  process.stderr.write(`mutants: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const options = { only: [], json: false, timeoutS: 180, catalogue: 'test/mutants/catalogue.json', baseline: true, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) fail(`${arg}: needs a value\n${usage}`);
      return argv[++i];
    };
    if (arg === '--only') options.only.push(...value().split(',').filter(Boolean));
    else if (arg === '--json') options.json = true;
    else if (arg === '--no-baseline') options.baseline = false;
    else if (arg === '--list') options.list = true;
    else if (arg === '--catalogue') options.catalogue = value();
    else if (arg === '--timeout-s') {
      const text = value();
      const seconds = Number(text);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) fail(`--timeout-s: '${text}' is not a whole number of seconds from 1 to 3600`);
      options.timeoutS = seconds;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else fail(`unknown flag '${arg}'\n${usage}`);
  }
  return options;
}

function occurrences(text, find) {
  let count = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + 1)) count++;
  return count;
}

/** Syntax errors of a TypeScript source, as ts reports them (types are not checked). */
function syntaxError(ts, fileName, source) {
  const output = ts.transpileModule(source, { fileName, reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  const diagnostic = (output.diagnostics ?? []).find((d) => d.category === ts.DiagnosticCategory.Error);
  return diagnostic === undefined ? undefined : ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
}

const fields = { id: 'string', file: 'string', find: 'string', replace: 'string', why: 'string' };

/** Loads and checks the catalogue; every bad line is one message naming the mutant and what is wrong. */
async function loadCatalogue(path) {
  const where = relative(process.cwd(), path) || path;
  let entries;
  try {
    entries = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    fail(`${where}: ${error.code === 'ENOENT' ? 'no such file' : `not JSON: ${error.message}`}`);
  }
  if (!Array.isArray(entries)) fail(`${where}: the catalogue must be a JSON array of mutants`);
  const problems = [];
  const seen = new Set();
  // Loaded only when there is something to parse (it takes a second).
  const ts = entries.length > 0 ? (await import('typescript')).default : undefined;
  entries.forEach((entry, index) => {
    const label = `${where}: [${index}]${typeof entry?.id === 'string' ? ` ${entry.id}` : ''}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return problems.push(`${label}: not an object`);
    for (const [key, type] of Object.entries(fields)) {
      // An empty replace deletes the found text; every other field must say something.
      if (typeof entry[key] !== type || (entry[key] === '' && key !== 'replace')) return problems.push(`${label}: '${key}' must be a ${key === 'replace' ? '' : 'non-empty '}${type}`);
    }
    const unknown = Object.keys(entry).filter((key) => !(key in fields) && key !== 'tests' && key !== 'equivalent');
    if (unknown.length > 0) return problems.push(`${label}: unknown field '${unknown[0]}'`);
    if (seen.has(entry.id)) return problems.push(`${label}: id '${entry.id}' is used twice`);
    seen.add(entry.id);
    if (!Array.isArray(entry.tests) || entry.tests.length === 0 || entry.tests.some((t) => typeof t !== 'string' || t === '')) {
      return problems.push(`${label}: 'tests' must be a non-empty array of test files or folders`);
    }
    if (entry.equivalent !== undefined && typeof entry.equivalent !== 'boolean') return problems.push(`${label}: 'equivalent' must be true or false`);
    if (entry.find === entry.replace) return problems.push(`${label}: 'replace' is the same as 'find'`);
    const missingTest = entry.tests.find((t) => !existsSync(join(repoRoot, t)));
    if (missingTest !== undefined) return problems.push(`${label}: test path '${missingTest}' does not exist`);
    const file = join(repoRoot, entry.file);
    if (!existsSync(file)) return problems.push(`${label}: file '${entry.file}' does not exist`);
    const source = readFileSync(file, 'utf8');
    const count = occurrences(source, entry.find);
    if (count !== 1) return problems.push(`${label}: 'find' occurs ${count} times in ${entry.file} (must be exactly once): ${JSON.stringify(entry.find)}`);
    const mutated = source.replace(entry.find, () => entry.replace);
    const error = syntaxError(ts, entry.file, mutated);
    if (error !== undefined) return problems.push(`${label}: the replacement does not parse: ${error}`);
  });
  return { entries, problems };
}

/** The files of the checkout as git sees them (tracked, and untracked but not ignored). */
function checkoutFiles() {
  const output = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
  // node_modules is linked below; a checkout whose node_modules is a symlink lists it here.
  return output.split('\0').filter((name) => name !== '' && name !== 'node_modules' && !name.startsWith('node_modules/') && existsSync(join(repoRoot, name)));
}

/**
 * A throwaway copy of the checkout. node_modules is a real folder of links to the
 * checkout's packages, so the tools' caches (vite's .vite, vitest's results) are written
 * inside the copy and go with it.
 */
function makeCopy() {
  const root = mkdtempSync(join(tmpdir(), 'zablab-mutants-'));
  for (const name of checkoutFiles()) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    cpSync(join(repoRoot, name), join(root, name));
  }
  const modules = join(repoRoot, 'node_modules');
  if (!existsSync(modules)) fail('node_modules is missing: run npm install first');
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(modules)) {
    if (entry === '.vite' || entry === '.vitest') continue;
    symlinkSync(join(modules, entry), join(root, 'node_modules', entry));
  }
  return root;
}

let running;
let copyRoot;

function cleanUp() {
  if (running !== undefined) {
    try {
      process.kill(-running.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (copyRoot !== undefined) rmSync(copyRoot, { recursive: true, force: true });
  copyRoot = undefined;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

/** Runs vitest on `tests` in the copy; resolves with what happened and the first failing test. */
function runTests(root, tests, timeoutS) {
  const report = join(root, '.mutant-report.json');
  rmSync(report, { force: true });
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', ...tests, '--bail', '1', '--reporter=json', `--outputFile=${report}`];
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { cwd: root, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1', FORCE_COLOR: '0' } });
    running = child;
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      running = undefined;
      const ms = Date.now() - started;
      if (timedOut) return resolvePromise({ outcome: 'timeout', ms });
      const failure = firstFailure(report, root);
      resolvePromise({ outcome: code === 0 ? 'passed' : 'failed', ms, failure, stderr });
    });
  });
}

function firstFailure(report, root) {
  if (!existsSync(report)) return undefined;
  try {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    for (const file of result.testResults ?? []) {
      const test = (file.assertionResults ?? []).find((a) => a.status === 'failed');
      if (test !== undefined) return { file: relative(root, file.name), test: test.fullName ?? test.title, message: firstLine(test.failureMessages?.[0]) };
      if (file.status === 'failed') return { file: relative(root, file.name), test: '(the file did not load)', message: firstLine(file.message) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function firstLine(text) {
  if (typeof text !== 'string') return '';
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { entries, problems } = await loadCatalogue(resolve(repoRoot, options.catalogue));
  const unknown = options.only.filter((id) => !entries.some((e) => e?.id === id));
  for (const id of unknown) problems.push(`--only: no mutant '${id}' in ${options.catalogue}`);
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`mutants: ${problem}\n`);
    process.exit(2);
  }
  if (options.list) {
    for (const e of entries) process.stdout.write(`${e.id}\t${e.file}${e.equivalent ? '\t(equivalent)' : ''}\n`);
    return;
  }
  const chosen = entries.filter((e) => options.only.length === 0 || options.only.includes(e.id));
  // With --json, stdout carries only the JSON object; progress goes to stderr.
  const say = (text) => (options.json ? process.stderr : process.stdout).write(text);
  copyRoot = makeCopy();
  const results = [];
  let baseline;
  try {
    const toRun = chosen.filter((e) => !e.equivalent);
    if (options.baseline && toRun.length > 0) {
      const union = [...new Set(toRun.flatMap((e) => e.tests))];
      say(`baseline: ${union.length} test path(s) without any mutant… `);
      const run = await runTests(copyRoot, union, options.timeoutS * 4);
      baseline = { outcome: run.outcome, ms: run.ms };
      say(`${run.outcome} in ${seconds(run.ms)}\n`);
      if (run.outcome !== 'passed') {
        const why = run.failure ? `${run.failure.file} › ${run.failure.test}: ${run.failure.message}` : firstLine(run.stderr ?? 'timed out');
        if (options.json) process.stdout.write(`${JSON.stringify({ baseline, error: why })}\n`);
        else process.stderr.write(`mutants: the tests fail without any mutant (${why}); fix them first\n`);
        cleanUp();
        process.exit(3);
      }
    }
    for (const entry of chosen) {
      if (entry.equivalent) {
        results.push({ id: entry.id, status: 'equivalent', ms: 0 });
        say(`${entry.id.padEnd(44)} equivalent (skipped)\n`);
        continue;
      }
      const target = join(copyRoot, entry.file);
      const original = readFileSync(target, 'utf8');
      writeFileSync(target, original.replace(entry.find, () => entry.replace));
      let run;
      try {
        run = await runTests(copyRoot, entry.tests, options.timeoutS);
      } finally {
        writeFileSync(target, original);
      }
      const status = run.outcome === 'failed' ? 'killed' : run.outcome === 'passed' ? 'survived' : 'timed out';
      const result = { id: entry.id, file: entry.file, status, ms: run.ms };
      if (run.failure !== undefined) result.killedBy = run.failure;
      results.push(result);
      say(`${entry.id.padEnd(44)} ${status.padEnd(9)} ${seconds(run.ms).padStart(8)}${run.failure ? `  ${run.failure.file} › ${run.failure.test}` : ''}\n`);
    }
  } finally {
    cleanUp();
  }
  const count = (status) => results.filter((r) => r.status === status).length;
  const summary = { total: results.length, killed: count('killed'), survived: count('survived'), timedOut: count('timed out'), equivalent: count('equivalent') };
  if (options.json) process.stdout.write(`${JSON.stringify({ baseline, summary, mutants: results })}\n`);
  else {
    say(`\n${summary.killed} killed, ${summary.survived} survived, ${summary.timedOut} timed out, ${summary.equivalent} equivalent (skipped), of ${summary.total}\n`);
    for (const r of results.filter((r) => r.status === 'survived')) say(`survived: ${r.id} (${r.file})\n`);
  }
  process.exitCode = summary.survived > 0 ? 1 : 0;
}

main().catch((error) => {
  cleanUp();
  fail(`internal error: ${error?.message ?? error}`);
});
