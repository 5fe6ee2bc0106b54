/**
 * The build swaps dist in one rename (scripts/build-dist.mjs): a command started while
 * `npm run build` or `npm test` rebuilds sees a whole build, never half of one.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

interface BuildScript {
  publish(root: string, build: string): void;
  prune(root: string, now?: number): void;
}
const script = (): Promise<BuildScript> => import(join(ROOT, 'scripts', 'build-dist.mjs') as string) as Promise<BuildScript>;

describe('the build publishes dist atomically', () => {
  it('npm run build made dist a link to a whole build beside it', () => {
    expect(lstatSync(join(ROOT, 'dist')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(ROOT, 'dist'))).toMatch(/^dist\.\d+-\d+$/);
  });

  it('a reader never finds dist missing or half written while builds are swapped in', async () => {
    const { publish, prune } = await script();
    const root = mkdtempSync(join(tmpdir(), 'zablab-build-'));
    // A first, old-style build: a real folder, moved aside by the first publish.
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'a.js'), 'export const build = "old";\n');
    writeFileSync(join(root, 'dist', 'b.js'), 'export { build } from "./a.js";\n');
    const build = (i: number) => {
      const name = `dist.${1000 + i}-1`;
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'a.js'), `export const build = ${i};\n`);
      writeFileSync(join(root, name, 'b.js'), 'export { build } from "./a.js";\n');
      return name;
    };
    publish(root, build(0));
    // The reader imports dist/b.js (which imports ./a.js) again and again, as commands would.
    const reader = spawn(process.execPath, ['--input-type=module', '-e', `
      import { pathToFileURL } from 'node:url';
      let n = 0, failures = 0;
      const end = Date.now() + 1500;
      while (Date.now() < end) {
        try { const m = await import(pathToFileURL(${JSON.stringify(join(root, 'dist', 'b.js'))}).href + '?' + n++); if (typeof m.build !== 'number') failures++; }
        catch (e) { failures++; console.error(String(e)); }
      }
      console.log(JSON.stringify({ n, failures }));
    `]);
    let stdout = '';
    reader.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const done = new Promise<void>((resolve) => reader.on('exit', () => resolve()));
    for (let i = 1; i <= 150; i++) {
      publish(root, build(i));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await done;
    const { n, failures } = JSON.parse(stdout) as { n: number; failures: number };
    expect(n).toBeGreaterThan(10);
    expect(failures).toBe(0);
    expect(readlinkSync(join(root, 'dist'))).toBe('dist.1150-1');
    // Pruning keeps the current build and the recent ones (a running command may still load from them).
    prune(root, Date.now() + 2 * 60 * 60 * 1000);
    expect(lstatSync(join(root, 'dist.1150-1')).isDirectory()).toBe(true);
    expect(() => lstatSync(join(root, 'dist.1001-1'))).toThrow();
  });
});
