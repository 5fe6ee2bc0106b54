/**
 * Online safety invariants of (Multi-)Paxos, checked after every event.
 *
 * The checker does not trust the implementation: it rebuilds the protocol state of the
 * TLA+ specifications (tlaplus/Examples Paxos/Voting.tla) from the trace alone —
 * `votes` from the acceptors' `accepted` events, `maxBal` from their `promise` and
 * `accepted` events — and decides itself what is chosen: a value is chosen in a slot
 * when a quorum of acceptors voted for it in one ballot. Votes are never forgotten,
 * even when a buggy acceptor forgets them after a restart. Per slot (an array indexed
 * by slot) it keeps the ballots voted in (a handful), each with its voters in arrival
 * order, so an event touches only its own slot: O(ballots² · N) there at worst, and
 * with a stable leader (one ballot per slot) constant work: SafeAt at the ballot below,
 * where nobody voted, is one compare with the quorum-th highest maxBal (which changes
 * only when a maxBal grows). It reads records by their fields (a record listener), so
 * checking builds no event object per record.
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
  readonly ballot: number;
  readonly value: string;
  readonly label: string;
  /**
   * The voters, in the order their votes arrived (a quorum is a handful: an array's scan
   * beats a map), and the seq of each one's accepted event: the first `voterCount` items.
   * Every slot's are kept for the whole run, so both are made once per ballot with room
   * for every acceptor (an acceptor votes once per ballot) and filled in place: copying
   * them one longer per vote made a third of the checker's garbage, and a push grows a
   * small array to 17 slots of unused room.
   */
  readonly voters: number[];
  readonly voterSeqs: number[];
  voterCount: number;
  /** How many voters it had when it became chosen (0: not chosen): those are its quorum. */
  chosenBy: number;
}

interface SlotState {
  /** Votes per ballot, in the order ballots first appeared (usually one; grown by withItem: a push would leave room for 17). */
  ballots: readonly BallotVotes[];
  /** The first (ballot, value) seen chosen. */
  chosen: BallotVotes | null;
  /** Every later (ballot, value) chosen here, in order (more than one value only when Consensus broke). */
  moreChosen: BallotVotes[] | null;
  /** The first value a node learned or executed here (null: none yet), who did and in which event. */
  learnedValue: string | null;
  learnedNode: number;
  learnedSeq: number;
  /** Invariants already reported for this slot. */
  reported: Set<PaxosInvariant> | null;
  /** Whether a server executed the slot (a commit record), and the txn the first one applied (see committedTxns). */
  executed: boolean;
  executedTxn: unknown;
}

/** A record's fields as the checker reads them (a trace event is one too). */
type Fields = Readonly<Record<string, unknown>>;

/** What the online checker needs from a cluster (any protocol's message type). */
export interface CheckedCluster {
  readonly trace: TraceRecorder;
  readonly size: number;
  readonly nowUs: number;
  halt(reason: string): void;
  afterEvent(hook: () => void): void;
}

/**
 * Slots are small dense integers: their states live in an array indexed by slot (no
 * hashing per event); any other key (a hand-made trace's) in a map beside it.
 */
function isArraySlot(slot: number): boolean {
  return slot >= 0 && slot <= 0x3fffffff && slot === (slot | 0);
}

export class PaxosInvariantChecker {
  readonly violations: PaxosViolation[] = [];
  private readonly quorum: number;
  private readonly slots: (SlotState | undefined)[] = [];
  private readonly otherSlots = new Map<unknown, SlotState>();
  /** Per acceptor: highest ballot promised or voted in (TLA+'s maxBal), and the event that showed it. */
  private readonly maxBal: number[];
  private readonly maxBalSeq: number[];
  /**
   * The quorum-th highest maxBal over the acceptors: a quorum has maxBal ≥ it, so a
   * ballot c below it has a quorum that promised above c (what SafeAt asks of a ballot
   * with no votes). maxBal only grows, so it is recomputed only when one grows.
   */
  private quorumMaxBal = 0;
  private readonly promiseReported = new Set<number>();

  constructor(
    readonly servers: number,
    private readonly onViolation: (violation: PaxosViolation) => void = () => {},
  ) {
    this.quorum = quorumSize(servers);
    this.maxBal = new Array<number>(servers).fill(0);
    this.maxBalSeq = new Array<number>(servers).fill(-1);
    this.quorumMaxBal = this.computeQuorumMaxBal();
  }

