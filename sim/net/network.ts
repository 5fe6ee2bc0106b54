/**
 * The link state of the virtual network: latency per directed link, cuts (partitions,
 * including one-way cuts), clogs, loss and duplication rates, and the connections of
 * connection-mode networks. The cluster asks it how to route each message; the rules
 * are applied in a fixed order (see Cluster.send and Cluster.arrive):
 *   at send:    broken connection → cut → loss → latency → clog → FIFO (connections)
 *   at arrival: receiver crashed → connection broken meanwhile → cut → receiver paused (held)
 * Everything is flat typed arrays indexed by `from * n + to`: no allocation per message.
 */
import { compileLatency, type LatencySampler, type LatencySpec } from './latency.js';

export type ChannelKind = 'connection' | 'datagram';

export interface LinkLatency {
  from: number;
  to: number;
  latency: LatencySpec;
  /** Apply to both directions. */
  symmetric?: boolean;
}

export interface NetworkConfig {
  /** FIFO connections with prefix loss (ZAB, as ZooKeeper runs on TCP) or datagrams (Paxos). */
  channel: ChannelKind;
  latency: LatencySpec;
  links?: LinkLatency[];
  /** Probability that a message is lost. On a connection, a loss breaks the connection. */
  lossRate?: number;
  /** Probability that a datagram is delivered twice (ignored on connections). */
  dupRate?: number;
  /** How long a node takes to learn that a connection broke (TCP timeout or reset). */
  disconnectDetectUs?: number;
  /** Latency between clients and the server they talk to. */
  clientLatency?: LatencySpec;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  channel: 'connection',
  latency: { kind: 'uniform', minUs: 500, maxUs: 1500 },
  lossRate: 0,
  dupRate: 0,
  disconnectDetectUs: 20_000,
  clientLatency: { kind: 'uniform', minUs: 200, maxUs: 800 },
};

export class NetworkState {
  readonly n: number;
  readonly channel: ChannelKind;
  readonly samplers: LatencySampler[];
  readonly clientSampler: LatencySampler;
  lossRate: number;
  dupRate: number;
  readonly disconnectDetectUs: number;
  /** cut[from*n+to] = 1: messages from → to are dropped. */
  readonly cut: Uint8Array;
  cutCount = 0;
  /** Messages on from → to sent before this time are held until it (plus latency). */
  readonly clogUntilUs: Float64Array;
  clogCount = 0;
  /** Last scheduled arrival per directed link, for FIFO on connections. */
  readonly lastArrivalUs: Float64Array;
  /** Connection incarnation per unordered pair (index min*n+max). */
  readonly connIncarnation: Int32Array;
  readonly connBroken: Uint8Array;
  /** known[x*n+y] = 1: x has learned that its connection to y broke (so it may reconnect). */
  readonly connKnownBroken: Uint8Array;

  constructor(n: number, config: NetworkConfig) {
    this.n = n;
    this.channel = config.channel;
    const base = compileLatency(config.latency);
    this.samplers = new Array<LatencySampler>(n * n).fill(base);
    for (const link of config.links ?? []) {
      const sampler = compileLatency(link.latency);
      this.samplers[link.from * n + link.to] = sampler;
      if (link.symmetric) this.samplers[link.to * n + link.from] = sampler;
    }
    this.clientSampler = compileLatency(config.clientLatency ?? DEFAULT_NETWORK.clientLatency!);
    this.lossRate = config.lossRate ?? 0;
    this.dupRate = config.channel === 'datagram' ? config.dupRate ?? 0 : 0;
    this.disconnectDetectUs = config.disconnectDetectUs ?? DEFAULT_NETWORK.disconnectDetectUs!;
    this.cut = new Uint8Array(n * n);
    this.clogUntilUs = new Float64Array(n * n);
    this.lastArrivalUs = new Float64Array(n * n);
    this.connIncarnation = new Int32Array(n * n);
    this.connBroken = new Uint8Array(n * n);
    this.connKnownBroken = new Uint8Array(n * n);
  }

  pairIndex(a: number, b: number): number {
    return a < b ? a * this.n + b : b * this.n + a;
  }

  minLatencyUs(from: number, to: number): number {
    return this.samplers[from * this.n + to].minUs;
  }

  isCut(from: number, to: number): boolean {
    return this.cutCount > 0 && this.cut[from * this.n + to] === 1;
  }

  /** Cuts every link between nodes of different groups (nodes in no group are alone). */
  setPartition(groups: readonly (readonly number[])[]): void {
    const n = this.n;
    const groupOf = new Int32Array(n).fill(-1);
    groups.forEach((group, index) => {
      for (const node of group) groupOf[node] = index;
    });
    let next = groups.length;
    for (let node = 0; node < n; node++) if (groupOf[node] < 0) groupOf[node] = next++;
    this.cut.fill(0);
    this.cutCount = 0;
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) {
        if (groupOf[from] !== groupOf[to]) {
          this.cut[from * n + to] = 1;
          this.cutCount++;
        }
      }
    }
  }

  /** Adds one-way cuts (from → to), on top of the current ones. */
  addCuts(cuts: readonly (readonly [number, number])[]): void {
    for (const [from, to] of cuts) {
      if (from === to) continue;
      const index = from * this.n + to;
      if (this.cut[index] === 0) {
        this.cut[index] = 1;
        this.cutCount++;
      }
    }
  }

  heal(): void {
    this.cut.fill(0);
    this.cutCount = 0;
  }

  /** The current cuts as [from, to] pairs. */
  cuts(): [number, number][] {
    const result: [number, number][] = [];
    if (this.cutCount === 0) return result;
    for (let from = 0; from < this.n; from++) for (let to = 0; to < this.n; to++) if (this.cut[from * this.n + to]) result.push([from, to]);
    return result;
  }

  clog(from: number, to: number, untilUs: number): void {
    const index = from * this.n + to;
    if (this.clogUntilUs[index] < untilUs) this.clogUntilUs[index] = untilUs;
    this.clogCount++;
  }
}
