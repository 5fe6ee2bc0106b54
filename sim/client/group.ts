/**
 * Group membership as Curator builds it (recipes/nodes/GroupMember over PersistentNode),
 * on the real data-tree operations:
 *
 * - a member is an ephemeral node `<group>/<memberId>` (GroupMember: PersistentNode in
 *   EPHEMERAL mode, no protection, parents created if needed);
 * - PersistentNode keeps it there: after the create (or NODEEXISTS: the node of our
 *   previous session is still there, until that session expires) it watches the node with
 *   exists; NodeDeleted (our old session expired and its ephemerals went) creates it again,
 *   and so does RECONNECTED (the session may have been replaced);
 * - close(): the node deleted (guaranteed).
 *
 * The group's watcher (GroupMember.getCurrentMembers over a cache of the group) lists the
 * children with a watch and lists again on every event and every reconnect.
 *
 * What ZooKeeper promises a group: a member whose session expires has its node deleted
 * by the leader, which expires a session once it has heard nothing from it for the
 * session timeout (SessionTrackerImpl; a new leader restarts every session's clock); the
 * watcher's child watch then fires. A watch fires once: if the member is back before the
 * watcher lists again, the watcher never sees it gone.
 */
import type { ClientNotification } from './protocol.js';
import { getChildrenOp, type CuratorClient } from './curator.js';

export interface GroupFlaws {
  /** Members join with a persistent node, which outlives the member's session. */
  persistentMembers?: boolean;
}

export class GroupMember {
  private active = false;
  private generation = 0;
  /** Creates of our node sent and not yet answered, and the delete waiting for them (close). */
  private creating = 0;
  private afterCreates: (() => void) | null = null;

  /** `onJoined(sessionId)` each time the member's node exists again for its current session. */
  constructor(
    private readonly curator: CuratorClient,
    readonly groupPath: string,
    readonly memberId: string,
    private readonly onJoined: (sessionId: number | null) => void,
    private readonly flaws: GroupFlaws = {},
  ) {}

  get path(): string {
    return `${this.groupPath}/${this.memberId}`;
  }

  start(): void {
    this.active = true;
    this.curator.watchPath(this.path, (event: ClientNotification) => {
      if (!this.active || event.kind !== 'watch') return;
      if (event.type === 'NodeDeleted') this.createNode();
      else if (event.type === 'NodeDataChanged') this.watchNode();
    });
    this.curator.onConnectionState((state) => {
      if (state === 'RECONNECTED' && this.active) this.createNode();
    });
    this.createNode();
  }

  /** close(): the node deleted (guaranteed); `done` once it is gone. */
  close(done: () => void): void {
    this.active = false;
    this.generation++;
    this.curator.watchPath(this.path, null);
    const remove = () => this.curator.guaranteedDelete(this.path, () => done());
    // A create still in Curator's retry loop would make the node again after our delete
    // (found by the swarm: paxos 17901, a member listed after it had left, until its
    // session expired). Curator's PersistentNode has the same race; here the delete waits.
    if (this.creating > 0) this.afterCreates = remove;
    else remove();
  }

  private createNode(): void {
    if (!this.active) return;
    const generation = ++this.generation;
    const mode = this.flaws.persistentMembers === true ? 'persistent' : 'ephemeral';
    const path = this.path;
    this.creating++;
    this.curator.call({ f: 'create', value: { path, data: this.memberId }, req: { op: 'create', path, data: this.memberId, mode } }, (created) => {
      this.creating--;
      if (this.creating === 0 && this.afterCreates !== null) {
        const remove = this.afterCreates;
        this.afterCreates = null;
        return remove();
      }
      if (!this.active || generation !== this.generation) return;
      if (!created.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.createNode());
      if (created.output === 'NONODE') {
        return this.curator.mkdirs(this.groupPath, () => this.curator.later(0, () => this.createNode()));
      }
      if (created.output === path) this.onJoined(this.curator.zk.sessionId ?? null);
      // NODEEXISTS: our previous session's node, or this session's if a lost create made
      // it (or, with the flaw, our persistent one); watching it tells which.
      this.watchNode();
    });
  }

  private watchNode(): void {
    if (!this.active) return;
    const path = this.path;
    this.curator.call({ f: 'exists', value: { path }, req: { op: 'exists', path, watch: true } }, (exists) => {
      if (!this.active) return;
      if (!exists.ok) return;
      if (exists.output === false) return this.createNode();
      const owner = exists.raw !== undefined && exists.raw.ok ? exists.raw.stat?.ephemeralOwner : undefined;
      if (this.flaws.persistentMembers === true || (owner !== undefined && owner === this.curator.zk.sessionId)) this.onJoined(this.curator.zk.sessionId ?? null);
    });
  }
}

/** The group's watcher: lists the members with a watch, again on every event and reconnect. */
export class GroupWatcher {
  private started = false;
  private busy = false;
  private dirty = false;

  constructor(
    private readonly curator: CuratorClient,
    readonly groupPath: string,
    private readonly onView: (members: readonly string[]) => void,
  ) {}

  start(): void {
    this.started = true;
    this.curator.watchPath(this.groupPath, (event) => {
      if (event.kind === 'watch') this.changed();
    });
    this.curator.onConnectionState((state) => {
      if (state === 'RECONNECTED') this.changed();
    });
    this.curator.mkdirs(this.groupPath, () => this.changed());
  }

  close(): void {
    this.started = false;
    this.curator.watchPath(this.groupPath, null);
  }

  changed(): void {
    this.dirty = true;
    if (!this.busy) this.list();
  }

  private list(): void {
    if (!this.started) return;
    this.busy = true;
    this.dirty = false;
    this.curator.call({ ...getChildrenOp(this.groupPath), req: { op: 'getChildren', path: this.groupPath, watch: true } }, (listed) => {
      this.busy = false;
      if (!this.started) return;
      if (listed.ok && Array.isArray(listed.output)) this.onView(listed.output as string[]);
      else this.dirty = true;
      if (this.dirty) this.curator.later(listed.ok ? 0 : this.curator.policy.maxSleepUs, () => this.list());
    });
  }
}
