/**
 * Branching a run by hand (the lab's "choose the next event", DSLabs' visual debugger
 * and Stateright's explorer on our timeline): a scenario whose `schedule` is the branch
 * so far, and the events that could happen next, from the same controlled scheduler
 * that `zablab explore` searches with and `zablab run` replays a schedule through. Any
 * of them appended to the schedule is a step `zablab run` takes.
 *
 * The branch starts at a time: `{"e": "run", "untilMs": T}` lets the simulator take
 * events in time order until T, then every step is a choice. Under a schedule messages
 * take no time of their own (sim/scenario/run.ts, isScheduled: every latency is zero), so the
 * events before T may differ from the clock-driven run the branch was started from.
 */
import type { ProtocolAdapter } from '../scenario/protocol.js';
import type { Scenario } from '../scenario/types.js';
import { describeStep, UNBOUNDED, type ScheduleStep } from './scheduler.js';
import { World } from './world.js';
import { CANCELLED, type EventRecord } from '../core/queue.js';

export interface NextEvent {
  readonly step: ScheduleStep;
  /** One line for people: "deliver PROPOSAL 2→0 (#57)". */
  readonly text: string;
  /** What kind of choice it is, for grouping: a message, a node's own event, the environment, or a fault. */
  readonly group: 'message' | 'node' | 'environment' | 'fault';
  /** The event the clock would take next (the run without this choice goes on with it): picking it changes nothing. */
  readonly clock: boolean;
}

export interface BranchPoint {
  /** Trace events once the schedule has been taken: the branch point is event atEvent - 1. */
  readonly atEvent: number;
  /** The events that could happen next (none if the run halted, or nothing is left to happen). */
  readonly next: readonly NextEvent[];
  /** The invariant that halted the run within the schedule, if one did. */
  readonly halted: string | null;
}

/** Where `scenario.schedule` leads, and what could happen next; a step that cannot happen throws a ScheduleError. */
export function branchPoint(scenario: Scenario, adapter: ProtocolAdapter, seed: number): BranchPoint {
  // Budgets as `zablab run` replays a schedule: every choice the scheduler knows.
  const world = new World(scenario, adapter, { seed, budgets: UNBOUNDED, prefix: scenario.schedule ?? [] });
  const halted = world.violation()?.invariant ?? null;
  const choices = halted !== null ? [] : world.choices();
  const clock = clockNext(world);
  const next = choices.map((choice) => ({ step: choice.step, text: describeStep(choice.step), group: groupOf(choice.step), clock: clock !== null && choice.event?.record === clock && choice.step.e !== 'lose' && choice.step.e !== 'duplicate' }));
  return { atEvent: world.setup.cluster.trace.count, next, halted };
}

/** The record the simulator's own loop would take next (earliest time, then sequence), if it is one of the choices' events. */
function clockNext(world: World): EventRecord | null {
  let first: EventRecord | null = null;
  world.setup.cluster.queue.forEach((record) => {
    if (record.kind === CANCELLED) return;
    if (first === null || record.timeUs < first.timeUs || (record.timeUs === first.timeUs && record.seq < first.seq)) first = record;
  });
  return first;
}

function groupOf(step: ScheduleStep): NextEvent['group'] {
  switch (step.e) {
    case 'deliver':
    case 'client-request':
    case 'client-reply':
      return 'message';
    case 'timer':
    case 'sync':
    case 'notice':
      return 'node';
    case 'env':
    case 'run':
      return 'environment';
    default:
      return 'fault';
  }
}
