/**
 * fast-check arbitraries for property tests of protocols and their variants: fault
 * schedules, workloads and whole scenarios. Users import them from 'zablab' to
 * property-test their own variants in their own vitest suites:
 *
 *   fc.assert(fc.property(scenarioArb({ protocols: ['zab'] }), fc.nat(), (scenario, seed) =>
 *     runScenario(scenario, protocolAdapter('zab'), { seed }).invariants.ok));
 */
import fc from 'fast-check';
import type { FaultAction, LatencyMs, Scenario, WorkloadSpecMs } from './types.js';
import type { ReadMode } from '../client/protocol.js';

export interface ArbitraryOptions {
  servers?: number[];
  durationMs?: number;
  maxFaults?: number;
  /** Fault kinds to draw from. */
  kinds?: FaultAction['action'][];
  protocols?: ('zab' | 'paxos')[];
  readModes?: ReadMode[];
}

const DEFAULT_KINDS: FaultAction['action'][] = ['crash', 'restart', 'pause', 'resume', 'partition', 'heal', 'clog', 'loss'];

export function targetArb(servers: number): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom('leader', 'follower', 'any'), fc.integer({ min: 0, max: servers - 1 }).map((n) => `node:${n}`));
}

/** One timed fault action within [0, durationMs). */
export function faultArb(servers: number, durationMs: number, kinds: FaultAction['action'][] = DEFAULT_KINDS): fc.Arbitrary<FaultAction> {
  const atMs = fc.integer({ min: 0, max: Math.max(0, durationMs - 1) });
  const target = targetArb(servers);
  const duration = fc.integer({ min: 1, max: Math.max(1, Math.floor(durationMs / 3)) });
  return fc.constantFrom(...kinds).chain((action): fc.Arbitrary<FaultAction> => {
    switch (action) {
      case 'crash':
      case 'pause':
        return fc.record({ atMs, action: fc.constant(action), target, durationMs: duration });
      case 'restart':
      case 'resume':
        return fc.record({ atMs, action: fc.constant(action), target });
      case 'partition':
        return fc.oneof(
          fc.record({ atMs, action: fc.constant('partition' as const), shape: fc.constantFrom('halves' as const, 'random-node' as const, 'bridge' as const, 'majorities-ring' as const), durationMs: duration }),
          fc.record({ atMs, action: fc.constant('partition' as const), isolate: target, durationMs: duration }),
        );
      case 'clog':
        return fc.record({ atMs, action: fc.constant('clog' as const), from: target, to: target, durationMs: duration });
      case 'loss':
      case 'duplicate':
        return fc.record({ atMs, action: fc.constant(action), rate: fc.integer({ min: 0, max: 40 }).map((p) => p / 100), durationMs: duration });
      case 'cut':
        return fc.record({ atMs, action: fc.constant('cut' as const), from: target, to: target, durationMs: duration });
      default:
        return fc.record({ atMs, action: fc.constant(action as 'heal') });
    }
  });
}

/** A fault schedule, sorted by time. */
export function faultScheduleArb(servers: number, durationMs: number, maxFaults = 8, kinds?: FaultAction['action'][]): fc.Arbitrary<FaultAction[]> {
  return fc.array(faultArb(servers, durationMs, kinds), { maxLength: maxFaults }).map((faults) => faults.slice().sort((a, b) => a.atMs - b.atMs));
}

export function workloadArb(readModes: ReadMode[] = ['local', 'sync', 'quorum']): fc.Arbitrary<WorkloadSpecMs> {
  return fc.record({
    clients: fc.integer({ min: 1, max: 5 }),
    ratePerSec: fc.integer({ min: 10, max: 200 }),
    keys: fc.integer({ min: 1, max: 4 }),
    readMode: fc.constantFrom(...readModes),
    mix: fc.record({ getData: fc.integer({ min: 0, max: 5 }), setData: fc.integer({ min: 1, max: 5 }), cas: fc.integer({ min: 0, max: 3 }), create: fc.integer({ min: 0, max: 2 }), delete: fc.integer({ min: 0, max: 2 }) }),
  });
}

export function latencyArb(): fc.Arbitrary<LatencyMs> {
  return fc.oneof(
    fc.record({ kind: fc.constant('uniform' as const), minMs: fc.constantFrom(0.1, 0.5, 1), maxMs: fc.constantFrom(1, 2, 5) }),
    fc.record({ kind: fc.constant('exponential' as const), minMs: fc.constantFrom(0.1, 0.5), meanMs: fc.constantFrom(1, 2) }),
  );
}

/** A whole scenario: cluster size, network, workload and faults. */
export function scenarioArb(options: ArbitraryOptions = {}): fc.Arbitrary<Scenario> {
  const durationMs = options.durationMs ?? 1_500;
  return fc.constantFrom(...(options.servers ?? [3, 5, 7])).chain((servers) =>
    fc.record({
      title: fc.constant('random'),
      explanation: fc.constant('A random cluster, workload and fault schedule.'),
      protocols: fc.constant(options.protocols ?? ['zab']),
      cluster: fc.constant({ servers }),
      network: fc.record({ latency: latencyArb(), lossRate: fc.constantFrom(0, 0, 0.01, 0.05) }),
      workload: workloadArb(options.readModes),
      faults: faultScheduleArb(servers, durationMs, options.maxFaults ?? 8, options.kinds),
      durationMs: fc.constant(durationMs),
      healMs: fc.constant(4_000),
    }),
  );
}
