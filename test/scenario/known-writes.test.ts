/**
 * What a run knows about the writes a client never heard back from (sim/scenario/known-writes.ts):
 * one whose data no commit holds never took effect; one whose data was committed took
 * effect by its first commit.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../sim/check/lin/checker.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { addCommittedWrites, tookEffect, withKnownWrites } from '../../sim/scenario/known-writes.js';
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
