/**
 * Which shard of a sweep or swarm this process runs: `--shard K/N` (0 ≤ K < N), or read
 * from the environment of the batch engine that started it, so one command line serves
 * every shard of a CI matrix or an indexed batch job. In order, the first that is set wins:
 *
 * 1. `--shard K/N` on the command line;
 * 2. `ZABLAB_SHARD=K/N` (set it in a CI matrix, e.g. GitHub Actions:
 *    `ZABLAB_SHARD: ${{ strategy.job-index }}/${{ strategy.job-total }}`);
 * 3. a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (set by Kubernetes in every pod of
 *    an Indexed Job) as K, and N from `--shard-count N` or `JOB_COMPLETIONS` (Kubernetes
 *    does not pass the completions count to the pod: the manifest sets it, or the flag);
 * 4. GitLab CI's `parallel:` jobs: `CI_NODE_INDEX` (1-based) and `CI_NODE_TOTAL`.
 *
 * Anything malformed is refused (exit 2, one line naming the variable) rather than
 * silently running the whole sweep, or the wrong part of it, on every machine.
 */
import { UsageError } from './io.js';

export interface Shard {
  /** 0-based index of this shard. */
  readonly index: number;
  /** Number of shards (1: the whole sweep). */
  readonly count: number;
  /** Where it came from, for the summary ("--shard", "ZABLAB_SHARD", …); undefined for no sharding. */
  readonly source?: string;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** The most shards a sweep may be split into (each shard holds at least one seed anyway). */
export const MAX_SHARDS = 1_000_000;

function parseCount(text: string, where: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${where} must be a positive integer, got ${JSON.stringify(text)}`);
  const n = Number(text.trim());
  if (n < 1 || n > MAX_SHARDS) throw new UsageError(`${where} must be between 1 and ${MAX_SHARDS}, got ${text.trim()}`);
  return n;
}

function parseIndex(text: string, where: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${where} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

function checked(index: number, count: number, source: string, what: string): Shard {
  if (index >= count) throw new UsageError(`${what}: shard index ${index} is not below the shard count ${count} (shards are numbered 0..${count - 1})`);
  return { index, count, source };
}

/** Parses "K/N" (as `--shard` or ZABLAB_SHARD gives it). */
export function parseShardText(value: string, where: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) throw new UsageError(`${where} must be K/N with 0 <= K < N, got ${JSON.stringify(value)}`);
  return checked(Number(match[1]), parseCount(match[2], `${where} (N)`), where, `${where} ${value}`);
}

/**
 * The shard to run: from the flags, else from the environment (see the file head), else
 * the whole sweep. `shardCount` is `--shard-count N`, which only completes
 * JOB_COMPLETION_INDEX.
 */
export function resolveShard(flags: { shard?: string; shardCount?: string }, env: Record<string, string | undefined>): Shard {
  if (flags.shard !== undefined) {
    if (flags.shardCount !== undefined) throw new UsageError('--shard K/N and --shard-count N do not go together (--shard-count completes JOB_COMPLETION_INDEX)');
    return parseShardText(flags.shard, '--shard');
  }
  const zablab = env.ZABLAB_SHARD;
  if (zablab !== undefined && zablab !== '') {
    if (flags.shardCount !== undefined) throw new UsageError(`--shard-count completes JOB_COMPLETION_INDEX, but ZABLAB_SHARD=${zablab} is set and names the count itself`);
    return parseShardText(zablab, 'ZABLAB_SHARD');
  }
  const k8sIndex = env.JOB_COMPLETION_INDEX;
  if (k8sIndex !== undefined && k8sIndex !== '') {
    const index = parseIndex(k8sIndex, 'JOB_COMPLETION_INDEX');
    if (flags.shardCount !== undefined) return checked(index, parseCount(flags.shardCount, '--shard-count'), 'JOB_COMPLETION_INDEX', `JOB_COMPLETION_INDEX=${index} with --shard-count ${flags.shardCount}`);
    const completions = env.JOB_COMPLETIONS;
    if (completions === undefined || completions === '') {
      throw new UsageError(`JOB_COMPLETION_INDEX=${index} is set (a Kubernetes Indexed Job) but not how many shards there are: pass --shard-count N or set JOB_COMPLETIONS to the Job's completions`);
    }
    return checked(index, parseCount(completions, 'JOB_COMPLETIONS'), 'JOB_COMPLETION_INDEX', `JOB_COMPLETION_INDEX=${index} with JOB_COMPLETIONS=${completions}`);
  }
  if (flags.shardCount !== undefined) throw new UsageError('--shard-count N needs JOB_COMPLETION_INDEX in the environment (a Kubernetes Indexed Job); elsewhere use --shard K/N');
  const gitlabIndex = env.CI_NODE_INDEX;
  if (gitlabIndex !== undefined && gitlabIndex !== '') {
    const oneBased = parseIndex(gitlabIndex, 'CI_NODE_INDEX');
    if (oneBased < 1) throw new UsageError(`CI_NODE_INDEX must be at least 1 (GitLab numbers parallel jobs from 1), got ${gitlabIndex}`);
    const total = env.CI_NODE_TOTAL;
    if (total === undefined || total === '') throw new UsageError(`CI_NODE_INDEX=${gitlabIndex} is set but CI_NODE_TOTAL is not`);
    return checked(oneBased - 1, parseCount(total, 'CI_NODE_TOTAL'), 'CI_NODE_INDEX', `CI_NODE_INDEX=${gitlabIndex} with CI_NODE_TOTAL=${total}`);
  }
  return WHOLE;
}

/** "shard 2/3 (from JOB_COMPLETION_INDEX)" for summaries; "" for the whole sweep. */
export function shardWords(shard: Shard): string {
  if (shard.count === 1 && shard.source === undefined) return '';
  return `shard ${shard.index}/${shard.count}${shard.source !== undefined && shard.source !== '--shard' ? ` (from ${shard.source})` : ''}`;
}

/** The positions i of 0..total-1 this shard runs: i ≡ index (mod count). How many there are. */
export function shardSize(total: number, shard: Shard): number {
  return shard.index >= total ? 0 : Math.floor((total - 1 - shard.index) / shard.count) + 1;
}
