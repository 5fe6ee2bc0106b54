/**
 * The ZAB bug zoo (PROTOCOLS.md §11, issue 8): every real ZooKeeper bug is a switch
 * (sim/zab/config.ts ZAB_BUGS), and every switch has a story, scenarios/bugs/zk-<jira>-<flag>.json.
 *
 * For each story:
 *  - with its switch on, the scenario's expectations hold: the invariant it names fires
 *    (or, for an availability bug, the liveness effect it describes happens);
 *  - with every switch off, the same faults at the same times leave every invariant
 *    intact, the client history linearizable and the servers converged — and, for an
 *    availability bug, the effect is gone;
 *  - the switch's `zablab bugs` entry names the same JIRA id as the file and the
 *    invariant the scenario expects.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../sim/scenario/load.js';
import { failedExpectations, runScenario, type RunResult } from '../../sim/scenario/run.js';
import { allBugs, zabAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { ZAB_BUGS } from '../../sim/zab/index.js';
import { ROOT } from '../cli/helpers.js';

const DIR = join(ROOT, 'scenarios', 'bugs');
const FILE = /^zk-(\d+)-([A-Za-z]+)\.json$/;

/** The sixteen real bugs of PROTOCOLS.md §11, by switch (B1–B16). */
const REAL_BUGS = [
  'epochFromLastZxid',
  'diffByRangeCheck',
  'noRolloverGuard',
  'diffSetsLastZxidEarly',
  'retainDbWithoutFastForward',
  'snapDoesNotTruncateLog',
  'newLeaderBeforeSnapshot',
  'keepDbAfterAbortedSync',
  'ackNewLeaderBeforePersist',
  'epochBeforeHistory',
  'asyncLogBeforeAckLd',
  'ackRaceInSync',
  'applyAllPendingOnNewLeader',
  'asyncDiffPersist',
  'leakSyncThread',
  'committedLogGap',
];

const bugNames = new Set(allBugs().map((bug) => bug.name));
const files = readdirSync(DIR).filter((name) => name.startsWith('zk-') && name.endsWith('.json')).sort();

interface Story {
  file: string;
  jira: string;
  flag: string;
  scenario: Scenario;
}

const stories: Story[] = files.map((file) => {
  const match = FILE.exec(file);
  if (match === null) throw new Error(`${file}: expected zk-<jira>-<flag>.json`);
  return { file, jira: match[1], flag: match[2], scenario: parseScenario(readFileSync(join(DIR, file), 'utf8'), file, bugNames) };
});

function failed(result: RunResult): string[] {
  return failedExpectations(result).map((e) => `${e.name}: ${e.detail}`);
}

describe('the ZAB bug zoo covers the real ZooKeeper bugs', () => {
  it('every real bug is a switch, with its JIRA id and the invariant it breaks', () => {
    for (const flag of REAL_BUGS) {
      expect(ZAB_BUGS, flag).toHaveProperty(flag);
      const info = zabAdapter.bugs.find((bug) => bug.name === flag)!;
      expect(info.reference, flag).toMatch(/^ZOOKEEPER-\d+$/);
      expect(info.breaks, flag).not.toBe('invariants');
    }
  });

  it('every switch has exactly one story', () => {
    const flags = stories.map((story) => story.flag).sort();
    expect(flags).toEqual([...REAL_BUGS].sort());
  });
});

describe.each(stories)('$file', ({ file, jira, flag, scenario }) => {
  const info = zabAdapter.bugs.find((bug) => bug.name === flag);
  const expected = scenario.expect ?? {};

  it('is a 3-server ZAB story with its own switch, a seed and an explanation', () => {
    expect(info, `${flag} is a ZAB bug switch`).toBeDefined();
    expect(info!.reference).toBe(`ZOOKEEPER-${jira}`);
    expect(scenario.protocols).toEqual(['zab']);
    expect(scenario.cluster.servers).toBe(3);
    expect(scenario.bugs).toEqual([flag]);
    expect(scenario.seed).toBeTypeOf('number');
    expect(scenario.nemesis, 'a hand-written fault script, not a random nemesis').toBeUndefined();
    expect(scenario.explanation).toContain(`ZOOKEEPER-${jira}`);
    // The invariant the story expects is the one `zablab bugs` names (zabBugInfo reads the
    // name's letters only, so "Leadership2" is listed as "Leadership").
    expect(expected.violated ?? 'liveness').toMatch(new RegExp(`^${info!.breaks}\\d?$`));
  });

  it(`with ${flag} on: ${expected.violated !== undefined ? `${expected.violated} fires` : 'the availability loss happens'}`, () => {
    const result = runScenario(scenario, zabAdapter, { name: file });
    expect(failed(result)).toEqual([]);
    if (expected.violated !== undefined) {
      expect(result.invariants.violations.map((v) => v.invariant)).toContain(expected.violated);
    } else {
      // An availability bug breaks no safety invariant.
      expect(result.invariants.violations).toEqual([]);
    }
  });

  it('with every switch off: every invariant holds, the history is linearizable, the servers converge', () => {
    const correct: Scenario = { ...scenario, bugs: [] };
    const result = runScenario(correct, zabAdapter, { name: file });
    expect(result.invariants.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
    if (scenario.workload !== undefined) expect(result.linearizability.verdict).toBe('linearizable');
    expect(result.convergence.ok).toBe(true);
    if (expected.violated === undefined) {
      // The liveness effect the story describes is the switch's doing.
      const defaults = ['invariants hold', 'servers converge to the same tree', 'reads sequentially consistent per client'];
      const effects = result.expectations.filter((e) => !defaults.includes(e.name));
      expect(effects.length).toBeGreaterThan(0);
      expect(effects.filter((e) => !e.ok).map((e) => e.name)).toEqual(effects.map((e) => e.name));
    }
  });
});
