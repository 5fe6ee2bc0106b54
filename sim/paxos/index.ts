/**
 * Multi-Paxos over the same node API, data tree, client sessions and workloads as ZAB,
 * so that every scenario can run with `--protocol paxos` and the two can be compared on
 * the same seed and faults. See node.ts for the protocol, service.ts for the client
 * semantics (read modes), config.ts for timing and the injectable bugs.
 *
 * Runs over datagrams: `new Cluster({ …, factory: paxosFactory(DEFAULT_PAXOS_CONFIG),
 * network: { channel: 'datagram', … } })`.
 *
 * Trace events recorded by the nodes (besides `send` / `deliver` / `note`):
 * - `state` {role: LEADER | CANDIDATE | FOLLOWER, ballot, leader} when one changes;
 * - `election` {leader, epoch: ballot, fromSlot, promises} when a candidate wins phase 1;
 * - `promise` {ballot, fromSlot, votes} when an acceptor's promise is durable and sent;
 * - `propose` {index: slot, label, origin, originSeq, txn, command, value, ballot,
 *   dependsOn?, recovered?} when the leader sends Accept for a new or recovered value;
 * - `accepted` {slot, ballot, value, label} when an acceptor's vote is durable and sent;
 * - `chosen` {slot, ballot, value, via: quorum | catch-up, voters} when a learner learns a
 *   slot (`voters`: the distinct acceptors whose Accepted made the quorum, via quorum only);
 * - `commit` {index: slot, label, origin, originSeq, txn, command, value, ballot, replay?}
 *   when a node applies a slot to its tree (no-ops and quorum reads too; `replay` on
 *   restart, from the node's own disk).
 * `value` is the command's id (equal ids mean the same proposed value); `command` is
 * its kind: txn | read (a quorum read) | noop (a gap filler).
 */
import type { NodeFactory } from '../core/node.js';
import type { PaxosConfig } from './config.js';
import type { PaxosMessage } from './messages.js';
import { PaxosNode } from './node.js';

export { DEFAULT_PAXOS_CONFIG, PAXOS_BUGS, paxosConfig, type PaxosBug, type PaxosConfig } from './config.js';
export { commandLabel, originOf, type Command, type CommandKind, type PaxosMessage, type Route, type Vote } from './messages.js';
export { PaxosNode, type PaxosRole } from './node.js';
export { makeBallot, roundOf, type BallotScheme } from './ballot.js';

export function paxosFactory(config: PaxosConfig): NodeFactory<PaxosMessage> {
  return (id) => new PaxosNode(id, config);
}
