/**
 * The protocol registry: how each protocol is configured from a scenario, which
 * channel it runs on, its bug switches and its invariant checker.
 */
import type { Message, NodeFactory } from '../core/node.js';
import { paxosFactory, paxosConfig, DEFAULT_PAXOS_CONFIG, PAXOS_BUGS, type PaxosBug } from '../paxos/index.js';
import { attachPaxosInvariants } from '../check/paxos/index.js';
import { zabFactory, zabConfig, ZAB_BUGS, DEFAULT_ZAB_CONFIG, FLE_TIMER, MIN_SESSION_TIMEOUT_TICKS, MAX_SESSION_TIMEOUT_TICKS } from '../zab/index.js';
import type { Cluster } from '../net/cluster.js';
import { attachZabInvariants } from '../check/zab/index.js';
import type { BugInfo, ProtocolAdapter } from './protocol.js';
import type { ProtocolName, Scenario } from './types.js';

const PAXOS_BUG_INFO: Record<PaxosBug, Omit<BugInfo, 'name'>> = {
  ignorePromisedValue: { reference: 'Paxos Made Simple §2.2 (phase 2a)', breaks: 'ChosenStaysChosen', summary: 'the proposer uses its own value although promises reported accepted values' },
  pickFirstNotHighest: { reference: 'Paxos Made Simple §2.2 (highest-numbered proposal)', breaks: 'ChosenStaysChosen', summary: 'adopts the first reported value of a slot instead of the highest-ballot one' },
  acceptBelowPromise: { reference: 'Paxos Made Simple §2.2 (P1a)', breaks: 'Consensus', summary: 'an acceptor accepts Accept(b) although it promised a higher ballot' },
  volatileAcceptor: { reference: 'Paxos Made Simple §2.2 (stable storage)', breaks: 'ChosenStaysChosen', summary: 'promises and votes are not persisted before replying; a restart forgets them' },
  duplicateBallots: { reference: 'Paxos Made Simple §2.2 (disjoint ballot sets)', breaks: 'OneValuePerBallot', summary: 'two proposers may use the same ballot with different values' },
  learnAcrossBallots: { reference: 'tlaplus/Examples Voting.tla (ChosenAt)', breaks: 'LearnersAgree', summary: 'a learner counts same-value acceptances from different ballots as a quorum' },
};

const msToUs = (ms: number) => Math.round(ms * 1000);

/** The scenario's tickTime (ZAB's, and the session bounds' of both protocols). */
function tickTimeUs(scenario: Scenario): number {
  return scenario.cluster.tickTimeMs !== undefined ? msToUs(scenario.cluster.tickTimeMs) : DEFAULT_ZAB_CONFIG.tickTimeUs;
}

/** The Paxos leader's heartbeat: a quarter of the scenario's election timeout, or the default. */
function paxosHeartbeatUs(scenario: Scenario): number {
  const electionTimeoutMs = scenario.cluster.electionTimeoutMs;
  return electionTimeoutMs !== undefined ? Math.max(1, Math.round(msToUs(electionTimeoutMs) / 4)) : DEFAULT_PAXOS_CONFIG.heartbeatIntervalUs;
}

/**
 * The shortest session a Paxos leader can keep alive: four heartbeats. Its followers
 * report their clients' touches once per heartbeat (in the ack), as ZooKeeper's followers
 * do in their answers to the leader's pings, which come every half tick: ZooKeeper's
 * shortest session, 2 ticks, spans four of them. Under a heartbeat longer than half a tick,
 * a 2-tick session expired between two reports with no fault at all (h36's shortsession
 * mix, paxos 13: tickTime 2 ms, heartbeat 5 ms, 4 ms sessions closed every few ms).
 */
export function paxosSessionFloorUs(heartbeatUs: number): number {
  return 4 * heartbeatUs;
}

/**
 * ZooKeeper's default session timeout bounds, 2 and 20 ticks, for either protocol's
 * servers; a Paxos server's minimum is at least four heartbeats (paxosSessionFloorUs).
 */
function sessionTimeoutBounds(scenario: Scenario, protocol: ProtocolName): { minSessionTimeoutUs: number; maxSessionTimeoutUs: number } {
  const tickUs = tickTimeUs(scenario);
  const minSessionTimeoutUs = Math.max(MIN_SESSION_TIMEOUT_TICKS * tickUs, protocol === 'paxos' ? paxosSessionFloorUs(paxosHeartbeatUs(scenario)) : 0);
  return { minSessionTimeoutUs, maxSessionTimeoutUs: Math.max(MAX_SESSION_TIMEOUT_TICKS * tickUs, minSessionTimeoutUs) };
}

/** The session timeout a protocol's servers grant a client that asks for `requestedUs` (clamped to their bounds, ZooKeeperServer.processConnectRequest). */
export function grantedSessionTimeoutUs(scenario: Scenario, protocol: ProtocolName, requestedUs: number): number {
  const { minSessionTimeoutUs, maxSessionTimeoutUs } = sessionTimeoutBounds(scenario, protocol);
  return Math.min(Math.max(requestedUs, minSessionTimeoutUs), maxSessionTimeoutUs);
}

