/**
 * check/reads.ts on hand-built histories: what ZooKeeper promises about reads (ordered
 * sequential consistency per client), checked against a committed order, and the reads
 * that missed a write completed before they began.
 *
 * The committed order below: create /k "a" (v0), setData "b" (v1), setData "c" (v2).
 * Positions: 0 = empty tree, 1 = a, 2 = b, 3 = c.
 */
import { describe, expect, it } from 'vitest';
import { checkReads, type CommittedTxn, type ReadCheckOp } from '../../sim/check/reads.js';
import type { Txn } from '../../sim/store/types.js';

const COMMITTED: CommittedTxn[] = [
  { index: 1, txn: { type: 'create', path: '/k', data: 'a', ephemeralOwner: 0, parentCVersion: 1 } as Txn },
  { index: 2, txn: { type: 'setData', path: '/k', data: 'b', version: 1 } as Txn },
  { index: 3, txn: undefined }, // a no-op (a quorum read's txn, a Paxos no-op)
  { index: 4, txn: { type: 'setData', path: '/k', data: 'c', version: 2 } as Txn },
];

let nextOpId = 0;
let clock = 0;
function read(client: number, output: unknown, readMode = 'local', f = 'getData'): ReadCheckOp {
  clock += 10;
  return { opId: nextOpId++, client, f, value: { path: '/k' }, result: 'ok', output, readMode, invokeUs: clock, completeUs: clock + 5 };
}
function setData(client: number, data: string, version: number): ReadCheckOp {
  clock += 10;
  return { opId: nextOpId++, client, f: 'setData', value: { path: '/k', data, version: -1 }, result: 'ok', output: version, invokeUs: clock, completeUs: clock + 5 };
}
const state = (data: string, version: number) => ({ data, version });

describe('per-client order (ordered sequential consistency) of local reads', () => {
  it('accepts stale but monotonic reads, in any client interleaving', () => {
    // Client 0 lags behind client 1 all along: stale, but never going back.
    const ops = [read(1, state('c', 2)), read(0, 'NONODE'), read(0, state('a', 0)), read(1, state('c', 2)), read(0, state('b', 1)), read(0, state('b', 1)), read(0, state('c', 2))];
    const result = checkReads(ops, COMMITTED);
    expect(result.sessions.violations).toEqual([]);
    expect(result.sessions.ok).toBe(true);
    expect(result.sessions.reads).toBe(7);
  });

  it('catches a client that reads an older state than it read before (monotonic reads)', () => {
    const ops = [read(0, state('b', 1)), read(0, state('c', 2)), read(0, state('a', 0))];
    const result = checkReads(ops, COMMITTED, (index) => `zxid ${index}`);
    expect(result.sessions.ok).toBe(false);
    expect(result.sessions.violations).toHaveLength(1);
    const violation = result.sessions.violations[0];
    expect(violation).toMatchObject({ client: 0, opId: ops[2].opId, kind: 'went-back', sinceOpId: ops[1].opId });
    expect(violation.message).toContain('went back in time');
    expect(violation.message).toContain('zxid 4'); // what the client had seen
  });

  it('catches a client that does not read its own write (read-your-writes)', () => {
    const ops = [setData(0, 'b', 1), read(0, state('a', 0))];
    const result = checkReads(ops, COMMITTED);
    expect(result.sessions.violations.map((v) => [v.kind, v.opId, v.sinceOpId])).toEqual([['went-back', ops[1].opId, ops[0].opId]]);
  });

  it('catches a write ordered before state its client had already read', () => {
    // Client 0 read "c" (after the setData "b"), then its own setData "b" came back ok.
    const ops = [read(0, state('c', 2)), setData(0, 'b', 1)];
    const result = checkReads(ops, COMMITTED);
    expect(result.sessions.violations.map((v) => [v.kind, v.opId])).toEqual([['went-back', ops[1].opId]]);
    // The boundary: the client read "b" before its own setData "b" ran — the very state that write made.
    const own = [read(0, state('b', 1)), setData(0, 'b', 1)];
    expect(checkReads(own, COMMITTED).sessions.violations.map((v) => [v.kind, v.opId])).toEqual([['went-back', own[1].opId]]);
  });

  it('catches a value that was never committed', () => {
    const ops = [read(0, state('z', 7))];
    const result = checkReads(ops, COMMITTED);
    expect(result.sessions.violations.map((v) => v.kind)).toEqual(['never-committed']);
  });

  it('holds a client to its own order only: another client may see older state', () => {
    const ops = [read(0, state('c', 2)), read(1, state('a', 0)), read(1, state('b', 1))];
    expect(checkReads(ops, COMMITTED).sessions.ok).toBe(true);
  });

  it('reads exists and getChildren as the znode model does (children in any order)', () => {
    const committed: CommittedTxn[] = [
      { index: 1, txn: { type: 'create', path: '/a', data: 'x', ephemeralOwner: 0, parentCVersion: 1 } as Txn },
      { index: 2, txn: { type: 'create', path: '/b', data: 'y', ephemeralOwner: 0, parentCVersion: 2 } as Txn },
      { index: 3, txn: { type: 'delete', path: '/a' } as Txn },
    ];
    const ls = (client: number, children: string[]): ReadCheckOp => ({ ...read(client, children, 'local', 'getChildren'), value: { path: '/' } });
    const exists = (client: number, path: string, yes: boolean): ReadCheckOp => ({ ...read(client, yes, 'local', 'exists'), value: { path } });
    expect(checkReads([ls(0, ['b', 'a']), exists(0, '/a', false), ls(0, ['b'])], committed).sessions.ok).toBe(true);
    const back = checkReads([ls(0, ['b']), exists(0, '/b', true), ls(0, ['a'])], committed);
    expect(back.sessions.violations.map((v) => v.kind)).toEqual(['went-back']);
  });
});

describe('stale reads: a write had completed before the read began', () => {
  it('finds reads that missed a completed write, and only those', () => {
    // The setData "c" completes at t=105; a read invoked at t=110 that returns "b" is stale;
    // one invoked at t=103 (concurrent with the write) is not.
    const write: ReadCheckOp = { opId: 100, client: 2, f: 'setData', value: { path: '/k', data: 'c', version: -1 }, result: 'ok', output: 2, invokeUs: 100, completeUs: 105 };
    const concurrent: ReadCheckOp = { opId: 101, client: 0, f: 'getData', value: { path: '/k' }, result: 'ok', output: state('b', 1), readMode: 'sync', invokeUs: 103, completeUs: 120 };
    const stale: ReadCheckOp = { opId: 102, client: 1, f: 'getData', value: { path: '/k' }, result: 'ok', output: state('b', 1), readMode: 'sync', invokeUs: 110, completeUs: 112 };
    const fresh: ReadCheckOp = { opId: 103, client: 3, f: 'getData', value: { path: '/k' }, result: 'ok', output: state('c', 2), readMode: 'sync', invokeUs: 111, completeUs: 113 };
    const result = checkReads([write, concurrent, stale, fresh], COMMITTED);
    expect(result.stale).toEqual([102]);
    // Stale is not out of order: each client on its own moved forward.
    expect(result.sessions.ok).toBe(true);
  });
});
