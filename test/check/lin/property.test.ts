/**
 * Property tests of the checker:
 * - on random small concurrent histories (with fail and info operations) it agrees
 *   with a brute-force enumeration of all orders, for every model;
 * - histories produced by real executions with random overlaps are linearizable;
 * - a single corruption that makes a history impossible is found;
 * - shrunk counterexamples are small and readable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../sim/check/lin/checker.js';
import { renderHistory } from '../../../sim/check/lin/explain.js';
import type { HistoryEvent } from '../../../sim/check/lin/history.js';
import type { AnyModel } from '../../../sim/check/lin/model.js';
import { casRegisterModel, multiRegisterModel, mutexModel, registerModel, znodeModel } from '../../../sim/check/lin/models/index.js';
import { generateCasHistory } from '../../bench/checker.js';
import {
  bruteForce,
  execute,
  historyArb,
  multiRegisterOpArb,
  mutexOpArb,
  registerOpArb,
  znodeOpArb,
  type ExecutedOp,
} from './helpers.js';

function agrees(model: AnyModel, events: HistoryEvent[]): void {
  const expected = bruteForce(events, model) ? 'linearizable' : 'not-linearizable';
  const result = checkHistory(events, model);
  expect(result.verdict, renderHistory(events)).toBe(expected);
  if (result.verdict === 'not-linearizable') {
    // The explanation names an operation of the history and says why it is stuck.
    expect(result.explanation?.reasons.length ?? 0).toBeGreaterThan(0);
  }
  // Local refutation (tried at once here, normally only when the search stalls)
  // never changes a verdict.
  expect(checkHistory(events, model, { refuteAfterSteps: 0 }).verdict, renderHistory(events)).toBe(expected);
}

describe('agrees with brute force on random small histories', () => {
  const cases: [string, AnyModel, fc.Arbitrary<HistoryEvent[]>][] = [
    ['cas-register', casRegisterModel(), historyArb(registerOpArb(true))],
    ['register', registerModel(), historyArb(registerOpArb(false))],
    ['mutex', mutexModel(), historyArb(mutexOpArb)],
    ['multi-register', multiRegisterModel(), historyArb(multiRegisterOpArb, { maxOps: 6 })],
    ['znode', znodeModel(), historyArb(znodeOpArb, { maxOps: 6 })],
  ];
  for (const [name, model, arb] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(arb, (events) => agrees(model, events)),
        { numRuns: name === 'cas-register' ? 600 : 300, seed: 4242 },
      );
    });
  }

  it('cas-register histories from real executions, then one random corruption', () => {
    const model = casRegisterModel();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(), fc.integer({ min: 0, max: 3 }), (seed, pick, value) => {
        const events = generateCasHistory({ ops: 6, processes: 3, seed, infoRate: 0.2, values: 3 });
        agrees(model, events);
        const completions = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'ok' && e.f === 'read');
        if (completions.length === 0) return;
        const { i } = completions[pick % completions.length];
        const corrupted = events.map((e, k) => (k === i ? { ...e, value } : e));
        agrees(model, corrupted);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

/** A reference ZooKeeper tree for executions: path → {data, version, cversion}. */
function zkApply(tree: Map<string, { data: unknown; version: number; cversion: number }>) {
  const parent = (p: string) => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
  const children = (p: string) => [...tree.keys()].filter((c) => c !== '/' && parent(c) === p).map((c) => c.slice(c.lastIndexOf('/') + 1));
  return (op: ExecutedOp<unknown>): { result: unknown } => {
    const a = op.invoke as { path: string; data?: unknown; version?: number; sequential?: boolean };
    const node = tree.get(a.path);
    switch (op.f) {
      case 'create': {
        const dir = tree.get(parent(a.path));
        if (!dir) return { result: 'NONODE' };
        const path = a.sequential ? a.path + String(dir.cversion).padStart(10, '0') : a.path;
        if (tree.has(path)) return { result: 'NODEEXISTS' };
        tree.set(path, { data: a.data, version: 0, cversion: 0 });
        dir.cversion++;
        return { result: path };
      }
      case 'delete':
        if (!node) return { result: 'NONODE' };
        if (a.version !== -1 && a.version !== node.version) return { result: 'BADVERSION' };
        if (children(a.path).length > 0) return { result: 'NOTEMPTY' };
        tree.delete(a.path); // the parent's cversion stays (ZooKeeper's DataTree.deleteNode, ZOOKEEPER-1046)
        return { result: null };
      case 'setData':
        if (!node) return { result: 'NONODE' };
        if (a.version !== -1 && a.version !== node.version) return { result: 'BADVERSION' };
        node.data = a.data;
        node.version++;
        return { result: node.version };
      case 'getData':
        return { result: node ? { data: node.data, version: node.version } : 'NONODE' };
      case 'exists':
        return { result: node !== undefined };
      default:
        return { result: node ? children(a.path).sort() : 'NONODE' };
    }
  };
}

