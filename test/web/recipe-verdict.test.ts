/**
 * The lab rebuilds a recipe story's recipe verdict from the trace (its events, and the
 * clients' sessions its meta keeps) (sim/scenario/recipe-report.ts) with the run's
 * checkers, and agrees with the run
 * (`zablab run`'s verdict): the same verdict, summary and overlap windows.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';
import { recipeFromTrace } from '../../sim/scenario/recipe-report.js';
import { ROOT } from '../cli/helpers.js';

const dir = join(ROOT, 'scenarios', 'recipes');

describe("the lab's recipe verdict", () => {
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    it.each(['zab', 'paxos'])(`${name} on %s: the run's recipe report, from the trace`, (protocol) => {
      const file = join(dir, name);
      const scenario = parseScenario(readFileSync(file, 'utf8'), file);
      const result = runScenario(scenario, protocolAdapter(protocol), { seed: 1, keepTrace: true });
      expect(result.recipe).toBeDefined();
      const lab = recipeFromTrace(result.trace!.events, scenario, result.simTimeUs, result.trace!.meta);
      expect(lab?.report).toEqual(result.recipe);
    });
  }

  it('a non-recipe scenario has no recipe lane', () => {
    const file = join(ROOT, 'scenarios', 'leader-crash-during-broadcast.json');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const result = runScenario(scenario, protocolAdapter('zab'), { seed: 1, keepTrace: true });
    expect(recipeFromTrace(result.trace!.events, scenario, result.simTimeUs)).toBeUndefined();
  });
});
