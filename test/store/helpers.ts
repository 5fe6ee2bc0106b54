import { DataTree, prepRequest, type ApplyOutcome, type Txn, type ZkRequest } from '../../sim/store/index.js';

/** zxids as the simulator packs them: epoch in the high word, counter in the low one. */
export const EPOCH = 3;
export function zxidOf(counter: number, epoch = EPOCH): number {
  return epoch * 2 ** 32 + counter;
}

/** A leader's view: preps each write against its tree, then applies it there (committed at once). */
export class Leader {
  readonly tree = new DataTree();
  readonly log: { txn: Txn; zxid: number }[] = [];
  private counter = 0;

  write(req: ZkRequest, sessionId: number): ApplyOutcome & { txn: Txn; zxid: number } {
    const zxid = zxidOf(++this.counter);
    const txn = prepRequest(this.tree, req, sessionId, zxid);
    this.log.push({ txn, zxid });
    return { txn, zxid, ...this.tree.apply(txn, zxid) };
  }

  /** Opens a session with the given id. */
  session(sessionId: number, timeoutUs = 10_000_000): number {
    const r = this.write({ op: 'createSession', timeoutUs }, sessionId);
    if (!r.result.ok) throw new Error(`createSession ${sessionId} failed: ${r.result.code}`);
    return sessionId;
  }
}
