/**
 * Executing a chosen command on a data tree — on every replica, and on the leader's
 * speculative tree, with the same rule so that both stay identical.
 *
 * A txn is a state delta with absolute values (new version, final sequential name),
 * computed by its leader against the leader's speculative state: it is only meaningful
 * on that state. ZAB guarantees (primary order) that it is always applied there. Paxos
 * does not: a later leader may choose it after values its leader never saw, or without
 * earlier txns its leader assumed (PROTOCOLS.md §12). Applied anyway, it would, say,
 * set a znode's version to a number it already has, or succeed a compare-and-set
 * against a version the znode never had: clients would see non-linearizable results.
 *
 * The guard: each txn carries `basis`, the digest of the state it was computed
 * against; a replica applies it only if its own tree has that digest at that slot, and
 * otherwise discards it as stale (every replica decides the same, since all apply the
 * same slots in the same order). The client is told NOTREADY (not executed) and may
 * retry. Switching the guard off (`staleTxnGuard: false`) shows what primary order
 * protects against.
 */
import type { DataTree, WatchEvent, ZkResult } from '../store/index.js';
import type { Command } from './messages.js';

export interface CommandOutcome {
  /** The txn's result; null for no-ops, reads and stale txns. */
  readonly result: ZkResult | null;
  readonly events: readonly WatchEvent[];
  /** A txn discarded because the tree was not in the state it was computed against. */
  readonly stale: boolean;
}

const NOTHING: CommandOutcome = Object.freeze({ result: null, events: Object.freeze([]), stale: false });
const STALE: CommandOutcome = Object.freeze({ result: null, events: Object.freeze([]), stale: true });

export function applyCommand(tree: DataTree, command: Command, slot: number, guard: boolean): CommandOutcome {
  if (command.kind !== 'txn') return NOTHING;
  if (guard && command.basis !== undefined && command.basis !== tree.digest()) return STALE;
  const { result, events } = tree.apply(command.txn!, slot);
  return { result, events, stale: false };
}
