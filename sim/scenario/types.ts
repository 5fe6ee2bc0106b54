/**
 * The scenario format: one teaching story, or one experiment, as a JSON file.
 * Times in scenario files are in milliseconds (`…Ms`), as people write them; the
 * simulator converts them to integer microseconds. The JSON Schema (schema.ts,
 * `zablab schema`) is the reference; these types mirror it.
 */
import type { ScheduleStep } from '../explore/scheduler.js';
import type { ReadMode } from '../client/protocol.js';
import type { OpKind } from '../client/workload.js';
import type { RecipeName } from '../client/recipes.js';

export type ProtocolName = 'zab' | 'paxos';
export const PROTOCOL_NAMES: readonly ProtocolName[] = ['zab', 'paxos'];

export type LatencyMs =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'exponential'; minMs?: number; meanMs: number }
  | { kind: 'lognormal'; minMs?: number; medianMs: number; sigma: number };

/**
 * Who a fault acts on, resolved when the action fires:
 * `leader`, `follower` (a random follower), `any` (a random server), `node:N`,
 * `all`, `minority-with-leader`, `majority-without-leader`, `minority`, `majority`,
 * `others` (everyone but the previous action's target); for crash and pause also
 * `syncing`: the next server that starts to synchronize at or after `atMs` (a ZAB
 * learner the leader sends history to catch up with — a DIFF with txns, a TRUNC, a
 * SNAP; a Paxos candidate), hit `delayMs` after it does — a fault aimed at the crash
 * windows inside a synchronization; a crash of `syncing` with `withLeaderMs` takes the
 * leader that was syncing it down at the same moment, for that long. `syncKind` and `at`
 * (below) say which synchronization and which step of it.
 */
export type Target = string;

/**
 * Which ZAB synchronization a `syncing` fault waits for: `history` (the default) a DIFF
 * with txns, a TRUNC or a SNAP; `diff` a DIFF with txns; `trunc`, `snap`; `any` an empty
 * DIFF too. Paxos has no sync modes: there a `syncing` fault acts on the next candidate.
 */
export type SyncKind = 'history' | 'diff' | 'trunc' | 'snap' | 'any';
export const SYNC_KINDS: readonly SyncKind[] = ['history', 'diff', 'trunc', 'snap', 'any'];

/**
 * The step of that synchronization `delayMs` counts from (ZAB; Paxos ignores it):
 * - `start` (the default): the leader sends the DIFF, TRUNC or SNAP (the sync-mode record);
 * - `received`: the learner receives it (the proposals and COMMITs follow, then NEWLEADER);
 * - `newleader`: the learner receives NEWLEADER, and logs, fsyncs, writes currentEpoch, ACKs;
 * - `ack-newleader`: the learner has sent its ACK of NEWLEADER (the newleader record);
 * - `uptodate`: the learner receives UPTODATE (it starts to serve).
 * A sync abandoned before its step (the learner or its leader crashes, or the learner is
 * synchronized again) does not spend the fault: it waits for the next one.
 */
export type SyncStep = 'start' | 'received' | 'newleader' | 'ack-newleader' | 'uptodate';
export const SYNC_STEPS: readonly SyncStep[] = ['start', 'received', 'newleader', 'ack-newleader', 'uptodate'];

export type FaultAction =
  | { atMs: number; action: 'crash' | 'restart' | 'pause' | 'resume'; target: Target; durationMs?: number; delayMs?: number; withLeaderMs?: number; syncKind?: SyncKind; at?: SyncStep; note?: string }
  | { atMs: number; action: 'partition'; groups?: Target[][]; shape?: 'halves' | 'random-node' | 'bridge' | 'majorities-ring'; isolate?: Target; durationMs?: number; note?: string }
  | { atMs: number; action: 'cut'; from: Target; to: Target; durationMs?: number; note?: string }
  | { atMs: number; action: 'heal'; note?: string }
  | { atMs: number; action: 'clog'; from: Target; to: Target; durationMs: number; note?: string }
  | { atMs: number; action: 'loss'; rate: number; durationMs?: number; note?: string }
  | { atMs: number; action: 'duplicate'; rate: number; durationMs?: number; note?: string }
  | { atMs: number; action: 'restart-all' | 'resume-all'; note?: string }
  /** A client's process stops for `durationMs` (a GC pause): its timers and the packets it receives wait until it resumes (sim/client/session.ts). */
  | { atMs: number; action: 'pause-client'; client: number; durationMs: number; note?: string };

/** `sync-crash`: a crash aimed at the next server that starts to synchronize (target `syncing`), a moment after it does. */
export type NemesisKind = 'crash' | 'pause' | 'partition' | 'clog' | 'loss' | 'leader-crash' | 'leader-isolate' | 'sync-crash';
export const NEMESIS_KINDS: readonly NemesisKind[] = ['crash', 'pause', 'partition', 'clog', 'loss', 'leader-crash', 'leader-isolate', 'sync-crash'];

export interface NemesisSpec {
  kinds: NemesisKind[];
  /** Mean time between faults. */
  intervalMs: number;
  /** How long each fault lasts before it is undone. */
  faultDurationMs?: number;
  startMs?: number;
  /** No new fault after this time (default: the scenario's durationMs). */
  stopMs?: number;
}

