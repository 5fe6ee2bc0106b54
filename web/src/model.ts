/**
 * A trace, indexed for drawing and stepping.
 *
 * The viewer draws only from the trace (DESIGN.md "Traces"), so everything here is
 * derived from its events in one pass: messages paired send → deliver / drop (as flat
 * typed arrays: a 100k-event trace has tens of thousands of them), down and paused
 * intervals, partitions, role spans, elections, client operations, and the positions
 * the stepping buttons jump to. Per-node state at a cursor is folded in nodestate.ts.
 */
import type { Trace, TraceEvent, TraceMeta } from '../../sim/core/trace.js';
import { roleFamily, typeStyle } from './format.js';

export interface Span {
  startUs: number;
  endUs: number;
  startSeq: number;
  /** Exclusive: the event that ended it, or events.length when it lasts to the end. */
  endSeq: number;
}

export interface NodeSpan extends Span {
  node: number;
  kind: 'crash' | 'pause';
}

export interface RoleSpan extends Span {
  node: number;
  role: string;
}

export interface PartitionSpan extends Span {
  groups?: number[][];
  cuts: [number, number][];
  shape?: string;
}

export interface ClogSpan extends Span {
  from: number;
  to: number;
}

export interface ElectionMark {
  seq: number;
  /** Where the election that ended here began: the first server to start looking (or the first election message) after the previous leader was established. */
  startSeq: number;
  timeUs: number;
  leader: number;
  epoch: number;
}

export interface EpochMark {
  seq: number;
  timeUs: number;
  node: number;
  text: string;
}

export interface ClientOp {
  opId: number;
  client: number;
  process: number;
  server: number;
  f: string;
  value: unknown;
  readMode?: string;
  result?: 'ok' | 'fail' | 'info';
  output?: unknown;
  invokeUs: number;
  completeUs?: number;
  invokeSeq: number;
  completeSeq?: number;
}

/** Glyph codes for non-message events (0: not drawn as a glyph). */
export enum Glyph {
  None = 0,
  Timer,
  Sync,
  State,
  Vote,
  Election,
  Propose,
  Logged,
  Commit,
  Note,
  Violation,
  Crash,
  Restart,
  Pause,
  Resume,
  SyncMode,
  Disconnect,
  ClusterFault,
  Other,
}

/** Minor glyphs are skipped when the view is dense. */
export const MINOR_GLYPHS = new Set<Glyph>([Glyph.Timer, Glyph.Sync, Glyph.Logged, Glyph.Commit, Glyph.Propose, Glyph.Disconnect, Glyph.Other]);


const LOG_KINDS = new Set(['propose', 'logged', 'accepted', 'chosen', 'truncate']);

function glyphOf(kind: string): Glyph {
  switch (kind) {
    case 'timer':
      return Glyph.Timer;
    case 'sync':
      return Glyph.Sync;
    case 'state':
      return Glyph.State;
    case 'vote':
    case 'promise':
      return Glyph.Vote;
    case 'election':
      return Glyph.Election;
    case 'propose':
      return Glyph.Propose;
    case 'commit':
      return Glyph.Commit;
    case 'note':
      return Glyph.Note;
    case 'violation':
      return Glyph.Violation;
    case 'crash':
      return Glyph.Crash;
    case 'restart':
      return Glyph.Restart;
    case 'pause':
      return Glyph.Pause;
    case 'resume':
      return Glyph.Resume;
    case 'sync-mode':
      return Glyph.SyncMode;
    case 'disconnect':
      return Glyph.Disconnect;
    case 'partition':
    case 'heal':
    case 'clog':
    case 'net':
      return Glyph.ClusterFault;
    case 'send':
    case 'deliver':
    case 'drop':
    case 'duplicate':
    case 'invoke':
    case 'complete':
      return Glyph.None;
    default:
      return LOG_KINDS.has(kind) ? Glyph.Logged : Glyph.Other;
  }
}

export const MSG_IN_FLIGHT = 0;
export const MSG_DELIVERED = 1;
export const MSG_DROPPED = 2;

export const BLOCK = 64;

/** Fields of `state` events that are about who leads, not epochs. */
const NON_EPOCH_FIELDS = new Set(['role', 'leader', 'zabState', 'phase']);

