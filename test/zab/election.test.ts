/**
 * FastLeaderElection's rules that a cluster run rarely exercises, driven by hand: one
 * server's election fed notifications in a chosen order (the ctx records what it sends
 * and which timers it sets; nothing else runs).
 */
import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../../sim/core/node.js';
import { FastLeaderElection, FINALIZE_TIMER, type ElectionHost } from '../../sim/zab/election.js';
import { zabConfig, type Notification, type ServerState, type ZabMessage } from '../../sim/zab/index.js';

function rig(voters: number) {
  const timers = new Set<string>();
  const sent: { to: number; msg: ZabMessage }[] = [];
  const decided: number[] = [];
  const host: ElectionHost & { role: ServerState } = {
    id: 0,
    voters: new Set(Array.from({ length: voters }, (_, i) => i)),
    isObserver: false,
    role: 'LOOKING',
    currentEpoch: 1,
    lastLoggedZxid: () => 0,
    format: String,
    decide(_ctx, leader) {
      decided.push(leader);
      host.role = leader === 0 ? 'LEADING' : 'FOLLOWING';
    },
  };
  const ctx = {
    nowUs: 0,
    id: 0,
    send: (to: number, msg: ZabMessage) => sent.push({ to, msg }),
    setTimer: (name: string) => timers.add(name),
    cancelTimer: (name: string) => timers.delete(name),
    hasTimer: (name: string) => timers.has(name),
    record: () => {},
    note: () => {},
  } as unknown as NodeContext<ZabMessage>;
  const election = new FastLeaderElection(host, zabConfig());
  const hear = (from: number, round: number, leader: number) => {
    const n: Notification = { type: 'NOTIFICATION', leader, zxid: 0, electionEpoch: round, state: 'LOOKING', sid: from, peerEpoch: 1 };
    election.onNotification(ctx, from, n);
  };
  const hearDecided = (from: number, round: number, leader: number, state: 'FOLLOWING' | 'LEADING') => {
    const n: Notification = { type: 'NOTIFICATION', leader, zxid: 0, electionEpoch: round, state, sid: from, peerEpoch: 1 };
    election.onNotification(ctx, from, n);
  };
  return { election, ctx, timers, sent, decided, hear, hearDecided };
}

describe('FastLeaderElection', () => {
  it('a vote from an older round is answered and ignored: it never replaces the sender\'s vote of the current round', () => {
    // lookForLeader: "Notification election epoch is smaller than logicalclock" — the
    // notification is dropped (the sender is told the current round). A server that
    // restarted sends round 1 again after its round-2 vote was counted.
    const { election, ctx, timers, sent, decided, hear } = rig(5);
    election.start(ctx);
    hear(1, 2, 0); // server 1, round 2, votes for 0: server 0 joins round 2
    expect(election.round).toBe(2);
    hear(1, 1, 1); // server 1 again, from round 1 (restarted): for itself
    expect(sent.some(({ to, msg }) => to === 1 && msg.type === 'NOTIFICATION' && msg.electionEpoch === 2)).toBe(true);
    hear(2, 2, 0); // server 2, round 2, for 0: with 0 and 1, a quorum of 5
    expect(timers.has(FINALIZE_TIMER)).toBe(true);
    election.onTimer(ctx, FINALIZE_TIMER);
    expect(decided).toEqual([0]);
  });

  it('a newer round starts from an empty recvset: a superseded decided vote of the old round does not count', () => {
    // lookForLeader: "if (n.electionEpoch > logicalclock) { logicalclock = n.electionEpoch; recvset.clear(); ... }".
    const { election, ctx, timers, decided, hearDecided } = rig(3);
    election.start(ctx);
    hearDecided(1, 1, 2, 'FOLLOWING'); // round 1: server 1 follows 2
    // Server 2 starts round 2 with a worse vote (an older epoch): server 0 joins the round
    // and keeps voting for itself, so no quorum forms and nothing is finalizing.
    election.onNotification(ctx, 2, { type: 'NOTIFICATION', leader: 2, zxid: 0, electionEpoch: 2, state: 'LOOKING', sid: 2, peerEpoch: 0 });
    expect(election.round).toBe(2);
    expect(timers.has(FINALIZE_TIMER)).toBe(false);
    hearDecided(1, 3, 0, 'FOLLOWING'); // server 1 has moved on: it follows 0 now (round 3)
    hearDecided(2, 2, 2, 'LEADING'); // 2 leads in round 2, but only 2 itself says so now
    expect(decided).toEqual([]);
  });

  it('joins an established ensemble of an older round through outofelection, taking its round', () => {
    // lookForLeader, FOLLOWING/LEADING case: only a notification of the current round goes to
    // recvset; any round goes to outofelection, and joining through it sets
    // logicalclock = n.electionEpoch.
    const { election, ctx, decided, hear, hearDecided } = rig(3);
    election.start(ctx);
    hear(1, 3, 1); // round 3 (server 0 restarted elections more often than the ensemble)
    hearDecided(1, 2, 2, 'FOLLOWING');
    hearDecided(2, 2, 2, 'LEADING');
    expect(decided).toEqual([2]);
    expect(election.round).toBe(2);
  });
});
