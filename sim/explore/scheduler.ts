/**
 * The controlled scheduler: the real cluster (sim/net/cluster.ts) with the real ZAB or
 * Paxos nodes, where every source of nondeterminism is an explicit choice instead of
 * the clock's and the random streams' (Stateright's and DSLabs' actions: Deliver,
 * Drop, Timeout, Crash, Recover). The explorer (search.ts) enumerates these choices;
 * `zablab run` replays a scenario's `schedule`, one choice per step, through the same
 * code, so a counterexample replays to the same trace.
 *
 * The choices, given the pending events (cluster.pendingEvents()):
 * - deliver a message: on a connection (ZAB's TCP links) only the oldest message of
 *   each link (FIFO); a datagram (Paxos) any one;
 * - lose a message (budget `losses`): a datagram is dropped; on a connection it is
 *   prefix loss, as the Zab paper's links: the connection breaks and every later
 *   message on it is lost too;
 * - duplicate a datagram (budget `duplicates`);
 * - fire a timer: on each node, the one due first (a node's own timers keep their
 *   order); a disconnect notice; a storage sync completing (each node's in order);
 * - a client request reaching its server, or a reply reaching its client (FIFO per
 *   client link, as TCP);
 * - `env`: the environment's next timed action (the workload issuing an operation, a
 *   client's ping or timeout, a scripted fault): the one due first;
 * - crash a live server (budget `crashes`), restart a crashed one, isolate one server
 *   from the others (budget `partitions`, one partition at a time), heal.
 * One more step is not a choice but a shortcut: `run` lets the simulator take events in
 * its own order (earliest due first) until the clock reaches `untilMs`, as a warm-up
 * (boot and elect a leader) before the choices that matter.
 *
 * Time. A message takes no time of its own: delivering it does not move the clock, so
 * it may be delivered at once or after any number of other events (asynchrony: any
 * message delay, unbounded). The clock moves only when a timer or an `env` action
 * fires, to its due time. By default timed events fire in global time order: at any
 * state only the one due first is a choice (one clock, no drift), never past the
 * horizon (the story's end). What this misses: a timer firing late relative to another
 * node's (a GC pause, a slow or drifting clock), which `freeTimers` allows (each node's
 * first timer and the environment's first action are then all choices; a node's own
 * timers still keep their order, as any timer wheel does). Either way the clock and the
 * messages are independent, so every "timeout before the message arrives" and every
 * "message arrives just before the timeout" is explored.
 *
 * This module depends only on core and net, so the scenario runner can use it.
 */
import type { Message, NodeId } from '../core/node.js';
import type { Cluster, PendingEvent } from '../net/cluster.js';

/** One step of a schedule: which event happens next. Written in scenario files. */
export type ScheduleStep =
  | { e: 'deliver' | 'lose' | 'duplicate'; from: NodeId; to: NodeId; msg: number; type?: string }
  | { e: 'timer'; node: NodeId; name: string }
  | { e: 'sync'; node: NodeId }
  | { e: 'notice'; node: NodeId; peer: NodeId }
  | { e: 'client-request' | 'client-reply'; client: number; server: NodeId }
  | { e: 'env' }
  | { e: 'crash' | 'restart' | 'isolate'; node: NodeId }
  | { e: 'heal' }
  | { e: 'run'; untilMs: number };

export const STEP_KINDS = ['run', 'deliver', 'lose', 'duplicate', 'timer', 'sync', 'notice', 'client-request', 'client-reply', 'env', 'crash', 'restart', 'isolate', 'heal'] as const;

/** How much of each fault a search may inject, and the horizon for timed events. */
export interface Budgets {
  crashes: number;
  partitions: number;
  losses: number;
  duplicates: number;
  /** Timers and timed actions due after this never fire (the story's end). */
  horizonUs: number;
  /**
   * false (the default): timers and timed actions fire in global time order, only the
   * one due first is a choice. true: each node's first timer and the environment's
   * first action are all choices (timers may fire late: slow nodes, pauses).
   */
  freeTimers?: boolean;
}

export const UNBOUNDED: Budgets = { crashes: Infinity, partitions: Infinity, losses: Infinity, duplicates: Infinity, horizonUs: Infinity, freeTimers: true };

export interface Choice {
  readonly step: ScheduleStep;
  readonly event: PendingEvent | null;
}

/** A schedule step that cannot be taken: nothing like it can happen at that point. */
export class ScheduleError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

