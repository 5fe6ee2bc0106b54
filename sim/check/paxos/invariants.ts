/**
 * Online safety invariants of (Multi-)Paxos, checked after every event.
 *
 * The checker does not trust the implementation: it rebuilds the protocol state of the
 * TLA+ specifications (tlaplus/Examples Paxos/Voting.tla) from the trace alone —
 * `votes` from the acceptors' `accepted` events, `maxBal` from their `promise` and
 * `accepted` events — and decides itself what is chosen: a value is chosen in a slot
 * when a quorum of acceptors voted for it in one ballot. Votes are never forgotten,
 * even when a buggy acceptor forgets them after a restart. Per slot it keeps the
 * ballots voted in (a handful), so each event costs O(ballots² · N) for its slot:
 * amortized O(1) in a run with a stable leader.
 *
 * | invariant           | meaning (what is checked)                                                             |
 * |---------------------|---------------------------------------------------------------------------------------|
 * | `Consensus`         | at most one value is chosen per slot                                                  |
 * | `ChosenStaysChosen` | once (b, v) is chosen in a slot, no acceptor votes for another value there in a ballot above b (Lamport's P2b): otherwise a later quorum could choose it |
 * | `OneValuePerBallot` | all votes of one ballot in a slot are for the same value (also: an acceptor votes once per ballot) |
 * | `VotesSafe`         | every vote ⟨b, v⟩ is SafeAt(b, v): for every ballot c < b some quorum each of whose members voted v at c or has promised above c without voting at c (so no other value is chosen or choosable below b) |
 * | `PromisesMonotone`  | an acceptor never promises a ballot below one it promised or voted in before          |
 * | `LearnersAgree`     | a node learns (`chosen`) or executes (`commit`) only the value chosen in that slot, so all nodes agree slot by slot |
 *
 * VotesSafe needs only ballots c that have votes in the slot, plus c = b-1: for any
 * other c, the quorum found for b-1 works too (its members have maxBal ≥ b-1 > c).
 *
 * A violation is reported once per (invariant, slot), as a trace `violation` event
 * {invariant, message, seqs} (seqs: the events that show it), and halts the run.
 */
import { quorumSize } from '../../core/quorum.js';
import type { TraceEvent, TraceRecorder } from '../../core/trace.js';

export type PaxosInvariant = 'Consensus' | 'ChosenStaysChosen' | 'OneValuePerBallot' | 'VotesSafe' | 'PromisesMonotone' | 'LearnersAgree';

export const PAXOS_INVARIANTS: readonly PaxosInvariant[] = ['Consensus', 'ChosenStaysChosen', 'OneValuePerBallot', 'VotesSafe', 'PromisesMonotone', 'LearnersAgree'];

export interface PaxosViolation {
  readonly invariant: PaxosInvariant;
  readonly message: string;
  /** Trace events that show the violation (the triggering one last). */
  readonly seqs: number[];
  readonly timeUs: number;
  readonly slot?: number;
}

interface BallotVotes {
  readonly value: string;
  readonly label: string;
  /** Voter → seq of its accepted event. */
  readonly voters: Map<number, number>;
  chosen: boolean;
}

interface Chosen {
  readonly ballot: number;
  readonly value: string;
  readonly label: string;
  readonly seqs: number[];
}

interface SlotState {
  /** Votes per ballot, in the order ballots first appeared. */
  readonly ballots: Map<number, BallotVotes>;
  /** The first (ballot, value) seen chosen. */
  chosen: Chosen | null;
  /** Every (ballot, value) chosen here (more than one value only when Consensus broke). */
  allChosen: Chosen[];
  /** The first value a node learned or executed here. */
  learned: { value: string; node: number; seq: number } | null;
  /** Invariants already reported for this slot. */
  reported: Set<PaxosInvariant> | null;
}

/** What the online checker needs from a cluster (any protocol's message type). */
export interface CheckedCluster {
  readonly trace: TraceRecorder;
  readonly size: number;
  readonly nowUs: number;
  halt(reason: string): void;
  afterEvent(hook: () => void): void;
}

