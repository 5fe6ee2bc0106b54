/**
 * ZAB, as Apache ZooKeeper runs it: Fast Leader Election, then Discovery,
 * Synchronization and Broadcast (PROTOCOLS.md §1–§8), over the cluster's FIFO
 * 'connection' channel. See node.ts for the shared state and its three durability
 * horizons, election.ts, leader.ts and learner.ts for the roles, service.ts for clients.
 *
 *   new Cluster({ servers: 3, factory: zabFactory(DEFAULT_ZAB_CONFIG), seed, network: { channel: 'connection', … } })
 *
 * Trace events recorded by the servers (besides send / deliver / note):
 * - `state` {role: LOOKING | FOLLOWING | LEADING | OBSERVING (BROKEN: refused to start),
 *   zabState: ELECTION | DISCOVERY | SYNCHRONIZATION | BROADCAST, acceptedEpoch,
 *   currentEpoch, leader} whenever one of them changes;
 * - `vote` {leader, zxid, epoch, round, reason} when a server changes its FLE vote;
 * - `election` {leader, epoch, quorum} when a leader is established (a quorum of NEWLEADER ACKs);
 * - `sync-mode` {learner, mode: DIFF | TRUNC | SNAP, zxid, peerZxid, txns} (leader side);
 * - `propose` {index: zxid, label: "e:c", origin: "zab:e<epoch>", originSeq: counter, txn};
 * - `logged` {zxid, txn} when a txn log entry is durable on the server;
 * - `commit` {index, label, origin, originSeq, txn, replay?, sync?} when a server applies
 *   a txn to its tree (every server, the leader included); `replay: true` when it comes
 *   from the server's own log (fast-forward on the way back to LOOKING): not known
 *   committed; `sync: true` when a learner applies it during synchronization: committed
 *   once its leader is established;
 * - `sync-answer` {server, client, request, epoch, zxid} when the leader answers a client's
 *   sync (forwarded by `server`; `client` and `request` name the request on the wire),
 *   with its epoch and last committed zxid;
 * - `truncate` {zxid, label, dropped} when a learner cuts its log on TRUNC;
 * - `snap` {zxid, leader, label} when a learner's tree is replaced by the leader's snapshot;
 * - `snapshot` {zxid, label, logStart, newHistory?} when a snapshot is written durably
 *   (`newHistory`: a SNAP sync's, after which the older snapshots and log are of no use);
 * - `snapshot-fallback` {zxid, label, from} when a TRUNC below the newest snapshot starts
 *   from the older snapshot at `zxid` (the newer ones are dropped);
 * - `newleader` {leader, epoch, zxid, mode} when a learner acknowledges NEWLEADER
 *   (its history and currentEpoch are durable);
 * - `restore` {reason: start | exit | aborted-sync, snapshotZxid, logStart, replayed,
 *   lastProcessedZxid, acceptedEpoch, currentEpoch} when the tree is rebuilt from disk.
 */
import type { NodeFactory } from '../core/node.js';
import type { ZabConfig } from './config.js';
import { validateZabConfig } from './config.js';
import type { ZabMessage } from './messages.js';
import { ZabNode } from './node.js';

export { DEFAULT_ZAB_CONFIG, FLE_FINALIZE_WAIT_US, FLE_MAX_NOTIFICATION_INTERVAL_US, MIN_SESSION_TIMEOUT_TICKS, MAX_SESSION_TIMEOUT_TICKS, ZAB_BUGS, zabConfig, validateZabConfig, type ZabBug, type ZabConfig } from './config.js';
export type { LogEntry, MessageOf, Notification, Route, ServerState, SyncMode, ZabMessage, ZabMessageType, ZabState } from './messages.js';
export { ZabNode, SNAPSHOT_KEY, ACCEPTED_EPOCH_KEY, CURRENT_EPOCH_KEY, type SnapshotRecord } from './node.js';
export { TXN_LOG } from './log-writer.js';
export { planSync, type SyncPlan } from './sync-plan.js';
export { isBetterVote, type Vote } from './vote.js';
export { FLE_TIMER } from './election.js';
export { counterOf, DEFAULT_COUNTER_BITS, epochOf, formatZxid, makeZxid, maxProposableCounter, ZxidCodec } from './zxid.js';

export function zabFactory(config: ZabConfig): NodeFactory<ZabMessage> {
  validateZabConfig(config);
  return (id) => new ZabNode(id, config);
}
