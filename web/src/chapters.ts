/**
 * The guided walkthrough, in chapters: an election as a learner should meet it —
 * boot and recovery from disk → votes → a quorum forms → the finalize wait → discovery
 * → synchronization → established — in a few dozen steps, not every event. What is
 * noise to a learner is folded into one step: the boot of every server, a server's
 * sends of one vote to every peer, the role decisions after the finalize wait, the
 * per-learner sync messages. Then the broadcast chapter: one txn from proposal to
 * commit. Everything is read from the trace; nothing here knows more than it says.
 *
 * Each step may carry a prediction (predict.ts): the question is asked before the step
 * is shown, and its answer is the step itself.
 */
import type { TraceEvent } from '../../sim/core/trace.js';
import type { TraceModel } from './model.js';
import type { NodeStates } from './nodestate.js';
import { formatZxid, roleFamily, serverName, type Phase } from './format.js';

export type ChapterKind = 'crash' | 'boot' | 'votes' | 'quorum' | 'finalize' | 'discovery' | 'sync' | 'established' | 'broadcast';

export interface ChapterInfo {
  name: string;
  rule: string;
  paper: string;
  code: string;
}

/** Each chapter's rule, its place in the Zab paper (ZAB11: Junqueira, Reed, Serafini, DSN 2011) and in ZooKeeper's code. */
export const ZAB_CHAPTERS: Record<ChapterKind, ChapterInfo> = {
  crash: { name: 'A crash', rule: 'A crashed server loses its memory — role, vote, anything not yet synced to disk; what it fsynced survives.', paper: 'ZAB11 §III (crash-recovery model)', code: 'QuorumPeer (a process restart)' },
  boot: { name: 'Boot and recovery from disk', rule: 'A server restarts from its snapshot and replays its log; its epochs are read back from their files.', paper: 'ZAB11 §IV (a process recovers with its history h_f and epochs f.p, f.a)', code: 'QuorumPeer.loadDataBase' },
  votes: { name: 'Votes', rule: 'A vote is (epoch, last zxid, server id); a server adopts any vote that beats its own, in that order.', paper: 'ZAB11 Phase 0 (leader election); FLE in MED12', code: 'FastLeaderElection.lookForLeader, totalOrderPredicate' },
  quorum: { name: 'A quorum forms', rule: 'Once a quorum of the votes it received agree with its own, a server stops looking — after a short wait for a better vote.', paper: 'ZAB11 Phase 0: a prospective leader needs a quorum', code: 'FastLeaderElection: voteSet.hasAllQuorums()' },
  finalize: { name: 'The finalize wait', rule: 'It drains the queue for finalizeWait (200 ms); no better vote came, so it decides: LEADING if the vote is its own, else FOLLOWING.', paper: 'ZAB11 Phase 0 (FLE’s timeout)', code: 'FastLeaderElection.finalizeWait, QuorumPeer.setPeerState' },
  discovery: { name: 'Discovery', rule: 'The leader collects FOLLOWERINFO from a quorum and proposes epoch = max acceptedEpoch + 1; followers answer ACKEPOCH with their history.', paper: 'ZAB11 Phase 1 (discovery: CEPOCH, NEWEPOCH, ACK-E)', code: 'Leader.getEpochToPropose, Leader.waitForEpochAck, Learner.registerWithLeader' },
  sync: { name: 'Synchronization', rule: 'The leader brings each follower to its own history (DIFF, TRUNC or SNAP), then NEWLEADER; a follower persists it and writes currentEpoch before its ACK.', paper: 'ZAB11 Phase 2 (synchronization: NEWLEADER, ACK-LD, COMMIT-LD)', code: 'LearnerHandler.syncFollower, Learner.syncWithLeader, Leader.waitForNewLeaderAck' },
  established: { name: 'Established', rule: 'A quorum acknowledged NEWLEADER: the leader is established in its epoch and starts broadcasting.', paper: 'ZAB11 Phase 2 → Phase 3', code: 'Leader.lead (UPTODATE), ZabState.BROADCAST' },
  broadcast: { name: 'Broadcast', rule: 'The leader proposes a txn; each follower logs it durably, then ACKs; a quorum of ACKs commits it, in zxid order.', paper: 'ZAB11 Phase 3 (broadcast)', code: 'Leader.propose, SyncRequestProcessor, Leader.processAck / commit' },
};

