/**
 * One explored world: a scenario's run, set up exactly as `zablab run` sets it up
 * (sim/scenario/run.ts setupRun: the same nodes, invariant checkers, clients and
 * fault script), driven by the controlled scheduler instead of the clock. A state of
 * the search is the path of choices from the initial state; a world reaches it by
 * replaying that path (the nodes are pure, so replay is exact), or, much faster, by
 * restoring a snapshot of it or of an ancestor (snapshot.ts) and replaying the rest.
 *
 * A snapshot has one part per server (its node and its storage), one for the trace's
 * listeners (the invariant checkers, the run's counters and timeline, the ghost), one
 * for the clients (the workload, its sessions, the history of operations), and one for
 * the rest (cluster, network, queue, trace recorder). A step dirties the rest and the
 * servers it happened on (stepTouches), the clients when a reply reaches one or the
 * environment acts, and the listeners when it handed the trace's listeners an event
 * (TraceRecorder.heard moved: two thirds of ZAB's steps hand them none, a delivery that
 * changes no role and logs nothing); a snapshot
 * shares every clean part with the snapshot it was restored from, restoring skips parts
 * already in place, and a clean server's fingerprint is kept (World.fingerprint). With
 * `checkInPlace` (tests) every part taken as clean is walked again and compared, so a
 * change a step made to a part it was not counted as touching is an error at once.
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolAdapter } from '../scenario/protocol.js';
import { setupRun, type RunSetup } from '../scenario/run.js';
import { ControlledScheduler, type Budgets, type Choice, type ScheduleStep } from './scheduler.js';
import { fingerprint, HistoryGhost, messageHash, nodeFingerprint, StateHasher, type FingerprintCache, type FingerprintExtras } from './fingerprint.js';
import { differenceBetween, restoreComponent, snapshotComponent, type ComponentSnapshot } from './snapshot.js';
import { transitionOf, type Transition } from './reduction.js';

/** A world's state, restorable in place: part 0 is the rest, part 1 + k server k, then the trace's listeners, then the clients. */
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
  /**
   * Tests: every part a snapshot shares, or a restore skips, as unchanged is walked again
   * and compared with the shared one (an Error names the part and the object that
   * differ): a step that changed a part it was not counted as touching is caught at once.
   */
  checkInPlace?: boolean;
}

export class World {
  readonly setup: RunSetup;
  readonly scheduler: ControlledScheduler;
  private readonly ghost: HistoryGhost;
  private readonly hasher = new StateHasher();
  private readonly clients: object[];
  /** Commits and ok operations when the search starts (after the prefix): "sometimes" counts what happens after. */
  private readonly baseline: { leaders: number; commits: number; ok: number };
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
  /** The trace's listeners (the last part): they change only when the trace hands them an event (TraceRecorder.heard). */
  private readonly listenerRoots: object[];
  /** What the listeners' walk stops at besides the servers' parts: the rest's objects they refer to (the cluster). */
  private readonly listenerStops: object[];
  /** The listeners' part's index; the clients' part is the next (the last). */
  private readonly listenersPart: number;
  private readonly clientsPart: number;
  /** The clients' part: the workload (its clients and their sessions) and the history of operations; what its walk stops at. */
  private readonly clientRoots: object[];
  private readonly clientStops: object[];
  /** What the rest's walk stops at: the other parts' roots, and the clients (the cluster's client endpoints are they). */
  private readonly restStops: object[];
  private readonly checkInPlace: boolean;

