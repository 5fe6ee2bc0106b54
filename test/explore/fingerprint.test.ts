/**
 * The state hasher (sim/explore/fingerprint.ts) is canonical and stable: a value's
 * digest depends on its contents only, maps and sets hash as unordered, a cycle back to
 * an object on the path is a marker, functions are left out. The digest below is the
 * one the hasher gave before its walk was made allocation-free (a set of the objects
 * being walked, an entry array per map entry): the new walk must hash exactly as the old
 * one, or every fingerprint (and with it no count, but every stored one) would move.
 */
import { describe, expect, it } from 'vitest';
import { StateHasher } from '../../sim/explore/fingerprint.js';
import { World } from '../../sim/explore/world.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import { SCENARIO, WARMUP } from './three-servers.js';

class Server {
  id = 3;
  peers = new Map<number, unknown>([
    [1, { term: 2.5, log: [1, 'a'] }],
    [2, new Set(['x', 'y'])],
  ]);
  self: Server = this;
  big = 2 ** 40;
  callback = () => 1;
}

function sample(): unknown[] {
  const server = new Server();
  server.peers.set(3, server);
  return [server, new Map<unknown, unknown>([[new Set([1]), new Map([['k', [new Set(), new Map()]]])]])];
}

function digest(values: readonly unknown[]): number {
  const hasher = new StateHasher();
  for (const value of values) hasher.value(value);
  return hasher.digest();
}

describe('state hasher', () => {
  it('hashes nested maps, sets, cycles, class and plain objects as it always did', () => {
    expect(digest(sample())).toBe(2661926729976194);
  });

  it('ignores map and set order, not array order, and sees every change', () => {
    const [server, other] = sample() as [Server, Map<unknown, unknown>];
    const reordered = new Server();
    reordered.peers = new Map<number, unknown>([
      [3, reordered],
      [2, new Set(['y', 'x'])],
      [1, { term: 2.5, log: [1, 'a'] }],
    ]);
    expect(digest([reordered, other])).toBe(digest([server, other]));
    const changed = sample() as [Server, unknown];
    (changed[0].peers.get(1) as { log: unknown[] }).log.reverse();
    expect(digest(changed)).not.toBe(digest(sample()));
    const deeper = sample() as [Server, unknown];
    (deeper[0].peers.get(2) as Set<string>).add('z');
    expect(digest(deeper)).not.toBe(digest(sample()));
  });

  /** One value's digest by a hasher with made code for classes, and by one without (the loop). */
  function bothWays(value: unknown, made: StateHasher, loop: StateHasher): [number, number] {
    made.reset();
    made.value(value);
    loop.reset();
    loop.value(value);
    return [made.digest(), loop.digest()];
  }

  it('hashes class instances by made code exactly as the loop does, and never makes code for a class whose fields vary', () => {
    class Varying {
      a = 1;
      b: unknown = 'x';
    }
    class Child extends Server {
      extra = [1, 2];
    }
    const made = new StateHasher();
    const loop = new StateHasher();
    loop.madeCode = false;
    // Past the count at which code is made (8 instances of a class), with fields that change between instances.
    for (let i = 0; i < 40; i++) {
      const server = new Server();
      server.id = i;
      server.big = i % 3 === 0 ? 2 ** 40 + i : i;
      if (i % 5 === 0) (server as unknown as { callback: unknown }).callback = 'not a function now';
      const child = new Child();
      child.extra.push(i);
      const varying = new Varying();
      // A field added by hand to some instances: the class gets no code, and its digests stay the loop's.
      if (i % 4 === 1) (varying as unknown as Record<string, unknown>).late = i;
      varying.b = i % 2 === 0 ? () => i : { i };
      const [a, b] = bothWays([server, child, varying], made, loop);
      expect(a).toBe(b);
    }
    // And the made code sees each field: a change to any one moves the digest.
    const base = new Server();
    const [before] = bothWays(base, made, loop);
    base.big = 7;
    expect(bothWays(base, made, loop)[0]).not.toBe(before);
  });

  it('gives real ZAB and Paxos servers the digests the loop gives, state after state', () => {
    for (const adapter of [zabAdapter, paxosAdapter]) {
      const world = new World(SCENARIO, adapter, { seed: 1, budgets: { crashes: 1, partitions: 0, losses: 0, duplicates: 0, horizonUs: 1_000_000 }, prefix: WARMUP });
      const cluster = world.setup.cluster;
      const made = new StateHasher();
      const loop = new StateHasher();
      loop.madeCode = false;
      for (const hasher of [made, loop]) for (const id of cluster.serverIds) hasher.skip.add(cluster.contextOf(id));
      for (let step = 0; step < 30; step++) {
        for (const id of cluster.serverIds) {
          const [a, b] = bothWays([cluster.behavior(id), cluster.storage(id)], made, loop);
          expect(a).toBe(b);
        }
        const choices = world.choices();
        if (choices.length === 0) break;
        world.apply(choices[(step * 7) % choices.length]);
      }
    }
  });
});