export const PAXOS_CHAPTERS: Record<ChapterKind, ChapterInfo> = {
  ...ZAB_CHAPTERS,
  boot: { name: 'Boot and recovery from disk', rule: 'An acceptor restarts with what it persisted: its promised ballot and its accepted values.', paper: 'Paxos Made Simple §2.2 (acceptors remember across failures)', code: 'sim/paxos: durable promised / accepted' },
  votes: { name: 'Phase 1: prepare and promises', rule: 'A server whose election timer fires picks a higher ballot and sends Prepare; an acceptor promises if the ballot is above any it promised, reporting what it accepted.', paper: 'Paxos Made Simple §2.2 phase 1 (a), (b)', code: 'sim/paxos: Prepare / Promise' },
  quorum: { name: 'A quorum of promises', rule: 'Promises from a quorum make the proposer the leader of its ballot — whatever its own log holds; it re-proposes the values they reported.', paper: 'Paxos Made Simple §2.2 phase 2 (a); §3 (Multi-Paxos leader)', code: 'sim/paxos: leader on a quorum of promises' },
  established: { name: 'Leading', rule: 'The leader of the highest ballot runs phase 2 for new commands.', paper: 'Paxos Made Simple §3', code: 'sim/paxos: Accept / Accepted' },
  broadcast: { name: 'Phase 2: accept and choose', rule: 'The leader sends Accept(b, slot, v); a value accepted by a quorum is chosen, and executed in slot order.', paper: 'Paxos Made Simple §2.2 phase 2, §3', code: 'sim/paxos: Accept / Accepted / chosen' },
};

export interface GuideStep {
  seq: number;
  chapter: ChapterKind;
  /** A folded step says what it stands for; else the narrator describes the event. */
  title?: string;
  text?: string[];
  phase?: Phase | 'fault' | 'info';
  /** Events this step stands for (1: just its own). */
  folded: number;
  question?: Question;
}

export interface Question {
  prompt: string;
  /** Choice labels; `answer` is the index of the right one. */
  choices: string[];
  answer: number;
  explain: string;
}

export interface Walk {
  /** Which election (index into model.elections), or -1 for a trace without one. */
  election: number;
  steps: GuideStep[];
  /** Where the following chapters begin, for the "next chapter" offers. */
  next: { label: string; seq: number; election?: number; broadcast?: boolean }[];
}

const vote = (e: TraceEvent) => ({ leader: Number(e.leader), epoch: Number(e.epoch ?? 0), zxid: Number(e.zxid ?? 0) });

/** The seq where the election that ends at election `i` began for the servers that end in it. */
function electionWindow(model: TraceModel, i: number): [number, number] {
  const e = model.elections[i];
  const prev = i > 0 ? model.elections[i - 1].seq : -1;
  // Each server's last move into looking before the leader is established.
  let start = Infinity;
  const lastLooking = new Map<number, number>();
  for (const span of model.roleSpans) {
    if (span.startSeq > e.seq || roleFamily(span.role) !== 'looking') continue;
    if (span.startSeq > (lastLooking.get(span.node) ?? -1)) lastLooking.set(span.node, span.startSeq);
  }
  for (const s of lastLooking.values()) if (s > prev) start = Math.min(start, s);
  // Paxos: the pre-vote probes come before the candidate's role change.
  if (model.protocol === 'paxos' && e.startSeq > prev) start = Math.min(start, e.startSeq);
  if (!Number.isFinite(start)) start = e.startSeq > prev ? e.startSeq : e.seq;
  return [start, e.seq];
}

