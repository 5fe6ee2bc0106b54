/**
 * The second hazard ZooKeeper does not prevent for an exclusive role (after the GC pause,
 * lock-fencing.ts): a client whose server cannot report its touches to the leader in time,
 * because the server is cut off from the leader, or the leader was paused.
 *
 * A follower answers its clients' pings itself (ZooKeeper's FinalRequestProcessor on the
 * follower) and reports the sessions it touched to the leader in its answers to the
 * leader's pings (LearnerSessionTracker → Learner.ping); the leader alone expires
 * sessions (SessionTrackerImpl). A follower cut off from its leader goes on serving its
 * clients until it notices — ZAB: its read from the leader times out after syncLimit ×
 * tickTime (Learner's socket timeout); Paxos: no heartbeat for an election timeout — and
 * meanwhile the leader hears none of its touches. With a session timeout shorter than
 * that, the leader expires the session of a client that still hears pongs from its server,
 * so the client cannot know, and another client takes the lock or the leadership. Nothing
 * in ZooKeeper stops it: its minimum session timeout is 2 ticks, its usual syncLimit 5.
 * The same happens when the leader itself is paused (a GC pause): it pings nobody, so no
 * touches come, and on waking its session tracker (SessionTrackerImpl.run) expires at once
 * every session whose time has passed, before the followers' next reports can arrive
 * (shortsession zab 1605: an 80 ms leader pause, 100 ms sessions, latencies up to 10 ms).
 *
 * What the run must show for an overlap to be named so (cutOffBehind): the earlier holder's
 * session was expired by a leader that had received no message that carries touches from
 * the server the client was connected to for at least half the session timeout, and that
 * session ended at the servers before the later holder took the role — or the later holder's
 * session was so expired, and it took the role within a hop of its server applying the close,
 * on an answer that server gave before (zab-selector-leads-on-answer-before-close). A server in touch
 * with an awake leader answers its pings every half tick (ZAB) or heartbeat, far less than
 * half a session of at least two ticks (Paxos: four heartbeats), so a follower that forgot
 * to report a touch is not named: it is a bug.
 */
import type { TraceEvent } from '../core/trace.js';

/**
 * The messages that carry a server's touch table to the leader, sent every half tick (ZAB's
 * PING answer) or heartbeat (Paxos's HeartbeatAck) while the two are in touch. Requests
 * forwarded to the leader (REQUEST, REVALIDATE, Forward) touch only their own session and
 * do not count: a server that forwarded another client's request reported nothing of ours
 * (shortsession zab 1605: a REQUEST queued at the paused leader, delivered on waking).
 */
const TOUCH_CARRIERS: ReadonlySet<string> = new Set(['PING', 'HeartbeatAck']);

/** A leader's proposal to close a session it expired, and how long it had received no touch report from each server. */
export interface ExpiryProposal {
  readonly sessionId: number;
  readonly leader: number;
  readonly atUs: number;
  /** Per server: the time since the leader last received a message that carries touches from it (Infinity: never). */
  readonly silentUs: readonly number[];
  /**
   * The leader's latest pause that began before the proposal (`toUs` the proposal's time
   * if it had not ended): a report it received on waking was sent before the pause, so the
   * silence alone can understate how long it heard nothing new (shortsession zab 2202).
   */
  readonly leaderPause: { readonly fromUs: number; readonly toUs: number } | null;
}

/**
 * Watches a run's trace (or reads a recorded one) for the leaders' closeSession proposals,
 * with, for each, the leader's silence from every server. Constant work per event: one
 * number written per delivery, no object built.
 */
export class ExpiryWatch {
  private readonly lastUs: Float64Array;
  /** Per server: its latest pause (NaN: none yet), and whether it has ended. */
  private readonly pausedFromUs: Float64Array;
  private readonly pausedToUs: Float64Array;
  readonly proposals: ExpiryProposal[] = [];

  constructor(private readonly servers: number) {
    this.lastUs = new Float64Array(servers * servers).fill(-Infinity);
    this.pausedFromUs = new Float64Array(servers).fill(Number.NaN);
    this.pausedToUs = new Float64Array(servers).fill(Number.NaN);
  }

