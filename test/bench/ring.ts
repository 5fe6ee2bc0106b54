/**
 * A tiny message-passing protocol for engine tests and benchmarks: tokens travel
 * around a ring of nodes; every node re-injects a token on a timer so traffic never
 * dies out under loss, and logs what it saw to storage now and then.
 */
import type { Message, NodeBehavior, NodeContext, NodeFactory } from '../../sim/core/node.js';
import { Cluster } from '../../sim/net/cluster.js';
import { Rng } from '../../sim/core/rng.js';
import type { ChannelKind } from '../../sim/net/network.js';

export interface TokenMessage extends Message {
  readonly type: 'TOKEN';
  readonly origin: number;
  readonly hops: number;
}

export interface RingOptions {
  /** Tokens node 0 injects at start. */
  tokens: number;
  /** Every node injects fresh tokens this often (0 = never). */
  injectEveryUs: number;
  /** How many tokens each injection adds (default 1). */
  injectBurst?: number;
  /** Hops after which a token dies (0 = never). */
  maxHops: number;
  /** Log every k-th token to storage and sync (0 = never). */
  logEvery: number;
}

export class RingNode implements NodeBehavior<TokenMessage> {
  seen = 0;
  constructor(
    readonly options: RingOptions,
    readonly counters: { delivered: number },
  ) {}

  onStart(ctx: NodeContext<TokenMessage>): void {
    this.seen = ctx.storage.log('tokens').length;
    if (ctx.id === 0) {
      for (let i = 0; i < this.options.tokens; i++) ctx.send(1 % ctx.servers.length, { type: 'TOKEN', origin: 0, hops: 0 });
    }
    if (this.options.injectEveryUs > 0) ctx.setTimer('inject', this.options.injectEveryUs);
  }

  onMessage(ctx: NodeContext<TokenMessage>, _from: number, msg: TokenMessage): void {
    this.counters.delivered++;
    this.seen++;
    if (this.options.logEvery > 0 && this.seen % this.options.logEvery === 0) {
      ctx.storage.append('tokens', msg.hops);
      ctx.storage.sync();
    }
    if (this.options.maxHops > 0 && msg.hops + 1 >= this.options.maxHops) return;
    const next = (ctx.id + 1) % ctx.servers.length;
    ctx.send(next, { type: 'TOKEN', origin: msg.origin, hops: msg.hops + 1 });
  }

  onTimer(ctx: NodeContext<TokenMessage>, timer: string): void {
    if (timer !== 'inject') return;
    for (let i = 0; i < (this.options.injectBurst ?? 1); i++) ctx.send((ctx.id + 1) % ctx.servers.length, { type: 'TOKEN', origin: ctx.id, hops: 0 });
    ctx.setTimer('inject', this.options.injectEveryUs);
  }

  onClient(): void {}

  inspect() {
    return { role: 'RING', seen: this.seen };
  }
}

export function ringFactory(options: RingOptions, counters = { delivered: 0 }): NodeFactory<TokenMessage> {
  return () => new RingNode(options, counters);
}

/** A ring workload under a random fault schedule drawn from the seed. */
export function faultyRingRun(seed: number, channel: ChannelKind, keepTrace = false): Cluster<TokenMessage> {
  const servers = 3 + (seed % 3);
  const cluster = new Cluster<TokenMessage>({
    servers,
    seed,
    keepTrace,
    factory: ringFactory({ tokens: 3, injectEveryUs: 5_000, maxHops: 0, logEvery: 3 }),
    network: { channel, latency: { kind: 'exponential', minUs: 300, meanUs: 1_000 }, lossRate: 0.01, dupRate: 0.02, disconnectDetectUs: 3_000 },
  });
  const nemesis = new Rng(`nemesis-${seed}`);
  for (let t = 10_000; t < 200_000; t += 10_000) {
    const node = nemesis.int(servers);
    const action = nemesis.int(6);
    cluster.at(t, () => {
      if (action === 0) cluster.crash(node);
      else if (action === 1) cluster.restart(node);
      else if (action === 2) cluster.pause(node);
      else if (action === 3) cluster.resume(node);
      else if (action === 4) cluster.partition([[node]]);
      else cluster.heal();
    });
  }
  cluster.start();
  cluster.run({ untilUs: 250_000 });
  return cluster;
}

