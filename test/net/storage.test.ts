import { describe, expect, it } from 'vitest';
import { Cluster } from '../../sim/net/cluster.js';
import type { Message, NodeBehavior, NodeContext } from '../../sim/core/node.js';

/** A node that writes what it is told and remembers, volatile, what it did. */
class Writer implements NodeBehavior<Message> {
  volatileCounter = 0;
  bootedWith: { value: unknown; log: readonly unknown[] } | null = null;
  synced: number[] = [];
  onStart(ctx: NodeContext): void {
    this.bootedWith = { value: ctx.storage.get('value'), log: [...ctx.storage.log('log')] };
  }
  onMessage(): void {}
  onTimer(): void {}
  onClient(): void {}
  onSync(_ctx: NodeContext, syncId: number): void {
    this.synced.push(syncId);
  }
  inspect() {
    return { role: 'WRITER', counter: this.volatileCounter };
  }
}

function setup(durableImmediately = false) {
  const nodes: Writer[] = [];
  const cluster = new Cluster({
    servers: 1,
    seed: 7,
    factory: () => {
      const node = new Writer();
      nodes.push(node);
      return node;
    },
    storage: { syncLatency: { kind: 'constant', us: 1_000 }, durableImmediately },
  });
  cluster.start();
  return { cluster, nodes, ctxOf: () => (cluster as unknown as { slots: { ctx: NodeContext }[] }).slots[0].ctx };
}

describe('crash and restart', () => {
  it('keeps synced state, loses unsynced and volatile state', () => {
    const { cluster, nodes, ctxOf } = setup();
    const ctx = ctxOf();
    ctx.storage.put('value', 'synced');
    ctx.storage.append('log', 'a');
    ctx.storage.append('log', 'b');
    ctx.storage.sync();
    nodes[0].volatileCounter = 42;
    cluster.run({ untilUs: 5_000 });
    expect(nodes[0].synced).toEqual([1]);
    expect(cluster.storage(0).durableLength('log')).toBe(2);
    // Written but never synced:
    ctx.storage.put('value', 'unsynced');
    ctx.storage.append('log', 'c');
    // Written and synced, but the crash comes before the sync completes:
    ctx.storage.truncate('log', 1);
    ctx.storage.sync();
    cluster.run({ untilUs: 5_500 });
    expect(ctx.storage.log('log')).toEqual(['a']);
    cluster.crash(0);
    cluster.run({ untilUs: 10_000 });
    cluster.restart(0);
    expect(nodes.length).toBe(2);
    expect(nodes[1].volatileCounter).toBe(0);
    expect(nodes[1].bootedWith).toEqual({ value: 'synced', log: ['a', 'b'] });
    // The interrupted sync never reports completion to the new process.
    cluster.run({ untilUs: 20_000 });
    expect(nodes[1].synced).toEqual([]);
  });

  it('putDurable survives a crash at once', () => {
    const { cluster, nodes, ctxOf } = setup();
    ctxOf().storage.putDurable('currentEpoch', 3);
    cluster.crash(0);
    cluster.restart(0);
    expect(nodes[1].bootedWith?.value).toBeUndefined();
    expect(cluster.storage(0).get('currentEpoch')).toBe(3);
  });

  it('with durableImmediately, every write survives a crash', () => {
    const { cluster, nodes, ctxOf } = setup(true);
    ctxOf().storage.put('value', 'x');
    ctxOf().storage.append('log', 1);
    cluster.crash(0);
    cluster.restart(0);
    expect(nodes[1].bootedWith).toEqual({ value: 'x', log: [1] });
  });

  it('delivers timers late after a pause, and none of a crashed incarnation', () => {
    const fired: number[] = [];
    const cluster = new Cluster({
      servers: 1,
      seed: 1,
      factory: () => ({
        onStart: (ctx: NodeContext) => ctx.setTimer('t', 1_000),
        onMessage() {},
        onTimer: (ctx: NodeContext) => {
          fired.push(ctx.nowUs);
        },
        onClient() {},
        inspect: () => ({ role: 'X' }),
      }),
    });
    cluster.start();
    cluster.at(500, () => cluster.pause(0));
    cluster.at(3_000, () => cluster.resume(0));
    cluster.run({ untilUs: 5_000 });
    expect(fired).toEqual([3_000]);
    cluster.restart(0); // no-op: it is up
    cluster.at(5_500, () => cluster.crash(0));
    cluster.at(5_600, () => cluster.restart(0)); // sets a fresh timer for 6_600
    cluster.run({ untilUs: 10_000 });
    expect(fired).toEqual([3_000, 6_600]);
  });
});
