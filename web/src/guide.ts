/**
 * Plain-words narration of trace events, and the guided election walkthrough.
 *
 * Every sentence is computed from the actual trace: who sent what to whom, which vote
 * a server holds before and after, how many servers agree, which protocol rule fired
 * (PROTOCOLS.md §2–§5 for ZAB, §12 for Paxos). The walkthrough keeps only the events of
 * elections, discovery and synchronization (and the faults that cause them), groups a
 * server's simultaneous sends of one type into a single step, and lets the learner
 * step at their own pace.
 */
import type { TraceEvent } from '../../sim/core/trace.js';
import { MSG_DROPPED, MSG_IN_FLIGHT, type TraceModel } from './model.js';
import { txnText, type NodeStates } from './nodestate.js';
import { DROP_REASON_TEXT, compactJson, formatTime, formatZxid, serverName, typeStyle, type Phase } from './format.js';

export interface Narration {
  /** One line: what happened. */
  title: string;
  /** Why, and what it means; plain words. */
  text: string[];
  /** The protocol rule that fired, with its reference. */
  rule?: string;
  phase: Phase | 'fault' | 'info';
  /** The same step in the other protocol. */
  contrast?: string;
}

interface Vote {
  leader: number;
  zxid: number;
  epoch: number;
  round?: number;
}

const ELECTION_TYPES = new Set(['NOTIFICATION', 'Prepare', 'Promise', 'Nack', 'Probe', 'ProbeReply']);
const RECOVERY_TYPES = new Set(['FOLLOWERINFO', 'OBSERVERINFO', 'LEADERINFO', 'ACKEPOCH', 'DIFF', 'TRUNC', 'SNAP', 'NEWLEADER', 'UPTODATE']);
const WALK_KINDS = new Set(['vote', 'state', 'election', 'promise', 'sync-mode', 'truncate', 'snap', 'newleader', 'restore', 'crash', 'restart', 'pause', 'resume', 'partition', 'heal', 'violation']);

const CONTRAST: Record<string, string> = {
  election:
    'Paxos has no vote on who should lead: a server whose timer fires picks a higher ballot and runs phase 1 (Prepare). A quorum of promises makes it the leader — whatever its log holds. ZAB instead elects the server with the most recent history (epoch, then zxid, then id), so the new leader never has to fetch values from others.',
  discovery:
    'In Paxos this is phase 1: the new epoch plays the role of the ballot, FOLLOWERINFO/LEADERINFO fix it, and ACKEPOCH is the promise — it carries the follower’s last zxid as a Promise carries the values it accepted.',
  sync: 'Paxos recovers slot by slot: for each slot the leader re-proposes the highest-ballot value reported in the promises (or a no-op). ZAB ships the leader’s whole history (DIFF, TRUNC or SNAP) before it proposes anything new, which keeps every txn in its primary order.',
  propose:
    'ZAB’s PROPOSAL / ACK / COMMIT is Paxos phase 2 (Accept / Accepted) for one slot; ZAB adds FIFO channels and commits strictly in zxid order, so a follower ACKs a txn only after logging all earlier ones.',
  paxosElection:
    'ZAB’s equivalent is fast leader election followed by discovery: servers exchange votes (epoch, zxid, id), the best history wins, and the elected server then fixes a new epoch (the ballot) with a quorum of followers.',
  paxosAccept: 'ZAB’s equivalent is a PROPOSAL acknowledged by a quorum (ACK), then COMMIT. ZAB never mixes values of different leaders in adjacent positions; Multi-Paxos may.',
};

function vote(value: unknown): Vote | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.leader !== 'number') return undefined;
  return { leader: v.leader, zxid: Number(v.zxid ?? -1), epoch: Number(v.epoch ?? 0), round: typeof v.round === 'number' ? v.round : undefined };
}

function voteText(v: Vote, bits: number): string {
  return `(epoch ${v.epoch}, zxid ${formatZxid(v.zxid, bits)}, id ${v.leader})`;
}

/** Why vote a beats vote b, in ZAB's order (epoch, then zxid, then server id). */
export function whyBetter(a: Vote, b: Vote): string | undefined {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 'its epoch is higher — epoch is compared first' : undefined;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid ? 'same epoch, and its last zxid is more recent (it has seen more of the history)' : undefined;
  if (a.leader !== b.leader) return a.leader > b.leader ? 'same epoch and same zxid, so the higher server id breaks the tie' : undefined;
  return undefined;
}

export class Narrator {
  constructor(
    private readonly model: TraceModel,
    private readonly states: NodeStates,
  ) {}

  private get zab(): boolean {
    return this.model.protocol === 'zab';
  }

  private payload(seq: number): Record<string, unknown> | undefined {
    const m = this.model.msgOfEvent[seq];
    if (m < 0) return undefined;
    const send = this.model.events[this.model.mSendSeq[m]];
    return send && typeof send.msg === 'object' && send.msg !== null ? (send.msg as Record<string, unknown>) : undefined;
  }

