/**
 * What the lab's recipe lane draws (web/src/recipelane.ts), derived from a recipe
 * story's trace: each row agrees with what the run's checker and history say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import { recipeFromTrace } from '../../sim/scenario/recipe-report.js';
import { laneGroups, type LaneGroup } from '../../web/src/recipelane.js';
import { ROOT } from '../cli/helpers.js';

function lanes(name: string, recipeFlaws?: NonNullable<Parameters<typeof runScenario>[2]>['recipeFlaws']) {
  const file = join(ROOT, 'scenarios', 'recipes', `${name}.json`);
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  const result = runScenario(scenario, protocolAdapter('zab'), { seed: 1, keepTrace: true, ...(recipeFlaws ? { recipeFlaws } : {}) });
  const trace = recipeFromTrace(result.trace!.events, scenario, result.simTimeUs)!;
  return { result, trace, groups: laneGroups(trace, result.simTimeUs) };
}

const last = <T>(list: readonly T[]): T => list[list.length - 1];
const group = (groups: LaneGroup[], recipe: string) => groups.find((g) => g.recipe === recipe)!;

describe('the recipe lane', () => {
  it('lock: one row per client, its bands the checker\'s windows; a broken lock\'s overlaps', () => {
    const { result, groups } = lanes('lock-holder-cut-off', { lock: { keepHoldingWhenSuspended: true } });
    const lock = group(groups, 'lock');
    expect(lock.rows.map((r) => r.client)).toEqual([0, 1, 2]);
    const bands = lock.rows.flatMap((r) => r.segments.map((s) => ({ client: r.client, fromUs: s.fromUs, toUs: s.toUs })));
    expect(bands.sort((a, b) => a.fromUs - b.fromUs)).toEqual(result.recipe!.windows.map((w) => ({ client: w.client, fromUs: w.fromUs, toUs: w.toUs ?? result.simTimeUs })));
    expect(lock.overlaps.length).toBeGreaterThan(0);
    expect(lock.overlaps).toEqual(result.recipe!.overlaps);
  });

  it('queue: the items waiting, back to none once every item is taken', () => {
    const { result, groups } = lanes('queue-consumer-cut-off');
    const steps = group(groups, 'queue').rows[0].steps!;
    const puts = result.history.filter((e) => e.f === 'enqueue' && e.type === 'ok').length;
    expect(Math.max(...steps.map((s) => s[1]))).toBeGreaterThan(0);
    expect(steps.filter((s, i) => i > 0 && s[1] > steps[i - 1][1])).toHaveLength(puts);
    expect(last(steps)[1]).toBe(0);
  });

  it('counter: the value each increment set, ending at the final read', () => {
    const { result, groups } = lanes('counter-under-faults');
    const row = group(groups, 'counter').rows[0];
    const final = result.history.find((e) => e.f === 'final' && e.type === 'ok')!;
    expect(last(row.steps!)[1]).toBe(Number(final.value));
    expect(row.marks).toHaveLength(1);
  });

  it('config: each reader ends on the version the checker says every reader ends on', () => {
    const { result, groups } = lanes('config-through-watches');
    const version = /every reader ends on version (\d+)/.exec(result.recipe!.summary)![1];
    const readers = group(groups, 'config').rows.filter((r) => r.segments.length > 0);
    expect(readers.length).toBeGreaterThan(1);
    for (const row of readers) {
      expect(last(row.segments).text).toBe(`v${version}`);
      // One version at a time: each lasts until the reader sees the next.
      for (let i = 1; i < row.segments.length; i++) expect(row.segments[i - 1].toUs).toBe(row.segments[i].fromUs);
    }
    expect(group(groups, 'config').rows.some((r) => r.marks.length > 0)).toBe(true);
  });

  it('double barrier: each member enters, is inside, leaves and has left, in that order', () => {
    const { groups } = lanes('double-barrier');
    const rows = group(groups, 'double-barrier').rows;
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) {
      const phases = row.segments.map((s) => /client \d+ (\w+) round/.exec(s.title)![1]);
      expect(phases.slice(0, 4)).toEqual(['entering', 'inside', 'leaving', 'left']);
      for (let i = 1; i < row.segments.length; i++) expect(row.segments[i].fromUs).toBe(row.segments[i - 1].toUs);
    }
  });

  it('barrier: the controller\'s rounds set, and each waiter\'s passes, each after its round\'s removal began', () => {
    const { result, groups } = lanes('barrier-waiter-cut-off');
    const rows = group(groups, 'barrier').rows;
    expect(rows.map((r) => r.label)).toEqual(['client 0 ✎', 'client 1', 'client 2', 'client 3']);
    const sets = result.history.filter((e) => e.f === 'setBarrier' && e.type === 'ok').length;
    expect(rows[0].segments.filter((s) => s.text !== undefined).map((s) => s.text)).toEqual(Array.from({ length: sets }, (_, i) => `r${i + 1}`));
    const removedUs = new Map(result.history.filter((e) => e.f === 'removeBarrier' && e.type === 'invoke').map((e) => [Number(e.value), e.timeUs ?? 0]));
    for (const row of rows.slice(1)) {
      expect(row.marks.length).toBe(sets);
      row.marks.forEach((mark, i) => expect(mark.atUs).toBeGreaterThan(removedUs.get(i + 1)!));
    }
  });

  it('membership: a member whose session expired is hatched from its silence, and the watcher\'s sight of it leaving is marked', () => {
    const { result, groups } = lanes('membership-session-expiry');
    const expired = result.history.filter((e) => e.f === 'expired' && e.type === 'ok');
    expect(expired.length).toBeGreaterThan(0);
    for (const e of expired) {
      const row = group(groups, 'membership').rows.find((r) => r.client === e.process)!;
      expect(row.segments.some((s) => s.hatched === true && s.fromUs === Number(e.value) && s.toUs === e.timeUs)).toBe(true);
      expect(row.marks.some((m) => m.atUs > Number(e.value))).toBe(true);
    }
  });
});
