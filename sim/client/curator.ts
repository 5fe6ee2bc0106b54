/**
 * The part of Apache Curator the recipes stand on, over one ZkClient session:
 *
 * - a retry policy (BoundedExponentialBackoffRetry): after a retryable error the
 *   operation is sent again after `base · max(1, rand(2^(n+1)))`, capped, at most
 *   `maxRetries` times (RetryLoopImpl.takeException);
 * - retryable errors as RetryLoop.shouldRetry names them: connection loss (here an
 *   operation whose outcome is unknown, or one a server refused before running it) and
 *   session expiry. A ZooKeeper answer (NONODE, NODEEXISTS, …) is a result, not retried;
 * - protected creates (CreateBuilderImpl.withProtection): the node's name starts with
 *   `_c_<uuid>-`, and a create retried after a connection loss first looks among the
 *   parent's children for a node with that prefix (findProtectedNodeInForeground): the
 *   lost create may have succeeded, and its node must not be left behind;
 * - creatingParentsIfNeeded (parents created on NONODE, as ZKPaths.mkdirs);
 * - guaranteed deletes (DeleteBuilderImpl.guaranteed + FailedDeleteManager): a delete
 *   that fails for a connection reason is retried until the node is gone;
 * - connection states (ConnectionStateManager): SUSPENDED when the ZooKeeper client
 *   reports Disconnected (its server closed the connection, or nothing was heard for
 *   the read timeout, 2/3 of the session timeout), RECONNECTED when a server accepts
 *   the session again, LOST when the session expired.
 *
 * Everything is callback-driven and single-flight: one operation at a time per client,
 * as the ZkClient requires. Every wait is at least 1 µs, so a history process's next
 * invocation comes strictly after its previous completion.
 */
import type { Cluster } from '../net/cluster.js';
import type { Rng } from '../core/rng.js';
import type { CreateMode, ZkResult } from '../store/types.js';
import type { ClientNotification } from './protocol.js';
import type { ClientOp, ClientState, OpCallback, ZkClient } from './session.js';

/** BoundedExponentialBackoffRetry's knobs. */
export interface RetryPolicy {
  baseSleepUs: number;
  maxSleepUs: number;
  maxRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseSleepUs: 10_000, maxSleepUs: 200_000, maxRetries: 10 };

/** The sleep before retry number `retryCount` (from 0), or null when the policy gives up. */
export function retrySleepUs(policy: RetryPolicy, retryCount: number, rng: Rng): number | null {
  if (retryCount >= policy.maxRetries) return null;
  const spread = 2 ** Math.min(retryCount + 1, 29);
  return Math.min(policy.maxSleepUs, policy.baseSleepUs * Math.max(1, rng.int(spread)));
}

/** An operation's end after the retry loop: ZooKeeper's answer (`output`, maybe an error code), or a connection-level failure. */
/**
 * `uncertain`: an earlier attempt of a retried operation ended without an answer (it may
 * have been applied), so ZooKeeper's answer to the last attempt may be about our own
 * write (a retried delete finding NONODE); `unknownAttempts`: how many attempts did
 * (each may have been applied).
 */
export type Outcome =
  | { readonly ok: true; readonly output: unknown; readonly raw?: ZkResult; readonly uncertain?: boolean; readonly unknownAttempts?: number }
  | { readonly ok: false; readonly code: 'CONNECTIONLOSS' | 'SESSIONEXPIRED'; readonly unknownAttempts?: number };

export type ConnectionState = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST';

export const PROTECTED_PREFIX = '_c_';

/** `_c_` and a 36-character protected id and a dash: the part of a protected name one create call shares across its retries. */
const PROTECTED_NAME_HEAD = PROTECTED_PREFIX.length + 36 + 1;

/**
 * The other children that carry `ourName`'s protected id: nodes the same protected create
 * made on an earlier try. A retry looks for the first try's node before creating again,
 * but a server that has not yet applied that first create (still in flight at a paused or
 * slow leader) does not list it, and the retry makes a second node; the first appears
 * later. An ephemeral-sequential twin ahead of ours is a predecessor that never goes while
 * our session lives: the lock and the latch would wait on their own node for ever.
 */
