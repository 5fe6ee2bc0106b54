/**
 * What Multi-Paxos nodes agree on (commands) and what they send each other.
 *
 * A slot's value is a {@link Command}: a write already turned into a txn by the leader
 * that generated it (ZooKeeper-style prep against the leader's speculative tree), a
 * quorum read, or a no-op that fills a gap. A command keeps its identity (`id`) and
 * its origin when a later leader re-proposes it, so the checkers can tell values apart
 * and trace where each one came from.
 */
import type { NodeId } from '../core/node.js';
import type { ReadMode } from '../client/protocol.js';
import type { Txn, ZkRequest } from '../store/types.js';

/** `move`: a session's client reconnected; the connection it came through owns the session from this slot on. */
export type CommandKind = 'txn' | 'read' | 'noop' | 'move';

/** Where the result of a command goes: the server holding the client's connection. */
export interface Route {
  readonly server: NodeId;
  readonly clientId: number;
  readonly requestId: number;
  readonly sessionId: number;
  /**
   * The client connection the request came through: the key of the connect request that
   * opened it (see connectionKey). A session's writes count only from the connection
   * that owns it (sessions.ts, SessionOwners).
   */
  readonly connection: number;
}

/** A client connection's identity: its connect request, (client, request number) as one number. */
export function connectionKey(clientId: number, requestId: number): number {
  return clientId * 4_294_967_296 + requestId;
}

/** A reconnect with a session, forwarded to the leader: ordered as a `move` command. */
export interface MoveSessionRequest {
  readonly op: 'moveSession';
}

export interface Command {
  /** Unique per generated value: `n<node>.b<ballot>.<k>`, `….r<k>` (reads), `….noop<slot>`. */
  readonly id: string;
  readonly kind: CommandKind;
  /** The leader (ballot) that generated it: `paxos:b<ballot>`. */
  readonly origin: string;
  /** For txns: the k-th txn this leader generated in this ballot (1, 2, …); 0 otherwise. */
  readonly originSeq: number;
  /** Ballot of the leader that generated it (its primary, in Zab's words). */
  readonly ballot: number;
  readonly txn?: Txn;
  /**
   * Txns: digest of the generating leader's speculative tree just before this txn,
   * i.e. of the state the txn was computed against (see apply.ts).
   */
  readonly basis?: number;
  /** The read of a quorum read. */
  readonly read?: ZkRequest;
  readonly route?: Route;
}

/** One slot's vote as an acceptor stores and reports it. */
export interface Vote {
  readonly slot: number;
  readonly ballot: number;
  readonly value: Command;
}

/** Phase 1a: promise me ballot `ballot`, and tell me what you accepted in slots ≥ fromSlot. */
export interface PrepareMsg {
  readonly type: 'Prepare';
  readonly ballot: number;
  readonly fromSlot: number;
}

/** Phase 1b. */
export interface PromiseMsg {
  readonly type: 'Promise';
  readonly ballot: number;
  readonly fromSlot: number;
  readonly accepted: readonly Vote[];
}

/**
 * Phase 2a, for one or more slots. Each entry is the vote it asks for, its ballot the
 * message's: an acceptor stores the entry itself as its vote, its Accepted passes the
 * same entries on, and a learner learns the entry itself. One object per proposed slot
 * serves every node, where each acceptor and each learner made its own copy (two
 * objects per node per write, all of them kept in the logs).
 */
export interface AcceptMsg {
  readonly type: 'Accept';
  readonly ballot: number;
  readonly entries: readonly Vote[];
}

/** Phase 2b, sent by each acceptor to every learner (every server). */
export interface AcceptedMsg {
  readonly type: 'Accepted';
  readonly ballot: number;
  /** The Accept's entries (votes at `ballot`). */
  readonly entries: readonly Vote[];
}

/**
 * Pre-vote (Raft's PreVote, §9.6 of Ongaro's thesis): "would you help me run phase 1
 * with `ballot`?" Asked before the ballot is used, so a node that was cut off does not
 * raise ballots (and depose a healthy leader when it comes back). Changes no state.
 */
export interface ProbeMsg {
  readonly type: 'Probe';
  readonly ballot: number;
}

/** `ok`: the sender heard no live leader lately and has promised nothing as high. */
export interface ProbeReplyMsg {
  readonly type: 'ProbeReply';
  readonly ballot: number;
  readonly ok: boolean;
  readonly promised: number;
}

