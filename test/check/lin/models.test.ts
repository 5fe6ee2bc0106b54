/**
 * Model semantics: znode (per-path state, definite errors, sequential names,
 * getChildren, partition per parent directory), multi-register transactions, and the
 * Model interface used by a model written outside the library.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../sim/check/lin/checker.js';
import type { HistoryEvent, Operation } from '../../../sim/check/lin/history.js';
import type { Model } from '../../../sim/check/lin/model.js';
import { znodeModel } from '../../../sim/check/lin/models/index.js';
import { h } from './helpers.js';

/** Sequential operations (each completes before the next), one process each. */
function seq(...ops: [string, unknown, unknown][]): HistoryEvent[] {
  return ops.flatMap(([f, arg, result], i) =>
    h(['invoke', i, f, arg], ['ok', i, f, result]),
  );
}

const verdict = (events: HistoryEvent[], model: string | Model<never> = 'znode') => checkHistory(events, model).verdict;

describe('znode model', () => {
  it('create, getData, setData with versions, exists, delete', () => {
    expect(
      verdict(
        seq(
          ['create', { path: '/a', data: 'x' }, '/a'],
          ['getData', { path: '/a' }, { data: 'x', version: 0 }],
          ['setData', { path: '/a', data: 'y', version: 0 }, 1],
          ['setData', { path: '/a', data: 'z', version: 0 }, 'BADVERSION'],
          ['getData', { path: '/a' }, { data: 'y', version: 1 }],
          ['exists', { path: '/a' }, true],
          ['delete', { path: '/a', version: 3 }, 'BADVERSION'],
          ['delete', { path: '/a', version: -1 }, null],
          ['exists', { path: '/a' }, false],
          ['getData', { path: '/a' }, 'NONODE'],
        ),
      ),
    ).toBe('linearizable');
  });

  it('a getData must return the data the node holds, with or without a version', () => {
    const stale = (result: unknown) =>
      verdict(seq(['create', { path: '/a', data: 'x' }, '/a'], ['setData', { path: '/a', data: 'y', version: -1 }, 1], ['getData', { path: '/a' }, result]));
    expect(stale({ data: 'y' })).toBe('linearizable');
    expect(stale({ data: 'x' })).toBe('not-linearizable');
    expect(stale({ data: 'x', version: 1 })).toBe('not-linearizable');
  });

  it('an exists must answer whether the node is there', () => {
    const after = (existsResult: unknown) =>
      verdict(seq(['create', { path: '/a', data: 'x' }, '/a'], ['delete', { path: '/a', version: -1 }, null], ['exists', { path: '/a' }, existsResult]));
    expect(after(false)).toBe('linearizable');
    expect(after(true)).toBe('not-linearizable'); // sees a node deleted before it began
    expect(verdict(seq(['create', { path: '/b', data: '' }, '/b'], ['exists', { path: '/b' }, false]))).toBe('not-linearizable');
  });

  it('an error result is definite: create returning NODEEXISTS means the node existed', () => {
    const r = checkHistory(seq(['create', { path: '/a', data: 'x' }, 'NODEEXISTS']), 'znode');
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation?.reasons).toEqual(['create /a "x" returned NODEEXISTS, but it would create /a']);
    expect(verdict(seq(['create', { path: '/a/b', data: 1 }, '/a/b']))).toBe('not-linearizable');
    expect(checkHistory(seq(['create', { path: '/a/b', data: 1 }, '/a/b']), 'znode').explanation?.reasons[0]).toMatch(
      /parent \/a does not exist/,
    );
    // Accepted spellings of errors and the store's result objects.
    expect(
      verdict(
        seq(
          ['create', { path: '/a', data: 1 }, { ok: true, path: '/a' }],
          ['create', { path: '/a', data: 1 }, 'NodeExists'],
          ['delete', { path: '/b', version: -1 }, { ok: false, code: 'NONODE' }],
        ),
      ),
    ).toBe('linearizable');
  });

  it('an error answer changes nothing, so the search takes it as a read: many concurrent failed calls cost steps, not subsets', () => {
    // 20 clients call setData /k and get NONODE while client 20 creates /k: every failed
    // call must come before the create. Taken as writes, the search tried the subsets of
    // them before the create (2^20); taken as reads, each one that fits is a forced move.
    const failed = (late: boolean): HistoryEvent[] => [
      { type: 'invoke', process: 20, f: 'create', value: { path: '/k', data: 'x' } },
      ...Array.from({ length: 20 }, (_, p): HistoryEvent => ({ type: 'invoke', process: p, f: 'setData', value: { path: '/k', data: `d${p}`, version: -1 } })),
      { type: 'ok', process: 20, f: 'create', value: '/k' },
      ...(late ? [{ type: 'invoke', process: 21, f: 'getData', value: { path: '/k' } } as HistoryEvent] : []),
      ...Array.from({ length: 20 }, (_, p): HistoryEvent => ({ type: 'ok', process: p, f: 'setData', value: 'NONODE' })),
      ...(late ? [{ type: 'ok', process: 21, f: 'getData', value: 'NONODE' } as HistoryEvent] : []),
    ];
    const ok = checkHistory(failed(false), 'znode', { maxSteps: 200_000 });
    expect(ok.verdict).toBe('linearizable');
    expect(ok.steps).toBeLessThan(1_000);
    // A NONODE read after the create completed cannot be placed: still found, quickly.
    const bad = checkHistory(failed(true), 'znode', { maxSteps: 200_000 });
    expect(bad.verdict).toBe('not-linearizable');
    expect(bad.steps).toBeLessThan(1_000);
  });

  // What ZooKeeper ≥ 3.4 records: PrepRequestProcessor.pRequest2Txn names a sequential
  // node from the parent's cversion, which DataTree.createNode bumps and
  // DataTree.deleteNode leaves alone (ZOOKEEPER-1046).
  it('sequential names come from the parent cversion, which deletes do not bump (ZOOKEEPER-1046)', () => {
    const real = seq(
      ['create', { path: '/q', data: '' }, '/q'],
      ['create', { path: '/q/n-', data: 'a', sequential: true }, '/q/n-0000000000'],
      ['create', { path: '/q/x', data: 'b' }, '/q/x'],
      ['delete', { path: '/q/x', version: -1 }, null],
      ['create', { path: '/q/n-', data: 'c', sequential: true }, '/q/n-0000000002'],
      ['getChildren', { path: '/q' }, ['n-0000000002', 'n-0000000000']],
    );
    expect(verdict(real)).toBe('linearizable');
    // The same history as the pre-3.4 rule (deletes bump cversion) would have named it.
    const oldRule = real.map((e) =>
      e.value === '/q/n-0000000002' ? { ...e, value: '/q/n-0000000003' } : Array.isArray(e.value) ? { ...e, value: ['n-0000000003', 'n-0000000000'] } : e,
    );
    const r = checkHistory(oldRule, 'znode');
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation?.reasons[0]).toMatch(/the parent's cversion is 2, so it would create \/q\/n-0000000002/);
  });

  it('getChildren sees exactly the children; NOTEMPTY and NONODE are checked', () => {
    expect(
      verdict(
        seq(
          ['create', { path: '/d', data: '' }, '/d'],
          ['create', { path: '/d/a', data: '' }, '/d/a'],
          ['getChildren', { path: '/d' }, ['a']],
          ['delete', { path: '/d', version: -1 }, 'NOTEMPTY'],
          ['getChildren', { path: '/e' }, 'NONODE'],
        ),
      ),
    ).toBe('linearizable');
    expect(
      verdict(seq(['create', { path: '/d', data: '' }, '/d'], ['getChildren', { path: '/d' }, ['ghost']])),
    ).toBe('not-linearizable');
  });

  it('concurrent sequential creates get distinct names in some order', () => {
    const events = h(
      ['invoke', 0, 'create', { path: '/l', data: '' }],
      ['ok', 0, 'create', '/l'],
      ['invoke', 1, 'create', { path: '/l/c-', data: 1, sequential: true }],
      ['invoke', 2, 'create', { path: '/l/c-', data: 2, sequential: true }],
      ['ok', 2, 'create', '/l/c-0000000000'],
      ['ok', 1, 'create', '/l/c-0000000001'],
    );
    expect(verdict(events)).toBe('linearizable');
    const same = events.map((e) => (e.value === '/l/c-0000000001' ? { ...e, value: '/l/c-0000000000' } : e));
    expect(verdict(same)).toBe('not-linearizable');
  });

  it('partitions per parent directory, merging a directory whose existence changes concurrently', () => {
    const dirs = seq(
      ['create', { path: '/a', data: '' }, '/a'],
      ['create', { path: '/b', data: '' }, '/b'],
      ['create', { path: '/a/1', data: '' }, '/a/1'],
      ['create', { path: '/b/1', data: '' }, '/b/1'],
      ['getChildren', { path: '/a' }, ['1']],
    );
    // /a and /b under "/" (nothing lists "/"), the children of /a, the children of /b.
    expect(checkHistory(dirs, 'znode').partitions).toBe(4);
    // /c is created concurrently with a create under it: one part with its parent.
    const racing = h(
      ['invoke', 0, 'create', { path: '/c', data: '' }],
      ['invoke', 1, 'create', { path: '/c/x', data: '' }],
      ['ok', 1, 'create', '/c/x'],
      ['ok', 0, 'create', '/c'],
    );
    const r = checkHistory(racing, 'znode');
    expect(r.partitions).toBe(1);
    expect(r.verdict).toBe('linearizable');
    // Reversed results: the child was created, so its parent existed first.
    const reversed = h(
      ['invoke', 0, 'create', { path: '/c', data: '' }],
      ['ok', 0, 'create', '/c'],
      ['invoke', 0, 'delete', { path: '/c', version: -1 }],
      ['invoke', 1, 'create', { path: '/c/x', data: '' }],
      ['ok', 1, 'create', '/c/x'],
      ['ok', 0, 'delete', null],
    );
    expect(checkHistory(reversed, 'znode').verdict).toBe('not-linearizable');
  });

  it('splits a directory per child unless something reads the directory whole (getChildren, a sequential create)', () => {
    // Two clients on /x and /y: setData NONODE, create, setData, concurrently per key.
    const keys = (extra: HistoryEvent[]): HistoryEvent[] => [
      ...h(['invoke', 0, 'create', { path: '/x', data: 'a' }], ['invoke', 1, 'create', { path: '/y', data: 'b' }]),
      ...h(['ok', 0, 'create', '/x'], ['ok', 1, 'create', '/y']),
      ...h(['invoke', 0, 'setData', { path: '/x', data: 'c', version: 0 }], ['invoke', 1, 'getData', { path: '/y' }]),
      ...h(['ok', 0, 'setData', 1], ['ok', 1, 'getData', { data: 'b', version: 0 }]),
      ...extra,
    ];
    expect(checkHistory(keys([]), 'znode')).toMatchObject({ verdict: 'linearizable', partitions: 2 });
    const listed = keys(h(['invoke', 2, 'getChildren', { path: '/' }], ['ok', 2, 'getChildren', ['x', 'y']]));
    expect(checkHistory(listed, 'znode')).toMatchObject({ verdict: 'linearizable', partitions: 1 });
    const sequential = keys(h(['invoke', 2, 'create', { path: '/q-', data: 'd', sequential: true }], ['ok', 2, 'create', '/q-0000000002']));
    expect(checkHistory(sequential, 'znode')).toMatchObject({ verdict: 'linearizable', partitions: 1 });
    // Split, a stale read of one key is still found.
    const stale = keys(h(['invoke', 1, 'getData', { path: '/x' }], ['ok', 1, 'getData', { data: 'a', version: 0 }]));
    expect(checkHistory(stale, 'znode').verdict).toBe('not-linearizable');
  });

  it('initial nodes can be given', () => {
    const model = znodeModel({ initial: { '/cfg': 'v1', '/cfg/a': 1 } });
    expect(
      checkHistory(seq(['getData', { path: '/cfg' }, { data: 'v1', version: 0 }], ['getChildren', { path: '/cfg' }, ['a']]), model)
        .verdict,
    ).toBe('linearizable');
  });

  it('malformed znode operations are bad input', () => {
    expect(() => checkHistory(seq(['create', { path: 'a' }, 'a']), 'znode')).toThrow(/invalid path "a"/);
    expect(() => checkHistory(seq(['getData', { path: '/a' }, 42]), 'znode')).toThrow(/unexpected result 42/);
    expect(() => checkHistory(seq(['rename', { path: '/a' }, null]), 'znode')).toThrow(/unknown znode operation/);
  });
});

