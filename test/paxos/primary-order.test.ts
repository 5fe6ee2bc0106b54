import { describe, expect, it } from 'vitest';
import { attachPrimaryOrder, checkPrimaryOrder, PAXOS_PRIMARY_ORDER_NOTE, type PrimaryOrderMonitor } from '../../sim/check/primary-order.js';
import { checkHistory } from '../../sim/check/lin/checker.js';
import { paxosConfig } from '../../sim/paxos/index.js';
import { readFileSync } from 'node:fs';
import { validateScenario } from '../../sim/scenario/load.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { figureOneScenario, twoLeaderScenario } from './scenarios.js';

const noGuard = () => paxosConfig({ staleTxnGuard: false });

describe('primary order: the contrast with ZAB (PROTOCOLS.md §12)', () => {
  it('the two-leader scenario makes Paxos choose a txn without the earlier txn of its leader; the guard discards it when it is applied', () => {
    const run = twoLeaderScenario();
    const events = run.cluster.trace.events;
    // Paxos did nothing wrong by its own rules...
    expect(run.invariants.violations).toEqual([]);
    // ...yet every surviving replica learned a no-op, then B (L1's 4th txn) without its 3rd, A,
    // and discarded B at apply time (stale): it was computed against a state with A.
    for (const node of [1, 2]) {
      const commits = events.filter((e) => e.kind === 'commit' && e.node === node && [3, 4].includes(e.index as number)).map((e) => [e.index, e.command, e.originSeq, e.stale === true]);
      expect(commits).toEqual([
        [3, 'noop', 0, false],
        [4, 'txn', 4, true],
      ]);
    }
    // What the replicas applied keeps primary order: only applied txns count.
    const result = checkPrimaryOrder(events);
    expect(result.ok).toBe(true);
    expect(result.discarded).toBe(2);
    expect(result.firstDiscarded).toMatch(/^node 1 discarded txn #4 of paxos:b\d+ \(create \/q\/item-0000000001\) at apply time: it was chosen without #3 of the same primary/);
    // So what clients saw is linearizable: C got item 0.
    expect(run.outcomes.C).toMatchObject({ kind: 'reply', reply: { result: { ok: true, path: '/q/item-0000000000' } } });
    expect(checkHistory(run.history, 'znode').verdict).toBe('linearizable');
  });

  it('without the stale-txn guard B is applied without A: primary order broken, and the history not linearizable', () => {
    const run = twoLeaderScenario(noGuard());
    expect(run.invariants.violations).toEqual([]);
    const result = checkPrimaryOrder(run.cluster.trace.events);
    expect(result.discarded).toBe(0);
    expect(result.violations.map((v) => [v.invariant, v.node])).toEqual([
      ['LocalPrimaryOrder', 1],
      ['LocalPrimaryOrder', 2],
    ]);
    expect(result.violations[0].message).toMatch(/^node 1 committed txn #4 of paxos:b\d+ \(create \/q\/item-0000000001\) without #3 of the same primary/);
    expect(result.violations[0].message).toContain(PAXOS_PRIMARY_ORDER_NOTE);
    expect(checkHistory(run.history, 'znode').verdict).toBe('not-linearizable');
  });

  it('the online check reports the same as it happens, as trace violations, without halting', () => {
    let monitor: PrimaryOrderMonitor | undefined;
    const run = twoLeaderScenario(noGuard(), (cluster) => (monitor = attachPrimaryOrder(cluster)));
    expect(run.cluster.haltReason).toBeNull();
    expect(monitor!.violations).toEqual(checkPrimaryOrder(run.cluster.trace.events).violations);
    const recorded = run.cluster.trace.events.filter((e) => e.kind === 'violation');
    expect(recorded.map((e) => e.invariant)).toEqual(['LocalPrimaryOrder', 'LocalPrimaryOrder']);
  });

  it("the Zab paper's Figure 1 (three leaders): the guard discards B; without it the replicas break local and global primary order", () => {
    const guarded = figureOneScenario();
    expect(guarded.invariants.violations).toEqual([]);
    const kept = checkPrimaryOrder(guarded.cluster.trace.events);
    expect(kept.ok).toBe(true);
    expect(kept.discarded).toBeGreaterThan(0);
    expect(checkHistory(guarded.history, 'znode').verdict).toBe('linearizable');

    const run = figureOneScenario(noGuard());
    expect(run.invariants.violations).toEqual([]);
    const result = checkPrimaryOrder(run.cluster.trace.events);
    const kinds = new Set(result.violations.map((v) => v.invariant));
    expect([...kinds].sort()).toEqual(['GlobalPrimaryOrder', 'LocalPrimaryOrder']);
    const global = result.violations.find((v) => v.invariant === 'GlobalPrimaryOrder')!;
    expect(global.message).toMatch(/committed txn #5 of paxos:b\d+ \(create \/q\/item-0000000001\) after a txn of the newer primary paxos:b\d+/);
  });
});

describe('primary order past error txns', () => {
  // An error txn (a create that found the node) changes no state: the next txn of its
  // primary was computed on the same state, and assumes the state-changing txn before it.
  const ev = (seq: number, kind: string, node: number, originSeq: number, type: string) =>
    ({ timeUs: seq, seq, node, kind, origin: 'paxos:b4', originSeq, command: 'txn', txn: { type, path: '/k' } }) as never;
  it('a node that applies #3 without the error txn #2, after #1, keeps primary order', () => {
    const events = [ev(1, 'propose', 0, 1, 'create'), ev(2, 'propose', 0, 2, 'error'), ev(3, 'propose', 0, 3, 'setData'), ev(4, 'commit', 1, 1, 'create'), ev(5, 'commit', 1, 3, 'setData')];
    expect(checkPrimaryOrder(events).violations).toEqual([]);
  });
  it('without #1 it does not: the error txn #2 is skipped, the state-changing #1 is not', () => {
    const events = [ev(1, 'propose', 0, 1, 'create'), ev(2, 'propose', 0, 2, 'error'), ev(3, 'propose', 0, 3, 'setData'), ev(4, 'commit', 1, 3, 'setData')];
    const result = checkPrimaryOrder(events);
    expect(result.violations.map((v) => v.message)).toEqual([expect.stringMatching(/^node 1 committed txn #3 of paxos:b4 \(setData \/k\) without #1 of the same primary/)]);
  });
  it('a missing txn that is not an error txn is a violation', () => {
    const events = [ev(1, 'propose', 0, 1, 'create'), ev(2, 'propose', 0, 2, 'setData'), ev(3, 'commit', 1, 1, 'create'), ev(4, 'commit', 1, 3, 'setData')];
    expect(checkPrimaryOrder(events).violations.map((v) => v.invariant)).toEqual(['LocalPrimaryOrder']);
  });
});

describe('primary order after a node takes its state in whole (ZAB: a restart replays its log)', () => {
  // ZAB swarm 14679 (a leader-latch workload, slow disks, an operator's restart): leader 3
  // proposed #303 (a create), #304 and #305 (error txns) and was restarted before any
  // COMMIT. Every server had logged #303 and applied it only by replaying its own log
  // (fast-forward on the way back to LOOKING; a restart's loadDataBase), which records no
  // commit per txn. Node 3, restored up to #303, then got #304 and #305 from the next
  // leader's DIFF: primary order kept, though no node ever committed #303 by a COMMIT.
  const propose = (seq: number, originSeq: number, type: string) =>
    ({ timeUs: seq, seq, node: 3, kind: 'propose', index: 1000 + originSeq, origin: 'zab:e1', originSeq, txn: { type } }) as never;
  const commit = (seq: number, node: number, originSeq: number, type: string, how: Record<string, boolean>) =>
    ({ timeUs: seq, seq, node, kind: 'commit', index: 1000 + originSeq, origin: 'zab:e1', originSeq, txn: { type }, ...how }) as never;
  const restore = (seq: number, lastProcessedZxid: number) => ({ timeUs: seq, seq, node: 3, kind: 'restore', reason: 'start', lastProcessedZxid }) as never;
  const story = (restoredUpTo: number) => [
    propose(0, 302, 'create'),
    restore(0, 1302),
    propose(1, 303, 'create'),
    propose(2, 304, 'error'),
    propose(3, 305, 'error'),
    commit(4, 3, 303, 'create', { replay: true }),
    { timeUs: 5, seq: 5, node: 3, kind: 'crash' } as never,
    restore(6, restoredUpTo),
    commit(7, 3, 304, 'error', { sync: true }),
    commit(8, 3, 305, 'error', { sync: true }),
  ];
  it('a node restored up to #303 that then commits #304 keeps primary order', () => {
    expect(checkPrimaryOrder(story(1303)).violations).toEqual([]);
  });
  it('restored only up to #302, the same #304 is committed without #303: a violation', () => {
    const result = checkPrimaryOrder(story(1302));
    expect(result.violations.map((v) => v.message)).toEqual([expect.stringMatching(/^node 3 committed txn #304 of zab:e1 \(error\) without #303 of the same primary/)]);
  });
  it('the run of swarm 14679 reports primary order kept', () => {
    const scenario = validateScenario(JSON.parse(readFileSync(new URL('../fixtures/zab-14679-primary-order.json', import.meta.url), 'utf8')), 'zab-14679');
    const result = runScenario(scenario, protocolAdapter('zab'), { seed: 14679 });
    expect(result.primaryOrder.violations).toEqual([]);
    expect(result.primaryOrder.commits).toBeGreaterThan(2000);
  }, 60_000);
});
