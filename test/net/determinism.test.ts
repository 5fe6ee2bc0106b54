import { describe, expect, it } from 'vitest';
import { faultyRingRun } from '../bench/ring.js';

describe('determinism', () => {
  it('gives identical trace hashes for the same seed and different ones across seeds (200 seeds, twice)', () => {
    for (const channel of ['connection', 'datagram'] as const) {
      const first = new Map<string, number>();
      for (let seed = 1; seed <= 200; seed++) {
        const a = faultyRingRun(seed, channel).trace.hash();
        const b = faultyRingRun(seed, channel).trace.hash();
        expect(b).toBe(a);
        expect(first.has(a), `seed ${seed} collides with seed ${first.get(a)}`).toBe(false);
        first.set(a, seed);
      }
      expect(first.size).toBe(200);
    }
  });

  it('gives the same hash whether or not events are kept in memory', () => {
    for (let seed = 1; seed <= 20; seed++) {
      expect(faultyRingRun(seed, 'connection', true).trace.hash()).toBe(faultyRingRun(seed, 'connection', false).trace.hash());
    }
  });
});