  /**
   * The committed txns in slot order, as executed (LearnersAgree checks that every server
   * executes the chosen value); slots no server executed are left out.
   */
  committedTxns(): { index: number; txn: unknown }[] {
    const executed: { index: number; txn: unknown }[] = [];
    for (let index = 0; index < this.slots.length; index++) {
      const state = this.slots[index];
      if (state !== undefined && state.executed) executed.push({ index, txn: state.executedTxn });
    }
    for (const [index, state] of this.otherSlots) if (state.executed) executed.push({ index: index as number, txn: state.executedTxn });
    return executed.sort((a, b) => a.index - b.index);
  }

  observe(event: TraceEvent): void {
    this.observeRecord(event.timeUs, event.seq, event.node, event.kind, event);
  }

  /** One record, given as its head and its fields (the trace recorder's record listeners call this: no event object is built). */
  observeRecord(timeUs: number, seq: number, node: number, kind: string, fields: Fields): void {
    switch (kind) {
      case 'promise':
        this.onPromise(timeUs, seq, node, fields.ballot as number);
        return;
      case 'accepted':
        this.onVote(timeUs, seq, node, fields);
        return;
      case 'chosen':
        this.onLearn(timeUs, seq, node, fields.slot as number, fields.value as string, 'learned');
        return;
      case 'commit': {
        const index = fields.index as number;
        if (typeof fields.value === 'string') this.onLearn(timeUs, seq, node, index, fields.value, 'executed');
        // Per slot, the txn the first server to execute it applied (undefined: a no-op, a
        // read, a move, or a txn discarded as stale or refused as SESSIONMOVED): in the
        // slot's state, where a map of every slot cost a hash per commit.
        const state = this.slot(index);
        if (!state.executed) {
          state.executed = true;
          state.executedTxn = fields.command === 'txn' && fields.stale !== true && fields.moved !== true ? fields.txn : undefined;
        }
        return;
      }
    }
  }

  private slot(slot: number): SlotState {
    const inArray = isArraySlot(slot);
    let state = inArray ? this.slots[slot] : this.otherSlots.get(slot);
    if (state === undefined) {
      state = { ballots: [], chosen: null, moreChosen: null, learnedValue: null, learnedNode: -1, learnedSeq: -1, reported: null, executed: false, executedTxn: undefined };
      if (inArray) this.slots[slot] = state;
      else this.otherSlots.set(slot, state);
    }
    return state;
  }

  private onPromise(timeUs: number, seq: number, acceptor: number, ballot: number): void {
    if (ballot < this.maxBal[acceptor] && !this.promiseReported.has(acceptor)) {
      this.promiseReported.add(acceptor);
      this.report('PromisesMonotone', undefined, [this.maxBalSeq[acceptor], seq], timeUs,
        `acceptor ${acceptor} promised ballot ${ballot} after it had promised or voted in ballot ${this.maxBal[acceptor]}: a forgotten promise (was it persisted before the reply?)`);
    }
    this.raiseMaxBal(acceptor, ballot, seq);
  }

  private raiseMaxBal(acceptor: number, ballot: number, seq: number): void {
    if (ballot > this.maxBal[acceptor]) {
      this.maxBal[acceptor] = ballot;
      this.maxBalSeq[acceptor] = seq;
      this.quorumMaxBal = this.computeQuorumMaxBal();
    }
  }

