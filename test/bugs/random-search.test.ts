/**
 * Random search, one suite for every bug switch of every protocol: no hand-written fault
 * script, only random clusters, workloads and fault schedules.
 *
 * (a) With every switch off, a fast-check property over random scenarios — drawn by the
 *     very generators that hunt the bugs (sim/scenario/hunt.ts: its classic profile and
 *     the swarm's) and by scenarioArb —
 *     finds no failing expectation: invariants hold, the history is linearizable, the
 *     servers converge after healing.
 * (b) With one switch on, that same generator finds a failure (huntBug: run after run
 *     from search seed 1, a failure counted only if the same run passes with the switch
 *     off) and shrinks it; the shrunk scenario still fails with the switch on and
 *     passes with it off.
 *
 * (b) runs in CI only for the switches random search finds quickly: found by every
 * search and at most CI_MAX_MEAN_RUNS runs on average, as measured by `npm run bugzoo`
 * (the MEASURED table below). The others are left to `npm run bugzoo` (the README
 * table); MEASURED says how far random search got for them and how many runs were tried,
 * and a switch missing from MEASURED fails the suite. Measurements are figures, not predictions: re-measure after changing the
 * generator or a protocol, and update the table.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/rng.js';
import { scenarioArb } from '../../sim/scenario/arbitraries.js';
import { huntBug, huntScenario } from '../../sim/scenario/hunt.js';
import { allBugs, PROTOCOLS, protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario, type RunResult } from '../../sim/scenario/run.js';
import type { ProtocolName, Scenario } from '../../sim/scenario/types.js';

/** Random scenarios per protocol in (a). */
const PROPERTY_RUNS = 60;
/** The search budget of (b), and the bar a switch must clear to be searched in CI. */
const CI_MAX_RUNS = 300;
const CI_MAX_MEAN_RUNS = 50;
const CI_SHRINK_RUNS = 40;

interface Measured {
  /** Searches (search seeds 1..seeds) that found the switch within maxRuns runs. */
  found: number;
  seeds: number;
  maxRuns: number;
  /** Mean runs to find, over the searches that found it. */
  meanRuns: number | null;
}

/**
 * `npm run bugzoo -- --runs 300 --seeds 10 --no-shrink` with the hunt's default
 * generator as of this table (mixed: each run from the classic profile of
 * sim/scenario/hunt.ts or from the swarm's; a search that finds nothing costs all 300
 * runs), with ZAB's elections waiting FastLeaderElection's 200 ms finalizeWait.
 */
const MEASURED: Record<string, Measured> = {
  // Paxos (PROTOCOLS.md §12)
  ignorePromisedValue: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 3.8 },
  pickFirstNotHighest: { found: 7, seeds: 10, maxRuns: 300, meanRuns: 163.7 },
  acceptBelowPromise: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 64.7 },
  volatileAcceptor: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 6.4 },
  duplicateBallots: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 14.6 },
  learnAcrossBallots: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 10.2 },
  // ZAB: the ZooKeeper bugs of PROTOCOLS.md §11
  epochFromLastZxid: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 14.3 },
  diffByRangeCheck: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 84.7 },
  noRolloverGuard: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 79.9 },
  diffSetsLastZxidEarly: { found: 7, seeds: 10, maxRuns: 300, meanRuns: 138.0 },
  retainDbWithoutFastForward: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 4.0 },
  snapDoesNotTruncateLog: { found: 4, seeds: 10, maxRuns: 300, meanRuns: 135.5 },
  newLeaderBeforeSnapshot: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 5.1 },
  keepDbAfterAbortedSync: { found: 4, seeds: 10, maxRuns: 300, meanRuns: 41.8 },
  ackNewLeaderBeforePersist: { found: 3, seeds: 10, maxRuns: 300, meanRuns: 73.7 },
  epochBeforeHistory: { found: 1, seeds: 10, maxRuns: 300, meanRuns: 100.0 },
  asyncLogBeforeAckLd: { found: 2, seeds: 10, maxRuns: 300, meanRuns: 234.5 },
  ackRaceInSync: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 3.8 },
  applyAllPendingOnNewLeader: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 5.0 },
  asyncDiffPersist: { found: 4, seeds: 10, maxRuns: 300, meanRuns: 139.8 },
  leakSyncThread: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 34.3 },
  committedLogGap: { found: 8, seeds: 10, maxRuns: 300, meanRuns: 133.4 },
  // ZAB: test switches
  commitWithoutQuorum: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 22.2 },
  ackBeforeLog: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 94.2 },
  skipTruncate: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 17.6 },
  applyWritesLocally: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 1.2 },
  diffSkipsFirst: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 2.9 },
  diffNewestFirst: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 13.4 },
  applyOnPropose: { found: 10, seeds: 10, maxRuns: 300, meanRuns: 1.1 },
};

const quick = (m: Measured) => m.found === m.seeds && m.meanRuns !== null && m.meanRuns <= CI_MAX_MEAN_RUNS;