export class PaxosInvariantChecker {
  readonly violations: PaxosViolation[] = [];
  private readonly quorum: number;
  private readonly slots = new Map<number, SlotState>();
  /** Per acceptor: highest ballot promised or voted in (TLA+'s maxBal), and the event that showed it. */
  private readonly maxBal: number[];
  private readonly maxBalSeq: number[];
  private readonly promiseReported = new Set<number>();
  /** Per slot, the txn the first server to execute it applied (undefined: a no-op, a read, a move, or a txn discarded as stale or refused as SESSIONMOVED). */
  private readonly executed = new Map<number, unknown>();

  constructor(
    readonly servers: number,
    private readonly onViolation: (violation: PaxosViolation) => void = () => {},
  ) {
    this.quorum = quorumSize(servers);
    this.maxBal = new Array<number>(servers).fill(0);
    this.maxBalSeq = new Array<number>(servers).fill(-1);
  }

  /**
   * The committed txns in slot order, as executed (LearnersAgree checks that every server
   * executes the chosen value); slots no server executed are left out.
   */
  committedTxns(): { index: number; txn: unknown }[] {
    return [...this.executed].sort((a, b) => a[0] - b[0]).map(([index, txn]) => ({ index, txn }));
  }

  observe(event: TraceEvent): void {
    switch (event.kind) {
      case 'promise':
        this.onPromise(event);
        return;
      case 'accepted':
        this.onVote(event);
        return;
      case 'chosen':
        this.onLearn(event, event.slot as number, 'learned');
        return;
      case 'commit':
        if (typeof event.value === 'string') this.onLearn(event, event.index as number, 'executed');
        if (!this.executed.has(event.index as number)) this.executed.set(event.index as number, event.command === 'txn' && event.stale !== true && event.moved !== true ? event.txn : undefined);
        return;
    }
  }

  private slot(slot: number): SlotState {
    let state = this.slots.get(slot);
    if (state === undefined) {
      state = { ballots: new Map(), chosen: null, allChosen: [], learned: null, reported: null };
      this.slots.set(slot, state);
    }
    return state;
  }

  private onPromise(event: TraceEvent): void {
    const acceptor = event.node;
    const ballot = event.ballot as number;
    if (ballot < this.maxBal[acceptor] && !this.promiseReported.has(acceptor)) {
      this.promiseReported.add(acceptor);
      this.report('PromisesMonotone', undefined, [this.maxBalSeq[acceptor], event.seq], event.timeUs,
        `acceptor ${acceptor} promised ballot ${ballot} after it had promised or voted in ballot ${this.maxBal[acceptor]}: a forgotten promise (was it persisted before the reply?)`);
    }
    this.raiseMaxBal(acceptor, ballot, event.seq);
  }

  private raiseMaxBal(acceptor: number, ballot: number, seq: number): void {
    if (ballot > this.maxBal[acceptor]) {
      this.maxBal[acceptor] = ballot;
      this.maxBalSeq[acceptor] = seq;
    }
  }

