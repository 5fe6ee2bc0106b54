/**
 * Partial-order reduction (sim/explore/reduction.ts): sleep sets prune choices, never
 * states. On small bounded spaces of the real nodes the reduced search must reach the
 * same set of fingerprints (every state, and at the depth bound) and the same set of
 * invariant verdicts as the full one; an unsound independence relation must be caught by
 * the same comparison, or the comparison proves nothing.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { explore, type ExploreOptions, type ExploreResult } from '../../sim/explore/search.js';
import { serverLocalIndependence, type Independence, type Transition } from '../../sim/explore/reduction.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';
import { World } from '../../sim/explore/world.js';
import { ROOT } from '../cli/helpers.js';

const FILE = join(ROOT, 'scenarios', 'explore', 'three-servers-two-writes.json');
const SCENARIO: Scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const ONE_CRASH: Budgets = { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: 1_000_000 };

interface Space {
  result: ExploreResult;
  /** Every state reached: fingerprint → the invariant it breaks ('' for none). */
  verdicts: Map<number, string>;
  /** Fingerprints of the states first reached at the depth bound. */
  atBound: Set<number>;
}

function space(scenario: Scenario, adapter: ProtocolAdapter, maxDepth: number, reduction: Partial<ExploreOptions>): Space {
  const verdicts = new Map<number, string>();
  const atBound = new Set<number>();
  const result = explore(scenario, adapter, {
    strategy: 'bfs',
    maxDepth,
    maxStates: 200_000,
    budgets: ONE_CRASH,
    seed: 1,
    prefix: [{ e: 'run', untilMs: 385 }],
    stopAtViolation: false,
    ...reduction,
    onState: (fp, depth, invariant, fresh) => {
      if (!fresh) return;
      verdicts.set(fp, invariant ?? '');
      if (depth === maxDepth) atBound.add(fp);
    },
  });
  return { result, verdicts, atBound };
}

/** What differs between the full space and the reduced one (empty: nothing). */
function differences(full: Space, reduced: Space): string[] {
  const out: string[] = [];
  const missing = [...full.verdicts.keys()].filter((fp) => !reduced.verdicts.has(fp));
  if (missing.length > 0) out.push(`${missing.length} states the reduced search never reached`);
  const extra = [...reduced.verdicts.keys()].filter((fp) => !full.verdicts.has(fp));
  if (extra.length > 0) out.push(`${extra.length} states only the reduced search reached`);
  const kinds = (s: Space) => [...new Set(s.verdicts.values())].sort().join(',');
  if (kinds(full) !== kinds(reduced)) out.push(`verdicts ${kinds(full)} against ${kinds(reduced)}`);
  const boundMissing = [...full.atBound].filter((fp) => !reduced.atBound.has(fp)).length;
  if (boundMissing > 0) out.push(`${boundMissing} states at the bound missing`);
  const sometimes = (s: Space) => JSON.stringify(s.result.sometimes);
  if (sometimes(full) !== sometimes(reduced)) out.push(`sometimes ${sometimes(full)} against ${sometimes(reduced)}`);
  return out;
}

function compare(scenario: Scenario, adapter: ProtocolAdapter, maxDepth: number, independence?: Independence): { full: Space; reduced: Space; diff: string[] } {
  const full = space(scenario, adapter, maxDepth, { reduction: 'none' });
  const reduced = space(scenario, adapter, maxDepth, { reduction: 'sleep', independence });
  return { full, reduced, diff: differences(full, reduced) };
}

