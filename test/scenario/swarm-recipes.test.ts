/**
 * What recipe workloads in the swarm found (sim/scenario/swarm.ts, drawRecipeWorkload),
 * kept as regressions: each draw meets every expectation it names.
 */
import { describe, expect, it } from 'vitest';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { drawSwarmScenario } from '../../sim/scenario/swarm.js';

describe('swarm draws with recipes', () => {
  it('paxos 17901: a group member that leaves while its create is retried is not made again after it left', () => {
    const { scenario } = drawSwarmScenario('paxos', 17901);
    expect(scenario.workload?.clientRecipes).toContain('membership');
    const result = runScenario(scenario, protocolAdapter('paxos'), { seed: 17901 });
    expect(failedExpectations(result).map((e) => `${e.name}: ${e.detail}`)).toEqual([]);
    // The watcher's last listing is empty: every member that left is gone.
    const views = result.history.filter((e) => e.f === 'view' && e.type === 'ok');
    expect(views[views.length - 1].value).toEqual([]);
  });
});
