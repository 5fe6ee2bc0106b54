/**
 * The shipped examples of sweeps across machines (examples/): a GitHub Actions matrix
 * workflow and a Kubernetes Indexed Job. They are documentation that runs elsewhere, so
 * they are checked here by parsing them and asserting their shard wiring is what the
 * CLI reads: every matrix job and every pod maps to its own shard K/N, the shard
 * commands leave the shard to the environment, and the merge reads every shard's folder.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { ROOT } from './helpers.js';
import { resolveShard } from '../../sim/cli/shard.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const example = (name: string) => readFileSync(join(ROOT, 'examples', name), 'utf8');

describe('examples/github-actions-sweep.yml', () => {
  const workflow = load(example('github-actions-sweep.yml')) as Doc;
  const sweep = workflow.jobs.sweep as Doc;
  const merge = workflow.jobs.merge as Doc;

  it('gives each matrix job its own shard through ZABLAB_SHARD, and runs the sweep without --shard', () => {
    const shards = sweep.strategy.matrix.shard as number[];
    expect(shards.length).toBeGreaterThan(1);
    expect(sweep.strategy['fail-fast']).toBe(false);
    expect(sweep.env.ZABLAB_SHARD).toBe('${{ strategy.job-index }}/${{ strategy.job-total }}');
    // What GitHub substitutes in each job of the matrix, as zablab reads it.
    const seen = shards.map((_, index) => {
      const env = { ZABLAB_SHARD: (sweep.env.ZABLAB_SHARD as string).replace('${{ strategy.job-index }}', String(index)).replace('${{ strategy.job-total }}', String(shards.length)) };
      const shard = resolveShard({}, env);
      return `${shard.index}/${shard.count}`;
    });
    expect(seen).toEqual(shards.map((_, k) => `${k}/${shards.length}`));
    const run = (sweep.steps as Doc[]).find((step) => typeof step.run === 'string' && step.run.includes('zablab sweep'))!.run as string;
    expect(run).not.toMatch(/--shard/);
    expect(run).toMatch(/--out "\$OUT" --json > "\$OUT\/runs\.jsonl" \|\| \[ \$\? -eq 1 \]/);
    expect(sweep.env.OUT).toBe('shard-${{ strategy.job-index }}');
    const upload = (sweep.steps as Doc[]).find((step) => String(step.uses).startsWith('actions/upload-artifact'))!;
    expect(upload.with.path).toBe(sweep.env.OUT);
    expect(existsSync(join(ROOT, workflow.env.SCENARIO as string))).toBe(true);
  });

  it('merges every shard artifact after the matrix', () => {
    expect(merge.needs).toBe('sweep');
    const download = (merge.steps as Doc[]).find((step) => String(step.uses).startsWith('actions/download-artifact'))!;
    expect(download.with).toEqual({ pattern: 'shard-*', path: 'shards' });
    const run = (merge.steps as Doc[]).find((step) => typeof step.run === 'string' && step.run.includes('zablab merge'))!.run as string;
    expect(run).toBe('npx zablab merge shards/shard-* --out merged');
  });
});

describe('examples/k8s-indexed-job.yaml', () => {
  const docs = loadAll(example('k8s-indexed-job.yaml')) as Doc[];
  const byPart = (part: string) => docs.filter((doc) => doc.metadata.labels.part === part);

  it('an Indexed Job whose pods each run their own shard from JOB_COMPLETION_INDEX and JOB_COMPLETIONS', () => {
    const [job] = byPart('sweep');
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    const container = job.spec.template.spec.containers[0] as Doc;
    const completions = (container.env as Doc[]).find((e) => e.name === 'JOB_COMPLETIONS')!.value as string;
    expect(Number(completions)).toBe(job.spec.completions);
    // What Kubernetes sets in pod k, as zablab reads it.
    const seen = Array.from({ length: job.spec.completions as number }, (_, k) => {
      const shard = resolveShard({}, { JOB_COMPLETION_INDEX: String(k), JOB_COMPLETIONS: completions });
      return `${shard.index}/${shard.count}`;
    });
    expect(seen).toEqual(seen.map((_, k) => `${k}/${job.spec.completions}`));
    const script = (container.args as string[]).join('\n');
    expect(script).toMatch(/out=\/results\/shard-\$JOB_COMPLETION_INDEX/);
    expect(script).toMatch(/zablab sweep \S+ --seeds \d+\.\.\d+ .*--out "\$out" .*--json > "\$out\/runs\.jsonl" \|\| \[ \$\? -eq 1 \]/);
    expect(script).not.toMatch(/--shard/);
  });

  it('a merge Job that reads every shard folder from the same volume', () => {
    const [storage] = byPart('storage');
    const [sweep] = byPart('sweep');
    const [merge] = byPart('merge');
    expect(storage.kind).toBe('PersistentVolumeClaim');
    const claim = (job: Doc) => job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName as string;
    expect(claim(sweep)).toBe(storage.metadata.name);
    expect(claim(merge)).toBe(storage.metadata.name);
    const mount = (job: Doc) => job.spec.template.spec.containers[0].volumeMounts[0].mountPath as string;
    expect(mount(merge)).toBe(mount(sweep));
    expect((merge.spec.template.spec.containers[0].args as string[]).join(' ')).toBe(`zablab merge ${mount(sweep)}/shard-* --out ${mount(sweep)}/merged --force`);
  });
});
