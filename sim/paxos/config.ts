/**
 * Configuration of the Multi-Paxos nodes: timing (sized for a network of about 1 ms per
 * hop and storage syncs of under 1 ms, so that a leader emerges within tens of
 * milliseconds of virtual time), bounds on every queue, and the injectable bugs of
 * PROTOCOLS.md §12.
 *
 * Time only drives liveness (who tries to lead, when to retransmit); no safety argument
 * in this module's users depends on any of these numbers.
 */

/**
 * The injectable bugs. Each is one precise wrong decision at one place in the code
 * (search for `bugs.has('<name>')`):
 * - `ignorePromisedValue` (leader, recovery): re-proposes its own value (a no-op) in
 *   every slot even when promises reported accepted values.
 * - `pickFirstNotHighest` (leader, recovery): adopts the first reported value of a slot
 *   (promise arrival order) instead of the one with the highest ballot.
 * - `acceptBelowPromise` (acceptor): accepts `Accept(b)` although it promised a
 *   higher ballot.
 * - `volatileAcceptor` (acceptor): replies to Prepare and Accept without persisting the
 *   promise or the vote; a restart forgets both.
 * - `duplicateBallots` (proposer): ballot = round, without the node id, so two
 *   proposers may use the same ballot with different values.
 * - `learnAcrossBallots` (learner): counts same-value acceptances from different
 *   ballots towards one quorum.
 */
export type PaxosBug =
  | 'ignorePromisedValue'
  | 'pickFirstNotHighest'
  | 'acceptBelowPromise'
  | 'volatileAcceptor'
  | 'duplicateBallots'
  | 'learnAcrossBallots';

export const PAXOS_BUGS: readonly PaxosBug[] = [
  'ignorePromisedValue',
  'pickFirstNotHighest',
  'acceptBelowPromise',
  'volatileAcceptor',
  'duplicateBallots',
  'learnAcrossBallots',
];

export interface PaxosConfig {
  /** The leader's heartbeat period; also the period of every node's housekeeping tick. */
  readonly heartbeatIntervalUs: number;
  /**
   * A follower that heard no valid heartbeat for this long starts phase 1. The actual
   * wait is drawn from the node's random stream: `electionTimeoutUs + uniform(0,
   * electionTimeoutUs · 2^min(failedAttempts, electionBackoffMaxExponent))`, so
   * duelling candidates back off and one of them wins.
   */
  readonly electionTimeoutUs: number;
  readonly electionBackoffMaxExponent: number;
  /**
   * Ask a quorum before running phase 1 (pre-vote): a node that heard a live leader
   * within `leaderStickinessUs` refuses to help, so a node coming back from a
   * partition rejoins as a follower instead of deposing a healthy leader.
   */
  readonly preVote: boolean;
  readonly leaderStickinessUs: number;
  /** A candidate resends Prepare to acceptors that have not answered after this long. */
  readonly prepareRetryUs: number;
  /** The leader resends Accept for a slot it has not learned as chosen after this long. */
  readonly acceptRetryUs: number;
  /** A learner behind the leader's chosen prefix asks for missing slots at most this often. */
  readonly catchUpRetryUs: number;
  /** Slots per catch-up answer. */
  readonly catchUpBatch: number;
  /** Proposed-but-unchosen slots the leader allows; beyond it refuses writes (NOTREADY). */
  readonly maxInflightSlots: number;
  /** Client requests a server keeps waiting per session before refusing more. */
  readonly maxPendingPerSession: number;
  /**
   * A server forgets a forwarded request (no reply; the client times out) after this
   * long: its forward, its slot or its answer was lost.
   */
  readonly requestTimeoutUs: number;
  /**
   * Discard a chosen txn if the state it is applied to is not the one its leader
   * computed it against (apply.ts). On by default: without it, a txn chosen out of
   * primary order is applied anyway and clients can see non-linearizable results —
   * which is what the lab shows when it is switched off.
   */
  readonly staleTxnGuard: boolean;
  /**
   * Session timeouts asked by clients are clamped into [min, max], as a ZooKeeper server
   * does (its defaults: 2 and 20 ticks; a scenario sets them so from its tickTime for
   * both protocols). A bare cluster takes what the client asks for.
   */
  readonly minSessionTimeoutUs: number;
  readonly maxSessionTimeoutUs: number;
  readonly bugs: ReadonlySet<PaxosBug>;
}

export const DEFAULT_PAXOS_CONFIG: PaxosConfig = Object.freeze({
  heartbeatIntervalUs: 5_000,
  electionTimeoutUs: 20_000,
  electionBackoffMaxExponent: 4,
  preVote: true,
  leaderStickinessUs: 20_000,
  prepareRetryUs: 5_000,
  acceptRetryUs: 8_000,
  catchUpRetryUs: 8_000,
  catchUpBatch: 64,
  maxInflightSlots: 1_024,
  maxPendingPerSession: 256,
  requestTimeoutUs: 300_000,
  staleTxnGuard: true,
  minSessionTimeoutUs: 1,
  maxSessionTimeoutUs: Number.MAX_SAFE_INTEGER,
  bugs: new Set<PaxosBug>(),
});

/** The default configuration with some fields replaced (bugs given as a list or set). */
export function paxosConfig(overrides: Partial<Omit<PaxosConfig, 'bugs'>> & { bugs?: Iterable<PaxosBug> } = {}): PaxosConfig {
  const { bugs, ...rest } = overrides;
  const config: PaxosConfig = { ...DEFAULT_PAXOS_CONFIG, ...rest, bugs: new Set(bugs ?? DEFAULT_PAXOS_CONFIG.bugs) };
  for (const bug of config.bugs) {
    if (!PAXOS_BUGS.includes(bug)) throw new Error(`unknown Paxos bug "${String(bug)}" (known: ${PAXOS_BUGS.join(', ')})`);
  }
  for (const key of ['heartbeatIntervalUs', 'electionTimeoutUs', 'prepareRetryUs', 'acceptRetryUs', 'catchUpRetryUs', 'requestTimeoutUs'] as const) {
    if (!(config[key] > 0)) throw new Error(`Paxos config: ${key} must be positive, got ${config[key]}`);
  }
  if (!(config.minSessionTimeoutUs >= 1) || config.maxSessionTimeoutUs < config.minSessionTimeoutUs) {
    throw new Error(`Paxos config: session timeout bounds [${config.minSessionTimeoutUs}, ${config.maxSessionTimeoutUs}] are not a range of positive times`);
  }
  return config;
}