  private quorum(): number {
    return Math.floor(this.model.servers / 2) + 1;
  }

  /** Who votes for whom after event seq (ZAB), and the most supported candidate. */
  votesAt(seq: number): { votes: (Vote | undefined)[]; best?: { leader: number; count: number } } {
    const votes: (Vote | undefined)[] = [];
    const counts = new Map<number, number>();
    for (let node = 0; node < this.model.servers; node++) {
      const f = this.states.fieldsAt(node, seq);
      const v = f.status === 'down' ? undefined : vote(f.vote);
      votes.push(v);
      if (v) counts.set(v.leader, (counts.get(v.leader) ?? 0) + 1);
    }
    let best: { leader: number; count: number } | undefined;
    for (const [leader, count] of counts) if (!best || count > best.count) best = { leader, count };
    return best ? { votes, best } : { votes };
  }

  describe(seq: number): Narration {
    const e = this.model.events[seq];
    if (!e) return { title: 'No event', text: [], phase: 'info' };
    const bits = this.model.counterBits;
    const who = serverName(e.node);
    switch (e.kind) {
      case 'send':
      case 'deliver':
      case 'drop':
      case 'duplicate':
        return this.describeMessage(seq, e);
      case 'vote': {
        const v = vote(e)!;
        const before = vote(this.states.fieldsAt(e.node, seq - 1).vote);
        const text: string[] = [];
        let title: string;
        if (!before || (v.round !== undefined && before.round !== v.round && v.leader === e.node)) {
          title = `${who} starts election round ${v.round ?? '?'} and votes for itself`;
          text.push(`Its vote is its own history: ${voteText(v, bits)}. It sends this vote to every other voter and waits to hear theirs.`);
        } else if (before.leader !== v.leader) {
          title = `${who} changes its vote: ${serverName(before.leader)} → ${serverName(v.leader)}`;
          const why = whyBetter(v, before);
          text.push(`${serverName(v.leader)}’s ${voteText(v, bits)} beats ${serverName(before.leader)}’s ${voteText(before, bits)}${why ? `: ${why}` : ''}.`);
        } else {
          title = `${who} keeps voting for ${serverName(v.leader)} (round ${v.round ?? '?'})`;
          text.push(`Vote ${voteText(v, bits)}.`);
        }
        if (typeof e.reason === 'string') text.push(`The server’s own words: “${e.reason}”.`);
        const { best } = this.votesAt(seq);
        if (best) {
          const q = this.quorum();
          text.push(
            best.count >= q
              ? `Looking at the whole cluster, ${best.count} of ${this.model.servers} servers now vote for ${serverName(best.leader)}: a quorum (${q}). Each server still has to see a quorum of matching votes itself, then waits a short finalize delay for a better vote before deciding.`
              : `Looking at the whole cluster, no candidate has a quorum yet: the most any server has is ${best.count} vote${best.count === 1 ? '' : 's'} of ${this.model.servers}, and a quorum needs ${q}.`,
          );
        }
        return { title, text, rule: 'FLE · totalOrderPredicate: compare (epoch, zxid, server id)', phase: 'election', contrast: CONTRAST.election };
      }
      case 'state': {
        const role = typeof e.role === 'string' ? e.role : undefined;
        const fields = Object.keys(e)
          .filter((k) => !['timeUs', 'seq', 'node', 'kind', 'role'].includes(k))
          .map((k) => `${k} ${typeof e[k] === 'number' && /zxid$/i.test(k) ? formatZxid(e[k], bits) : compactJson(e[k], 40)}`);
        const text: string[] = [];
        let title = `${who} state: ${fields.join(', ')}`;
        let rule: string | undefined;
        let phase: Narration['phase'] = 'info';
        const prevFields = this.states.fieldsAt(e.node, seq - 1);
        const sameRole = role !== undefined && prevFields.role === role && prevFields.status !== 'down';
        if (sameRole && typeof e.zabState === 'string' && prevFields.zabState !== e.zabState) {
          const phaseText: Record<string, string> = {
            DISCOVERY: 'discovery: leader and followers agree on a new epoch, above every epoch a quorum has accepted',
            SYNCHRONIZATION: 'synchronization: the leader brings the follower’s history up to its own (DIFF, TRUNC or SNAP), then NEWLEADER',
            BROADCAST: 'broadcast: the leader is established; new txns are proposed, acknowledged and committed in zxid order',
            ELECTION: 'election',
          };
          return {
            title: `${who} enters ${e.zabState}`,
            text: [`Phase ${phaseText[e.zabState] ?? e.zabState}.`, ...(fields.length ? [`Now: ${fields.join(', ')}.`] : [])],
            rule: `ZAB phase · ${String(prevFields.zabState ?? '?')} → ${e.zabState}`,
            phase: e.zabState === 'DISCOVERY' ? 'discovery' : e.zabState === 'SYNCHRONIZATION' ? 'sync' : e.zabState === 'BROADCAST' ? 'commit' : 'election',
            ...(e.zabState === 'DISCOVERY' ? { contrast: CONTRAST.discovery } : e.zabState === 'SYNCHRONIZATION' ? { contrast: CONTRAST.sync } : {}),
          };
        }
        if (sameRole && role !== undefined) {
          const changed = Object.keys(e).filter((k) => !['timeUs', 'seq', 'node', 'kind'].includes(k) && JSON.stringify(e[k]) !== JSON.stringify(prevFields[k]));
          if (changed.length > 0) {
            const what = changed.map((k) => `${k} ${typeof e[k] === 'number' && /zxid$/i.test(k) ? formatZxid(e[k], bits) : compactJson(e[k], 30)}`).join(', ');
            const epochText = changed.includes('acceptedEpoch')
              ? `acceptedEpoch is the epoch it promised to follow: written to disk before it answers, it stops it from following an older leader.`
              : changed.includes('currentEpoch')
                ? `currentEpoch is the epoch whose history it has adopted: written only once that history is on disk.`
                : '';
            return { title: `${who}: ${what}`, text: epochText ? [epochText] : [], phase: changed.some((k) => /epoch/i.test(k)) ? 'discovery' : 'info', ...(changed.includes('acceptedEpoch') || changed.includes('currentEpoch') ? { rule: changed.includes('acceptedEpoch') ? 'Discovery · persist acceptedEpoch' : 'Synchronization · persist currentEpoch' } : {}) };
          }
        }
        if (role !== undefined) {
          title = `${who} becomes ${role}`;
          phase = 'election';
          const leader = typeof e.leader === 'number' ? e.leader : undefined;
          switch (role) {
            case 'LOOKING':
              text.push('It has no leader: it enters leader election (fast leader election, FLE).');
              rule = 'FLE · lookForLeader';
              break;
            case 'FOLLOWING':
              text.push(`It decided that ${leader !== undefined ? serverName(leader) : 'the candidate'} leads: a quorum of the votes it received agree and no better vote came during the finalize wait. Next: discovery — it tells the leader its acceptedEpoch (FOLLOWERINFO).`);
              rule = 'FLE · decide (quorum of matching votes, then finalizeWait)';
              break;
            case 'LEADING':
              text.push('A quorum of the votes it received name it. It is only a prospective leader: it must first fix a new epoch with a quorum (discovery) and bring them up to date (synchronization) before it serves.');
              rule = 'FLE · decide → Leader.lead()';
              break;
            case 'FOLLOWER':
              text.push(leader !== undefined && leader !== null ? `It follows ${serverName(leader)} (ballot ${String(e.ballot ?? '?')}): it heard from a leader with a ballot at least as high as any it promised.` : 'It waits to hear from a leader; if none comes before its election timeout, it runs phase 1 itself.');
              rule = this.zab ? undefined : 'Multi-Paxos · follow the highest ballot heard';
              break;
            case 'CANDIDATE':
              text.push(`It runs phase 1 with ballot ${String(e.ballot ?? '?')}: it asks every acceptor to promise to ignore lower ballots.`);
              rule = 'Paxos 1a · Prepare';
              break;
            case 'LEADER':
              text.push(`It leads with ballot ${String(e.ballot ?? '?')}.`);
              rule = 'Paxos · quorum of promises';
              break;
          }
          if (fields.length > 0) text.push(`Now: ${fields.join(', ')}.`);
        } else if (fields.length > 0) {
          text.push(this.zab ? 'ZAB keeps acceptedEpoch (the epoch it agreed to) and currentEpoch (the epoch whose history it adopted) on disk: they survive crashes.' : 'The ballot is durable: a restarted acceptor must keep its promises.');
        }
        return { title, text, ...(rule ? { rule } : {}), phase, ...(this.zab ? { contrast: CONTRAST.election } : { contrast: CONTRAST.paxosElection }) };
      }
      case 'election': {
        const epoch = String(e.epoch ?? '?');
        if (this.zab) {
          const quorum = Array.isArray(e.quorum) ? (e.quorum as number[]).map(serverName).join(', ') : '';
          return {
            title: `${serverName(Number(e.leader))} is established as the leader of epoch ${epoch}`,
            text: [`A quorum${quorum ? ` (${quorum})` : ''} acknowledged NEWLEADER: they wrote currentEpoch = ${epoch} and hold the leader’s history. From now on it proposes new txns with zxids ${epoch}:1, ${epoch}:2, …`],
            rule: 'Synchronization · quorum of NEWLEADER ACKs → startZkServer',
            phase: 'sync',
            contrast: 'In Paxos the leader is established as soon as a quorum promised its ballot (phase 1); here the quorum must also have synchronized its history.',
          };
        }
        const promises = Array.isArray(e.promises) ? (e.promises as number[]).map(serverName).join(', ') : '';
        return {
          title: `${serverName(Number(e.leader))} leads with ballot ${epoch}`,
          text: [`Promises for ballot ${epoch} came from a quorum${promises ? ` (${promises})` : ''}: no lower ballot can get a value chosen any more. Multi-Paxos runs phase 1 once for every slot from ${String(e.fromSlot ?? '?')} on; each new command then needs only phase 2.`],
          rule: 'Paxos · quorum of promises → leader for all slots ≥ k',
          phase: 'election',
          contrast: CONTRAST.paxosElection,
        };
      }
      case 'promise':
        return {
          title: `${who} promises ballot ${String(e.ballot)}`,
          text: [`It will ignore every Prepare or Accept below ${String(e.ballot)}, and reports the ${String(e.votes ?? 0)} value(s) it accepted from slot ${String(e.fromSlot ?? '?')} on. The promise is written to disk before the reply goes out.`],
          rule: 'Paxos 1b · promise if b > promised',
          phase: 'election',
          contrast: 'ZAB’s equivalent is ACKEPOCH: a follower accepts the new epoch and reports its last zxid.',
        };
      case 'propose':
        return { title: `${who} proposes ${String(e.label ?? e.index)}: ${this.txn(e)}`, text: [this.zab ? 'The leader assigns the next zxid and sends PROPOSAL to its followers; it logs the txn too.' : 'The leader assigns the next free slot and sends Accept(ballot, slot, value) to the acceptors.'], rule: this.zab ? 'Broadcast · propose' : 'Paxos 2a · Accept', phase: 'propose', contrast: this.zab ? CONTRAST.propose : CONTRAST.paxosAccept };
      case 'accepted':
        return { title: `${who} accepts slot ${String(e.slot)} at ballot ${String(e.ballot)}`, text: [`Its vote (${String(e.label ?? e.value)}) is on disk; it tells the others (Accepted).`], rule: 'Paxos 2b · accept if b ≥ promised', phase: 'ack', contrast: CONTRAST.paxosAccept };
      case 'chosen':
        return { title: `${who} learns slot ${String(e.slot)} is chosen`, text: [`A quorum accepted the same value at ballot ${String(e.ballot)} (${String(e.via ?? '')}).`], rule: 'Paxos · chosen = accepted by a quorum at one ballot', phase: 'commit' };
      case 'logged':
        return { title: `${who} logged ${String(e.label ?? formatZxid(e.index ?? e.zxid, bits))} durably`, text: ['The fsync completed: the txn survives a crash now. A follower ACKs only at this point.'], rule: 'Log · SyncRequestProcessor (fsync before ACK)', phase: 'ack' };
      case 'commit':
        return { title: `${who} commits ${String(e.label ?? e.index)}: ${this.txn(e)}`, text: [this.zab ? 'Applied to its data tree, in zxid order.' : 'Chosen and executed on its data tree, in slot order.'], rule: this.zab ? 'Broadcast · COMMIT in zxid order' : 'Multi-Paxos · execute chosen slots in order', phase: 'commit' };
      case 'truncate':
        return { title: `${who} truncates its log`, text: [`Everything after ${formatZxid(e.index ?? e.zxid ?? e.to, bits)} is removed: those txns were never committed by the new leader’s history.`], rule: 'Synchronization · TRUNC', phase: 'sync' };
      case 'newleader':
        return {
          title: `${who} acknowledges NEWLEADER from ${serverName(Number(e.leader))} (epoch ${String(e.epoch)})`,
          text: [`Its history (synchronized by ${String(e.mode ?? '?')}, up to ${formatZxid(e.zxid, bits)}) is on disk and currentEpoch = ${String(e.epoch)} is written; only then does it send the ACK. The leader counts these ACKs: a quorum establishes it.`],
          rule: 'Synchronization · Learner.syncWithLeader: persist, write currentEpoch, then ACK',
          phase: 'sync',
          contrast: CONTRAST.sync,
        };
      case 'restore':
        return {
          title: `${who} rebuilds its tree from disk (${String(e.reason)})`,
          text: [restoreText(e, bits)],
          rule: 'QuorumPeer.loadDataBase',
          phase: 'info',
        };
      case 'snap':
        return { title: `${who} installs ${serverName(Number(e.leader))}’s snapshot (${String(e.label ?? formatZxid(e.zxid, bits))})`, text: ['Its own tree is replaced by the leader’s.'], rule: 'Synchronization · SNAP', phase: 'sync', contrast: CONTRAST.sync };
      case 'snapshot':
        return { title: `${who} writes a snapshot at ${String(e.label ?? formatZxid(e.zxid, bits))}`, text: ['The tree is on disk: a restart starts from it, then replays the log after it.'], phase: 'info' };
      case 'sync-mode':
        return { title: `${who} synchronizes ${serverName(Number(e.learner))} by ${String(e.mode)}`, text: [syncModeText(String(e.mode), e, bits)], rule: 'Synchronization · LearnerHandler.syncFollower', phase: 'sync', contrast: CONTRAST.sync };
      case 'note':
        return { title: e.node >= 0 ? `${who}: ${String(e.text)}` : String(e.text), text: [], phase: 'info' };
      case 'violation':
        return { title: `Invariant ${String(e.invariant)} violated`, text: [String(e.message)], rule: `invariant · ${String(e.invariant)}`, phase: 'fault' };
      case 'timer':
        return { title: `${who}: timer “${String(e.name)}” fired`, text: [timerText(String(e.name), this.zab)], phase: 'info' };
      case 'sync':
        return { title: `${who}: disk sync ${String(e.syncId)} completed`, text: ['Everything written before it is durable now.'], phase: 'info' };
      case 'crash':
        return { title: `${who} crashes`, text: ['Everything in memory is gone: role, vote, the in-memory tree, writes not yet synced to disk. What it fsynced (log, epochs, promises) survives.'], phase: 'fault' };
      case 'restart':
        return { title: `${who} restarts`, text: ['It reads its durable state back (log, epochs) and starts as a follower-to-be: it must find the leader again.'], phase: 'fault' };
      case 'pause':
        return { title: `${who} is paused`, text: ['A GC pause: state is kept, but nothing is processed; messages and timers wait.'], phase: 'fault' };
      case 'resume':
        return { title: `${who} resumes`, text: ['Everything that arrived or fell due meanwhile runs now, in order.'], phase: 'fault' };
      case 'partition': {
        const groups = Array.isArray(e.groups) ? (e.groups as number[][]).map((g) => `{${g.map(serverName).join(', ')}}`).join(' | ') : `${Array.isArray(e.cuts) ? e.cuts.length : 0} one-way cuts`;
        return { title: `Network partition: ${groups}`, text: ['Messages across the cut are dropped, at send or on arrival.'], phase: 'fault' };
      }
      case 'heal':
        return { title: 'The network heals', text: ['Every cut is removed.'], phase: 'fault' };
      case 'clog':
        return { title: `Link ${serverName(Number(e.from))} → ${serverName(Number(e.to))} clogged until ${formatTime(Number(e.untilUs))}`, text: ['Messages on it are held, then delivered in order.'], phase: 'fault' };
      case 'invoke':
        return { title: `Client ${String(e.client)} → ${who}: ${String(e.f)} ${compactJson(e.value, 60)}`, text: [], phase: 'client' };
      case 'complete':
        return { title: `Client ${String(e.client)} ← ${who}: ${String(e.f)} ${String(e.result)}${e.value !== undefined ? ` → ${compactJson(e.value, 60)}` : ''}`, text: [], phase: 'client' };
      case 'disconnect':
        return { title: `${who} notices its connection to ${serverName(Number(e.peer))} broke`, text: ['As TCP would: after a timeout, or a reset when the peer restarted. It will reconnect on the next send.'], phase: 'fault' };
      default: {
        const fields = Object.keys(e)
          .filter((k) => !['timeUs', 'seq', 'node', 'kind'].includes(k))
          .map((k) => `${k} ${compactJson(e[k], 40)}`)
          .join(', ');
        return { title: `${who}: ${e.kind}${fields ? ` (${fields})` : ''}`, text: [], phase: 'info' };
      }
    }
  }

