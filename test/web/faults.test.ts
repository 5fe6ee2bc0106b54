/**
 * The lab names faults as they are written: scenario files may name a server by its
 * number (the loader accepts N for node:N), and the ZOOKEEPER-1675 story does.
 */
import { describe, expect, it } from 'vitest';
import { describeFault } from '../../web/src/faults.js';
import type { FaultAction } from '../../sim/scenario/types.js';

describe('describeFault', () => {
  it('names servers given as numbers or as node:N alike', () => {
    const byNumber = { atMs: 500, action: 'partition', groups: [[3, 4], [0, 1, 2]] } as unknown as FaultAction;
    const byName = { atMs: 500, action: 'partition', groups: [['node:3', 'node:4'], ['node:0', 'node:1', 'node:2']] } as unknown as FaultAction;
    expect(describeFault(byNumber)).toBe(describeFault(byName));
    expect(describeFault({ atMs: 1, action: 'crash', target: 2 } as unknown as FaultAction)).toBe(describeFault({ atMs: 1, action: 'crash', target: 'node:2' } as FaultAction));
  });
});
