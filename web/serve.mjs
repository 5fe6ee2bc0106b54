#!/usr/bin/env node
// `npm start`: builds the lab with vite (into web-dist/) and serves it on 127.0.0.1 with
// vite's static preview server, printing the URL. `npm start -- --port 8080` picks the
// port. (`zablab view <trace>` serves the same build and opens a trace file.)
import { build, preview } from 'vite';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { port: { type: 'string' } }, strict: true });
const port = values.port !== undefined ? Number(values.port) : 5178;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`zablab: --port needs a port number, got ${JSON.stringify(values.port)}\n`);
  process.exit(2);
}
const configFile = join(here, 'vite.config.ts');
process.stdout.write('building the lab…\n');
await build({ configFile, logLevel: 'warn' });
const server = await preview({ configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port, strictPort: false, open: false } });
const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
process.stdout.write(`zablab lab: ${url}\n(127.0.0.1 only; Ctrl-C stops)\n`);
