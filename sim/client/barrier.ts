/**
 * Curator's DistributedDoubleBarrier (recipes/barriers/DistributedDoubleBarrier), on the
 * real data-tree operations:
 *
 * - enter(): exists(<barrier>/ready) with a watch; our ephemeral node
 *   `<barrier>/<memberId>` (parents created if needed); if ready was already there, we
 *   are in. Otherwise (internalEnter) list the children: once at least `memberQty`
 *   members are there, create the ready node (NODEEXISTS is fine) and pass; else wait for
 *   an event and list again. Curator waits for the ready node's NodeCreated only; this
 *   one also watches the children, so a lost watch cannot leave it waiting (every member
 *   deletes its node in leave, so that watch fires too).
 * - leave() is Curator's internalLeave: list the members WITHOUT a watch; none left: done.
 *   Otherwise the lowest (names sorted) waits for the highest to go, and every other
 *   member waits for the lowest, deleting its own node once it has set that watch: no
 *   herd, and the lowest keeps its node until it is the only one left, then deletes it.
 *   The waits are watches on one member node each, set with getData, not Curator's
 *   exists: a node that went between the listing and the watch would leave an exists
 *   watch waiting for a create that never comes, which is why Curator's own LockInternals
 *   watches its predecessor with getData ("to avoid leaving unneeded watchers"). Two
 *   departures from Curator, both for a promise Curator's code does not keep under
 *   faults: a member that lists only one other node (ours deleted) waits for it instead
 *   of passing (Curator's `children.size() == 1` branch breaks out, so a member woken by
 *   a reconnect passes while the lowest is still inside), and a member that lists its own
 *   node after deleting it deletes it again (see keepOwnNodeWhenLeaving).
 * - the member out (no member node left) deletes the ready node, as every member out does
 *   in Curator: an enter's exists that found ready holds a watch the delete fires (with
 *   memberQty = every client, as in our workload, no enter finds it: the members' own
 *   exists watches fire when it is made). The leave's listings hold no watch: the last
 *   ones, after the round's last change, would never fire. So the servers' watch tables
 *   stay bounded by the open sessions, round after round (barrier-watches.test.ts).
 *   Before deleting ready it creates `<barrier>/done` (persistent, nobody watches it,
 *   NODEEXISTS fine): the round is over.
 * - a member cut off for a whole round: its session expired and the others passed both
 *   phases without it (its node went with its session, which the checker names as
 *   something ZooKeeper cannot promise). In Curator it comes back to a round path with
 *   no ready and no member, and enter waits for `memberQty` members that are gone until
 *   the caller's timeout. Here every round has a path of its own, and `done` says the
 *   round was completed: everyone entered (ready needed them all) and left, so an
 *   entering member that lists `done` passes, and its leave finds nobody to wait for.
 *   Both promises the checker keeps hold of such a pass (all others began entering and
 *   leaving before it). Order matters: `done` is made before ready goes, so an entering
 *   member always finds one of them once the round is complete. What it costs: the
 *   returning member's exists on ready set a watch that never fires (ready is never made
 *   again), one per such return, until its session ends.
 * - connection states: a member that learns its session expired (LOST) while entering or
 *   inside creates its node again (its ephemeral went with the session), until it begins
 *   to leave; a leaving member that lists its own node after deleting it deletes it
 *   again; Curator instead fails the call with a ConnectionLossException and leaves the
 *   retry to the application.
 *
 * What ZooKeeper cannot promise: membership is an ephemeral node, so a member whose
 * session expires while inside looks, to the others, exactly like a member that left.
 */
import type { ClientNotification } from './protocol.js';
import { getChildrenOp, type CuratorClient } from './curator.js';
import { Wakeup } from './wakeup.js';

export const READY_NODE = 'ready';
/** Made by the member out, before it deletes ready: the round is complete (see above). */
export const DONE_NODE = 'done';

export interface BarrierFlaws {
  /** Enter counts the ready node as a member (one too many: someone passes before all entered). */
  countReadyNode?: boolean;
  /** Leave passes as soon as its own node is deleted (no waiting for the others). */
  noLeaveWait?: boolean;
  /**
   * The re-create after LOST goes on after the member began to leave, and a leaving member
   * deletes its own node once only (Curator's `ourNodeShouldExist`) and lists without
   * waiting for a create of ours still in the retry loop: a create applied after the
   * leave's delete or its last listing leaves our node there for ever, and every member
   * waits (zab-double-barrier-node-made-again-after-leave, seed 47).
   */
  keepOwnNodeWhenLeaving?: boolean;
}

