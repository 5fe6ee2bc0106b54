import { describe, expect, it } from 'vitest';
import { DataTree, prepRequest, type Txn } from '../../sim/store/index.js';
import { Leader, zxidOf } from './helpers.js';

describe('znodes', () => {
  it('the root always exists and cannot be deleted or recreated', () => {
    const l = new Leader();
    const s = l.session(1);
    expect(l.tree.exists('/')).toMatchObject({ ok: true, stat: { numChildren: 0 } });
    expect(l.write({ op: 'delete', path: '/', version: -1 }, s).result).toEqual({ ok: false, code: 'BADARGUMENTS' });
    expect(l.write({ op: 'create', path: '/', data: '', mode: 'persistent' }, s).result).toEqual({
      ok: false,
      code: 'NODEEXISTS',
    });
    expect(l.tree.nodeCount).toBe(1);
  });

  it('create needs the parent; reads report NONODE / null stat; children come back sorted', () => {
    const l = new Leader();
    const s = l.session(1);
    expect(l.write({ op: 'create', path: '/a/b', data: '', mode: 'persistent' }, s).result).toEqual({
      ok: false,
      code: 'NONODE',
    });
    for (const p of ['/a', '/a/c', '/a/b', '/a/a-b']) {
      expect(l.write({ op: 'create', path: p, data: p, mode: 'persistent' }, s).result).toEqual({ ok: true, path: p });
    }
    expect(l.tree.getChildren('/a')).toEqual({ ok: true, children: ['a-b', 'b', 'c'] });
    expect(l.tree.getData('/a/b')).toMatchObject({ ok: true, data: '/a/b', stat: { version: 0, dataLength: 4 } });
    expect(l.tree.getData('/nope')).toEqual({ ok: false, code: 'NONODE' });
    expect(l.tree.exists('/nope')).toEqual({ ok: true, stat: null });
    expect(l.tree.getChildren('/nope')).toEqual({ ok: false, code: 'NONODE' });
    expect(l.tree.getData('bad//path')).toEqual({ ok: false, code: 'BADARGUMENTS' });
    expect(l.write({ op: 'create', path: '/a/', data: '', mode: 'persistent' }, s).result.ok).toBe(false);
    expect(l.write({ op: 'create', path: '/a/..', data: '', mode: 'persistent' }, s).result).toEqual({
      ok: false,
      code: 'BADARGUMENTS',
    });
    expect(l.write({ op: 'delete', path: '/a', version: -1 }, s).result).toEqual({ ok: false, code: 'NOTEMPTY' });
  });

  it('stat tracks zxids, versions and children', () => {
    const l = new Leader();
    const s = l.session(1);
    const c = l.write({ op: 'create', path: '/x', data: 'v0', mode: 'persistent' }, s);
    const k = l.write({ op: 'create', path: '/x/k', data: '', mode: 'persistent' }, s);
    const w = l.write({ op: 'setData', path: '/x', data: 'longer', version: 0 }, s);
    const d = l.write({ op: 'delete', path: '/x/k', version: 0 }, s);
    const r = l.tree.getData('/x');
    expect(r).toEqual({
      ok: true,
      data: 'longer',
      stat: {
        czxid: c.zxid,
        mzxid: w.zxid,
        pzxid: d.zxid,
        version: 1,
        cversion: 1, // one create; the delete moved only pzxid (ZOOKEEPER-1046)
        ephemeralOwner: 0,
        dataLength: 6,
        numChildren: 0,
      },
    });
    expect(k.zxid).toBeGreaterThan(2 ** 32); // zxids above 32 bits are fine
    expect(l.tree.lastProcessedZxid).toBe(d.zxid);
  });
});

