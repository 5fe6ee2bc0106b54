/**
 * The CLI as a whole, fuzzed: fast-check draws a command, its positionals (scenario
 * files, traces and histories, valid, mutated or missing) and a flag vector (known and
 * unknown flags, good and bad values, outputs that are inputs, existing or new), and runs
 * it through the real dispatcher, `main()`; a smaller share runs through bin/zablab.js
 * as a process. Every outcome must be exit 0, 1, 2 or 3, never a stack trace or an
 * internal error, and no file may change but the declared outputs (--trace, --out, --html, the
 * default output names), never an input, and an existing one only with --force.
 *
 * CI runs ZABLAB_FUZZ_RUNS (default 250) cases in-process and a thirtieth of that spawned;
 * by hand: `ZABLAB_FUZZ_RUNS=10000 npx vitest run test/cli/fuzz.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ROOT, zablabInProcess } from './helpers.js';

const RUNS = Number(process.env.ZABLAB_FUZZ_RUNS ?? 250);
/** Cases run as a process (slower: each pays Node's start-up). */
const SPAWNED = Math.ceil(RUNS / 30);
/** Room for a by-hand run of 10,000 cases on a busy machine. */
const TIMEOUT_MS = 300_000 + RUNS * 500;
const COMMANDS = ['run', 'sweep', 'swarm', 'shrink', 'hunt', 'explore', 'merge', 'list', 'check', 'export', 'schema', 'bugs', 'trace-info', 'view', 'suite', 'nope'];
/** Commands that would serve or run every story: only their flag errors and --help are fuzzed. */
const ERRORS_ONLY = new Set(['view', 'suite']);

const baseScenario = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'election-cold-start-3.json'), 'utf8')) as Record<string, unknown>;
const small = { ...baseScenario, durationMs: 300, workload: { clients: 2, opsPerClient: 3 } };

let home = '';

/** A fresh folder per case, holding the inputs the case may name. */
function caseDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(home, 'case-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  copyFileSync(join(home, 'trace.ndjson'), join(dir, 'trace.ndjson'));
  copyFileSync(join(home, 'trace.json'), join(dir, 'trace.json'));
  for (const h of ['register.json', 'cas-register-jepsen.edn']) copyFileSync(join(ROOT, 'test', 'fixtures', 'histories', h), join(dir, h));
  mkdirSync(join(dir, 'folder'));
  return dir;
}

/** Every file under dir, with a digest of its content. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), createHash('sha1').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return files;
}

// ---- generators
const json = (value: unknown) => JSON.stringify(value);
/** A scenario: the small story, with one field replaced by anything at a random path. */
const scenarioText = fc.oneof(
  fc.constant(json(small)),
  fc.record({ key: fc.constantFrom('durationMs', 'cluster', 'workload', 'faults', 'seed', 'protocols', 'bugs', 'network', 'expect', 'nemesis', 'title', 'healMs', 'storage'), value: fc.jsonValue({ maxDepth: 3 }) }).map(({ key, value }) => json({ ...small, [key]: value })),
  fc.record({ key: fc.constantFrom('servers', 'tickTimeMs', 'electionTimeoutMs', 'initLimit', 'syncLimit'), value: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e-9, 0, -1, 1e9, 600.5, 1e12)) }).map(({ key, value }) => json({ ...small, cluster: { servers: 3, [key]: value } })),
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }).map(json),
);
const historyText = fc.oneof(
  fc.array(fc.record({ type: fc.constantFrom('invoke', 'ok', 'fail', 'info', 'weird'), process: fc.integer({ min: -1, max: 3 }), f: fc.constantFrom('read', 'write', 'cas', 'acquire', 'x'), value: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 12 }).map(json),
  fc.array(fc.constantFrom('{:type :invoke, :f :read, :process 0}', '{:type :ok, :f :read, :value 1, :process 0}', '{:type :invoke :f :write :value 1 :process 1}', '{:type :ok :f :write :value 1 :process 1}', '[', '{:type', ':x', 'nil'), { maxLength: 10 }).map((lines) => lines.join('\n')),
  fc.string({ maxLength: 30 }),
);
const traceText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map(json),
  fc.record({ meta: fc.jsonValue({ maxDepth: 2 }), events: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) }).map(json),
  fc.string({ maxLength: 30 }),
);

