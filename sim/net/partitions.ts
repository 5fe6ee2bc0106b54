/**
 * Jepsen's named partition shapes, so lessons and nemeses use the vocabulary people
 * know (jepsen.nemesis): each returns one-way cuts [from, to] over servers 0..n-1.
 * - halves: a random split into two halves (the first one the smaller when n is odd).
 * - random-node: one random node isolated from all others.
 * - bridge: two halves that cannot talk, except through one bridge node both see.
 * - majorities-ring: every node sees a majority (itself and its nearest neighbours on a
 *   random ring) but no two nodes see the same majority.
 * - primaries / minority-with-leader etc. are resolved by the scenario layer, which knows roles.
 */
import type { Rng } from '../core/rng.js';

export type PartitionShape = 'halves' | 'random-node' | 'bridge' | 'majorities-ring';
export const PARTITION_SHAPES: readonly PartitionShape[] = ['halves', 'random-node', 'bridge', 'majorities-ring'];

export type Cut = [number, number];

/** Cuts every link between nodes of different groups. */
export function cutsBetweenGroups(groups: readonly (readonly number[])[]): Cut[] {
  const cuts: Cut[] = [];
  for (let g = 0; g < groups.length; g++) {
    for (let h = 0; h < groups.length; h++) {
      if (g === h) continue;
      for (const from of groups[g]) for (const to of groups[h]) cuts.push([from, to]);
    }
  }
  return cuts;
}

export function shapeCuts(shape: PartitionShape, n: number, rng: Rng): { cuts: Cut[]; groups?: number[][] } {
  const order = rng.shuffled(Array.from({ length: n }, (_, i) => i));
  switch (shape) {
    case 'halves': {
      const half = Math.floor(n / 2);
      const groups = [order.slice(0, half).sort((a, b) => a - b), order.slice(half).sort((a, b) => a - b)];
      return { cuts: cutsBetweenGroups(groups), groups };
    }
    case 'random-node': {
      const lonely = order[0];
      const rest = order.slice(1).sort((a, b) => a - b);
      const groups = [[lonely], rest];
      return { cuts: cutsBetweenGroups(groups), groups };
    }
    case 'bridge': {
      // Jepsen: two halves plus a bridge node that both halves see.
      // order[0] is the bridge: it is in neither half, so no cut touches it.
      const others = order.slice(1);
      const half = Math.floor(others.length / 2);
      const left = others.slice(0, half);
      const right = others.slice(half);
      return { cuts: cutsBetweenGroups([left, right]) };
    }
    case 'majorities-ring': {
      // As Jepsen: windows of a majority over a random ring; the node in the middle of
      // each window hears only that window (a grudge: it drops messages from the rest).
      // With an even majority the windows are lopsided, so some cuts are one-way.
      const majority = Math.floor(n / 2) + 1;
      const cuts: Cut[] = [];
      for (let p = 0; p < n; p++) {
        const receiver = order[p];
        const sees = new Set<number>();
        const first = p - Math.floor(majority / 2);
        for (let k = 0; k < majority; k++) sees.add(order[(((first + k) % n) + n) % n]);
        for (let sender = 0; sender < n; sender++) if (!sees.has(sender)) cuts.push([sender, receiver]);
      }
      cuts.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      return { cuts };
    }
  }
}