  private txn(e: TraceEvent): string {
    if (e.txn === undefined) return e.command === 'noop' ? 'no-op' : String(e.command ?? '');
    const text = txnText(e.txn);
    return (e.txn as { type?: string }).type === 'error' ? `${text} (a failed request: ordered, changes nothing)` : text;
  }

  private describeMessage(seq: number, e: TraceEvent): Narration {
    const model = this.model;
    const m = model.msgOfEvent[seq];
    const type = String(e.type);
    const phase = typeStyle(type).phase;
    const from = e.kind === 'send' ? e.node : Number(e.from);
    const to = e.kind === 'send' ? Number(e.to) : e.node;
    const msg = this.payload(seq);
    const what = `${type}${msg ? ` ${messageSummary(msg, this.model.counterBits)}` : ''}`;
    const text: string[] = [];
    const meaning = messageMeaning(type, msg, from, to, this.model.counterBits, this.zab);
    if (meaning) text.push(meaning);
    let title: string;
    if (e.kind === 'send') {
      title = `${serverName(from)} sends ${what} to ${serverName(to)}`;
      if (m >= 0) {
        const st = model.mStatus[m];
        if (st === MSG_DROPPED) text.push(`It will be dropped: ${DROP_REASON_TEXT[model.reasons[model.mReason[m]]] ?? model.reasons[model.mReason[m]]}.`);
        else if (st !== MSG_IN_FLIGHT) text.push(`It arrives after ${formatTime(model.mEndUs[m] - model.mSendUs[m])}.`);
      }
    } else if (e.kind === 'deliver') {
      title = `${serverName(to)} receives ${what} from ${serverName(from)}`;
      if (type === 'NOTIFICATION' && msg) {
        const mine = vote(this.states.fieldsAt(to, seq - 1).vote);
        const theirs = vote({ leader: msg.leader, zxid: msg.zxid, epoch: msg.peerEpoch });
        if (mine && theirs) {
          const why = whyBetter(theirs, mine);
          text.push(why ? `It proposes ${serverName(theirs.leader)} ${voteText(theirs, this.model.counterBits)}, better than ${serverName(to)}’s own vote for ${serverName(mine.leader)}: ${why}.` : `It proposes ${serverName(theirs.leader)}; ${serverName(to)}’s vote for ${serverName(mine.leader)} ${voteText(mine, this.model.counterBits)} is at least as good, so it keeps it.`);
        }
      }
      if (type === 'Promise' && msg) {
        const ballot = msg.ballot;
        const senders = new Set<number>();
        for (let i = seq; i >= 0; i--) {
          const d = model.events[i];
          if (d.kind === 'deliver' && d.node === to && d.type === 'Promise') {
            const p = this.payload(i);
            if (p && p.ballot === ballot) senders.add(Number(d.from));
          }
          if (d.kind === 'state' && d.node === to && d.role !== undefined && i < seq && d.role !== 'CANDIDATE') break;
        }
        text.push(`${serverName(to)} now has ${senders.size} promise(s) for ballot ${String(ballot)}; it needs ${this.quorum()} (a majority of ${model.servers}).`);
      }
    } else if (e.kind === 'drop') {
      title = `${what} from ${serverName(from)} to ${serverName(to)} is dropped`;
      text.push(`Why: ${DROP_REASON_TEXT[String(e.reason)] ?? String(e.reason)}.`);
    } else {
      title = `The network duplicates ${type} from ${serverName(from)} to ${serverName(to)}`;
    }
    const contrast = phase === 'election' ? (this.zab ? CONTRAST.election : CONTRAST.paxosElection) : phase === 'discovery' ? CONTRAST.discovery : phase === 'sync' ? CONTRAST.sync : phase === 'propose' || phase === 'ack' || phase === 'commit' ? (this.zab ? CONTRAST.propose : CONTRAST.paxosAccept) : undefined;
    const rule = MESSAGE_RULES[type];
    return { title, text, ...(rule ? { rule } : {}), phase, ...(contrast ? { contrast } : {}) };
  }

