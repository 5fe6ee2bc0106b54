/**
 * Every schema-valid scenario either runs or is refused at load with a ScenarioError
 * (which the CLI turns into one line naming the JSON path, exit code 2).
 *
 * The fuzz draws scenarios that the published JSON Schema accepts, with extreme values
 * in every numeric field of the cluster, network, storage, workload, faults and nemesis:
 * 1e-9, 0, values below the simulator's resolution of 1 µs, the schema's boundaries,
 * huge and the largest doubles. Loading must either refuse the scenario with a
 * ScenarioError naming a path, or accept it; an accepted scenario must run to its end
 * without throwing. Runs are kept short by running the accepted scenario with its story
 * cut to at most STORY_CAP_MS and its quiet time to HEAL_CAP_MS (the load-time verdict
 * is on the uncut scenario).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import AjvModule from 'ajv';
import { ScenarioError, validateScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/scenario/run.js';
import { allBugs, protocolAdapter } from '../../sim/scenario/protocols.js';
import { SCENARIO_SCHEMA } from '../../sim/scenario/schema.js';
import type { FaultAction, LatencyMs, NemesisSpec, Scenario, WorkloadSpecMs } from '../../sim/scenario/types.js';

const STORY_CAP_MS = 20;
const HEAL_CAP_MS = 40;
const RUNS = 300;

const AjvClass = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (options: object) => { compile(schema: object): (data: unknown) => boolean };
const schemaValid = new AjvClass({ allErrors: true, strict: false }).compile(SCENARIO_SCHEMA);

/**
 * Times (ms) the schema accepts, at and near its bounds (1 µs; 2 µs for tickTime; 1e9 ms)
 * and in between (ZooKeeper's 200 ms and 60 s among them), and times it refuses: below
 * the clock's resolution, above the longest simulated time, huge, the largest double.
 * Each field draws an out-of-range time one time in ten, so most scenarios load and run.
 */
const TIMES_IN_RANGE = [0.001, 0.0015, 0.002, 0.003, 0.5, 1, 20, 200, 600, 601, 60_000, 1e6, 999_999_999.999, 1e9];
const TIMES_OUT_OF_RANGE = [1e-9, 1e-6, 0.0004, 0.0005, 0.0009, 1e9 + 1, 1e12, 1e15, 1e300, Number.MAX_VALUE];
/** Numbers that are not times (rates, weights, sigma): every positive double is valid. */
const POSITIVE = [1e-9, 1e-6, 0.0005, 0.001, 0.5, 1, 20, 600, 60_000, 1e9, 1e15, 1e300, Number.MAX_VALUE];
const timeout = () => fc.oneof({ arbitrary: fc.constantFrom(...TIMES_IN_RANGE), weight: 9 }, { arbitrary: fc.constantFrom(...TIMES_OUT_OF_RANGE), weight: 1 });
const time = () => fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: timeout(), weight: 4 });
const positive = () => fc.constantFrom(...POSITIVE);
const nonNegative = () => fc.constantFrom(0, ...POSITIVE);
const probability = () => fc.constantFrom(0, 1e-9, 0.01, 0.5, 0.999999, 1);
const integerFrom = (min: number, max = Number.MAX_SAFE_INTEGER) => fc.constantFrom(...[min, min + 1, 2, 3, 7, 31, 32, 33, 1_000, 2 ** 31 - 1, 2 ** 32, 1e15, max].filter((n) => n >= min && n <= max));
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

function latencyArb(): fc.Arbitrary<LatencyMs> {
  return fc.oneof(
    fc.record({ kind: fc.constant('constant' as const), ms: time() }),
    fc.record({ kind: fc.constant('uniform' as const), minMs: time(), maxMs: time() }),
    fc.record({ kind: fc.constant('exponential' as const), minMs: optional(time()), meanMs: time() }, { requiredKeys: ['kind', 'meanMs'] }),
    fc.record({ kind: fc.constant('lognormal' as const), minMs: optional(time()), medianMs: time(), sigma: nonNegative() }, { requiredKeys: ['kind', 'medianMs', 'sigma'] }),
  );
}

