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
 *
 * Session ownership is checked here too, for the same reason (sessions.ts,
 * SessionOwners): a client write applies only if the connection it came through owns
 * its session at this slot; otherwise it changes nothing (SESSIONMOVED, `moved`) and the
 * server holding that connection closes it. createSession and `move` commands set the
 * owner, closeSession forgets it. A session's close is not checked (ZooKeeper does not:
 * the leader's expiry has no owner).
 */
import type { DataTree, WatchEvent, ZkResult } from '../store/index.js';
import type { Command } from './messages.js';
import type { SessionOwners } from './sessions.js';

export interface CommandOutcome {
  /** The txn's result; null for no-ops, reads and stale txns. */
  readonly result: ZkResult | null;
  readonly events: readonly WatchEvent[];
  /** A txn discarded because the tree was not in the state it was computed against. */
  readonly stale: boolean;
  /** A client write refused because its connection no longer owns its session (SESSIONMOVED). */
  readonly moved: boolean;
}

const NOTHING: CommandOutcome = Object.freeze({ result: null, events: Object.freeze([]), stale: false, moved: false });
const STALE: CommandOutcome = Object.freeze({ result: null, events: Object.freeze([]), stale: true, moved: false });
const MOVED: CommandOutcome = Object.freeze({ result: null, events: Object.freeze([]), stale: false, moved: true });

export function applyCommand(tree: DataTree, owners: SessionOwners, command: Command, slot: number, guard: boolean): CommandOutcome {
  const route = command.route;
  if (command.kind === 'move') {
    // A session closed before its move was applied stays closed: the client is told it
    // expired. A move from an older connection than the owner's (a resent or late copy:
    // a session's connections are its one client's connect requests, numbered in order)
    // changes nothing.
    if (route !== undefined && tree.hasSession(route.sessionId) && (owners.get(route.sessionId)?.connection ?? -1) < route.connection) owners.set(route.sessionId, route);
    return NOTHING;
  }
  if (command.kind !== 'txn') return NOTHING;
  if (guard && command.basis !== undefined && command.basis !== tree.digest()) return STALE;
  const txn = command.txn!;
  if (route !== undefined && route.sessionId !== 0 && txn.type !== 'closeSession' && tree.hasSession(route.sessionId) && !owners.admits(route.sessionId, route)) {
    return MOVED;
  }
  const { result, events } = tree.apply(txn, slot);
  if (txn.type === 'createSession' && result.ok && route !== undefined) owners.set(txn.sessionId, route);
  else if (txn.type === 'closeSession' && result.ok) owners.delete(txn.sessionId);
  return { result, events, stale: false, moved: false };
}