describe('sequential znodes', () => {
  // ZooKeeper ≥ 3.4: PrepRequestProcessor.pRequest2Txn names a sequential node from the
  // parent's cversion, which DataTree.createNode bumps and DataTree.deleteNode does not
  // (ZOOKEEPER-1046): create, create, delete, create-sequential gives …0000000002.
  it('are numbered by the parent cversion, %010d, which creates bump and deletes do not (ZOOKEEPER-1046)', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/q', data: '', mode: 'persistent' }, s);
    const seq = () => l.write({ op: 'create', path: '/q/item-', data: '', mode: 'persistent-sequential' }, s).result;
    expect(seq()).toEqual({ ok: true, path: '/q/item-0000000000' });
    expect(seq()).toEqual({ ok: true, path: '/q/item-0000000001' });
    const deleted = l.write({ op: 'delete', path: '/q/item-0000000001', version: -1 }, s); // cversion stays 2
    expect(l.tree.exists('/q')).toMatchObject({ stat: { cversion: 2, pzxid: deleted.zxid } });
    expect(seq()).toEqual({ ok: true, path: '/q/item-0000000002' });
    l.write({ op: 'create', path: '/q/other', data: '', mode: 'persistent' }, s); // 3 → 4
    expect(seq()).toEqual({ ok: true, path: '/q/item-0000000004' });
    expect(l.tree.getChildren('/q')).toEqual({
      ok: true,
      children: ['item-0000000000', 'item-0000000002', 'item-0000000004', 'other'],
    });
  });

  it('an expired session\'s ephemerals leave the cversion too (DataTree.killSession → deleteNode)', () => {
    const l = new Leader();
    const s = l.session(1);
    const t = l.session(2);
    l.write({ op: 'create', path: '/q', data: '', mode: 'persistent' }, s);
    l.write({ op: 'create', path: '/q/e-', data: '', mode: 'ephemeral-sequential' }, t);
    l.write({ op: 'closeSession' }, t);
    expect(l.tree.exists('/q')).toMatchObject({ stat: { cversion: 1, numChildren: 0 } });
    expect(l.write({ op: 'create', path: '/q/e-', data: '', mode: 'ephemeral-sequential' }, s).result).toEqual({ ok: true, path: '/q/e-0000000001' });
  });

  it('work directly under the root and with a trailing-slash prefix', () => {
    const l = new Leader();
    const s = l.session(1);
    expect(l.write({ op: 'create', path: '/', data: '', mode: 'persistent-sequential' }, s).result).toEqual({
      ok: true,
      path: '/0000000000',
    });
    l.write({ op: 'create', path: '/d', data: '', mode: 'persistent' }, s);
    expect(l.write({ op: 'create', path: '/d/', data: '', mode: 'ephemeral-sequential' }, s).result).toEqual({
      ok: true,
      path: '/d/0000000000',
    });
  });

  it('a wrapped (negative) cversion formats like Java %010d', async () => {
    const { sequentialSuffix } = await import('../../sim/store/index.js');
    expect(sequentialSuffix(7)).toBe('0000000007');
    expect(sequentialSuffix(2147483647)).toBe('2147483647');
    expect(sequentialSuffix(-2147483648)).toBe('-2147483648');
    expect(sequentialSuffix(-5)).toBe('-000000005');
  });

  it('keep working when the parent cversion wraps past 2^31-1', () => {
    const t = new DataTree();
    t.apply({ type: 'createSession', sessionId: 1, timeoutUs: 1 }, 1);
    t.apply({ type: 'create', path: '/w', data: '', ephemeralOwner: 0, parentCVersion: 1 }, 2);
    t.apply({ type: 'create', path: '/w/a', data: '', ephemeralOwner: 0, parentCVersion: 2147483647 }, 3);
    const txn = prepRequest(t, { op: 'create', path: '/w/s-', data: '', mode: 'persistent-sequential' }, 1, 4);
    expect(txn).toMatchObject({ path: '/w/s-2147483647', parentCVersion: -2147483648 });
    t.apply(txn, 4);
    const next = prepRequest(t, { op: 'create', path: '/w/s-', data: '', mode: 'persistent-sequential' }, 1, 5);
    expect(next).toMatchObject({ path: '/w/s--2147483648' });
  });
});

describe('versions (CAS)', () => {
  it('setData and delete succeed only on the expected version; -1 matches any', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/reg', data: '0', mode: 'persistent' }, s);
    expect(l.write({ op: 'setData', path: '/reg', data: '1', version: 0 }, s).result).toMatchObject({
      ok: true,
      stat: { version: 1 },
    });
    expect(l.write({ op: 'setData', path: '/reg', data: 'x', version: 0 }, s).result).toEqual({
      ok: false,
      code: 'BADVERSION',
    });
    expect(l.tree.getData('/reg')).toMatchObject({ data: '1' });
    expect(l.write({ op: 'setData', path: '/reg', data: '2', version: -1 }, s).result).toMatchObject({
      stat: { version: 2 },
    });
    expect(l.write({ op: 'delete', path: '/reg', version: 1 }, s).result).toEqual({ ok: false, code: 'BADVERSION' });
    expect(l.write({ op: 'delete', path: '/reg', version: 2 }, s).result).toEqual({ ok: true });
    expect(l.write({ op: 'setData', path: '/reg', data: '3', version: -1 }, s).result).toEqual({
      ok: false,
      code: 'NONODE',
    });
  });

  it('the failed write still takes a zxid', () => {
    const l = new Leader();
    const s = l.session(1);
    const r = l.write({ op: 'setData', path: '/missing', data: '', version: -1 }, s);
    expect(r.txn).toEqual({ type: 'error', code: 'NONODE' });
    expect(l.tree.lastProcessedZxid).toBe(r.zxid);
  });
});