  /** A delivery at `to` of a message of `type` from `from` (kept when both are servers and it carries touches). */
  delivered(from: number, to: number, timeUs: number, type: string): void {
    if (from >= 0 && from < this.servers && to >= 0 && to < this.servers && TOUCH_CARRIERS.has(type)) this.lastUs[from * this.servers + to] = timeUs;
  }

  /** A proposal by `leader`: kept when it closes a session. */
  proposed(leader: number, txn: unknown, timeUs: number): void {
    const t = txn as { type?: string; sessionId?: number } | undefined;
    if (t?.type !== 'closeSession' || typeof t.sessionId !== 'number' || leader < 0 || leader >= this.servers) return;
    const silentUs: number[] = [];
    for (let from = 0; from < this.servers; from++) silentUs.push(from === leader ? 0 : timeUs - this.lastUs[from * this.servers + leader]);
    const fromUs = this.pausedFromUs[leader];
    const toUs = this.pausedToUs[leader];
    const leaderPause = Number.isNaN(fromUs) ? null : { fromUs, toUs: Number.isNaN(toUs) ? timeUs : toUs };
    this.proposals.push({ sessionId: t.sessionId, leader, atUs: timeUs, silentUs, leaderPause });
  }

  /** A trace event: a delivery (when read from a recorded trace; a run taps them, TraceRecorder.tapDeliveries) or a proposal. */
  observe(event: TraceEvent): void {
    if (event.kind === 'deliver') this.delivered(event.from as number, event.node, event.timeUs, String(event.type));
    else if (event.kind === 'propose') this.proposed(event.node, event.txn, event.timeUs);
    else if ((event.kind === 'pause' || event.kind === 'resume') && event.node >= 0 && event.node < this.servers) {
      if (event.kind === 'pause') {
        this.pausedFromUs[event.node] = event.timeUs;
        this.pausedToUs[event.node] = Number.NaN;
      } else this.pausedToUs[event.node] = event.timeUs;
    }
  }

  /** The same from a recorded trace (the lab). */
  static ofTrace(events: readonly TraceEvent[], servers: number): ExpiryWatch {
    const watch = new ExpiryWatch(servers);
    for (const event of events) watch.observe(event);
    return watch;
  }
}

/** A leader's expiry of one of a client's sessions: when it proposed the close, and the server the client was connected to then. */
export interface ClientExpiry {
  readonly sessionId: number;
  readonly leader: number;
  readonly atUs: number;
  /** The server the client was last connected to before the proposal (-1: none yet). */
  readonly server: number;
  /** How long the leader had received no touch report from that server (0 when it is the leader itself, NaN when unknown). */
  readonly silentUs: number;
  /** The leader's latest pause before it proposed the close (ExpiryProposal.leaderPause). */
  readonly leaderPause: { readonly fromUs: number; readonly toUs: number } | null;
}

/**
 * Per client (by index): each leader's proposal to close one of its sessions, with the
 * server the client was last connected to before it (`connections[i]`: pairs of time and
 * server, as the client recorded them).
 */
export function clientExpiries(
  sessionIds: readonly (readonly number[])[],
  connections: readonly (readonly number[])[],
  proposals: readonly ExpiryProposal[],
): Map<number, ClientExpiry[]> {
  const clientOf = new Map<number, number>();
  sessionIds.forEach((ids, client) => ids.forEach((id) => clientOf.set(id, client)));
  const out = new Map<number, ClientExpiry[]>();
  for (const p of proposals) {
    const client = clientOf.get(p.sessionId);
    if (client === undefined) continue;
    const pairs = connections[client] ?? [];
    let server = -1;
    for (let i = 0; i + 1 < pairs.length && pairs[i] <= p.atUs; i += 2) server = pairs[i + 1];
    let mine = out.get(client);
    if (mine === undefined) out.set(client, (mine = []));
    mine.push({ sessionId: p.sessionId, leader: p.leader, atUs: p.atUs, server, silentUs: server >= 0 && server < p.silentUs.length ? p.silentUs[server] : Number.NaN, leaderPause: p.leaderPause });
  }
  return out;
}
