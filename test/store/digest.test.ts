import { describe, expect, it } from 'vitest';
import { DataTree, type Txn } from '../../sim/store/index.js';
import { Leader, zxidOf } from './helpers.js';

const create = (path: string, parentCVersion: number, ephemeralOwner = 0, data = ''): Txn => ({
  type: 'create',
  path,
  data,
  ephemeralOwner,
  parentCVersion,
});

describe('digest', () => {
  it('is equal for equal content reached in different orders', () => {
    const a = new DataTree();
    const b = new DataTree();
    // Same txns (same zxids), applied in a different order.
    const txns: [Txn, number][] = [
      [{ type: 'createSession', sessionId: 11, timeoutUs: 5 }, zxidOf(1)],
      [{ type: 'createSession', sessionId: 12, timeoutUs: 6 }, zxidOf(2)],
      [create('/x', 1), zxidOf(3)],
      [create('/y', 2, 11, 'data'), zxidOf(4)],
    ];
    for (const [t, z] of txns) a.apply(t, z);
    for (const [t, z] of [txns[1], txns[3], txns[0], txns[2]]) b.apply(t, z);
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(b.digest()).toBe(a.digest());

    // And a tree rebuilt from a snapshot whose nodes and sessions are listed in another order.
    const j = a.toJSON();
    const shuffled = DataTree.fromJSON({ ...j, nodes: [...j.nodes].reverse(), sessions: [...j.sessions].reverse() });
    expect(shuffled.digest()).toBe(a.digest());
  });

  it('differs after any change, and returns when the change is undone', () => {
    const l = new Leader();
    const s = l.session(1);
    const seen = new Set<number>([new DataTree().digest()]);
    const step = (f: () => unknown) => {
      f();
      const d = l.tree.digest();
      expect(seen.has(d)).toBe(false);
      seen.add(d);
      expect(d).toBe(l.tree.digestFromScratch());
    };
    step(() => l.session(2));
    step(() => l.write({ op: 'create', path: '/a', data: '', mode: 'persistent' }, s));
    step(() => l.write({ op: 'setData', path: '/a', data: 'v', version: -1 }, s));
    step(() => l.write({ op: 'setData', path: '/a', data: 'v', version: -1 }, s)); // same data, new version
    step(() => l.write({ op: 'create', path: '/a/e', data: '', mode: 'ephemeral' }, s));
    step(() => l.write({ op: 'delete', path: '/a/e', version: -1 }, s));
    step(() => l.write({ op: 'closeSession' }, 2));

    // Error txns change nothing.
    const d = l.tree.digest();
    l.write({ op: 'delete', path: '/zzz', version: -1 }, s);
    expect(l.tree.digest()).toBe(d);

    // A session opened then closed (sessions carry no zxid): back to the same digest.
    const before = l.tree.digest();
    l.session(42);
    expect(l.tree.digest()).not.toBe(before);
    l.write({ op: 'closeSession' }, 42);
    expect(l.tree.digest()).toBe(before);

    // Same zxids, one field different → different digests.
    const trees = [
      [create('/n', 1, 5, 'x')],
      [create('/n', 1, 6, 'x')], // owner
      [create('/n', 1, 5, 'y')], // data
      [create('/m', 1, 5, 'x')], // path
      [create('/n', 2, 5, 'x')], // parent cversion
      [create('/n', 1, 5, 'x'), { type: 'setData', path: '/n', data: 'x', version: 1 }],
      [create('/n', 1, 5, 'x'), { type: 'setData', path: '/n', data: 'x', version: 2 }], // version
      [create('/n', 1, 5, 'x'), { type: 'createSession', sessionId: 5, timeoutUs: 1 }],
      [create('/n', 1, 5, 'x'), { type: 'createSession', sessionId: 5, timeoutUs: 2 }], // timeout
    ].map((txns) => {
      const t = new DataTree();
      for (const txn of txns as Txn[]) t.apply(txn, 7);
      return t.digest();
    });
    expect(new Set(trees).size).toBe(trees.length);
  });

  it('is an unsigned 32-bit integer and does not count lastProcessedZxid', () => {
    const a = new DataTree();
    const b = new DataTree();
    b.apply({ type: 'error', code: 'NONODE' }, 99);
    expect(a.digest()).toBe(b.digest());
    expect(Number.isInteger(a.digest()) && a.digest() >= 0 && a.digest() < 2 ** 32).toBe(true);
  });
});