  constructor(scenario: Scenario, adapter: ProtocolAdapter, options: WorldOptions) {
    this.setup = setupRun({ ...scenario, schedule: [] }, adapter, { seed: options.seed });
    this.ghost = new HistoryGhost(this.setup.cluster);
    this.scheduler = new ControlledScheduler(this.setup.cluster, options.budgets);
    const prefix = options.prefix ?? [];
    for (let i = 0; i < prefix.length && this.setup.cluster.haltReason === null; i++) this.scheduler.applyStep(prefix[i], i);
    this.clients = this.setup.workload?.clients ?? [];
    this.baseline = { leaders: this.setup.rt.leaders.length, commits: this.setup.counters.commits, ok: this.okOps() };
    // The history is in the ghost (client operations are trace records); the walk leaves it out.
    this.hasher.skip.add(this.setup.history);
    // So are the clients' connection records (for the recipe checkers, sim/check/cut-off.ts): they never steer a step.
    for (const client of this.setup.workload?.clients ?? []) this.hasher.skip.add(client.connections);
    const cluster = this.setup.cluster;
    this.listenersPart = cluster.size + 1;
    this.clientsPart = cluster.size + 2;
    this.checkInPlace = options.checkInPlace ?? false;
    this.inPlace = new Array<ComponentSnapshot | null>(cluster.size + 3).fill(null);
    this.basis = new Array<ComponentSnapshot | null>(cluster.size + 3).fill(null);
    this.cache = { nodeHashes: new Array<number>(cluster.size).fill(Number.NaN), clientsHash: Number.NaN, messages: new WeakMap(), storages: new WeakMap(), verify: this.checkInPlace };
    this.immutable = [scenario, adapter, cluster.options, cluster.trace.meta, cluster.serverIds];
    if (this.setup.spec !== undefined) this.immutable.push(this.setup.spec);
    // The recipe checkers' record of expiries (run.ts) is read only at a run's end, never by a search: neither walked nor hashed.
    if (this.setup.rt.expiries !== undefined) {
      this.immutable.push(this.setup.rt.expiries);
      this.hasher.skip.add(this.setup.rt.expiries);
    }
    this.stateRoots = [this.setup, this.scheduler];
    // The trace's listeners (sim/scenario/run.ts, the ghost): each is changed only by the events the trace hands it.
    // ZAB's monitor is methods and a getter over its checker: the checker is walked, the monitor is not (Paxos's monitor is its checker).
    const setup = this.setup;
    const checker = (setup.monitor as { checker?: object }).checker;
    if (checker !== undefined) this.immutable.push(setup.monitor);
    this.listenerRoots = [checker ?? setup.monitor, setup.primaryOrder, setup.syncAnswers, setup.counters, setup.serverErrors, setup.timeline, this.ghost];
    // The ZAB checker reads the cluster (never writes it): the rest's, not the listeners'.
    this.listenerStops = [cluster, setup, this.scheduler, setup.rt, setup.history];
    // The clients change only when a reply reaches one or the environment acts (a tick, a client's timer), as their fingerprint part (touch()).
    const workload = setup.workload;
    this.clientRoots = workload === undefined ? [setup.history] : [workload, setup.history];
    this.clientStops = [cluster, cluster.trace, setup, this.scheduler, setup.rt, ...this.listenerRoots];
    this.restStops = [...this.listenerRoots, ...this.clientRoots];
    if (workload !== undefined) this.restStops.push(workload.clients, ...workload.clients);
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
    const trace = this.setup.cluster.trace;
    const heard = trace.heard;
    this.scheduler.apply(choice);
    if (trace.heard !== heard) this.inPlace[this.listenersPart] = null;
  }

  /** Follows a path of choice indices from the current state. */
  replay(path: readonly number[]): void {
    for (const index of path) {
      const choices = this.scheduler.choices();
      if (index >= choices.length) throw new Error(`explore: replay diverged (choice ${index} of ${choices.length}): the run is not deterministic`);
      this.apply(choices[index]);
    }
  }

  /** Marks the parts a step may change: the rest always, and one server, none (NO_SERVER) or all (-1). The listeners' part: apply(). */
  private touch(node: number, clients: boolean): void {
    this.inPlace[0] = null;
    if (clients) {
      this.cache.clientsHash = Number.NaN;
      this.inPlace[this.clientsPart] = null;
    }
    if (node === NO_SERVER) return;
    if (node >= 0) {
      this.inPlace[node + 1] = null;
      this.cache.nodeHashes[node] = Number.NaN;
      return;
    }
    this.inPlace.fill(null, 0, this.listenersPart);
    this.cache.nodeHashes.fill(Number.NaN);
  }

  /** The current state, restorable with restore(); parts unchanged since the last snapshot or restore are shared, not copied. */
  snapshot(): WorldSnapshot {
    const cluster = this.setup.cluster;
    const servers = cluster.size;
    const parts: ComponentSnapshot[] = [];
    const owned = this.ownedSet();
    for (let part = 0; part <= this.clientsPart; part++) {
      let snapshot = this.inPlace[part];
      if (snapshot !== null && this.checkInPlace) this.check(part, snapshot, owned, 'shared by a snapshot');
      if (snapshot === null) {
        snapshot = this.walk(part, owned, this.basis[part]);
        this.inPlace[part] = snapshot;
        this.basis[part] = snapshot;
      }
      parts[part] = snapshot;
    }
    // Every server's fingerprint part goes with the snapshot: a restore then never hashes a server again.
    const cache = this.cache;
    for (let node = 0; node < servers; node++) {
      if (Number.isNaN(cache.nodeHashes[node])) cache.nodeHashes[node] = nodeFingerprint(cluster, node, this.hasher, cache);
    }
    if (Number.isNaN(cache.clientsHash)) this.fingerprint();
    return { parts, nodeHashes: cache.nodeHashes.slice(), clientsHash: cache.clientsHash };
  }

