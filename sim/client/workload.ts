/**
 * Workload generators: each client is one Jepsen process that thinks (exponentially
 * distributed, mean 1/rate), invokes one operation drawn from the mix, waits for its
 * outcome, and repeats until its operation count or the stop time. Keys are znodes
 * `/k0 … /k{keys-1}`; written values are unique (`c<client>-<n>`), so a read names the
 * write it saw. Every client has its own random stream, so adding a client never
 * changes the choices of the others (nor the network's).
 */
import type { Cluster } from '../net/cluster.js';
import type { History } from './history.js';
import type { ReadMode } from './protocol.js';
import { DEFAULT_SESSION_OPTIONS, type ClientOp, type SessionOptions, ZkClient } from './session.js';
import { recipeGroups, runRecipe, type RecipeFlaws, type RecipeName } from './recipes.js';
import type { ResourceMode } from './resource.js';

export type OpKind = 'getData' | 'setData' | 'cas' | 'create' | 'delete' | 'exists' | 'getChildren';
export const OP_KINDS: readonly OpKind[] = ['getData', 'setData', 'cas', 'create', 'delete', 'exists', 'getChildren'];

export interface WorkloadSpec {
  clients: number;
  /** Operations per client (0 or absent: until stopUs). */
  opsPerClient?: number;
  /** Operations per second per client (think time is exponential with mean 1/rate). */
  ratePerSec: number;
  /** Relative weights of the operation kinds. */
  mix: Partial<Record<OpKind, number>>;
  keys: number;
  readMode: ReadMode;
  startUs: number;
  /** No new operation is invoked after this time. */
  stopUs: number;
  session?: Partial<SessionOptions>;
  /** Per-client mixes: client i uses clientMixes[i % length] instead of `mix` (readers and writers). */
  clientMixes?: Partial<Record<OpKind, number>>[];
  /** Servers the clients connect to first, round robin (default: each picks one at random). */
  servers?: number[];
  /**
   * Per-client connect strings: client i only ever uses the servers in
   * connectStrings[i % length] (default: any server), as a ZooKeeper client only knows
   * the servers its connect string names.
   */
  connectStrings?: number[][];
  /** Per-client start times: client i starts at clientStartUs[i % length] instead of startUs. */
  clientStartUs?: number[];
  /** Run a ZooKeeper recipe instead of the random mix. */
  recipe?: RecipeName;
  /** Several recipes side by side: client i runs clientRecipes[i % length] with the others of its recipe (overrides `recipe`). */
  clientRecipes?: RecipeName[];
  /** `lock`: the holders write to a storage service outside ZooKeeper, fenced or not (resource.ts). */
  lockResource?: ResourceMode;
  /**
   * The share of reads that set a watch (watch=true). Drawn from each client's own
   * `client:<i>:watches` stream, so a workload without watches draws exactly as before.
   */
  watchShare?: number;
}

export const DEFAULT_MIX: Record<OpKind, number> = { getData: 4, setData: 3, cas: 2, create: 1, delete: 1, exists: 0, getChildren: 0 };

export interface RunningWorkload {
  clients: ZkClient[];
  /** Every client has finished its operations (or the stop time passed) and none is pending. */
  done(): boolean;
  stop(): void;
  /**
   * The workload's own state (who finished, whether it was stopped, per client the
   * operations issued and the versions seen): fields, not closures' variables, so that
   * a snapshot of the run (sim/explore) sees them.
   */
  readonly state: WorkloadState;
}

export interface WorkloadState {
  stopped: boolean;
  readonly finished: Set<number>;
  readonly perClient: { issued: number; readonly versions: Map<string, number> }[];
}