  private onVote(event: TraceEvent): void {
    const acceptor = event.node;
    const slotIndex = event.slot as number;
    const ballot = event.ballot as number;
    const value = event.value as string;
    const label = typeof event.label === 'string' ? event.label : value;
    const slot = this.slot(slotIndex);
    let votes = slot.ballots.get(ballot);
    if (votes !== undefined && votes.value !== value) {
      const [other, otherSeq] = votes.voters.entries().next().value as [number, number];
      this.report('OneValuePerBallot', slot, [otherSeq, event.seq], event.timeUs,
        `slot ${slotIndex}, ballot ${ballot}: acceptor ${acceptor} voted for ${describe(value, label)} but acceptor ${other} voted for ${describe(votes.value, votes.label)} in the same ballot`, slotIndex);
      this.raiseMaxBal(acceptor, ballot, event.seq);
      return;
    }
    for (const chosen of slot.allChosen) {
      if (ballot <= chosen.ballot || value === chosen.value) continue;
      this.report('ChosenStaysChosen', slot, [...chosen.seqs, event.seq], event.timeUs,
        `slot ${slotIndex}: ${describe(chosen.value, chosen.label)} was chosen at ballot ${chosen.ballot}, yet acceptor ${acceptor} voted for ${describe(value, label)} at higher ballot ${ballot}`, slotIndex);
      break;
    }
    if (votes === undefined) {
      votes = { value, label, voters: new Map(), chosen: false };
      slot.ballots.set(ballot, votes);
    }
    if (!votes.voters.has(acceptor)) votes.voters.set(acceptor, event.seq);
    this.raiseMaxBal(acceptor, ballot, event.seq);
    if (!votes.chosen && votes.voters.size >= this.quorum) this.onChosen(event, slotIndex, slot, ballot, votes);
    this.checkVotesSafe(event, slotIndex, slot, ballot);
  }

  private onChosen(event: TraceEvent, slotIndex: number, slot: SlotState, ballot: number, votes: BallotVotes): void {
    votes.chosen = true;
    const seqs = [...votes.voters.values()];
    slot.allChosen.push({ ballot, value: votes.value, label: votes.label, seqs });
    if (slot.chosen === null) {
      slot.chosen = slot.allChosen[0];
      return;
    }
    if (slot.chosen.value === votes.value) return;
    this.report('Consensus', slot, [...slot.chosen.seqs, ...seqs], event.timeUs,
      `slot ${slotIndex} has two chosen values: ${describe(slot.chosen.value, slot.chosen.label)} at ballot ${slot.chosen.ballot} ` +
        `and ${describe(votes.value, votes.label)} at ballot ${ballot} (voters ${[...votes.voters.keys()].join(', ')})`, slotIndex);
  }

  /** Re-checks SafeAt for every vote the new vote at `newBallot` can affect: those at ballots ≥ it. */
  private checkVotesSafe(event: TraceEvent, slotIndex: number, slot: SlotState, newBallot: number): void {
    if (slot.reported?.has('VotesSafe')) return;
    for (const [ballot, votes] of slot.ballots) {
      if (ballot < newBallot) continue;
      const unsafeAt = this.unsafeBallotBelow(slot, ballot, votes.value);
      if (unsafeAt === null) continue;
      const seqs = [...(slot.ballots.get(unsafeAt)?.voters.values() ?? []), ...votes.voters.values(), event.seq];
      const other = slot.ballots.get(unsafeAt);
      const why = other !== undefined && other.value !== votes.value ? `${describe(other.value, other.label)} is chosen or still choosable at ballot ${unsafeAt}` : `no quorum had promised above ballot ${unsafeAt}`;
      this.report('VotesSafe', slot, [...new Set(seqs)].sort((a, b) => a - b), event.timeUs,
        `slot ${slotIndex}: the vote for ${describe(votes.value, votes.label)} at ballot ${ballot} is not safe: ${why}`, slotIndex);
      return;
    }
  }

  /** A ballot c < b at which a value other than v is chosen or choosable, or null if SafeAt(b, v). */
  private unsafeBallotBelow(slot: SlotState, b: number, v: string): number | null {
    for (const c of slot.ballots.keys()) if (c < b && !this.noneOtherChoosableAt(slot, c, v)) return c;
    if (b - 1 >= 0 && !this.noneOtherChoosableAt(slot, b - 1, v)) return b - 1;
    return null;
  }

  /** Voting.tla's NoneOtherChoosableAt(c, v): a quorum each of which voted v at c or cannot vote at c any more. */
  private noneOtherChoosableAt(slot: SlotState, c: number, v: string): boolean {
    const votes = slot.ballots.get(c);
    let count = 0;
    for (let acceptor = 0; acceptor < this.servers; acceptor++) {
      const voted = votes !== undefined && votes.voters.has(acceptor);
      if (voted ? votes.value === v : this.maxBal[acceptor] > c) count++;
    }
    return count >= this.quorum;
  }