  /**
   * The walkthrough: the events of elections, discovery, synchronization and faults.
   * A server's sends of one type at one instant form one step.
   */
  walkthrough(): number[] {
    const model = this.model;
    const steps: number[] = [];
    let groupKey = '';
    for (let i = 0; i < model.length; i++) {
      const e = model.events[i];
      let keep = false;
      if (WALK_KINDS.has(e.kind)) keep = true;
      else if ((e.kind === 'send' || e.kind === 'deliver' || e.kind === 'drop') && (ELECTION_TYPES.has(String(e.type)) || RECOVERY_TYPES.has(String(e.type)))) {
        keep = e.kind !== 'send' || e.node !== e.to;
        if (e.kind === 'deliver' && e.from === e.node) keep = false;
      } else if (e.kind === 'note' && e.node >= 0) {
        // A note that only repeats the reason of the vote recorded with it adds nothing.
        const next = model.events[i + 1];
        keep = !(next && next.kind === 'vote' && next.node === e.node && next.reason === e.text);
      }
      else if (e.kind === 'timer' && /elect|fle|lead|look/i.test(String(e.name))) keep = true;
      if (!keep) continue;
      if (e.kind === 'send') {
        const key = `${e.node}/${String(e.type)}/${e.timeUs}`;
        if (key === groupKey) continue;
        groupKey = key;
      } else {
        groupKey = '';
      }
      steps.push(i);
    }
    return steps;
  }

