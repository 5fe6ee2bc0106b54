/**
 * The swarm generator (sim/scenario/swarm.ts): a draw is a pure function of its seed,
 * always a valid scenario, and over a few hundred seeds it reaches every fault kind and
 * every setting it promises; it names liveness expectations only where the drawn
 * settings allow them. The runs themselves are in swarm-slice.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../sim/scenario/load.js';
import { allBugs } from '../../sim/scenario/protocols.js';
import { drawSwarmScenario, RECIPE_SHARE, swarmFaultKinds, swarmKnobs, type SwarmDraw } from '../../sim/scenario/swarm.js';
import { RECIPES } from '../../sim/client/recipes.js';
import type { FaultAction, ProtocolName } from '../../sim/scenario/types.js';
import * as zablab from '../../sim/index.js';

const SEEDS = 500;
const PROTOCOLS: ProtocolName[] = ['zab', 'paxos'];
const draws = (protocol: ProtocolName): SwarmDraw[] => Array.from({ length: SEEDS }, (_, i) => drawSwarmScenario(protocol, i + 1));
const DRAWS: Record<ProtocolName, SwarmDraw[]> = { zab: draws('zab'), paxos: draws('paxos') };

describe('swarm draws', () => {
  it('the package exports the generator: a draw runs as it is and meets what it names', () => {
    const { scenario, seed } = zablab.drawSwarmScenario('zab', 3);
    const result = zablab.runScenario(scenario, zablab.protocolAdapter('zab'), { seed });
    expect(zablab.failedExpectations(result)).toEqual([]);
  });

  it('a ZAB draw whose sessions cannot outlive a touch, with a syncLimit under a loaded acknowledgement, expects no recovery (swarm zab 117819)', () => {
    const draw = drawSwarmScenario('zab', 117_819);
    expect(draw.scenario.expect?.recovers).toBeUndefined();
    expect(draw.scenario.expect?.converge).toBe(false);
    expect(draw.profile.liveness.omitted.join(' ')).toMatch(/granted session of 20 ms, shorter than a touch's way to the leader/);
  });

  it('ZAB draws expect primary order to hold (ZAB promises it); Paxos draws do not (it does not)', () => {
    expect(DRAWS.zab.every((d) => d.scenario.expect?.primaryOrder === 'hold')).toBe(true);
    expect(DRAWS.paxos.every((d) => d.scenario.expect?.primaryOrder === undefined)).toBe(true);
  });

  for (const protocol of PROTOCOLS) {
    it(`${protocol}: the same seed draws the same scenario; other seeds draw others`, () => {
      for (const seed of [1, 2, 77, 123_456]) {
        expect(drawSwarmScenario(protocol, seed)).toEqual(drawSwarmScenario(protocol, seed));
      }
      const texts = new Set(DRAWS[protocol].map((d) => JSON.stringify(d.scenario.faults ?? []) + JSON.stringify(d.scenario.cluster)));
      expect(texts.size).toBeGreaterThan(SEEDS * 0.95);
      // The run seed is the swarm seed, written into the scenario: `zablab run` replays it.
      expect(DRAWS[protocol].every((d, i) => d.seed === i + 1 && d.scenario.seed === i + 1)).toBe(true);
    });

    it(`${protocol}: ${SEEDS} draws are valid scenarios (the schema and the loader's checks), with a bug switch too`, () => {
      const known = new Set(allBugs().map((b) => b.name));
      for (const draw of DRAWS[protocol]) {
        expect(() => validateScenario(JSON.parse(JSON.stringify(draw.scenario)), `swarm-${draw.seed}`, known)).not.toThrow();
        expect(draw.scenario.protocols).toEqual([protocol]);
      }
      const bug = allBugs().find((b) => b.protocol === protocol)!.name;
      const withBug = drawSwarmScenario(protocol, 5, { bugs: [bug] });
      expect(withBug.scenario.bugs).toEqual([bug]);
      expect({ ...withBug.scenario, bugs: undefined }).toEqual({ ...drawSwarmScenario(protocol, 5).scenario, bugs: undefined });
    });

    it(`${protocol}: profiles differ in their mix: some without faults, many with one kind, some with most`, () => {
      const counts = DRAWS[protocol].map((d) => d.profile.kinds.length);
      expect(counts.filter((c) => c === 0).length).toBeGreaterThan(SEEDS * 0.03);
      expect(counts.filter((c) => c === 1).length).toBeGreaterThan(SEEDS * 0.25);
      expect(counts.filter((c) => c >= 5).length).toBeGreaterThan(SEEDS * 0.03);
      // The faults drawn are of the profile's kinds only (client pauses, drawn for recipes on a stream of their own, aside).
      const strays = DRAWS[protocol].flatMap(({ profile, scenario }) => (scenario.faults ?? []).filter((f) => f.action !== 'pause-client' && !profile.kinds.includes(kindOf(f) as never)).map((f) => `seed ${scenario.seed}: ${JSON.stringify(f)}`));
      expect(strays).toEqual([]);
    });
  }
});

/** The swarm kind a fault action belongs to. */
function kindOf(fault: FaultAction): string {
  switch (fault.action) {
    case 'crash':
      return fault.target === 'leader' ? 'leader-crash' : fault.target === 'syncing' ? 'sync-crash' : fault.target === 'all' ? 'cluster-restart' : ['majority', 'majority-without-leader', 'minority-with-leader'].includes(fault.target) ? 'majority-crash' : 'crash';
    case 'restart-all':
      return 'cluster-restart';
    case 'pause':
    case 'resume-all':
      return 'pause';
    case 'heal':
      return 'loss';
    default:
      return fault.action;
  }
}

