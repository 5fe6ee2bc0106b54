/**
 * Types of the replicated data tree (ZooKeeper's znode tree), shared by the ZAB and
 * Paxos implementations.
 *
 * Three layers, as in ZooKeeper:
 *  - a {@link ZkRequest} is what a client asks for;
 *  - the leader turns a write request into a {@link Txn} (prep.ts, ZooKeeper's
 *    PrepRequestProcessor) by validating it against its speculative tree;
 *  - every replica applies the txn at its zxid (tree.ts, ZooKeeper's DataTree) and the
 *    server that owns the client's connection returns the {@link ZkResult}.
 *
 * A txn is a *state delta with absolute values* (the new version, the parent's new
 * cversion, the final sequential path), never a re-execution of the request: replicas
 * do not re-validate, and re-applying a txn that a state already contains (log replay
 * over a snapshot, an overlapping DIFF) is harmless.
 */

/** How a znode lives: persistent ones until deleted, ephemeral ones until their session closes. */
export type CreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential';

/** What a client asks for. `version: -1` means "any version" (unconditional). */
export type ZkRequest =
  | { readonly op: 'create'; readonly path: string; readonly data: string; readonly mode: CreateMode }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'setData'; readonly path: string; readonly data: string; readonly version: number }
  /** Only inside `multi`: fails the multi unless the node exists with that version (-1 = any). */
  | { readonly op: 'check'; readonly path: string; readonly version: number }
  | { readonly op: 'getData'; readonly path: string; readonly watch?: boolean }
  | { readonly op: 'exists'; readonly path: string; readonly watch?: boolean }
  | { readonly op: 'getChildren'; readonly path: string; readonly watch?: boolean }
  | { readonly op: 'sync'; readonly path: string }
  /** All-or-nothing list of create / delete / setData / check. */
  | { readonly op: 'multi'; readonly ops: readonly ZkRequest[] }
  | { readonly op: 'createSession'; readonly timeoutUs: number }
  | { readonly op: 'closeSession' };

export type ZkOp = ZkRequest['op'];

export type ZkErrorCode =
  | 'NONODE'
  | 'NODEEXISTS'
  | 'BADVERSION'
  | 'NOTEMPTY'
  | 'NOCHILDRENFOREPHEMERALS'
  | 'SESSIONEXPIRED'
  /**
   * The write came through a server (connection) that no longer owns its session: the
   * client moved to another one since (KeeperException.SessionMovedException). Never
   * shown to a client as a result: the server closes that client's connection instead.
   */
  | 'SESSIONMOVED'
  | 'BADARGUMENTS'
  | 'RUNTIMEINCONSISTENCY';

/** A znode's metadata, as ZooKeeper's Stat (without times and ACL version). */
export interface Stat {
  /** zxid of the txn that created the node. */
  readonly czxid: number;
  /** zxid of the txn that last changed the node's data. */
  readonly mzxid: number;
  /** zxid of the txn that last changed the node's children. */
  readonly pzxid: number;
  /** Number of data changes (signed 32-bit, as in ZooKeeper). */
  readonly version: number;
  /** Number of children created (signed 32-bit; deletes do not count since ZOOKEEPER-1046); drives sequential names. */
  readonly cversion: number;
  /** Owning session id for an ephemeral node, 0 otherwise. */
  readonly ephemeralOwner: number;
  readonly dataLength: number;
  readonly numChildren: number;
}

/**
 * A failed multi's per-op code, as ZooKeeper reports it (DataTree.processTxn, case
 * OpCode.multi): `OK` for the sub-ops before the failing one (valid, but rolled back),
 * the failing one's own code, RUNTIMEINCONSISTENCY for every sub-op after it.
 */
export type MultiErrorCode = ZkErrorCode | 'OK';

/** A failed multi's sub-op result: ZooKeeper's OpResult.ErrorResult (`OK` = rolled back). */
export interface ZkSubFail {
  readonly ok: false;
  readonly code: MultiErrorCode;
}