  /** Narration of a walkthrough step (a grouped send names every recipient). */
  narrateStep(seq: number): Narration {
    const e = this.model.events[seq];
    const n = this.describe(seq);
    if (e?.kind === 'send') {
      const recipients: number[] = [];
      for (let i = seq; i < this.model.length; i++) {
        const f = this.model.events[i];
        if (f.timeUs !== e.timeUs) break;
        if (f.kind === 'send' && f.node === e.node && f.type === e.type && f.to !== e.node) recipients.push(Number(f.to));
      }
      if (recipients.length > 1) {
        const msg = this.payload(seq);
        n.title = `${serverName(e.node)} sends ${String(e.type)}${msg ? ` ${messageSummary(msg, this.model.counterBits)}` : ''} to ${recipients.map(serverName).join(', ')}`;
      }
    }
    return n;
  }
}

/**
 * What a restart read back from disk. The log is replayed whole, so a tail that was
 * logged but never committed comes back too — said only when something was replayed.
 */
export function restoreText(e: TraceEvent, bits: number): string {
  const replayed = Number(e.replayed ?? 0);
  const snapshot = Number(e.snapshotZxid ?? 0) === 0 ? 'An empty snapshot (zxid 0:0)' : `A snapshot at ${formatZxid(e.snapshotZxid, bits)}`;
  const log =
    replayed === 0
      ? 'nothing logged after it, so there is nothing to replay'
      : `then ${replayed} logged txn${replayed === 1 ? '' : 's'} replayed on top — the whole log, so any logged but never-committed tail comes back too`;
  return `${snapshot}, ${log}: the tree ends at ${formatZxid(e.lastProcessedZxid, bits)}. Epochs read back: acceptedEpoch ${String(e.acceptedEpoch)}, currentEpoch ${String(e.currentEpoch)}.`;
}

