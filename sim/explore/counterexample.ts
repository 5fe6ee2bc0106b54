/**
 * A counterexample as a scenario file: the explored scenario with the schedule that
 * breaks the invariant and an expectation that it does, so `zablab run` on the file
 * replays it (same nodes, same setup, the same events in the same order) and exits 0
 * when the violation reproduces. The lab opens it like any scenario.
 */
import type { ProtocolAdapter } from '../scenario/protocol.js';
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
  traceHash: string;
  reproduced: boolean;
}

/** Runs the counterexample as `zablab run` does. */
export function replayCounterexample(file: Scenario, adapter: ProtocolAdapter, invariant: string): Replayed {
  const result = runScenario(file, adapter, { seed: file.seed });
  const halted = result.halted?.invariant ?? null;
  return { invariant: halted, traceHash: result.traceHash, reproduced: halted === invariant };
}
