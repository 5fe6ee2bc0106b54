/**
 * A protected create retried while its first try was still in flight makes a second node
 * with the same protected id; the first appears later (sim/client/curator.ts,
 * protectedTwins). Ahead of the second it is a predecessor of our own that never goes:
 * Curator's InterProcessMutex and LeaderLatch would wait on it until the session ends.
 * Found by h36's shortsession mix (zab 1223): a lock acquire pending at the run's end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protectedTwins } from '../../sim/client/curator.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

describe('protectedTwins', () => {
  const ours = '_c_699f134a-b22b-4b99-8f3a-7d28defc3cca-lock-0000000006';
  it('the other children with our protected id, and nothing else', () => {
    const first = '_c_699f134a-b22b-4b99-8f3a-7d28defc3cca-lock-0000000005';
    const other = '_c_56a5b190-6065-46f9-8b95-2b63846d29ab-lock-0000000004';
    expect(protectedTwins(ours, [other, first, ours])).toEqual([first]);
    expect(protectedTwins(ours, [other, ours])).toEqual([]);
    // An unprotected name has no twins; nor does a name too short to carry an id.
    expect(protectedTwins('lock-0000000001', ['lock-0000000001', 'lock-0000000002'])).toEqual([]);
    expect(protectedTwins('_c_x-lock-1', ['_c_x-lock-1', '_c_x-lock-2'])).toEqual([]);
  });
});

describe('a lock whose retried create left a twin ahead of its node (shortsession zab 1223, re-found at seed 27)', () => {
  const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'zab-lock-waits-on-own-twin.json');
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);

  it('deletes the twin and takes the lock: every operation completes', () => {
    const result = runScenario(scenario, protocolAdapter('zab'), { keepTrace: true });
    expect(failedExpectations(result)).toEqual([]);
    // The twin did happen: client 0's one protected id on two created nodes.
    const created = result.history
      .filter((e) => e.process === 0 || e.process === 18)
      .filter((e) => e.f === 'create' && e.type === 'ok' && typeof e.value === 'string' && e.value.startsWith('/lock/_c_9318c26e'));
    expect(created.length).toBe(1);
    const listed = result.trace!.events.filter((e) => e.kind === 'complete' && e.client === 0 && e.f === 'getChildren' && Array.isArray(e.value));
    expect(listed.some((e) => (e.value as string[]).filter((n) => n.startsWith('_c_9318c26e')).length === 2)).toBe(true);
  });

  it('with Curator’s behaviour (waitOnOwnTwin) the acquire hangs to the end of the run', () => {
    const result = runScenario(scenario, protocolAdapter('zab'), { recipeFlaws: { lock: { waitOnOwnTwin: true } } });
    expect(result.ops.pending).toBe(1);
    expect(failedExpectations(result).map((e) => e.name)).toEqual(['every operation completes after healing']);
  });
});

describe('a latch whose superseded create left an orphan of its own ahead of its node (zab-latch-waits-on-own-orphan, seed 41)', () => {
  const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'zab-latch-waits-on-own-orphan.json');
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  const ids = (names: readonly string[], ours: readonly string[]) => names.filter((name) => ours.some((id) => name.startsWith(`_c_${id}`)));

  it('deletes the nodes of its own but its current one: every elect completes', () => {
    const result = runScenario(scenario, protocolAdapter('zab'), { keepTrace: true });
    expect(failedExpectations(result)).toEqual([]);
    // The story happened: client 5 listed nodes of two of its protected ids at once.
    const listed = result.trace!.events.filter((e) => e.kind === 'complete' && e.client === 5 && e.f === 'getChildren' && Array.isArray(e.value));
    const both = listed.find((e) => ids(e.value as string[], ['8359c347']).length > 0 && ids(e.value as string[], ['ccf14261']).length > 0);
    expect(both).toBeDefined();
    // …and deleted every node of its old id.
    const deleted = result.trace!.events.filter((e) => e.kind === 'invoke' && e.client === 5 && e.f === 'delete').map((e) => (e.value as { path: string }).path);
    expect(deleted.some((path) => path.startsWith('/election/_c_8359c347') && path.endsWith('0000000009'))).toBe(true);
  });

  it('with Curator’s LeaderLatch (waitOnOwnNodes) client 5 waits on its own orphan, and every contender behind it', () => {
    const result = runScenario(scenario, protocolAdapter('zab'), { recipeFlaws: { latch: { waitOnOwnNodes: true } } });
    expect(result.ops.pending).toBe(6);
    expect(failedExpectations(result).map((e) => e.name)).toEqual(['every operation completes after healing']);
  });
});
