/**
 * The events one run may process unless told otherwise: far above every story (the
 * largest, primary-order on Paxos, takes about 100,000), low enough that a scenario of
 * 1e9 ms simulated time stops within a minute instead of running for days. A run that
 * keeps its trace in memory stops at DEFAULT_MAX_EVENTS_WITH_TRACE (the trace of 2M
 * events is about half a gigabyte of NDJSON).
 *
 * A module of its own, importing nothing, so the CLI can parse --max-events without
 * loading the simulator (a sweep starts its workers before it does: sim/cli/sweep.ts).
 */
export const DEFAULT_MAX_EVENTS = 10_000_000;
export const DEFAULT_MAX_EVENTS_WITH_TRACE = 2_000_000;
