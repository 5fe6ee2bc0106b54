/** Two stories for the verdict tests: one that halts at an invariant violation, one that stalls after healing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, validateScenario } from '../../sim/scenario/load.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { ROOT } from '../cli/helpers.js';

/** ZOOKEEPER-2845's story (it halts at ProcessConsistency), asked for more than it can show. */
export function haltedStory(): Scenario {
  const file = join(ROOT, 'scenarios', 'bugs', 'zk-2845-retainDbWithoutFastForward.json');
  const story = parseScenario(readFileSync(file, 'utf8'), file, new Set(['retainDbWithoutFastForward']));
  return { ...story, expect: { violated: 'ProcessConsistency', allOpsComplete: true, recovers: true, minLeaderChanges: 3, maxLeaders: 5 } };
}

/** Server 0 is cut off while clients write, and the quiet time after the story is 1 ms: it cannot catch up. */
export const STALLED: Scenario = validateScenario(
  {
    title: 'A follower still behind when the quiet time ends',
    explanation: 'Server 0 is cut off while clients write; the quiet time after the story is too short for it to catch up.',
    protocols: ['zab', 'paxos'],
    cluster: { servers: 3 },
    workload: { clients: 2, servers: [1, 2], ratePerSec: 100, keys: 2, readMode: 'quorum', mix: { setData: 1 } },
    faults: [{ atMs: 300, action: 'partition', isolate: 'node:0' }],
    durationMs: 800,
    healMs: 1,
  },
  'stalled.json',
);
