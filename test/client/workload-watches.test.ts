/**
 * Random workloads that set watches (WorkloadSpec.watchShare, scenario `workload.watches`):
 * reads carry watch=true and the server fires the watches on later changes.
 */
import { describe, expect, it } from 'vitest';
import { History } from '../../sim/client/history.js';
import { startWorkload, type WorkloadSpec } from '../../sim/client/workload.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { runFor, servingZab } from '../zab/harness.js';

const spec = (watchShare: number | undefined): WorkloadSpec => ({
  clients: 3,
  ratePerSec: 100,
  mix: { getData: 3, exists: 1, setData: 3, create: 1, delete: 1 },
  keys: 2,
  readMode: 'local',
  startUs: 0,
  stopUs: 600_000,
  ...(watchShare !== undefined ? { watchShare } : {}),
});

function run(watchShare: number | undefined) {
  const { cluster } = servingZab({ servers: 3, seed: 4 });
  const history = new History(cluster.trace);
  const workload = startWorkload(cluster as never, history, spec(watchShare));
  runFor(cluster, 800_000);
  const events = workload.clients.flatMap((client) => client.watchEvents.filter((event) => event.kind === 'watch'));
  return { events, ops: history.ops.map((op) => `${op.f}:${JSON.stringify(op.value)}:${String(op.result)}`) };
}

describe('random workloads with watches', () => {
  it('reads set watches that fire on later changes; without watches, none fire', () => {
    const watched = run(1);
    expect(watched.events.length).toBeGreaterThan(10);
    expect(new Set(watched.events.map((event) => (event.kind === 'watch' ? event.type : '')))).toContain('NodeDataChanged');
    expect(run(undefined).events).toEqual([]);
  });

  it('a scenario with watches meets the same expectations through a leader crash, on both protocols', () => {
    const scenario: Scenario = {
      title: 'watches',
      explanation: '',
      cluster: { servers: 3 },
      durationMs: 1500,
      workload: { clients: 3, ratePerSec: 50, keys: 2, watches: 1, mix: { getData: 2, setData: 2, exists: 1, create: 1, delete: 1 } },
      faults: [{ atMs: 600, action: 'crash', target: 'leader', durationMs: 300 }],
      expect: { linearizable: true, converge: true },
    };
    for (const protocol of ['zab', 'paxos'] as const) expect(runScenario(scenario, protocolAdapter(protocol), { seed: 1 }).ok).toBe(true);
  });
});
