/**
 * Loading scenarios: JSON parsing with line numbers, validation against the JSON
 * Schema, then the checks a schema cannot express (node ids within the cluster,
 * known bug switches). Every error names the file, the JSON path and what was expected.
 */
import AjvModule, { type ErrorObject } from 'ajv';
import { MAX_TIME_MS, MIN_TICK_TIME_MS, SCENARIO_SCHEMA, TIME_RESOLUTION_MS } from './schema.js';
import type { FaultAction, Scenario } from './types.js';

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${file}: ${path === '' ? '' : `${path}: `}${detail}`);
    this.name = 'ScenarioError';
  }
}

// ajv is CommonJS: under Node's ESM interop its class is the default export's `default`.
const AjvClass = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (options: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
};
const ajv = new AjvClass({ allErrors: true, strict: false });
const validate = ajv.compile(SCENARIO_SCHEMA);

function jsonPath(instancePath: string): string {
  if (instancePath === '') return '$';
  return (
    '$' +
    instancePath
      .split('/')
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
      .join('')
  );
}

/** The value at a JSON pointer of the document (for messages that quote it). */
function valueAt(doc: unknown, instancePath: string): unknown {
  let value = doc;
  for (const part of instancePath.split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

/** Bounds on times say why: the clock counts whole microseconds, and runs must stay finite. */
function describeBound(keyword: string, limit: number, value: unknown): string | undefined {
  const given = typeof value === 'number' ? `${value} ms` : 'the value';
  if (keyword === 'minimum' && limit === MIN_TICK_TIME_MS) {
    return `${given} is below the clock's resolution: servers tick every tickTime/2 and time is counted in whole microseconds, so tickTime must be at least ${MIN_TICK_TIME_MS} ms`;
  }
  if (keyword === 'minimum' && limit === TIME_RESOLUTION_MS) {
    return `${given} is below the clock's resolution: time is counted in whole microseconds, so a timeout or period must be at least ${TIME_RESOLUTION_MS} ms (it would be 0 µs)`;
  }
  if (keyword === 'maximum' && limit === MAX_TIME_MS) {
    return `${given} is longer than a scenario can simulate: at most ${MAX_TIME_MS} ms (about ${(MAX_TIME_MS / 86_400_000).toFixed(1)} days)`;
  }
  return undefined;
}

function describeError(error: ErrorObject, doc: unknown): [string, string] {
  const path = jsonPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'minimum':
    case 'maximum':
      return [path, describeBound(error.keyword, params.limit as number, valueAt(doc, error.instancePath)) ?? error.message ?? 'out of range'];
    case 'additionalProperties':
      return [`${path}.${String(params.additionalProperty)}`, `unknown field "${String(params.additionalProperty)}"`];
    case 'required':
      return [path, `missing required field "${String(params.missingProperty)}"`];
    case 'enum':
      return [path, `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`];
    case 'const':
      return [path, `expected ${JSON.stringify(params.allowedValue)}`];
    case 'type':
      return [path, `expected ${String(params.type)}`];
    case 'pattern':
      return [path, `expected ${(SCENARIO_TARGET_HINT)}`];
    default:
      return [path, error.message ?? 'invalid'];
  }
}

const SCENARIO_TARGET_HINT = 'a target: leader, follower, any, all, others, minority, majority, minority-with-leader, majority-without-leader, node:N or a node number';

/** Picks the most telling error: the deepest one that is not a schema combinator's summary. */
function bestError(errors: ErrorObject[]): ErrorObject {
  const concrete = errors.filter((e) => !['if', 'oneOf', 'anyOf', 'allOf'].includes(e.keyword));
  const pool = concrete.length > 0 ? concrete : errors;
  // For latency oneOf failures, prefer the branch that matched the "kind".
  return pool.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best), pool[0]);
}

export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parses and validates scenario JSON text. `knownBugs` lists valid bug switch names. */
export function parseScenario(text: string, file: string, knownBugs?: ReadonlySet<string>): Scenario {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? `line ${lineOf(text, Number(position[1]))}` : '';
    throw new ScenarioError(file, '', `invalid JSON${where ? ` at ${where}` : ''} (${message})`);
  }
  return validateScenario(doc, file, knownBugs);
}

/** A target's two forms failing together (a string that is no target name and no number) read as one. */
function isTargetMismatch(errors: ErrorObject[], chosen: ErrorObject): boolean {
  // Only targets use anyOf in the schema: both of its forms failed here.
  return errors.some((e) => e.instancePath === chosen.instancePath && e.keyword === 'anyOf');
}

/** The scenario with fault targets given as node numbers written "node:N" (the canonical form); the input is left as it is. */
function normalizeTargets(scenario: Scenario): Scenario {
  if (scenario.faults === undefined) return scenario;
  const named = (t: unknown): string => (typeof t === 'number' ? `node:${t}` : (t as string));
  const faults = scenario.faults.map((fault) => {
    const f: Record<string, unknown> = { ...fault };
    for (const key of ['target', 'from', 'to', 'isolate']) if (key in f) f[key] = named(f[key]);
    if (Array.isArray(f.groups)) f.groups = (f.groups as unknown[][]).map((group) => group.map(named));
    return f as unknown as FaultAction;
  });
  return { ...scenario, faults };
}