/** `flaws` breaks a recipe on purpose (tests that show its checker firing). */
export function startWorkload(cluster: Cluster, history: History, spec: WorkloadSpec, flaws: RecipeFlaws = {}): RunningWorkload {
  const session: SessionOptions = { ...DEFAULT_SESSION_OPTIONS, ...spec.session };
  const clients: ZkClient[] = [];
  const state: WorkloadState = { stopped: false, finished: new Set<number>(), perClient: [] };
  const finished = state.finished;
  // What a recipe's clients share in the harness (not through ZooKeeper): e.g. the config
  // writer's last published version, so the readers know when they may finish.
  const recipeShared = new Map<string, unknown>();
  const groups = recipeGroups(spec);
  for (let index = 0; index < spec.clients; index++) {
    const rng = cluster.rngs.stream(`client:${index}`);
    const connectString = connectStringOf(spec.connectStrings, index);
    const client = new ZkClient(cluster, history, index, spec.clients, rng, session, connectString);
    clients.push(client);
    const firstServer = spec.servers !== undefined && spec.servers.length > 0 ? spec.servers[index % spec.servers.length] : undefined;
    const startUs = spec.clientStartUs !== undefined && spec.clientStartUs.length > 0 ? spec.clientStartUs[index % spec.clientStartUs.length] : spec.startUs;
    client.at(startUs + rng.int(1_000), () => client.start(firstServer));
    const group = groups.find((g) => g.clients.includes(index));
    if (group !== undefined) {
      // A recipe keeps its session alive (pings) until it has finished its work: a lock
      // holder must still release, a leader resign, after the story ends.
      const finishRecipe = () => {
        finished.add(index);
        if (state.stopped) client.stop();
      };
      const recipeSpec = { ...spec, startUs, clients: group.clients.length };
      runRecipe(group.recipe, cluster, client, rng, recipeSpec, finishRecipe, () => state.stopped, flaws, recipeShared, group.clients.indexOf(index));
      continue;
    }
    const mix = spec.clientMixes !== undefined && spec.clientMixes.length > 0 ? spec.clientMixes[index % spec.clientMixes.length] : spec.mix;
    const weights = OP_KINDS.map((kind) => Math.max(0, mix[kind] ?? 0));
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    if (totalWeight <= 0) throw new Error('workload mix has no operation with a positive weight');
    const mine = { issued: 0, versions: new Map<string, number>() };
    state.perClient.push(mine);
    const versions = mine.versions;
    const watchShare = spec.watchShare ?? 0;
    const watchRng = watchShare > 0 ? cluster.rngs.stream(`client:${index}:watches`) : null;
    const meanThinkUs = 1_000_000 / Math.max(spec.ratePerSec, 1e-9);
    const next = () => {
      const limitReached = spec.opsPerClient !== undefined && spec.opsPerClient > 0 && mine.issued >= spec.opsPerClient;
      if (state.stopped || limitReached || cluster.nowUs >= spec.stopUs) {
        finished.add(index);
        return;
      }
      mine.issued++;
      let draw = rng.next() * totalWeight;
      let kind: OpKind = OP_KINDS[OP_KINDS.length - 1];
      for (let k = 0; k < OP_KINDS.length; k++) {
        draw -= weights[k];
        if (draw < 0) {
          kind = OP_KINDS[k];
          break;
        }
      }
      const op = makeOp(kind, `/k${rng.int(spec.keys)}`, `c${index}-${mine.issued}`, versions, spec.readMode, rng.int(3), watchRng !== null && watchRng.next() < watchShare);
      client.submit(op, (record) => {
        if (record.result === 'ok') {
          const path = (op.value as { path: string }).path;
          if ((record.f === 'getData' && typeof record.output === 'object' && record.output !== null) || record.f === 'setData') {
            const version = record.f === 'getData' ? (record.output as { version?: number }).version : record.output;
            if (typeof version === 'number') versions.set(path, version);
          }
        }
        // At least 1 µs of thought: a process's next invocation must come strictly after
        // its previous completion (at one instant, invocations sort before completions).
        client.at(cluster.nowUs + 1 + Math.round(rng.exponential(meanThinkUs)), next);
      });
    };
    client.at(startUs + 1_000 + Math.round(rng.exponential(meanThinkUs)), next);
  }
  return {
    clients,
    done: () => finished.size === clients.length && clients.every((client) => !client.busy),
    state,
    stop: () => {
      state.stopped = true;
      for (const client of clients) if (groups.length === 0 || finished.has(client.index)) client.stop();
    },
  };
}

/** `watch`: a read sets a watch (the history's value is the same: a watch changes what the server sends later, not the answer). */
function makeOp(kind: OpKind, path: string, data: string, versions: Map<string, number>, readMode: ReadMode, guess: number, watch: boolean): ClientOp {
  const w = watch ? { watch: true } : {};
  switch (kind) {
    case 'getData':
      return { f: 'getData', value: { path }, req: { op: 'getData', path, ...w }, readMode };
    case 'exists':
      return { f: 'exists', value: { path }, req: { op: 'exists', path, ...w }, readMode };
    case 'getChildren':
      return { f: 'getChildren', value: { path: '/' }, req: { op: 'getChildren', path: '/', ...w }, readMode };
    case 'setData':
      return { f: 'setData', value: { path, data, version: -1 }, req: { op: 'setData', path, data, version: -1 } };
    case 'cas': {
      // Compare-and-set on the version this client last saw (or a guess).
      const version = versions.get(path) ?? guess;
      return { f: 'setData', value: { path, data, version }, req: { op: 'setData', path, data, version } };
    }
    case 'create':
      return { f: 'create', value: { path, data }, req: { op: 'create', path, data, mode: 'persistent' } };
    case 'delete':
      return { f: 'delete', value: { path, version: -1 }, req: { op: 'delete', path, version: -1 } };
  }
}

/** The servers client `index` may use: connectStrings[index % length], or every server (undefined). */
export function connectStringOf(connectStrings: readonly (readonly number[])[] | undefined, index: number): readonly number[] | undefined {
  return connectStrings !== undefined && connectStrings.length > 0 ? connectStrings[index % connectStrings.length] : undefined;
}
