import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { allBugs, PROTOCOLS } from '../../sim/scenario/protocols.js';
import type { ProtocolName } from '../../sim/scenario/types.js';
import { ROOT } from '../cli/helpers.js';

const dir = join(ROOT, 'scenarios');
function files(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.json') && name !== 'scenario.schema.json' ? [path] : [];
  });
}

const bugNames = new Set(allBugs().map((bug) => bug.name));

describe('the scenario library meets its expectations on seed 1', () => {
  const all = files(dir);
  it('has at least 15 teaching stories', () => {
    expect(all.filter((file) => !file.includes(`${join('scenarios', 'bugs')}`)).length).toBeGreaterThanOrEqual(15);
  });
  for (const file of all) {
    const name = relative(dir, file).replace(/\.json$/, '');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file, bugNames);
    for (const protocol of scenario.protocols ?? ['zab']) {
      const adapter = PROTOCOLS[protocol as ProtocolName];
      it(`${name} on ${protocol}`, () => {
        expect(adapter, `protocol ${protocol} is registered`).toBeDefined();
        const result = runScenario(scenario, adapter!, { seed: 1, name });
        const failed = failedExpectations(result).map((e) => `${e.name}: ${e.detail}`);
        expect(failed).toEqual([]);
        expect(result.ok).toBe(true);
      });
    }
  }
});