describe('multi-register model', () => {
  it("Knossos's transactions: reads of nil match anything, writes apply in order", () => {
    const events = h(
      ['invoke', 0, 'txn', [['write', 'x', 1], ['write', 'y', 2]]],
      ['ok', 0, 'txn', [['write', 'x', 1], ['write', 'y', 2]]],
      ['invoke', 1, 'txn', [['read', 'x', null], ['read', 'y', null]]],
      ['ok', 1, 'txn', [['read', 'x', 1], ['read', 'y', 2]]],
    );
    expect(verdict(events, 'multi-register')).toBe('linearizable');
    const torn = events.map((e, i) => (i === 3 ? { ...e, value: [['read', 'x', 1], ['read', 'y', null], ['read', 'y', 3]] } : e));
    const r = checkHistory(torn, 'multi-register');
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation?.reasons).toEqual(["can't read 3 from y, which holds 2"]);
  });

  it('splits into independent groups of keys', () => {
    const events = h(
      ['invoke', 0, 'txn', [['write', 'x', 1]]],
      ['ok', 0, 'txn', [['write', 'x', 1]]],
      ['invoke', 1, 'txn', [['write', 'y', 1]]],
      ['ok', 1, 'txn', [['write', 'y', 1]]],
      ['invoke', 2, 'txn', [['read', 'y', null], ['write', 'z', 3]]],
      ['ok', 2, 'txn', [['read', 'y', 1], ['write', 'z', 3]]],
    );
    const r = checkHistory(events, 'multi-register');
    expect(r.verdict).toBe('linearizable');
    expect(r.partitions).toBe(2);
  });
});

