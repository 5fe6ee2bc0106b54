/**
 * Runs broken only by hazards ZooKeeper does not prevent (a recipe that breaks as
 * Curator's does when a client pauses past its session or its server is cut off from the
 * leader): `zablab swarm` saves them but counts them apart from failures, and `zablab
 * merge` counts a swarm's shards the same way. In process (zablabInProcess), so that the
 * mutation catalogue can run them on a copy without a build.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zablabInProcess } from './helpers.js';

interface Line {
  protocol: string;
  seed: number;
  ok: boolean;
  failed: string[];
  hazard?: boolean;
  shrunk?: string;
  [field: string]: unknown;
}

const lines = (stdout: string): Line[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

describe('hazards ZooKeeper does not prevent', () => {
  it('counts a run broken only by a hazard ZooKeeper does not prevent apart from failures: saved, not shrunk, exit 0', async () => {
    // Paxos recipes-one-fault seed 144: client 7, a latch's leader, paused for 60 ms
    // (sessions of 40 ms): its session expired, client 1 became leader, and for 8 ms both
    // believed they led (Curator's LeaderLatch does the same: only fencing helps).
    const out = mkdtempSync(join(tmpdir(), 'zablab-swarm-hazard-'));
    const args = ['swarm', '--protocol', 'paxos', '--profile', 'recipes-one-fault', '--runs', '1', '--seed', '144', '--workers', '0', '--out', out];
    const json = await zablabInProcess([...args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const [line] = lines(json.stdout);
    expect(line).toMatchObject({ seed: 144, ok: false, hazard: true });
    expect(line.failed[0]).toMatch(/ZooKeeper does not promise more here/);
    expect(line.shrunk).toBeUndefined();
    expect(readdirSync(out)).toEqual(['swarm-paxos-recipes-one-fault-seed144.json']);
    const text = await zablabInProcess([...args, '--force']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/⚠ broken only by hazards ZooKeeper does not prevent \(not failures\): 1 run\(s\), seeds 144\n.*ZooKeeper does not promise more here: client 7 was paused from 332\.9 ms to 392\.9 ms, longer than its session timeout/);
    expect(text.stdout).toMatch(/1 runs, 0 failed \(0 symptoms\), 1 broken only by named hazards/);
    // The saved run fails as it did: `zablab run` judges the scenario's expectations, hazards included.
    expect((await zablabInProcess(['run', join(out, 'swarm-paxos-recipes-one-fault-seed144.json')])).code).toBe(1);
  });

  it("counts a swarm's runs broken only by named hazards apart, as zablab swarm does", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-merge-hazard-'));
    const whole = lines((await zablabInProcess(['swarm', '--protocol', 'paxos', '--runs', '3', '--workers', '0', '--json', '--shrink', '0', '--out', join(dir, 'whole')])).stdout);
    expect(whole.every((l) => l.ok)).toBe(true);
    const hazard = { ...whole[1], ok: false, hazard: true, failed: ['lock holds: … ZooKeeper does not promise more here: client 0 was paused …'] };
    const file = join(dir, 'runs.jsonl');
    writeFileSync(file, [whole[0], hazard, whole[2]].map((l) => JSON.stringify(l) + '\n').join(''));
    const merged = await zablabInProcess(['merge', file, '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ runs: 3, passed: 2, failed: 0, hazards: 1 });
    expect((await zablabInProcess(['merge', file])).stdout).toMatch(/2 passed, 0 failed, 1 broken only by named hazards/);
    // Beside a real failure: exit 1.
    writeFileSync(file, [whole[0], hazard, { ...whole[2], ok: false, failed: ['at most 0 leader(s): 1 leader(s) established'] }].map((l) => JSON.stringify(l) + '\n').join(''));
    const both = await zablabInProcess(['merge', file, '--json']);
    expect(both.code).toBe(1);
    expect(JSON.parse(both.stdout)).toMatchObject({ passed: 1, failed: 1, hazards: 1 });
    writeFileSync(file, JSON.stringify({ ...hazard, hazard: 'yes' }) + '\n');
    const bad = await zablabInProcess(['merge', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"hazard" must be true or false/);
  });
});