export function protectedTwins(ourName: string, children: readonly string[]): string[] {
  if (!ourName.startsWith(PROTECTED_PREFIX) || ourName.length <= PROTECTED_NAME_HEAD) return [];
  const head = ourName.slice(0, PROTECTED_NAME_HEAD);
  return children.filter((child) => child !== ourName && child.startsWith(head));
}

export class CuratorClient {
  state: ConnectionState = 'CONNECTED';
  private readonly pathWatchers = new Map<string, (event: ClientNotification) => void>();
  private readonly stateListeners: ((state: ConnectionState) => void)[] = [];
  private stopped = false;
  private readonly queued: { op: ClientOp; done: OpCallback }[] = [];

  constructor(
    readonly cluster: Cluster,
    readonly zk: ZkClient,
    readonly rng: Rng,
    readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {
    zk.onWatch = (event) => this.onEvent(event);
    zk.onState = (state) => this.onZkState(state);
    this.watchReadTimeout();
  }

  /** Runs `fn` at least 1 µs from now (plus `delayUs`). */
  later(delayUs: number, fn: () => void): void {
    this.zk.at(this.cluster.nowUs + 1 + Math.max(0, Math.round(delayUs)), fn);
  }

  /** Adds a connection-state listener; returns its removal. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.push(listener);
    return () => {
      const i = this.stateListeners.indexOf(listener);
      if (i >= 0) this.stateListeners.splice(i, 1);
    };
  }

  /** One watcher per path (the recipes watch one node at a time); it gets the path's watch events. */
  watchPath(path: string, watcher: ((event: ClientNotification) => void) | null): void {
    if (watcher === null) this.pathWatchers.delete(path);
    else this.pathWatchers.set(path, watcher);
  }

  // ---------------------------------------------------------------- operations

  /**
   * Sends an operation now, or after the ones already waiting: a recipe's background
   * operations (Curator's inBackground) may overlap, the ZkClient runs one at a time.
   */
  private submit(op: ClientOp, done: OpCallback): void {
    if (this.zk.busy || this.queued.length > 0) {
      this.queued.push({ op, done });
      return;
    }
    this.send(op, done);
  }

  /**
   * The next queued operation goes out 1 µs after the last one ended, never inside its
   * completion: a client that timed out moves to another server only after telling us.
   */
  private send(op: ClientOp, done: OpCallback): void {
    // Curator's reads are ZooKeeper's plain reads, served by the connected server: say so
    // in the history (they are sequentially consistent, not linearizable).
    const read = op.req.op === 'getData' || op.req.op === 'exists' || op.req.op === 'getChildren';
    if (read && op.readMode === undefined) op = { ...op, readMode: 'local' };
    this.zk.submit(op, (record, raw) => {
      done(record, raw);
      this.later(0, () => this.next());
    });
  }

  private next(): void {
    if (this.zk.busy || this.queued.length === 0) return;
    const { op, done } = this.queued.shift()!;
    this.send(op, done);
  }

  /** One operation in Curator's retry loop. */
  call(op: ClientOp, done: (outcome: Outcome) => void, retryCount = 0, unknownAttempts = 0): void {
    this.submit(op, (record, raw) => {
      this.later(0, () => {
        const code = failureCode(record.result, record.output);
        if (code === null) return done(unknownAttempts > 0 ? { ok: true, output: record.output, raw, uncertain: true, unknownAttempts } : { ok: true, output: record.output, raw });
        const unknown = unknownAttempts + (record.result === 'info' ? 1 : 0);
        const sleepUs = retrySleepUs(this.policy, retryCount, this.rng);
        if (sleepUs === null) return done(unknown > 0 ? { ok: false, code, unknownAttempts: unknown } : { ok: false, code });
        this.later(sleepUs, () => this.call(op, done, retryCount + 1, unknown));
      });
    });
  }

  /**
   * create().creatingParentsIfNeeded().withProtection().withMode(mode).forPath(path):
   * the created path (a string), ZooKeeper's error code, or a connection failure.
   * `untilAnswered`: past the policy's limit, keep trying with the same protected name
   * (what an application that must not lose the write does around Curator's call).
   * Returns the protected prefix (`_c_<id>-`) every try of this create shares.
   */
  createProtected(path: string, data: string, mode: CreateMode, done: (outcome: Outcome) => void, untilAnswered = false): string {
    const slash = path.lastIndexOf('/');
    const parent = slash <= 0 ? '/' : path.slice(0, slash);
    const dir = parent === '/' ? '' : parent;
    const prefix = `${PROTECTED_PREFIX}${this.protectedId()}-`;
    const protectedPath = `${dir}/${prefix}${path.slice(slash + 1)}`;
    const create: ClientOp = { f: 'create', value: { path: protectedPath, data, sequential: mode.endsWith('sequential') }, req: { op: 'create', path: protectedPath, data, mode } };
    let retryCount = 0;
    // ProtectedMode.checkSetSessionId: the session our create was first sent in (an
    // answer, even a lost one, comes back in the session its request went out in).
    const ephemeral = mode.startsWith('ephemeral');
    let createSession: number | undefined;
    const attempt = (firstTime: boolean) => {
      if (!firstTime) {
        // The lost create may have succeeded: look for our node before creating another.
        return this.call(getChildrenOp(parent), (found) => {
          const name = found.ok && Array.isArray(found.output) ? (found.output as string[]).find((child) => child.startsWith(prefix)) : undefined;
          if (name !== undefined && ephemeral && this.zk.sessionId !== createSession) {
            // ProtectedMode.validateFoundNode: the node is an earlier session's, which has
            // expired (the client has a new one): it is doomed, so delete it and create ours.
            createSession = this.zk.sessionId;
            return this.guaranteedDelete(`${dir}/${name}`, () => send());
          }
          if (name !== undefined) return done({ ok: true, output: `${dir}/${name}` });
          if (!found.ok) return untilAnswered ? this.later(this.policy.maxSleepUs, () => attempt(false)) : done(found);
          send();
        });
      }
      send();
    };
    const send = () =>
      this.submit(create, (record) => {
        createSession ??= this.zk.sessionId;
        this.later(0, () => {
          if (record.result === 'ok' && record.output === 'NONODE' && parent !== '/') {
            return this.mkdirs(parent, (made) => (made.ok ? send() : untilAnswered ? this.later(this.policy.maxSleepUs, send) : done(made)));
          }
          const code = failureCode(record.result, record.output);
          if (code === null) return done({ ok: true, output: record.output });
          const sleepUs = retrySleepUs(this.policy, retryCount++, this.rng) ?? (untilAnswered ? this.policy.maxSleepUs : null);
          if (sleepUs === null) {
            // Giving up: the lost create may still have made our node. Curator finds and
            // deletes it (FindAndDeleteProtectedNodeInBackground); here before answering,
            // since a client runs one operation at a time.
            return this.findAndDelete(parent, prefix, () => done({ ok: false, code }));
          }
          this.later(sleepUs, () => attempt(false));
        });
      });
    attempt(true);
    return prefix;
  }

  /** Deletes (guaranteed) every child of `parent` whose name starts with `prefix`. */
  private findAndDelete(parent: string, prefix: string, done: () => void): void {
    const dir = parent === '/' ? '' : parent;
    const look = (retryCount: number) =>
      this.submit(getChildrenOp(parent), (record) =>
        this.later(0, () => {
          if (failureCode(record.result, record.output) !== null) {
            return this.later(retrySleepUs(this.policy, retryCount, this.rng) ?? this.policy.maxSleepUs, () => look(retryCount + 1));
          }
          const names = Array.isArray(record.output) ? (record.output as string[]).filter((child) => child.startsWith(prefix)).sort() : [];
          const next = (i: number): void => (i >= names.length ? done() : this.guaranteedDelete(`${dir}/${names[i]}`, () => next(i + 1)));
          next(0);
        }),
      );
    look(0);
  }

  /** ZKPaths.mkdirs: creates `path` and its missing ancestors as persistent nodes (NODEEXISTS is fine). */
  mkdirs(path: string, done: (outcome: Outcome) => void): void {
    const parts = path.split('/').filter((part) => part !== '');
    const step = (i: number) => {
      if (i >= parts.length) return done({ ok: true, output: path });
      const at = '/' + parts.slice(0, i + 1).join('/');
      this.call({ f: 'create', value: { path: at, data: '' }, req: { op: 'create', path: at, data: '', mode: 'persistent' } }, (made) => {
        if (!made.ok) return done(made);
        step(i + 1);
      });
    };
    step(0);
  }

  /**
   * delete().guaranteed().forPath(path): retried, past the policy's limit (Curator's
   * FailedDeleteManager keeps trying in the background), until ZooKeeper answers; NONODE
   * counts as deleted (an expired session's ephemerals are gone).
   */
  /** guaranteedDelete of each path in turn; `done` once all are gone. */
  guaranteedDeleteAll(paths: readonly string[], done: () => void, from = 0): void {
    if (from >= paths.length) return this.later(0, done);
    this.guaranteedDelete(paths[from], () => this.guaranteedDeleteAll(paths, done, from + 1));
  }

  guaranteedDelete(path: string, done: (output: unknown) => void): void {
    const op: ClientOp = { f: 'delete', value: { path, version: -1 }, req: { op: 'delete', path, version: -1 } };
    const attempt = (retryCount: number) =>
      this.submit(op, (record) =>
        this.later(0, () => {
          if (failureCode(record.result, record.output) === null) return done(record.output);
          this.later(retrySleepUs(this.policy, retryCount, this.rng) ?? this.policy.maxSleepUs, () => attempt(retryCount + 1));
        }),
      );
    attempt(0);
  }

  /** Curator's protected ids are UUIDs; this one is drawn from the client's own stream (deterministic). */
  private protectedId(): string {
    const hex = (digits: number) => {
      let s = '';
      for (let i = 0; i < digits; i++) s += '0123456789abcdef'[this.rng.int(16)];
      return s;
    };
    return `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
  }

  // ---------------------------------------------------------------- events

  private onEvent(event: ClientNotification): void {
    if (event.kind === 'disconnected') {
      // The server closed the connection: ZooKeeper's client reports Disconnected at once.
      this.setState('SUSPENDED');
      return;
    }
    if (event.kind !== 'watch') return;
    this.pathWatchers.get(event.path)?.(event);
  }

  private onZkState(state: ClientState): void {
    if (state === 'disconnected') this.setState('SUSPENDED');
    else if (state === 'expired') this.setState('LOST');
    else if (state === 'connected' && this.state !== 'CONNECTED') this.setState('RECONNECTED');
  }

  /** ZooKeeper's client declares Disconnected after 2/3 of the session timeout without a word from its server. */
  private watchReadTimeout(): void {
    // The granted timeout, once connected (the server may clamp the requested one).
    const periodUs = () => Math.max(1, Math.floor(this.zk.sessionTimeoutUs / 12));
    const tick = () => {
      const timeoutUs = this.zk.sessionTimeoutUs;
      const silentUs = this.cluster.nowUs - this.zk.lastHeardUs;
      if (this.zk.connected && silentUs > (timeoutUs * 2) / 3) this.setState('SUSPENDED');
      else if (this.zk.connected && this.state === 'SUSPENDED' && silentUs <= (timeoutUs * 2) / 3) this.setState('RECONNECTED');
      if (!this.stopped) this.zk.at(this.cluster.nowUs + periodUs(), tick);
    };
    this.zk.at(this.cluster.nowUs + periodUs(), tick);
  }

  /** Stops the read-timeout watch (the end of the run: nothing is left to protect). */
  stop(): void {
    this.stopped = true;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state || (state === 'SUSPENDED' && this.state === 'LOST')) return;
    this.state = state;
    for (const listener of this.stateListeners.slice()) listener(state);
  }
}

/** Whether a recorded outcome is a retryable failure (RetryLoop.shouldRetry), and which. */
function failureCode(result: 'ok' | 'fail' | 'info' | undefined, output: unknown): 'CONNECTIONLOSS' | 'SESSIONEXPIRED' | null {
  if (result === 'ok') return null;
  if (output === 'SESSIONEXPIRED') return 'SESSIONEXPIRED';
  return 'CONNECTIONLOSS';
}

export function getChildrenOp(path: string): ClientOp {
  return { f: 'getChildren', value: { path }, req: { op: 'getChildren', path } };
}
