/**
 * How the leader brings one learner up to date (LearnerHandler.syncFollower and
 * queueCommittedProposals, PROTOCOLS.md §4), as a pure function of the leader's
 * in-memory committed-log window, its tree's lastProcessedZxid and the learner's last
 * zxid (from its ACKEPOCH):
 *
 * 1. the learner is exactly where the leader's tree is        ⇒ empty DIFF;
 * 2. the learner is past the newest committed txn              ⇒ TRUNC to it
 *    (unless the learner's zxid is a new-epoch zxid (e, 0));
 * 3. the learner's zxid lies inside the window: walk it —
 *    found                                                     ⇒ DIFF, then every later txn;
 *    the first newer txn differs, same epoch                   ⇒ TRUNC to the txn before it, then the later txns;
 *    the first newer txn is of another epoch                   ⇒ SNAP (TRUNC never crosses an epoch);
 * 4. the learner is older than the window: the on-disk txn log (when given) is read from
 *    the learner's zxid (ZKDatabase.getProposalsFromTxnLog):
 *    it holds that zxid and reaches the window without a gap   ⇒ DIFF of the log's txns up to the
 *                                                                 window, then the window's;
 *    otherwise                                                  ⇒ SNAP of the leader's tree.
 * Every txn listed is sent as PROPOSAL followed by COMMIT.
 *
 * ZooKeeper reads the txn log only while the part to read is smaller than
 * snapshotSizeFactor (0.33) times the snapshot, in bytes (calculateTxnLogSizeLimit); the
 * model has no byte sizes and counts txns against the snapshot's znodes (`maxTxns`).
 */
import type { CommittedLog } from './committed-log.js';
import type { LogEntry, SyncMode } from './messages.js';
import type { ZxidCodec } from './zxid.js';

export interface SyncPlan {
  readonly mode: SyncMode;
  /** The op packet's zxid: DIFF → newest committed; TRUNC → truncate to; SNAP → the tree's lastProcessedZxid. */
  readonly zxid: number;
  /** Txns to send as PROPOSAL + COMMIT after the op packet. */
  readonly entries: readonly LogEntry[];
  /** Where the learner stands once it processed the plan (startForwarding's lastSeenZxid). */
  readonly lastZxid: number;
  /** Why this mode, for the viewer. */
  readonly reason: string;
}

export interface SyncPlanBugs {
  /** Test bug: the first missing txn is left out. */
  readonly skipFirst?: boolean;
  /** Test bug: the txns are listed newest first. */
  readonly newestFirst?: boolean;
  /**
   * ZOOKEEPER-1154 (diffByRangeCheck): a learner whose zxid lies inside the window gets a
   * DIFF of every newer txn, whether or not its zxid is in the leader's history.
   */
  readonly rangeCheckOnly?: boolean;
  /**
   * ZooKeeper 3.4's rule, part of snapDoesNotTruncateLog (ZOOKEEPER-2832): with an empty
   * committedLog the leader has nothing to DIFF from and SNAPs the learner, whatever its
   * zxid (3.5 treats the empty window as [lastProcessedZxid, lastProcessedZxid] and TRUNCs
   * a learner that is ahead). A SNAP is a valid sync; it is what reaches 2832's learner.
   */
  readonly snapOnEmptyCommittedLog?: boolean;
}

/**
 * The leader's on-disk txn log, as far as it belongs to the leader's current history:
 * `entries[from…]` in zxid order (what a SNAP sync superseded is before `from`).
 */
export interface TxnLogSource {
  readonly entries: readonly LogEntry[];
  readonly from: number;
  /** The most txns the leader reads from disk (past it: SNAP); Infinity for no limit. */
  readonly maxTxns: number;
}

