/** A story of scenarios/recipes/, parsed as the CLI parses it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { ROOT } from '../cli/helpers.js';

export function recipeStory(name: string): Scenario {
  const file = join(ROOT, 'scenarios', 'recipes', `${name}.json`);
  return parseScenario(readFileSync(file, 'utf8'), file);
}
