import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zablab } from './helpers.js';

const valid = {
  title: 't',
  explanation: 'e',
  protocols: ['paxos'],
  cluster: { servers: 3 },
  workload: { clients: 1, opsPerClient: 2 },
  durationMs: 200,
};

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zablab-bad-'));
});

function scenarioFile(name: string, content: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('bad input gets a clear message, exit 2 and no stack trace', () => {
  const cases: [string, unknown, RegExp][] = [
    ['wrong type', { ...valid, durationMs: 'long' }, /\$\.durationMs: expected number/],
    ['unknown field', { ...valid, colour: 'red' }, /\$\.colour: unknown field "colour"/],
    ['unknown nested field', { ...valid, cluster: { servers: 3, size: 4 } }, /\$\.cluster\.size: unknown field/],
    ['unknown target', { ...valid, faults: [{ atMs: 10, action: 'crash', target: 'the-boss' }] }, /\$\.faults\[0\]\.target: expected a target/],
    ['target outside the cluster', { ...valid, faults: [{ atMs: 10, action: 'crash', target: 'node:7' }] }, /\$\.faults\[0\]\.target: node 7 does not exist/],
    ['node number outside the cluster', { ...valid, faults: [{ atMs: 10, action: 'partition', groups: [[0, 1], [9]] }] }, /\$\.faults\[0\]\.groups\[1\]\[0\]: node 9 does not exist/],
    ['negative node number', { ...valid, faults: [{ atMs: 10, action: 'crash', target: -1 }] }, /\$\.faults\[0\]\.target: expected a target: .* or a node number/],
    ['negative time', { ...valid, faults: [{ atMs: -5, action: 'heal' }] }, /\$\.faults\[0\]\.atMs: must be >= 0/],
    ['empty cluster', { ...valid, cluster: { servers: 0 } }, /\$\.cluster\.servers: must be >= 1/],
    ['missing field', { title: 't', explanation: 'e', cluster: { servers: 3 } }, /missing required field "durationMs"/],
    ['unknown action', { ...valid, faults: [{ atMs: 1, action: 'explode', target: 'leader' }] }, /\$\.faults\[0\]\.action: expected one of/],
    ['unknown bug switch', { ...valid, bugs: ['notABug'] }, /\$\.bugs\[0\]: unknown bug switch "notABug"/],
    ['a client pause in a story without clients', { ...valid, workload: undefined, faults: [{ atMs: 10, action: 'pause-client', client: 0, durationMs: 5 }] }, /\$\.faults\[0\]\.client: client 0 does not exist \(the story has no clients\)/],
    ['a client mix with no positive weight', { ...valid, workload: { clients: 2, clientMixes: [{ setData: 1 }, {}] } }, /\$\.workload\.clientMixes\[1\]: at least one operation needs a positive weight/],
    ['invalid JSON', '{"title": "t",\n "explanation": }', /invalid JSON/],
  ];
  for (const [what, content, pattern] of cases) {
    it(what, () => {
      const file = scenarioFile(what.replace(/\W+/g, '-'), content);
      const { code, stderr } = zablab(['run', file]);
      expect(code).toBe(2);
      expect(stderr).toContain(file);
      expect(stderr).toMatch(pattern);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }

  // Values the schema's types allow but the simulator's clock cannot: refused at load, not
  // an internal error at run time (these once threw from the protocols' config checks, or
  // would have run for ever).
  const clockCases: [string, unknown, string][] = [
    ['a ZAB tickTime below 1 µs', { ...valid, protocols: ['zab'], cluster: { servers: 3, tickTimeMs: 1e-9 } }, '$.cluster.tickTimeMs'],
    ['a Paxos election timeout below 1 µs', { ...valid, cluster: { servers: 3, electionTimeoutMs: 1e-9 } }, '$.cluster.electionTimeoutMs'],
    ['a request timeout of 0 µs', { ...valid, workload: { clients: 1, requestTimeoutMs: 0.0004 } }, '$.workload.requestTimeoutMs'],
    ['a story of 1e15 ms', { ...valid, durationMs: 1e15 }, '$.durationMs'],
  ];
  for (const [what, content, path] of clockCases) {
    it(`${what}: one line naming ${path}, exit 2`, () => {
      const file = scenarioFile(what.replace(/\W+/g, '-'), content);
      const { code, stdout, stderr } = zablab(['run', file]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${file}: ${path}: `);
      expect(lines[0]).not.toMatch(/internal error/);
    });
  }

  it('a missing file', () => {
    const { code, stderr } = zablab(['run', join(dir, 'nope.json')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no such scenario file/);
  });

  it('bad flags', () => {
    const file = scenarioFile('ok', valid);
    for (const args of [['run', file, '--seed', 'x'], ['run', file, '--protocol', 'raft'], ['run', file, '--frobnicate'], ['frobnicate'], ['sweep', file, '--seeds', '5..1'], ['sweep', file, '--seeds', '1..2', '--shard', '3/2'], ['hunt', '--bug', 'applyOnPropose', '--generator', 'uniform']]) {
      const { code, stderr } = zablab(args);
      expect(code, args.join(' ')).toBe(2);
      // One line, prefixed with the command (or plain zablab: before one is chosen).
      expect(stderr, args.join(' ')).toMatch(args[0] === 'frobnicate' ? /^zablab: [^\n]+\n$/ : new RegExp(`^zablab ${args[0]}: [^\\n]+\\n$`));
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a malformed trace', () => {
    const file = join(dir, 'trace.json');
    writeFileSync(file, JSON.stringify({ meta: { format: 'zablab-trace', version: 1, seed: 1, protocol: 'zab', servers: 3 }, events: [{ timeUs: 0, seq: 0, node: 0, kind: 'send', to: 1 }] }));
    const { code, stderr } = zablab(['trace-info', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/events\[0\]\.msgId/);
  });
});

describe('the command front door', () => {
  it('--help and --version work', () => {
    const help = zablab(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'suite', 'sweep', 'swarm', 'shrink', 'list', 'check', 'export', 'trace-info', 'schema', 'bugs']) expect(help.stdout).toContain(command);
    expect(zablab(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('run writes a trace whose hash trace-info recomputes', () => {
    const file = scenarioFile('traced', valid);
    const traceFile = join(dir, 'out.ndjson');
    const run = zablab(['run', file, '--json', '--trace', traceFile, '--seed', '3']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ protocol: 'paxos', seed: 3, ok: true });
    for (const key of ['scenario', 'traceHash', 'events', 'simTimeUs', 'leaders', 'invariants', 'linearizability', 'expectations']) expect(result).toHaveProperty(key);
    const info = zablab(['trace-info', traceFile, '--json']);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout).hash).toBe(result.traceHash);
  });
});
