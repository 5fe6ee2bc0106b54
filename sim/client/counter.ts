/**
 * A shared counter on versions, as Curator's DistributedAtomicInteger does it in its
 * optimistic mode (recipes/atomic/DistributedAtomicValue.tryOptimistic): getData gives the
 * value and its version; setData of value + 1 with that version is a compare-and-set; a
 * BADVERSION means another client got there first: read again and retry, while the retry
 * policy allows. A missing node is created with the new value (NODEEXISTS: retry).
 *
 * What ZooKeeper does not promise: a setData whose answer is lost may have been applied.
 * Curator's retry loop sends it again with the same version, gets BADVERSION (our own
 * write moved the version), reads the new value and increments again: the counter counts
 * one increment twice. So an increment reports how many of its attempts ended unknown;
 * the checker allows the final value to exceed the successful increments by at most that.
 */
import type { CuratorClient, Outcome } from './curator.js';
import { retrySleepUs } from './curator.js';

export interface CounterFlaws {
  /** setData without the version (version -1): a read-modify-write that loses updates. */
  blindWrite?: boolean;
}

/** `ok`: the value this increment set; `unknownAttempts`: writes whose answer was lost (each may have been applied). */
export type IncrementResult = { ok: true; value: number; unknownAttempts: number } | { ok: false; unknownAttempts: number };

export class SharedCounter {
  constructor(
    private readonly curator: CuratorClient,
    readonly path: string,
    private readonly flaws: CounterFlaws = {},
  ) {}

  increment(done: (result: IncrementResult) => void): void {
    const curator = this.curator;
    const path = this.path;
    let unknownAttempts = 0;
    let tries = 0;
    const count = (outcome: Outcome) => (unknownAttempts += outcome.unknownAttempts ?? 0);
    const retry = () => {
      const sleepUs = retrySleepUs(curator.policy, tries++, curator.rng);
      if (sleepUs === null) return done({ ok: false, unknownAttempts });
      curator.later(sleepUs, attempt);
    };
    const attempt = () =>
      curator.call({ f: 'getData', value: { path }, req: { op: 'getData', path } }, (read) => {
        if (!read.ok) return done({ ok: false, unknownAttempts });
        if (read.output === 'NONODE') {
          return curator.call({ f: 'create', value: { path, data: '1' }, req: { op: 'create', path, data: '1', mode: 'persistent' } }, (created) => {
            count(created);
            if (!created.ok) return done({ ok: false, unknownAttempts });
            if (created.output === path) return done({ ok: true, value: 1, unknownAttempts });
            retry();
          });
        }
        const current = read.output as { data?: unknown; version?: unknown };
        const value = Number(current.data);
        const version = this.flaws.blindWrite === true ? -1 : Number(current.version);
        const data = String(value + 1);
        curator.call({ f: 'setData', value: { path, data, version }, req: { op: 'setData', path, data, version } }, (set) => {
          count(set);
          if (!set.ok) return done({ ok: false, unknownAttempts });
          if (typeof set.output === 'number') return done({ ok: true, value: value + 1, unknownAttempts });
          retry();
        });
      });
    attempt();
  }
}