export class TraceModel {
  readonly meta: TraceMeta;
  readonly events: TraceEvent[];
  /** The trace hash ('' until the worker has recomputed it for a file). */
  hash: string;
  readonly storedHash?: string;
  readonly servers: number;
  readonly clients: number;
  readonly counterBits: number;
  readonly protocol: string;
  readonly endUs: number;
  readonly eventTime: Float64Array;
  readonly glyph: Uint8Array;

  // Messages, in send order (struct of arrays).
  msgCount = 0;
  mFrom: Int32Array;
  mTo: Int32Array;
  mSendUs: Float64Array;
  mEndUs: Float64Array;
  mSendSeq: Int32Array;
  mEndSeq: Int32Array;
  mStatus: Uint8Array;
  mType: Uint16Array;
  mReason: Uint8Array;
  mId: Int32Array;
  /** Per block of BLOCK messages: the latest end (time and seq), for visibility culling. */
  blockMaxEndUs: Float64Array;
  blockMaxEndSeq: Float64Array;
  readonly types: string[] = [];
  readonly typeCounts: number[] = [];
  readonly reasons: string[] = [];
  /** Message index of each send / deliver / drop / duplicate event, else -1. */
  readonly msgOfEvent: Int32Array;

  readonly nodeSpans: NodeSpan[] = [];
  readonly roleSpans: RoleSpan[] = [];
  readonly partitions: PartitionSpan[] = [];
  readonly clogs: ClogSpan[] = [];
  readonly elections: ElectionMark[] = [];
  readonly epochMarks: EpochMark[] = [];
  /** The scenario's own words on the timeline: fault notes (`"note"` in a scenario's fault script) and the story's end. */
  readonly storyNotes: { seq: number; timeUs: number; text: string }[] = [];
  readonly ops: ClientOp[] = [];
  readonly violations: TraceEvent[] = [];
  readonly clientIds: number[] = [];

  /** Where the stepping buttons jump. */
  /**
   * `election`: where each election starts (the first server looking, or the first
   * election message, after the previous leader was established), so a learner lands
   * before the votes, not after them; `leader`: where a leader is established.
   */
  readonly jumps: { election: number[]; leader: number[]; commit: number[]; fault: number[]; violation: number[]; vote: number[] } = { election: [], leader: [], commit: [], fault: [], violation: [], vote: [] };

  constructor(trace: Trace & { storedHash?: string }) {
    this.meta = trace.meta;
    this.events = trace.events;
    this.hash = trace.hash;
    if (trace.storedHash !== undefined) this.storedHash = trace.storedHash;
    this.protocol = String(trace.meta.protocol);
    const body = trace.meta.scenarioBody as { cluster?: { counterBits?: number } } | undefined;
    this.counterBits = body?.cluster?.counterBits ?? 32;
    const events = this.events;
    const n = events.length;
    this.eventTime = new Float64Array(n);
    this.glyph = new Uint8Array(n);
    this.msgOfEvent = new Int32Array(n).fill(-1);
    let servers = Number(trace.meta.servers) || 1;
    let sends = 0;
    let maxMsgId = 0;
    for (let i = 0; i < n; i++) {
      const e = events[i];
      this.eventTime[i] = e.timeUs;
      const k = e.kind;
      if (k === 'send' || k === 'duplicate') {
        sends++;
        if ((e.msgId as number) > maxMsgId) maxMsgId = e.msgId as number;
      }
      if (e.node >= servers && k !== 'invoke' && k !== 'complete') servers = e.node + 1;
    }
    this.servers = servers;
    this.endUs = n > 0 ? events[n - 1].timeUs : 0;
    this.mFrom = new Int32Array(sends);
    this.mTo = new Int32Array(sends);
    this.mSendUs = new Float64Array(sends);
    this.mEndUs = new Float64Array(sends);
    this.mSendSeq = new Int32Array(sends);
    this.mEndSeq = new Int32Array(sends);
    this.mStatus = new Uint8Array(sends);
    this.mType = new Uint16Array(sends);
    this.mReason = new Uint8Array(sends);
    this.mId = new Int32Array(sends);
    const blocks = Math.ceil(sends / BLOCK);
    this.blockMaxEndUs = new Float64Array(blocks);
    this.blockMaxEndSeq = new Float64Array(blocks);
    this.index(n, maxMsgId);
    const clientSet = new Set<number>();
    for (const op of this.ops) clientSet.add(op.client);
    this.clientIds = [...clientSet].sort((a, b) => a - b);
    this.clients = Math.max(Number(trace.meta.clients ?? 0), this.clientIds.length);
  }

