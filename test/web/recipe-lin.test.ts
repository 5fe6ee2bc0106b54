/**
 * The lab rebuilds a recipe story's linearizability verdict from the trace alone
 * (web/src/lin.ts) and agrees with the run: a recipe's own operations share a process
 * with the ZooKeeper calls under them, so completions are matched by operation id.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import { linFromTrace } from '../../web/src/lin.js';
import { ROOT } from '../cli/helpers.js';

describe('the lab\'s verdict for recipe stories', () => {
  for (const name of ['lock-holder-cut-off', 'leader-latch-cut-off', 'config-through-watches', 'leader-selector-crash-and-partition', 'queue-consumer-cut-off', 'membership-session-expiry', 'double-barrier', 'barrier-waiter-cut-off', 'counter-under-faults', 'recipes-side-by-side']) {
    it(`${name}: the same model and verdict as the run`, () => {
      const file = join(ROOT, 'scenarios', 'recipes', `${name}.json`);
      const scenario = parseScenario(readFileSync(file, 'utf8'), file);
      const result = runScenario(scenario, protocolAdapter('zab'), { seed: 1, keepTrace: true });
      const lab = linFromTrace(result.trace!.events, scenario, 'zab');
      expect(lab.model).toBe(result.linearizability.model);
      expect(lab.verdict).toBe(result.linearizability.verdict);
      expect(lab.ops).toBe(result.linearizability.ops);
    });
  }
});