/** The walkthrough of election `i` (its chapters up to "established"), then a broadcast chapter if asked. */
export function electionWalk(model: TraceModel, states: NodeStates, i: number, broadcast = false): Walk {
  const paxos = model.protocol === 'paxos';
  if (i < 0 || i >= model.elections.length) return { election: -1, steps: [], next: [] };
  const election = model.elections[i];
  const [start, end] = electionWindow(model, i);
  const steps: GuideStep[] = [];
  const ev = model.events;
  const bits = model.counterBits;
  const servers = model.servers;
  const quorum = Math.floor(servers / 2) + 1;

  // Boot: the restores at (or just before) the start, at the start's instant.
  const startUs = model.eventTime[start];
  const restores: number[] = [];
  for (let s = start; s >= 0 && model.eventTime[s] === startUs; s--) if (ev[s].kind === 'restore') restores.push(s);
  for (let s = start + 1; s <= end && model.eventTime[s] === startUs; s++) if (ev[s].kind === 'restore') restores.push(s);
  restores.sort((a, b) => a - b);
  if (restores.length > 0) {
    const lines = restores.map((s) => {
      const r = ev[s];
      const replayed = Number(r.replayed ?? 0);
      return `${serverName(r.node)}: currentEpoch ${String(r.currentEpoch ?? '?')}, last zxid ${formatZxid(r.lastProcessedZxid, bits)}${replayed > 0 ? ` (${replayed} logged txn${replayed === 1 ? '' : 's'} replayed)` : ''}`;
    });
    const same = new Set(restores.map((s) => `${String(ev[s].currentEpoch)}/${String(ev[s].lastProcessedZxid)}`)).size === 1;
    steps.push({
      seq: restores[restores.length - 1],
      chapter: 'boot',
      folded: restores.length,
      phase: 'info',
      title: restores.length === servers ? `All ${servers} servers start and read their disks` : `${restores.map((s) => serverName(ev[s].node)).join(', ')} restart and read their disks`,
      text: [
        same ? 'Every disk holds the same history, so only the server id will tell the votes apart.' : 'Their disks differ — this is what the election has to sort out:',
        ...lines,
      ],
    });
  }

  // Votes (ZAB) or promises (Paxos), with the first round's self-votes folded.
  const selfVotes: number[] = [];
  let quorumStep = false;
  const tally = new Map<number, number>();
  const current = new Map<number, number>();
  let decided = -1;
  let discovery = -1;
  const syncModes: number[] = [];
  let lastNewLeader = -1;
  let firstPrepare = -1;
  for (let s = start; s < end; s++) {
    const e = ev[s];
    if (!paxos && e.kind === 'vote') {
      const v = vote(e);
      const before = current.get(e.node);
      if (before !== undefined) tally.set(before, (tally.get(before) ?? 0) - 1);
      current.set(e.node, v.leader);
      tally.set(v.leader, (tally.get(v.leader) ?? 0) + 1);
      if (v.leader === e.node && before === undefined && (selfVotes.length === 0 || model.eventTime[selfVotes[0]] === e.timeUs)) {
        selfVotes.push(s);
        continue;
      }
      if (selfVotes.length > 0 && !steps.some((x) => x.chapter === 'votes')) steps.push(selfVoteStep(model, selfVotes));
      if (before === v.leader) continue;
      const step: GuideStep = { seq: s, chapter: 'votes', folded: 1 };
      if (before !== undefined) step.question = voteQuestion(model, e, before);
      steps.push(step);
    } else if (!paxos && e.kind === 'note' && e.node >= 0 && /a quorum votes for/.test(String(e.text)) && !quorumStep) {
      quorumStep = true;
      const [best, count] = [...tally].sort((a, b) => b[1] - a[1])[0] ?? [-1, 0];
      steps.push({
        seq: s,
        chapter: 'quorum',
        folded: 1,
        phase: 'election',
        title: `${serverName(e.node)} sees a quorum: ${count} of ${servers} votes for ${serverName(best)}`,
        text: [`${String(e.text).replace(/^a quorum/, 'A quorum')}.`, `Quorum = ${quorum} of ${servers}. The others see their quorum a moment later, as the last votes reach them.`],
        question: leaderQuestion(model, election.leader, servers),
      });
    } else if (paxos && e.kind === 'send' && String(e.type) === 'Prepare' && firstPrepare < 0) {
      firstPrepare = s;
      steps.push({ seq: s, chapter: 'votes', folded: 1, phase: 'election', title: `${serverName(e.node)} runs phase 1: Prepare with ballot ${String((e.msg as { ballot?: unknown } | undefined)?.ballot ?? '?')} to every acceptor`, text: ['One step for all its Prepare messages: the same ballot goes to every acceptor at once.'] });
    } else if (paxos && e.kind === 'promise') {
      const proposer = Number(e.ballot) % servers;
      tally.set(proposer, (tally.get(proposer) ?? 0) + 1);
      const count = tally.get(proposer) ?? 0;
      const step: GuideStep = { seq: s, chapter: count >= quorum ? 'quorum' : 'votes', folded: 1 };
      // Asked just before the promise that completes a quorum.
      if (count === quorum) step.question = leaderQuestion(model, election.leader, servers);
      steps.push(step);
    } else if (!paxos && e.kind === 'state' && quorumStep && decided < 0 && (e.role === 'FOLLOWING' || e.role === 'LEADING')) {
      decided = s;
    } else if (!paxos && e.kind === 'note' && /epoch \d+ chosen/.test(String(e.text)) && discovery < 0) {
      discovery = s;
    } else if (!paxos && e.kind === 'sync-mode') syncModes.push(s);
    else if (!paxos && e.kind === 'newleader') lastNewLeader = s;
  }
  if (selfVotes.length > 0 && !steps.some((x) => x.chapter === 'votes')) steps.push(selfVoteStep(model, selfVotes));
  if (!paxos && decided >= 0) {
    // Every decision after the wait, folded: who leads, who follows.
    const roles: string[] = [];
    let last = decided;
    for (let s = decided; s < end && (discovery < 0 || s < discovery); s++) {
      const e = ev[s];
      if (e.kind === 'state' && (e.role === 'FOLLOWING' || e.role === 'LEADING') && !roles.some((r) => r.startsWith(`${serverName(e.node)} `))) {
        roles.push(`${serverName(e.node)} ${e.role === 'LEADING' ? 'LEADING' : `FOLLOWING ${serverName(Number(e.leader))}`}`);
        last = s;
      }
    }
    steps.push({ seq: last, chapter: 'finalize', folded: roles.length, phase: 'election', title: `No better vote within 200 ms: ${serverName(election.leader)} leads`, text: ['Each server waited finalizeWait (200 ms) after seeing its quorum; no vote beat the one it held, so each decided:', roles.join(' · ')] });
  }
  if (discovery >= 0) steps.push({ seq: discovery, chapter: 'discovery', folded: 1 });
  if (syncModes.length > 0) {
    const modes = syncModes.map((s) => `${String(ev[s].mode)} to ${serverName(Number(ev[s].learner))}`);
    steps.push({ seq: syncModes[0], chapter: 'sync', folded: syncModes.length, phase: 'sync', title: `${serverName(election.leader)} synchronizes its followers: ${modes.join(', ')}`, text: ['For each follower the leader compares histories: DIFF sends the txns it misses, TRUNC cuts a tail the new leader never had, SNAP sends the whole tree when the gap is too old for the in-memory log.'] });
  }
  if (lastNewLeader >= 0) steps.push({ seq: lastNewLeader, chapter: 'sync', folded: 1 });
  steps.push({ seq: election.seq, chapter: 'established', folded: 1 });
  steps.sort((a, b) => a.seq - b.seq);
  // One step per event: a later step at the same event adds nothing.
  for (let k = steps.length - 1; k > 0; k--) if (steps[k].seq === steps[k - 1].seq) steps.splice(k, 1);

  const next: Walk['next'] = [];
  if (!broadcast) {
    const commit = model.jumps.commit.find((s) => s > election.seq);
    if (commit !== undefined) next.push({ label: paxos ? 'Phase 2: a value is chosen' : 'Broadcast: a txn is committed', seq: election.seq, election: i, broadcast: true });
  }
  const crash = model.jumps.fault.find((s) => s > election.seq && ev[s].kind === 'crash');
  const following = i + 1 < model.elections.length ? i + 1 : -1;
  if (crash !== undefined) next.push({ label: `A crash: ${serverName(ev[crash].node)} at ${(model.eventTime[crash] / 1000).toFixed(1)} ms${following >= 0 ? ', and the recovery' : ''}`, seq: crash, ...(following >= 0 ? { election: following } : {}) });
  else if (following >= 0) next.push({ label: `Recovery: election ${following + 1} (${serverName(model.elections[following].leader)} leads)`, seq: electionWindow(model, following)[0], election: following });
  if (broadcast) steps.push(...broadcastSteps(model, states, election.seq));
  return { election: i, steps, next };
}