function faultArb(servers: number): fc.Arbitrary<FaultAction> {
  const atMs = time();
  const target = fc.oneof(fc.constantFrom('leader', 'follower', 'any', 'all', 'others', 'minority', 'majority', 'minority-with-leader', 'majority-without-leader'), fc.integer({ min: 0, max: servers - 1 }).map((n) => `node:${n}`));
  const durationMs = optional(time());
  return fc.oneof(
    fc.record({ atMs, action: fc.constantFrom('crash' as const, 'restart' as const, 'pause' as const, 'resume' as const), target, durationMs }, { requiredKeys: ['atMs', 'action', 'target'] }),
    fc.record({ atMs, action: fc.constant('partition' as const), shape: fc.constantFrom('halves' as const, 'random-node' as const, 'bridge' as const, 'majorities-ring' as const), durationMs }, { requiredKeys: ['atMs', 'action', 'shape'] }),
    fc.record({ atMs, action: fc.constant('partition' as const), isolate: target, durationMs }, { requiredKeys: ['atMs', 'action', 'isolate'] }),
    fc.record({ atMs, action: fc.constant('cut' as const), from: target, to: target, durationMs }, { requiredKeys: ['atMs', 'action', 'from', 'to'] }),
    fc.record({ atMs, action: fc.constant('clog' as const), from: target, to: target, durationMs: time() }),
    fc.record({ atMs, action: fc.constantFrom('loss' as const, 'duplicate' as const), rate: probability(), durationMs }, { requiredKeys: ['atMs', 'action', 'rate'] }),
    fc.record({ atMs, action: fc.constantFrom('heal' as const, 'restart-all' as const, 'resume-all' as const) }),
  );
}

function workloadArb(): fc.Arbitrary<WorkloadSpecMs> {
  const weight = optional(nonNegative());
  return fc.record(
    {
      clients: fc.constantFrom(0, 1, 3, 200),
      opsPerClient: optional(integerFrom(0)),
      ratePerSec: optional(positive()),
      mix: optional(fc.record({ getData: weight, setData: fc.constantFrom(1e-9, 1, 1e300), cas: weight, create: weight, delete: weight }, { requiredKeys: ['setData'] })),
      keys: optional(integerFrom(1)),
      readMode: optional(fc.constantFrom('local' as const, 'sync' as const, 'quorum' as const)),
      startMs: optional(time()),
      stopMs: optional(time()),
      sessionTimeoutMs: optional(timeout()),
      requestTimeoutMs: optional(timeout()),
    },
    { requiredKeys: ['clients'] },
  );
}

function nemesisArb(): fc.Arbitrary<NemesisSpec> {
  return fc.record(
    {
      kinds: fc.subarray(['crash', 'pause', 'partition', 'clog', 'loss', 'leader-crash', 'leader-isolate'] as const, { minLength: 1 }).map((k) => [...k]),
      intervalMs: timeout(),
      faultDurationMs: optional(timeout()),
      startMs: optional(time()),
      stopMs: optional(time()),
    },
    { requiredKeys: ['kinds', 'intervalMs'] },
  );
}

/** A scenario the JSON Schema accepts (checked), with extreme numbers everywhere. */
export function extremeScenarioArb(): fc.Arbitrary<Scenario> {
  return fc.constantFrom(1, 2, 3, 5, 7).chain((servers) =>
    fc
      .record({
        cluster: fc.record(
          {
            servers: fc.constant(servers),
            tickTimeMs: optional(fc.oneof(timeout(), fc.constant(0.001))),
            initLimit: optional(integerFrom(1)),
            syncLimit: optional(integerFrom(1)),
            electionTimeoutMs: optional(timeout()),
            counterBits: optional(fc.constantFrom(2, 3, 16, 31, 32)),
            committedLogSize: optional(integerFrom(1)),
          },
          { requiredKeys: ['servers'] },
        ),
        network: optional(
          fc.record({ latency: optional(latencyArb()), lossRate: optional(probability()), dupRate: optional(probability()), disconnectDetectMs: optional(time()), clientLatency: optional(latencyArb()) }, { requiredKeys: [] }),
        ),
        storage: optional(fc.record({ syncLatency: optional(latencyArb()), durableImmediately: optional(fc.boolean()) }, { requiredKeys: [] })),
        workload: optional(workloadArb()),
        schedule: fc.oneof(fc.record({ faults: fc.array(faultArb(servers), { maxLength: 4 }) }), fc.record({ nemesis: nemesisArb() })),
        durationMs: timeout(),
        healMs: optional(time()),
      })
      .map(({ schedule, ...rest }) => {
        const scenario: Record<string, unknown> = { title: 'extremes', explanation: 'Extreme values in every numeric field.', protocols: ['zab', 'paxos'], ...rest, ...schedule };
        for (const key of Object.keys(scenario)) if (scenario[key] === undefined) delete scenario[key];
        return JSON.parse(JSON.stringify(scenario)) as Scenario;
      })
      // Faults after the end of the story are a load error of their own: keep the others in play.
      .map((scenario) => (scenario.faults === undefined ? scenario : { ...scenario, faults: scenario.faults.filter((f) => f.atMs <= scenario.durationMs) })),
  );
}

