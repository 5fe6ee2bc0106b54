/**
 * Faults aimed at a synchronization (target `syncing`, nemesis kind `sync-crash`): armed
 * at their time, they hit the next server a leader starts to send history to, `delayMs`
 * later, and with `withLeaderMs` the leader syncing it too. The crash windows of
 * NEWLEADER's handling (PROTOCOLS.md §11) are a disk sync wide: this is how a search
 * reaches them without a script.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../sim/scenario/load.js';
import { materializeNemesis, runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { Rng } from '../../sim/core/rng.js';
import { ROOT } from '../cli/helpers.js';

const zab = protocolAdapter('zab');
const file = join(ROOT, 'test', 'fixtures', 'regressions', 'zab-sync-crash-with-leader.json');
const story = parseScenario(readFileSync(file, 'utf8'), file, new Set(['epochBeforeHistory']));

describe('a crash aimed at a synchronization', () => {
  it('waits for the next sync with history in it and hits its learner delayMs later, and its leader with withLeaderMs', () => {
    const result = runScenario(story, zab, { keepTrace: true });
    const events = result.trace!.events;
    const sync = events.find((e) => e.kind === 'sync-mode' && e.timeUs >= 440_000 && (e.txns as number) > 0)!;
    expect(sync).toBeDefined();
    const crashes = events.filter((e) => e.kind === 'crash' && e.timeUs > 440_000);
    expect(crashes.map((e) => [e.node, e.timeUs])).toEqual([
      [sync.learner, sync.timeUs + 5_000],
      [sync.node, sync.timeUs + 5_000],
    ]);
    // The learner is back after durationMs; its leader is still down (withLeaderMs) when the run halts.
    const restarts = events.filter((e) => e.kind === 'restart' && e.timeUs > sync.timeUs).map((e) => [e.node, e.timeUs]);
    expect(restarts).toContainEqual([sync.learner, sync.timeUs + 65_000]);
    expect(restarts.filter(([node]) => node === sync.node)).toEqual([]);
    expect(result.halted!.atUs).toBeLessThan(sync.timeUs + 1_205_000);
  });

  it('reaches ZOOKEEPER-4643 with the switch on, and nothing breaks with it off', () => {
    const on = runScenario(story, zab);
    expect(on.invariants.violations.map((v) => v.invariant)).toContain('CommittedLogDurability');
    expect(on.ok).toBe(true);
    const off = runScenario({ ...story, bugs: [], expect: { invariants: 'hold', linearizable: true } }, zab);
    expect(off.invariants.violations).toEqual([]);
    expect(off.ok).toBe(true);
  });

  it('the nemesis kind sync-crash makes such faults concrete, replayable from the scenario', () => {
    const scenario = { ...story, faults: undefined, nemesis: { kinds: ['sync-crash' as const], intervalMs: 100 } };
    const faults = materializeNemesis(scenario.nemesis, scenario, new Rng('sync-crash'));
    expect(faults.length).toBeGreaterThan(5);
    for (const f of faults) expect(f).toMatchObject({ action: 'crash', target: 'syncing' });
    expect(faults.some((f) => 'withLeaderMs' in f)).toBe(true);
  });

  it('delayMs and withLeaderMs are refused on other targets, with the JSON path', () => {
    const bad = JSON.stringify({ title: 't', explanation: 'e', cluster: { servers: 3 }, durationMs: 100, faults: [{ atMs: 1, action: 'crash', target: 'leader', withLeaderMs: 5 }] });
    expect(() => parseScenario(bad, 'bad.json')).toThrow(ScenarioError);
    expect(() => parseScenario(bad, 'bad.json')).toThrow(/\$\.faults\[0\]\.withLeaderMs/);
  });
});