export class ControlledScheduler {
  /** Faults used so far (part of the explored state: the budget left decides what can follow). */
  crashes = 0;
  partitions = 0;
  losses = 0;
  duplicates = 0;
  isolated = -1;

  constructor(
    readonly cluster: Cluster<Message>,
    readonly budgets: Budgets = UNBOUNDED,
  ) {}

  /** Every choice enabled now, in a fixed order (events as scheduled, then faults by node). */
  choices(): Choice[] {
    const cluster = this.cluster;
    const pending = cluster.pendingEvents();
    const out: Choice[] = [];
    // FIFO heads already taken, keyed by (kind, node, peer).
    const headSeen = new Set<number>();
    const n = cluster.size + 1;
    const key = (kind: number, node: number, peer: number) => (kind * n + node + 1) * 1024 + peer + 1;
    const horizonUs = this.budgets.horizonUs;
    const connection = cluster.net.channel === 'connection';
    // Per node, the timer due first; the environment's action due first.
    const firstTimer = new Map<NodeId, PendingEvent>();
    let firstCall: PendingEvent | null = null;
    for (const event of pending) {
      if (event.kind === 'timer') {
        const best = firstTimer.get(event.node);
        if (best === undefined || event.dueUs < best.dueUs) firstTimer.set(event.node, event);
      } else if (event.kind === 'call' && (firstCall === null || event.dueUs < firstCall.dueUs)) {
        firstCall = event;
      }
    }
    if (this.budgets.freeTimers !== true) {
      // One clock for every timed event: only the one due first may fire.
      let first: PendingEvent | null = firstCall;
      for (const event of firstTimer.values()) if (first === null || event.dueUs < first.dueUs || (event.dueUs === first.dueUs && event.record.seq < first.record.seq)) first = event;
      firstTimer.clear();
      if (first !== null && first.kind === 'timer') firstTimer.set(first.node, first);
      firstCall = first !== null && first.kind === 'call' ? first : null;
    }
    const messages: PendingEvent[] = [];
    for (const event of pending) {
      switch (event.kind) {
        case 'deliver': {
          if (connection && event.peer !== event.node) {
            const link = key(0, event.node, event.peer);
            if (headSeen.has(link)) continue;
            headSeen.add(link);
          }
          const msg = event.ref as Message;
          out.push({ step: { e: 'deliver', from: event.peer, to: event.node, msg: event.id, type: msg.type }, event });
          if (event.peer !== event.node) messages.push(event);
          break;
        }
        case 'timer':
          if (firstTimer.get(event.node) === event && event.dueUs <= horizonUs) out.push({ step: { e: 'timer', node: event.node, name: event.ref as string }, event });
          break;
        case 'call':
          if (firstCall === event && event.dueUs <= horizonUs) out.push({ step: { e: 'env' }, event });
          break;
        case 'sync': {
          const disk = key(1, event.node, 0);
          if (headSeen.has(disk)) continue;
          headSeen.add(disk);
          out.push({ step: { e: 'sync', node: event.node }, event });
          break;
        }
        case 'notice':
          out.push({ step: { e: 'notice', node: event.node, peer: event.peer }, event });
          break;
        case 'client-request':
        case 'client-packet': {
          const request = event.kind === 'client-request';
          const link = key(request ? 2 : 3, event.node, event.peer);
          if (headSeen.has(link)) continue;
          headSeen.add(link);
          out.push({ step: { e: request ? 'client-request' : 'client-reply', client: event.peer, server: event.node }, event });
          break;
        }
      }
    }
    this.faultChoices(messages, out);
    return out;
  }

  private faultChoices(messages: readonly PendingEvent[], out: Choice[]): void {
    const cluster = this.cluster;
    const budgets = this.budgets;
    if (this.losses < budgets.losses) {
      for (const event of messages) out.push({ step: { e: 'lose', from: event.peer, to: event.node, msg: event.id, type: (event.ref as Message).type }, event });
    }
    if (this.duplicates < budgets.duplicates && cluster.net.channel === 'datagram') {
      for (const event of messages) out.push({ step: { e: 'duplicate', from: event.peer, to: event.node, msg: event.id, type: (event.ref as Message).type }, event });
    }
    for (const node of cluster.serverIds) {
      if (cluster.isUp(node)) {
        if (this.crashes < budgets.crashes) out.push({ step: { e: 'crash', node }, event: null });
      } else {
        out.push({ step: { e: 'restart', node }, event: null });
      }
    }
    if (this.isolated < 0 && this.partitions < budgets.partitions && cluster.size > 1) {
      for (const node of cluster.serverIds) out.push({ step: { e: 'isolate', node }, event: null });
    }
    if (this.isolated >= 0) out.push({ step: { e: 'heal' }, event: null });
  }