describe('sessions and ephemerals', () => {
  it('closeSession deletes all of the session’s ephemerals atomically, and only those', () => {
    const l = new Leader();
    const a = l.session(0x0100000000001);
    const b = l.session(0x0200000000001);
    l.write({ op: 'create', path: '/locks', data: '', mode: 'persistent' }, a);
    l.write({ op: 'create', path: '/locks/a1', data: '', mode: 'ephemeral' }, a);
    l.write({ op: 'create', path: '/locks/n-', data: '', mode: 'ephemeral-sequential' }, a);
    l.write({ op: 'create', path: '/locks/b1', data: '', mode: 'ephemeral' }, b);
    l.write({ op: 'create', path: '/p', data: '', mode: 'persistent' }, a);
    expect(l.tree.ephemeralsOf(a)).toEqual(['/locks/a1', '/locks/n-0000000001']);
    expect(l.tree.getData('/locks/a1')).toMatchObject({ stat: { ephemeralOwner: a } });
    const closed = l.write({ op: 'closeSession' }, a);
    expect(closed.result).toEqual({ ok: true });
    expect(closed.events).toEqual([
      { path: '/locks/a1', type: 'NodeDeleted' },
      { path: '/locks', type: 'NodeChildrenChanged' },
      { path: '/locks/n-0000000001', type: 'NodeDeleted' },
      { path: '/locks', type: 'NodeChildrenChanged' },
    ]);
    expect(l.tree.getChildren('/locks')).toEqual({ ok: true, children: ['b1'] });
    expect(l.tree.exists('/p')).toMatchObject({ stat: { ephemeralOwner: 0 } });
    expect(l.tree.hasSession(a)).toBe(false);
    expect(l.tree.ephemeralsOf(a)).toEqual([]);
    expect([...l.tree.sessions.keys()]).toEqual([b]);
    expect(l.tree.getData('/locks')).toMatchObject({ stat: { pzxid: closed.zxid } });
    l.tree.assertConsistent();
  });

  it('writes from an unknown or closed session fail with SESSIONEXPIRED', () => {
    const l = new Leader();
    expect(l.write({ op: 'create', path: '/x', data: '', mode: 'persistent' }, 9).result).toEqual({
      ok: false,
      code: 'SESSIONEXPIRED',
    });
    const s = l.session(9);
    l.write({ op: 'closeSession' }, s);
    expect(l.write({ op: 'closeSession' }, s).result).toEqual({ ok: false, code: 'SESSIONEXPIRED' });
    expect(l.write({ op: 'setData', path: '/', data: '', version: -1 }, s).result).toEqual({
      ok: false,
      code: 'SESSIONEXPIRED',
    });
    expect(l.write({ op: 'createSession', timeoutUs: 5 }, 0).result).toEqual({ ok: false, code: 'BADARGUMENTS' });
  });

  it('an ephemeral cannot have children', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/e', data: '', mode: 'ephemeral' }, s);
    expect(l.write({ op: 'create', path: '/e/c', data: '', mode: 'persistent' }, s).result).toEqual({
      ok: false,
      code: 'NOCHILDRENFOREPHEMERALS',
    });
    expect(l.write({ op: 'create', path: '/e/c-', data: '', mode: 'ephemeral-sequential' }, s).result).toEqual({
      ok: false,
      code: 'NOCHILDRENFOREPHEMERALS',
    });
  });
});

