/**
 * The real client library (sim/client/) against Paxos servers: sessions, pings,
 * refusals and reconnects, with faults; the history of writes and quorum reads must
 * be linearizable. (Checks that Paxos serves the same wire protocol as ZAB.)
 */
import { describe, expect, it } from 'vitest';
import { attachPaxosInvariants } from '../../sim/check/paxos/index.js';
import { checkHistory } from '../../sim/check/lin/checker.js';
import { History } from '../../sim/client/history.js';
import { startWorkload } from '../../sim/client/workload.js';
import { paxosCluster, stableLeader } from './harness.js';

describe('Paxos serves the client library (sim/client)', () => {
  for (const readMode of ['quorum', 'sync'] as const) {
    it(`runs its workload through crashes and partitions; writes + ${readMode} reads are linearizable`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const cluster = paxosCluster({ servers: 5, seed, keepTrace: false, network: { lossRate: 0.01, dupRate: 0.05 } });
        const invariants = attachPaxosInvariants(cluster);
        const history = new History(cluster.trace);
        const workload = startWorkload(cluster, history, { clients: 5, ratePerSec: 200, mix: { getData: 4, setData: 3, cas: 2, create: 1, delete: 1 }, keys: 3, readMode, startUs: 0, stopUs: 1_500_000 });
        cluster.at(300_000, () => cluster.crash(stableLeader(cluster) ?? 0));
        cluster.at(500_000, () => cluster.partition([[0, 1], [2, 3, 4]]));
        cluster.at(800_000, () => {
          cluster.heal();
          for (const id of cluster.serverIds) cluster.restart(id);
        });
        cluster.start();
        cluster.run({ untilUs: 1_500_000 });
        workload.stop();
        cluster.run({ untilUs: 2_500_000 });
        expect(invariants.violations).toEqual([]);
        const ok = history.ops.filter((op) => op.result === 'ok').length;
        expect(ok, `seed ${seed}`).toBeGreaterThan(300);
        const lin = checkHistory(history.select((op) => op.f !== 'getData' || op.readMode === readMode), 'znode');
        expect(lin.verdict, lin.explanation?.text).toBe('linearizable');
      }
    }, 60_000);
  }
});