function measuredText(m: Measured): string {
  const tried = `${m.seeds} searches of up to ${m.maxRuns} random runs`;
  if (m.found === 0) return `not found by ${tried} (${m.seeds * m.maxRuns} runs tried)`;
  return `found by ${m.found} of ${tried}, mean ${m.meanRuns!.toFixed(1)} runs`;
}

function failures(result: RunResult): string[] {
  return failedExpectations(result).map((e) => `${e.name}: ${e.detail}`);
}

// ---------------------------------------------------------------- (a) every switch off

interface Case {
  scenario: Scenario;
  seed: number;
}

/** A random scenario as the bug hunt draws it (its classic profile or the swarm's), with every switch off. */
function huntCaseArb(protocol: ProtocolName): fc.Arbitrary<Case> {
  const adapter = protocolAdapter(protocol);
  return fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((n) => {
    const rng = new Rng(`random-search/${protocol}/${n}`);
    const drawn = huntScenario(rng, adapter, 'none', 'mixed');
    const scenario: Scenario = { ...drawn.scenario, title: 'random (every switch off)', explanation: 'A hunt scenario with every bug switch off.', bugs: [] };
    return { scenario, seed: drawn.seed };
  });
}

/**
 * A random scenario with an explicit fault script (shrinks fault by fault). ZAB's
 * sync-then-read is not linearizable against a deposed leader (ZOOKEEPER-1675,
 * PROTOCOLS.md §8), so ZAB reads here are quorum or local (local reads are not checked).
 */
function arbCaseArb(protocol: ProtocolName): fc.Arbitrary<Case> {
  const readModes = protocol === 'zab' ? (['quorum', 'local'] as const) : (['quorum', 'sync', 'local'] as const);
  return fc.tuple(scenarioArb({ protocols: [protocol], servers: [3, 5], durationMs: 1_000, readModes: [...readModes] }), fc.integer({ min: 1, max: 2 ** 31 - 1 })).map(([scenario, seed]) => ({
    scenario: { ...scenario, expect: { invariants: 'hold', linearizable: true, converge: true } },
    seed,
  }));
}

describe('random search with every switch off finds nothing', () => {
  for (const protocol of Object.keys(PROTOCOLS) as ProtocolName[]) {
    it(`${protocol}: ${PROPERTY_RUNS} random scenarios meet every expectation (invariants, linearizability, convergence)`, () => {
      const adapter = protocolAdapter(protocol);
      fc.assert(
        fc.property(fc.oneof(huntCaseArb(protocol), arbCaseArb(protocol)), ({ scenario, seed }) => {
          const result = runScenario(scenario, adapter, { seed });
          const failed = failures(result);
          if (failed.length > 0) throw new Error(`seed ${seed}: ${failed.join('; ')}`);
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });
  }
});

// ---------------------------------------------------------------- (b) one switch on

describe(`random search finds each bug switch and shrinks it (CI: mean ≤ ${CI_MAX_MEAN_RUNS} runs, budget ${CI_MAX_RUNS})`, () => {
  it('every switch has a measured random-search figure (the slow ones are in the README table, not in CI)', () => {
    const unmeasured = allBugs().filter((bug) => MEASURED[bug.name] === undefined).map((bug) => bug.name);
    expect(unmeasured, 'run npm run bugzoo for these switches and add them to MEASURED').toEqual([]);
  });
  for (const bug of allBugs()) {
    const measured = MEASURED[bug.name];
    // Switches random search finds only slowly (or not at all) are measured by
    // `npm run bugzoo`, whose table the README shows; CI runs the quick ones.
    if (measured === undefined || !quick(measured)) continue;
    it(`${bug.name} (${bug.protocol}): found and shrunk (${measuredText(measured)})`, () => {
      const adapter = protocolAdapter(bug.protocol);
      const hunt = huntBug(adapter, bug.name, { searchSeed: 1, maxRuns: CI_MAX_RUNS, shrinkRuns: CI_SHRINK_RUNS });
      expect(hunt.found, `not found in ${hunt.runs} runs (${hunt.unconfirmed} failing runs failed with the switch off too)`).toBe(true);
      expect(hunt.shrunk, 'the shrunk counterexample no longer fails the same way, or fails with the switch off').toBeDefined();
      const shrunk = hunt.shrunk!;
      expect(shrunk.scenario.nemesis).toBeUndefined();
      expect(shrunk.shrunk.faults).toBeLessThanOrEqual(shrunk.original.faults);
      const on = runScenario({ ...shrunk.scenario, bugs: [bug.name] }, adapter, { seed: shrunk.seed });
      expect(failures(on).length, 'the shrunk scenario fails with the switch on').toBeGreaterThan(0);
      const off = runScenario({ ...shrunk.scenario, bugs: [] }, adapter, { seed: shrunk.seed });
      expect(failures(off), 'the shrunk scenario passes with the switch off').toEqual([]);
    });
  }
});
