/**
 * The server side of the client protocol (sim/client/protocol.ts) that the ZAB and the
 * Paxos services share: local reads with their watches, refusals, and a session's end.
 */
import type { DataTree, WatchManager, ZkRequest, ZkResult } from '../store/index.js';
import type { ClientNotification, ClientReply, RefusalCode } from './protocol.js';

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
