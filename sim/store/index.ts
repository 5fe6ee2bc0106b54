/**
 * The replicated data tree shared by the ZAB and Paxos implementations: a ZooKeeper-like
 * znode tree with sessions, ephemeral and sequential nodes, versions (CAS), multi and
 * one-shot watches.
 *
 * Flow of a write (as in ZooKeeper):
 *   leader:   txn = prepRequest(speculativeTree, request, sessionId, zxid);
 *             speculativeTree.apply(txn, zxid)         // so the next prep sees it
 *   replicas: { result, events } = tree.apply(txn, zxid) // in zxid order, on commit
 *             watchManager.trigger(events)               // notify watching sessions
 *   the server holding the client's connection replies `result`.
 * A read is served locally: tree.read(request), then watchManager.registerRead(...).
 *
 * Why a txn is an idempotent delta: replicas must reach identical states without
 * re-deciding anything, and recovery replays logs over snapshots that may already contain
 * some of the txns. So a txn holds the outcome with absolute values (final path, new
 * version, the parent's new cversion) and applying one that is already reflected changes
 * nothing (see tree.ts).
 *
 * Why cversion drives sequential names: the suffix is the parent's cversion when the
 * leader preps the create; every create of a child bumps it (a delete does not, since
 * ZOOKEEPER-1046), so names are unique and increasing per parent even with many creates
 * in flight (see prep.ts).
 */

export type {
  ApplyOutcome,
  CreateMode,
  DataTreeJSON,
  ExistsResult,
  GetChildrenResult,
  GetDataResult,
  MultiErrorCode,
  NodeView,
  SessionInfo,
  Stat,
  Txn,
  TxnType,
  WatchEvent,
  WatchEventType,
  WatchNotification,
  ZkErrorCode,
  ZkFail,
  ZkOk,
  ZkOp,
  ZkRequest,
  ZkResult,
} from './types.js';
export { DataTree, FAIL } from './tree.js';
export { ERROR_TXN, isWriteRequest, nextVersion, prepRequest } from './prep.js';
export type { PrepView } from './prep.js';
export { WatchManager } from './watches.js';
export { isValidPath, nameOf, parentOf, sequentialSuffix } from './path.js';
