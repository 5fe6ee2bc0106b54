/**
 * Curator's LeaderLatch (recipes/leader/LeaderLatch), on the real data-tree operations:
 *
 * - reset(): leadership off; our old node deleted (guaranteed); a new protected
 *   ephemeral-sequential node `<latch>/_c_<uuid>-latch-N`; then getChildren;
 * - checkLeadership(children): sorted by sequence number; our node missing → reset();
 *   first → confirm with getData that the node is still ours (its ephemeralOwner is our
 *   session, else reset()) and take leadership; otherwise watch the predecessor with
 *   getData (NONODE: it is gone, getChildren again; NodeDeleted: getChildren again);
 * - connection states (handleStateChange): SUSPENDED and LOST end leadership (Curator's
 *   standard ConnectionStateErrorPolicy counts SUSPENDED as an error), RECONNECTED checks
 *   the children again;
 * - close(): our node deleted (guaranteed), leadership off.
 *
 * What ZooKeeper does not promise: a leader that stops hearing from its server is still
 * leader in everyone else's eyes until its session expires, and a paused leader believes
 * it leads until it wakes. The first is covered by giving leadership up on SUSPENDED (2/3
 * of the session timeout, before the session can expire); the second needs fencing.
 */
import { getChildrenOp, protectedTwins, type CuratorClient } from './curator.js';
import { sortBySequence } from './lock.js';

export interface LatchFlaws {
  /** Keeps leadership through SUSPENDED and LOST (a latch that ignores session loss). */
  ignoreConnectionLoss?: boolean;
}

const LOCK_NAME = 'latch-';

export class LeaderLatch {
  private ourPath: string | null = null;
  private started = false;
  private leader = false;
  private unsubscribe: (() => void) | null = null;
  /** Every reset starts a new generation; callbacks of older ones are ignored. */
  private generation = 0;

  /** `onLeadership(true)` when this latch becomes leader, `(false)` when it stops being one. */
  constructor(
    private readonly curator: CuratorClient,
    readonly latchPath: string,
    private readonly data: string,
    private readonly onLeadership: (leader: boolean) => void,
    private readonly flaws: LatchFlaws = {},
  ) {}

  get hasLeadership(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.started) throw new Error('LeaderLatch.start: already started');
    this.started = true;
    this.unsubscribe = this.curator.onConnectionState((state) => {
      if (!this.started) return;
      if (state === 'RECONNECTED') this.getChildren(this.generation);
      else if (this.flaws.ignoreConnectionLoss !== true) this.setLeadership(false);
    });
    this.reset();
  }

  /** close(): leadership off and our node deleted; `done` once it is gone. */
  close(done: () => void): void {
    this.started = false;
    this.generation++;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.setLeadership(false);
    this.setNode(null, done);
  }

  private reset(): void {
    const generation = ++this.generation;
    this.setLeadership(false);
    this.setNode(null, () => {});
    this.curator.createProtected(`${this.latchPath}/${LOCK_NAME}`, this.data, 'ephemeral-sequential', (created) => {
      if (generation !== this.generation) {
        // Superseded (closed, or reset again) while creating: do not leave the node behind.
        if (created.ok && typeof created.output === 'string' && created.output.startsWith('/')) this.curator.guaranteedDelete(created.output, () => {});
        return;
      }
      // Failed: Curator logs it; the next RECONNECTED finds no node of ours and resets.
      if (!created.ok || typeof created.output !== 'string' || !created.output.startsWith(`${this.latchPath}/`)) return;
      this.ourPath = created.output;
      this.getChildren(generation);
    });
  }

  private getChildren(generation: number): void {
    this.curator.call(getChildrenOp(this.latchPath), (listed) => {
      if (generation !== this.generation || !this.started) return;
      if (listed.ok && Array.isArray(listed.output)) this.checkLeadership(generation, listed.output as string[]);
      else if (listed.ok && listed.output === 'NONODE') this.reset();
    });
  }

  private checkLeadership(generation: number, children: readonly string[]): void {
    const ourPath = this.ourPath;
    const sorted = sortBySequence(children, LOCK_NAME);
    const index = ourPath === null ? -1 : sorted.indexOf(ourPath.slice(this.latchPath.length + 1));
    if (index < 0) return this.reset();
    const twins = protectedTwins(ourPath!.slice(this.latchPath.length + 1), sorted);
    if (twins.length > 0) {
      // Our own create's earlier node (curator.ts, protectedTwins): delete it and look again.
      return this.curator.guaranteedDeleteAll(
        twins.map((twin) => `${this.latchPath}/${twin}`),
        () => generation === this.generation && this.started && this.getChildren(generation),
      );
    }
    if (index === 0) {
      // Still ours? A node of an expired session may linger in a stale read.
      this.curator.call({ f: 'getData', value: { path: ourPath }, req: { op: 'getData', path: ourPath! } }, (read) => {
        if (generation !== this.generation || !this.started) return;
        const owner = read.ok && read.raw !== undefined && read.raw.ok ? read.raw.stat?.ephemeralOwner : undefined;
        if (owner === undefined || owner !== this.curator.zk.sessionId) return this.reset();
        this.setLeadership(true);
      });
      return;
    }
    this.setLeadership(false);
    const predecessor = `${this.latchPath}/${sorted[index - 1]}`;
    this.curator.watchPath(predecessor, (event) => {
      if (event.kind === 'watch' && event.type === 'NodeDeleted' && this.started && generation === this.generation) {
        this.curator.watchPath(predecessor, null);
        this.getChildren(generation);
      }
    });
    this.curator.call({ f: 'getData', value: { path: predecessor }, req: { op: 'getData', path: predecessor, watch: true } }, (read) => {
      if (generation !== this.generation || !this.started) return;
      if (read.ok && read.output === 'NONODE') {
        this.curator.watchPath(predecessor, null);
        this.getChildren(generation);
      }
    });
  }

  private setNode(path: string | null, done: () => void): void {
    const old = this.ourPath;
    this.ourPath = path;
    if (old === null) return this.curator.later(0, done);
    this.curator.guaranteedDelete(old, () => done());
  }

  private setLeadership(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.onLeadership(leader);
  }
}
