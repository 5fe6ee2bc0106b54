/**
 * The explorer on odd but legal bounds and flags: a right answer or one line and exit 2,
 * never a hang, and never an existing file replaced without --force.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseScenario } from '../../sim/scenario/load.js';
import { zabAdapter } from '../../sim/scenario/protocols.js';
import { explore } from '../../sim/explore/search.js';
import { ROOT, zablab, zablabInProcess } from '../cli/helpers.js';

const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO = parseScenario(readFileSync(FILE, 'utf8'), FILE);

describe('random walks that cannot take a step', () => {
  it('end at once with the initial state: depth bound 0, or a warm-up to the story end (nothing left to choose)', () => {
    for (const flags of [['--max-depth', '0'], ['--warmup-ms', '1000']]) {
      // A child with a deadline: the walk loop is synchronous, so a hang would hold this process.
      const child = spawnSync(process.execPath, [join(ROOT, 'bin', 'zablab.js'), 'explore', FILE, '--strategy', 'random', '--max-states', '1000', ...flags, '--out', join(tmpdir(), 'zablab-never-written.json'), '--json'], { encoding: 'utf8', timeout: 20_000 });
      expect(child.status, `${flags.join(' ')}: ${child.signal ?? ''} ${child.stderr}`).toBe(0);
      expect(JSON.parse(child.stdout), flags.join(' ')).toMatchObject({ states: 1, unique: 1, depth: 0, violation: null });
    }
  }, 60_000);
});

describe('--max-states is a bound on the states generated', () => {
  it('one state: the initial one, and bfs or dfs say the bound stopped them, unless nothing could follow it', () => {
    const budgets = { crashes: 1, partitions: 1, losses: 1, duplicates: 1, horizonUs: 1_000_000 };
    for (const strategy of ['bfs', 'dfs', 'random'] as const) {
      const result = explore(SCENARIO, zabAdapter, { strategy, maxDepth: 12, maxStates: 1, budgets, seed: 1 });
      expect(result.states, strategy).toBe(1);
      expect(result.exhausted, strategy).toBe(false);
    }
    const ended = explore(SCENARIO, zabAdapter, { strategy: 'bfs', maxDepth: 12, maxStates: 1, budgets: { ...budgets, crashes: 0, partitions: 0 }, seed: 1, prefix: [{ e: 'run', untilMs: 1000 }] });
    expect(ended.states).toBe(1);
    expect(ended.exhausted).toBe(true);
  });
});

describe('zablab explore outputs and flags', () => {
  it('an existing --out is replaced only with --force (checked before the search), and the scenario never', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-explore-out-'));
    const out = join(dir, 'cx.json');
    writeFileSync(out, 'keep me\n');
    const args = ['explore', FILE, '--bug', 'applyWritesLocally', '--warmup-ms', '385', '--max-depth', '4', '--out', out];
    const refused = zablab(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/--out .*cx\.json: the file exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
    const forced = zablab([...args, '--force']);
    expect(forced.code, forced.stderr).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8')).schedule.length).toBeGreaterThan(1);
    const input = zablab(['explore', FILE, '--out', FILE, '--force', '--max-depth', '1']);
    expect(input.code).toBe(2);
    expect(readFileSync(FILE, 'utf8')).toContain('"title": "Model checking');
  });

  it("a scenario whose own schedule has a step that cannot happen: one line naming $.schedule[i], exit 2 (not an internal error)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-explore-schedule-'));
    const file = join(dir, 'bad.json');
    const scenario = JSON.parse(readFileSync(FILE, 'utf8'));
    delete scenario.$schema;
    writeFileSync(file, JSON.stringify({ ...scenario, schedule: [{ e: 'run', untilMs: 385 }, { e: 'restart', node: 0 }] }));
    const run = zablab(['explore', file, '--max-depth', '2', '--out', join(dir, 'cx.json')]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/bad\.json: \$\.schedule\[1\]: restart 0 cannot happen here/);
  });

  it('an empty --warmup-ms is refused, not read as 0', () => {
    const run = zablab(['explore', FILE, '--warmup-ms', '', '--max-depth', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--warmup-ms/);
  });
});

describe('zablab hunt without --bug', () => {
  it('says that --bug is required and where the correct code is searched, in one line, exit 2', async () => {
    const run = await zablabInProcess(['hunt', '--runs', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^zablab hunt: --bug NAME is required: .*use sweep or swarm\n$/);
  });
});

describe('--bug of the other protocol', () => {
  it('names the protocol to pass, in one line, exit 2 (primary-order runs Paxos first)', async () => {
    const run = await zablabInProcess(['explore', join(ROOT, 'scenarios', 'primary-order.json'), '--bug', 'applyWritesLocally', '--max-depth', '1', '--out', join(tmpdir(), 'zablab-never-written.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^zablab explore: --bug applyWritesLocally: a zab bug switch, and this run is paxos: pass --protocol zab\n$/);
  });
});
