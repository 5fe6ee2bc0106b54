/**
 * zablab's linearizability checker: Jepsen-style histories, Wing & Gong search with
 * Lowe's memoization and P-compositionality, explanations for the browser lab.
 * See README.md in this directory for the semantics.
 */
export {
  HistoryError,
  pairHistory,
  effectiveValue,
  completePendingAsInfo,
  type HistoryEvent,
  type OpType,
  type Operation,
  type ProcessId,
  type PairedHistory,
  type PairOptions,
} from './history.js';
export type { Model, ModelPart, AnyModel } from './model.js';
export {
  checkHistory,
  resolveModel,
  DEFAULT_MAX_STEPS,
  type CheckOptions,
  type LinResult,
  type Verdict,
} from './checker.js';
export {
  renderTimeline,
  renderHistory,
  type Explanation,
  type ExplainedOp,
  type LinearizationStep,
  type PartialLinearization,
  type CandidateVerdict,
  type TimelineRow,
} from './explain.js';
export { parseEdnHistory, readEdn, readEdnForms } from './edn.js';
export { parseJsonHistory, parseJson } from './json.js';
export {
  MODEL_NAMES,
  modelByName,
  registerModel,
  casRegisterModel,
  multiRegisterModel,
  mutexModel,
  znodeModel,
  ZTree,
  type RegisterOptions,
  type MultiRegisterState,
  type MutexState,
  type ZNode,
  type ZnodeOptions,
} from './models/index.js';
export { checkCommand, parseHistoryFile, type CheckIo } from './cli.js';