const PATHS = ['s.json', 'x.json', 'x.edn', 'x.trace.json', 'trace.ndjson', 'trace.json', 'register.json', 'cas-register-jepsen.edn', 'folder', 'missing.json', 'new-out.json', 'new-dir', 'folder/new.json', 's.json/child.json', 'election-cold-start-3', ''];
const VALUES: Record<string, string[]> = {
  seed: ['0', '1', '7', '4294967295', '4294967296', '9007199254740993', '-5', 'x', ''],
  seeds: ['1..2', '3', '2..1', '0..2', '1..4294967296', 'x', '-1..2', ''],
  protocol: ['zab', 'paxos', 'raft', ''],
  bug: ['applyOnPropose', 'applyWritesLocally', 'volatileAcceptor', 'nope', ''],
  'max-events': ['0', '1', '500', '20000', '2147483649', '-3', 'x'],
  workers: ['0', '1', '99', '-1', 'x'],
  shard: ['0/2', '1/2', '2/2', '1/0', 'x'],
  runs: ['0', '1', '2', '-1', 'x'],
  shrink: ['0', '1', 'x'],
  'shrink-runs': ['0', '3', 'x'],
  'max-runs': ['0', '3', '-2', 'x'],
  'search-seed': ['1', '2', 'x'],
  generator: ['mixed', 'swarm', 'classic', 'uniform'],
  format: ['edn', 'json', 'shiviz', 'xml'],
  model: ['register', 'cas-register', 'multi-register', 'mutex', 'znode', 'queue'],
  initial: ['0', 'nil', '{}', '[1 2', '"a"', ''],
  'timeout-ms': ['1', '1000', '0', '-1', 'x'],
  'max-steps': ['1', '100', '0', 'x'],
  port: ['0', '70000', 'x'],
  strategy: ['bfs', 'dfs', 'random', 'astar'],
  'max-depth': ['0', '3', '-1', 'x'],
  'max-states': ['0', '1', '50', 'x'],
  'max-crashes': ['0', '1', 'x'],
};
const FLAG_NAMES = [...Object.keys(VALUES), 'trace', 'out'];
const BOOLEANS = ['json', 'force', 'build', 'open'];

const flagVector = fc.array(
  fc.oneof(
    fc.constantFrom(...FLAG_NAMES).chain((name) => (name === 'trace' || name === 'out' ? fc.constantFrom(...PATHS) : fc.constantFrom(...VALUES[name])).map((value) => [`--${name}`, value])),
    fc.constantFrom(...FLAG_NAMES).chain((name) => (name === 'trace' || name === 'out' ? fc.constantFrom(...PATHS) : fc.constantFrom(...VALUES[name])).map((value) => [`--${name}=${value}`])),
    fc.constantFrom(...BOOLEANS).map((name) => [`--${name}`]),
    fc.constantFrom('--frobnicate', '-x', '-5', '--', '--json=1', '--help').map((flag) => [flag]),
  ),
  { maxLength: 5 },
);

const SCENARIOS = ['s.json', 's.json', 's.json', 's.json', 'x.json', 'missing.json', 'folder'];
const TRACES = ['trace.ndjson', 'trace.ndjson', 'trace.json', 'trace.json', 'x.trace.json', 'missing.json'];
const HISTORIES = ['register.json', 'register.json', 'cas-register-jepsen.edn', 'cas-register-jepsen.edn', 'x.edn', 'missing.json'];
/** Outputs drawn mostly from the inputs and existing files: where work gets lost. */
const OUTPUTS = ['s.json', 's.json', 's.json', 'trace.ndjson', 'trace.ndjson', 'x.json', 'trace.json', 'register.json', 'x.edn', 'folder', 'new-out.json', 'new-dir', 'folder/new.json', 's.json/child.json'];

