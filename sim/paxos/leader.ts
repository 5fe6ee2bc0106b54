/**
 * Proposer state: a candidate running phase 1, and a leader running phase 2.
 *
 * Multi-Paxos's leader runs phase 1 once, for every slot above its chosen prefix, and
 * then only phase 2 per command. On winning it must make the slots it learned about
 * safe before proposing anything new: in each slot some promise reported, it re-proposes
 * the value with the highest ballot (it may have been chosen); it fills the remaining
 * gaps with no-ops (nothing can have been chosen there, and execution must not block).
 * New commands then go above all of them.
 */
import type { NodeId } from '../core/node.js';
import type { DataTree } from '../store/index.js';
import { originOf, type Command, type PromiseMsg, type Vote } from './messages.js';
import { SessionTracker, type SessionOwners } from './sessions.js';

export class Candidacy {
  /** Promises by acceptor, in arrival order. */
  readonly promises = new Map<NodeId, PromiseMsg>();

  constructor(
    readonly ballot: number,
    readonly fromSlot: number,
    public lastSentUs: number,
  ) {}
}

/**
 * Per slot, the value to re-propose: the vote with the highest ballot among the
 * promises (PMS phase 2a). Under `pickFirstNotHighest` the first reported vote of the
 * slot (in promise arrival order) is kept instead.
 */
export function recoverSlots(promises: Iterable<PromiseMsg>, pickFirstNotHighest: boolean): Map<number, Vote> {
  const best = new Map<number, Vote>();
  for (const promise of promises) {
    for (const vote of promise.accepted) {
      const current = best.get(vote.slot);
      if (current === undefined) best.set(vote.slot, vote);
      else if (!pickFirstNotHighest && vote.ballot > current.ballot) best.set(vote.slot, vote);
    }
  }
  return best;
}

export interface Proposal {
  readonly value: Command;
  /** When Accept was last sent for it (retransmitted after acceptRetryUs). */
  sentUs: number;
}

/** A read-index request waiting for a quorum to confirm the leader. */
export interface PendingSync {
  readonly server: NodeId;
  readonly clientId: number;
  readonly requestId: number;
  readonly readIndex: number;
  /** Heartbeat round whose acks confirm it. */
  readonly seq: number;
}

export class LeaderState {
  /**
   * The origin of this leader's commands (originOf(ballot)) and the start of their ids
   * (`n<node>.b<ballot>.`): made once per ballot, not formatted again for every write.
   */
  readonly origin: string;
  readonly idPrefix: string;
  /** Next free slot for a new command. */
  nextSlot = 1;
  /** Txns generated in this ballot (originSeq of the last one). */
  txnSeq = 0;
  readSeq = 0;
  sessionSeq = 0;
  moveSeq = 0;
  /** Proposed slots not yet learned as chosen. */
  readonly proposals = new Map<number, Proposal>();
  heartbeatSeq = 0;
  /** Highest heartbeat round each server acknowledged, and when it last did. */
  readonly ackSeq: number[];
  readonly lastAckUs: number[];
  readonly syncs: PendingSync[] = [];
  /** When each open session expires unless touched (a closeSession proposed stops its tracking). */
  readonly sessions: SessionTracker;
  /**
   * Per server, the stamp of the latest heartbeat ack carrying touches that this leader
   * received: echoed in heartbeats, so each server knows which touches arrived.
   */
  private readonly touchStampsUs: number[];
  private touchStampsSnapshot: readonly number[] | null = null;
  /** Per client, the highest request id proposed: later duplicates and stragglers are dropped. */
  readonly lastRequestId = new Map<number, number>();

  constructor(
    node: NodeId,
    readonly ballot: number,
    readonly sinceUs: number,
    servers: number,
    /** The applied tree plus every command this leader proposed or re-proposed, in slot order. */
    readonly specTree: DataTree,
    /** The session owners as of specTree (applied owners plus those commands'). */
    readonly specOwners: SessionOwners,
    sessionTickUs: number,
  ) {
    this.origin = originOf(ballot);
    this.idPrefix = `n${node}.b${ballot}.`;
    this.ackSeq = new Array<number>(servers).fill(0);
    this.lastAckUs = new Array<number>(servers).fill(sinceUs);
    this.touchStampsUs = new Array<number>(servers).fill(-1);
    this.sessions = new SessionTracker(sessionTickUs, sinceUs);
  }

  /** A heartbeat ack from `server` stamped `stampUs` carried touches. */
  touchesReported(server: NodeId, stampUs: number): void {
    if (stampUs <= this.touchStampsUs[server]) return;
    this.touchStampsUs[server] = stampUs;
    this.touchStampsSnapshot = null;
  }

  /** What the next heartbeat echoes: per server, the latest touch report stamp received (shared until it changes). */
  touchStamps(): readonly number[] {
    return (this.touchStampsSnapshot ??= Object.freeze(this.touchStampsUs.slice()));
  }

  /** A cluster-unique session id: ballots are unique, and so is the counter within one. */
  newSessionId(): number {
    this.sessionSeq++;
    return this.ballot * 1_048_576 + this.sessionSeq;
  }
}