/** "I promised a higher ballot": the sender of `ballot` has been overtaken. */
export interface NackMsg {
  readonly type: 'Nack';
  readonly ballot: number;
  readonly promised: number;
}

export interface HeartbeatMsg {
  readonly type: 'Heartbeat';
  readonly ballot: number;
  readonly seq: number;
  /** The leader's contiguous chosen prefix (learners behind it catch up). */
  readonly chosenPrefix: number;
  /**
   * Per server, the stamp of the latest of its touch reports this leader received
   * (-1: none): the server forgets the touches it reported before that stamp.
   */
  readonly touchStampsUs: readonly number[];
}

export interface HeartbeatAckMsg {
  readonly type: 'HeartbeatAck';
  readonly ballot: number;
  readonly seq: number;
  readonly chosenPrefix: number;
  /**
   * Sessions touched by clients at the sender that the leader has not confirmed yet:
   * resent in every ack until a heartbeat echoes a later stamp, so a lost or
   * reordered datagram loses no touch.
   */
  readonly touches: readonly number[];
  /** When the sender sent this ack, by its own clock: never smaller than an earlier ack's, across restarts too. */
  readonly stampUs: number;
}

/**
 * A write, quorum read, session open or close, forwarded to the leader. `ballot` is
 * the ballot the sender believes the receiver leads: a leader takes only forwards of
 * its current ballot, so a duplicated datagram reaching it in a later term (after it
 * may already have proposed the original) is never proposed twice.
 */
export interface ForwardMsg {
  readonly type: 'Forward';
  readonly ballot: number;
  readonly route: Route;
  readonly req: ZkRequest | MoveSessionRequest;
  readonly readMode?: ReadMode;
}

/**
 * The receiver did not take the request. `definite`: it certainly never proposed it
 * (the client may be told NOTREADY); otherwise it is not the leader of `ballot` (any
 * more) and cannot know whether it proposed an earlier copy, so the request's outcome
 * is unknown and the sender forgets it (its client times out).
 */
export interface ForwardRefusedMsg {
  readonly type: 'ForwardRefused';
  readonly clientId: number;
  readonly requestId: number;
  readonly ballot: number;
  readonly definite: boolean;
}

/** Read-index request for `sync` reads (read-only: refusing it is always definite). */
export interface SyncReqMsg {
  readonly type: 'SyncReq';
  readonly ballot: number;
  readonly clientId: number;
  readonly requestId: number;
}

/** A quorum confirmed the leader after the request arrived; reading at ≥ readIndex is current. */
export interface SyncOkMsg {
  readonly type: 'SyncOk';
  readonly clientId: number;
  readonly requestId: number;
  readonly readIndex: number;
}

export interface CatchUpReqMsg {
  readonly type: 'CatchUpReq';
  readonly fromSlot: number;
}

export interface CatchUpMsg {
  readonly type: 'CatchUp';
  readonly entries: readonly Vote[];
}

export type PaxosMessage =
  | ProbeMsg
  | ProbeReplyMsg
  | PrepareMsg
  | PromiseMsg
  | AcceptMsg
  | AcceptedMsg
  | NackMsg
  | HeartbeatMsg
  | HeartbeatAckMsg
  | ForwardMsg
  | ForwardRefusedMsg
  | SyncReqMsg
  | SyncOkMsg
  | CatchUpReqMsg
  | CatchUpMsg;

/** Short human label of a command, for traces and state panels. */
export function commandLabel(command: Command): string {
  switch (command.kind) {
    case 'noop':
      return 'no-op';
    case 'move':
      return `move session ${command.route?.sessionId ?? '?'} to server ${command.route?.server ?? '?'}`;
    case 'read':
      return `read ${command.read?.op ?? '?'} ${'path' in (command.read ?? {}) ? (command.read as { path: string }).path : ''}`.trimEnd();
    case 'txn':
      return txnLabel(command.txn!);
  }
}

function txnLabel(txn: Txn): string {
  switch (txn.type) {
    case 'create':
    case 'delete':
    case 'setData':
    case 'check':
      return `${txn.type} ${txn.path}`;
    case 'createSession':
    case 'closeSession':
      return `${txn.type} ${txn.sessionId}`;
    case 'multi':
      return `multi(${txn.txns.length})`;
    case 'error':
      return `error ${txn.code}`;
  }
}

/** Origin string of a ballot's leader, as commit and propose events carry it. */
export function originOf(ballot: number): string {
  return `paxos:b${ballot}`;
}
