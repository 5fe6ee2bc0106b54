/**
 * Shared CLI plumbing: a UsageError (bad flags or input: exit 2, message, no stack
 * trace), LimitReached (exit 3), reading files with messages that name them, and
 * writing to stdout and stderr (output files: outputs.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Bad input of any kind: printed as `zablab: <message>` with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A limit or budget ran out before the command reached its verdict: exit code 3. */
export class LimitReached extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitReached';
  }
}

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory, expected a file`);
    throw new UsageError(`${path}: cannot read (${(error as Error).message})`);
  }
}

/** Writes a file the caller has checked (the reports; other outputs go through outputs.ts). */
export function writeTextFile(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (error) {
    throw new UsageError(`${path}: cannot write (${(error as Error).message})`);
  }
}

// A reader that goes away early (`zablab bugs | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export const out = (text: string): void => {
  process.stdout.write(text);
};
export const err = (text: string): void => {
  process.stderr.write(text);
};