function zkPlan(random: () => number): { f: string; invoke: unknown } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const path = pick(['/a', '/b', '/a/x', '/a/y', '/b/x', '/b/y']);
  switch (pick(['create', 'create', 'seq', 'delete', 'setData', 'getData', 'exists', 'getChildren'])) {
    case 'create':
      return { f: 'create', invoke: { path, data: pick(['d0', 'd1']) } };
    case 'seq':
      return { f: 'create', invoke: { path: pick(['/a/q-', '/b/q-', '/q-']), data: 'd', sequential: true } };
    case 'delete':
      return { f: 'delete', invoke: { path, version: pick([-1, 0, 1]) } };
    case 'setData':
      return { f: 'setData', invoke: { path, data: pick(['d0', 'd1']), version: pick([-1, 0, 1]) } };
    case 'getData':
      return { f: 'getData', invoke: { path } };
    case 'exists':
      return { f: 'exists', invoke: { path } };
    default:
      return { f: 'getChildren', invoke: { path: pick(['/', '/a', '/b']) } };
  }
}

describe('histories of real executions with random overlaps are linearizable', () => {
  it('cas-register', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 20, max: 300 }), (seed, processes, ops) => {
        const events = generateCasHistory({ ops, processes, seed, infoRate: 0.05, values: 4 });
        expect(checkHistory(events, 'cas-register').verdict).toBe('linearizable');
        // Refutation attempts at every stall must not invent a violation.
        expect(checkHistory(events, 'cas-register', { refuteAfterSteps: 0 }).verdict).toBe('linearizable');
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('mutex', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 6 }), (seed, processes) => {
        let holder: number | null = null;
        const events = execute<null>(
          seed,
          processes,
          20,
          (random, p) => ({ f: holder === p ? 'release' : random() < 0.8 ? 'acquire' : 'release', invoke: null }),
          (op) => {
            if (op.f === 'acquire' && holder === null) holder = op.process;
            else if (op.f === 'release' && holder === op.process) holder = null;
            else return { result: null, fail: true };
            return { result: null };
          },
          0.05,
        );
        expect(checkHistory(events, 'mutex').verdict).toBe('linearizable');
      }),
      { numRuns: 100, seed: 12 },
    );
  });

  it('multi-register', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 5 }), (seed, processes) => {
        const store = new Map<string, number>();
        const events = execute<unknown>(
          seed,
          processes,
          20,
          (random) => {
            const k = () => ['x', 'y', 'z', 'w'][Math.floor(random() * 4)];
            const txn = [0, 1].map(() => (random() < 0.5 ? ['read', k(), null] : ['write', k(), Math.floor(random() * 3)]));
            return { f: 'txn', invoke: txn };
          },
          (op) => ({
            result: (op.invoke as [string, string, unknown][]).map(([f, k, v]) => {
              if (f === 'read') return [f, k, store.get(k) ?? null];
              store.set(k, v as number);
              return [f, k, v];
            }),
          }),
          0.05,
        );
        expect(checkHistory(events, 'multi-register').verdict).toBe('linearizable');
      }),
      { numRuns: 100, seed: 13 },
    );
  });

  it('znode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 5 }), (seed, processes) => {
        const tree = new Map([['/', { data: null as unknown, version: 0, cversion: 0 }]]);
        const events = execute<unknown>(seed, processes, 15, (random) => zkPlan(random), zkApply(tree), 0.05);
        expect(checkHistory(events, 'znode').verdict).toBe('linearizable');
      }),
      { numRuns: 150, seed: 14 },
    );
  });

  it('znode, small, agrees with brute force (partitioning does not change the verdict)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(), (seed, pick) => {
        const tree = new Map([['/', { data: null as unknown, version: 0, cversion: 0 }]]);
        const events = execute<unknown>(seed, 3, 2, (random) => zkPlan(random), zkApply(tree), 0.15);
        agrees(znodeModel(), events);
        // Corrupt one definite result.
        const oks = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'ok');
        if (oks.length === 0) return;
        const { i } = oks[pick % oks.length];
        const swap: unknown[] = ['NONODE', 'NODEEXISTS', true, false, 1, [], { data: 'd1', version: 0 }, '/a/q-0000000001'];
        const corrupted = events.map((e, k) => (k === i ? { ...e, value: swap[pick % swap.length] } : e));
        try {
          agrees(znodeModel(), corrupted);
        } catch (e) {
          // A corruption may give a result of the wrong shape for the operation: bad input.
          if (!(e instanceof Error && e.name === 'HistoryError')) throw e;
        }
      }),
      { numRuns: 300, seed: 15 },
    );
  });
});

