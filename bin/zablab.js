#!/usr/bin/env node
// The `zablab` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the package's `prepare` script); this shim only loads the compiled entry point.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'sim', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('zablab: the compiled sources are missing (dist/). Run `npm install` or `npm run build` first.\n');
  process.exit(2);
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
