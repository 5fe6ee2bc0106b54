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
import { materializeNemesis, runScenario, syncOfKind } from '../../sim/scenario/run.js';
import type { FaultAction, Scenario, SyncKind, SyncStep } from '../../sim/scenario/types.js';
import type { TraceEvent } from '../../sim/core/trace.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { Rng } from '../../sim/core/rng.js';
import { ROOT } from '../cli/helpers.js';

const zab = protocolAdapter('zab');
const file = join(ROOT, 'test', 'fixtures', 'regressions', 'zab-sync-crash-with-leader.json');
const story = parseScenario(readFileSync(file, 'utf8'), file, new Set(['epochBeforeHistory']));

/** The story with its syncing fault re-aimed (and every bug switch off). */
function aimed(over: { at?: SyncStep; syncKind?: SyncKind; delayMs?: number; atMs?: number }): Scenario {
  const faults = story.faults!.map((f): FaultAction => (f.action === 'crash' && f.target === 'syncing' ? { ...f, ...over } : f));
  return { ...story, bugs: [], faults };
}

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

  it('aimed at a step (at), it hits the learner delayMs after it reaches that step of the sync, not after the sync starts', () => {
    const stepTimes = (events: TraceEvent[], learner: number, leader: number, after: number) => {
      const delivered = (type: string) => events.find((e) => e.kind === 'deliver' && e.node === learner && e.from === leader && e.type === type && e.timeUs >= after)!.timeUs;
      return { received: delivered('DIFF'), newleader: delivered('NEWLEADER'), 'ack-newleader': events.find((e) => e.kind === 'newleader' && e.node === learner && e.timeUs >= after)!.timeUs, uptodate: delivered('UPTODATE') };
    };
    // The runs are the same until the crash: the last step's run shows every step's time.
    const whole = runScenario(aimed({ at: 'uptodate', delayMs: 0.5 }), zab, { keepTrace: true }).trace!.events;
    const sync = whole.find((e) => e.kind === 'sync-mode' && e.timeUs >= 440_000 && (e.txns as number) > 0)!;
    const learner = sync.learner as number;
    const steps = stepTimes(whole, learner, sync.node, sync.timeUs);
    // The learner's steps, in order, each later than the last (so hitting one is not hitting another).
    expect(sync.timeUs).toBeLessThan(steps.received);
    expect(steps.received).toBeLessThan(steps.newleader);
    expect(steps.newleader).toBeLessThan(steps['ack-newleader']);
    expect(steps['ack-newleader']).toBeLessThan(steps.uptodate);
    for (const at of ['received', 'newleader', 'ack-newleader', 'uptodate'] as const) {
      const events = runScenario(aimed({ at, delayMs: 0.5 }), zab, { keepTrace: true }).trace!.events;
      const crashes = events.filter((e) => e.kind === 'crash' && e.timeUs > 440_000).map((e) => [e.node, e.timeUs]);
      expect(crashes, at).toEqual([
        [learner, steps[at] + 500],
        [sync.node, steps[at] + 500],
      ]);
    }
  });

  it("aimed at NEWLEADER with no delay, it lands inside the learner's persist (before its ACK), where 3911, 4643 and 4785 live", () => {
    const story1 = aimed({ at: 'newleader', delayMs: 0 });
    const events = runScenario(story1, zab, { keepTrace: true }).trace!.events;
    const crash = events.find((e) => e.kind === 'crash' && e.timeUs > 440_000)!;
    const newLeader = events.find((e) => e.kind === 'deliver' && e.type === 'NEWLEADER' && e.node === crash.node && e.timeUs > 440_000)!;
    expect(crash.timeUs).toBe(newLeader.timeUs);
    // It crashed before it acknowledged: no newleader record between the delivery and the crash.
    expect(events.some((e) => e.kind === 'newleader' && e.node === crash.node && e.seq > newLeader.seq && e.seq < crash.seq)).toBe(false);
    // And with epochBeforeHistory on, that crash is the one that loses committed txns.
    expect(runScenario({ ...story1, bugs: ['epochBeforeHistory'] }, zab).invariants.violations.map((v) => v.invariant)).toContain('CommittedLogDurability');
  });

  it('a sync abandoned before its step (its learner crashes, its leader loses its quorum) lets the fault go: it waits for the next learner synced', () => {
    const story1 = aimed({ at: 'uptodate', delayMs: 0.5 });
    // Learner 0 crashes between its DIFF (sent at 672.8 ms) and NEWLEADER, and stays down past the next sync.
    story1.faults!.push({ atMs: 673, action: 'crash', target: 'node:0', durationMs: 1000 });
    const events = runScenario(story1, zab, { keepTrace: true }).trace!.events;
    const next = events.find((e) => e.kind === 'sync-mode' && e.timeUs > 673_000 && e.learner !== 0 && (e.txns as number) > 0)!;
    const upToDate = events.find((e) => e.kind === 'deliver' && e.type === 'UPTODATE' && e.node === next.learner && e.timeUs > next.timeUs)!;
    const crashes = events.filter((e) => e.kind === 'crash' && e.timeUs > 673_000).map((e) => [e.node, e.timeUs]);
    expect(crashes.slice(0, 2)).toEqual([
      [next.learner, upToDate.timeUs + 500],
      [next.node, upToDate.timeUs + 500],
    ]);
  });

  it('syncKind chooses the synchronization: history (the default) passes over empty DIFFs, any takes them', () => {
    const firstCrash = (over: { syncKind?: SyncKind }) => {
      const events = runScenario(aimed({ atMs: 100, ...over }), zab, { keepTrace: true }).trace!.events;
      const crash = events.find((e) => e.kind === 'crash' && e.timeUs !== 430_000)!;
      const sync = events.filter((e) => e.kind === 'sync-mode' && e.learner === crash.node && e.timeUs <= crash.timeUs).pop()!;
      return { mode: sync.mode, txns: sync.txns, atUs: crash.timeUs };
    };
    expect(firstCrash({})).toMatchObject({ mode: 'DIFF', txns: 4 });
    expect(firstCrash({ syncKind: 'any' })).toMatchObject({ mode: 'DIFF', txns: 0 });
    expect(firstCrash({ syncKind: 'any' }).atUs).toBeLessThan(430_000);
    expect(syncOfKind('history', 'DIFF', 0)).toBe(false);
    expect(syncOfKind('history', 'TRUNC', 0)).toBe(true);
    expect(syncOfKind('diff', 'SNAP', 0)).toBe(false);
    expect(syncOfKind('snap', 'SNAP', 0)).toBe(true);
    expect(syncOfKind('trunc', 'DIFF', 3)).toBe(false);
  });

  it('syncKind and at are refused on other targets, and bad values named, with the JSON path', () => {
    const doc = (fault: object) => JSON.stringify({ title: 't', explanation: 'e', cluster: { servers: 3 }, durationMs: 100, faults: [{ atMs: 1, action: 'crash', ...fault }] });
    expect(() => parseScenario(doc({ target: 'leader', at: 'newleader' }), 'bad.json')).toThrow(/\$\.faults\[0\]\.at: at applies only to the target "syncing"/);
    expect(() => parseScenario(doc({ target: 'any', syncKind: 'snap' }), 'bad.json')).toThrow(/\$\.faults\[0\]\.syncKind: syncKind applies only/);
    expect(() => parseScenario(doc({ target: 'syncing', at: 'commit' }), 'bad.json')).toThrow(/\$\.faults\[0\]\.at/);
    expect(() => parseScenario(doc({ target: 'syncing', syncKind: 'full' }), 'bad.json')).toThrow(/\$\.faults\[0\]\.syncKind/);
    expect(parseScenario(doc({ target: 'syncing', syncKind: 'trunc', at: 'ack-newleader', delayMs: 1 }), 'ok.json').faults![0]).toMatchObject({ syncKind: 'trunc', at: 'ack-newleader' });
  });

  it('delayMs and withLeaderMs are refused on other targets, with the JSON path', () => {
    const bad = JSON.stringify({ title: 't', explanation: 'e', cluster: { servers: 3 }, durationMs: 100, faults: [{ atMs: 1, action: 'crash', target: 'leader', withLeaderMs: 5 }] });
    expect(() => parseScenario(bad, 'bad.json')).toThrow(ScenarioError);
    expect(() => parseScenario(bad, 'bad.json')).toThrow(/\$\.faults\[0\]\.withLeaderMs/);
  });
});
