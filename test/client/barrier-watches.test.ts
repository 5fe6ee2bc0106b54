/**
 * The double barrier's watches fire (sim/client/barrier.ts): round after round, the
 * servers' watch tables stay bounded by the open sessions. The leave lists the members
 * without a watch and waits on one member node at a time (Curator's internalLeave), and
 * the member out deletes the ready node, which fires every enter's exists watch on it.
 * Before, the leave's last listing and an enter's exists that found ready each left a
 * watch on a round's path that never changed again: about two per session per round
 * (h54: 150 child watches after 20 s of rounds with 3 sessions open).
 */
import { describe, expect, it } from 'vitest';
import { setupRun } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolName, Scenario } from '../../sim/scenario/types.js';
import { recipeStory } from '../helpers/recipe-story.js';

interface ServiceInternals {
  readonly service: { readonly watches: { readonly size: number; readonly dataWatches: Map<string, unknown>; readonly childWatches: Map<string, unknown> } };
  readonly tree: { peek(path: string): unknown };
}

const CLIENTS = 3;
const ROUNDS = 30;

/** The most watches the servers held together at any 20 ms sample, and the rounds the members passed. */
function watchPeak(protocol: ProtocolName): { peak: number; leaves: number } {
  const story = recipeStory('double-barrier');
  const scenario: Scenario = {
    ...story,
    faults: [],
    workload: { ...story.workload!, clients: CLIENTS, opsPerClient: ROUNDS, ratePerSec: 40 },
    durationMs: 8000,
  };
  const setup = setupRun(scenario, protocolAdapter(protocol), { seed: 7 });
  let peak = 0;
  const sample = () => {
    let total = 0;
    for (const id of setup.cluster.serverIds) {
      const node = setup.cluster.behavior(id) as unknown as ServiceInternals | null;
      if (node !== null) total += node.service.watches.size;
    }
    peak = Math.max(peak, total);
    if (setup.cluster.nowUs < setup.storyEndUs) setup.cluster.at(setup.cluster.nowUs + 20_000, sample);
  };
  setup.cluster.at(0, sample);
  setup.cluster.run({ untilUs: setup.storyEndUs });
  const leaves = setup.history.events.filter((e) => e.f === 'leave' && e.type === 'ok').length;
  return { peak, leaves };
}

describe('the double barrier\'s watches, round after round', () => {
  for (const protocol of ['zab', 'paxos'] as const) {
    it(`stay bounded by the open sessions (${protocol}, ${CLIENTS} members, ${ROUNDS} rounds)`, () => {
      const { peak, leaves } = watchPeak(protocol);
      // Every member went through every round (the bound is about a long run, not an idle one).
      expect(leaves).toBe(CLIENTS * ROUNDS);
      // A member holds at most: a child watch on its round's path, an exists watch on
      // ready, a data watch on the member node it waits for.
      expect(peak).toBeLessThanOrEqual(3 * CLIENTS);
    });
  }
});

describe('a member cut off for a whole round (scenarios/recipes/double-barrier-member-cut-off)', () => {
  for (const protocol of ['zab', 'paxos'] as const) {
    it(`leaves no watch on the round once it is over, its late leave included (${protocol}, seed 1)`, () => {
      const setup = setupRun(recipeStory('double-barrier-member-cut-off'), protocolAdapter(protocol), { seed: 1 });
      setup.cluster.run({ untilUs: setup.storyEndUs });
      // Client 0 came back to round 1 after the others had left it: its leave listed the
      // round after done was made and ready deleted, so a watch on that listing would
      // never fire.
      expect(setup.history.events.some((e) => e.process === 0 && e.f === 'leave' && e.type === 'ok' && e.value === 1)).toBe(true);
      const left: string[] = [];
      for (const id of setup.cluster.serverIds) {
        const node = setup.cluster.behavior(id) as unknown as ServiceInternals | null;
        if (node === null) continue;
        // As Curator's member out, ours deleted ready; done (made first) marks the round over.
        expect([node.tree.peek('/barrier/r1/ready'), node.tree.peek('/barrier/r1/done') !== undefined]).toEqual([undefined, true]);
        for (const path of [...node.service.watches.dataWatches.keys(), ...node.service.watches.childWatches.keys()]) if (path.startsWith('/barrier/r1')) left.push(`server ${id}: ${path}`);
      }
      expect(left).toEqual([]);
    });
  }
});
