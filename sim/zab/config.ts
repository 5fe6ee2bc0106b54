/**
 * Configuration of the ZAB servers: ZooKeeper's timing knobs (tickTime, initLimit,
 * syncLimit), the election's notification timing, the zxid counter width, the leader's
 * in-memory committed-log window, the observers, the session timeout bounds, and the
 * injectable bugs.
 *
 * tickTime defaults to 20 ms (ZooKeeper's sample configuration says 2 s: scaled down
 * 100× so that the ticking phases, discovery and synchronization, take tens of
 * milliseconds of virtual time on a ~1 ms network). The election's two timeouts are
 * not derived from tickTime: they are FastLeaderElection's own constants, finalizeWait
 * = 200 ms and maxNotificationInterval = 60 s, as in ZooKeeper, so a cold start decides
 * about 200 ms after a quorum agrees. The session timeout bounds are ZooKeeper's
 * defaults, 2 and 20 ticks. Time drives liveness only: no safety argument depends on
 * these numbers (PROTOCOLS.md §7).
 */
import type { NodeId } from '../core/node.js';
import { DEFAULT_COUNTER_BITS } from './zxid.js';

/**
 * Bug switches. Each one is a single wrong decision or ordering at one place in the code
 * (search for `'<name>'`), so that the invariant checker can be shown to catch it: the
 * sixteen real ZooKeeper bugs of PROTOCOLS.md §11, each as the precise mistake the real
 * code made (each description starts with its JIRA id and names the invariant it breaks;
 * `zablab bugs` lists them), then a few test switches. With every switch off the protocol
 * is the correct one, and as fast: a switch is read once per role (a cached boolean) or
 * on a cold path (a sync, a role change, a restart).
 */
