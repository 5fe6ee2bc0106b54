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
  /**
   * Curator's LeaderLatch: a node of this latch's own other than its current one (a twin
   * of the current create, or a node an earlier, superseded create made late) is treated
   * as anyone's: ahead of ours it is the predecessor we wait on, and it never goes while
   * our session lives.
   */
  waitOnOwnNodes?: boolean;
}

const LOCK_NAME = 'latch-';

export class LeaderLatch {
  private ourPath: string | null = null;
  private started = false;
  private leader = false;
  private unsubscribe: (() => void) | null = null;
  /** Every reset starts a new generation; callbacks of older ones are ignored. */
  private generation = 0;
  /**
   * The protected prefix of every create this latch sent in its current session: a node
   * carrying one that is not `ourPath` is ours and unwanted (see checkLeadership).
   */
  private ownPrefixes: string[] = [];
  private ownPrefixesSession: number | undefined;

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
    const prefix = this.curator.createProtected(`${this.latchPath}/${LOCK_NAME}`, this.data, 'ephemeral-sequential', (created) => {
      if (generation !== this.generation) {
        // Superseded (closed, or reset again) while creating: do not leave the node behind
        // (a twin of it an earlier try made is found by ownNodes).
        if (created.ok && typeof created.output === 'string' && created.output.startsWith('/')) this.curator.guaranteedDelete(created.output, () => {});
        return;
      }
      // Failed: Curator logs it; the next RECONNECTED finds no node of ours and resets.
      if (!created.ok || typeof created.output !== 'string' || !created.output.startsWith(`${this.latchPath}/`)) return;
      this.ourPath = created.output;
      this.getChildren(generation);
    });
    const session = this.curator.zk.sessionId;
    // Nodes of an earlier session go with it: only this session's prefixes are kept.
    if (session !== this.ownPrefixesSession) this.ownPrefixes = [];
    this.ownPrefixesSession = session;
    this.ownPrefixes.push(prefix);
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
    const twins = this.flaws.waitOnOwnNodes === true ? [] : this.ownNodes(ourPath!.slice(this.latchPath.length + 1), sorted);
    if (twins.length > 0) {
      // Nodes of our own that are not ours to wait on (ownNodes): delete them and look again.
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

  /**
   * The children other than `ourName` that this latch made: a twin of our node (our
   * create's earlier try: curator.ts, protectedTwins), or the node of an earlier create
   * that ended without an answer, which a reset superseded, and which the leader applied
   * late (latchmix zab 48: a create in flight at a leader paused for 20 ms; the reset's
   * node came after it, so the latch watched its own orphan for ever). Either never goes
   * while our session lives: ahead of ours we would wait on it, behind ours every other
   * contender would once we leave. Curator's LeaderLatch has the same hole (its
   * FindAndDeleteProtectedNodeInBackground runs only when a create gives up).
   */
  private ownNodes(ourName: string, children: readonly string[]): string[] {
    // Our current create's prefix is among this session's; under another session, only its twins.
    if (this.ownPrefixesSession !== this.curator.zk.sessionId) return protectedTwins(ourName, children);
    return children.filter((child) => child !== ourName && this.ownPrefixes.some((prefix) => child.startsWith(prefix)));
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
