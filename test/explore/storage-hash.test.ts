/**
 * The fingerprint keeps a server storage's hash per content token (NodeStorage.version,
 * sim/explore/fingerprint.ts FingerprintCache.storages): a step that writes nothing
 * hashes the server's node again, not its storage. A token must be replaced at every
 * change of the storage, or a kept hash stands for contents the storage no longer has
 * and two states are taken for one. Here: every change replaces the token and no read
 * does; walks with restores back and forth (so tokens are met again after other
 * branches) fingerprint every state with `checkInPlace`, which hashes every storage
 * again and compares with the kept hash; and a stored value changed in place (behind
 * the token's back) is caught.
 */
import { describe, expect, it } from 'vitest';
import { NodeStorage } from '../../sim/net/storage.js';
import { World, type WorldSnapshot } from '../../sim/explore/world.js';
import { nodeFingerprint, StateHasher, type FingerprintCache } from '../../sim/explore/fingerprint.js';
import { paxosAdapter, zabAdapter } from '../../sim/scenario/protocols.js';
import type { ProtocolAdapter } from '../../sim/scenario/protocol.js';
import type { Budgets } from '../../sim/explore/scheduler.js';
import { SCENARIO, WARMUP } from './three-servers.js';

const BUDGETS: Budgets = { crashes: 1, partitions: 0, losses: 1, duplicates: 0, horizonUs: 1_000_000 };

describe('storage hashes kept per content token', () => {
  it('every change of a storage replaces its token, and no read does', () => {
    for (const immediate of [false, true]) {
      const storage = new NodeStorage(immediate);
      const changes: [string, () => void][] = [
        ['put', () => storage.put('k', 1)],
        ['putDurable', () => storage.putDurable('d', 2)],
        ['append', () => storage.append('log', { zxid: 1 })],
        ['truncate', () => storage.truncate('log', 0)],
        ['sync', () => storage.sync()],
        ['completeSync', () => storage.completeSync(1)],
        ['crash', () => storage.crash()],
      ];
      for (const [name, change] of changes) {
        const before = storage.version;
        change();
        expect(storage.version, name).not.toBe(before);
      }
      const before = storage.version;
      storage.get('k');
      storage.log('log');
      storage.durableLength('log');
      storage.durableValue('d');
      storage.durableLogEntries('log');
      void storage.unsyncedCount;
      expect(storage.version).toBe(before);
    }
  });

  /** Seeded walks: each step restores an earlier state now and then, takes a choice, fingerprints; the storages' writes seen. */
  function walk(adapter: ProtocolAdapter, steps: number): number {
    const live = new World(SCENARIO, adapter, { seed: 1, budgets: BUDGETS, prefix: WARMUP, checkInPlace: true });
    const cluster = live.setup.cluster;
    const states: WorldSnapshot[] = [live.snapshot()];
    let x = 12345;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const versions = new Set<object>();
    for (let i = 0; i < steps; i++) {
      if (next(4) === 0) live.restore(states[next(states.length)]);
      let choices = live.choices();
      if (choices.length === 0) {
        live.restore(states[0]);
        choices = live.choices();
      }
      live.apply(choices[next(choices.length)]);
      live.fingerprint();
      states.push(live.snapshot());
      for (const id of cluster.serverIds) versions.add(cluster.storage(id).version);
    }
    return versions.size;
  }

  it('ZAB and Paxos: a kept storage hash is always the storage hashed again', () => {
    // Tokens met: the walks wrote (appends, syncs completed, crashes), not only read.
    expect(walk(zabAdapter, 400)).toBeGreaterThan(20);
    expect(walk(paxosAdapter, 400)).toBeGreaterThan(20);
  });

  it('a stored value changed in place (no new token) is caught', () => {
    const live = new World(SCENARIO, zabAdapter, { seed: 1, budgets: BUDGETS, prefix: WARMUP });
    const cluster = live.setup.cluster;
    const cache: FingerprintCache = { nodeHashes: [], clientsHash: Number.NaN, messages: new WeakMap(), storages: new WeakMap(), verify: true };
    const hasher = new StateHasher();
    const storage = cluster.storage(0);
    // The warm-up wrote the epoch; its hash is kept under the storage's token, and hashing again finds it current.
    expect(storage.durableValue('currentEpoch')).toBeDefined();
    const first = nodeFingerprint(cluster, 0, hasher, cache);
    expect(nodeFingerprint(cluster, 0, hasher, cache)).toBe(first);
    // Changed behind the token's back: the kept hash is stale, and verify says so.
    (storage as unknown as { viewValues: Map<string, unknown> }).viewValues.set('currentEpoch', 999);
    expect(() => nodeFingerprint(cluster, 0, hasher, cache)).toThrow(/stale/);
    // Written as a node writes: a new token, a new hash.
    storage.put('currentEpoch', 999);
    expect(nodeFingerprint(cluster, 0, hasher, cache)).not.toBe(first);
  });
});
