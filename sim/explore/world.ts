/**
 * One explored world: a scenario's run, set up exactly as `zablab run` sets it up
 * (sim/scenario/run.ts setupRun: the same nodes, invariant checkers, clients and
 * fault script), driven by the controlled scheduler instead of the clock. A state of
 * the search is the path of choices from the initial state; a world reaches it by
 * replaying that path (the nodes are pure, so replay is exact). Replaying costs the
 * path's length per state: cloning the world would cost its size instead; see the
 * bench's "explore" section for both figures.
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { setupRun, type RunSetup } from '../scenario/run.js';
import { ControlledScheduler, type Budgets, type Choice, type ScheduleStep } from './scheduler.js';
import { fingerprint, HistoryGhost, StateHasher } from './fingerprint.js';

/** "Sometimes" properties: each must hold in some explored state, or the search was vacuous. */
export const SOMETIMES = ['leader established', 'txn committed', 'operation ok'] as const;
export type Sometimes = (typeof SOMETIMES)[number];

export interface WorldOptions {
  seed: number;
  budgets: Budgets;
  /** Steps taken before the search starts (a warm-up, or a scenario's own schedule): the initial state is where they end. */
  prefix?: readonly ScheduleStep[];
}

export class World {
  readonly setup: RunSetup;
  readonly scheduler: ControlledScheduler;
  private readonly ghost: HistoryGhost;
  private readonly hasher = new StateHasher();
  private readonly clients: object[];
  /** Commits and ok operations when the search starts (after the prefix): "sometimes" counts what happens after. */
  private readonly baseline: { commits: number; ok: number };

  constructor(scenario: Scenario, adapter: ProtocolAdapter, options: WorldOptions) {
    this.setup = setupRun({ ...scenario, schedule: [] }, adapter, { seed: options.seed });
    this.ghost = new HistoryGhost(this.setup.cluster);
    this.scheduler = new ControlledScheduler(this.setup.cluster, options.budgets);
    const prefix = options.prefix ?? [];
    for (let i = 0; i < prefix.length && this.setup.cluster.haltReason === null; i++) this.scheduler.applyStep(prefix[i], i);
    this.clients = this.setup.workload?.clients ?? [];
    this.baseline = { commits: this.setup.counters.commits, ok: this.okOps() };
    // The history is in the ghost (client operations are trace records); the walk leaves it out.
    this.hasher.skip.add(this.setup.history);
  }

  choices(): Choice[] {
    return this.scheduler.choices();
  }

  apply(choice: Choice): void {
    this.scheduler.apply(choice);
  }

  /** Follows a path of choice indices from the current state. */
  replay(path: readonly number[]): void {
    for (const index of path) {
      const choices = this.scheduler.choices();
      if (index >= choices.length) throw new Error(`explore: replay diverged (choice ${index} of ${choices.length}): the run is not deterministic`);
      this.scheduler.apply(choices[index]);
    }
  }

  /** The invariant broken in this state (the run halted on it), or null. */
  violation(): { invariant: string; message: string } | null {
    const cluster = this.setup.cluster;
    if (cluster.haltReason === null) return null;
    const first = this.setup.monitor.violations[0];
    if (first !== undefined) return { invariant: first.invariant, message: first.message };
    const [invariant, ...rest] = cluster.haltReason.split(':');
    return { invariant, message: rest.join(':').trim() };
  }

  /** Which "sometimes" properties hold in this state (a commit or an ok operation counts if it happened after the prefix). */
  sometimes(out: Set<Sometimes>): void {
    const setup = this.setup;
    if (setup.rt.leaders.length > 0) out.add('leader established');
    if (setup.counters.commits > this.baseline.commits) out.add('txn committed');
    if (this.okOps() > this.baseline.ok) out.add('operation ok');
  }

  private okOps(): number {
    let ok = 0;
    for (const op of this.setup.history.ops) if (op.result === 'ok') ok++;
    return ok;
  }

  fingerprint(): number {
    const s = this.scheduler;
    return fingerprint(this.setup.cluster, { clients: this.clients, budgetUse: [s.crashes, s.partitions, s.losses, s.duplicates, s.isolated], ghost: this.ghost }, this.hasher);
  }
}
