/**
 * The server side of the client protocol (sim/client/protocol.ts) that the ZAB and the
 * Paxos services share: local reads with their watches, refusals, and a session's end.
 */
import type { DataTree, SessionInfo, WatchEventType, WatchManager, ZkRequest, ZkResult } from '../store/index.js';
import type { ClientNotification, ClientReply, RefusalCode, WatchSet } from './protocol.js';

const OK: ZkResult = Object.freeze({ ok: true });

/** A refusal: the request was not executed. */
export function refused(code: RefusalCode): ClientReply {
  return { kind: 'refused', code };
}

/** Reads `op` from this server's tree now and sets the watch it asks for (a `sync` reads nothing). */
export function readNow(tree: DataTree, watches: WatchManager, sessionId: number, op: ZkRequest): ZkResult {
  if (op.op === 'sync') return OK;
  const result = tree.read(op);
  watches.registerRead(sessionId, op, result);
  return result;
}

/**
 * A session ended (closed or expired): its watches here go, and the client attached to
 * it through this server is told it expired, unless that client closed it.
 */
export function endSession(
  ctx: { notifyClient(clientId: number, payload: unknown): void },
  watches: WatchManager,
  attached: Map<number, number>,
  sessionId: number,
  closedByItsClient: boolean,
): void {
  watches.removeSession(sessionId);
  const clientId = attached.get(sessionId);
  attached.delete(sessionId);
  if (clientId !== undefined && !closedByItsClient) {
    const note: ClientNotification = { kind: 'expired', sessionId };
    ctx.notifyClient(clientId, note);
  }
}

/**
 * A session (re)attached to this server with the client's watches: ZooKeeper's
 * SetWatches, DataTree.setWatches. Whatever this server still held for the session goes
 * (a new connection, as ZooKeeper's old one closed with its watches); each watch is then
 * either fired at once, because its node changed after `relativeZxid` (the newest zxid
 * the client had seen), or registered again:
 *  - data (getData): NodeDeleted if the node is gone, NodeDataChanged if its mzxid is newer;
 *  - exist (exists on a missing node): NodeCreated if the node now exists;
 *  - child (getChildren): NodeDeleted if the node is gone, NodeChildrenChanged if its pzxid is newer.
 * Call it after the `connected` reply: the events follow it on the FIFO client link.
 */
export function setWatches(
  ctx: { notifyClient(clientId: number, payload: unknown): void },
  tree: DataTree,
  watches: WatchManager,
  sessionId: number,
  clientId: number,
  relativeZxid: number,
  set: WatchSet | undefined,
): void {
  watches.removeSession(sessionId);
  if (set === undefined) return;
  const fire = (path: string, type: WatchEventType) => {
    const note: ClientNotification = { kind: 'watch', path, type, zxid: tree.lastProcessedZxid };
    ctx.notifyClient(clientId, note);
  };
  for (const path of set.data) {
    const found = tree.exists(path);
    const stat = found.ok ? found.stat : null;
    if (stat === null) fire(path, 'NodeDeleted');
    else if (stat.mzxid > relativeZxid) fire(path, 'NodeDataChanged');
    else watches.addDataWatch(sessionId, path);
  }
  for (const path of set.exist) {
    const found = tree.exists(path);
    if (found.ok && found.stat !== null) fire(path, 'NodeCreated');
    else watches.addDataWatch(sessionId, path);
  }
  for (const path of set.child) {
    const found = tree.exists(path);
    const stat = found.ok ? found.stat : null;
    if (stat === null) fire(path, 'NodeDeleted');
    else if (stat.pzxid > relativeZxid) fire(path, 'NodeChildrenChanged');
    else watches.addChildWatch(sessionId, path);
  }
}

/** The session timeout a server granted, for its `connected` answer (ZooKeeperServer.finishSessionInit sends the negotiated timeout). */
export function grantedTimeout(session: SessionInfo | undefined): { timeoutUs?: number } {
  return session === undefined ? {} : { timeoutUs: session.timeoutUs };
}