  /** The highest b such that at least a quorum of acceptors have maxBal ≥ b (or -Infinity). */
  private computeQuorumMaxBal(): number {
    let best = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < this.servers; a++) {
      const candidate = this.maxBal[a];
      if (!(candidate > best)) continue;
      let atLeast = 0;
      for (let other = 0; other < this.servers; other++) if (this.maxBal[other] >= candidate) atLeast++;
      if (atLeast >= this.quorum) best = candidate;
    }
    return best;
  }

  private onVote(timeUs: number, seq: number, acceptor: number, fields: Fields): void {
    const slotIndex = fields.slot as number;
    const ballot = fields.ballot as number;
    const value = fields.value as string;
    const label = typeof fields.label === 'string' ? fields.label : value;
    const slot = this.slot(slotIndex);
    let votes = ballotVotes(slot, ballot);
    if (votes !== undefined && votes.value !== value) {
      this.report('OneValuePerBallot', slot, [votes.voterSeqs[0], seq], timeUs,
        `slot ${slotIndex}, ballot ${ballot}: acceptor ${acceptor} voted for ${describe(value, label)} but acceptor ${votes.voters[0]} voted for ${describe(votes.value, votes.label)} in the same ballot`, slotIndex);
      this.raiseMaxBal(acceptor, ballot, seq);
      return;
    }
    if (slot.chosen !== null) this.checkChosenStaysChosen(timeUs, seq, acceptor, slotIndex, slot, ballot, value, label);
    if (votes === undefined) {
      votes = { ballot, value, label, voters: new Array<number>(this.servers), voterSeqs: new Array<number>(this.servers), voterCount: 0, chosenBy: 0 };
      addVoter(votes, acceptor, seq);
      slot.ballots = slot.ballots.length === 0 ? [votes] : withItem(slot.ballots, votes);
    } else if (!hasVoter(votes, acceptor)) {
      addVoter(votes, acceptor, seq);
    }
    this.raiseMaxBal(acceptor, ballot, seq);
    if (votes.chosenBy === 0 && votes.voterCount >= this.quorum) this.onChosen(timeUs, slotIndex, slot, votes);
    this.checkVotesSafe(timeUs, seq, slotIndex, slot, ballot);
  }

  private checkChosenStaysChosen(timeUs: number, seq: number, acceptor: number, slotIndex: number, slot: SlotState, ballot: number, value: string, label: string): void {
    const more = slot.moreChosen;
    for (let i = -1; i < (more === null ? 0 : more.length); i++) {
      const chosen = i < 0 ? slot.chosen! : more![i];
      if (ballot <= chosen.ballot || value === chosen.value) continue;
      this.report('ChosenStaysChosen', slot, [...quorumSeqs(chosen), seq], timeUs,
        `slot ${slotIndex}: ${describe(chosen.value, chosen.label)} was chosen at ballot ${chosen.ballot}, yet acceptor ${acceptor} voted for ${describe(value, label)} at higher ballot ${ballot}`, slotIndex);
      return;
    }
  }

  private onChosen(timeUs: number, slotIndex: number, slot: SlotState, votes: BallotVotes): void {
    votes.chosenBy = votes.voterCount;
    if (slot.chosen === null) {
      slot.chosen = votes;
      return;
    }
    (slot.moreChosen ??= []).push(votes);
    const first = slot.chosen;
    if (first.value === votes.value) return;
    this.report('Consensus', slot, [...quorumSeqs(first), ...quorumSeqs(votes)], timeUs,
      `slot ${slotIndex} has two chosen values: ${describe(first.value, first.label)} at ballot ${first.ballot} ` +
        `and ${describe(votes.value, votes.label)} at ballot ${votes.ballot} (voters ${votes.voters.slice(0, votes.voterCount).join(', ')})`, slotIndex);
  }

  /** Re-checks SafeAt for every vote the new vote at `newBallot` can affect: those at ballots ≥ it. */
  private checkVotesSafe(timeUs: number, seq: number, slotIndex: number, slot: SlotState, newBallot: number): void {
    if (slot.reported?.has('VotesSafe')) return;
    const ballots = slot.ballots;
    for (let i = 0; i < ballots.length; i++) {
      const votes = ballots[i];
      const ballot = votes.ballot;
      if (ballot < newBallot) continue;
      const unsafeAt = this.unsafeBallotBelow(slot, ballot, votes.value);
      if (unsafeAt === null) continue;
      const other = ballotVotes(slot, unsafeAt);
      const seqs = [...(other === undefined ? [] : other.voterSeqs.slice(0, other.voterCount)), ...votes.voterSeqs.slice(0, votes.voterCount), seq];
      const why = other !== undefined && other.value !== votes.value ? `${describe(other.value, other.label)} is chosen or still choosable at ballot ${unsafeAt}` : `no quorum had promised above ballot ${unsafeAt}`;
      this.report('VotesSafe', slot, [...new Set(seqs)].sort((a, b) => a - b), timeUs,
        `slot ${slotIndex}: the vote for ${describe(votes.value, votes.label)} at ballot ${ballot} is not safe: ${why}`, slotIndex);
      return;
    }
  }

  /** A ballot c < b at which a value other than v is chosen or choosable, or null if SafeAt(b, v). */
  private unsafeBallotBelow(slot: SlotState, b: number, v: string): number | null {
    const ballots = slot.ballots;
    for (let i = 0; i < ballots.length; i++) {
      const c = ballots[i].ballot;
      if (c < b && !this.noneOtherChoosableAt(slot, c, v)) return c;
    }
    if (b - 1 >= 0 && !this.noneOtherChoosableAt(slot, b - 1, v)) return b - 1;
    return null;
  }

  /** Voting.tla's NoneOtherChoosableAt(c, v): a quorum each of which voted v at c or cannot vote at c any more. */
  private noneOtherChoosableAt(slot: SlotState, c: number, v: string): boolean {
    const votes = ballotVotes(slot, c);
    // Nobody voted at c here: a quorum must have promised (or voted) above c.
    if (votes === undefined) return this.quorumMaxBal > c;
    let count = 0;
    for (let acceptor = 0; acceptor < this.servers; acceptor++) {
      const voted = hasVoter(votes, acceptor);
      if (voted ? votes.value === v : this.maxBal[acceptor] > c) count++;
    }
    return count >= this.quorum;
  }

  private onLearn(timeUs: number, seq: number, node: number, slotIndex: number, value: string, verb: 'learned' | 'executed'): void {
    const slot = this.slot(slotIndex);
    const chosen = slot.chosen;
    const chosenHere = chosen !== null && (chosen.value === value || (slot.moreChosen?.some((c) => c.value === value) ?? false));
    if (!chosenHere) {
      const what = chosen === null ? 'nothing is chosen there yet' : `the chosen value is ${describe(chosen.value, chosen.label)}`;
      this.report('LearnersAgree', slot, [seq], timeUs,
        `node ${node} ${verb} ${value} in slot ${slotIndex}, but ${what} (no quorum voted for it in one ballot)`, slotIndex);
    } else if (slot.learnedValue !== null && slot.learnedValue !== value) {
      this.report('LearnersAgree', slot, [slot.learnedSeq, seq], timeUs,
        `slot ${slotIndex}: node ${node} ${verb} ${value} but node ${slot.learnedNode} learned ${slot.learnedValue}`, slotIndex);
    }
    if (slot.learnedValue === null) {
      slot.learnedValue = value;
      slot.learnedNode = node;
      slot.learnedSeq = seq;
    }
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
    const state = isArraySlot(slot) ? this.slots[slot] : this.otherSlots.get(slot);
    if (state === undefined) return undefined;
    return {
      chosen: state.chosen?.value ?? null,
      ballots: state.ballots.map((votes) => ({ ballot: votes.ballot, value: votes.value, voters: votes.voters.slice(0, votes.voterCount).sort((a, b) => a - b) })),
    };
  }
}

