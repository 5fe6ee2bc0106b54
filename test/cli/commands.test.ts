/**
 * The CLI commands a user strings together: run → export → check, list, schema, shrink
 * and hunt, through the real binary (bin/zablab.js on dist/).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zablab } from './helpers.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zablab-cli-'));
});

describe('zablab commands', () => {
  it('run → export --format edn|json → check: the exported history checks as linearizable; shiviz has vector clocks', () => {
    const trace = join(dir, 'cold.json');
    expect(zablab(['run', join(ROOT, 'scenarios', 'election-cold-start-3.json'), '--trace', trace]).code).toBe(0);
    for (const format of ['edn', 'json']) {
      const out = join(dir, `history.${format}`);
      expect(zablab(['export', trace, '--format', format, '--out', out]).code).toBe(0);
      const check = zablab(['check', out, '--model', 'znode']);
      expect(check.stdout, check.stderr).toMatch(/: linearizable \(\d+ operations/);
      expect(check.code).toBe(0);
    }
    const shiviz = zablab(['export', trace, '--format', 'shiviz']);
    expect(shiviz.code).toBe(0);
    const [regex, , ...events] = shiviz.stdout.trim().split('\n');
    expect(regex).toContain('(?<clock>');
    // Each host's own clock entry counts its events: 1, 2, 3, …
    const own = new Map<string, number>();
    for (const line of events) {
      const m = /^(\S+) (\{.*?\}) /.exec(line)!;
      const clock = JSON.parse(m[2]) as Record<string, number>;
      expect(clock[m[1]]).toBe((own.get(m[1]) ?? 0) + 1);
      own.set(m[1], clock[m[1]]);
    }
    expect(own.size).toBe(3);
  });

  it('list names every scenario with its protocols and title; schema prints the published schema', () => {
    const list = zablab(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^election-cold-start-3\s+zab,paxos\s+\S/m);
    expect(list.stdout).toMatch(/^bugs\/zk-3104-newLeaderBeforeSnapshot\s+zab\s+ZOOKEEPER-3104/m);
    const schema = zablab(['schema']);
    expect(JSON.parse(schema.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, 'scenarios', 'scenario.schema.json'), 'utf8')));
  });

  it('shrink writes a smaller scenario that still fails; hunt finds a switch with no script', () => {
    const file = join(dir, 'one-leader-only.json');
    writeFileSync(
      file,
      JSON.stringify({
        title: 'at most one leader',
        explanation: 'Fails whenever the leader is crashed.',
        protocols: ['zab'],
        cluster: { servers: 3 },
        workload: { clients: 3, opsPerClient: 20 },
        faults: [
          // The first leader is elected at about 205 ms (FastLeaderElection's 200 ms finalizeWait).
          { atMs: 280, action: 'partition', isolate: 'follower', durationMs: 50 },
          { atMs: 380, action: 'crash', target: 'leader', durationMs: 100 },
          { atMs: 580, action: 'pause', target: 'follower', durationMs: 30 },
        ],
        durationMs: 980,
        expect: { maxLeaders: 1 },
      }),
    );
    expect(zablab(['run', file, '--seed', '2']).code).toBe(1);
    const out = join(dir, 'shrunk.json');
    expect(zablab(['shrink', file, '--seed', '2', '--out', out, '--max-runs', '60']).code).toBe(0);
    const shrunk = JSON.parse(readFileSync(out, 'utf8')) as { faults: unknown[]; workload?: { clients: number }; seed: number };
    expect(shrunk.faults.length).toBeLessThan(3);
    const rerun = zablab(['run', out]);
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toContain('✗ at most 1 leader(s)');
    const hunted = join(dir, 'hunt.json');
    const hunt = zablab(['hunt', '--bug', 'applyWritesLocally', '--runs', '20', '--out', hunted]);
    expect(hunt.code).toBe(0);
    expect(hunt.stdout).toMatch(/found applyWritesLocally/i);
    expect(zablab(['run', hunted]).code).toBe(1);
  });
});