describe(`swarm coverage over ${SEEDS} seeds`, () => {
  for (const protocol of PROTOCOLS) {
    const all = DRAWS[protocol];
    const scenarios = all.map((d) => d.scenario);
    const faults = scenarios.flatMap((s) => s.faults ?? []);

    it(`${protocol}: every fault kind, every cluster size from 3 to 9, every partition shape`, () => {
      for (const kind of swarmFaultKinds(protocol)) expect(all.some((d) => d.profile.kinds.length === 1 && d.profile.kinds[0] === kind), `${kind} alone`).toBe(true);
      for (const kind of swarmFaultKinds(protocol)) expect(faults.some((f) => kindOf(f) === kind), kind).toBe(true);
      expect(new Set(scenarios.map((s) => s.cluster.servers))).toEqual(new Set([3, 4, 5, 6, 7, 8, 9]));
      const partitions = faults.filter((f): f is Extract<FaultAction, { action: 'partition' }> => f.action === 'partition');
      for (const shape of ['halves', 'random-node', 'bridge', 'majorities-ring']) expect(partitions.some((f) => f.shape === shape), shape).toBe(true);
      expect(partitions.some((f) => f.isolate === 'leader')).toBe(true);
      expect(partitions.some((f) => (f.groups?.length ?? 0) >= 3)).toBe(true);
      expect(partitions.some((f) => f.durationMs === undefined)).toBe(true); // until a heal
      expect(faults.some((f) => f.action === 'cut' && f.from === 'all')).toBe(true); // hears nobody
      expect(faults.some((f) => f.action === 'cut' && f.to === 'others')).toBe(true); // reaches nobody
      expect(faults.some((f) => f.action === 'crash' && f.target === 'all' && f.durationMs !== undefined)).toBe(true);
      expect(faults.some((f) => f.action === 'restart-all')).toBe(true);
      expect(faults.some((f) => f.action === 'resume-all')).toBe(true);
      expect(all.filter((d) => d.profile.extremes.includes('repeated-majority-crash')).length).toBeGreaterThan(5);
    });

    it(`${protocol}: disks from sub-millisecond to over 20 ms, durable writes, lossy and slow networks, every read mode, hot keys`, () => {
      const diskMax = scenarios.map((s) => (s.storage?.syncLatency?.kind === 'uniform' ? s.storage.syncLatency.maxMs : 0));
      expect(diskMax.some((ms) => ms > 0 && ms < 1)).toBe(true);
      expect(diskMax.filter((ms) => ms > 20).length).toBeGreaterThan(SEEDS * 0.05);
      expect(scenarios.some((s) => s.storage?.durableImmediately === true)).toBe(true);
      expect(scenarios.some((s) => (s.network?.lossRate ?? 0) > 0)).toBe(true);
      if (protocol === 'paxos') expect(scenarios.some((s) => (s.network?.dupRate ?? 0) > 0)).toBe(true);
      expect(scenarios.some((s) => s.network?.latency?.kind === 'lognormal')).toBe(true);
      expect(scenarios.some((s) => (s.network?.links?.length ?? 0) > 0)).toBe(true);
      expect(new Set(scenarios.map((s) => s.workload?.readMode).filter(Boolean))).toEqual(new Set(['local', 'sync', 'quorum']));
      expect(scenarios.some((s) => s.workload?.keys === 1 && (s.workload.mix?.cas ?? 0) > 0)).toBe(true);
      expect(scenarios.some((s) => s.workload === undefined)).toBe(true);
      expect(new Set(scenarios.map((s) => s.workload?.ratePerSec).filter(Boolean)).size).toBeGreaterThanOrEqual(5);
    });

    it(`${protocol}: connect strings (each client knows some servers) in about one draw with clients in eight (a quarter of those fast enough to connect within 100 ms), the membership recipe's among them`, () => {
      const withClients = all.filter((d) => d.scenario.workload !== undefined);
      const drawn = withClients.filter((d) => d.scenario.workload?.connectStrings !== undefined);
      expect(drawn.length).toBeGreaterThan(withClients.length * 0.06);
      expect(drawn.length).toBeLessThan(withClients.length * 0.3);
      for (const d of drawn) {
        expect(d.profile.extremes).toContain('connect-strings');
        const w = d.scenario.workload!;
        for (const list of w.connectStrings!) expect(list.every((n) => n >= 0 && n < d.scenario.cluster.servers) && list.length > 0).toBe(true);
      }
      expect(drawn.some((d) => d.scenario.workload!.connectStrings!.some((list) => list.length === 1))).toBe(true);
      // Membership among them (rare: recipes in about one draw in ten, connect strings in one in eight of those).
      const membership = (d: SwarmDraw) => {
        const w = d.scenario.workload;
        return w?.connectStrings !== undefined && [...(w.clientRecipes ?? []), ...(w.recipe !== undefined ? [w.recipe] : [])].includes('membership');
      };
      let seed = 1;
      while (seed < 20_000 && !membership(drawSwarmScenario(protocol, seed))) seed++;
      expect(seed).toBeLessThan(20_000);
    });

    it(`${protocol}: the settings taken to an edge differ too: none in some draws, nearly all in others, each one in many`, () => {
      const knobs = swarmKnobs(protocol);
      expect(all.filter((d) => d.profile.knobs.length === 0).length).toBeGreaterThan(SEEDS * 0.1);
      expect(all.filter((d) => d.profile.knobs.length >= knobs.length - 2).length).toBeGreaterThan(SEEDS * 0.05);
      for (const knob of knobs) expect(all.filter((d) => d.profile.knobs.includes(knob)).length, knob).toBeGreaterThan(SEEDS * 0.05);
    });

    if (protocol === 'zab') {
      it('zab: observers, zxid counters of 5-8 bits, tiny committed logs, tickTime and the limits at their edges, pauses around tickTime/2', () => {
        expect(scenarios.some((s) => (s.cluster.observers?.length ?? 0) > 0)).toBe(true);
        const bits = new Set(scenarios.map((s) => s.cluster.counterBits).filter((b) => b !== undefined));
        expect(bits).toEqual(new Set([5, 6, 7, 8]));
        expect(scenarios.some((s) => (s.cluster.committedLogSize ?? 500) <= 2)).toBe(true);
        const ticks = new Set(scenarios.map((s) => s.cluster.tickTimeMs));
        for (const tick of [1, 20, 250]) expect(ticks.has(tick), `tickTime ${tick}`).toBe(true);
        expect(scenarios.some((s) => s.cluster.syncLimit === 1)).toBe(true);
        expect(scenarios.some((s) => s.cluster.initLimit === 1)).toBe(true);
        expect(all.some((d) => d.profile.extremes.includes('sync-limit-boundary'))).toBe(true);
        expect(all.some((d) => d.profile.extremes.includes('init-limit-boundary'))).toBe(true);
        const nearHalfTick = scenarios.some((s) => (s.faults ?? []).some((f) => f.action === 'pause' && f.durationMs !== undefined && Math.abs(f.durationMs - s.cluster.tickTimeMs! / 2) <= s.cluster.tickTimeMs! / 4));
        expect(nearHalfTick).toBe(true);
      });
    } else {
      it('paxos: election timeouts at their edges, duplicated datagrams', () => {
        const timeouts = scenarios.map((s) => s.cluster.electionTimeoutMs).filter((t) => t !== undefined);
        expect(Math.min(...timeouts)).toBeLessThanOrEqual(5);
        expect(Math.max(...timeouts)).toBeGreaterThanOrEqual(100);
        expect(faults.some((f) => f.action === 'duplicate')).toBe(true);
      });
    }

    it(`${protocol}: recipe workloads in up to ${RECIPE_SHARE * 100}% of the draws (where a request can finish before it times out), every recipe among them, alone and side by side; their completion promised only where the recipes can finish`, () => {
      const recipeDraws = scenarios.filter((s) => s.workload?.recipe !== undefined || s.workload?.clientRecipes !== undefined);
      expect(recipeDraws.length).toBeGreaterThan(SEEDS * 0.06);
      expect(recipeDraws.length).toBeLessThan(SEEDS * RECIPE_SHARE * 1.3);
      const drawn = new Set(recipeDraws.flatMap((s) => s.workload!.clientRecipes ?? [s.workload!.recipe!]));
      expect([...drawn].sort()).toEqual([...RECIPES].sort());
      expect(recipeDraws.some((s) => s.workload!.clientRecipes !== undefined)).toBe(true);
      for (const s of recipeDraws) {
        const e = s.expect!;
        // Safety always; completion ('hold') only with recovery, sessions of 400 ms or more and a full zxid counter.
        expect(e.recipe).toBe(e.recovers === true ? 'hold' : 'safe');
        if (e.recipe === 'hold') expect(s.cluster.counterBits).toBeUndefined();
      }
      expect(recipeDraws.some((s) => s.expect!.recipe === 'hold')).toBe(true);
      expect(recipeDraws.some((s) => s.expect!.recipe === 'safe')).toBe(true);
      for (const s of scenarios) if (s.workload?.recipe === undefined && s.workload?.clientRecipes === undefined) expect(s.expect?.recipe).toBeUndefined();
      // Client GC pauses: only where no recipe's promise rests on a client's belief or on timing.
      const paused = scenarios.filter((s) => (s.faults ?? []).some((f) => f.action === 'pause-client'));
      expect(paused.length).toBeGreaterThan(0);
      for (const s of paused) {
        for (const name of s.workload!.clientRecipes ?? [s.workload!.recipe!]) expect(['config', 'queue', 'barrier', 'double-barrier', 'counter']).toContain(name);
        for (const f of s.faults!) if (f.action === 'pause-client') expect(f.client).toBeLessThan(s.workload!.clients);
        expect(s.expect!.allOpsComplete).toBeUndefined();
      }
    });

    it(`${protocol}: names each liveness expectation in some draws, and never where the settings rule it out`, () => {
      const named = (key: 'recovers' | 'allOpsComplete' | 'leaderWithinMs') => scenarios.filter((s) => s.expect?.[key] !== undefined && s.expect[key] !== false).length;
      expect(named('recovers')).toBeGreaterThan(SEEDS * 0.5);
      expect(named('allOpsComplete')).toBeGreaterThan(3);
      expect(named('leaderWithinMs')).toBeGreaterThan(10);
      for (const { scenario, profile } of all) {
        const e = scenario.expect!;
        expect(e.invariants).toBe('hold');
        expect(e.linearizable === true || scenario.workload === undefined || (protocol === 'zab' && scenario.workload.readMode === 'sync')).toBe(true);
        // Liveness needs a quiet time; converge only with recovers, and where recovery is
        // expected without it, the draw says why (sessions made again for ever).
        if (e.converge === true) expect(e.recovers).toBe(true);
        if (e.recovers === true && e.converge !== true) expect(profile.liveness.omitted.some((why) => why.startsWith('converge: with a granted session'))).toBe(true);
        if (profile.extremes.includes('short-heal')) expect(e.recovers).toBeUndefined();
        // Only leader crashes (and harmless duplicates) allow a leader within a bound of each.
        if (e.leaderWithinMs !== undefined) expect(profile.kinds.every((k) => k === 'leader-crash' || k === 'duplicate')).toBe(true);
        // Every operation completes only without disruptive faults, zxid rollover or short sessions.
        if (e.allOpsComplete) {
          expect((scenario.faults ?? []).every((f) => f.action === 'duplicate' || ((f.action === 'pause' || f.action === 'clog') && f.durationMs !== undefined))).toBe(true);
          expect(scenario.cluster.counterBits).toBeUndefined();
          // Sessions of at least the default 400 ms, as the servers grant them (2 to 20 ticks).
          const tickMs = protocol === 'zab' ? (scenario.cluster.tickTimeMs ?? 20) : 20;
          expect(Math.min(20 * tickMs, Math.max(2 * tickMs, scenario.workload?.sessionTimeoutMs ?? 400))).toBeGreaterThanOrEqual(400);
          if (protocol === 'zab') expect(scenario.cluster.tickTimeMs).toBeGreaterThanOrEqual(20);
          expect(scenario.network?.lossRate ?? 0).toBe(0);
        }
        if (e.recovers === undefined) expect(profile.liveness.omitted.some((why) => why.startsWith('recovers'))).toBe(true);
      }
    });
  }
});