const one = (...choices: string[][]): fc.Arbitrary<string[]> => fc.constantFrom(...choices);
const opt = (name: string, values: readonly string[]) => fc.option(fc.constantFrom(...values).map((v) => [`--${name}`, v]), { nil: undefined });
const flag = (name: string) => fc.option(fc.constant([`--${name}`] as string[]), { nil: undefined });
/** Good values: a template's case gets past the parser unless its noise says otherwise. */
const GOOD: Record<string, string[]> = {
  seed: ['0', '1', '7', '4294967295'],
  protocol: ['zab', 'zab', 'paxos'],
  bug: ['applyOnPropose', 'applyWritesLocally', 'volatileAcceptor'],
  'max-events': ['500', '20000'],
  shard: ['0/2', '1/2'],
  shrink: ['0', '1'],
  generator: ['mixed', 'swarm', 'classic'],
  format: ['edn', 'json', 'shiviz'],
  model: ['register', 'cas-register', 'multi-register', 'mutex', 'znode'],
  initial: ['0', 'nil'],
  'timeout-ms': ['1000'],
  'max-steps': ['100', '100000'],
  strategy: ['bfs', 'dfs', 'random'],
  'max-depth': ['2', '4'],
  'max-states': ['20', '200'],
  'max-crashes': ['0', '1'],
};
const pick = (name: string) => opt(name, GOOD[name]);
/** A command with the flags it takes, values good and bad: most cases get past the parser. */
const templates: Record<string, fc.Arbitrary<string[][]>> = {
  run: fc.tuple(fc.constantFrom(...SCENARIOS).map((p) => [p]), pick('seed'), pick('protocol'), pick('bug'), pick('max-events'), opt('trace', OUTPUTS), flag('json'), flag('force')).map((parts) => parts.filter((p) => p !== undefined)),
  sweep: fc.tuple(fc.constantFrom(...SCENARIOS).map((p) => [p]), one(['--seeds', '1..2'], ['--seeds', '3']), pick('protocol'), pick('bug'), opt('workers', ['0', '1', '-1']), pick('shard'), opt('out', OUTPUTS), flag('json'), flag('force')).map((parts) => parts.filter((p) => p !== undefined)),
  swarm: fc.tuple(one(['--protocol', 'zab'], ['--protocol', 'paxos']), one(['--runs', '1'], ['--runs', '2']), pick('seed'), opt('workers', ['0', '1']), opt('out', OUTPUTS), pick('bug'), pick('shrink'), flag('json'), flag('force')).map((parts) => parts.filter((p) => p !== undefined)),
  shrink: fc.tuple(fc.constantFrom(...SCENARIOS).map((p) => [p]), pick('seed'), pick('protocol'), pick('bug'), opt('out', OUTPUTS), flag('force')).map((parts) => parts.filter((p) => p !== undefined)),
  hunt: fc.tuple(one(['--bug', 'applyOnPropose'], ['--bug', 'applyWritesLocally']), one(['--runs', '1'], ['--runs', '2']), pick('seed'), pick('protocol'), opt('out', OUTPUTS), pick('generator'), flag('force'), flag('json')).map((parts) => parts.filter((p) => p !== undefined)),
  check: fc.tuple(fc.array(fc.constantFrom(...HISTORIES).map((p) => [p]), { minLength: 1, maxLength: 2 }), fc.constantFrom(...GOOD.model).map((m) => ['--model', m]), pick('initial'), flag('json'), pick('timeout-ms'), pick('max-steps'), opt('html', OUTPUTS), flag('force')).map(([files, ...rest]) => [...files, ...rest.filter((p) => p !== undefined)]),
  export: fc.tuple(fc.constantFrom(...TRACES).map((p) => [p]), fc.constantFrom(...GOOD.format).map((f) => ['--format', f]), opt('out', OUTPUTS), flag('force')).map((parts) => parts.filter((p) => p !== undefined)),
  explore: fc.tuple(fc.constantFrom(...SCENARIOS).map((p) => [p]), pick('protocol'), pick('bug'), pick('strategy'), pick('max-depth'), pick('max-states'), pick('max-crashes'), pick('seed'), opt('out', OUTPUTS), flag('json')).map((parts) => parts.filter((p) => p !== undefined)),
  merge: fc.tuple(fc.array(fc.constantFrom(...PATHS).map((p) => [p]), { minLength: 1, maxLength: 3 }), opt('out', OUTPUTS), flag('json'), flag('force')).map(([paths, ...rest]) => [...paths, ...rest.filter((p) => p !== undefined)]),
  'trace-info': fc.tuple(fc.constantFrom(...TRACES).map((p) => [p]), flag('json')).map((parts) => parts.filter((p) => p !== undefined)),
};

