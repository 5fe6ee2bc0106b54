/**
 * The wire protocol between client sessions and servers, shared by every protocol
 * (ZAB and Paxos serve the same clients, so their histories are checked alike).
 *
 * Client → server request bodies (ClientRequest.body):
 * - `connect`: open a new session (no sessionId) or move an existing one to this server.
 *   `lastZxid` is the newest zxid the client has seen: a server whose tree is behind it
 *   refuses (ZooKeeper's single system image), so reads never go backwards. With a
 *   session it also carries the client's watches (SetWatches): the server re-registers
 *   them and at once fires those whose node changed after `lastZxid`.
 * - `op`: a data-tree request in the session. `readMode` applies to reads:
 *   `local` (served from the connected server's tree, maybe stale), `sync` (the server
 *   first syncs with the leader, then reads) or `quorum` (the read is ordered through
 *   the protocol like a write and answered when it is applied: linearizable).
 * - `ping`: keeps the session alive (the server touches it).
 * - `close`: closes the session (a closeSession txn).
 *
 * Server → client replies (to a request) and notifications (unsolicited): see below.
 */
import type { ZkRequest, ZkResult } from '../store/types.js';

export type ReadMode = 'local' | 'sync' | 'quorum';

/**
 * The watches a client re-registers when it reconnects with its session (ZooKeeper's
 * SetWatches, sent by ClientCnxn.primeConnection): paths it watches with getData
 * (`data`), with exists on a missing node (`exist`) and with getChildren (`child`).
 */
export interface WatchSet {
  readonly data: readonly string[];
  readonly exist: readonly string[];
  readonly child: readonly string[];
}

export type ClientBody =
  /** `watches`: SetWatches, relative to `lastZxid` (only with a session, only when non-empty). */
  | { kind: 'connect'; sessionId?: number; lastZxid: number; timeoutUs: number; watches?: WatchSet }
  | { kind: 'op'; sessionId: number; req: ZkRequest; readMode?: ReadMode }
  | { kind: 'ping'; sessionId: number }
  | { kind: 'close'; sessionId: number };

/** Why a server refused a request without executing it: the client may retry elsewhere. */
export type RefusalCode =
  /** The server is not serving (electing, syncing, down-and-back, not connected to a leader). */
  | 'NOTREADY'
  /** The server's state is older than what the client has already seen. */
  | 'BEHIND'
  /** The session is unknown or expired: the client must give up the session. */
  | 'SESSIONEXPIRED'
  /**
   * The server has no connection for the session (it restarted, or closed its connections
   * when it stopped serving): ZooKeeper's client would have seen its connection drop. Not
   * executed; the client reconnects, sending its watches (SetWatches).
   */
  | 'CONNECTIONLOSS';

export type ClientReply =
  /**
   * `timeoutUs`: the session timeout the server granted (the request clamped to
   * minSessionTimeout..maxSessionTimeout, ZooKeeperServer.processConnectRequest); the
   * client runs its pings and read timeout on it (ClientCnxn.onConnected).
   */
  | { kind: 'connected'; sessionId: number; zxid: number; timeoutUs?: number }
  /** `zxid`: the server's lastProcessedZxid when it answered (the client tracks the max). */
  | { kind: 'result'; result: ZkResult; zxid: number }
  | { kind: 'pong'; zxid: number }
  | { kind: 'refused'; code: RefusalCode };

export type ClientNotification =
  | { kind: 'watch'; path: string; type: 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged'; zxid: number }
  | { kind: 'expired'; sessionId: number }
  | { kind: 'disconnected' };
