/**
 * ZAB's wire messages: FLE notifications and ZooKeeper's quorum packets (PROTOCOLS.md §6).
 *
 * All travel on the cluster's 'connection' channel: FIFO per pair of servers, and a
 * lost message breaks the connection (every later one is lost too), as TCP does. Field
 * names follow ZooKeeper's QuorumPacket (`zxid`) where a packet has one; payloads that
 * ZooKeeper serializes into `data` are explicit fields here.
 *
 * Messages are immutable once sent: one PROPOSAL or COMMIT object goes to every learner,
 * and a PROPOSAL's `entry` is the very object the receivers log (no copies).
 */
import type { DataTreeJSON, Txn, ZkRequest } from '../store/types.js';

export type ServerState = 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING';
export type ZabState = 'ELECTION' | 'DISCOVERY' | 'SYNCHRONIZATION' | 'BROADCAST';
export type SyncMode = 'DIFF' | 'TRUNC' | 'SNAP';

/** Where a client request came from: the server that owns the client's connection answers it. */
export interface Route {
  readonly server: number;
  readonly clientId: number;
  readonly requestId: number;
  /** The client's session (0 for a createSession: the leader picks the id). */
  readonly sessionId: number;
}

/** One txn of the history, as logged (storage log "txnlog") and as proposed. */
export interface LogEntry {
  readonly zxid: number;
  readonly txn: Txn;
  /** Present when a client asked for it (the connected server replies on commit). */
  readonly route?: Route;
  /** A quorum read: the txn is a no-op; the connected server evaluates this read when it applies it. */
  readonly read?: ZkRequest;
}

/** FLE notification (FastLeaderElection.Notification / ToSend). */
export interface Notification {
  readonly type: 'NOTIFICATION';
  /** Proposed leader. */
  readonly leader: number;
  /** Proposed leader's last zxid. */
  readonly zxid: number;
  /** The sender's logicalclock (election round). */
  readonly electionEpoch: number;
  readonly state: ServerState;
  /** The sender (also known from the transport; kept for the viewer). */
  readonly sid: number;
  /** The proposed leader's currentEpoch. */
  readonly peerEpoch: number;
}

export type ZabMessage =
  | Notification
  /** Learner → leader: its acceptedEpoch as zxid (e, 0); `attempt` tells a retry from a new connection. */
  | { readonly type: 'FOLLOWERINFO' | 'OBSERVERINFO'; readonly zxid: number; readonly acceptedEpoch: number; readonly attempt: number }
  /**
   * Leader → learner: the new epoch, as (e, 0) (the paper's NEWEPOCH). `attempt` echoes
   * the FOLLOWERINFO's: one simulated link carries a pair's successive connections, so a
   * learner tells the answer to this connection from one to an earlier one.
   */
  | { readonly type: 'LEADERINFO'; readonly zxid: number; readonly epoch: number; readonly attempt: number }
  /** Learner → leader: its last zxid, and its currentEpoch (-1: the epoch was already accepted). */
  | { readonly type: 'ACKEPOCH'; readonly zxid: number; readonly currentEpoch: number }
  | { readonly type: 'DIFF'; readonly zxid: number }
  | { readonly type: 'TRUNC'; readonly zxid: number }
  /** The leader's tree as of `zxid` (a private copy; the learner copies it again). */
  | { readonly type: 'SNAP'; readonly zxid: number; readonly snapshot: DataTreeJSON }
  | { readonly type: 'NEWLEADER'; readonly zxid: number }
  | { readonly type: 'UPTODATE'; readonly zxid: number }
  | { readonly type: 'PROPOSAL'; readonly entry: LogEntry }
  | { readonly type: 'ACK'; readonly zxid: number }
  | { readonly type: 'COMMIT'; readonly zxid: number }
  | { readonly type: 'INFORM'; readonly entry: LogEntry }
  /** Leader → learner: heartbeat (zxid = lastProposed). Learner → leader: the answer, with the sessions its clients touched. */
  | { readonly type: 'PING'; readonly zxid: number; readonly touches?: readonly number[] }
  /** Learner → leader: a client write, createSession/closeSession, quorum read (`read`) or sync (`req.op === 'sync'`). */
  | { readonly type: 'REQUEST'; readonly route: Route; readonly req: ZkRequest; readonly quorumRead?: boolean }
  /** Leader → learner: a client's sync is ordered after every proposal the leader made before it. */
  | { readonly type: 'SYNC'; readonly route: Route }
  /**
   * Learner → leader: a client reconnects with this session: is it still open? (touches it).
   * Leader → learner: the answer, `valid` (Learner.validateSession / LearnerHandler REVALIDATE).
   */
  | { readonly type: 'REVALIDATE'; readonly route: Route; readonly valid?: boolean }
  /**
   * The sender closed the quorum connection (TCP FIN). ZooKeeper closes its sockets when
   * a server leaves a role; the peer's blocked read fails at once instead of timing out.
   */
  | { readonly type: 'CLOSE'; readonly attempt: number };

export type ZabMessageType = ZabMessage['type'];

export type MessageOf<T extends ZabMessageType> = Extract<ZabMessage, { type: T }>;
