/**
 * The lab's linearizability verdict, from a trace alone, agrees with the run's when a
 * committed txn has no commit event: the run writes such txns into the trace's meta
 * (`undatedCommits`), and linFromTrace counts them as committed at an unknown time, as
 * the run counts them (fixture zab-queue-undated-commit-lab-verdict: a queue claim's
 * setData logged by a leader that crashed, carried into the next epoch by SNAP).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace, traceToNdjson } from '../../sim/core/trace.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { linFromTrace } from '../../sim/scenario/lin-report.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario } from '../../sim/scenario/run.js';

const FILE = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'zab-queue-undated-commit-lab-verdict.json');

describe('committed txns no commit event dates', () => {
  const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
  const result = runScenario(scenario, protocolAdapter('zab'), { seed: scenario.seed, protocol: 'zab', keepTrace: true });

  it('are kept in the trace meta, which a trace file carries, and the lab reads them to the run verdict', () => {
    expect(result.linearizability.verdict).toBe('linearizable');
    const undated = result.trace!.meta.undatedCommits as [number, unknown][];
    expect(undated.length).toBeGreaterThan(0);
    // Every one of them is committed and has no commit event that took effect.
    const dated = new Set(result.trace!.events.filter((e) => e.kind === 'commit' && e.replay !== true).map((e) => e.index));
    for (const [index] of undated) expect(dated.has(index)).toBe(false);
    // Through a trace file and back, as the lab loads it.
    const trace = readTrace(traceToNdjson(result.trace!));
    expect(linFromTrace(trace.events, scenario, 'zab', trace.meta).verdict).toBe('linearizable');
  });

  it('without them the trace alone misjudges the run (why the meta is needed)', () => {
    expect(linFromTrace(result.trace!.events, scenario, 'zab', { opEffects: result.trace!.meta.opEffects }).verdict).toBe('not-linearizable');
  });
});
