/**
 * zablab as a library: script the simulator and property-test protocol variants.
 *
 *   import { loadScenarioText, runScenario, protocolAdapter, checkHistory } from 'zablab';
 *   const scenario = loadScenarioText(json, 'my.json');
 *   const result = runScenario(scenario, protocolAdapter('zab'), { seed: 7 });
 *   result.ok; result.traceHash; result.invariants.violations; result.linearizability.verdict;
 */
export { Cluster, type ClusterOptions, type RunLimits, type StorageConfig, type ClientEndpoint } from './net/cluster.js';
export type { NetworkConfig, ChannelKind } from './net/network.js';
export type { LatencySpec } from './net/latency.js';
export { shapeCuts, PARTITION_SHAPES, type PartitionShape } from './net/partitions.js';
export type { NodeBehavior, NodeContext, NodeFactory, NodeSnapshot, Message, ClientRequest, Storage } from './core/node.js';
export { Rng, RngStreams } from './core/rng.js';
export { readTrace, traceToJson, traceToNdjson, TraceRecorder, TraceFormatError, type Trace, type TraceEvent, type TraceMeta } from './core/trace.js';
export { runScenario, materializeNemesis, expectationsFor, failedExpectations, type RunResult, type RunOptions, type ExpectationResult, type ExpectationStatus } from './scenario/run.js';
export { parseScenario as loadScenarioText, validateScenario, ScenarioError } from './scenario/load.js';
export { SCENARIO_SCHEMA } from './scenario/schema.js';
export { protocolAdapter, allBugs, PROTOCOLS } from './scenario/protocols.js';
export type { ProtocolAdapter, BugInfo, InvariantMonitor } from './scenario/protocol.js';
export { shrinkScenario, concretize, type ShrinkResult } from './scenario/shrink.js';
export { scenarioArb, faultArb, faultScheduleArb, workloadArb, latencyArb, targetArb } from './scenario/arbitraries.js';
export { drawSwarmScenario, drawRecipeOneFaultScenario, drawSwarmProfileScenario, SWARM_PROFILES, RECIPE_FAULT_KINDS, type SwarmProfileName, type RecipeFaultKind, swarmFaultKinds, swarmKnobs, SWARM_FAULT_KINDS, type SwarmDraw, type SwarmProfile, type SwarmFaultKind, type Knob as SwarmKnob } from './scenario/swarm.js';
export type { Scenario, FaultAction, Expectations, NemesisSpec, WorkloadSpecMs, ProtocolName } from './scenario/types.js';
export { checkHistory, type LinResult } from './check/lin/checker.js';
export { parseEdnHistory } from './check/lin/edn.js';
export { parseJsonHistory } from './check/lin/json.js';
export type { HistoryEvent } from './check/lin/history.js';
export { checkPrimaryOrder } from './check/primary-order.js';
export { checkReads, type ReadCheckOp, type ReadCheckResult, type CommittedTxn, type SessionViolation } from './check/reads.js';
export { type ReadsReport, type DeposedSyncAnswer } from './scenario/reads.js';
export { traceHistoryToEdn, traceToShiViz } from './check/export.js';
export { DataTree, prepRequest } from './store/index.js';
export { explore, STRATEGIES, type ExploreOptions, type ExploreResult, type ExploreProgress, type Counterexample, type Strategy } from './explore/search.js';
export { World, SOMETIMES, type Sometimes, type WorldOptions } from './explore/world.js';
export { ControlledScheduler, ScheduleError, describeStep, type Budgets, type Choice, type ScheduleStep } from './explore/scheduler.js';
export { fingerprint, StateHasher } from './explore/fingerprint.js';
export { counterexampleScenario, replayCounterexample, type Replayed } from './explore/counterexample.js';
export { REDUCTIONS, serverLocalIndependence, type Reduction, type Independence, type Transition } from './explore/reduction.js';
export { guidedBfs, type GuidedResult } from './explore/guided.js';