export class DistributedDoubleBarrier {
  private phase: 'idle' | 'entering' | 'inside' | 'leaving' = 'idle';
  private readonly wakeup = new Wakeup();
  private generation = 0;
  private readonly unsubscribe: () => void;
  /** The leave deleted our node (Curator's `ourNodeShouldExist` turned false). */
  private ourNodeDeleted = false;
  /** Creates of our node sent and not yet answered (Curator's retry loop may still send them again). */
  private creating = 0;
  /** A leave that waits for those creates to be answered before it lists. */
  private leaveAfterCreate: (() => void) | null = null;
  /** Member nodes the leave watched (their watchers go in close()). */
  private readonly watchedMembers: string[] = [];
  private readonly onWatch = (event: ClientNotification): void => {
    if (event.kind === 'watch') this.wakeup.wake();
  };

  constructor(
    private readonly curator: CuratorClient,
    readonly barrierPath: string,
    readonly memberId: string,
    readonly memberQty: number,
    private readonly flaws: BarrierFlaws = {},
  ) {
    curator.watchPath(this.readyPath, this.onWatch);
    curator.watchPath(barrierPath, this.onWatch);
    this.unsubscribe = curator.onConnectionState((state) => {
      if (state === 'LOST' && (this.phase === 'entering' || this.phase === 'inside')) {
        // Only while still entering or inside: a create retried after we began to leave
        // would make our node again behind the leave's delete.
        const generation = this.generation;
        this.createOurNode(
          () => this.wakeup.wake(),
          () => generation === this.generation && (this.phase === 'entering' || this.phase === 'inside'),
        );
      }
      else if (state === 'RECONNECTED') this.wakeup.wake();
    });
  }

  /** Stops listening (after the last leave). */
  close(): void {
    this.unsubscribe();
    this.curator.watchPath(this.readyPath, null);
    this.curator.watchPath(this.barrierPath, null);
    for (const path of this.watchedMembers) this.curator.watchPath(path, null);
    this.watchedMembers.length = 0;
  }

  get readyPath(): string {
    return `${this.barrierPath}/${READY_NODE}`;
  }

  get ourPath(): string {
    return `${this.barrierPath}/${this.memberId}`;
  }

  enter(done: () => void): void {
    this.phase = 'entering';
    const generation = ++this.generation;
    this.curator.call({ f: 'exists', value: { path: this.readyPath }, req: { op: 'exists', path: this.readyPath, watch: true } }, (ready) => {
      const readyExists = ready.ok && ready.output === true;
      this.createOurNode(() => {
        if (generation !== this.generation) return;
        if (readyExists) return this.pass(done);
        this.internalEnter(generation, done);
      });
    });
  }

  leave(done: () => void): void {
    this.phase = 'leaving';
    const generation = ++this.generation;
    this.ourNodeDeleted = false;
    if (this.flaws.noLeaveWait === true) return this.curator.guaranteedDelete(this.ourPath, () => this.passLeave(done));
    // A create of ours (the LOST re-create) still in Curator's retry loop may make our node
    // after the leave's last listing found none, and then every member waits for it: list
    // only once it is answered (the leave then finds the node and deletes it).
    if (this.creating > 0 && this.flaws.keepOwnNodeWhenLeaving !== true) {
      this.leaveAfterCreate = () => this.internalLeave(generation, done);
      return;
    }
    this.internalLeave(generation, done);
  }

  private pass(done: () => void): void {
    this.phase = 'inside';
    this.wakeup.cancel();
    done();
  }

  private internalEnter(generation: number, done: () => void): void {
    const look = () => {
      this.wakeup.fresh();
      if (generation !== this.generation) return;
      this.listMembers(true, (members, readyExists, roundDone) => {
        if (generation !== this.generation) return;
        // The round was completed without us (we were cut off for all of it): pass.
        if (readyExists || roundDone) return this.pass(done);
        const count = members.length + (this.flaws.countReadyNode === true ? 1 : 0);
        if (count >= this.memberQty) {
          return this.curator.call({ f: 'create', value: { path: this.readyPath, data: '' }, req: { op: 'create', path: this.readyPath, data: '', mode: 'persistent' } }, () => this.pass(done));
        }
        this.wakeup.waitFor(look);
      });
    };
    look();
  }

