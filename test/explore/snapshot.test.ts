/**
 * Snapshots of explored worlds (sim/explore/snapshot.ts, World.snapshot/restore): a
 * world restored to a snapshot and driven on must be the world that replays the same
 * path from the root, in everything a search or a replay sees: the choices, the
 * fingerprint, the trace hash, the invariant that fires. Random walks jump back to
 * random earlier snapshots (so parts are shared and restored out of order), on ZAB and
 * Paxos, with a crash budget, and with bug switches whose violations must be found on
 * the same step either way.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { World, type WorldSnapshot } from '../../sim/explore/world.js';
import { stepKey, type Budgets, type ScheduleStep } from '../../sim/explore/scheduler.js';
import { Rng } from '../../sim/core/rng.js';
import { ROOT } from '../cli/helpers.js';

const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO: Scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const WARMUP: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
const BUDGETS: Budgets = { crashes: 1, partitions: 1, losses: 1, duplicates: 1, horizonUs: 1_000_000 };

interface Seen {
  choices: string;
  fingerprint: number;
  fromScratch: number;
  traceHash: string;
  violation: string | null;
}

function look(world: World): Seen {
  return {
    choices: world
      .choices()
      .map((c) => stepKey(c.step))
      .join(','),
    fingerprint: world.fingerprint(),
    // The servers' cached parts are what hashing them again gives.
    fromScratch: world.fingerprintFromScratch(),
    traceHash: world.setup.cluster.trace.hash(),
    violation: world.violation()?.invariant ?? null,
  };
}

/** Walks at random, jumping back to earlier snapshots; every state met is compared with a fresh world replaying its path. */
function compareWithReplay(scenario: Scenario, adapter: ProtocolAdapter, seed: string, steps: number): number {
  const make = () => new World(scenario, adapter, { seed: 1, budgets: BUDGETS, prefix: WARMUP });
  const rng = new Rng(seed);
  const world = make();
  const saved: { snapshot: WorldSnapshot; path: number[] }[] = [{ snapshot: world.snapshot(), path: [] }];
  let path: number[] = [];
  let violations = 0;
  for (let step = 0; step < steps; step++) {
    const choices = world.choices();
    if (choices.length === 0 || world.violation() !== null || path.length >= 25 || rng.chance(0.2)) {
      const back = saved[rng.int(saved.length)];
      world.restore(back.snapshot);
      path = back.path.slice();
      // Half the time the fingerprint is asked at once (cached server parts are then reused).
      if (rng.chance(0.5)) expect(world.fingerprint()).toBe(look(replayed(make, path)).fingerprint);
      continue;
    }
    const index = rng.int(choices.length);
    world.apply(choices[index]);
    path.push(index);
    if (rng.chance(0.5)) world.fingerprint();
    if (rng.chance(0.3)) saved.push({ snapshot: world.snapshot(), path: path.slice() });
    const here = look(world);
    const fresh = look(replayed(make, path));
    expect(here, `after ${JSON.stringify(path)}`).toEqual(fresh);
    expect(here.fromScratch).toBe(here.fingerprint);
    if (here.violation !== null) violations++;
  }
  return violations;
}

function replayed(make: () => World, path: readonly number[]): World {
  const world = make();
  world.replay(path);
  return world;
}

describe('world snapshots', () => {
  it('ZAB: a restored world goes on exactly as a replayed one', () => {
    compareWithReplay(SCENARIO, zabAdapter, 'zab', 150);
  });

  it('Paxos: a restored world goes on exactly as a replayed one', () => {
    compareWithReplay(SCENARIO, paxosAdapter, 'paxos', 150);
  });

  it('with a bug switched on, violations come on the same steps either way', () => {
    const zab = compareWithReplay({ ...SCENARIO, bugs: ['applyWritesLocally'] }, zabAdapter, 'zab-bug', 120);
    const paxos = compareWithReplay({ ...SCENARIO, bugs: ['applyOnPropose'] }, paxosAdapter, 'paxos-bug', 120);
    expect(zab + paxos, 'some walk reached a violation').toBeGreaterThan(0);
  });
});
