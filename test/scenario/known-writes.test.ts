/**
 * What a run knows about the writes a client never heard back from (sim/scenario/known-writes.ts):
 * one whose data no commit holds never took effect; one whose data was committed took
 * effect by its first commit.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../sim/check/lin/checker.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { addCommittedWrites, tookEffect, withKnownWrites, type CommittedWrite } from '../../sim/scenario/known-writes.js';
import { znodeModel } from '../../sim/check/lin/models/index.js';
import { linFromTrace } from '../../sim/scenario/lin-report.js';
import type { TraceEvent } from '../../sim/core/trace.js';

const at = (type: HistoryEvent['type'], process: number, f: string, value: unknown, timeUs: number): HistoryEvent => ({ type, process, f, value, timeUs });

describe('writes of unknown outcome, as the run knows them', () => {
  // Client 0's setData of "a" times out at 30; client 1 reads at 40-50 and gets "x"; a
  // third reads "a" at 80-90.
  const history = [
    at('invoke', 0, 'setData', { path: '/k', data: 'a', version: -1 }, 10),
    at('info', 0, 'setData', 'timeout', 30),
    at('invoke', 1, 'getData', { path: '/k' }, 40),
    at('ok', 1, 'getData', { data: 'x', version: 0 }, 50),
    at('invoke', 3, 'getData', { path: '/k' }, 80),
    at('ok', 3, 'getData', { data: 'a', version: 1 }, 90),
  ];
  const initial = at('invoke', 2, 'create', { path: '/k', data: 'x' }, 0);
  const created = at('ok', 2, 'create', '/k', 5);
  const full = [initial, created, ...history];
  const committed = (atUs: number) => {
    const out = new Map<string, { atUs: number; path?: string }>();
    addCommittedWrites(out, { type: 'setData', path: '/k', data: 'a', version: 1 }, atUs);
    addCommittedWrites(out, { type: 'setData', path: '/k', data: 'v2', version: 1 }, atUs);
    return out;
  };

  it('a committed one took effect by its first commit: checked as completed then', () => {
    // Unknown, it may take effect after the read of "x": linearizable.
    expect(checkHistory(full, 'znode').verdict).toBe('linearizable');
    // Committed at 55, after that read: still linearizable.
    expect(checkHistory(withKnownWrites(full, committed(55)), 'znode').verdict).toBe('linearizable');
    // Committed at 35: it had taken effect when client 1 read "x" at 40-50.
    const known = withKnownWrites(full, committed(35));
    expect(known.filter((e) => e.f === 'setData').map((e) => [e.type, e.process, e.timeUs])).toEqual([
      ['invoke', 0, 10],
      ['ok', 0, 35],
    ]);
    expect(known.map((e) => e.timeUs)).toEqual([0, 5, 10, 35, 40, 50, 80, 90]);
    expect(checkHistory(known, 'znode').verdict).toBe('not-linearizable');
  });

  it('one never committed never took effect: left out, so a read of its value is impossible', () => {
    const known = withKnownWrites(full, new Map());
    expect(known.some((e) => e.f === 'setData')).toBe(false);
    expect(checkHistory(known, 'znode').verdict).toBe('not-linearizable');
  });

  it('a create completes with the path its commit made; a delete keeps its unknown outcome; ok and failed calls are untouched', () => {
    const events = [
      at('invoke', 0, 'create', { path: '/q-', data: 'd', sequential: true }, 10),
      at('info', 0, 'create', 'timeout', 20),
      at('invoke', 1, 'delete', { path: '/q-0000000000', version: -1 }, 30),
      at('info', 1, 'delete', 'timeout', 40),
    ];
    const commits = new Map<string, { atUs: number; path?: string }>();
    addCommittedWrites(commits, { type: 'multi', txns: [{ type: 'create', path: '/q-0000000000', data: 'd' }] }, 15);
    const known = withKnownWrites(events, commits);
    expect(known.map((e) => [e.type, e.f, e.value, e.timeUs])).toEqual([
      ['invoke', 'create', { path: '/q-', data: 'd', sequential: true }, 10],
      ['ok', 'create', '/q-0000000000', 15],
      ['invoke', 'delete', { path: '/q-0000000000', version: -1 }, 30],
      ['info', 'delete', 'timeout', 40],
    ]);
    expect(withKnownWrites(history.slice(2), committed(35))).toEqual(history.slice(2));
  });

  it('a value two operations write (a recipe\'s retry) keeps its unknown outcome: the commit may be the other\'s', () => {
    // recipes/config-through-watches: the publisher's setData of "v2" timed out, and its retry wrote "v2" again.
    const events = [
      at('invoke', 0, 'setData', { path: '/k', data: 'v2', version: -1 }, 10),
      at('info', 0, 'setData', 'timeout', 20),
      at('invoke', 1, 'setData', { path: '/k', data: 'v2', version: -1 }, 30),
      at('ok', 1, 'setData', 1, 40),
    ];
    expect(withKnownWrites(events, committed(35))).toEqual(events);
    // Another write of the value outside the selection counts too.
    expect(withKnownWrites(events.slice(0, 2), committed(35), events)).toEqual(events.slice(0, 2));
    expect(withKnownWrites(events.slice(0, 2), committed(35))[1]).toMatchObject({ type: 'ok', timeUs: 35 });
  });

  it("a value committed in one txn, written again by a call answered with success: the other write never took effect", () => {
    // A queue's put (a protected sequential create of "d") lost its answer; its retry made
    // /q/i-0000000000. Then another put made /q/i-0000000001, and a listing shows both.
    const events = [
      at('invoke', 0, 'create', { path: '/q/i-', data: 'd', sequential: true }, 10),
      at('info', 0, 'create', 'timeout', 20),
      at('invoke', 1, 'create', { path: '/q/i-', data: 'd', sequential: true }, 30),
      at('ok', 1, 'create', '/q/i-0000000000', 40),
      at('invoke', 2, 'create', { path: '/q/i-', data: 'e', sequential: true }, 50),
      at('ok', 2, 'create', '/q/i-0000000001', 60),
      at('invoke', 3, 'getChildren', { path: '/q' }, 70),
      at('ok', 3, 'getChildren', ['i-0000000000', 'i-0000000001'], 80),
    ];
    const model = znodeModel({ initial: { '/q': null } });
    const commits = (...txns: [string, string, number][]) => {
      const out = new Map<string, CommittedWrite>();
      for (const [data, path, index] of txns) addCommittedWrites(out, { type: 'create', path, data }, 35, index);
      return out;
    };
    // One txn wrote "d": it is the retry's, answered. The lost create is left out.
    const once = withKnownWrites(events, commits(['d', '/q/i-0000000000', 7], ['e', '/q/i-0000000001', 8]));
    expect(once.map((e) => [e.type, e.process])).toEqual([
      ['invoke', 1],
      ['ok', 1],
      ['invoke', 2],
      ['ok', 2],
      ['invoke', 3],
      ['ok', 3],
    ]);
    expect(checkHistory(once, model).verdict).toBe('linearizable');
    // The same txn seen at several servers (one index) is still one txn.
    const seenTwice = commits(['d', '/q/i-0000000000', 7], ['d', '/q/i-0000000000', 7]);
    expect(withKnownWrites(events, seenTwice).some((e) => e.process === 0)).toBe(false);
    // Two txns wrote "d" (the lost create did take effect, the retry made a twin): it is
    // kept, as it must be where a later answer needs it. The listing then shows three
    // children, which a left-out create would call impossible.
    const twins = [
      ...events.slice(0, 3),
      at('ok', 1, 'create', '/q/i-0000000001', 40),
      events[4],
      at('ok', 2, 'create', '/q/i-0000000002', 60),
      events[6],
      at('ok', 3, 'getChildren', ['i-0000000000', 'i-0000000001', 'i-0000000002'], 80),
    ];
    const twice = withKnownWrites(twins, commits(['d', '/q/i-0000000000', 7], ['d', '/q/i-0000000001', 8], ['e', '/q/i-0000000002', 9]));
    expect(twice.filter((e) => e.process === 0).map((e) => e.type)).toEqual(['invoke', 'info']);
    expect(checkHistory(twice, model).verdict).toBe('linearizable');
    // A commit without an index: how many txns wrote "d" is unknown, so it is kept.
    const unindexed = new Map<string, CommittedWrite>();
    addCommittedWrites(unindexed, { type: 'create', path: '/q/i-0000000000', data: 'd' }, 35);
    expect(withKnownWrites(events, unindexed).filter((e) => e.process === 0).map((e) => e.type)).toEqual(['invoke', 'info']);
    // No call answered with success wrote "d" (the retry failed too): kept.
    const unanswered = events.map((e) => (e.process === 1 && e.type === 'ok' ? { ...e, type: 'info' as const, value: 'timeout' } : e));
    expect(withKnownWrites(unanswered, commits(['d', '/q/i-0000000000', 7])).filter((e) => e.process === 0).map((e) => e.type)).toEqual(['invoke', 'info']);
  });

  it('a completion moved to a commit time goes after every event of that instant (it only weakens real-time order)', () => {
    const events = [at('invoke', 0, 'setData', { path: '/k', data: 'a' }, 10), at('invoke', 1, 'getData', { path: '/k' }, 35), at('info', 0, 'setData', 'timeout', 50), at('ok', 1, 'getData', 'NONODE', 60)];
    const known = withKnownWrites(events, committed(35));
    expect(known.map((e) => [e.type, e.f, e.timeUs])).toEqual([
      ['invoke', 'setData', 10],
      ['invoke', 'getData', 35],
      ['ok', 'setData', 35],
      ['ok', 'getData', 60],
    ]);
  });
});

describe('the lab counts commits as the run does', () => {
  // A create of unknown outcome whose only commit was a Paxos write refused at apply as
  // SESSIONMOVED (`moved`) never took effect: a later quorum read of "no node" is fine.
  const ev = (timeUs: number, kind: string, fields: Record<string, unknown>): TraceEvent => ({ timeUs, seq: 0, node: 0, kind, ...fields });
  const trace = (moved: boolean): TraceEvent[] => [
    ev(10, 'invoke', { client: 0, process: 0, opId: 0, f: 'create', value: { path: '/k', data: 'a' } }),
    ev(15, 'commit', { index: 1, txn: { type: 'create', path: '/k', data: 'a' }, ...(moved ? { moved: true } : {}) }),
    ev(20, 'complete', { client: 0, process: 0, opId: 0, f: 'create', value: 'timeout', result: 'info' }),
    ev(40, 'invoke', { client: 1, process: 1, opId: 1, f: 'getData', value: { path: '/k' }, readMode: 'quorum' }),
    ev(50, 'complete', { client: 1, process: 1, opId: 1, f: 'getData', value: 'NONODE', result: 'ok' }),
  ];
  it('a commit refused as SESSIONMOVED is not one (tookEffect)', () => {
    expect(tookEffect(trace(true)[1])).toBe(false);
    expect(linFromTrace(trace(true), undefined, 'paxos').verdict).toBe('linearizable');
    expect(linFromTrace(trace(false), undefined, 'paxos').verdict).toBe('not-linearizable');
  });
});
