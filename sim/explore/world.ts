/**
 * One explored world: a scenario's run, set up exactly as `zablab run` sets it up
 * (sim/scenario/run.ts setupRun: the same nodes, invariant checkers, clients and
 * fault script), driven by the controlled scheduler instead of the clock. A state of
 * the search is the path of choices from the initial state; a world reaches it by
 * replaying that path (the nodes are pure, so replay is exact), or, much faster, by
 * restoring a snapshot of it or of an ancestor (snapshot.ts) and replaying the rest.
 *
 * A snapshot has one part per server (its node and its storage) and one for the rest
 * (cluster, network, queue, clients, checkers, ghost). A step dirties the rest and the
 * servers it happened on (stepTouches); a snapshot shares every clean part with the
 * snapshot it was restored from, restoring skips parts already in place, and a clean
 * server's fingerprint is kept (World.fingerprint).
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { setupRun, type RunSetup } from '../scenario/run.js';
import { ControlledScheduler, type Budgets, type Choice, type ScheduleStep } from './scheduler.js';
import { fingerprint, HistoryGhost, messageHash, nodeFingerprint, StateHasher, type FingerprintCache, type FingerprintExtras } from './fingerprint.js';
import { restoreComponent, snapshotComponent, type ComponentSnapshot } from './snapshot.js';
import type { Rng } from '../core/rng.js';
import { transitionOf, type Transition } from './reduction.js';

/** A world's state, restorable in place: part 0 is the rest, part 1 + k server k. */
export interface WorldSnapshot {
  readonly parts: readonly ComponentSnapshot[];
  /** Per server its fingerprint part when the snapshot was taken. */
  readonly nodeHashes: readonly number[];
  /** The clients' fingerprint part then. */
  readonly clientsHash: number;
}

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
  /** Per part, the snapshot it is known to equal (null: changed since). */
  private readonly inPlace: (ComponentSnapshot | null)[];
  /** Per part, the snapshot it last equalled (restored or taken): a new snapshot of it shares what did not change since. */
  private readonly basis: (ComponentSnapshot | null)[];
  /** Fingerprint parts known to be current (fingerprint.ts). */
  private readonly cache: FingerprintCache;
  /** Inputs no step changes (the scenario, the adapter, configuration): never walked by a snapshot. */
  private readonly immutable: object[];
  /** Where the walk of the rest starts. */
  private readonly stateRoots: object[];

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
    // So are the clients' connection records (for the recipe checkers, sim/check/cut-off.ts): they never steer a step.
    for (const client of this.setup.workload?.clients ?? []) this.hasher.skip.add(client.connections);
    const cluster = this.setup.cluster;
    this.inPlace = new Array<ComponentSnapshot | null>(cluster.size + 1).fill(null);
    this.basis = new Array<ComponentSnapshot | null>(cluster.size + 1).fill(null);
    this.cache = { nodeHashes: new Array<number>(cluster.size).fill(Number.NaN), clientsHash: Number.NaN, messages: new WeakMap() };
    this.immutable = [scenario, adapter, cluster.options, cluster.trace.meta, cluster.serverIds];
    if (this.setup.spec !== undefined) this.immutable.push(this.setup.spec);
    // The recipe checkers' record of expiries (run.ts) is read only at a run's end, never by a search: neither walked nor hashed.
    if (this.setup.rt.expiries !== undefined) {
      this.immutable.push(this.setup.rt.expiries);
      this.hasher.skip.add(this.setup.rt.expiries);
    }
    this.stateRoots = [this.setup, this.scheduler, this.ghost];
    // ZAB's monitor is methods and a getter over its checker: the checker is walked, the monitor is not.
    const checker = (this.setup.monitor as { checker?: object }).checker;
    if (checker !== undefined) {
      this.immutable.push(this.setup.monitor);
      this.stateRoots.push(checker);
    }
  }

  choices(): Choice[] {
    return this.scheduler.choices();
  }

  /** The choices as sleep sets name them (reduction.ts); `choices` is this state's whole list (every datagram in flight is in it). */
  transitions(choices: readonly Choice[]): (Transition | null)[] {
    const cluster = this.setup.cluster;
    const connection = cluster.net.channel === 'connection';
    const n = cluster.size;
    // Per link, how many of its messages came before (choices list pending events in the order they were sent).
    const onLink = new Map<number, number>();
    return choices.map((choice) => {
      let position = 0;
      const step = choice.step;
      if (step.e === 'deliver') {
        const link = step.from * n + step.to;
        position = onLink.get(link) ?? 0;
        onLink.set(link, position + 1);
      }
      return transitionOf(choice, connection, cluster.nowUs, position, this.contentHash);
    });
  }

  private readonly contentHash = (message: object): number => messageHash(message, this.cache.messages);

  apply(choice: Choice): void {
    const touches = stepTouches(choice.step);
    // A reply reaches a client; the environment's actions include the clients' own timers.
    this.touch(touches, touches === -1 || choice.step.e === 'client-reply');
    this.scheduler.apply(choice);
  }

  /** Follows a path of choice indices from the current state. */
  replay(path: readonly number[]): void {
    for (const index of path) {
      const choices = this.scheduler.choices();
      if (index >= choices.length) throw new Error(`explore: replay diverged (choice ${index} of ${choices.length}): the run is not deterministic`);
      this.apply(choices[index]);
    }
  }

  /** Marks the parts a step may change: the rest always, and one server, none (NO_SERVER) or all (-1). */
  private touch(node: number, clients: boolean): void {
    this.inPlace[0] = null;
    if (clients) this.cache.clientsHash = Number.NaN;
    if (node === NO_SERVER) return;
    if (node >= 0) {
      this.inPlace[node + 1] = null;
      this.cache.nodeHashes[node] = Number.NaN;
      return;
    }
    this.inPlace.fill(null);
    this.cache.nodeHashes.fill(Number.NaN);
  }

  /** The current state, restorable with restore(); parts unchanged since the last snapshot or restore are shared, not copied. */
  snapshot(): WorldSnapshot {
    const cluster = this.setup.cluster;
    const servers = cluster.size;
    const parts: ComponentSnapshot[] = [];
    // Each part stops where another begins; contexts (closures over the cluster) are no part's, generators are the rest's.
    const owned = new Set<object>(this.immutable);
    for (let node = 0; node < servers; node++) {
      owned.add(cluster.contextOf(node));
      owned.add(cluster.storage(node));
      const behavior = cluster.behavior(node);
      if (behavior !== null) owned.add(behavior);
    }
    const rngs: Rng[] = [];
    cluster.rngs.forEach((_, rng) => rngs.push(rng));
    for (const rng of rngs) owned.add(rng);
    for (let node = 0; node < servers; node++) {
      let part = this.inPlace[node + 1];
      if (part === null) {
        const behavior = cluster.behavior(node);
        const roots: object[] = behavior === null ? [cluster.storage(node)] : [behavior, cluster.storage(node)];
        for (const root of roots) owned.delete(root);
        part = snapshotComponent(roots, { stop: owned, base: this.basis[node + 1] });
        for (const root of roots) owned.add(root);
        this.inPlace[node + 1] = part;
        this.basis[node + 1] = part;
      }
      parts[node + 1] = part;
    }
    let rest = this.inPlace[0];
    if (rest === null) {
      for (const rng of rngs) owned.delete(rng);
      rest = snapshotComponent(this.stateRoots, { stop: owned, base: this.basis[0] });
      this.inPlace[0] = rest;
      this.basis[0] = rest;
    }
    parts[0] = rest;
    // Every server's fingerprint part goes with the snapshot: a restore then never hashes a server again.
    const cache = this.cache;
    for (let node = 0; node < servers; node++) {
      if (Number.isNaN(cache.nodeHashes[node])) cache.nodeHashes[node] = nodeFingerprint(cluster, node, this.hasher);
    }
    if (Number.isNaN(cache.clientsHash)) this.fingerprint();
    return { parts, nodeHashes: cache.nodeHashes.slice(), clientsHash: cache.clientsHash };
  }

  /** Puts the world back in a snapshot's state (of this world): only the parts not already in place are written. */
  restore(snapshot: WorldSnapshot): void {
    const parts = snapshot.parts;
    for (let i = 0; i < parts.length; i++) {
      if (this.inPlace[i] === parts[i]) continue;
      restoreComponent(parts[i]);
      this.inPlace[i] = parts[i];
      this.basis[i] = parts[i];
      if (i > 0) this.cache.nodeHashes[i - 1] = snapshot.nodeHashes[i - 1];
      else this.cache.clientsHash = snapshot.clientsHash;
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

  /** The fingerprint with every server hashed again (what fingerprint() must equal; and its cost without the cache). */
  fingerprintFromScratch(): number {
    const cache = this.cache;
    cache.nodeHashes.fill(Number.NaN);
    cache.clientsHash = Number.NaN;
    // Messages too: hashed again, into a cache of their own, as a fresh world would.
    return fingerprint(this.setup.cluster, this.extras(), this.hasher, { nodeHashes: cache.nodeHashes, clientsHash: Number.NaN, messages: new WeakMap() });
  }

  fingerprint(): number {
    return fingerprint(this.setup.cluster, this.extras(), this.hasher, this.cache);
  }

  private extras(): FingerprintExtras {
    const s = this.scheduler;
    return { clients: this.clients, budgetUse: [s.crashes, s.partitions, s.losses, s.duplicates, s.isolated], ghost: this.ghost };
  }
}

/** stepTouches' answer for a step that changes no server. */
const NO_SERVER = -2;

/**
 * The server a step can change (its node, storage or timers), NO_SERVER, or -1 for
 * any: a message, timer, sync, notice or client request happens on one server; a crash
 * or restart is one server's; the environment's action (a workload tick, a client
 * timer, a scripted fault) may reach any. Losing or duplicating a message, a reply
 * reaching a client, a partition or a heal change no server (the network, the queue,
 * the clients: the rest).
 */
export function stepTouches(step: ScheduleStep): number {
  switch (step.e) {
    case 'deliver':
      return step.to;
    case 'timer':
    case 'sync':
    case 'notice':
    case 'crash':
    case 'restart':
      return step.node;
    case 'client-request':
      return step.server;
    case 'lose':
    case 'duplicate':
    case 'client-reply':
    case 'isolate':
    case 'heal':
      return NO_SERVER;
    default:
      return -1;
  }
}
