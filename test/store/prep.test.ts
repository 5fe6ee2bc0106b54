import { describe, expect, it } from 'vitest';
import { DataTree, isWriteRequest, prepRequest, type ZkRequest } from '../../sim/store/index.js';
import { Leader } from './helpers.js';

describe('prepRequest', () => {
  it('does not mutate the tree', () => {
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/a', data: 'x', mode: 'persistent' }, s);
    l.write({ op: 'create', path: '/a/b', data: '', mode: 'ephemeral' }, s);
    const before = JSON.stringify(l.tree.toJSON());
    const digest = l.tree.digest();
    const reqs: ZkRequest[] = [
      { op: 'create', path: '/a/c-', data: '', mode: 'ephemeral-sequential' },
      { op: 'create', path: '/a', data: '', mode: 'persistent' },
      { op: 'delete', path: '/a/b', version: 0 },
      { op: 'setData', path: '/a', data: 'y', version: 0 },
      {
        op: 'multi',
        ops: [
          { op: 'delete', path: '/a/b', version: -1 },
          { op: 'delete', path: '/a', version: -1 },
          { op: 'create', path: '/a', data: '', mode: 'persistent' },
        ],
      },
      { op: 'multi', ops: [{ op: 'delete', path: '/a', version: -1 }] },
      { op: 'closeSession' },
      { op: 'createSession', timeoutUs: 10 },
    ];
    for (const req of reqs) prepRequest(l.tree, req, req.op === 'createSession' ? 2 : s, 1000);
    expect(JSON.stringify(l.tree.toJSON())).toBe(before);
    expect(l.tree.digest()).toBe(digest);
  });

  it('produces small plain txns that survive JSON', () => {
    const l = new Leader();
    const s = l.session(1);
    const r = l.write({ op: 'create', path: '/q-', data: 'd', mode: 'ephemeral-sequential' }, s);
    expect(r.txn).toEqual({ type: 'create', path: '/q-0000000000', data: 'd', ephemeralOwner: s, parentCVersion: 1 });
    expect(JSON.parse(JSON.stringify(r.txn))).toEqual(r.txn);
    expect(l.write({ op: 'setData', path: '/q-0000000000', data: 'e', version: -1 }, s).txn).toEqual({
      type: 'setData',
      path: '/q-0000000000',
      data: 'e',
      version: 1,
    });
    // ZooKeeper's DeleteTxn: the path alone (the parent's cversion does not move, ZOOKEEPER-1046).
    expect(l.write({ op: 'delete', path: '/q-0000000000', version: 1 }, s).txn).toEqual({ type: 'delete', path: '/q-0000000000' });
  });

  it('refuses at prep, as an error txn, what the tree would refuse at apply', () => {
    // PrepRequestProcessor throws NoChildrenForEphemerals / NotEmpty before proposing: the
    // log holds ZooKeeper's error txn, not a create or delete the tree refuses on apply.
    const l = new Leader();
    const s = l.session(1);
    l.write({ op: 'create', path: '/e', data: '', mode: 'ephemeral' }, s);
    l.write({ op: 'create', path: '/p', data: '', mode: 'persistent' }, s);
    l.write({ op: 'create', path: '/p/c', data: '', mode: 'persistent' }, s);
    expect(prepRequest(l.tree, { op: 'create', path: '/e/c', data: '', mode: 'persistent' }, s, 10)).toEqual({ type: 'error', code: 'NOCHILDRENFOREPHEMERALS' });
    expect(prepRequest(l.tree, { op: 'delete', path: '/p', version: -1 }, s, 10)).toEqual({ type: 'error', code: 'NOTEMPTY' });
  });

  it('sees earlier proposals once the leader applies them to its speculative tree', () => {
    // The leader preps two sequential creates before either commits: distinct names.
    const committed = new DataTree();
    committed.apply({ type: 'createSession', sessionId: 1, timeoutUs: 1 }, 1);
    const speculative = committed.clone();
    const req: ZkRequest = { op: 'create', path: '/job-', data: '', mode: 'persistent-sequential' };
    const t1 = prepRequest(speculative, req, 1, 2);
    speculative.apply(t1, 2);
    const t2 = prepRequest(speculative, req, 1, 3);
    expect([t1, t2].map((t) => (t.type === 'create' ? t.path : t.type))).toEqual(['/job-0000000000', '/job-0000000001']);
    committed.apply(t1, 2);
    committed.apply(t2, 3);
    expect(committed.toJSON()).toEqual((speculative.apply(t2, 3), speculative.toJSON()));
  });

  it('throws for reads and sync; reports writes', () => {
    const t = new DataTree();
    for (const req of [
      { op: 'getData', path: '/' },
      { op: 'exists', path: '/' },
      { op: 'getChildren', path: '/' },
      { op: 'sync', path: '/' },
    ] as ZkRequest[]) {
      expect(isWriteRequest(req)).toBe(false);
      expect(() => prepRequest(t, req, 1, 1)).toThrow(/not a write/);
    }
    expect(isWriteRequest({ op: 'closeSession' })).toBe(true);
    expect(prepRequest(t, { op: 'check', path: '/', version: -1 }, 1, 1)).toEqual({ type: 'error', code: 'BADARGUMENTS' });
  });

  it('checks arguments: modes, versions, paths', () => {
    const l = new Leader();
    const s = l.session(1);
    const bad = [
      { op: 'create', path: '/x', data: '', mode: 'container' },
      { op: 'create', path: 'x', data: '', mode: 'persistent' },
      { op: 'create', path: '/x\u0000', data: '', mode: 'persistent' },
      { op: 'setData', path: '/', data: '', version: 1.5 },
      { op: 'delete', path: '/a//b', version: -1 },
    ] as unknown as ZkRequest[];
    for (const req of bad) expect(l.write(req, s).result).toEqual({ ok: false, code: 'BADARGUMENTS' });
    expect(l.write({ op: 'createSession', timeoutUs: 10 }, 1).result).toEqual({ ok: false, code: 'BADARGUMENTS' });
  });

  it('setData skips version -1 when the version wraps', () => {
    const t = new DataTree();
    t.apply({ type: 'createSession', sessionId: 1, timeoutUs: 1 }, 1);
    t.apply({ type: 'create', path: '/v', data: '', ephemeralOwner: 0, parentCVersion: 1 }, 2);
    t.apply({ type: 'setData', path: '/v', data: '', version: 2147483647 }, 3);
    expect(prepRequest(t, { op: 'setData', path: '/v', data: '', version: -1 }, 1, 4)).toMatchObject({ version: -2147483648 });
    t.apply({ type: 'setData', path: '/v', data: '', version: -2 }, 4);
    expect(prepRequest(t, { op: 'setData', path: '/v', data: '', version: -2 }, 1, 5)).toMatchObject({ version: 0 });
  });
});
