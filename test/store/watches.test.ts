import { describe, expect, it } from 'vitest';
import { WatchManager, type ZkRequest } from '../../sim/store/index.js';
import { Leader } from './helpers.js';

/** A server: serves reads with watches, fires them on writes. */
function setup() {
  const l = new Leader();
  const w = new WatchManager();
  const read = (sessionId: number, req: ZkRequest) => {
    const r = l.tree.read(req);
    w.registerRead(sessionId, req, r);
    return r;
  };
  const write = (sessionId: number, req: ZkRequest) => w.trigger(l.write(req, sessionId).events);
  return { l, w, read, write };
}

describe('watches', () => {
  it('are one-shot', () => {
    const { l, w, read, write } = setup();
    const s = l.session(1);
    write(s, { op: 'create', path: '/a', data: '', mode: 'persistent' });
    read(s, { op: 'getData', path: '/a', watch: true });
    expect(write(s, { op: 'setData', path: '/a', data: '1', version: -1 })).toEqual([
      { sessionId: s, path: '/a', type: 'NodeDataChanged' },
    ]);
    expect(write(s, { op: 'setData', path: '/a', data: '2', version: -1 })).toEqual([]);
    expect(w.size).toBe(0);
  });

  it('are one-shot while other watches remain set', () => {
    const { l, w, read, write } = setup();
    const s = l.session(1);
    write(s, { op: 'create', path: '/a', data: '', mode: 'persistent' });
    write(s, { op: 'create', path: '/b', data: '', mode: 'persistent' });
    read(s, { op: 'getData', path: '/a', watch: true });
    read(s, { op: 'getData', path: '/b', watch: true });
    expect(write(s, { op: 'setData', path: '/a', data: '1', version: -1 })).toEqual([{ sessionId: s, path: '/a', type: 'NodeDataChanged' }]);
    expect(w.size).toBe(1);
    expect(write(s, { op: 'setData', path: '/a', data: '2', version: -1 })).toEqual([]);
    expect(write(s, { op: 'setData', path: '/b', data: '1', version: -1 })).toEqual([{ sessionId: s, path: '/b', type: 'NodeDataChanged' }]);
    expect(w.size).toBe(0);
  });

  it('follow ZooKeeper’s rules for which read sets which watch', () => {
    const { l, w, read, write } = setup();
    const s = l.session(1);
    read(s, { op: 'getData', path: '/x', watch: true }); // NONODE: no watch
    read(s, { op: 'getChildren', path: '/x', watch: true }); // NONODE: no watch
    read(s, { op: 'exists', path: '/x', watch: false });
    expect(w.size).toBe(0);
    read(s, { op: 'exists', path: '/x', watch: true }); // watch on a missing node
    expect(write(s, { op: 'create', path: '/x', data: '', mode: 'persistent' })).toEqual([
      { sessionId: s, path: '/x', type: 'NodeCreated' },
    ]);
  });

  it('fire in update order, ascending session within one change, once per session on delete', () => {
    const { l, w, read, write } = setup();
    const a = l.session(5);
    const b = l.session(3);
    write(a, { op: 'create', path: '/p', data: '', mode: 'persistent' });
    write(a, { op: 'create', path: '/p/c', data: '', mode: 'persistent' });
    read(a, { op: 'getChildren', path: '/p', watch: true });
    read(a, { op: 'getData', path: '/p/c', watch: true });
    read(a, { op: 'getChildren', path: '/p/c', watch: true });
    read(b, { op: 'exists', path: '/p/c', watch: true });
    read(b, { op: 'exists', path: '/p/c', watch: true }); // same watch twice: one notification
    expect(w.watchesOf(a)).toEqual({ data: ['/p/c'], child: ['/p', '/p/c'] });
    expect(write(a, { op: 'delete', path: '/p/c', version: -1 })).toEqual([
      { sessionId: b, path: '/p/c', type: 'NodeDeleted' },
      { sessionId: a, path: '/p/c', type: 'NodeDeleted' },
      { sessionId: a, path: '/p', type: 'NodeChildrenChanged' },
    ]);
    expect(w.size).toBe(0);
  });

  it('are dropped with their session, and fired by ephemerals of an expired session', () => {
    const { l, w, read, write } = setup();
    const owner = l.session(1);
    const watcher = l.session(2);
    const gone = l.session(3);
    write(owner, { op: 'create', path: '/lock', data: '', mode: 'ephemeral' });
    read(watcher, { op: 'exists', path: '/lock', watch: true });
    read(gone, { op: 'exists', path: '/lock', watch: true });
    read(gone, { op: 'getChildren', path: '/', watch: true });
    w.removeSession(gone);
    expect(w.size).toBe(1);
    expect(write(owner, { op: 'closeSession' })).toEqual([{ sessionId: watcher, path: '/lock', type: 'NodeDeleted' }]);
  });
});