const MESSAGE_RULES: Record<string, string> = {
  NOTIFICATION: 'FLE · sendNotifications / handle a notification (lookForLeader)',
  FOLLOWERINFO: 'Discovery · FOLLOWERINFO (paper: CEPOCH)',
  OBSERVERINFO: 'Discovery · OBSERVERINFO',
  LEADERINFO: 'Discovery · LEADERINFO (paper: NEWEPOCH), epoch = max acceptedEpoch + 1',
  ACKEPOCH: 'Discovery · ACKEPOCH (paper: ACK-E)',
  DIFF: 'Synchronization · DIFF',
  TRUNC: 'Synchronization · TRUNC',
  SNAP: 'Synchronization · SNAP',
  NEWLEADER: 'Synchronization · NEWLEADER (paper: NEWLEADER / ACK-LD)',
  UPTODATE: 'Synchronization · UPTODATE (paper: COMMIT-LD)',
  PROPOSAL: 'Broadcast · PROPOSAL',
  ACK: 'Broadcast · ACK (after the txn is logged)',
  COMMIT: 'Broadcast · COMMIT (quorum of ACKs, in zxid order)',
  INFORM: 'Broadcast · INFORM (to observers)',
  PING: 'Failure detection · PING every tickTime/2',
  REQUEST: 'Write path · follower forwards the request to the leader',
  Prepare: 'Paxos 1a · Prepare(b)',
  Promise: 'Paxos 1b · Promise(b, accepted values)',
  Nack: 'Paxos · reject: a higher ballot was promised',
  Probe: 'Pre-vote · would a quorum support a new ballot?',
  ProbeReply: 'Pre-vote · answer',
  Accept: 'Paxos 2a · Accept(b, slot, v)',
  Accepted: 'Paxos 2b · Accepted(b, slot, v)',
  Heartbeat: 'Multi-Paxos · leader heartbeat',
  HeartbeatAck: 'Multi-Paxos · heartbeat answer',
  CatchUpReq: 'Multi-Paxos · catch up on chosen slots',
  CatchUp: 'Multi-Paxos · chosen slots sent to a lagging server',
  Forward: 'Write path · forward the request to the leader',
};