/** The votes of `ballot` in a slot (a slot has a ballot or two: a scan). */
function ballotVotes(slot: SlotState, ballot: number): BallotVotes | undefined {
  const ballots = slot.ballots;
  for (let i = 0; i < ballots.length; i++) if (ballots[i].ballot === ballot) return ballots[i];
  return undefined;
}

function hasVoter(votes: BallotVotes, acceptor: number): boolean {
  const voters = votes.voters;
  for (let i = 0; i < votes.voterCount; i++) if (voters[i] === acceptor) return true;
  return false;
}

/** Appends a voter (made room for every acceptor; a hand-made trace's stranger one grows the arrays). */
function addVoter(votes: BallotVotes, acceptor: number, seq: number): void {
  const i = votes.voterCount++;
  votes.voters[i] = acceptor;
  votes.voterSeqs[i] = seq;
}

/** The seqs of the accepted events that chose a (ballot, value): its first chosenBy voters'. */
function quorumSeqs(votes: BallotVotes): number[] {
  return votes.voterSeqs.slice(0, votes.chosenBy);
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
  // Record fields are enough: no event object is built for the checker.
  cluster.trace.listenRecords((timeUs, seq, node, kind, fields) => checker.observeRecord(timeUs, seq, node, kind, fields));
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

/**
 * `list` and `item` as a new array of exactly that length: concat sizes its result, where
 * a push (or a store at the end, or a spread) grows a small array to 17 slots (measured:
 * a two-number array kept 64 bytes, 200 grown).
 */
function withItem<T>(list: readonly T[], item: T): T[] {
  return list.concat([item]);
}
