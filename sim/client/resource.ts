/**
 * A storage service outside ZooKeeper that lock holders write to: the resource a lock
 * protects, in Martin Kleppmann's "How to do distributed locking" (2016). ZooKeeper cannot
 * stop a holder whose session expired while its process was stopped (a GC pause) from
 * writing when it wakes: its process has not yet seen the expiry. Only the resource can,
 * with a fencing token: every write carries the token of the lock grant its writer
 * believes it holds, and a fenced resource refuses a token older than the newest it has
 * accepted.
 *
 * The token here is the lock node's sequence number (`…lock-0000000007` → 7): ZooKeeper
 * assigns sequence numbers under /lock in creation order, and a node holds the lock only
 * once every node with a smaller number is gone, so grants come in increasing token order.
 * (The node's czxid orders grants the same way; the sequence number comes with the path
 * Curator already returns, without another read.)
 *
 * The service is reached over its own network with a fixed one-way latency; it answers
 * through the writer's client (`ZkClient.at`), so a paused writer hears back only when it
 * resumes. It never fails, so every write's outcome is known: accepted (with the service's
 * sequence number for it) or refused.
 */
import type { Cluster } from '../net/cluster.js';
import type { ZkClient } from './session.js';

export const RESOURCE_LATENCY_US = 2_000;

export type ResourceMode = 'unfenced' | 'fenced';

/** What the service answered. `seq`: the accepted writes' order at the service, from 1. */
export type ResourceAnswer = { readonly accepted: true; readonly seq: number; readonly appliedUs: number } | { readonly accepted: false; readonly newestToken: number };

export class GuardedResource {
  /** The newest token an accepted write carried (-1: none yet). */
  private newestToken = -1;
  private accepted = 0;

  /**
   * @param ignoreTokens a broken guard (tests only): it accepts every write, as an
   *   unfenced resource does, while its writers believe they are fenced.
   */
  constructor(
    private readonly cluster: Cluster,
    readonly mode: ResourceMode,
    private readonly ignoreTokens = false,
  ) {}

  /** Sends a write from `client`, carrying `token`; `done` runs in the client when the answer arrives. */
  write(client: ZkClient, token: number, done: (answer: ResourceAnswer) => void): void {
    this.cluster.at(this.cluster.nowUs + RESOURCE_LATENCY_US, () => {
      const answer = this.apply(token);
      client.at(this.cluster.nowUs + RESOURCE_LATENCY_US, () => done(answer));
    });
  }

  /** The guard: a fenced resource refuses a token older than the newest it accepted. */
  private apply(token: number): ResourceAnswer {
    if (this.mode === 'fenced' && !this.ignoreTokens && token < this.newestToken) return { accepted: false, newestToken: this.newestToken };
    this.newestToken = Math.max(this.newestToken, token);
    return { accepted: true, seq: ++this.accepted, appliedUs: this.cluster.nowUs };
  }
}

/** The sequence number at the end of a lock node's path (the fencing token), or null. */
export function lockToken(path: string | null): number | null {
  const match = path === null ? null : /(\d+)$/.exec(path);
  return match === null ? null : Number(match[1]);
}