export interface WorkloadSpecMs {
  clients: number;
  opsPerClient?: number;
  ratePerSec?: number;
  mix?: Partial<Record<OpKind, number>>;
  keys?: number;
  readMode?: ReadMode;
  startMs?: number;
  /** No new operation after this (default: the scenario's durationMs). */
  stopMs?: number;
  sessionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The share of reads (getData, exists, getChildren) that set a watch (default 0). */
  watches?: number;
  recipe?: RecipeName;
  /** Several recipes side by side: client i runs clientRecipes[i % length] (overrides `recipe`). */
  clientRecipes?: RecipeName[];
  /** `lock`: every holder writes to a storage service outside ZooKeeper while it holds the lock; `fenced`: the service refuses a write whose token (the lock node's sequence number) is older than the newest it accepted. */
  lockResource?: 'unfenced' | 'fenced';
  /** Servers the clients connect to first, round robin (default: random). */
  servers?: number[];
  /** Per-client mixes: client i uses clientMixes[i % length] (e.g. readers and writers). */
  clientMixes?: Partial<Record<OpKind, number>>[];
  /** Per-client connect strings: client i only uses the servers in connectStrings[i % length]. */
  connectStrings?: number[][];
  /** Per-client start times: client i starts at clientStartMs[i % length] instead of startMs. */
  clientStartMs?: number[];
}

export interface Expectations {
  /** Protocol invariants: hold (default) or violated (optionally naming which). */
  invariants?: 'hold' | 'violated';
  violated?: string;
  /**
   * The client history's verdict against the znode model: writes, quorum reads (always),
   * sync reads except those a deposed leader answered (ZOOKEEPER-1675: counted, left
   * out), local reads only if includeLocalReads. See sim/scenario/reads.ts.
   */
  linearizable?: boolean;
  includeLocalReads?: boolean;
  /**
   * ZooKeeper's guarantee for every read: ordered sequential consistency per client (no
   * read older than what the client read or wrote before, no value never committed).
   * Checked by default ('hold') when the history has reads.
   */
  sequentialConsistency?: 'hold' | 'violated';
  /** Bounds on the sync reads that missed a write completed before they began (ZOOKEEPER-1675 on ZAB). */
  minStaleSyncReads?: number;
  maxStaleSyncReads?: number;
  /** A leader is established within this long after the start and after every fault. */
  leaderWithinMs?: number;
  /** At least this many leader changes (elections after the first). */
  minLeaderChanges?: number;
  /** At most this many leaders ever established. */
  maxLeaders?: number;
  /** Every client operation completes (ok or fail) once faults are over (a recipe's: its own operations). */
  allOpsComplete?: boolean;
  /**
   * A recipe's own promise, by its checker (sim/check/recipes.ts): `hold` — e.g. never two
   * lock holders or leaders at once, and every item taken, every waiter through — or
   * `violated` for a story that shows it broken. `safe`: only the safety promises (never
   * two holders, no item taken twice, nobody through a barrier early, no lost update, no
   * older configuration after a newer one), for runs that need not recover and finish
   * (the swarm's); the completion promises (every item taken, every reader on the last
   * configuration, every waiter through, a member seen gone in time) are left out.
   */
  recipe?: 'hold' | 'safe' | 'violated';
  /**
   * After healing, every server is back in service (ZAB: in BROADCAST under its leader),
   * within the quiet time: an availability check for the protocols that can tell.
   */
  recovers?: boolean;
  /**
   * Errors servers log where ZooKeeper logs an ERROR or throws an unexpected exception
   * (a NullPointerException in Learner.syncWithLeader, a NEWLEADER ACK from a different
   * epoch): `none` (the default) or `logged` (a story that shows one).
   */
  serverErrors?: 'none' | 'logged';
  /** At least this many operations end ok. */
  minOkOps?: number;
  /** At most this many writes commit (e.g. 0 when no quorum exists). */
  maxCommits?: number;
  /** All servers end with the same data tree. */
  converge?: boolean;
  /** The protocol-agnostic primary-order check: hold or violated. */
  primaryOrder?: 'hold' | 'violated';
  /** A sync mode the story is about happens at least once (ZAB): DIFF, TRUNC or SNAP. */
  syncMode?: 'DIFF' | 'TRUNC' | 'SNAP';
  /** Per protocol overrides of the above. */
  byProtocol?: Partial<Record<ProtocolName, Omit<Expectations, 'byProtocol'>>>;
}

export interface Scenario {
  $schema?: string;
  title: string;
  explanation: string;
  protocols?: ProtocolName[];
  seed?: number;
  cluster: {
    servers: number;
    observers?: number[];
    tickTimeMs?: number;
    initLimit?: number;
    syncLimit?: number;
    electionTimeoutMs?: number;
    /** zxid counter width in bits (ZAB); small values exercise rollover. */
    counterBits?: number;
    /** Committed proposals the ZAB leader keeps for DIFF; older followers get a SNAP. */
    committedLogSize?: number;
  };
  network?: {
    latency?: LatencyMs;
    links?: { from: number; to: number; latency: LatencyMs; symmetric?: boolean }[];
    lossRate?: number;
    dupRate?: number;
    disconnectDetectMs?: number;
    clientLatency?: LatencyMs;
  };
  storage?: { syncLatency?: LatencyMs; durableImmediately?: boolean };
  workload?: WorkloadSpecMs;
  faults?: FaultAction[];
  nemesis?: NemesisSpec;
  /** Simulated time of the story (faults and workload happen within it). */
  durationMs: number;
  /** Quiet time after the story: everything healed and restarted, for liveness. */
  healMs?: number;
  /** Bug switches (see `zablab bugs`). */
  bugs?: string[];
  expect?: Expectations;
  /**
   * An explicit schedule (zablab explore writes one with each counterexample): the run
   * is controlled, every latency is zero, and these steps, in order, say which event
   * happens next (sim/explore/scheduler.ts); after them the run goes on in time order.
   */
  schedule?: ScheduleStep[];
}
