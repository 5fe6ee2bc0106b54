/**
 * Availability figures (sim/check/availability.ts) on hand-built traces, where every
 * figure is known in advance, and on the whole-cluster crash story, where they can be
 * reasoned out: with every server down from 500 to 700 ms, no operation can succeed in
 * between, and none can write before a leader is elected again.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TraceEvent } from '../../sim/core/trace.js';
import { timelineFromEvents, type Timeline, type TimelineOp } from '../../sim/check/timeline.js';
import { availability, describeAvailability, percentile } from '../../sim/check/availability.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { readFileSync } from 'node:fs';

/** A trace built by hand: events in time order, seq numbered as written. */
function trace(build: (at: (ms: number, node: number, kind: string, fields?: Record<string, unknown>) => void) => void): TraceEvent[] {
  const events: TraceEvent[] = [];
  build((ms, node, kind, fields = {}) => events.push({ timeUs: ms * 1000, seq: events.length, node, kind, ...fields }));
  return events;
}

let nextOp = 0;
type At = Parameters<Parameters<typeof trace>[0]>[0];
/** An operation: invoked at `fromMs`, completed at `toMs` with `result`. */
function op(at: At, f: string, fromMs: number, toMs: number, result: 'ok' | 'fail' | 'info'): number {
  const opId = nextOp++;
  at(fromMs, 0, 'invoke', { client: opId % 3, process: opId, opId, f, value: null });
  at(toMs, 0, 'complete', { client: opId % 3, process: opId, opId, f, value: null, result });
  return opId;
}

/** Sorts events by time (the helper appends invoke and complete together), renumbering seq. */
const inOrder = (events: TraceEvent[]) => events.sort((a, b) => a.timeUs - b.timeUs || a.seq - b.seq).map((e, seq) => ({ ...e, seq }));

describe('availability on a hand-built leader crash', () => {
  // Leader 0 elected at 100 ms, crashes at 400 ms; server 1 is elected at 600 ms; 0 restarts at 900 ms.
  const events = inOrder(
    trace((at) => {
      at(100, 0, 'election', { leader: 0, epoch: 1 });
      op(at, 'setData', 300, 310, 'ok'); // 0: before the crash
      op(at, 'setData', 395, 402, 'ok'); // 1: in flight at the crash: committed before it, says nothing about recovery
      op(at, 'getData', 398, 404, 'ok'); // 2: in flight too
      op(at, 'getData', 410, 500, 'info'); // 3: a timeout in the outage
      op(at, 'setData', 420, 450, 'fail'); // 4: refused in the outage
      at(400, 0, 'crash');
      at(600, 1, 'election', { leader: 1, epoch: 2 });
      op(at, 'setData', 450, 620, 'ok'); // 5: the first write after the crash: 220 ms
      op(at, 'cas', 500, 625, 'ok'); // 6: a later write
      op(at, 'getData', 630, 640, 'ok'); // 7: the first read after the crash: 240 ms
      at(900, 0, 'restart');
      op(at, 'getData', 700, 705, 'ok'); // 8
    }),
  );
  const figures = availability(timelineFromEvents(events));

  it('times the first committed write and the first successful read from the crash, ignoring operations in flight at it', () => {
    expect(figures.faults).toHaveLength(1);
    const [crash] = figures.faults;
    expect(crash).toMatchObject({ kind: 'crash', nodes: [0], atUs: 400_000, endUs: 900_000 });
    expect(crash.firstWrite).toEqual({ opId: 5, f: 'setData', atUs: 620_000, afterUs: 220_000 });
    expect(crash.firstRead).toEqual({ opId: 7, f: 'getData', atUs: 640_000, afterUs: 240_000 });
    // The protocol's own recovery: server 1 elected 200 ms after the crash.
    expect(crash.nextLeader).toEqual({ node: 1, epoch: 2, afterUs: 200_000 });
  });

  it('finds the longest window with no successful operation and the unknown outcomes in it', () => {
    expect(figures.longestGap).toEqual({ startUs: 404_000, endUs: 620_000, durationUs: 216_000, infoOps: 1, infoOpIds: [3], failOps: 1 });
    expect(figures.okOps).toBe(7);
  });

  it('says so in plain lines', () => {
    expect(describeAvailability(figures)).toEqual([
      'crash [0] at 400.0 ms: first write ok after 220.0 ms (op 5 setData), first read ok after 240.0 ms (op 7 getData); next leader after 200.0 ms (server 1)',
      'longest window with no successful operation: 216.0 ms, 404.0 ms – 620.0 ms; 1 op(s) ended unknown in it (op 3), 1 failed',
    ]);
  });
});

