/**
 * The explorer (sim/explore): the controlled scheduler runs the real nodes, fingerprints
 * are canonical, BFS finds a bug switch with a shortest schedule that `zablab run`
 * replays to the same invariant and trace hash, and with every switch off a bounded
 * space is explored with no violation and its "sometimes" properties reached.
 * Bounds are small (a warm-up to just before the first write): the big searches are
 * the bench's and the bug zoo's.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { explore } from '../../sim/explore/search.js';
import { counterexampleScenario, replayCounterexample } from '../../sim/explore/counterexample.js';
import { branchPoint } from '../../sim/explore/branch.js';
import { guidedBfs } from '../../sim/explore/guided.js';
import { World } from '../../sim/explore/world.js';
import type { Budgets, ScheduleStep } from '../../sim/explore/scheduler.js';
import { readTrace, TraceHasher, type TraceEvent } from '../../sim/core/trace.js';
import { zablab } from '../cli/helpers.js';
import { FILE, NO_FAULTS, SCENARIO, WARMUP, options } from './three-servers.js';


describe('the controlled scheduler', () => {
  it('drives the real nodes: the same choices give the same fingerprint in fresh worlds, whatever order independent messages take', () => {
    const world = () => new World(SCENARIO, zabAdapter, { seed: 1, budgets: NO_FAULTS, prefix: WARMUP });
    const a = world();
    const b = world();
    expect(a.fingerprint()).toBe(b.fingerprint());
    // Issue the write and let it reach the leader: proposals to both followers are in flight.
    const take = (w: World, wanted: (step: ScheduleStep) => boolean) => {
      const choice = w.choices().find((c) => wanted(c.step));
      expect(choice, `no such choice among ${w.choices().map((c) => JSON.stringify(c.step)).join(' ')}`).toBeDefined();
      w.apply(choice!);
    };
    for (const w of [a, b]) {
      take(w, (s) => s.e === 'env');
      take(w, (s) => s.e === 'client-request');
      take(w, (s) => s.e === 'deliver' && s.type === 'REQUEST');
    }
    expect(a.fingerprint()).toBe(b.fingerprint());
    const proposals = a.choices().filter((c) => c.step.e === 'deliver' && c.step.type === 'PROPOSAL');
    expect(proposals.map((c) => (c.step as { to: number }).to).sort()).toEqual([0, 1]);
    const before = a.fingerprint();
    // Deliver the two proposals in opposite orders: the same state.
    take(a, (s) => s.e === 'deliver' && s.type === 'PROPOSAL' && s.to === 0);
    expect(a.fingerprint()).not.toBe(before);
    take(a, (s) => s.e === 'deliver' && s.type === 'PROPOSAL' && s.to === 1);
    take(b, (s) => s.e === 'deliver' && s.type === 'PROPOSAL' && s.to === 1);
    expect(b.fingerprint()).not.toBe(a.fingerprint());
    take(b, (s) => s.e === 'deliver' && s.type === 'PROPOSAL' && s.to === 0);
    expect(b.fingerprint()).toBe(a.fingerprint());
  });

  it('keeps FIFO on connections: only the oldest message of a link can be delivered', () => {
    const w = new World(SCENARIO, zabAdapter, { seed: 1, budgets: NO_FAULTS });
    let queued = 0;
    // Boot and elect in the explorer's own steps, always delivering the newest deliverable message.
    for (let step = 0; step < 60; step++) {
      const pending = w.setup.cluster.pendingEvents().filter((e) => e.kind === 'deliver');
      const deliveries = w.choices().filter((c) => c.step.e === 'deliver');
      if (deliveries.length === 0) break;
      for (const choice of deliveries) {
        const { from, to, msg } = choice.step as { from: number; to: number; msg: number };
        const onLink = pending.filter((e) => e.peer === from && e.node === to).map((e) => e.id);
        if (onLink.length > 1) queued++;
        expect(msg, `the head of ${from}>${to}`).toBe(Math.min(...onLink));
      }
      w.apply(deliveries[deliveries.length - 1]);
    }
    expect(queued, 'some link held two messages at once').toBeGreaterThan(0);
  });
});

describe('search', () => {
  it('BFS finds applyWritesLocally with a shortest schedule, and zablab run replays it to the same invariant and hash', () => {
    const scenario = { ...SCENARIO, bugs: ['applyWritesLocally'] };
    const result = explore(scenario, zabAdapter, options({}));
    expect(result.violation?.invariant).toBe('Integrity');
    // The write issued, then it reaches server 0, which applies it itself: two choices.
    expect(result.violation?.depth).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'zablab-explore-'));
    const out = join(dir, 'cx.json');
    const cli = zablab(['explore', FILE, '--bug', 'applyWritesLocally', '--warmup-ms', '385', '--max-depth', '4', '--out', out, '--json']);
    expect(cli.code, cli.stderr).toBe(1);
    const reported = JSON.parse(cli.stdout) as { violation: { invariant: string; steps: number; traceHashAtViolation: string; replayed: { traceHash: string; reproduced: boolean } } };
    expect(reported.violation.invariant).toBe('Integrity');
    expect(reported.violation.steps).toBe(result.violation!.schedule.length);
    expect(reported.violation.traceHashAtViolation).toBe(result.violation!.traceHash);
    expect(reported.violation.replayed.reproduced).toBe(true);
    const trace = join(dir, 'cx.trace.json');
    const run = zablab(['run', out, '--json', '--trace', trace]);
    expect(run.code, run.stderr).toBe(0);
    const replay = JSON.parse(run.stdout) as { traceHash: string; halted: { invariant: string } };
    expect(replay.halted.invariant).toBe('Integrity');
    expect(replay.traceHash).toBe(reported.violation.replayed.traceHash);
    // Event by event, the replay is the explorer's run up to the violation.
    const events = readTrace(readFileSync(trace, 'utf8')).events;
    const hasher = new TraceHasher();
    let last = events.length - 1;
    while (last >= 0 && events[last].kind !== 'violation') last--;
    for (const event of events.slice(0, last + 1)) hasher.mixEvent(event);
    expect(hasher.digest()).toBe(result.violation!.traceHash);
    // Without the switch the same schedule breaks nothing.
    const file = JSON.parse(readFileSync(out, 'utf8')) as Scenario;
    const clean = runScenario({ ...file, bugs: [] }, zabAdapter, { seed: 1 });
    expect(clean.halted).toBeNull();
  });

  it('with every switch off, the bounded space after the warm-up is exhausted with no violation, and the write commits somewhere in it', () => {
    const result = explore(SCENARIO, zabAdapter, options({ maxDepth: 7, maxStates: 50_000 }));
    expect(result.violation).toBeNull();
    expect(result.exhausted).toBe(true);
    expect(result.unique).toBeGreaterThan(100);
    // The warm-up's leader does not count: no fault in the budget, so no election after it.
    expect(result.sometimes['leader established']).toBeNull();
    expect(result.sometimes['txn committed']).toBe(7); // the first write, on the shortest schedule
    // The client hears of it two steps later (the bench explores that far).
    expect(result.sometimes['operation ok']).toBeNull();
  }, 120_000);

  it('a second switch, applyOnPropose: found, and its counterexample replays to the same invariant and events', () => {
    const scenario = { ...SCENARIO, bugs: ['applyOnPropose'] };
    const result = explore(scenario, zabAdapter, options({}));
    expect(result.violation?.invariant).toBe('CommitConsistency');
    const file = counterexampleScenario(scenario, 'zab', 1, result.violation!, 'bfs');
    const replayed = replayCounterexample(file, zabAdapter, result.violation!);
    expect(replayed.invariant).toBe('CommitConsistency');
    expect(replayed.traceHashAtViolation).toBe(result.violation!.traceHash);
    expect(replayed.reproduced).toBe(true);
  });

  it('snapshots change nothing a search finds: with none kept (every state replayed from the initial one) the same space, states and sometimes', () => {
    const budgets: Budgets = { ...NO_FAULTS, crashes: 1 };
    for (const adapter of [zabAdapter, paxosAdapter]) {
      const kept = explore(SCENARIO, adapter, options({ maxDepth: 4, budgets }));
      const replayed = explore(SCENARIO, adapter, options({ maxDepth: 4, budgets, maxSnapshots: 0 }));
      expect(kept.snapshots).toBeGreaterThan(0);
      expect(replayed.stepsReplayed).toBeGreaterThan(kept.stepsReplayed);
      const figures = (r: typeof kept) => ({ states: r.states, unique: r.unique, depth: r.depth, cut: r.cutAtDepth, exhausted: r.exhausted, sometimes: r.sometimes });
      expect(figures(kept), adapter.name).toEqual(figures(replayed));
    }
  });

  it('depth-first and random walks find the same bug', () => {
    const scenario = { ...SCENARIO, bugs: ['applyWritesLocally'] };
    expect(explore(scenario, zabAdapter, options({ strategy: 'dfs' })).violation?.invariant).toBe('Integrity');
    expect(explore(scenario, zabAdapter, options({ strategy: 'random', maxDepth: 6, maxStates: 2_000 })).violation?.invariant).toBe('Integrity');
  });

  it('explores Paxos too: no violation in a small bounded space', () => {
    const result = explore(SCENARIO, paxosAdapter, options({ maxDepth: 3, maxStates: 2_000 }));
    expect(result.violation).toBeNull();
    expect(result.exhausted).toBe(true);
    expect(result.unique).toBeGreaterThan(5);
  });
});

describe('branching by hand (the lab\'s "choose the next event")', () => {
  it('lists the next events at a branch point; the clock\'s own next leaves the run as it is, another changes it, and the branch point is where the schedule ends', () => {
    const schedule: ScheduleStep[] = [{ e: 'run', untilMs: 385 }];
    const point = branchPoint({ ...SCENARIO, schedule }, zabAdapter, 1);
    expect(point.halted).toBeNull();
    expect(point.next.length).toBeGreaterThan(1);
    const clock = point.next.filter((n) => n.clock);
    expect(clock).toHaveLength(1);
    const hashOf = (steps: ScheduleStep[]) => runScenario({ ...SCENARIO, schedule: steps }, zabAdapter, { seed: 1 }).traceHash;
    const base = hashOf(schedule);
    expect(hashOf([...schedule, clock[0].step])).toBe(base);
    const other = point.next.find((n) => !n.clock && n.group !== 'fault')!;
    expect(hashOf([...schedule, other.step])).not.toBe(base);
    // The branch point is the last event the schedule's steps made.
    const world = new World(SCENARIO, zabAdapter, { seed: 1, budgets: NO_FAULTS, prefix: schedule });
    expect(point.atEvent).toBe(world.setup.cluster.trace.count);
    const after = branchPoint({ ...SCENARIO, schedule: [...schedule, other.step] }, zabAdapter, 1);
    expect(after.atEvent).toBeGreaterThan(point.atEvent);
  });
});

describe('schedules in scenario files', () => {
  it('replay exactly: the run of a schedule starts with the explorer\'s events for the same steps, and another order gives other events', () => {
    const budgets: Budgets = { ...NO_FAULTS, crashes: 1 };
    const world = new World(SCENARIO, zabAdapter, { seed: 1, budgets, prefix: WARMUP });
    const steps: ScheduleStep[] = [...WARMUP];
    // Against the clock's order: the proposal to 1 before the one to 0, then crash the leader.
    const wanted: ((s: ScheduleStep) => boolean)[] = [
      (s) => s.e === 'env',
      (s) => s.e === 'client-request',
      (s) => s.e === 'deliver' && s.type === 'REQUEST',
      (s) => s.e === 'deliver' && s.type === 'PROPOSAL' && s.to === 1,
      (s) => s.e === 'deliver' && s.type === 'PROPOSAL' && s.to === 0,
      (s) => s.e === 'crash' && s.node === 2,
    ];
    for (const want of wanted) {
      const choice = world.choices().find((c) => want(c.step))!;
      steps.push(choice.step);
      world.apply(choice);
    }
    const trace = world.setup.cluster.trace;
    const prefixHash = (events: readonly TraceEvent[]) => {
      const hasher = new TraceHasher();
      for (const event of events.slice(0, trace.count)) hasher.mixEvent(event);
      return hasher.digest();
    };
    const replay = runScenario({ ...SCENARIO, schedule: steps }, zabAdapter, { seed: 1, keepTrace: true });
    expect(prefixHash(replay.trace!.events)).toBe(trace.hash());
    const timeOrder = runScenario({ ...SCENARIO, schedule: WARMUP }, zabAdapter, { seed: 1, keepTrace: true });
    expect(prefixHash(timeOrder.trace!.events)).not.toBe(trace.hash());
  });

  it('a step that cannot happen is bad input: one line naming $.schedule[i], exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-schedule-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...SCENARIO, $schema: undefined, schedule: [{ e: 'run', untilMs: 385 }, { e: 'crash', node: 7 }] }));
    const run = zablab(['run', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\$\.schedule\[1\]: crash 7 cannot happen here/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('zablab explore refuses bad flags and never overwrites its scenario: one line, exit 2', () => {
    for (const args of [
      ['--strategy', 'xyz'],
      ['--warmup-ms', '5000'],
      ['--out', FILE],
    ]) {
      const run = zablab(['explore', FILE, ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(readFileSync(FILE, 'utf8')).toContain('"title": "Model checking');
  });

  it('a malformed step is refused by the schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zablab-schedule-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...SCENARIO, $schema: undefined, schedule: [{ e: 'deliver', from: 0 }] }));
    const run = zablab(['run', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/schedule/);
  });
});

describe('BFS from a guided start', () => {
  it('a random walk breaks a diffSkipsFirst run deep; BFS over its last choices finds the shortest way from there, and zablab run replays it to the same invariant and hash', () => {
    const scenario = { ...SCENARIO, bugs: ['diffSkipsFirst'] };
    const budgets: Budgets = { ...NO_FAULTS, crashes: 1 };
    const walk = explore(scenario, zabAdapter, options({ strategy: 'random', maxDepth: 60, maxStates: 5_000, budgets }));
    const deep = walk.violation!;
    expect(deep.depth).toBeGreaterThan(20);
    const tail = 8;
    const { result, prefixSteps } = guidedBfs(scenario, zabAdapter, deep, tail, { maxStates: 20_000, budgets, seed: 1 });
    expect(prefixSteps).toBe(deep.schedule.length - tail);
    // The shortest way to a violation from the walk's choice n - 8: at most the walk's own tail.
    const found = result.violation!;
    expect(found.depth).toBeLessThanOrEqual(tail);
    expect(found.schedule.slice(0, prefixSteps)).toEqual(deep.schedule.slice(0, prefixSteps));
    const file = counterexampleScenario(scenario, 'zab', 1, found, 'bfs');
    const replayed = replayCounterexample(file, zabAdapter, found);
    expect(replayed.reproduced).toBe(true);
    const run = runScenario(file, zabAdapter, { seed: 1 });
    expect(run.halted?.invariant).toBe(found.invariant);
    expect(run.traceHash).toBe(replayed.traceHash);
  }, 60_000);
});
