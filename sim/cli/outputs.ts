/**
 * Output files that never cost the user work: every output path is checked before the
 * work starts (not one of the command's inputs, not an existing file unless --force, a
 * folder that can be made), and written atomically (a temporary file renamed into
 * place), so an interrupted command leaves either the old file or the whole new one.
 */
import { accessSync, constants, existsSync, linkSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './io.js';

export interface OutputRules {
  /** The flag that named the path (for messages), e.g. "--trace". */
  flag: string;
  /** Files the command reads: an output may never be one of them. */
  inputs: readonly string[];
  /** Replace an existing output. */
  force: boolean;
}

/** True if `a` and `b` name the same file (same path, or one is a link to the other). */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/** The nearest existing folder at or above `path`'s parent must be a writable folder. */
function checkFolder(path: string, flag: string): void {
  let folder = resolve(dirname(path));
  while (!existsSync(folder)) folder = dirname(folder);
  if (!statSync(folder).isDirectory()) throw new UsageError(`${flag} ${path}: ${folder} is a file, not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: cannot write in ${folder} (permission denied)`);
  }
}

function refuseInput(path: string, rules: OutputRules): void {
  const input = rules.inputs.find((i) => sameFile(path, i));
  if (input !== undefined) throw new UsageError(`${rules.flag} ${path}: that is an input of this command (${input}); it is never overwritten: choose another path`);
}

/** Checks, before any work, that `path` may be written as an output file. */
export function checkOutputFile(path: string, rules: OutputRules): void {
  if (path === '') throw new UsageError(`${rules.flag} needs a file name`);
  refuseInput(path, rules);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`${rules.flag} ${path}: is a folder, expected a file name`);
    if (!rules.force) throw new UsageError(`${rules.flag} ${path}: the file exists; pass --force to replace it, or choose another path`);
  }
  checkFolder(path, rules.flag);
}

/**
 * Checks, before any work, an output folder: not a file, and holding none of the files
 * this command may write (names matching `written`) unless --force.
 */
export function checkOutputFolder(dir: string, rules: OutputRules, written: (name: string) => boolean): void {
  if (dir === '') throw new UsageError(`${rules.flag} needs a folder name`);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${rules.flag} ${dir}: is a file, expected a folder`);
    const clashes = readdirSync(dir).filter(written);
    if (clashes.length > 0 && !rules.force) {
      throw new UsageError(`${rules.flag} ${dir}: already holds ${clashes.length} file(s) this command would replace (${clashes.slice(0, 3).join(', ')}${clashes.length > 3 ? ', …' : ''}); pass --force to replace them, or choose another folder`);
    }
    checkFolder(join(dir, 'x'), rules.flag);
  } else checkFolder(dir, rules.flag);
}

let temporaries = 0;

/**
 * Writes `text` to `path` atomically. Never an input; an existing file only with
 * rules.force (checked again here: the file may have appeared while the work ran).
 */
export function writeOutputFile(path: string, text: string, rules: OutputRules): void {
  refuseInput(path, rules);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${temporaries++}.tmp`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, text);
    if (rules.force) renameSync(temporary, path);
    else {
      // link() fails if the name is taken, so a file that appeared meanwhile survives.
      try {
        linkSync(temporary, path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
        writeFileSync(path, text, { flag: 'wx' }); // a file system without hard links
      }
      unlinkSync(temporary);
    }
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already gone
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${rules.flag} ${path}: the file appeared while this command ran; pass --force to replace it`);
    throw new UsageError(`${rules.flag} ${path}: cannot write (${(error as Error).message})`);
  }
}
