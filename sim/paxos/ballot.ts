/**
 * Ballots: totally ordered and unique per proposer, `round · N + id` (N servers, ids
 * 0..N-1, rounds from 1, so 0 means "no ballot"). Two proposers never share a ballot,
 * which is what makes "one value per ballot" true without coordination; a proposer
 * never reuses one because its highest round is kept in durable storage and raised
 * before each Prepare.
 *
 * The `duplicateBallots` bug drops the id term (ballot = round): two proposers in the
 * same round then use the same ballot.
 */
import type { NodeId } from '../core/node.js';

export interface BallotScheme {
  readonly servers: number;
  /** The duplicateBallots bug. */
  readonly withoutNodeId: boolean;
}

export function makeBallot(scheme: BallotScheme, round: number, id: NodeId): number {
  if (!(Number.isSafeInteger(round) && round >= 1)) throw new Error(`bad ballot round ${round}`);
  if (scheme.withoutNodeId) return round;
  return round * scheme.servers + id;
}

export function roundOf(scheme: BallotScheme, ballot: number): number {
  return scheme.withoutNodeId ? ballot : Math.floor(ballot / scheme.servers);
}

/** The proposer that owns a ballot (meaningless under duplicateBallots). */
export function proposerOf(scheme: BallotScheme, ballot: number): NodeId {
  return scheme.withoutNodeId ? -1 : ballot % scheme.servers;
}
