/**
 * What the scenario runner needs from a protocol: a node factory configured from the
 * scenario, the network channel it assumes, its bug switches, and its invariant
 * checker. The registry (protocols.ts) lists the implementations.
 */
import type { Message, NodeFactory, NodeSnapshot } from '../core/node.js';
import type { ChannelKind } from '../net/network.js';
import type { Cluster } from '../net/cluster.js';
import type { Scenario } from './types.js';

export interface InvariantMonitor {
  readonly violations: readonly { invariant: string; message: string; seqs?: readonly number[]; timeUs?: number }[];
  /** Safety checks that only make sense once the cluster has healed and quiesced. */
  finalCheck?(): void;
  /** The txns committed so far, in commit order (`index`: zxid or slot; `txn` undefined for a no-op). */
  committedTxns?(): readonly { index: number; txn: unknown }[];
  /**
   * After finalCheck: servers that have not caught up with what was committed, one line
   * each. Not a safety violation: a liveness failure (the run did not converge in time).
   */
  lagging?(): readonly string[];
}

export interface BugInfo {
  name: string;
  /** JIRA id or paper reference. */
  reference: string;
  /** The invariant (or liveness check) it breaks. */
  breaks: string;
  summary: string;
}

export interface ProtocolAdapter {
  readonly name: string;
  readonly channel: ChannelKind;
  /** Roles that mean "this node leads" in `state` trace events. */
  readonly leaderRoles: readonly string[];
  readonly bugs: readonly BugInfo[];
  /** Whether a server serves clients, from its inspect() snapshot (for `recovers`). */
  inService?(snapshot: NodeSnapshot): boolean;
  /**
   * Why servers are still out of service when the quiet time ends, where the protocol's
   * own timers explain it (a ZAB server whose election backed off past the end): one
   * sentence each, read by a liveness failure's report. Empty when nothing explains it.
   */
  stillWaiting?(cluster: Cluster<Message>): string[];
  factory(scenario: Scenario, bugs: ReadonlySet<string>): NodeFactory<Message>;
  attachInvariants(cluster: Cluster<Message>): InvariantMonitor;
}
