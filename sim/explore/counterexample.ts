/**
 * A counterexample as a scenario file: the explored scenario with the schedule that
 * breaks the invariant and an expectation that it does, so `zablab run` on the file
 * replays it (same nodes, same setup, the same events in the same order) and exits 0
 * when the violation reproduces. The lab opens it like any scenario.
 */
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { TraceHasher } from '../core/trace.js';
import { runScenario } from '../scenario/run.js';
import type { ProtocolName, Scenario } from '../scenario/types.js';
import type { Counterexample, Strategy } from './search.js';
import { describeStep } from './scheduler.js';

export function counterexampleScenario(scenario: Scenario, protocol: ProtocolName, seed: number, found: Counterexample, strategy: Strategy): Scenario {
  const { faults, nemesis, ...rest } = scenario;
  const script = faults !== undefined ? { faults } : nemesis !== undefined ? { nemesis } : {};
  const last = found.schedule[found.schedule.length - 1];
  return {
    ...rest,
    ...script,
    title: `Counterexample: ${found.invariant} (${protocol}${(scenario.bugs ?? []).length > 0 ? `, ${scenario.bugs!.join(', ')}` : ''})`,
    explanation:
      `zablab explore (${strategy}) found this schedule of ${found.schedule.length} steps from "${scenario.title}": ` +
      `every event happens in the order the schedule gives, and the last one (${last !== undefined ? describeStep(last) : 'none'}) breaks ${found.invariant}: ${found.message}`,
    protocols: [protocol],
    seed,
    schedule: found.schedule,
    expect: { invariants: 'violated', violated: found.invariant },
  };
}

export interface Replayed {
  /** The invariant the replay halted on (null: it did not halt). */
  invariant: string | null;
  /** The run's trace hash, as `zablab run` prints it (the run closes pending operations after the halt). */
  traceHash: string;
  /** The hash of the run's events up to its last violation event: equal to the explorer's. */
  traceHashAtViolation: string;
  /** Same invariant, and the same events up to the violation as in the explorer. */
  reproduced: boolean;
}

/** Runs the counterexample as `zablab run` does and compares it with what the explorer saw. */
export function replayCounterexample(file: Scenario, adapter: ProtocolAdapter, found: Counterexample): Replayed {
  const result = runScenario(file, adapter, { seed: file.seed, keepTrace: true });
  const halted = result.halted?.invariant ?? null;
  const events = result.trace?.events ?? [];
  let last = events.length - 1;
  while (last >= 0 && events[last].kind !== 'violation') last--;
  const hasher = new TraceHasher();
  for (let i = 0; i <= last; i++) hasher.mixEvent(events[i]);
  const traceHashAtViolation = hasher.digest();
  return { invariant: halted, traceHash: result.traceHash, traceHashAtViolation, reproduced: halted === found.invariant && traceHashAtViolation === found.traceHash };
}