  /** A message that event `event` (of `n`) puts on the wire; in flight until its end is seen. Its index. */
  private addMessage(event: number, n: number, from: number, to: number, sendUs: number, sendSeq: number, type: string, msgId: number): number {
    const m = this.msgCount++;
    this.mFrom[m] = from;
    this.mTo[m] = to;
    this.mSendUs[m] = sendUs;
    this.mSendSeq[m] = sendSeq;
    this.mEndUs[m] = Infinity;
    this.mEndSeq[m] = n;
    this.mType[m] = this.typeIndex(type);
    this.mId[m] = msgId;
    this.msgOfEvent[event] = m;
    return m;
  }

  private typeIndex(type: string): number {
    let i = this.typeLookup.get(type);
    if (i === undefined) {
      i = this.types.length;
      this.types.push(type);
      this.typeCounts.push(0);
      this.typeLookup.set(type, i);
    }
    this.typeCounts[i]++;
    return i;
  }
  private readonly typeLookup = new Map<string, number>();

  private reasonIndex(reason: string): number {
    let i = this.reasons.indexOf(reason);
    if (i < 0) {
      i = this.reasons.length;
      this.reasons.push(reason);
    }
    return i;
  }

  private index(n: number, maxMsgId: number): void {
    const events = this.events;
    // Message ids are small integers: an array beats a Map. -1: unknown id.
    const byIdArray = new Int32Array(maxMsgId + 1).fill(-1);
    const byId = {
      get: (id: number): number | undefined => (id >= 0 && id <= maxMsgId && byIdArray[id] >= 0 ? byIdArray[id] : undefined),
      set: (id: number, m: number) => {
        if (id >= 0 && id <= maxMsgId) byIdArray[id] = m;
      },
    };
    const downStart: (number | undefined)[] = [];
    const pauseStart: (number | undefined)[] = [];
    const role: string[] = new Array<string>(this.servers).fill('');
    const roleStart: number[] = new Array<number>(this.servers).fill(0);
    const epochs: Record<string, unknown>[] = Array.from({ length: this.servers }, () => ({}));
    let partition: PartitionSpan | undefined;
    const openOps = new Map<number, ClientOp>();
    /** index → origins already committed somewhere (usually one). */
    const committedIndex = new Map<number, unknown[]>();
    const setRole = (node: number, next: string, seq: number) => {
      if (node < 0 || node >= this.servers || role[node] === next) return;
      if (role[node] !== '' || seq > 0) {
        this.roleSpans.push({ node, role: role[node] || 'STARTING', startSeq: roleStart[node], endSeq: seq, startUs: this.eventTime[roleStart[node]] ?? 0, endUs: this.eventTime[seq] });
      }
      role[node] = next;
      roleStart[node] = seq;
    };
    /** The first sign of an election since the last leader was established (-1: none yet). */
    let electionStart = -1;
    for (let i = 0; i < n; i++) {
      const e = events[i];
      const kind = e.kind;
      this.glyph[i] = glyphOf(kind);
      if (electionStart < 0 && ((kind === 'state' && roleFamily(e.role as string) === 'looking') || (kind === 'send' && typeStyle(e.type as string).phase === 'election'))) {
        electionStart = i;
        this.jumps.election.push(i);
      }
      switch (kind) {
        case 'send':
          byId.set(e.msgId as number, this.addMessage(i, n, e.node, e.to as number, e.timeUs, i, e.type as string, e.msgId as number));
          break;
        case 'duplicate': {
          // The copy travels from the original's sender, starting when the original was sent.
          const orig = byId.get(e.dupOf as number);
          const from = orig !== undefined ? this.mFrom[orig] : (e.from as number);
          const sendUs = orig !== undefined ? this.mSendUs[orig] : e.timeUs;
          const sendSeq = orig !== undefined ? this.mSendSeq[orig] : i;
          byId.set(e.msgId as number, this.addMessage(i, n, from, e.node, sendUs, sendSeq, e.type as string, e.msgId as number));
          break;
        }
        case 'deliver':
        case 'drop': {
          const m = byId.get(e.msgId as number);
          if (m !== undefined) {
            this.mEndUs[m] = e.timeUs;
            this.mEndSeq[m] = i;
            this.mStatus[m] = kind === 'deliver' ? MSG_DELIVERED : MSG_DROPPED;
            if (kind === 'drop') this.mReason[m] = this.reasonIndex(e.reason as string);
            this.msgOfEvent[i] = m;
          }
          break;
        }
        case 'crash':
          if (downStart[e.node] === undefined) downStart[e.node] = i;
          if (pauseStart[e.node] !== undefined) this.closeNodeSpan(e.node, 'pause', pauseStart, i);
          setRole(e.node, 'DOWN', i);
          this.jumps.fault.push(i);
          break;
        case 'restart':
          this.closeNodeSpan(e.node, 'crash', downStart, i);
          setRole(e.node, 'STARTING', i);
          this.jumps.fault.push(i);
          break;
        case 'pause':
          if (pauseStart[e.node] === undefined) pauseStart[e.node] = i;
          this.jumps.fault.push(i);
          break;
        case 'resume':
          this.closeNodeSpan(e.node, 'pause', pauseStart, i);
          this.jumps.fault.push(i);
          break;
        case 'partition': {
          if (partition !== undefined) {
            partition.endSeq = i;
            partition.endUs = e.timeUs;
            this.partitions.push(partition);
          }
          const cuts = (Array.isArray(e.cuts) ? e.cuts : []) as [number, number][];
          partition = { startSeq: i, startUs: e.timeUs, endSeq: n, endUs: Infinity, cuts };
          if (Array.isArray(e.groups)) partition.groups = e.groups as number[][];
          if (typeof e.shape === 'string') partition.shape = e.shape;
          if (cuts.length === 0) partition = undefined;
          this.jumps.fault.push(i);
          break;
        }
        case 'heal':
          if (partition !== undefined) {
            partition.endSeq = i;
            partition.endUs = e.timeUs;
            this.partitions.push(partition);
            partition = undefined;
          }
          this.jumps.fault.push(i);
          break;
        case 'clog':
          this.clogs.push({ from: e.from as number, to: e.to as number, startUs: e.timeUs, startSeq: i, endUs: e.untilUs as number, endSeq: i });
          this.jumps.fault.push(i);
          break;
        case 'net':
          this.jumps.fault.push(i);
          break;
        case 'state': {
          if (typeof e.role === 'string') setRole(e.node, e.role, i);
          if (e.node >= 0 && e.node < this.servers) {
            const before = epochs[e.node];
            const changed: string[] = [];
            for (const key in e) {
              if (key === 'timeUs' || key === 'seq' || key === 'node' || key === 'kind' || NON_EPOCH_FIELDS.has(key)) continue;
              if (!/epoch|ballot/i.test(key)) continue;
              if (before[key] !== e[key]) {
                // The first report of a field is its initial value, not a change.
                if (key in before) changed.push(`${key} ${String(e[key])}`);
                before[key] = e[key];
              }
            }
            if (changed.length > 0) this.epochMarks.push({ seq: i, timeUs: e.timeUs, node: e.node, text: changed.join(', ') });
          }
          break;
        }
        case 'election':
          if (electionStart < 0) this.jumps.election.push(i);
          this.elections.push({ seq: i, startSeq: electionStart < 0 ? i : electionStart, timeUs: e.timeUs, leader: Number(e.leader), epoch: Number(e.epoch ?? 0) });
          this.jumps.leader.push(i);
          electionStart = -1;
          break;
        case 'vote':
          this.jumps.vote.push(i);
          break;
        case 'note':
          if (e.node < 0 && typeof e.text === 'string') this.storyNotes.push({ seq: i, timeUs: e.timeUs, text: e.text });
          break;
        case 'commit': {
          // "The next commit": the first time any server commits an index (per origin).
          const index = e.index as number;
          const origin = e.origin ?? e.value;
          const seen = committedIndex.get(index);
          if (seen === undefined) {
            committedIndex.set(index, [origin]);
            this.jumps.commit.push(i);
          } else if (!seen.includes(origin)) {
            seen.push(origin);
            this.jumps.commit.push(i);
          }
          break;
        }
        case 'violation':
          this.violations.push(e);
          this.jumps.violation.push(i);
          break;
        case 'invoke': {
          const op: ClientOp = {
            opId: Number(e.opId),
            client: Number(e.client),
            process: Number(e.process),
            server: e.node,
            f: String(e.f),
            value: e.value,
            invokeUs: e.timeUs,
            invokeSeq: i,
          };
          if (typeof e.readMode === 'string') op.readMode = e.readMode;
          this.ops.push(op);
          openOps.set(op.opId, op);
          break;
        }
        case 'complete': {
          const op = openOps.get(Number(e.opId));
          if (op !== undefined) {
            op.result = e.result as ClientOp['result'];
            op.output = e.value;
            op.completeUs = e.timeUs;
            op.completeSeq = i;
            openOps.delete(op.opId);
          }
          break;
        }
      }
    }
    // Close what is still open at the end.
    for (let node = 0; node < this.servers; node++) {
      if (downStart[node] !== undefined) this.closeNodeSpan(node, 'crash', downStart, n);
      if (pauseStart[node] !== undefined) this.closeNodeSpan(node, 'pause', pauseStart, n);
      if (role[node] !== '') this.roleSpans.push({ node, role: role[node], startSeq: roleStart[node], endSeq: n, startUs: this.eventTime[roleStart[node]] ?? 0, endUs: Infinity });
    }
    if (partition !== undefined) this.partitions.push(partition);
    for (let b = 0; b * BLOCK < this.msgCount; b++) {
      let maxUs = -Infinity;
      let maxSeq = -Infinity;
      for (let m = b * BLOCK; m < Math.min(this.msgCount, (b + 1) * BLOCK); m++) {
        if (this.mEndUs[m] > maxUs) maxUs = this.mEndUs[m];
        if (this.mEndSeq[m] > maxSeq) maxSeq = this.mEndSeq[m];
      }
      this.blockMaxEndUs[b] = maxUs;
      this.blockMaxEndSeq[b] = maxSeq;
    }
  }