  /** Curator's internalLeave (see the header): lowest waits for highest, the others for the lowest. */
  private internalLeave(generation: number, done: () => void): void {
    const look = () => {
      this.wakeup.fresh();
      if (generation !== this.generation) return;
      this.listMembers(false, (members) => {
        if (generation !== this.generation) return;
        if (members.length === 0) return this.finishLeave(generation, done);
        const ours = members.includes(this.memberId);
        // Ours is listed: still there (the lowest keeps it until it is alone), or a create
        // of ours applied after the leave's delete (one that ended without an answer,
        // retried or applied late): delete it again (guaranteed) and look again.
        const deleteOurs = ours && !(this.flaws.keepOwnNodeWhenLeaving === true && this.ourNodeDeleted);
        if (ours && members.length === 1) return deleteOurs ? this.deleteOurNode(look) : this.finishLeave(generation, done);
        const lowest = members[0] === this.memberId;
        this.watchMember(lowest ? members[members.length - 1] : members[0], (present) => {
          if (generation !== this.generation) return;
          const wait = () => (present ? this.wakeup.waitFor(look) : look());
          if (!lowest && deleteOurs) return this.deleteOurNode(wait);
          wait();
        });
      });
    };
    look();
  }

  /** No member left: the round is done, and ready goes (every watch on it fires). */
  private finishLeave(generation: number, done: () => void): void {
    const path = `${this.barrierPath}/${DONE_NODE}`;
    const create = () =>
      this.curator.call({ f: 'create', value: { path, data: '' }, req: { op: 'create', path, data: '', mode: 'persistent' } }, (created) => {
        if (!created.ok) return this.curator.later(this.curator.policy.maxSleepUs, create);
        this.curator.guaranteedDelete(this.readyPath, () => {
          if (generation === this.generation) this.passLeave(done);
        });
      });
    create();
  }

  private deleteOurNode(then: () => void): void {
    this.ourNodeDeleted = true;
    this.curator.guaranteedDelete(this.ourPath, () => then());
  }

  /**
   * A watch on one member node, with getData (a node already gone sets no watch);
   * `present`: it was there, so its deletion will wake us. Unanswered: look again later.
   */
  private watchMember(name: string, done: (present: boolean) => void): void {
    const path = `${this.barrierPath}/${name}`;
    if (!this.watchedMembers.includes(path)) {
      this.watchedMembers.push(path);
      this.curator.watchPath(path, this.onWatch);
    }
    this.curator.call({ f: 'getData', value: { path }, req: { op: 'getData', path, watch: true } }, (read) => {
      if (!read.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => done(false));
      done(read.output !== 'NONODE');
    });
  }

  private passLeave(done: () => void): void {
    this.phase = 'idle';
    this.wakeup.cancel();
    done();
  }

  /**
   * getChildren (with a watch if `watch`): the member names sorted (ready and done
   * excluded), whether ready is there and whether done is; retried until answered.
   */
  private listMembers(watch: boolean, done: (members: string[], readyExists: boolean, roundDone: boolean) => void): void {
    const op = watch ? { ...getChildrenOp(this.barrierPath), req: { op: 'getChildren' as const, path: this.barrierPath, watch: true } } : getChildrenOp(this.barrierPath);
    this.curator.call(op, (listed) => {
      if (!listed.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.listMembers(watch, done));
      const children = Array.isArray(listed.output) ? (listed.output as string[]) : [];
      done(
        children.filter((name) => name !== READY_NODE && name !== DONE_NODE).sort(),
        children.includes(READY_NODE),
        children.includes(DONE_NODE),
      );
    });
  }

  /** Our ephemeral node, parents created if needed; retried until answered (NODEEXISTS: a lost create made it). */
  private createOurNode(done: () => void, wanted: () => boolean = () => true): void {
    const path = this.ourPath;
    if (this.flaws.keepOwnNodeWhenLeaving !== true && !wanted()) return;
    this.creating++;
    this.curator.call({ f: 'create', value: { path, data: this.memberId }, req: { op: 'create', path, data: this.memberId, mode: 'ephemeral' } }, (created) => {
      if (--this.creating === 0 && this.leaveAfterCreate !== null) {
        const leave = this.leaveAfterCreate;
        this.leaveAfterCreate = null;
        leave();
      }
      if (!created.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.createOurNode(done, wanted));
      if (created.output === 'NONODE') return this.curator.mkdirs(this.barrierPath, () => this.curator.later(0, () => this.createOurNode(done, wanted)));
      done();
    });
  }
}
