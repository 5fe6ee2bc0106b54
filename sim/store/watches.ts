/**
 * Per-server watch registry, ZooKeeper's WatchManager (data and child watches).
 *
 * Watches are volatile and local: a server registers them for the sessions connected to
 * it when it serves a read, and fires them when it applies txns. They are one-shot: a
 * watch fires at most once and must be set again by a new read. Firing order follows the
 * order of the applied changes (and, within one change, ascending session id), so a
 * session sees its notifications in update order.
 *
 * ZooKeeper's rules:
 *  - getData sets a data watch only if the node exists; exists sets one either way (so
 *    it can fire NodeCreated); getChildren sets a child watch only if the node exists;
 *  - NodeCreated / NodeDataChanged fire data watches on the path;
 *  - NodeChildrenChanged fires child watches on the (parent) path;
 *  - NodeDeleted fires both data and child watches on the path, once per session.
 */

import type { WatchEvent, WatchEventType, WatchNotification, ZkRequest, ZkResult } from './types.js';

const NO_NOTIFICATIONS: readonly WatchNotification[] = Object.freeze([]);

interface SessionWatches {
  readonly data: Set<string>;
  readonly child: Set<string>;
}

export class WatchManager {
  private readonly dataWatches = new Map<string, Set<number>>();
  private readonly childWatches = new Map<string, Set<number>>();
  private readonly bySession = new Map<number, SessionWatches>();
  private count = 0;

  /** Number of registered watches (data + child). */
  get size(): number {
    return this.count;
  }

  private sessionEntry(sessionId: number): SessionWatches {
    let s = this.bySession.get(sessionId);
    if (s === undefined) {
      s = { data: new Set(), child: new Set() };
      this.bySession.set(sessionId, s);
    }
    return s;
  }

  private add(map: Map<string, Set<number>>, sessionId: number, path: string, child: boolean): void {
    let set = map.get(path);
    if (set === undefined) {
      set = new Set();
      map.set(path, set);
    }
    if (set.has(sessionId)) return;
    set.add(sessionId);
    const s = this.sessionEntry(sessionId);
    (child ? s.child : s.data).add(path);
    this.count++;
  }

  /** One-shot watch on the node's existence and data (getData / exists). */
  addDataWatch(sessionId: number, path: string): void {
    this.add(this.dataWatches, sessionId, path, false);
  }

  /** One-shot watch on the node's child list (getChildren). */
  addChildWatch(sessionId: number, path: string): void {
    this.add(this.childWatches, sessionId, path, true);
  }

  /** Registers what a served read asked for (`watch: true`), following ZooKeeper's rules. */
  registerRead(sessionId: number, req: ZkRequest, result: ZkResult): void {
    switch (req.op) {
      case 'getData':
        if (req.watch === true && result.ok) this.addDataWatch(sessionId, req.path);
        break;
      case 'exists':
        if (req.watch === true && result.ok) this.addDataWatch(sessionId, req.path);
        break;
      case 'getChildren':
        if (req.watch === true && result.ok) this.addChildWatch(sessionId, req.path);
        break;
      default:
        break;
    }
  }

  /** Fires (and removes) the watches the events trigger; notifications in delivery order. */
  trigger(events: readonly WatchEvent[]): readonly WatchNotification[] {
    if (this.count === 0 || events.length === 0) return NO_NOTIFICATIONS;
    let out: WatchNotification[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const { path, type } = events[i];
      let ids: number[] | undefined;
      switch (type) {
        case 'NodeCreated':
        case 'NodeDataChanged':
          ids = this.take(this.dataWatches, path, false);
          break;
        case 'NodeChildrenChanged':
          ids = this.take(this.childWatches, path, true);
          break;
        case 'NodeDeleted': {
          const a = this.take(this.dataWatches, path, false);
          const b = this.take(this.childWatches, path, true);
          ids = a === undefined ? b : b === undefined ? a : Array.from(new Set(a.concat(b)));
          break;
        }
      }
      if (ids === undefined) continue;
      if (ids.length > 1) ids.sort((x, y) => x - y);
      out ??= [];
      for (const sessionId of ids) out.push(notification(sessionId, path, type));
    }
    return out ?? NO_NOTIFICATIONS;
  }

  /** Removes the watches on `path` in `map`; the sessions that held them. */
  private take(map: Map<string, Set<number>>, path: string, child: boolean): number[] | undefined {
    const set = map.get(path);
    if (set === undefined) return undefined;
    map.delete(path);
    const ids = Array.from(set);
    for (const id of ids) {
      const s = this.bySession.get(id);
      if (s !== undefined) {
        (child ? s.child : s.data).delete(path);
        if (s.child.size === 0 && s.data.size === 0) this.bySession.delete(id);
      }
    }
    this.count -= ids.length;
    return ids;
  }

  /** Drops every watch of a session (closed, expired, or moved to another server). */
  removeSession(sessionId: number): void {
    const s = this.bySession.get(sessionId);
    if (s === undefined) return;
    this.bySession.delete(sessionId);
    for (const path of s.data) this.drop(this.dataWatches, path, sessionId);
    for (const path of s.child) this.drop(this.childWatches, path, sessionId);
  }

  private drop(map: Map<string, Set<number>>, path: string, sessionId: number): void {
    const set = map.get(path);
    if (set === undefined || !set.delete(sessionId)) return;
    this.count--;
    if (set.size === 0) map.delete(path);
  }

  /** A session's watched paths, sorted (for state panels and re-registration on reconnect). */
  watchesOf(sessionId: number): { readonly data: readonly string[]; readonly child: readonly string[] } {
    const s = this.bySession.get(sessionId);
    if (s === undefined) return { data: [], child: [] };
    return { data: Array.from(s.data).sort(), child: Array.from(s.child).sort() };
  }

  /** Drops everything (server restart: watches are not persistent). */
  clear(): void {
    this.dataWatches.clear();
    this.childWatches.clear();
    this.bySession.clear();
    this.count = 0;
  }
}

function notification(sessionId: number, path: string, type: WatchEventType): WatchNotification {
  return { sessionId, path, type };
}