const fuzzCase = fc.record({
  command: fc.constantFrom(...COMMANDS),
  positionals: fc.array(fc.constantFrom(...PATHS), { maxLength: 2 }),
  flags: flagVector,
  /** Use the command's template (and a little noise) rather than a random vector. */
  template: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 1 },
    {
      arbitrary: fc.tuple(
        fc.constantFrom(...Object.keys(templates)).chain((command) => templates[command].map((parts) => ({ command, parts }))),
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: flagVector.map((v) => v.slice(0, 1).flat()), weight: 1 }, { arbitrary: one(['--frobnicate'], ['-5'], ['--'], ['extra.json']), weight: 1 }),
      ),
      weight: 2,
    },
  ),
  files: fc.record({ 's.json': fc.constant(json(small)), 'x.json': scenarioText, 'x.edn': historyText, 'x.trace.json': traceText }),
});
type FuzzCase = typeof fuzzCase extends fc.Arbitrary<infer T> ? T : never;

/** The argv of a case, with limits that keep every case short (added only when absent). */
function argvOf(c: FuzzCase): string[] {
  const argv = c.template === undefined ? [c.command, ...c.positionals, ...c.flags.flat()] : [c.template[0].command, ...c.template[0].parts.flat(), ...(c.template[1] ?? [])];
  const has = (flag: string) => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
  if (ERRORS_ONLY.has(argv[0]) && !argv.some((a) => a === '--help' || a === '-h')) argv.push('--frobnicate');
  if (['run', 'sweep', 'shrink', 'swarm'].includes(argv[0]) && !has('--max-events')) argv.push('--max-events', '20000');
  if (argv[0] === 'shrink' && !has('--max-runs')) argv.push('--max-runs', '3');
  if (argv[0] === 'hunt' && !has('--runs')) argv.push('--runs', '2');
  if (argv[0] === 'swarm' && !has('--shrink-runs')) argv.push('--shrink-runs', '3');
  if (argv[0] === 'explore' && !has('--max-states')) argv.push('--max-states', '100');
  if (argv[0] === 'explore' && !has('--max-depth')) argv.push('--max-depth', '4');
  // Long work the user would have asked for is not what this suite is about.
  return argv.map((a) => (a === '--max-events=2147483649' ? '--max-events=2147483648' : a));
}

/** Files a case may write: the values of --trace, --out and --html, and the default output names. */
function declared(argv: string[], dir: string, path: string): boolean {
  const outputs: string[] = ['sweep-failures', 'swarm-failures'];
  argv.forEach((a, i) => {
    if (a === '--trace' || a === '--out' || a === '--html') outputs.push(argv[i + 1] ?? '');
    else if (a.startsWith('--trace=') || a.startsWith('--out=') || a.startsWith('--html=')) outputs.push(a.slice(a.indexOf('=') + 1));
  });
  const abs = resolve(dir, path);
  if (/^(?:[^/]*-shrunk\.json|hunt-[A-Za-z]+\.json|explore-[^/]+\.json)$/.test(path)) return true;
  return outputs.some((o) => o !== '' && (abs === resolve(dir, o) || abs.startsWith(resolve(dir, o) + '/')));
}

