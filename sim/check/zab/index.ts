/** ZAB's online invariants (see invariants.ts). */
export {
  attachZabInvariants,
  sameTxn,
  ZabInvariantChecker,
  ZAB_INVARIANTS,
  type ZabCheckedCluster,
  type ZabInvariant,
  type ZabInvariantMonitor,
  type ZabInvariantOptions,
  type ZabViolation,
} from './invariants.js';