function messageSummary(msg: Record<string, unknown>, bits: number): string {
  const parts: string[] = [];
  const show = (key: string, label = key) => {
    if (msg[key] === undefined) return;
    const v = msg[key];
    parts.push(`${label} ${typeof v === 'number' && /zxid/i.test(key) ? formatZxid(v, bits) : compactJson(v, 24)}`);
  };
  switch (String(msg.type)) {
    case 'NOTIFICATION':
      return `(vote ${String(msg.leader)}, epoch ${String(msg.peerEpoch)}, zxid ${formatZxid(msg.zxid, bits)}, round ${String(msg.electionEpoch)}, ${String(msg.state)})`;
    case 'Accept':
    case 'Accepted': {
      const entries = Array.isArray(msg.entries) ? (msg.entries as { slot?: number }[]) : [];
      const slots = entries.map((x) => x.slot).filter((x) => x !== undefined);
      return `(ballot ${String(msg.ballot)}, slot${slots.length > 1 ? 's' : ''} ${slots.length > 3 ? `${slots[0]}…${slots[slots.length - 1]}` : slots.join(', ')})`;
    }
    case 'PROPOSAL':
    case 'INFORM': {
      const entry = msg.entry as Record<string, unknown> | undefined;
      return entry ? `(zxid ${formatZxid(entry.zxid, bits)})` : '';
    }
    default:
      for (const key of ['ballot', 'epoch', 'acceptedEpoch', 'currentEpoch', 'zxid', 'fromSlot', 'seq']) show(key);
      return parts.length ? `(${parts.join(', ')})` : '';
  }
}