describe('sleep sets', () => {
  it('ZAB with every switch off: the same states, the same states at the bound, the same verdicts, fewer successors computed', () => {
    const { full, reduced, diff } = compare(SCENARIO, zabAdapter, 6);
    expect(diff).toEqual([]);
    expect(full.result.exhausted && reduced.result.exhausted).toBe(true);
    expect(reduced.result.unique).toBe(full.result.unique);
    expect(reduced.atBound.size).toBeGreaterThan(100);
    expect(reduced.result.pruned).toBeGreaterThan(0);
    expect(reduced.result.states).toBeLessThan(full.result.states);
  }, 60_000);

  it('Paxos (datagrams, where a crash commutes with its peers\' deliveries): the same states and verdicts', () => {
    const { full, reduced, diff } = compare(SCENARIO, paxosAdapter, 6);
    expect(diff).toEqual([]);
    expect(reduced.result.unique).toBe(full.result.unique);
    expect(reduced.result.states).toBeLessThan(full.result.states);
  }, 60_000);

  it('with a bug switch on, every violating state the full search reaches is reached too, with the same invariant', () => {
    const scenario = { ...SCENARIO, bugs: ['applyWritesLocally'] };
    const { full, diff } = compare(scenario, zabAdapter, 5);
    expect([...new Set(full.verdicts.values())]).toContain('Integrity');
    expect(diff).toEqual([]);
  }, 60_000);

  it('an unsound relation is caught by the same comparison: a reply reaching a client taken as independent of the servers\' events', () => {
    // It is not: the operation it completes goes into the history of the server it was invoked at, beside that server's own records.
    const repliesCommute: Independence = (a, b, cluster) => {
      const local = (t: Transition) => t.kind === 'deliver' || t.kind === 'sync' || t.kind === 'client-request';
      if ((a.kind === 'client-reply' && local(b)) || (b.kind === 'client-reply' && local(a))) return true;
      return serverLocalIndependence(a, b, cluster);
    };
    expect(compare(SCENARIO, paxosAdapter, 7, repliesCommute).diff).not.toEqual([]);
  }, 60_000);

  it('and so is one that lets a timer commute with other servers\' events (a timer moves the clock every handler reads)', () => {
    const timersCommute: Independence = (a, b, cluster) => {
      if (a.node !== b.node && (a.kind === 'timer' || b.kind === 'timer')) return true;
      return serverLocalIndependence(a, b, cluster);
    };
    expect(compare(SCENARIO, paxosAdapter, 6, timersCommute).diff).not.toEqual([]);
  }, 60_000);

  it('is the default for bfs and dfs, and dfs with it reaches the same states as without', () => {
    const dfs = (reduction: 'none' | 'sleep') => explore(SCENARIO, paxosAdapter, { strategy: 'dfs', maxDepth: 6, maxStates: 100_000, budgets: ONE_CRASH, seed: 1, prefix: [{ e: 'run', untilMs: 385 }], reduction });
    const full = dfs('none');
    const reduced = dfs('sleep');
    expect(reduced.unique).toBe(full.unique);
    expect(reduced.pruned).toBeGreaterThan(0);
    expect(full.pruned).toBe(0);
    const byDefault = explore(SCENARIO, paxosAdapter, { strategy: 'bfs', maxDepth: 5, maxStates: 100_000, budgets: ONE_CRASH, seed: 1, prefix: [{ e: 'run', untilMs: 385 }] });
    expect(byDefault.pruned).toBeGreaterThan(0);
  }, 60_000);
});

describe('naming a choice across states', () => {
  it('two equal datagrams at different places on one link are different transitions (the fingerprint tells them apart)', () => {
    const budgets: Budgets = { ...ONE_CRASH, crashes: 0 };
    const world = new World(SCENARIO, paxosAdapter, { seed: 1, budgets, prefix: [{ e: 'run', untilMs: 385 }] });
    // The write reaches the leader (server 1) through server 0; then its heartbeat ticks re-send the Accept.
    const take = (wanted: (step: ScheduleStep) => boolean) => world.apply(world.choices().find((c) => wanted(c.step))!);
    take((s) => s.e === 'env');
    take((s) => s.e === 'client-request');
    take((s) => s.e === 'deliver' && s.type === 'Forward');
    for (let i = 0; i < 5; i++) take((s) => s.e === 'timer');
    const choices = world.choices();
    const keys = world.transitions(choices);
    const accepts = choices.map((c, i) => ({ c, key: keys[i]?.key })).filter(({ c }) => c.step.e === 'deliver' && c.step.type === 'Accept' && c.step.from === 1 && c.step.to === 2);
    expect(accepts.length).toBeGreaterThan(1);
    expect(new Set(accepts.map((a) => a.key)).size).toBe(accepts.length);
    // Equal contents: only their places on the link tell them apart.
    const contents = accepts.map((a) => a.key!.split(' ').pop());
    expect(new Set(contents).size).toBeLessThan(accepts.length);
  });
});