/** A crash, then the election that follows it (if any), as one walk. */
export function crashWalk(model: TraceModel, states: NodeStates, crashSeq: number, election: number): Walk {
  const e = model.events[crashSeq];
  const crash: GuideStep = {
    seq: crashSeq,
    chapter: 'crash',
    folded: 1,
    phase: 'fault',
    title: `${serverName(e.node)} crashes`,
    text: [`${serverName(e.node)} was ${model.roleAt(e.node, crashSeq - 1) || 'running'}. Its memory is gone; its disk is not. The others find out when its messages stop.`],
  };
  const rest = election >= 0 ? electionWalk(model, states, election) : { election: -1, steps: [], next: [] };
  return { election: rest.election, steps: [crash, ...rest.steps.filter((s) => s.seq > crashSeq)], next: rest.next };
}

function selfVoteStep(model: TraceModel, seqs: number[]): GuideStep {
  const ev = model.events;
  const bits = model.counterBits;
  return {
    seq: seqs[seqs.length - 1],
    chapter: 'votes',
    folded: seqs.length,
    phase: 'election',
    title: seqs.length === model.servers ? 'Every server votes for itself' : `${seqs.map((s) => serverName(ev[s].node)).join(', ')} vote for themselves`,
    text: [
      'Round 1: each server’s first vote is its own history, sent to every other server (one step here for all those messages):',
      seqs.map((s) => `${serverName(ev[s].node)} (epoch ${String(ev[s].epoch)}, zxid ${formatZxid(ev[s].zxid, bits)})`).join(' · '),
      'Votes compare by epoch first, then last zxid, then server id.',
    ],
  };
}

