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
});
