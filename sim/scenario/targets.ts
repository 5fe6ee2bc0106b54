/**
 * Fault targets, resolved when the action fires (not when the scenario is written):
 * the leader at that moment, a random follower, `node:N`, the minority side that holds
 * the leader, … Random choices come from the nemesis stream.
 */
import type { Rng } from '../core/rng.js';
import type { FaultAction } from './types.js';

export interface TargetContext {
  servers: number;
  /** The current leader, or -1. */
  leader: number;
  /** Servers currently up. */
  up: (node: number) => boolean;
  rng: Rng;
  /** The nodes the previous action resolved to (for `others`). */
  previous: readonly number[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Returns the nodes a target names now (possibly none, e.g. `leader` when there is none). */
export function resolveTarget(target: string, ctx: TargetContext): number[] {
  const all = range(ctx.servers);
  const minoritySize = Math.floor((ctx.servers - 1) / 2);
  const node = /^node:(\d+)$/.exec(target);
  if (node) return [Number(node[1])];
  switch (target) {
    case 'leader':
      return ctx.leader >= 0 ? [ctx.leader] : [];
    case 'follower': {
      const followers = all.filter((n) => n !== ctx.leader && ctx.up(n));
      return followers.length ? [ctx.rng.pick(followers)] : [];
    }
    case 'any': {
      const up = all.filter((n) => ctx.up(n));
      return [ctx.rng.pick(up.length ? up : all)];
    }
    case 'all':
      return all;
    case 'others':
      return all.filter((n) => !ctx.previous.includes(n));
    case 'minority':
      return ctx.rng.shuffled(all).slice(0, Math.max(1, minoritySize)).sort((a, b) => a - b);
    case 'majority':
      return ctx.rng.shuffled(all).slice(0, ctx.servers - Math.max(1, minoritySize)).sort((a, b) => a - b);
    case 'minority-with-leader': {
      const others = ctx.rng.shuffled(all.filter((n) => n !== ctx.leader));
      const size = Math.max(1, minoritySize);
      const group = ctx.leader >= 0 ? [ctx.leader, ...others.slice(0, size - 1)] : others.slice(0, size);
      return group.sort((a, b) => a - b);
    }
    case 'majority-without-leader': {
      const others = ctx.rng.shuffled(all.filter((n) => n !== ctx.leader));
      return others.slice(0, ctx.servers - Math.max(1, minoritySize)).sort((a, b) => a - b);
    }
    default:
      throw new Error(`unknown target "${target}"`);
  }
}

const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * A crash aimed at the next synchronization (nemesis kind `sync-crash`, drawn by the
 * nemesis, the hunt and the swarm): a moment after it starts, within a disk sync or a
 * few of them, where the orderings of NEWLEADER's handling differ (PROTOCOLS.md §11), or
 * in a Paxos phase 1. Half of them take the leader down too, for longer: the learner
 * comes back to an election without the server that holds the history it was being sent.
 */
export function syncCrashFault(rng: Rng, atMs: number, durationMs: number): FaultAction {
  const delayMs = roundMs(rng.next() * rng.pick([0.5, 3, 12]));
  const withLeaderMs = rng.chance(0.5) ? roundMs(durationMs + rng.pick([300, 800, 1500]) * (0.5 + rng.next())) : undefined;
  return { atMs, action: 'crash', target: 'syncing', delayMs, durationMs, ...(withLeaderMs !== undefined ? { withLeaderMs } : {}) };
}