describe('multi', () => {
  it('applies all sub-ops at one zxid, with per-op results', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/m', data: '', mode: 'persistent' }, s);
    const r = l.write(
      {
        op: 'multi',
        ops: [
          { op: 'create', path: '/m/a', data: '1', mode: 'persistent' },
          { op: 'create', path: '/m/s-', data: '', mode: 'persistent-sequential' },
          { op: 'setData', path: '/m/a', data: '2', version: 0 },
          { op: 'check', path: '/m', version: 0 },
          { op: 'delete', path: '/m/a', version: 1 },
        ],
      },
      s,
    );
    expect(r.result).toMatchObject({
      ok: true,
      results: [
        { ok: true, path: '/m/a' },
        { ok: true, path: '/m/s-0000000001' }, // sees the multi's earlier create
        { ok: true, stat: { version: 1, mzxid: r.zxid } },
        { ok: true },
        { ok: true },
      ],
    });
    expect(l.tree.getChildren('/m')).toEqual({ ok: true, children: ['s-0000000001'] });
    expect(l.tree.getData('/m')).toMatchObject({ stat: { cversion: 2, pzxid: r.zxid } }); // two creates; the delete moved pzxid only
  });

  // ZooKeeper's failed multi (PrepRequestProcessor.pRequest2Txn, DataTree.processTxn case
  // OpCode.multi): ErrorResult(OK) before the failing op, its code, RUNTIMEINCONSISTENCY after.
  it('is all-or-nothing: the first failure fails the multi and nothing is applied', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/m', data: 'keep', mode: 'persistent' }, s);
    const before = l.tree.toJSON();
    const r = l.write(
      {
        op: 'multi',
        ops: [
          { op: 'create', path: '/m/a', data: '', mode: 'persistent' },
          { op: 'setData', path: '/m', data: 'lost', version: -1 },
          { op: 'check', path: '/m', version: 7 },
          { op: 'delete', path: '/m', version: -1 },
        ],
      },
      s,
    );
    expect(r.txn).toEqual({
      type: 'error',
      code: 'BADVERSION',
      results: ['OK', 'OK', 'BADVERSION', 'RUNTIMEINCONSISTENCY'],
    });
    expect(r.result).toEqual({
      ok: false,
      code: 'BADVERSION',
      results: [
        { ok: false, code: 'OK' },
        { ok: false, code: 'OK' },
        { ok: false, code: 'BADVERSION' },
        { ok: false, code: 'RUNTIMEINCONSISTENCY' },
      ],
    });
    expect(r.events).toEqual([]);
    expect({ ...l.tree.toJSON(), lastProcessedZxid: 0 }).toEqual({ ...before, lastProcessedZxid: 0 });
  });

  it('validates later sub-ops against earlier ones (delete then recreate, nested multi rejected)', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/n', data: '', mode: 'persistent' }, s);
    const ok = l.write(
      {
        op: 'multi',
        ops: [
          { op: 'delete', path: '/n', version: 0 },
          { op: 'create', path: '/n', data: 'again', mode: 'ephemeral' },
          { op: 'check', path: '/n', version: 0 },
        ],
      },
      s,
    );
    expect(ok.result.ok).toBe(true);
    expect(l.tree.getData('/n')).toMatchObject({ data: 'again', stat: { ephemeralOwner: s } });
    const bad = l.write(
      {
        op: 'multi',
        ops: [
          { op: 'delete', path: '/n', version: -1 },
          { op: 'multi', ops: [] },
        ],
      },
      s,
    );
    expect(bad.result).toMatchObject({ ok: false, code: 'BADARGUMENTS' });
    const read = l.write({ op: 'multi', ops: [{ op: 'getData', path: '/n' }] }, s);
    expect(read.result).toMatchObject({ ok: false, code: 'BADARGUMENTS' });
    expect(l.tree.exists('/n')).toMatchObject({ ok: true, stat: { ephemeralOwner: s } });
  });
});

describe('watch events from apply', () => {
  it('come in ZooKeeper order', () => {
    const l = new Leader();
    const s = l.session(1);
    expect(l.write({ op: 'create', path: '/w', data: '', mode: 'persistent' }, s).events).toEqual([
      { path: '/w', type: 'NodeCreated' },
      { path: '/', type: 'NodeChildrenChanged' },
    ]);
    expect(l.write({ op: 'setData', path: '/w', data: 'x', version: -1 }, s).events).toEqual([
      { path: '/w', type: 'NodeDataChanged' },
    ]);
    expect(l.write({ op: 'delete', path: '/w', version: -1 }, s).events).toEqual([
      { path: '/w', type: 'NodeDeleted' },
      { path: '/', type: 'NodeChildrenChanged' },
    ]);
  });
});

