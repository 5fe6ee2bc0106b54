import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'zablab.js');

/** Variables a sweep reads its shard from (sim/cli/shard.ts): tests set them only on purpose. */
const SHARD_VARIABLES = ['ZABLAB_SHARD', 'JOB_COMPLETION_INDEX', 'JOB_COMPLETIONS', 'CI_NODE_INDEX', 'CI_NODE_TOTAL'];

/** Runs the built `zablab` command (npm test builds dist/ first); `env` adds to a copy of this process's environment. */
export function zablab(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): { code: number; stdout: string; stderr: string } {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of SHARD_VARIABLES) delete env[name];
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', input: options.input, timeout: 120_000, env: { ...env, ...options.env } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the dispatcher, main(), in this process with stdout and stderr captured (and
 * optionally in another folder): the same code as the binary, without a process start.
 */
export async function zablabInProcess(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../sim/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const cwd0 = process.cwd();
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  if (cwd !== undefined) process.chdir(cwd);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.chdir(cwd0);
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}
