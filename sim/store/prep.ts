/**
 * Leader-side request preparation, ZooKeeper's PrepRequestProcessor.
 *
 * The leader validates each write against its *speculative* tree (committed state plus
 * every txn it has already proposed) and turns it into a {@link Txn}: either the exact
 * state delta to replicate, or an `error` txn. Errors are txns too: they take a zxid so
 * that the client's reply is ordered with the other writes, and change nothing.
 *
 * Sequential names come from the parent's cversion *at prep time*: the speculative
 * parent already counts every proposed create below it, so two creates in flight never
 * get the same number. The txn then carries the final path and the parent's new
 * cversion, so followers do not recompute anything.
 *
 * Only creates count. ZooKeeper since ZOOKEEPER-1046 (3.4) moves just the parent's pzxid
 * on a delete (PrepRequestProcessor.pRequest2Txn, case OpCode.delete: `childCount--`,
 * `setPzxid`; DataTree.deleteNode: pzxid only), so create, create, delete, then a
 * sequential create is named …0000000002, not …0000000003. The delete txn is ZooKeeper's
 * DeleteTxn: just the path.
 *
 * Prep never mutates the tree: the caller applies the returned txn to its speculative
 * copy before prepping the next request. A multi validates its sub-ops in order against
 * an overlay of the earlier sub-ops' effects; on the first failure the whole multi
 * becomes one error txn with a per-op result as ZooKeeper reports it (DataTree.processTxn,
 * case OpCode.multi; PrepRequestProcessor.pRequest2Txn): `OK` for the sub-ops before the
 * failing one (valid but rolled back), the failing op's code, RUNTIMEINCONSISTENCY for the
 * sub-ops after it, so nothing of it is applied.
 */

import { isValidPath, nextInt32, parentOf, sequentialSuffix } from './path.js';
import type { DataTree } from './tree.js';
import type { CreateMode, MultiErrorCode, NodeView, Txn, ZkErrorCode, ZkRequest } from './types.js';

/** What prep reads: a DataTree, or a multi's overlay on one. */
export interface PrepView {
  peek(path: string): NodeView | undefined;
}

/** One shared, frozen error txn per code. */
export const ERROR_TXN: Readonly<Record<ZkErrorCode, Txn>> = Object.freeze({
  NONODE: Object.freeze({ type: 'error', code: 'NONODE' }),
  NODEEXISTS: Object.freeze({ type: 'error', code: 'NODEEXISTS' }),
  BADVERSION: Object.freeze({ type: 'error', code: 'BADVERSION' }),
  NOTEMPTY: Object.freeze({ type: 'error', code: 'NOTEMPTY' }),
  NOCHILDRENFOREPHEMERALS: Object.freeze({ type: 'error', code: 'NOCHILDRENFOREPHEMERALS' }),
  SESSIONEXPIRED: Object.freeze({ type: 'error', code: 'SESSIONEXPIRED' }),
  SESSIONMOVED: Object.freeze({ type: 'error', code: 'SESSIONMOVED' }),
  BADARGUMENTS: Object.freeze({ type: 'error', code: 'BADARGUMENTS' }),
  RUNTIMEINCONSISTENCY: Object.freeze({ type: 'error', code: 'RUNTIMEINCONSISTENCY' }),
} as const);

/** Whether a request must go through the leader (and prepRequest) rather than be read locally. */
export function isWriteRequest(req: ZkRequest): boolean {
  switch (req.op) {
    case 'create':
    case 'delete':
    case 'setData':
    case 'check':
    case 'multi':
    case 'createSession':
    case 'closeSession':
      return true;
    default:
      return false;
  }
}

/**
 * The txn for a write request by `sessionId`, validated against `tree` (not modified).
 * For createSession, `sessionId` is the new session's id (chosen by the caller).
 * Throws for reads and sync (a programming error: they are not txns).
 */
export function prepRequest(tree: DataTree, req: ZkRequest, sessionId: number, zxid: number): Txn {
  if (!Number.isSafeInteger(zxid) || zxid < 0) throw new Error(`prepRequest: bad zxid ${String(zxid)}`);
  switch (req.op) {
    case 'create':
    case 'delete':
    case 'setData': {
      if (!tree.hasSession(sessionId)) return ERROR_TXN.SESSIONEXPIRED;
      const r = prepOp(tree, req, sessionId);
      return typeof r === 'string' ? ERROR_TXN[r] : r;
    }
    case 'check':
      return ERROR_TXN.BADARGUMENTS; // only meaningful inside a multi
    case 'multi':
      if (!tree.hasSession(sessionId)) return ERROR_TXN.SESSIONEXPIRED;
      return prepMulti(tree, req.ops, sessionId);
    case 'createSession': {
      const timeoutUs = req.timeoutUs;
      if (!Number.isSafeInteger(sessionId) || sessionId <= 0) return ERROR_TXN.BADARGUMENTS;
      if (typeof timeoutUs !== 'number' || !Number.isFinite(timeoutUs) || timeoutUs <= 0) return ERROR_TXN.BADARGUMENTS;
      if (tree.hasSession(sessionId)) return ERROR_TXN.BADARGUMENTS;
      return { type: 'createSession', sessionId, timeoutUs };
    }
    case 'closeSession':
      return tree.hasSession(sessionId) ? { type: 'closeSession', sessionId } : ERROR_TXN.SESSIONEXPIRED;
    default:
      throw new Error(`prepRequest: ${req.op} is not a write request`);
  }
}

const MODES: Readonly<Record<CreateMode, { readonly ephemeral: boolean; readonly sequential: boolean }>> = {
  persistent: { ephemeral: false, sequential: false },
  ephemeral: { ephemeral: true, sequential: false },
  'persistent-sequential': { ephemeral: false, sequential: true },
  'ephemeral-sequential': { ephemeral: true, sequential: true },
};

