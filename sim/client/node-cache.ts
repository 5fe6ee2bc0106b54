/**
 * Curator's NodeCache (recipes/cache/NodeCache): a client's view of one znode, kept
 * current by watches.
 *
 * - reset(): exists(path) with a watch; if the node is there, getData(path) with a watch,
 *   and the result becomes the cached data (setNewData); if not, the cache is empty;
 * - any event on the watch runs reset() again (watches are one-shot: this is what sets
 *   the next one);
 * - connection states: SUSPENDED and LOST mark the cache disconnected (no reset while
 *   so), RECONNECTED runs reset() — besides the watches the server fires on reconnect
 *   (SetWatches), so a change made meanwhile is read.
 *
 * A cached value only moves on an event or a reconnect, and each read is served by the
 * client's current server, which never goes back in time for the session (its last zxid
 * is checked on reconnect): a client sees versions in order.
 */
import type { CuratorClient } from './curator.js';

export interface NodeCacheFlaws {
  /** After the first change the cache stops setting watches (it reads without one). */
  noRewatch?: boolean;
}

export interface CachedData {
  readonly data: string;
  readonly version: number;
}

export class NodeCache {
  private connected = true;
  private started = false;
  private current: CachedData | null = null;
  private events = 0;

  constructor(
    private readonly curator: CuratorClient,
    readonly path: string,
    private readonly onChange: (data: CachedData | null) => void,
    private readonly flaws: NodeCacheFlaws = {},
  ) {}

  get data(): CachedData | null {
    return this.current;
  }

  start(): void {
    this.started = true;
    this.curator.watchPath(this.path, (event) => {
      if (event.kind !== 'watch' || !this.started) return;
      this.events++;
      this.reset();
    });
    this.curator.onConnectionState((state) => {
      if (state === 'RECONNECTED' || state === 'CONNECTED') {
        if (!this.connected) {
          this.connected = true;
          this.reset();
        }
      } else this.connected = false;
    });
    this.reset();
  }

  close(): void {
    this.started = false;
    this.curator.watchPath(this.path, null);
  }

  private reset(): void {
    if (!this.started || !this.connected) return;
    const watch = this.flaws.noRewatch !== true || this.events === 0;
    this.curator.call({ f: 'exists', value: { path: this.path }, req: { op: 'exists', path: this.path, watch } }, (exists) => {
      if (!this.started || !exists.ok) return;
      if (exists.output === false) return this.setNewData(null);
      this.curator.call({ f: 'getData', value: { path: this.path }, req: { op: 'getData', path: this.path, watch } }, (read) => {
        if (!this.started || !read.ok) return;
        const value = read.output as { data?: unknown; version?: unknown } | string;
        if (typeof value === 'object' && value !== null && typeof value.data === 'string' && typeof value.version === 'number') {
          this.setNewData({ data: value.data, version: value.version });
        }
      });
    });
  }

  private setNewData(data: CachedData | null): void {
    const before = this.current;
    if (before === data || (before !== null && data !== null && before.version === data.version && before.data === data.data)) return;
    this.current = data;
    this.onChange(data);
  }
}
