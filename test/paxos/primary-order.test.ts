import { describe, expect, it } from 'vitest';
import { attachPrimaryOrder, checkPrimaryOrder, PAXOS_PRIMARY_ORDER_NOTE, type PrimaryOrderMonitor } from '../../sim/check/primary-order.js';
import { checkHistory } from '../../sim/check/lin/checker.js';
import { paxosConfig } from '../../sim/paxos/index.js';
import { figureOneScenario, twoLeaderScenario } from './scenarios.js';

describe('primary order: the contrast with ZAB (PROTOCOLS.md §12)', () => {
  it('the two-leader scenario makes Paxos commit a txn without the earlier txn of its leader', () => {
    const run = twoLeaderScenario();
    const events = run.cluster.trace.events;
    const result = checkPrimaryOrder(events);
    // Paxos did nothing wrong by its own rules...
    expect(run.invariants.violations).toEqual([]);
    // ...yet every surviving replica committed a no-op, then B (L1's 4th txn) without its 3rd, A.
    for (const node of [1, 2]) {
      const commits = events.filter((e) => e.kind === 'commit' && e.node === node && [3, 4].includes(e.index as number)).map((e) => [e.index, e.command, e.originSeq, e.stale === true]);
      expect(commits).toEqual([
        [3, 'noop', 0, false],
        [4, 'txn', 4, true],
      ]);
    }
    expect(result.ok).toBe(false);
    expect(result.violations.map((v) => [v.invariant, v.node])).toEqual([
      ['LocalPrimaryOrder', 1],
      ['LocalPrimaryOrder', 2],
    ]);
    expect(result.violations[0].message).toMatch(/^node 1 committed txn #4 of paxos:b\d+ \(create \/q\/item-0000000001\) without #3 of the same primary/);
    expect(result.violations[0].message).toContain(PAXOS_PRIMARY_ORDER_NOTE);
    // The stale-txn guard discarded B, so what clients saw is linearizable: C got item 0.
    expect(run.outcomes.C).toMatchObject({ kind: 'reply', reply: { result: { ok: true, path: '/q/item-0000000000' } } });
    expect(checkHistory(run.history, 'znode').verdict).toBe('linearizable');
  });

  it('the online check reports the same as it happens, as trace violations, without halting', () => {
    let monitor: PrimaryOrderMonitor | undefined;
    const run = twoLeaderScenario(undefined, (cluster) => (monitor = attachPrimaryOrder(cluster)));
    expect(run.cluster.haltReason).toBeNull();
    expect(monitor!.violations).toEqual(checkPrimaryOrder(run.cluster.trace.events).violations);
    const recorded = run.cluster.trace.events.filter((e) => e.kind === 'violation');
    expect(recorded.map((e) => e.invariant)).toEqual(['LocalPrimaryOrder', 'LocalPrimaryOrder']);
  });

  it("the Zab paper's Figure 1 (three leaders) breaks local and global primary order", () => {
    const run = figureOneScenario();
    expect(run.invariants.violations).toEqual([]);
    const result = checkPrimaryOrder(run.cluster.trace.events);
    const kinds = new Set(result.violations.map((v) => v.invariant));
    expect([...kinds].sort()).toEqual(['GlobalPrimaryOrder', 'LocalPrimaryOrder']);
    const global = result.violations.find((v) => v.invariant === 'GlobalPrimaryOrder')!;
    expect(global.message).toMatch(/committed txn #5 of paxos:b\d+ \(create \/q\/item-0000000001\) after a txn of the newer primary paxos:b\d+/);
    expect(run.outcomes.D).toMatchObject({ kind: 'reply', reply: { kind: 'result' } });
    expect(checkHistory(run.history, 'znode').verdict).toBe('linearizable');
  });

  it('without the stale-txn guard the same run is not linearizable', () => {
    const run = twoLeaderScenario(paxosConfig({ staleTxnGuard: false }));
    expect(run.invariants.violations).toEqual([]);
    const lin = checkHistory(run.history, 'znode');
    expect(lin.verdict).toBe('not-linearizable');
  });
});
