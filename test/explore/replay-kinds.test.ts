/**
 * Every kind of schedule step replays: a seeded walk of the explorer's world that takes
 * each kind at least once (losses, duplicates, a partition and its heal, a crash and
 * restart, disconnect notices, timers out of global order) is written as a scenario's
 * `schedule`, and `zablab run`'s replay of it has the same events as the walk. The
 * counterexamples of bug switches carry these kinds; a kind no test replays could
 * drift between the explorer and the runner unseen.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import { runScenario } from '../../sim/scenario/run.js';
import { World } from '../../sim/explore/world.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';
import { Rng } from '../../sim/core/rng.js';
import { TraceHasher, type TraceEvent } from '../../sim/core/trace.js';
import { ROOT } from '../cli/helpers.js';

const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
const BUDGETS: Budgets = { crashes: 1, partitions: 1, losses: 2, duplicates: 2, horizonUs: 1_000_000, freeTimers: true };

/** A walk that takes a kind it has not taken yet whenever one is enabled (half the time), else any choice. */
function walk(adapter: ProtocolAdapter, seed: string, steps: number): { schedule: ScheduleStep[]; kinds: Set<string>; world: World } {
  const world = new World(SCENARIO, adapter, { seed: 1, budgets: BUDGETS, prefix: WARMUP });
  const rng = new Rng(seed);
  const schedule: ScheduleStep[] = [...WARMUP];
  const kinds = new Set<string>();
  for (let i = 0; i < steps; i++) {
    const choices = world.choices();
    if (choices.length === 0) break;
    const fresh = choices.filter((c) => !kinds.has(c.step.e));
    const pool = fresh.length > 0 && rng.chance(0.5) ? fresh : choices;
    const choice = pool[rng.int(pool.length)];
    world.apply(choice);
    schedule.push(choice.step);
    kinds.add(choice.step.e);
    expect(world.violation(), `correct code, after ${schedule.length} steps`).toBeNull();
  }
  return { schedule, kinds, world };
}

function prefixHash(events: readonly TraceEvent[], count: number): string {
  const hasher = new TraceHasher();
  for (const event of events.slice(0, count)) hasher.mixEvent(event);
  return hasher.digest();
}

describe('every schedule step kind replays in zablab run to the explorer\'s events', () => {
  for (const [name, adapter, expected] of [
    ['zab', zabAdapter, ['deliver', 'lose', 'timer', 'sync', 'notice', 'client-request', 'client-reply', 'env', 'crash', 'restart', 'isolate', 'heal']],
    ['paxos', paxosAdapter, ['deliver', 'lose', 'duplicate', 'timer', 'client-request', 'client-reply', 'env', 'crash', 'restart', 'isolate', 'heal']],
  ] as const) {
    it(`${name}: a walk through ${expected.length} kinds, timers out of global order included`, () => {
      const { schedule, kinds, world } = walk(adapter, `replay-kinds/${name}`, 150);
      for (const kind of expected) expect(kinds, `the walk took no ${kind} step`).toContain(kind);
      const trace = world.setup.cluster.trace;
      const replay = runScenario({ ...SCENARIO, protocols: [name], schedule }, adapter, { seed: 1, keepTrace: true });
      expect(replay.halted ?? null).toBeNull();
      expect(prefixHash(replay.trace!.events, trace.count)).toBe(trace.hash());
    });
  }
});
