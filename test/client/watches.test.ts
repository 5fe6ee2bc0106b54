/**
 * ZooKeeper ≥ 3.5 client semantics the recipes rely on: watches survive a reconnect
 * (the client re-registers them with SetWatches and the server fires what it missed),
 * and the client's KeeperState (connected, disconnected, expired — the last learned only
 * on reconnect).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/rng.js';
import { History } from '../../sim/client/history.js';
import type { ClientNotification } from '../../sim/client/protocol.js';
import { setWatches } from '../../sim/client/serving.js';
import { ZkClient, DEFAULT_SESSION_OPTIONS, type ClientState } from '../../sim/client/session.js';
import { DataTree, WatchManager, prepRequest } from '../../sim/store/index.js';
import { runFor, runUntil, servingZab } from '../zab/harness.js';

function tree(): { tree: DataTree; write: (req: Parameters<typeof prepRequest>[1]) => number } {
  const t = new DataTree();
  let zxid = 1;
  t.apply({ type: 'createSession', sessionId: 1, timeoutUs: 1_000_000 }, zxid);
  return {
    tree: t,
    write: (req) => {
      zxid++;
      t.apply(prepRequest(t, req, 1, zxid), zxid);
      return zxid;
    },
  };
}

// DataTree.setWatches(relativeZxid, dataWatches, existWatches, childWatches, …): each
// watch fires at once if its node changed after relativeZxid, or is registered again.
describe('SetWatches on the server (DataTree.setWatches)', () => {
  it('fires what changed after the client\'s last zxid and registers the rest', () => {
    const { tree: t, write } = tree();
    write({ op: 'create', path: '/same', data: '', mode: 'persistent' });
    write({ op: 'create', path: '/changed', data: '', mode: 'persistent' });
    write({ op: 'create', path: '/gone', data: '', mode: 'persistent' });
    write({ op: 'create', path: '/dir', data: '', mode: 'persistent' });
    const seen = write({ op: 'create', path: '/quiet', data: '', mode: 'persistent' });
    write({ op: 'setData', path: '/changed', data: 'new', version: -1 });
    write({ op: 'delete', path: '/gone', version: -1 });
    write({ op: 'create', path: '/born', data: '', mode: 'persistent' });
    write({ op: 'create', path: '/dir/child', data: '', mode: 'persistent' });
    const notes: ClientNotification[] = [];
    const watches = new WatchManager();
    const ctx = { notifyClient: (_client: number, note: unknown) => notes.push(note as ClientNotification) };
    setWatches(ctx, t, watches, 1, 7, seen, {
      data: ['/changed', '/gone', '/same'],
      exist: ['/born', '/unborn'],
      child: ['/dir', '/quiet'],
    });
    expect(notes.map((n) => (n.kind === 'watch' ? `${n.type} ${n.path}` : n.kind))).toEqual([
      'NodeDataChanged /changed',
      'NodeDeleted /gone',
      'NodeCreated /born',
      'NodeChildrenChanged /dir',
    ]);
    expect(watches.watchesOf(1)).toEqual({ data: ['/same', '/unborn'], child: ['/quiet'] });
  });
});

describe('ZkClient watches and states', () => {
  // ClientCnxn.primeConnection sends SetWatches with the client's lastZxid; the server's
  // DataTree.setWatches fires the change the client missed while it was away.
  it('a watch set before a disconnect fires after the reconnect for a change made meanwhile', () => {
    const { cluster, leader, follower: near } = servingZab({ servers: 3, seed: 5 });
    const history = new History(cluster.trace);
    const watcher = new ZkClient(cluster as never, history, 0, 2, new Rng('watcher'), DEFAULT_SESSION_OPTIONS);
    const writer = new ZkClient(cluster as never, history, 1, 2, new Rng('writer'), DEFAULT_SESSION_OPTIONS);
    watcher.start(near);
    writer.start(leader);
    writer.submit({ f: 'create', value: {}, req: { op: 'create', path: '/cfg', data: 'v1', mode: 'persistent' } }, () => {});
    runFor(cluster, 100_000);
    watcher.submit({ f: 'getData', value: {}, req: { op: 'getData', path: '/cfg', watch: true } }, () => {});
    runFor(cluster, 100_000);
    expect(watcher.heldWatches()).toEqual({ data: ['/cfg'], exist: [], child: [] });
    const events: string[] = [];
    const states: ClientState[] = [];
    watcher.onWatch = (note) => events.push(note.kind === 'watch' ? `${note.type} ${note.path}` : note.kind);
    watcher.onState = (state) => states.push(state);
    const session = watcher.sessionId;
    // The watcher's server crashes; while the watcher looks for another, /cfg changes.
    cluster.crash(near);
    writer.submit({ f: 'setData', value: {}, req: { op: 'setData', path: '/cfg', data: 'v2', version: -1 } }, () => {});
    runFor(cluster, 50_000);
    expect(events).toEqual([]);
    runFor(cluster, 600_000);
    expect(watcher.connected).toBe(true);
    expect(watcher.sessionId).toBe(session);
    expect(watcher.server).not.toBe(near);
    expect(states).toEqual(['disconnected', 'connected']);
    expect(events).toEqual(['NodeDataChanged /cfg']);
    expect(watcher.heldWatches()).toEqual({ data: [], exist: [], child: [] }); // one-shot: delivered, gone
  });

  // ZooKeeper's client learns of an expiry only when a server refuses the session on
  // reconnect (ClientCnxn.onConnected: negotiated timeout <= 0 → KeeperState.Expired).
  it('reports disconnected while the session may live, and expired only when a server refuses it on reconnect', () => {
    const { cluster, follower: near } = servingZab({ servers: 3, seed: 5 });
    // This client only knows `near` (its connect string), so it cannot reach anyone while near is down.
    const client = new ZkClient(cluster as never, new History(cluster.trace), 0, 1, new Rng('expiry'), DEFAULT_SESSION_OPTIONS, [near]);
    client.start(near);
    client.submit({ f: 'exists', value: {}, req: { op: 'exists', path: '/nothing', watch: true } }, () => {});
    runFor(cluster, 100_000);
    expect(client.state).toBe('connected');
    expect(client.heldWatches().exist).toEqual(['/nothing']);
    const states: { state: ClientState; atUs: number }[] = [];
    client.onState = (state) => states.push({ state, atUs: cluster.nowUs });
    const first = client.sessionId;
    cluster.crash(near);
    // Far beyond the session timeout: the leader has expired the session by now.
    runFor(cluster, 3 * DEFAULT_SESSION_OPTIONS.sessionTimeoutUs);
    expect(states.map((s) => s.state)).toEqual(['disconnected']);
    expect(client.state).toBe('disconnected');
    const restartUs = cluster.nowUs;
    cluster.restart(near);
    expect(runUntil(cluster, () => client.connected, 3_000_000)).toBe(true);
    expect(states.map((s) => s.state)).toEqual(['disconnected', 'expired', 'connected']);
    expect(states[1].atUs).toBeGreaterThan(restartUs);
    expect(client.sessionId).not.toBe(first);
    expect(client.heldWatches()).toEqual({ data: [], exist: [], child: [] }); // watches die with their session
  });
});