/** The notification a server had just received before its vote changed: sender and the vote it carried. */
function lastNotification(model: TraceModel, seq: number, node: number): string {
  for (let s = seq - 1; s >= 0 && s > seq - 40; s--) {
    const d = model.events[s];
    if (d.kind !== 'deliver' || d.node !== node || d.type !== 'NOTIFICATION') continue;
    const m = model.msgOfEvent[s];
    const msg = m >= 0 ? (model.events[model.mSendSeq[m]].msg as { leader?: number; zxid?: number; peerEpoch?: number } | undefined) : undefined;
    if (!msg) return '';
    return ` from ${serverName(model.mFrom[m])}, for ${serverName(Number(msg.leader))} (epoch ${String(msg.peerEpoch)}, zxid ${formatZxid(msg.zxid, model.counterBits)})`;
  }
  return '';
}

function voteQuestion(model: TraceModel, e: TraceEvent, before: number): Question {
  const choices = Array.from({ length: model.servers }, (_, n) => serverName(n));
  const reason = String(e.reason ?? '');
  const heard = lastNotification(model, e.seq, e.node);
  const decidedBy = /higher epoch/.test(reason) ? 'epoch' : /higher zxid/.test(reason) ? 'last zxid' : /higher id/.test(reason) ? 'server id' : 'the vote order';
  return {
    prompt: `${serverName(e.node)} votes for ${serverName(before)} and has just received a vote${heard}. Which server will ${serverName(e.node)} vote for now?`,
    choices,
    answer: Number(e.leader),
    explain: `${serverName(e.node)} ${reason.replace(/^votes/, 'votes')}. Decided by ${decidedBy}.`,
  };
}