describe('a model written outside the library', () => {
  /** A counter: add n (returns nothing), get (returns the total). */
  const counter: Model<number> = {
    name: 'counter',
    init: () => 0,
    step: (s, op: Operation) => (op.f === 'add' ? s + (op.invokeValue as number) : op.type === 'info' || op.completeValue === s ? s : undefined),
    explain: (s, op) => `can't get ${String(op.completeValue)} from counter ${s}`,
    hash: (s) => s | 0,
    equal: (a, b) => a === b,
    describeState: (s) => String(s),
    describeOp: (op) => (op.f === 'add' ? `add ${String(op.invokeValue)}` : `get ${String(op.completeValue)}`),
    isReadOnly: (op) => op.f === 'get',
  };

  it('is checked like the built-in ones', () => {
    const events = h(
      ['invoke', 0, 'add', 1],
      ['invoke', 1, 'add', 2],
      ['invoke', 2, 'get', null],
      ['ok', 2, 'get', 2],
      ['ok', 0, 'add', 1],
      ['ok', 1, 'add', 2],
      ['invoke', 2, 'get', null],
      ['ok', 2, 'get', 4],
    );
    const r = checkHistory(events, counter);
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation?.reasons).toEqual(["can't get 4 from counter 3"]);
    expect(checkHistory(events.slice(0, 6), counter).verdict).toBe('linearizable');
  });
});