/** A failed operation. `results` is present for a failed multi: one entry per sub-op. */
export interface ZkFail {
  readonly ok: false;
  readonly code: ZkErrorCode;
  readonly results?: readonly ZkSubFail[];
}

/**
 * A successful operation; which fields are present depends on the operation:
 * create → path; setData → stat; exists → stat (null when the node does not exist);
 * getData → data, stat; getChildren → children (sorted); multi → results;
 * delete / check / createSession / closeSession / sync → nothing.
 */
export interface ZkOk {
  readonly ok: true;
  readonly path?: string;
  readonly stat?: Stat | null;
  readonly data?: string;
  readonly children?: readonly string[];
  readonly results?: readonly ZkResult[];
}

export type ZkResult = ZkOk | ZkFail;

/** Narrower result types of the reads. */
export type GetDataResult = { readonly ok: true; readonly data: string; readonly stat: Stat } | ZkFail;
export type ExistsResult = { readonly ok: true; readonly stat: Stat | null } | ZkFail;
export type GetChildrenResult = { readonly ok: true; readonly children: readonly string[] } | ZkFail;

/**
 * The replicated state delta of one write, as the leader's prep produced it. Small plain
 * objects: they are logged, shipped in messages and written into traces as JSON.
 */
export type Txn =
  /** `parentCVersion` is the parent's cversion *after* this create (absolute, so replay is harmless). */
  | {
      readonly type: 'create';
      readonly path: string;
      readonly data: string;
      readonly ephemeralOwner: number;
      readonly parentCVersion: number;
    }
  /** ZooKeeper's DeleteTxn: the parent's pzxid moves, its cversion does not (ZOOKEEPER-1046). */
  | { readonly type: 'delete'; readonly path: string }
  /** `version` is the node's new version. */
  | { readonly type: 'setData'; readonly path: string; readonly data: string; readonly version: number }
  /** A multi's version check: validated at prep, a no-op when applied. Only inside `multi`. */
  | { readonly type: 'check'; readonly path: string }
  | { readonly type: 'createSession'; readonly sessionId: number; readonly timeoutUs: number }
  /** Deletes all of the session's ephemerals, atomically at this zxid, then the session. */
  | { readonly type: 'closeSession'; readonly sessionId: number }
  /** Successful multi: every sub-txn carries the multi's zxid. */
  | { readonly type: 'multi'; readonly txns: readonly Txn[] }
  /**
   * A failed write: changes nothing but still takes a zxid. `results` (failed multi
   * only) gives each sub-op's error code.
   */
  | { readonly type: 'error'; readonly code: ZkErrorCode; readonly results?: readonly MultiErrorCode[] };

export type TxnType = Txn['type'];

export type WatchEventType = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';

/** A change that may fire watches, as produced by applying a txn (in ZooKeeper order). */
export interface WatchEvent {
  readonly path: string;
  readonly type: WatchEventType;
}

/** A fired watch, to be delivered to its session. */
export interface WatchNotification {
  readonly sessionId: number;
  readonly path: string;
  readonly type: WatchEventType;
}

/** What applying a txn produced: the client-visible result and the fired watch events. */
export interface ApplyOutcome {
  readonly result: ZkResult;
  readonly events: readonly WatchEvent[];
}

/** A replicated session. `ephemerals` is live (do not mutate it). */
export interface SessionInfo {
  readonly timeoutUs: number;
  readonly ephemerals: ReadonlySet<string>;
}

/** The node-level facts prep validates against (a DataTree node, or a multi overlay entry). */
export interface NodeView {
  readonly version: number;
  readonly cversion: number;
  readonly ephemeralOwner: number;
  readonly numChildren: number;
}

/** Snapshot of a DataTree, as written into traces. Nodes sorted by path, sessions by id. */
export interface DataTreeJSON {
  readonly format: 'zablab-datatree/1';
  readonly lastProcessedZxid: number;
  readonly nodes: readonly { readonly path: string; readonly data: string; readonly stat: Stat }[];
  readonly sessions: readonly { readonly sessionId: number; readonly timeoutUs: number }[];
}