  /** Takes one choice: the event happens, or the fault is applied; the cluster's after-event hooks run. */
  apply(choice: Choice): void {
    const cluster = this.cluster;
    const step = choice.step;
    switch (step.e) {
      case 'lose':
        this.losses++;
        cluster.losePending(choice.event!.record);
        return;
      case 'duplicate':
        this.duplicates++;
        cluster.duplicatePending(choice.event!.record);
        return;
      case 'crash':
        this.crashes++;
        cluster.act(() => cluster.crash(step.node));
        return;
      case 'restart':
        cluster.act(() => cluster.restart(step.node));
        return;
      case 'isolate':
        this.partitions++;
        this.isolated = step.node;
        cluster.act(() => cluster.partition([[step.node], cluster.serverIds.filter((n) => n !== step.node)], 'isolate'));
        return;
      case 'heal':
        this.isolated = -1;
        cluster.act(() => cluster.heal());
        return;
      default:
        cluster.fire(choice.event!.record);
    }
  }

  /** Takes the step `index` of a schedule; a ScheduleError if nothing like it can happen now. */
  applyStep(step: ScheduleStep, index: number): void {
    if (step.e === 'run') {
      this.cluster.run({ untilUs: Math.round(step.untilMs * 1000) });
      return;
    }
    const wanted = stepKey(step);
    const choices = this.choices();
    const choice = choices.find((c) => stepKey(c.step) === wanted);
    if (choice === undefined) {
      const could = choices
        .slice(0, 8)
        .map((c) => describeStep(c.step))
        .join('; ');
      throw new ScheduleError(index, `${describeStep(step)} cannot happen here (could: ${could}${choices.length > 8 ? '; …' : ''})`);
    }
    this.apply(choice);
  }
}

/** The identity of a step (its `type` is a label for readers, not part of it). */
export function stepKey(step: ScheduleStep): string {
  switch (step.e) {
    case 'deliver':
    case 'lose':
    case 'duplicate':
      return `${step.e} ${step.from}>${step.to} #${step.msg}`;
    case 'timer':
      return `timer ${step.node} ${step.name}`;
    case 'sync':
    case 'crash':
    case 'restart':
    case 'isolate':
      return `${step.e} ${step.node}`;
    case 'notice':
      return `notice ${step.node} ${step.peer}`;
    case 'client-request':
    case 'client-reply':
      return `${step.e} ${step.client} ${step.server}`;
    case 'env':
    case 'heal':
      return step.e;
    case 'run':
      return `run ${step.untilMs}`;
  }
}

/** One line for people: "deliver FOLLOWERINFO 1→0 (#12)". */
export function describeStep(step: ScheduleStep): string {
  switch (step.e) {
    case 'deliver':
    case 'lose':
    case 'duplicate':
      return `${step.e} ${step.type ?? 'message'} ${step.from}→${step.to} (#${step.msg})`;
    case 'timer':
      return `timer ${step.name} on ${step.node}`;
    case 'sync':
      return `sync completes on ${step.node}`;
    case 'notice':
      return `${step.node} learns its connection to ${step.peer} broke`;
    case 'client-request':
      return `client ${step.client}'s request reaches ${step.server}`;
    case 'client-reply':
      return `${step.server}'s answer reaches client ${step.client}`;
    case 'env':
      return 'the next timed action (workload, client timer, scripted fault)';
    case 'crash':
    case 'restart':
    case 'isolate':
      return `${step.e} ${step.node}`;
    case 'heal':
      return 'heal';
    case 'run':
      return `events in time order until ${step.untilMs} ms`;
  }
}

/** Replays a schedule on a freshly set-up run (the runner's story phase for a scenario with `schedule`). Stops early if the run halts. */
export function replaySchedule(setup: { cluster: Cluster<Message> }, schedule: readonly ScheduleStep[]): ControlledScheduler {
  const scheduler = new ControlledScheduler(setup.cluster);
  for (let i = 0; i < schedule.length; i++) {
    if (setup.cluster.haltReason !== null) break;
    scheduler.applyStep(schedule[i], i);
  }
  return scheduler;
}