  private onLearn(event: TraceEvent, slotIndex: number, verb: 'learned' | 'executed'): void {
    const value = event.value as string;
    const slot = this.slot(slotIndex);
    const chosenHere = slot.chosen !== null && (slot.chosen.value === value || slot.allChosen.some((c) => c.value === value));
    if (!chosenHere) {
      const what = slot.chosen === null ? 'nothing is chosen there yet' : `the chosen value is ${describe(slot.chosen.value, slot.chosen.label)}`;
      this.report('LearnersAgree', slot, [event.seq], event.timeUs,
        `node ${event.node} ${verb} ${value} in slot ${slotIndex}, but ${what} (no quorum voted for it in one ballot)`, slotIndex);
    } else if (slot.learned !== null && slot.learned.value !== value) {
      this.report('LearnersAgree', slot, [slot.learned.seq, event.seq], event.timeUs,
        `slot ${slotIndex}: node ${event.node} ${verb} ${value} but node ${slot.learned.node} learned ${slot.learned.value}`, slotIndex);
    }
    if (slot.learned === null) slot.learned = { value, node: event.node, seq: event.seq };
  }

  private report(invariant: PaxosInvariant, slot: SlotState | undefined, seqs: number[], timeUs: number, message: string, slotIndex?: number): void {
    if (slot !== undefined) {
      slot.reported ??= new Set();
      if (slot.reported.has(invariant)) return;
      slot.reported.add(invariant);
    }
    const violation: PaxosViolation = { invariant, message, seqs: seqs.filter((s) => s >= 0), timeUs, ...(slotIndex !== undefined ? { slot: slotIndex } : {}) };
    this.violations.push(violation);
    this.onViolation(violation);
  }

  /** The checker's view of a slot, for tests and the lab: the chosen value and the votes per ballot. */
  slotView(slot: number): { chosen: string | null; ballots: { ballot: number; value: string; voters: number[] }[] } | undefined {
    const state = this.slots.get(slot);
    if (state === undefined) return undefined;
    return {
      chosen: state.chosen?.value ?? null,
      ballots: [...state.ballots].map(([ballot, votes]) => ({ ballot, value: votes.value, voters: [...votes.voters.keys()].sort((a, b) => a - b) })),
    };
  }
}

function describe(value: string, label: string): string {
  return label === value ? `"${value}"` : `"${label}" (${value})`;
}

export interface PaxosInvariantOptions {
  /** Stop the run at the first violation (default true). */
  readonly halt?: boolean;
}

/**
 * Checks the Paxos invariants online: after each event, any violation is recorded as a
 * trace `violation` event and (by default) halts the run.
 */
export function attachPaxosInvariants(cluster: CheckedCluster, options: PaxosInvariantOptions = {}): PaxosInvariantChecker {
  const halt = options.halt ?? true;
  const pending: PaxosViolation[] = [];
  const checker = new PaxosInvariantChecker(cluster.size, (violation) => pending.push(violation));
  cluster.trace.listen((event) => checker.observe(event));
  // Recorded after the event that caused it, never from inside the trace listener
  // (that would interleave with the event being recorded).
  cluster.afterEvent(() => {
    if (pending.length === 0) return;
    for (const violation of pending) {
      cluster.trace.add(cluster.nowUs, -1, 'violation', { invariant: violation.invariant, message: violation.message, seqs: violation.seqs });
      if (halt) cluster.halt(`${violation.invariant}: ${violation.message}`);
    }
    pending.length = 0;
  });
  return checker;
}

/** Checks a finished trace (its events) offline; the same rules as the online checker. */
export function checkPaxosTrace(events: readonly TraceEvent[], servers: number): PaxosViolation[] {
  const checker = new PaxosInvariantChecker(servers);
  for (const event of events) checker.observe(event);
  return checker.violations;
}
