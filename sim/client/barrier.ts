/**
 * Curator's DistributedDoubleBarrier (recipes/barriers/DistributedDoubleBarrier), on the
 * real data-tree operations:
 *
 * - enter(): exists(<barrier>/ready) with a watch; our ephemeral node
 *   `<barrier>/<memberId>` (parents created if needed); if ready was already there, we
 *   are in. Otherwise (internalEnter) list the children: once at least `memberQty`
 *   members are there, create the ready node (NODEEXISTS is fine) and pass; else wait for
 *   an event and list again. Curator waits for the ready node's NodeCreated only; this
 *   one also watches the children, so a lost watch cannot leave it waiting.
 * - leave(): our node deleted (guaranteed), then list the members until none is left;
 *   every event lists again. (Curator's internalLeave makes the lowest node wait for the
 *   highest and the others for the lowest, to avoid a herd; the promise is the same:
 *   nobody passes before every member has left.) Curator's last member out deletes the
 *   ready node, because its barrier path is used again; here every round has a path of
 *   its own and the ready node stays, so a member cut off for a whole round (its session
 *   expired, the others passed both phases without it) still finds it when it comes back
 *   and passes, instead of waiting for ever for members that are gone.
 * - connection states: a member that learns its session expired (LOST) while entering or
 *   inside creates its node again (its ephemeral went with the session), until it begins
 *   to leave; a leaving member that lists its own node deletes it again; Curator instead
 *   fails the call with a ConnectionLossException and leaves the retry to the application.
 *
 * What ZooKeeper cannot promise: membership is an ephemeral node, so a member whose
 * session expires while inside looks, to the others, exactly like a member that left.
 *
 * A known cost of keeping the ready node: the leave's last getChildren (no member left)
 * and an enter's exists that finds ready both set a watch on a round's path that will
 * never change again, so each member's session leaves about two watches per round on its
 * server until the session ends (h54: 150 child watches after 20 s of rounds, 3 sessions
 * open). Curator's internalLeave lists without a watch, waits on exists watches of
 * member nodes and deletes ready at the end, so its watches fire. Not yet changed: it
 * changes every double-barrier trace.
 */
import type { ClientNotification } from './protocol.js';
import { getChildrenOp, type CuratorClient } from './curator.js';
import { Wakeup } from './wakeup.js';

export const READY_NODE = 'ready';

export interface BarrierFlaws {
  /** Enter counts the ready node as a member (one too many: someone passes before all entered). */
  countReadyNode?: boolean;
  /** Leave passes as soon as its own node is deleted (no waiting for the others). */
  noLeaveWait?: boolean;
  /**
   * The re-create after LOST goes on after the member began to leave, and a leaving member
   * that lists its own node waits for it like anyone's: a create applied after the leave's
   * delete leaves our node there for ever, and every member waits (the lock-twin
   * scenario with 5% loss, zab 596).
   */
  keepOwnNodeWhenLeaving?: boolean;
}

export class DistributedDoubleBarrier {
  private phase: 'idle' | 'entering' | 'inside' | 'leaving' = 'idle';
  private readonly wakeup = new Wakeup();
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly curator: CuratorClient,
    readonly barrierPath: string,
    readonly memberId: string,
    readonly memberQty: number,
    private readonly flaws: BarrierFlaws = {},
  ) {
    curator.watchPath(this.readyPath, (event) => this.onEvent(event));
    curator.watchPath(barrierPath, (event) => this.onEvent(event));
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
    this.curator.guaranteedDelete(this.ourPath, () => {
      if (this.flaws.noLeaveWait === true) return this.passLeave(done);
      this.internalLeave(generation, done);
    });
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
      this.listMembers((members, readyExists) => {
        if (generation !== this.generation) return;
        const count = members.length + (this.flaws.countReadyNode === true ? 1 : 0);
        if (readyExists || count >= this.memberQty) {
          if (readyExists) return this.pass(done);
          return this.curator.call({ f: 'create', value: { path: this.readyPath, data: '' }, req: { op: 'create', path: this.readyPath, data: '', mode: 'persistent' } }, () => this.pass(done));
        }
        this.wakeup.waitFor(look);
      });
    };
    look();
  }

  private internalLeave(generation: number, done: () => void): void {
    const look = () => {
      this.wakeup.fresh();
      if (generation !== this.generation) return;
      this.listMembers((members) => {
        if (generation !== this.generation) return;
        if (members.length === 0) return this.passLeave(done);
        // Our own node again: a create of ours applied after the leave's delete (one that
        // ended without an answer, retried or applied late). Curator's internalLeave
        // deletes ours whenever it is listed; delete it again (guaranteed) and look again.
        if (this.flaws.keepOwnNodeWhenLeaving !== true && members.includes(this.memberId)) {
          return this.curator.guaranteedDelete(this.ourPath, () => look());
        }
        this.wakeup.waitFor(look);
      });
    };
    look();
  }

  private passLeave(done: () => void): void {
    this.phase = 'idle';
    this.wakeup.cancel();
    done();
  }

  /** getChildren with a watch: the member names (ready excluded) and whether ready is there; retried until answered. */
  private listMembers(done: (members: string[], readyExists: boolean) => void): void {
    this.curator.call({ ...getChildrenOp(this.barrierPath), req: { op: 'getChildren', path: this.barrierPath, watch: true } }, (listed) => {
      if (!listed.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.listMembers(done));
      const children = Array.isArray(listed.output) ? (listed.output as string[]) : [];
      done(
        children.filter((name) => name !== READY_NODE),
        children.includes(READY_NODE),
      );
    });
  }

  /** Our ephemeral node, parents created if needed; retried until answered (NODEEXISTS: a lost create made it). */
  private createOurNode(done: () => void, wanted: () => boolean = () => true): void {
    const path = this.ourPath;
    if (this.flaws.keepOwnNodeWhenLeaving !== true && !wanted()) return;
    this.curator.call({ f: 'create', value: { path, data: this.memberId }, req: { op: 'create', path, data: this.memberId, mode: 'ephemeral' } }, (created) => {
      if (!created.ok) return this.curator.later(this.curator.policy.maxSleepUs, () => this.createOurNode(done, wanted));
      if (created.output === 'NONODE') return this.curator.mkdirs(this.barrierPath, () => this.curator.later(0, () => this.createOurNode(done, wanted)));
      done();
    });
  }

  private onEvent(event: ClientNotification): void {
    if (event.kind === 'watch') this.wakeup.wake();
  }

}