export const ZAB_BUGS: Readonly<Record<string, string>> = Object.freeze({
  // ---- the real ZooKeeper bugs of PROTOCOLS.md §11 (scenarios/bugs/zk-<jira>-<flag>.json)
  epochFromLastZxid:
    'ZOOKEEPER-335 (B1): epochs are inferred from the last zxid instead of the acceptedEpoch file: ' +
    'FOLLOWERINFO carries epoch(lastZxid), the leader proposes max(epoch(lastZxid))+1 and a learner ' +
    'accepts a LEADERINFO newer than epoch(lastZxid). A leader that was established without writing ' +
    'a txn leaves no trace, so its epoch is reused. Breaks `Leadership2` (and Leadership1).',
  diffByRangeCheck:
    'ZOOKEEPER-1154 (B2): the leader (LearnerHandler.syncFollower) sends a DIFF because the learner\'s last zxid lies ' +
    'numerically inside its committed-log window, without checking that the zxid is in its history: a learner ' +
    'holding an uncommitted txn of an older epoch keeps it instead of being truncated. Breaks `ProcessConsistency` ' +
    '(then PrefixConsistency, Agreement).',
  noRolloverGuard:
    'ZOOKEEPER-1277 (B3): the leader (Leader.propose) lets the zxid counter run past 2^bits-2: the next zxid carries ' +
    'into the epoch bits as (e+1):0, a counter-0 zxid reserved for NEWLEADER whose ACKs are ignored, so nothing ' +
    'commits again and the servers stop serving. Breaks liveness (use a small counterBits).',
  diffSetsLastZxidEarly:
    'ZOOKEEPER-2355 (B4): a learner sets its lastProcessedZxid to the DIFF packet\'s zxid before it has applied the ' +
    'txns that follow; when the sync is cut short it rejoins claiming to be current and never gets them (an ' +
    'ephemeral whose closeSession was in the DIFF lives on). Breaks `ProcessConsistency` (then PrefixConsistency, TotalOrder).',
  retainDbWithoutFastForward:
    'ZOOKEEPER-2845 (B5): a server going back to LOOKING keeps its in-memory tree without fast-forwarding it from its ' +
    'txn log (regression of ZOOKEEPER-2678): an ex-leader votes and syncs with a zxid older than its log, gets a DIFF ' +
    'instead of a TRUNC and keeps an uncommitted txn on disk. Breaks `ProcessConsistency` (then HistoryConsistency).',
  snapDoesNotTruncateLog:
    'ZOOKEEPER-2832 (B6): a SNAP sync leaves the learner\'s txn log in place: the snapshot it writes does not ' +
    'supersede the log, and a restart replays every logged txn newer than the snapshot\'s zxid on top of it, an ' +
    'uncommitted one included. The switch also gives the leader ZooKeeper 3.4\'s rule that reaches such a learner: ' +
    'an empty committedLog means SNAP (3.5 TRUNCs it instead). Breaks `ProcessConsistency` (then Agreement).',
  newLeaderBeforeSnapshot:
    'ZOOKEEPER-3104 (B7): in a SNAP sync the leader starts forwarding and queues NEWLEADER before it serializes ' +
    'the snapshot (here: one tick later). The walk over the live tree is fuzzy: the model reads every node when it ' +
    'starts and the label when it ends, so the txns committed meanwhile are below the label and missing from the ' +
    'nodes. The learner snapshots that at NEWLEADER, logs the missed txns under the label and re-applies them in ' +
    'memory; a restore skips them. Breaks `HistoryConsistency` (then, after a restart, PrefixConsistency and Agreement).',
  keepDbAfterAbortedSync:
    'ZOOKEEPER-3642 (B8): a learner whose SNAP sync is cut short (leader gone before NEWLEADER was persisted) keeps ' +
    'the leader\'s snapshot in memory only, with its lastProcessedZxid, instead of reloading from disk; the next ' +
    'leader DIFF-syncs it from there and a restart loses everything the snapshot held. Breaks `ProcessConsistency` ' +
    '(CommittedLogDurability, Agreement).',
  ackNewLeaderBeforePersist:
    'ZOOKEEPER-3911 (B9): a learner acknowledges NEWLEADER before logging the DIFF\'s txns (it logs them only after ' +
    'UPTODATE); the leader counts the ACK, so the txns are committed by a quorum that may not hold them on disk. ' +
    'Breaks `LeaderLogCompleteness` (CommittedLogMonotonicity).',
  epochBeforeHistory:
    'ZOOKEEPER-4643 (B10): a learner writes currentEpoch on NEWLEADER before the sync txns are durable; crashing in ' +
    'between leaves a server whose newer epoch wins elections over servers with longer logs, and it truncates a ' +
    'committed txn. Breaks `CommittedLogDurability` (LeaderLogCompleteness).',
  asyncLogBeforeAckLd:
    'ZOOKEEPER-4646 (B11): a learner hands the sync txns to its SyncThread and acknowledges NEWLEADER without waiting ' +
    'for them to be durable (currentEpoch still follows the fsync); the leader commits with that ACK and a crash ' +
    'loses the txns. Breaks `LeaderLogCompleteness`.',
  ackRaceInSync:
    'ZOOKEEPER-4685 (B12): the learner\'s SyncThread ACKs the sync txns as soon as they are durable, which overtakes ' +
    'the NEWLEADER ACK; the leader takes the first ACK for the NEWLEADER one, its zxid does not match, it is not ' +
    'counted and the leader gives up after initLimit: a needless re-election. Breaks liveness (ackConsistent).',
  applyAllPendingOnNewLeader:
    'ZOOKEEPER-4394 (B13): on NEWLEADER the learner logs and consumes every buffered proposal, the uncommitted ones ' +
    'too; a COMMIT arriving between NEWLEADER and UPTODATE then finds no proposal (NullPointerException) and the ' +
    'learner drops out of the ensemble, again and again under load. Breaks liveness (commitConsistent).',
  asyncDiffPersist:
    'ZOOKEEPER-4785 (B14): the DIFF-sync code as shipped in 3.6-3.8.4: on NEWLEADER the learner writes currentEpoch, ' +
    'hands the sync txns to the SyncThread and acknowledges at once, racing their persistence; a crash leaves a ' +
    'server with the new epoch and without the txns, which then leads. Breaks `CommittedLogDurability` ' +
    '(LeaderLogCompleteness).',
  leakSyncThread:
    'ZOOKEEPER-4712 (B15): a follower leaving the leader fast-forwards its tree from the log before stopping its ' +
    'SyncThread, which keeps writing afterwards: the log ends with a proposal the tree and the vote do not have, ' +
    'and the next leader never truncates it. Breaks `ProcessConsistency` (HistoryConsistency).',
  committedLogGap:
    'ZOOKEEPER-4925 (B16): a learner applies the txns of a sync without adding them to its in-memory committedLog ' +
    '(regression of the 4394 fix); leading later, it syncs learners from a committedLog with a hole and TRUNCates ' +
    'a learner that stands inside the hole. Breaks `CommittedLogDurability` (then Agreement).',
  // ---- test switches: one wrong decision each, to show that every invariant can fire
  commitWithoutQuorum: 'The leader commits a proposal as soon as it has logged it itself, without a quorum of ACKs.',
  ackBeforeLog: 'A follower ACKs a PROPOSAL when it receives it, before its log write is durable.',
  skipTruncate: 'A learner ignores TRUNC: it keeps the txns the leader told it to drop.',
  applyWritesLocally: 'A follower executes a client write on its own tree instead of forwarding it to the leader.',
  diffSkipsFirst: 'The leader leaves the first missing txn out of a DIFF.',
  diffNewestFirst: 'The leader queues the txns of a DIFF newest first.',
  applyOnPropose: 'A follower applies a PROPOSAL to its tree when it logs it, before the COMMIT.',
});

export type ZabBug = keyof typeof ZAB_BUGS;