function leaderQuestion(model: TraceModel, leader: number, servers: number): Question {
  return {
    prompt: 'A quorum is forming. Which server will lead?',
    choices: Array.from({ length: servers }, (_, n) => serverName(n)),
    answer: leader,
    explain: `${serverName(leader)} holds the best vote a quorum agrees on: ${model.protocol === 'zab' ? 'the highest (epoch, last zxid, id) among the servers that can form a quorum' : 'the highest ballot a quorum promised'}.`,
  };
}

/** One txn from proposal to commit, after the leader is established. */
function broadcastSteps(model: TraceModel, states: NodeStates, after: number): GuideStep[] {
  const ev = model.events;
  let propose = -1;
  for (let s = after + 1; s < model.length; s++) {
    if (ev[s].kind === 'propose') {
      propose = s;
      break;
    }
  }
  if (propose < 0) return [];
  const p = ev[propose];
  const index = Number(p.index);
  const label = String(p.label ?? index);
  const steps: GuideStep[] = [{ seq: propose, chapter: 'broadcast', folded: 1 }];
  const logged: number[] = [];
  let commit = -1;
  const durableKind = model.protocol === 'paxos' ? 'accepted' : 'logged';
  for (let s = propose + 1; s < model.length && commit < 0; s++) {
    const e = ev[s];
    const at = Number(e.index ?? e.slot ?? e.zxid);
    if (e.kind === durableKind && at === index) logged.push(s);
    if (e.kind === 'commit' && at === index) commit = s;
  }
  if (logged.length > 0) {
    const quorum = Math.floor(model.servers / 2) + 1;
    const firstQuorum = logged[Math.min(logged.length, quorum) - 1];
    const committedYet = commit >= 0 && commit <= logged[0];
    steps.push({
      seq: logged[0],
      chapter: 'broadcast',
      folded: 1,
      question: {
        prompt: `${serverName(ev[logged[0]].node)} has ${model.protocol === 'paxos' ? 'accepted' : 'logged'} ${label} durably. Is it committed yet?`,
        choices: ['Yes, committed', 'Not yet'],
        answer: committedYet ? 0 : 1,
        explain: committedYet ? 'It is: a commit for it is already in the trace.' : `Not yet: it needs a quorum (${quorum} of ${model.servers}) to have it on disk and ${model.protocol === 'paxos' ? 'accepted' : 'ACKed'}; then the leader commits it.`,
      },
    });
    if (firstQuorum !== logged[0]) steps.push({ seq: firstQuorum, chapter: 'broadcast', folded: 1 });
  }
  if (commit >= 0) steps.push({ seq: commit, chapter: 'broadcast', folded: 1 });
  void states;
  return steps;
}

/** The election the walkthrough opens on: the first whose servers start from different histories (the rule matters there), else the first. */
export function openingElection(model: TraceModel): number {
  if (model.protocol === 'paxos') return model.elections.length > 0 ? 0 : -1;
  for (let i = 0; i < model.elections.length; i++) {
    const [start, end] = electionWindow(model, i);
    const firstVotes = new Map<number, string>();
    for (let s = start; s < end; s++) {
      const e = model.events[s];
      if (e.kind === 'vote' && Number(e.leader) === e.node && !firstVotes.has(e.node)) firstVotes.set(e.node, `${String(e.epoch)}/${String(e.zxid)}`);
    }
    if (new Set(firstVotes.values()).size > 1) return i;
  }
  return model.elections.length > 0 ? 0 : -1;
}