describe('fault windows on the timeline', () => {
  it('merges servers crashed at one instant, and ends the window when the last one restarts', () => {
    const timeline = timelineFromEvents(
      trace((at) => {
        at(10, 0, 'crash');
        at(10, 1, 'crash');
        at(20, 0, 'restart');
        at(30, 1, 'restart');
      }),
    );
    expect(timeline.faults).toEqual([{ kind: 'crash', nodes: [0, 1], startUs: 10_000, seq: 0, endUs: 30_000 }]);
  });

  it('opens partitions, clogs, loss and duplication windows and closes them when undone', () => {
    const timeline = timelineFromEvents(
      trace((at) => {
        at(5, -1, 'partition', { groups: [[2], [0, 1]], cuts: [[2, 0], [2, 1], [0, 2], [1, 2]] });
        at(15, -1, 'heal');
        at(20, -1, 'clog', { from: 0, to: 1, untilUs: 40_000 });
        at(20, -1, 'clog', { from: 1, to: 0, untilUs: 40_000 });
        at(25, -1, 'net', { lossRate: 0.2 });
        at(35, -1, 'net', { lossRate: 0 });
        at(36, -1, 'net', { dupRate: 0.1 });
        at(37, 2, 'pause');
        at(50, -1, 'partition', { cuts: [[0, 2]], shape: 'random-node' });
      }),
    );
    expect(timeline.faults.map((f) => [f.kind, f.nodes, f.startUs / 1000, f.endUs === null ? null : f.endUs / 1000, f.rate])).toEqual([
      ['partition', [2], 5, 15, undefined],
      ['clog', [0, 1], 20, 40, undefined],
      ['loss', [], 25, 35, 0.2],
      ['duplicate', [], 36, null, 0.1],
      ['pause', [2], 37, null, undefined],
      ['partition', [2], 50, null, undefined],
    ]);
    expect(timeline.endUs).toBe(50_000);
  });

  it('measures no fault after the last invocation: no client was there to notice it', () => {
    const events = inOrder(
      trace((at) => {
        op(at, 'setData', 1, 2, 'ok');
        at(5, 1, 'crash');
      }),
    );
    expect(availability(timelineFromEvents(events)).faults).toEqual([]);
  });

  it('has no window without operations, and a whole-run window when nothing succeeded', () => {
    expect(availability(timelineFromEvents([])).longestGap).toBeNull();
    const events = inOrder(trace((at) => void op(at, 'setData', 10, 310, 'info')));
    expect(availability(timelineFromEvents(events)).longestGap).toMatchObject({ startUs: 10_000, endUs: 310_000, infoOps: 1 });
  });
});

describe('the first success after a fault, against the obvious search', () => {
  const opArb = fc.record({ invokeMs: fc.nat(200), durationMs: fc.nat(50), write: fc.boolean(), ok: fc.boolean() });
  it('agrees with a scan of every operation', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(fc.nat(250), { maxLength: 8 }), (specs, faultTimes) => {
        const ops: TimelineOp[] = specs.map((s, opId) => ({
          opId,
          client: 0,
          f: s.write ? 'setData' : 'getData',
          write: s.write,
          server: 0,
          invokeUs: s.invokeMs,
          invokeSeq: 0,
          completeUs: s.invokeMs + s.durationMs,
          result: s.ok ? 'ok' : 'info',
        }));
        const timeline: Timeline = { ops, faults: faultTimes.map((t, seq) => ({ kind: 'crash', nodes: [0], startUs: t, seq, endUs: null })), elections: [], endUs: 300 };
        const figures = availability(timeline);
        const lastInvoke = Math.max(...ops.map((o) => o.invokeUs));
        const measured = faultTimes.filter((t) => t <= lastInvoke);
        expect(figures.faults.map((f) => f.atUs)).toEqual(measured);
        figures.faults.forEach((fault) => {
          for (const write of [true, false]) {
            const candidates = ops.filter((o) => o.result === 'ok' && o.write === write && o.invokeUs >= fault.atUs);
            const best = Math.min(...candidates.map((o) => o.completeUs!));
            const got = write ? fault.firstWrite : fault.firstRead;
            expect(got?.atUs ?? Infinity).toBe(best);
          }
        });
      }),
    );
  });
});

describe('availability in the whole-cluster crash story (every server down from 500 to 700 ms)', () => {
  const file = new URL('../../scenarios/whole-cluster-crash.json', import.meta.url);
  const scenario = parseScenario(readFileSync(file, 'utf8'), 'whole-cluster-crash.json');
  for (const protocol of ['zab', 'paxos'] as const) {
    it(`${protocol}: nothing succeeds while every server is down, and no write before the next election`, () => {
      const result = runScenario(scenario, protocolAdapter(protocol), { seed: 3, keepTrace: true });
      const figures = result.availability;
      // The same figures from the trace file as from the run.
      expect(availability(timelineFromEvents(result.trace!.events))).toEqual(figures);
      const crash = figures.faults.find((f) => f.kind === 'crash')!;
      expect(crash).toMatchObject({ nodes: [0, 1, 2], atUs: 500_000, endUs: 700_000 });
      const reelected = result.leaders.find((l) => l.atUs >= 700_000)!;
      expect(reelected).toBeDefined();
      // No leader while every server is down: the next one is the re-election.
      expect(crash.nextLeader).toEqual({ node: reelected.node, epoch: reelected.epoch, afterUs: reelected.atUs - 500_000 });
      // A write needs a leader: none before the re-election, so at least 200 ms.
      expect(crash.firstWrite!.atUs).toBeGreaterThan(reelected.atUs);
      expect(crash.firstWrite!.afterUs).toBeGreaterThan(200_000);
      // Quorum reads are ordered through the leader too.
      expect(crash.firstRead!.atUs).toBeGreaterThan(reelected.atUs);
      // The outage [500, 700] lies inside the longest window without success.
      const gap = figures.longestGap!;
      expect(gap.startUs).toBeLessThanOrEqual(500_000);
      expect(gap.endUs).toBeGreaterThan(reelected.atUs);
      expect(gap.durationUs).toBeGreaterThanOrEqual(reelected.atUs - 500_000);
    });
  }
});

describe('percentiles (nearest rank)', () => {
  it('takes the value at rank ceil(p/100 · n)', () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect([50, 90, 99, 100].map((p) => percentile(sorted, p))).toEqual([50, 90, 100, 100]);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});