  private closeNodeSpan(node: number, kind: 'crash' | 'pause', starts: (number | undefined)[], endSeq: number): void {
    const start = starts[node];
    if (start === undefined) return;
    starts[node] = undefined;
    this.nodeSpans.push({ node, kind, startSeq: start, endSeq, startUs: this.eventTime[start], endUs: endSeq < this.events.length ? this.eventTime[endSeq] : Infinity });
  }

  get length(): number {
    return this.events.length;
  }

  /** The last event at or before `timeUs` (0 if none). */
  seqAtTime(timeUs: number): number {
    const t = this.eventTime;
    let lo = 0;
    let hi = t.length - 1;
    if (hi < 0 || t[0] > timeUs) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t[mid] <= timeUs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The first event at or after `timeUs` (length-1 if none). */
  firstSeqAtOrAfter(timeUs: number): number {
    const t = this.eventTime;
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t[mid] < timeUs) lo = mid + 1;
      else hi = mid;
    }
    return Math.min(lo, t.length - 1);
  }

  typeColor(typeIndex: number): string {
    return typeStyle(this.types[typeIndex]).color;
  }

  /** The role of `node` after event `seq`. */
  roleAt(node: number, seq: number): string {
    let best = '';
    for (const span of this.roleSpans) if (span.node === node && span.startSeq <= seq && seq < span.endSeq) best = span.role;
    return best;
  }

  /** The leader established last at or before `seq` (from election events), if it still leads. */
  leaderAt(seq: number): number {
    let leader = -1;
    for (const e of this.elections) {
      if (e.seq > seq) break;
      leader = e.leader;
    }
    if (leader < 0) return -1;
    const role = this.roleAt(leader, seq);
    return role === 'LEADING' || role === 'LEADER' ? leader : -1;
  }
}

/** In a list sorted by `valueAt` (indices 0..length-1), the first index whose value is greater than `x` (length if none). */
export function firstAfter(length: number, valueAt: (i: number) => number, x: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (valueAt(mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The next / previous position in a sorted list of seqs, strictly after / before `seq`. */
export function nextIn(list: readonly number[], seq: number): number | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] <= seq) lo = mid + 1;
    else hi = mid;
  }
  return list[lo];
}

export function prevIn(list: readonly number[], seq: number): number | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? list[lo - 1] : undefined;
}
