#!/usr/bin/env node
// `npm run build` (and `npm install`'s prepare): compiles the TypeScript sources into a
// fresh folder dist.<stamp>/ beside dist, then points dist at it in one rename of a
// symbolic link. A `zablab` command started meanwhile sees the whole old build or the
// whole new one, never half of each (tsc writing into dist/ in place could leave a
// command loading a new module from an old one, and crash with a SyntaxError). Node
// resolves a module to its real path, so a command keeps loading its lazily imported
// modules from the build it started in; the previous builds are kept for that (the
// newest KEEP, and any younger than an hour), older ones are removed.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KEEP = 3;
const KEEP_YOUNGER_THAN_MS = 60 * 60 * 1000;

/** Points root/dist at root/<build> atomically (a real dist/ folder is moved aside first, once). */
export function publish(root, build) {
  const dist = join(root, 'dist');
  if (existsSync(dist) && !lstatSync(dist).isSymbolicLink()) {
    // An old in-place build: moved aside once (the only moment dist/ is briefly absent).
    renameSync(dist, join(root, `dist.legacy-${Date.now()}`));
  }
  const link = join(root, `dist.link-${process.pid}`);
  rmSync(link, { force: true });
  symlinkSync(build, link, 'junction');
  renameSync(link, dist);
}

/** Removes old builds: all but the newest KEEP and any younger than an hour; never the current one. */
export function prune(root, now = Date.now()) {
  const current = lstatSync(join(root, 'dist')).isSymbolicLink() ? readdirSync(root).find((name) => name.startsWith('dist.') && isCurrent(root, name)) : undefined;
  const builds = readdirSync(root)
    .filter((name) => /^dist\.(\d+-\d+|legacy-\d+)$/.test(name))
    .map((name) => ({ name, mtimeMs: statSync(join(root, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const [index, build] of builds.entries()) {
    if (build.name === current || index < KEEP || now - build.mtimeMs < KEEP_YOUNGER_THAN_MS) continue;
    rmSync(join(root, build.name), { recursive: true, force: true });
  }
}

function isCurrent(root, name) {
  try {
    return statSync(join(root, 'dist')).ino === statSync(join(root, name)).ino;
  } catch {
    return false;
  }
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const build = `dist.${Date.now()}-${process.pid}`;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(root, build)], { stdio: 'inherit' });
  // The HTML report's bundled script and stylesheet go into the same build (dist/report/).
  const report = result.status === 0 ? spawnSync(process.execPath, [join(root, 'web', 'build-report.mjs'), join(root, build, 'report')], { stdio: 'inherit' }) : result;
  if (report.status !== 0) {
    rmSync(join(root, build), { recursive: true, force: true });
    process.exit(report.status ?? 1);
  }
  publish(root, build);
  prune(root);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