export function planSync(committedLog: CommittedLog, lastProcessedZxid: number, peerLastZxid: number, codec: ZxidCodec, bugs: SyncPlanBugs = {}, txnLog?: TxnLogSource): SyncPlan {
  const snap = (reason: string): SyncPlan => ({ mode: 'SNAP', zxid: lastProcessedZxid, entries: [], lastZxid: lastProcessedZxid, reason });
  const isPeerNewEpochZxid = codec.isEpochStart(peerLastZxid);
  let minCommitted = committedLog.minZxid;
  let maxCommitted = committedLog.maxZxid;
  if (committedLog.isEmpty && bugs.snapOnEmptyCommittedLog && lastProcessedZxid !== peerLastZxid) {
    return snap(`the leader's committedLog is empty: SNAP, as ZooKeeper 3.4 does ("proposals is empty")`);
  }
  if (committedLog.isEmpty) {
    minCommitted = lastProcessedZxid;
    maxCommitted = lastProcessedZxid;
  }
  const f = (zxid: number) => codec.format(zxid);
  if (lastProcessedZxid === peerLastZxid) {
    return { mode: 'DIFF', zxid: peerLastZxid, entries: [], lastZxid: peerLastZxid, reason: `the learner is at ${f(peerLastZxid)}, like the leader: empty DIFF` };
  }
  if (peerLastZxid > maxCommitted && !isPeerNewEpochZxid) {
    return { mode: 'TRUNC', zxid: maxCommitted, entries: [], lastZxid: maxCommitted, reason: `the learner's ${f(peerLastZxid)} is past the leader's newest txn ${f(maxCommitted)}` };
  }
  if (peerLastZxid < minCommitted && txnLog !== undefined) {
    const fromDisk = planFromTxnLog(committedLog, txnLog, peerLastZxid, minCommitted, maxCommitted, codec);
    if (fromDisk !== null) return fromDisk;
  }
  if (peerLastZxid < minCommitted || peerLastZxid > maxCommitted) {
    return snap(`the learner's ${f(peerLastZxid)} is older than the leader's committed-log window [${f(minCommitted)}, ${f(maxCommitted)}]`);
  }
  // queueCommittedProposals: walk the window.
  let mode: SyncMode | null = null;
  let opZxid = -1;
  let queuedZxid = peerLastZxid;
  let prevProposalZxid = -1;
  let reason = '';
  const entries: LogEntry[] = [];
  let skipped = !bugs.skipFirst;
  for (let i = 0; i < committedLog.size; i++) {
    const entry = committedLog.at(i);
    const zxid = entry.zxid;
    if (zxid < peerLastZxid) {
      prevProposalZxid = zxid;
      continue;
    }
    if (mode === null) {
      if (zxid === peerLastZxid) {
        mode = 'DIFF';
        opZxid = maxCommitted;
        reason = `the learner's ${f(peerLastZxid)} is in the leader's history: DIFF`;
        continue;
      }
      if (isPeerNewEpochZxid) {
        mode = 'DIFF';
        opZxid = maxCommitted;
        reason = `the learner is at the start of epoch ${codec.epoch(peerLastZxid)}: DIFF`;
      } else if (zxid > peerLastZxid) {
        if (bugs.rangeCheckOnly) {
          // The pre-1154 walk: the window covers the learner's zxid, so it is "in sync up to there".
          mode = 'DIFF';
          opZxid = maxCommitted;
          reason = `the learner's ${f(peerLastZxid)} lies within the leader's window [${f(minCommitted)}, ${f(maxCommitted)}]: DIFF (its membership is not checked: ZOOKEEPER-1154)`;
        } else if (codec.epoch(zxid) !== codec.epoch(peerLastZxid)) {
          return snap(`the learner's ${f(peerLastZxid)} is not in the leader's history and the next txn ${f(zxid)} is of another epoch: TRUNC cannot cross an epoch`);
        } else {
          mode = 'TRUNC';
          opZxid = prevProposalZxid;
          reason = `the learner's ${f(peerLastZxid)} is not in the leader's history: TRUNC to ${f(prevProposalZxid)}, then the newer txns`;
        }
      }
    }
    if (zxid <= queuedZxid) continue;
    queuedZxid = zxid;
    if (!skipped) {
      skipped = true; // bug diffSkipsFirst: the first missing txn is not sent
      continue;
    }
    entries.push(entry);
  }
  if (mode === null && isPeerNewEpochZxid) {
    mode = 'DIFF';
    opZxid = maxCommitted;
    reason = `the learner is at the start of epoch ${codec.epoch(peerLastZxid)}: DIFF`;
  }
  if (mode === null) return snap(`no place found for the learner's ${f(peerLastZxid)} in the window`);
  if (bugs.newestFirst) entries.reverse();
  return { mode, zxid: opZxid, entries, lastZxid: queuedZxid, reason };
}

/**
 * syncFollower's txn-log branch: getProposalsFromTxnLog(peerLastZxid) then
 * queueCommittedProposals over the log up to minCommittedLog, then over the committedLog.
 * Null when the log cannot serve (it does not hold the learner's zxid, or ends before the
 * window: "Detected gap between end of txnlog and beginning of committedlog"): SNAP then.
 */
function planFromTxnLog(committedLog: CommittedLog, txnLog: TxnLogSource, peerLastZxid: number, minCommitted: number, maxCommitted: number, codec: ZxidCodec): SyncPlan | null {
  const log = txnLog.entries;
  // The iterator starts at the first txn at or after the learner's zxid; if that is not
  // the learner's zxid itself, the log cannot prove the learner is in the history.
  const lo = indexAfter(log, txnLog.from, peerLastZxid - 1);
  if (lo >= log.length || log[lo].zxid !== peerLastZxid) return null;
  // getProposalsFromTxnLog: the log from there on is too large next to the snapshot.
  if (log.length - lo - 1 > txnLog.maxTxns) return null;
  const entries: LogEntry[] = [];
  let queuedZxid = peerLastZxid;
  for (let i = lo + 1; i < log.length && log[i].zxid <= minCommitted; i++) {
    entries.push(log[i]);
    queuedZxid = log[i].zxid;
  }
  if (queuedZxid < minCommitted) return null;
  for (let i = 0; i < committedLog.size; i++) {
    const entry = committedLog.at(i);
    if (entry.zxid <= queuedZxid) continue;
    entries.push(entry);
    queuedZxid = entry.zxid;
  }
  const f = (zxid: number) => codec.format(zxid);
  return {
    mode: 'DIFF',
    zxid: maxCommitted,
    entries,
    lastZxid: queuedZxid,
    reason: `the learner's ${f(peerLastZxid)} is older than the committed-log window [${f(minCommitted)}, ${f(maxCommitted)}] but in the leader's txn log on disk: DIFF from the log`,
  };
}

/** The first index at or after `from` of a log in zxid order whose zxid is above `zxid`. */
export function indexAfter(log: readonly LogEntry[], from: number, zxid: number): number {
  let lo = from;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid].zxid <= zxid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