export function validateScenario(doc: unknown, file: string, knownBugs?: ReadonlySet<string>): Scenario {
  if (!validate(doc)) {
    const errors = validate.errors ?? [];
    const chosen = bestError(errors);
    const [path, detail] = isTargetMismatch(errors, chosen) ? [jsonPath(chosen.instancePath), `expected ${SCENARIO_TARGET_HINT}`] : describeError(chosen, doc);
    throw new ScenarioError(file, path, detail);
  }
  const scenario = normalizeTargets(doc as unknown as Scenario);
  const servers = scenario.cluster.servers;
  const checkNode = (node: number, path: string) => {
    if (node >= servers) throw new ScenarioError(file, path, `node ${node} does not exist: the cluster has servers 0..${servers - 1}`);
  };
  const checkTarget = (target: string, path: string) => {
    const match = /^node:(\d+)$/.exec(target);
    if (match) checkNode(Number(match[1]), path);
  };
  (scenario.cluster.observers ?? []).forEach((node, i) => checkNode(node, `$.cluster.observers[${i}]`));
  if ((scenario.cluster.observers ?? []).length >= servers) throw new ScenarioError(file, '$.cluster.observers', 'at least one server must vote');
  (scenario.network?.links ?? []).forEach((link, i) => {
    checkNode(link.from, `$.network.links[${i}].from`);
    checkNode(link.to, `$.network.links[${i}].to`);
  });
  (scenario.faults ?? []).forEach((fault, i) => {
    const base = `$.faults[${i}]`;
    if ('target' in fault) checkTarget(fault.target, `${base}.target`);
    if ((fault.action === 'crash' || fault.action === 'pause') && fault.target !== 'syncing') {
      if (fault.delayMs !== undefined) throw new ScenarioError(file, `${base}.delayMs`, 'delayMs applies only to the target "syncing" (the delay after the server starts to synchronize)');
      if (fault.withLeaderMs !== undefined) throw new ScenarioError(file, `${base}.withLeaderMs`, 'withLeaderMs applies only to a crash of the target "syncing" (its leader crashes too)');
      if (fault.syncKind !== undefined) throw new ScenarioError(file, `${base}.syncKind`, 'syncKind applies only to the target "syncing" (the synchronization it waits for)');
      if (fault.at !== undefined) throw new ScenarioError(file, `${base}.at`, 'at applies only to the target "syncing" (the step of the synchronization delayMs counts from)');
    }
    if (fault.action === 'pause' && fault.withLeaderMs !== undefined) throw new ScenarioError(file, `${base}.withLeaderMs`, 'withLeaderMs applies only to a crash of the target "syncing", not to a pause');
    if ('from' in fault) checkTarget(fault.from, `${base}.from`);
    if ('to' in fault) checkTarget(fault.to, `${base}.to`);
    if ('isolate' in fault && fault.isolate !== undefined) checkTarget(fault.isolate, `${base}.isolate`);
    if (fault.action === 'partition') {
      const given = [fault.groups !== undefined, fault.shape !== undefined, fault.isolate !== undefined].filter(Boolean).length;
      if (given !== 1) throw new ScenarioError(file, base, 'a partition needs exactly one of "groups", "shape" or "isolate"');
      (fault.groups ?? []).forEach((group, g) => group.forEach((t, k) => checkTarget(t, `${base}.groups[${g}][${k}]`)));
    }
    if (fault.action === 'pause-client') {
      const clients = scenario.workload?.clients ?? 0;
      if (fault.client >= clients) throw new ScenarioError(file, `${base}.client`, `client ${fault.client} does not exist (${clients === 0 ? 'the story has no clients' : `the workload has ${clients} client${clients === 1 ? '' : 's'}: 0 … ${clients - 1}`})`);
    }
    if (fault.atMs > scenario.durationMs) throw new ScenarioError(file, `${base}.atMs`, `${fault.atMs} ms is after the end of the story (durationMs ${scenario.durationMs})`);
  });
  if (scenario.faults !== undefined && scenario.nemesis !== undefined) throw new ScenarioError(file, '$.nemesis', 'give either a fault script ("faults") or a random nemesis, not both');
  if (knownBugs !== undefined) {
    (scenario.bugs ?? []).forEach((bug, i) => {
      if (!knownBugs.has(bug)) throw new ScenarioError(file, `$.bugs[${i}]`, `unknown bug switch "${bug}" (zablab bugs lists them)`);
    });
  }
  const w = scenario.workload;
  (w?.servers ?? []).forEach((node, i) => checkNode(node, `$.workload.servers[${i}]`));
  (w?.connectStrings ?? []).forEach((list, i) => list.forEach((node, k) => checkNode(node, `$.workload.connectStrings[${i}][${k}]`)));
  if (w?.lockResource !== undefined && w.recipe !== 'lock') {
    throw new ScenarioError(file, '$.workload.lockResource', 'a resource guarded by the lock needs the lock recipe ("recipe": "lock")');
  }
  if (w?.recipe === undefined && w?.clientRecipes === undefined && w !== undefined && w.mix !== undefined && Object.values(w.mix).every((weight) => !weight)) {
    throw new ScenarioError(file, '$.workload.mix', 'at least one operation needs a positive weight');
  }
  if (w !== undefined && w.recipe === undefined && w.clientRecipes === undefined) {
    (w.clientMixes ?? []).forEach((mix, i) => {
      if (Object.values(mix).every((weight) => !weight)) throw new ScenarioError(file, `$.workload.clientMixes[${i}]`, 'at least one operation needs a positive weight');
    });
  }
  return scenario;
}
