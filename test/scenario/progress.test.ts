/**
 * A long run reports its progress (simulated time) and stops at its events limit; neither
 * changes the run: the hash is the same with and without them.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import { ROOT } from '../cli/helpers.js';

const file = join(ROOT, 'scenarios', 'election-cold-start-3.json');
const story = { ...parseScenario(readFileSync(file, 'utf8'), file), durationMs: 45_000 };

describe('progress and the events limit', () => {
  it('reports simulated time every 100,000 events without changing the run', () => {
    const plain = runScenario(story, protocolAdapter('zab'), { seed: 4 });
    const seen: number[] = [];
    const watched = runScenario(story, protocolAdapter('zab'), { seed: 4, onProgress: (nowUs, endUs) => seen.push(nowUs, endUs) });
    expect(watched.traceHash).toBe(plain.traceHash);
    // (Every 100,000 events of the queue; the trace counts more, sends among them.)
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[1]).toBeGreaterThanOrEqual(45_000_000);
  });

  it('stops at maxEvents as a halt, with no verdict, and the prefix it ran is the same run', () => {
    const stopped = runScenario(story, protocolAdapter('zab'), { seed: 4, maxEvents: 20_000, keepTrace: true });
    expect(stopped.limit).toMatchObject({ maxEvents: 20_000 });
    expect(stopped.ok).toBe(false);
    expect(stopped.events).toBeGreaterThanOrEqual(20_000);
    expect(stopped.halted?.invariant).toBe('events limit');
    expect(stopped.expectations.every((e) => e.status !== 'failed')).toBe(true);
    const whole = runScenario(story, protocolAdapter('zab'), { seed: 4, keepTrace: true });
    expect(whole.limit).toBeUndefined();
    const prefix = whole.trace!.events.slice(0, 15_000).map((e) => e.seq);
    expect(stopped.trace!.events.slice(0, 15_000).map((e) => e.seq)).toEqual(prefix);
  });
});