  /** What every part's walk stops at: inputs no step changes, and the servers' parts' roots and random streams (each walk takes its own out). */
  private ownedSet(): Set<object> {
    const cluster = this.setup.cluster;
    // Each part stops where another begins; contexts (closures over the cluster) are no part's, generators are the rest's.
    const owned = new Set<object>(this.immutable);
    for (let node = 0; node < cluster.size; node++) {
      owned.add(cluster.contextOf(node));
      owned.add(cluster.storage(node));
      const behavior = cluster.behavior(node);
      if (behavior !== null) owned.add(behavior);
    }
    cluster.rngs.forEach((_, rng) => owned.add(rng));
    return owned;
  }

  /** A snapshot of part `part` (see WorldSnapshot) as it is now; `owned` (ownedSet) is left as it was. */
  private walk(part: number, owned: Set<object>, base: ComponentSnapshot | null): ComponentSnapshot {
    const cluster = this.setup.cluster;
    let roots: object[];
    let others: object[];
    if (part === 0) {
      roots = this.stateRoots;
      others = this.restStops;
      cluster.rngs.forEach((_, rng) => owned.delete(rng));
    } else if (part === this.listenersPart) {
      roots = this.listenerRoots;
      others = this.listenerStops;
    } else if (part === this.clientsPart) {
      roots = this.clientRoots;
      others = this.clientStops;
    } else {
      const behavior = cluster.behavior(part - 1);
      roots = behavior === null ? [cluster.storage(part - 1)] : [behavior, cluster.storage(part - 1)];
      others = [];
      for (const root of roots) owned.delete(root);
    }
    for (const other of others) owned.add(other);
    try {
      return snapshotComponent(roots, { stop: owned, base });
    } finally {
      for (const other of others) owned.delete(other);
      if (part === 0) cluster.rngs.forEach((_, rng) => owned.add(rng));
      else if (part <= cluster.size) for (const root of roots) owned.add(root);
    }
  }

  /** checkInPlace: part `part` is taken to be in `snapshot`'s state; walked again, it must be. */
  private check(part: number, snapshot: ComponentSnapshot, owned: Set<object>, how: string): void {
    const difference = differenceBetween(snapshot, this.walk(part, owned, null));
    if (difference === null) return;
    const name = part === 0 ? 'the rest' : part === this.listenersPart ? "the trace's listeners" : part === this.clientsPart ? 'the clients' : `server ${part - 1}`;
    throw new Error(`explore: ${name}, ${how} as unchanged, has changed: ${difference}`);
  }

  /** Puts the world back in a snapshot's state (of this world): only the parts not already in place are written. */
  restore(snapshot: WorldSnapshot): void {
    const parts = snapshot.parts;
    const owned = this.checkInPlace ? this.ownedSet() : null;
    for (let i = 0; i < parts.length; i++) {
      if (this.inPlace[i] === parts[i]) {
        if (owned !== null) this.check(i, parts[i], owned, 'skipped by a restore');
        continue;
      }
      restoreComponent(parts[i], this.inPlace[i]);
      this.inPlace[i] = parts[i];
      this.basis[i] = parts[i];
      if (i > 0 && i < this.listenersPart) this.cache.nodeHashes[i - 1] = snapshot.nodeHashes[i - 1];
      else if (i === 0 || i === this.clientsPart) this.cache.clientsHash = snapshot.clientsHash;
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

  /**
   * Which "sometimes" properties hold in this state: each counts only if it happened after
   * the prefix (the warm-up and the scenario's schedule), or a leader elected in the warm-up
   * would prove every search after it non-vacuous at depth 0.
   */
  sometimes(out: Set<Sometimes>): void {
    const setup = this.setup;
    if (setup.rt.leaders.length > this.baseline.leaders) out.add('leader established');
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
    // Messages and storages too: hashed again, into caches of their own, as a fresh world would.
    return fingerprint(this.setup.cluster, this.extras(), this.hasher, { nodeHashes: cache.nodeHashes, clientsHash: Number.NaN, messages: new WeakMap(), storages: new WeakMap() });
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