function inputsOf(argv: string[]): string[] {
  return argv.filter((a, i) => !a.startsWith('-') && i > 0 && !['--trace', '--out', '--html'].includes(argv[i - 1]) && !(argv[i - 1] ?? '').match(/^--[a-z-]+$/));
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function checkOutcome(c: FuzzCase, argv: string[], dir: string, before: Map<string, string>, outcome: Outcome): void {
  const what = `zablab ${argv.join(' ')}\n${outcome.stderr.slice(0, 2000)}`;
  expect([0, 1, 2, 3], what).toContain(outcome.code);
  expect(outcome.stderr, what).not.toMatch(/internal error|\n\s+at |SyntaxError|TypeError|RangeError/);
  // Every line on stderr carries the prefix (progress bars aside, which need a terminal).
  for (const line of outcome.stderr.split('\n').filter(Boolean)) expect(line, what).toMatch(/^zablab( [a-z-]+)?: |^\d+\/\d+ runs, |^shrinking \d+ failing run/);
  const after = snapshot(dir);
  const inputs = new Set(inputsOf(argv).map((p) => resolve(dir, p)));
  for (const [path, digest] of before) {
    if (after.get(path) === digest) continue;
    // A changed or removed file: only a declared output, never an input, and only with --force.
    expect(inputs.has(resolve(dir, path)), `${what}\ninput ${path} changed`).toBe(false);
    expect(declared(argv, dir, path), `${what}\n${path} changed`).toBe(true);
    expect(argv.includes('--force'), `${what}\nexisting ${path} replaced without --force`).toBe(true);
  }
  for (const path of after.keys()) if (!before.has(path)) expect(declared(argv, dir, path), `${what}\nundeclared new file ${path}`).toBe(true);
  void c;
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'zablab-fuzz-'));
  const scenario = join(home, 's.json');
  writeFileSync(scenario, json(small));
  for (const trace of ['trace.ndjson', 'trace.json']) {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'zablab.js'), 'run', scenario, '--trace', join(home, trace)], { encoding: 'utf8' });
    if (result.status !== 0 && result.status !== 1) throw new Error(result.stderr);
  }
});

afterAll(() => {
  if (home && existsSync(home) && statSync(home).isDirectory()) rmSync(home, { recursive: true, force: true });
});

describe('the CLI under fuzzing', () => {
  it(`${RUNS} cases through main(): exit 0-3, no stack trace, no file changed but the declared outputs`, async () => {
    const scenarios = snapshot(join(ROOT, 'scenarios'));
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const dir = caseDir(c.files);
        const argv = argvOf(c);
        const before = snapshot(dir);
        const outcome = await zablabInProcess(argv, dir);
        if (process.env.ZABLAB_FUZZ_LOG) process.stdout.write(`${outcome.code} ${argv.join(' ')}  ${outcome.stderr.split('\n')[0].slice(0, 100)}\n`);
        checkOutcome(c, argv, dir, before, outcome);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: RUNS, seed: Number(process.env.ZABLAB_FUZZ_SEED ?? 16) },
    );
    expect(snapshot(join(ROOT, 'scenarios'))).toEqual(scenarios);
  }, TIMEOUT_MS);

  it(`${SPAWNED} cases through bin/zablab.js as a process`, () => {
    fc.assert(
      fc.property(fuzzCase, (c) => {
        const dir = caseDir(c.files);
        const argv = argvOf(c);
        const before = snapshot(dir);
        const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'zablab.js'), ...argv], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
        checkOutcome(c, argv, dir, before, { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr });
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: SPAWNED, seed: Number(process.env.ZABLAB_FUZZ_SEED ?? 16) + 1 },
    );
  }, TIMEOUT_MS);
});
