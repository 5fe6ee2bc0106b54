/**
 * Configuration of the ZAB servers: ZooKeeper's timing knobs (tickTime, initLimit,
 * syncLimit), the election's notification timing, the zxid counter width, the leader's
 * in-memory committed-log window, the observers, the session timeout bounds, and the
 * injectable bugs.
 *
 * The defaults are ZooKeeper's ratios scaled down 100× (tickTime 2 s → 20 ms,
 * finalizeWait 200 ms → 20 ms, maxNotificationInterval 60 s → 600 ms) so that a
 * 3-server cold start on a ~1 ms network elects and establishes a leader in a few tens
 * of milliseconds of virtual time. Time drives liveness only: no safety argument
 * depends on these numbers (PROTOCOLS.md §7).
 */
import type { NodeId } from '../core/node.js';
import { DEFAULT_COUNTER_BITS } from './zxid.js';

/**
 * Test-only protocol bugs. Each one is a single wrong decision at one place in the code
 * (search for `bugs.has('<name>')`), so that the invariant checker can be shown to catch
 * it. The sixteen real ZooKeeper bugs of PROTOCOLS.md §11 are added the same way.
 */
export const ZAB_BUGS: Readonly<Record<string, string>> = Object.freeze({
  epochFromLastZxid:
    'ZOOKEEPER-335 (B1): epochs are inferred from the last zxid instead of the acceptedEpoch file: ' +
    'FOLLOWERINFO carries epoch(lastZxid), the leader proposes max(epoch(lastZxid))+1 and a learner ' +
    'accepts a LEADERINFO newer than epoch(lastZxid). A leader that was established without writing ' +
    'a txn leaves no trace, so its epoch is reused.',
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
  /** Servers that observe: they never vote, and receive INFORM instead of PROPOSAL/COMMIT. */
  readonly observers: readonly NodeId[];
  /** Session timeouts asked by clients are clamped into [min, max] (ZooKeeper: 2 and 20 ticks). */
  readonly minSessionTimeoutUs: number;
  readonly maxSessionTimeoutUs: number;
  /** Client requests a server keeps waiting per session before refusing more (NOTREADY). */
  readonly maxPendingPerSession: number;
  readonly bugs: ReadonlySet<string>;
}

export const DEFAULT_ZAB_CONFIG: ZabConfig = Object.freeze({
  tickTimeUs: 20_000,
  initLimit: 10,
  syncLimit: 5,
  finalizeWaitUs: 20_000,
  maxNotificationIntervalUs: 600_000,
  counterBits: DEFAULT_COUNTER_BITS,
  committedLogSize: 500,
  observers: Object.freeze([]) as readonly NodeId[],
  minSessionTimeoutUs: 40_000,
  maxSessionTimeoutUs: 400_000,
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
  if (config.maxSessionTimeoutUs < config.minSessionTimeoutUs) throw new Error('ZAB config: maxSessionTimeoutUs < minSessionTimeoutUs');
  if (config.maxNotificationIntervalUs < config.finalizeWaitUs) throw new Error('ZAB config: maxNotificationIntervalUs < finalizeWaitUs');
  if (!Number.isInteger(config.counterBits) || config.counterBits < 2 || config.counterBits > 32) {
    throw new Error(`ZAB config: counterBits must be an integer in [2, 32], got ${config.counterBits}`);
  }
}
