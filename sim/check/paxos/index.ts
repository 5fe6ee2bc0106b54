/** Paxos invariants (see invariants.ts). The protocol-agnostic primary-order check is sim/check/primary-order.ts. */
export {
  attachPaxosInvariants,
  checkPaxosTrace,
  PaxosInvariantChecker,
  PAXOS_INVARIANTS,
  type CheckedCluster,
  type PaxosInvariant,
  type PaxosInvariantOptions,
  type PaxosViolation,
} from './invariants.js';