export interface ZabConfig {
  /** ZooKeeper's tickTime: the leader pings every tickTime/2 and counts ticks for syncLimit. */
  readonly tickTimeUs: number;
  /** Ticks a learner may take to connect and sync; ticks the leader waits in each discovery/sync phase. */
  readonly initLimit: number;
  /** Ticks a learner may lag (no packet) in broadcast before the leader drops it, and vice versa. */
  readonly syncLimit: number;
  /** FLE: how long a node with a quorum for its vote waits for a better one before deciding. */
  readonly finalizeWaitUs: number;
  /** FLE: the notification timeout starts at finalizeWaitUs and doubles up to this. */
  readonly maxNotificationIntervalUs: number;
  /** Width of the zxid counter (32 in ZooKeeper); small values exercise rollover (ZOOKEEPER-1277). */
  readonly counterBits: number;
  /** Recent committed proposals kept in memory (ZooKeeper's committedLog, 500); a learner older than the window gets SNAP. */
  readonly committedLogSize: number;
  /**
   * ZooKeeper's zookeeper.snapshotSizeFactor (0.33): a learner older than the committedLog
   * is synced from the leader's on-disk txn log while the txns to read are at most this
   * fraction of the snapshot (the model counts txns against znodes); negative: never (SNAP).
   */
  readonly snapshotSizeFactor: number;
  /** Servers that observe: they never vote, and receive INFORM instead of PROPOSAL/COMMIT. */
  readonly observers: readonly NodeId[];
  /** Session timeouts asked by clients are clamped into [min, max] (ZooKeeper: 2 and 20 ticks). */
  readonly minSessionTimeoutUs: number;
  readonly maxSessionTimeoutUs: number;
  /** Client requests a server keeps waiting per session before refusing more (NOTREADY). */
  readonly maxPendingPerSession: number;
  readonly bugs: ReadonlySet<string>;
}

/** FastLeaderElection.finalizeWait: 200 ms, a constant of ZooKeeper's, not a function of tickTime. */
export const FLE_FINALIZE_WAIT_US = 200_000;
/** FastLeaderElection.maxNotificationInterval: 60 s ("the time to get the system up again after long partitions"). */
export const FLE_MAX_NOTIFICATION_INTERVAL_US = 60_000_000;
/** ZooKeeper's default session timeout bounds, in ticks (minSessionTimeout, maxSessionTimeout). */
export const MIN_SESSION_TIMEOUT_TICKS = 2;
export const MAX_SESSION_TIMEOUT_TICKS = 20;

const DEFAULT_TICK_TIME_US = 20_000;

export const DEFAULT_ZAB_CONFIG: ZabConfig = Object.freeze({
  tickTimeUs: DEFAULT_TICK_TIME_US,
  initLimit: 10,
  syncLimit: 5,
  finalizeWaitUs: FLE_FINALIZE_WAIT_US,
  maxNotificationIntervalUs: FLE_MAX_NOTIFICATION_INTERVAL_US,
  counterBits: DEFAULT_COUNTER_BITS,
  committedLogSize: 500,
  snapshotSizeFactor: 0.33,
  observers: Object.freeze([]) as readonly NodeId[],
  minSessionTimeoutUs: MIN_SESSION_TIMEOUT_TICKS * DEFAULT_TICK_TIME_US,
  maxSessionTimeoutUs: MAX_SESSION_TIMEOUT_TICKS * DEFAULT_TICK_TIME_US,
  maxPendingPerSession: 1_000,
  bugs: new Set<string>(),
});

/** The default configuration with some fields replaced (bugs as a list or a set); validates. */
export function zabConfig(overrides: Partial<Omit<ZabConfig, 'bugs'>> & { bugs?: Iterable<string> } = {}): ZabConfig {
  const { bugs, ...rest } = overrides;
  const config: ZabConfig = { ...DEFAULT_ZAB_CONFIG, ...rest, bugs: new Set(bugs ?? DEFAULT_ZAB_CONFIG.bugs) };
  validateZabConfig(config);
  return config;
}

export function validateZabConfig(config: ZabConfig): void {
  for (const bug of config.bugs) {
    if (!(bug in ZAB_BUGS)) throw new Error(`unknown ZAB bug "${bug}" (known: ${Object.keys(ZAB_BUGS).join(', ')})`);
  }
  for (const key of ['tickTimeUs', 'initLimit', 'syncLimit', 'finalizeWaitUs', 'maxNotificationIntervalUs', 'committedLogSize', 'minSessionTimeoutUs', 'maxPendingPerSession'] as const) {
    if (!(config[key] > 0)) throw new Error(`ZAB config: ${key} must be positive, got ${config[key]}`);
  }
  // The leader and learners tick every tickTime/2: at least one microsecond, the clock's resolution.
  if (!Number.isSafeInteger(config.tickTimeUs) || config.tickTimeUs < 2) throw new Error(`ZAB config: tickTimeUs must be an integer of at least 2 µs, got ${config.tickTimeUs}`);
  if (config.maxSessionTimeoutUs < config.minSessionTimeoutUs) throw new Error('ZAB config: maxSessionTimeoutUs < minSessionTimeoutUs');
  if (config.maxNotificationIntervalUs < config.finalizeWaitUs) throw new Error('ZAB config: maxNotificationIntervalUs < finalizeWaitUs');
  if (!Number.isInteger(config.counterBits) || config.counterBits < 2 || config.counterBits > 32) {
    throw new Error(`ZAB config: counterBits must be an integer in [2, 32], got ${config.counterBits}`);
  }
}
