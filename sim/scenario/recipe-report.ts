/**
 * A recipe story's verdict rebuilt from its trace, as sim/scenario/run.ts reaches it:
 * the history from the trace's `invoke` / `complete` events (lin-report.ts), each
 * recipe's own operations of its own clients, the same checkers (sim/check/recipes.ts)
 * with the same context — the clients' session timeout from the scenario, the leader
 * changes from the trace's `election` events. The lab draws the recipe lane from the
 * per-recipe histories this returns.
 *
 * `endUs` is when the run ended (RunResult.simTimeUs); a role still believed then is
 * counted to that time. A trace file does not record it: its last event's time stands in
 * (the run closes pending operations at its end, so the two agree whenever one was open).
 */
import type { TraceEvent } from '../core/trace.js';
import type { HistoryEvent } from '../check/lin/history.js';
import { ExpiryWatch, clientExpiries } from '../check/cut-off.js';
import { checkRecipe, combineRecipeReports, type RecipeReport } from '../check/recipes.js';
import { RECIPE_OPS, RECIPES, recipeGroups, type RecipeName } from '../client/recipes.js';
import { historyFromTrace } from './lin-report.js';
import { clientSessionEnds, expectationsFor, noteSessionEnd, recipeContextOf, workloadSpec } from './run.js';
import type { ProtocolName, Scenario } from './types.js';

export interface RecipeGroupHistory {
  readonly recipe: RecipeName;
  readonly clients: readonly number[];
  /** The recipe's own operations of its clients, in order (both halves of each). */
  readonly events: readonly HistoryEvent[];
  /** Its checker's report (undefined: the recipe has no checker). */
  readonly report?: RecipeReport;
}

export interface RecipeTraceReport {
  readonly groups: readonly RecipeGroupHistory[];
  /** The run's recipe verdict (several recipes: one report over all). */
  readonly report?: RecipeReport;
}

/** Whether a scenario's workload runs a recipe; a file's scenario is not trusted to be well formed. */
function recipeScenario(scenario: Scenario | undefined): boolean {
  const w = scenario?.workload as { recipe?: unknown; clientRecipes?: unknown; clients?: unknown } | undefined;
  if (w === undefined || w === null || typeof w !== 'object' || typeof w.clients !== 'number' || !Number.isInteger(w.clients) || w.clients <= 0 || w.clients > 10_000) return false;
  const known = (name: unknown) => RECIPES.includes(name as RecipeName);
  if (Array.isArray(w.clientRecipes) && w.clientRecipes.length > 0) return w.clientRecipes.every(known);
  return known(w.recipe);
}

/**
 * undefined: the scenario runs no recipe. `clientSessions` (a trace's
 * `meta.clientSessions`: each client's session ids, which the events do not say) lets
 * the checkers know when each client's sessions ended at the servers, as the run does;
 * without it they go by what the clients learned.
 */
export function recipeFromTrace(
  events: readonly TraceEvent[],
  scenario: Scenario | undefined,
  endUs?: number,
  meta: { protocol?: unknown; clientSessions?: unknown; clientConnections?: unknown } = {},
): RecipeTraceReport | undefined {
  const { clientSessions, clientConnections } = meta;
  if (scenario === undefined || !recipeScenario(scenario)) return undefined;
  const spec = workloadSpec(scenario);
  const groups = recipeGroups(spec);
  if (groups.length === 0) return undefined;
  const { history, ops, opOfEvent } = historyFromTrace(events);
  const end = endUs ?? (events.length > 0 ? events[events.length - 1].timeUs : 0);
  // The trace's own protocol (a scenario may name both), else the scenario's first.
  const protocol: ProtocolName = meta.protocol === 'zab' || meta.protocol === 'paxos' ? meta.protocol : (scenario.protocols?.[0] ?? 'zab');
  // Client pauses (pause-client faults) from their trace records, as the run keeps them.
  const clientPauses: { client: number; fromUs: number; toUs: number }[] = [];
  for (const e of events) {
    if (e.kind === 'pause-client') clientPauses.push({ client: Number(e.client), fromUs: e.timeUs, toUs: -1 });
    else if (e.kind === 'resume-client') for (const p of clientPauses) if (p.client === Number(e.client) && p.toUs < 0) p.toUs = e.timeUs;
  }
  for (const p of clientPauses) if (p.toUs < 0) p.toUs = end;
  const context = recipeContextOf(
    spec,
    events.filter((e) => e.kind === 'election').map((e) => e.timeUs),
    clientPauses,
    // Only the safety promises where the run expects only those (a swarm draw names one protocol).
    expectationsFor(scenario, protocol).recipe === 'safe',
    sessionEndsOfTrace(events, clientSessions),
    { scenario, protocol },
    clientExpiriesOfTrace(events, clientSessions, clientConnections),
    numberLists(clientConnections) ? clientConnections : undefined,
  );
  const per = groups.map((group): RecipeGroupHistory => {
    const fs = new Set(RECIPE_OPS[group.recipe]);
    const mine = history.filter((e, i) => fs.has(ops[opOfEvent[i]].f) && group.clients.includes(e.process as number));
    const report = checkRecipe(group.recipe, mine, end, context);
    return { recipe: group.recipe, clients: group.clients, events: mine, ...(report !== undefined ? { report } : {}) };
  });
  const report = combineRecipeReports(per.flatMap((group) => (group.report === undefined ? [] : [group.report])));
  return { groups: per, ...(report !== undefined ? { report } : {}) };
}

const numberLists = (x: unknown): x is number[][] => Array.isArray(x) && x.every((list) => Array.isArray(list) && list.every((n) => Number.isSafeInteger(n)));

/**
 * Each leader's expiry of a client's session, with the server the client was connected to
 * then (sim/check/cut-off.ts), from the trace's deliveries and proposals and its meta's
 * sessions and connections; undefined where the meta does not say (an older trace).
 */
function clientExpiriesOfTrace(events: readonly TraceEvent[], clientSessions: unknown, clientConnections: unknown): ReturnType<typeof clientExpiries> | undefined {
  if (!numberLists(clientSessions) || !numberLists(clientConnections)) return undefined;
  let servers = 0;
  for (const e of events) if (e.node >= servers) servers = e.node + 1;
  return clientExpiries(clientSessions, clientConnections, ExpiryWatch.ofTrace(events, servers).proposals);
}

/** When each client's sessions ended at the servers, from the trace's closeSession commits and its meta's sessions. */
function sessionEndsOfTrace(events: readonly TraceEvent[], clientSessions: unknown): ReturnType<typeof clientSessionEnds> | undefined {
  if (!numberLists(clientSessions)) return undefined;
  const endsUs = new Map<number, number>();
  const atServersUs = new Map<number, Map<number, number>>();
  for (const e of events) if (e.kind === 'commit') noteSessionEnd(e, endsUs, atServersUs);
  return clientSessionEnds(clientSessions, endsUs, atServersUs);
}