describe('corruptions that make a history impossible are found', () => {
  it('a read of a value never written, anywhere in a long history', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 10 }), fc.nat(), (seed, processes, pick) => {
        const events = generateCasHistory({ ops: 400, processes, seed, infoRate: 0.01 });
        const reads = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'ok' && e.f === 'read');
        const { i } = reads[pick % reads.length];
        const corrupted = events.map((e, k) => (k === i ? { ...e, value: 99 } : e));
        const result = checkHistory(corrupted, 'cas-register');
        expect(result.verdict).toBe('not-linearizable');
        const stuck = result.explanation?.ops.find((op) => op.id === result.explanation?.stuckOpId);
        expect(stuck?.completeValue).toBe(99);
        expect(result.explanation?.reasons[0]).toMatch(/^can't read 99 from register/);
      }),
      { numRuns: 60, seed: 21 },
    );
  });

  it('a stale read near the end of a long history (bench generator)', () => {
    for (const processes of [3, 5, 10]) {
      const events = generateCasHistory({ ops: 2000, processes, seed: processes, corrupt: true });
      const result = checkHistory(events, 'cas-register');
      expect(result.verdict).toBe('not-linearizable');
      expect(result.explanation?.stuckOpText).toMatch(/read 1000$/);
    }
  });
});

describe('shrunk counterexamples are readable', () => {
  it('a false claim about random histories shrinks to a tiny history with a clear explanation', () => {
    const model = casRegisterModel();
    const details = fc.check(
      fc.property(historyArb(registerOpArb(true)), (events) => checkHistory(events, model).verdict === 'linearizable'),
      { numRuns: 500, seed: 99 },
    );
    expect(details.failed).toBe(true);
    const [events] = details.counterexample as [HistoryEvent[]];
    // Minimal: one operation whose result no state explains (e.g. a read of 0 from nil).
    expect(events.length).toBeLessThanOrEqual(4);
    const result = checkHistory(events, model);
    const text = result.explanation?.text ?? '';
    expect(text).toMatch(/cannot be linearized/);
    expect(text).toMatch(/can't (read|CAS)/);
    expect(text.split('\n').length).toBeLessThan(20);
    expect(renderHistory(events)).toMatch(/^\s+p\d/);
  });
});