describe('replay', () => {
  it('re-applying any txn right after itself changes nothing', () => {
    const l = new Leader();
    const s = l.session(1);
    const reqs = [
      { op: 'create', path: '/r', data: 'a', mode: 'persistent' },
      { op: 'create', path: '/r/s-', data: '', mode: 'persistent-sequential' },
      { op: 'create', path: '/r/e', data: '', mode: 'ephemeral' },
      { op: 'setData', path: '/r', data: 'b', version: 0 },
      { op: 'delete', path: '/r/s-0000000000', version: -1 },
      {
        op: 'multi',
        ops: [
          { op: 'create', path: '/r/m', data: '', mode: 'persistent' },
          { op: 'setData', path: '/r/m', data: 'z', version: 0 },
        ],
      },
      { op: 'closeSession' },
    ] as const;
    for (const req of reqs) {
      const { txn, zxid } = l.write(req, s);
      const snapshot = JSON.stringify(l.tree.toJSON());
      const digest = l.tree.digest();
      const again = l.tree.apply(txn, zxid);
      expect(JSON.stringify(l.tree.toJSON())).toBe(snapshot);
      expect(l.tree.digest()).toBe(digest);
      if (txn.type === 'create') expect(again.result).toEqual({ ok: false, code: 'NODEEXISTS' });
      if (txn.type === 'delete') expect(again.result).toEqual({ ok: false, code: 'NONODE' });
      l.tree.assertConsistent();
    }
  });

  it('replaying an old create does not move the parent cversion backwards, and catches it up if behind', () => {
    const t = new DataTree();
    const create = (path: string, parentCVersion: number): Txn => ({
      type: 'create',
      path,
      data: '',
      ephemeralOwner: 0,
      parentCVersion,
    });
    t.apply(create('/b', 2), zxidOf(2));
    t.apply(create('/a', 1), zxidOf(1)); // out of order: cversion stays 2
    expect(t.exists('/')).toMatchObject({ stat: { cversion: 2, pzxid: zxidOf(2) } });
    expect(t.lastProcessedZxid).toBe(zxidOf(2));
    // A snapshot that has /c but missed the parent bump (fuzzy): NODEEXISTS, parent caught up.
    expect(t.apply(create('/b', 5), zxidOf(5)).result).toEqual({ ok: false, code: 'NODEEXISTS' });
    expect(t.exists('/')).toMatchObject({ stat: { cversion: 5, pzxid: zxidOf(5) } });
  });
});

describe('snapshots', () => {
  it('clone is deep and JSON round-trips exactly', () => {
    const l = new Leader();
    const s = l.session(7, 123);
    l.write({ op: 'create', path: '/a', data: 'x', mode: 'persistent' }, s);
    l.write({ op: 'create', path: '/a/e', data: 'y', mode: 'ephemeral' }, s);
    const c = l.tree.clone();
    const j = DataTree.fromJSON(JSON.parse(JSON.stringify(l.tree.toJSON())));
    for (const t of [c, j]) {
      expect(t.toJSON()).toEqual(l.tree.toJSON());
      expect(t.digest()).toBe(l.tree.digest());
      expect(t.ephemeralsOf(s)).toEqual(['/a/e']);
      expect(t.sessions.get(s)?.timeoutUs).toBe(123);
      t.assertConsistent();
    }
    c.apply(prepRequest(c, { op: 'closeSession' }, s, 100), 100);
    expect(c.exists('/a/e')).toEqual({ ok: true, stat: null });
    expect(l.tree.exists('/a/e')).toMatchObject({ ok: true, stat: { ephemeralOwner: s } });
    expect(l.tree.hasSession(s)).toBe(true);
    l.tree.assertConsistent();
  });

  it('fromJSON rejects a bad snapshot naming the field', () => {
    const good = new Leader().tree.toJSON();
    expect(() => DataTree.fromJSON({ ...good, nodes: [...good.nodes, { path: '/x/y', data: '', stat: good.nodes[0].stat }] })).toThrow(
      /snapshot\.nodes\[1\]\.path: parent \/x of \/x\/y is missing/,
    );
    expect(() => DataTree.fromJSON({ ...good, format: 'v0' })).toThrow(/snapshot\.format/);
    expect(() => DataTree.fromJSON({ ...good, nodes: [] })).toThrow(/no root/);
  });
});

// ZooKeeper's Stat.dataLength is the length of the node's byte[] (DataTree.copyStat:
// `to.setDataLength(data == null ? 0 : data.length)`), and clients encode strings as UTF-8.
describe('dataLength', () => {
  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    const l = new Leader();
    const s = l.session(1);
    const cases: [string, number][] = [['', 0], ['abc', 3], ['é', 2], ['€', 3], ['😀', 4], ['a€😀', 8]];
    cases.forEach(([data, bytes], i) => {
      l.write({ op: 'create', path: `/d${i}`, data, mode: 'persistent' }, s);
      expect(l.tree.getData(`/d${i}`)).toMatchObject({ stat: { dataLength: bytes } });
      expect(bytes).toBe(new TextEncoder().encode(data).length);
    });
    expect(() => DataTree.fromJSON({ ...l.tree.toJSON(), nodes: l.tree.toJSON().nodes.map((n) => (n.path === '/d3' ? { ...n, stat: { ...n.stat, dataLength: 1 } } : n)) })).toThrow(
      /stat\.dataLength: is 1 but data has 3 bytes/,
    );
  });
});
