/**
 * Which parts of a world a step changed (sim/explore/world.ts): a snapshot shares the
 * parts a step was not counted as touching (a server no event happened on; the trace's
 * listeners when the step handed them no event), and a restore skips parts already in
 * place. A change that went unrecorded would make a later restore put back a stale
 * part. With checkInPlace every part taken as unchanged is walked again and compared:
 * here a breadth-first sweep of both protocols under every fault kind, each successor
 * snapshotted as the explorer does, must never find one; and a change made behind the
 * tracking's back is caught.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import { stepTouches, World, type WorldSnapshot } from '../../sim/explore/world.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';
import { ROOT } from '../cli/helpers.js';

const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
const BUDGETS: Budgets = { crashes: 1, partitions: 1, losses: 1, duplicates: 1, horizonUs: 1_000_000 };

function world(adapter: ProtocolAdapter): World {
  return new World(SCENARIO, adapter, { seed: 1, budgets: BUDGETS, prefix: WARMUP, checkInPlace: true });
}

/** Breadth-first from the warm-up's end, every successor made as the explorer makes it (restore the parent, one step, snapshot); the states expanded. */
function sweep(adapter: ProtocolAdapter, states: number): number {
  const live = world(adapter);
  const queue: WorldSnapshot[] = [live.snapshot()];
  let expanded = 0;
  for (let head = 0; head < queue.length && expanded < states; head++, expanded++) {
    const parent = queue[head];
    live.restore(parent);
    const count = live.choices().length;
    for (let index = 0; index < count; index++) {
      live.restore(parent);
      live.apply(live.choices()[index]);
      live.fingerprint();
      queue.push(live.snapshot());
    }
  }
  return expanded;
}

describe('change tracking', () => {
  it('ZAB: no step changes a part it was not counted as touching', () => {
    expect(sweep(zabAdapter, 60)).toBe(60);
  });

  it('Paxos: no step changes a part it was not counted as touching', () => {
    expect(sweep(paxosAdapter, 60)).toBe(60);
  });

  it("a change behind the tracking's back is caught: a listener's or a server's", () => {
    const live = world(zabAdapter);
    // A state and a step of it that hands the listeners no event (a delivery that records nothing), found along first choices.
    const trace = live.setup.cluster.trace;
    let quiet: { state: WorldSnapshot; index: number } | null = null;
    for (let depth = 0; depth < 10 && quiet === null; depth++) {
      const state = live.snapshot();
      for (let index = 0; index < live.choices().length && quiet === null; index++) {
        live.restore(state);
        const heard = trace.heard;
        live.apply(live.choices()[index]);
        if (trace.heard === heard) quiet = { state, index };
      }
      live.restore(state);
      live.apply(live.choices()[0]);
    }
    expect(quiet, 'some step hands the listeners nothing').not.toBeNull();
    const root = quiet!.state;
    live.restore(root);
    live.apply(live.choices()[quiet!.index]);
    live.setup.counters.commits++;
    expect(() => live.snapshot()).toThrow(/trace's listeners, shared by a snapshot as unchanged, has changed: .*field commits/);
    live.setup.counters.commits--;

    // A step on one server, then another server's storage written.
    live.restore(root);
    const choice = live.choices().find((c) => stepTouches(c.step) >= 0)!;
    const other = (stepTouches(choice.step) + 1) % live.setup.cluster.size;
    live.apply(choice);
    live.setup.cluster.storage(other).put('behind-the-back', 1);
    expect(() => live.snapshot()).toThrow(new RegExp(`server ${other}, shared by a snapshot as unchanged, has changed`));
  });
});