function messageMeaning(type: string, msg: Record<string, unknown> | undefined, from: number, to: number, bits: number, zab: boolean): string | undefined {
  const f = serverName(from);
  const t = serverName(to);
  switch (type) {
    case 'NOTIFICATION':
      return msg ? `${f} tells ${t} whom it votes for: ${serverName(Number(msg.leader))} with (epoch ${String(msg.peerEpoch)}, zxid ${formatZxid(msg.zxid, bits)}), in election round ${String(msg.electionEpoch)}; ${f} is ${String(msg.state)}.` : undefined;
    case 'FOLLOWERINFO':
      return `${f} has decided to follow ${t} and reports its acceptedEpoch${msg?.acceptedEpoch !== undefined ? ` (${String(msg.acceptedEpoch)})` : ''}. The leader waits for a quorum of these to choose an epoch above all of them.`;
    case 'LEADERINFO':
      return `${f} proposes epoch ${String(msg?.epoch ?? '?')} to ${t}. ${t} writes acceptedEpoch = ${String(msg?.epoch ?? '?')} to disk if it is higher than its own, and answers ACKEPOCH.`;
    case 'ACKEPOCH':
      return `${f} accepts the new epoch and reports its currentEpoch${msg?.currentEpoch !== undefined ? ` (${String(msg.currentEpoch)})` : ''} and last zxid${msg?.zxid !== undefined ? ` (${formatZxid(msg.zxid, bits)})` : ''}, so the leader can choose how to synchronize it.`;
    case 'DIFF':
      return `${t} misses only some committed txns: ${f} sends them (PROPOSAL + COMMIT each) before NEWLEADER.`;
    case 'TRUNC':
      return `${t} has txns the leader’s history does not: it must truncate its log to ${formatZxid(msg?.zxid, bits)}.`;
    case 'SNAP':
      return `${t} is too far behind (or diverged across epochs): ${f} sends a full snapshot of its tree.`;
    case 'NEWLEADER':
      return `${f} asks ${t} to adopt its history as the initial history of the new epoch. ${t} logs what it received, writes currentEpoch, then ACKs.`;
    case 'UPTODATE':
      return `A quorum acknowledged NEWLEADER: ${t} may start serving clients.`;
    case 'PROPOSAL':
      return `${f} proposes a txn; ${t} logs it and ACKs once it is on disk.`;
    case 'ACK':
      return `${f} has the txn on disk. A quorum of ACKs lets the leader commit.`;
    case 'COMMIT':
      return `A quorum logged the txn: ${t} may apply it to its tree.`;
    case 'Prepare':
      return `${f} asks ${t} to promise ballot ${String(msg?.ballot ?? '?')} (phase 1a): “ignore anything lower, and tell me what you accepted”.`;
    case 'Promise':
      return `${f} promises ballot ${String(msg?.ballot ?? '?')} to ${t}${Array.isArray(msg?.accepted) ? `, reporting ${(msg.accepted as unknown[]).length} accepted value(s)` : ''} (phase 1b).`;
    case 'Nack':
      return `${f} refuses: it has promised a higher ballot.`;
    case 'Accept':
      return `${f} asks ${t} to accept a value for a slot at its ballot (phase 2a).`;
    case 'Accepted':
      return `${f} accepted (phase 2b). A value accepted by a quorum at one ballot is chosen.`;
    case 'Heartbeat':
    case 'PING':
      return zab ? `The leader’s liveness signal: a follower that hears nothing for syncLimit ticks goes LOOKING.` : `The leader’s liveness signal: a follower that hears nothing for an election timeout runs phase 1.`;
    default:
      return undefined;
  }
}

function syncModeText(mode: string, e: TraceEvent, bits: number): string {
  const peer = e.peerZxid !== undefined ? ` The learner’s last zxid is ${formatZxid(e.peerZxid, bits)}.` : '';
  switch (mode) {
    case 'DIFF':
      return `The learner’s history is a prefix of the leader’s: it gets the missing committed txns (${String(e.txns ?? 0)}).${peer}`;
    case 'TRUNC':
      return `The learner has txns beyond the leader’s committed history: it must truncate to ${formatZxid(e.zxid, bits)}.${peer}`;
    case 'SNAP':
      return `The learner is too far behind or diverged in an older epoch: it gets the whole tree as a snapshot.${peer}`;
    default:
      return `Sync mode ${mode}.${peer}`;
  }
}

function timerText(name: string, zab: boolean): string {
  if (/elect/i.test(name)) return zab ? 'No leader: start or resume leader election.' : 'No leader heard for an election timeout: this server will try to lead with a higher ballot.';
  if (/tick|ping|heart/i.test(name)) return 'Periodic work: heartbeats and failure detection.';
  if (/fle|notif/i.test(name)) return 'No new vote arrived in time: re-send the current vote to everyone.';
  if (/final/i.test(name)) return 'The finalize wait is over: no better vote arrived, so the server decides.';
  return '';
}