function isVersionArg(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

/** The node's next data version: int32 wrap, skipping -1 ("any version"), ZOOKEEPER-4743. */
export function nextVersion(version: number): number {
  const v = nextInt32(version);
  return v === -1 ? 0 : v;
}

/** A missing node's error: BADARGUMENTS for a malformed path, NONODE otherwise. */
function missing(path: string): ZkErrorCode {
  return isValidPath(path) ? 'NONODE' : 'BADARGUMENTS';
}

/** Validates one create / delete / setData / check; an error code on failure. */
function prepOp(view: PrepView, req: ZkRequest, sessionId: number): Txn | ZkErrorCode {
  switch (req.op) {
    case 'create': {
      const { path, data } = req;
      const mode = Object.prototype.hasOwnProperty.call(MODES, req.mode) ? MODES[req.mode] : undefined;
      if (mode === undefined || typeof path !== 'string' || typeof data !== 'string') return 'BADARGUMENTS';
      if (!isValidPath(path, mode.sequential)) return 'BADARGUMENTS';
      if (path === '/' && !mode.sequential) return 'NODEEXISTS';
      const parent = view.peek(parentOf(path));
      if (parent === undefined) return 'NONODE';
      const finalPath = mode.sequential ? path + sequentialSuffix(parent.cversion) : path;
      if (view.peek(finalPath) !== undefined) return 'NODEEXISTS';
      if (parent.ephemeralOwner !== 0) return 'NOCHILDRENFOREPHEMERALS';
      return {
        type: 'create',
        path: finalPath,
        data,
        ephemeralOwner: mode.ephemeral ? sessionId : 0,
        parentCVersion: nextInt32(parent.cversion),
      };
    }
    case 'delete': {
      const { path, version } = req;
      if (typeof path !== 'string' || !isVersionArg(version) || path === '/') return 'BADARGUMENTS';
      const node = view.peek(path);
      if (node === undefined) return missing(path);
      if (version !== -1 && version !== node.version) return 'BADVERSION';
      if (node.numChildren > 0) return 'NOTEMPTY';
      const parent = view.peek(parentOf(path));
      if (parent === undefined) throw new Error(`prepRequest: ${path} exists without its parent`);
      return { type: 'delete', path };
    }
    case 'setData': {
      const { path, data, version } = req;
      if (typeof path !== 'string' || typeof data !== 'string' || !isVersionArg(version)) return 'BADARGUMENTS';
      const node = view.peek(path);
      if (node === undefined) return missing(path);
      if (version !== -1 && version !== node.version) return 'BADVERSION';
      return { type: 'setData', path, data, version: nextVersion(node.version) };
    }
    case 'check': {
      const { path, version } = req;
      if (typeof path !== 'string' || !isVersionArg(version)) return 'BADARGUMENTS';
      const node = view.peek(path);
      if (node === undefined) return missing(path);
      if (version !== -1 && version !== node.version) return 'BADVERSION';
      return { type: 'check', path };
    }
    default:
      return 'BADARGUMENTS'; // reads, sessions and nested multis are not allowed in a multi
  }
}

interface OverlayNode {
  version: number;
  cversion: number;
  ephemeralOwner: number;
  numChildren: number;
}

/** The tree as earlier sub-ops of a multi left it (null = deleted by one of them). */
class MultiOverlay implements PrepView {
  private readonly changed = new Map<string, OverlayNode | null>();

  constructor(private readonly base: DataTree) {}

  peek(path: string): NodeView | undefined {
    const c = this.changed.get(path);
    if (c === undefined) return this.base.peek(path);
    return c === null ? undefined : c;
  }

  private writable(path: string): OverlayNode {
    const c = this.changed.get(path);
    if (c) return c;
    const b = this.base.peek(path);
    if (c === null || b === undefined) throw new Error(`prepRequest: multi overlay lost ${path}`);
    const copy: OverlayNode = {
      version: b.version,
      cversion: b.cversion,
      ephemeralOwner: b.ephemeralOwner,
      numChildren: b.numChildren,
    };
    this.changed.set(path, copy);
    return copy;
  }

  record(txn: Txn): void {
    switch (txn.type) {
      case 'create': {
        const parent = this.writable(parentOf(txn.path));
        parent.cversion = txn.parentCVersion;
        parent.numChildren++;
        this.changed.set(txn.path, { version: 0, cversion: 0, ephemeralOwner: txn.ephemeralOwner, numChildren: 0 });
        break;
      }
      case 'delete': {
        const parent = this.writable(parentOf(txn.path));
        parent.numChildren--;
        this.changed.set(txn.path, null);
        break;
      }
      case 'setData':
        this.writable(txn.path).version = txn.version;
        break;
      default:
        break;
    }
  }
}

function prepMulti(tree: DataTree, ops: readonly ZkRequest[], sessionId: number): Txn {
  const untrusted: unknown = ops; // requests may come from scenario files
  if (!Array.isArray(untrusted)) return ERROR_TXN.BADARGUMENTS;
  const txns: Txn[] = [];
  const overlay = new MultiOverlay(tree);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const r = typeof op === 'object' && op !== null ? prepOp(overlay, op, sessionId) : 'BADARGUMENTS';
    if (typeof r === 'string') {
      const results = new Array<MultiErrorCode>(ops.length).fill('RUNTIMEINCONSISTENCY');
      results.fill('OK', 0, i);
      results[i] = r;
      return { type: 'error', code: r, results };
    }
    txns.push(r);
    overlay.record(r);
  }
  return { type: 'multi', txns };
}