export const paxosAdapter: ProtocolAdapter = {
  name: 'paxos',
  channel: 'datagram',
  leaderRoles: ['LEADER'],
  // The service takes requests once the server knows a leader (it refuses NOTREADY before).
  inService: (snapshot) => snapshot.leader !== null && snapshot.leader !== undefined && snapshot.role !== 'CANDIDATE',
  bugs: PAXOS_BUGS.map((name) => ({ name, ...PAXOS_BUG_INFO[name] })),
  factory(scenario: Scenario, bugs: ReadonlySet<string>): NodeFactory<Message> {
    const electionTimeoutUs = scenario.cluster.electionTimeoutMs !== undefined ? msToUs(scenario.cluster.electionTimeoutMs) : undefined;
    const config = paxosConfig({
      ...(electionTimeoutUs !== undefined ? { electionTimeoutUs, heartbeatIntervalUs: paxosHeartbeatUs(scenario) } : {}),
      ...sessionTimeoutBounds(scenario, 'paxos'),
      bugs: [...bugs].filter((bug): bug is PaxosBug => (PAXOS_BUGS as readonly string[]).includes(bug)),
    });
    return paxosFactory(config) as unknown as NodeFactory<Message>;
  },
  attachInvariants: (cluster) => attachPaxosInvariants(cluster),
};

/** "ZOOKEEPER-2845 (B5): …" → reference "ZOOKEEPER-2845", the rest as the summary. */
function zabBugInfo(name: string, text: string): BugInfo {
  const match = /^(ZOOKEEPER-\d+|[A-Z][\w-]*\s?\d*)[^:]*:\s*(.*)$/s.exec(text);
  const breaks = /Breaks? `?([A-Za-z][A-Za-z0-9]*)`?/.exec(text)?.[1] ?? (/liveness/i.test(text) ? 'liveness' : 'invariants');
  return match && match[1].startsWith('ZOOKEEPER') ? { name, reference: match[1], breaks, summary: match[2] } : { name, reference: 'test switch', breaks, summary: text };
}

/**
 * ZAB servers still electing because FastLeaderElection backed off: a server that hears
 * nothing re-sends its vote after a timeout that starts at finalizeWait (200 ms) and
 * doubles up to maxNotificationInterval (60 s), and a notification it receives restarts
 * the wait at the current length, never the first (FastLeaderElection.lookForLeader). A
 * server cut off for seconds during the story has backed off to seconds; once healed, the
 * settled ensemble says nothing to it until it votes again, so it joins only at its next
 * re-send, which can fall after the quiet time. ZooKeeper does the same: the scenario's
 * quiet time (healMs) is too short for it, not a bug.
 */
function zabStillWaiting(cluster: Cluster<Message>): string[] {
  const out: string[] = [];
  const endUs = cluster.nowUs;
  for (const n of cluster.serverIds) {
    if (!cluster.isUp(n)) continue;
    const snapshot = cluster.inspect(n);
    if (snapshot.role !== 'LOOKING') continue;
    const resend = cluster.timersOf(n).find(([name]) => name === FLE_TIMER);
    if (resend === undefined || resend[1] <= endUs) continue;
    const vote = snapshot.vote as { leader: number } | undefined;
    out.push(
      `server ${n} is still electing (round ${String(snapshot.round)}${vote === undefined ? '' : `, voting for ${vote.leader}`}): its election backed off while it heard nothing (FastLeaderElection doubles the wait up to 60 s, as ZooKeeper's does), and it sends its vote again only at ${(resend[1] / 1e6).toFixed(3)} s, after the quiet time ended at ${(endUs / 1e6).toFixed(3)} s: a quiet time (healMs) too short for this story, not a bug`,
    );
  }
  return out;
}

export const zabAdapter: ProtocolAdapter = {
  name: 'zab',
  channel: 'connection',
  leaderRoles: ['LEADING'],
  inService: (snapshot) => snapshot.zabState === 'BROADCAST' && snapshot.role !== 'LOOKING' && snapshot.role !== 'BROKEN',
  stillWaiting: zabStillWaiting,
  bugs: Object.entries(ZAB_BUGS).map(([name, text]) => zabBugInfo(name, text)),
  factory(scenario: Scenario, bugs: ReadonlySet<string>): NodeFactory<Message> {
    const c = scenario.cluster;
    // finalizeWait and maxNotificationInterval stay FastLeaderElection's constants whatever the tickTime.
    const config = zabConfig({
      tickTimeUs: tickTimeUs(scenario),
      ...sessionTimeoutBounds(scenario, 'zab'),
      ...(c.initLimit !== undefined ? { initLimit: c.initLimit } : {}),
      ...(c.syncLimit !== undefined ? { syncLimit: c.syncLimit } : {}),
      ...(c.counterBits !== undefined ? { counterBits: c.counterBits } : {}),
      ...(c.committedLogSize !== undefined ? { committedLogSize: c.committedLogSize } : {}),
      ...(c.observers !== undefined ? { observers: c.observers } : {}),
      bugs: [...bugs].filter((bug) => bug in ZAB_BUGS),
    });
    return zabFactory(config) as unknown as NodeFactory<Message>;
  },
  attachInvariants: (cluster) => attachZabInvariants(cluster),
};

export const PROTOCOLS: Partial<Record<ProtocolName, ProtocolAdapter>> = { zab: zabAdapter, paxos: paxosAdapter };

export function protocolAdapter(name: string): ProtocolAdapter {
  const adapter = PROTOCOLS[name as ProtocolName];
  if (adapter === undefined) throw new Error(`unknown protocol "${name}" (known: ${Object.keys(PROTOCOLS).join(', ')})`);
  return adapter;
}

/** Every bug switch of every protocol, by name. */
export function allBugs(): (BugInfo & { protocol: string })[] {
  return Object.values(PROTOCOLS).flatMap((adapter) => adapter!.bugs.map((bug) => ({ ...bug, protocol: adapter!.name })));
}