/** The accepted scenario cut short for the test: the story and the quiet time capped. */
function cutShort(scenario: Scenario): Scenario {
  const durationMs = Math.min(scenario.durationMs, STORY_CAP_MS);
  return {
    ...scenario,
    durationMs,
    healMs: Math.min(scenario.healMs ?? HEAL_CAP_MS, HEAL_CAP_MS),
    ...(scenario.faults !== undefined ? { faults: scenario.faults.filter((f) => f.atMs <= durationMs) } : {}),
  };
}

const KNOWN_BUGS = new Set(allBugs().map((bug) => bug.name));

describe('extreme values: every scenario the schema accepts runs, anything else is refused at load', () => {
  it(`${RUNS} scenarios with extreme numbers in every field, on ZAB and Paxos`, () => {
    const stats = { refused: 0, ran: 0 };
    fc.assert(
      fc.property(extremeScenarioArb(), fc.constantFrom('zab' as const, 'paxos' as const), (doc, protocol) => {
        let scenario: Scenario;
        try {
          scenario = validateScenario(doc, 'extreme.json', KNOWN_BUGS);
        } catch (error) {
          // Refused: the project's scenario error, naming where, on one line (the CLI's exit 2).
          if (!(error instanceof ScenarioError)) throw error;
          expect(error.path).toMatch(/^\$\./);
          expect(error.message).not.toContain('\n');
          stats.refused++;
          return;
        }
        // Accepted: the JSON Schema accepts it too, and it runs to its end.
        expect(schemaValid(doc)).toBe(true);
        const result = runScenario(cutShort(scenario), protocolAdapter(protocol), { seed: 1, linMaxSteps: 20_000 });
        expect(Number.isSafeInteger(result.simTimeUs)).toBe(true);
        stats.ran++;
      }),
      { numRuns: RUNS },
    );
    // Both outcomes happen: the fuzz reaches the runner and the load-time checks.
    expect(stats.ran).toBeGreaterThan(RUNS / 4);
    expect(stats.refused).toBeGreaterThan(RUNS / 10);
  });
});

describe('the values that broke runs are refused at load, with their path', () => {
  const base = { title: 't', explanation: 'e', protocols: ['zab', 'paxos'], cluster: { servers: 3 }, durationMs: 100 };
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['a tickTime below 1 µs (ZAB: "tickTimeUs must be positive")', { cluster: { servers: 3, tickTimeMs: 1e-9 } }, '$.cluster.tickTimeMs', /below the clock's resolution.*at least 0\.002 ms/],
    ['a tickTime whose half is below 1 µs', { cluster: { servers: 3, tickTimeMs: 0.001 } }, '$.cluster.tickTimeMs', /tickTime\/2/],
    ['a Paxos election timeout below 1 µs ("electionTimeoutUs must be positive")', { cluster: { servers: 3, electionTimeoutMs: 1e-9 } }, '$.cluster.electionTimeoutMs', /at least 0\.001 ms/],
    ['a session timeout below 1 µs', { workload: { clients: 1, sessionTimeoutMs: 1e-9 } }, '$.workload.sessionTimeoutMs', /at least 0\.001 ms/],
    ['a story longer than the clock can count exactly', { durationMs: 1e15 }, '$.durationMs', /at most 1000000000 ms/],
    ['a quiet time longer than the clock can count exactly', { healMs: 1e300 }, '$.healMs', /at most 1000000000 ms/],
    ['a tickTime of a million years', { cluster: { servers: 3, tickTimeMs: Number.MAX_VALUE } }, '$.cluster.tickTimeMs', /at most 1000000000 ms/],
  ];
  for (const [what, change, path, detail] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        validateScenario({ ...base, ...change }, 'bad.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as ScenarioError).path).toBe(path);
      expect((error as ScenarioError).detail).toMatch(detail);
    });
  }

  it('a tickTime above 600 ms, and the boundaries of the schema, run on both protocols', () => {
    for (const cluster of [{ servers: 3, tickTimeMs: 601 }, { servers: 3, tickTimeMs: 1e9 }, { servers: 3, tickTimeMs: 0.002, electionTimeoutMs: 0.001 }]) {
      const scenario = validateScenario({ ...base, cluster, durationMs: 20, healMs: 20 }, 'edge.json');
      for (const protocol of ['zab', 'paxos'] as const) expect(runScenario(scenario, protocolAdapter(protocol), { seed: 1 }).simTimeUs).toBeGreaterThan(0);
    }
  });
});
