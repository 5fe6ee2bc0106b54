/**
 * `zablab view [trace]`: serves the browser lab (web-dist/, built by vite) on
 * 127.0.0.1 and prints its URL; with a trace file, the URL opens that trace.
 *
 * The server is deliberately tiny (node:http, GET and HEAD, files under the lab's
 * directory only, no directory listings) and listens on the loopback interface only:
 * the lab itself needs no server at all once loaded, everything runs in the page.
 * `serveLab` is also what `npm start`, the end-to-end tests and the web benchmark use.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { readTrace, TraceFormatError } from '../core/trace.js';
import { parseFlags } from './args.js';
import { UsageError, out, readTextFile } from './io.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The repository root: the nearest ancestor holding zablab's package.json. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'zablab') return dir;
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the zablab package root');
    dir = up;
  }
}

/** Builds the lab with vite (a devDependency) into web-dist/. */
export async function buildLab(root = repoRoot()): Promise<string> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new UsageError('building the lab needs vite (a devDependency): run `npm install` in the zablab repository');
  }
  await vite.build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
  return join(root, 'web-dist');
}

export interface LabServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Directory of the built lab (default: <repo>/web-dist). */
  dir?: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Extra files served by URL path (e.g. "/trace/run.json" → a file on disk). */
  files?: Record<string, string>;
}

export function serveLab(options: ServeOptions = {}): Promise<LabServer> {
  const dir = resolve(options.dir ?? join(repoRoot(), 'web-dist'));
  const host = options.host ?? '127.0.0.1';
  const files = options.files ?? {};
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = files[path];
    if (file === undefined) {
      const rel = normalize(path === '/' ? '/index.html' : path).replace(/^([/\\])+/, '');
      file = join(dir, rel);
      if (!file.startsWith(dir + sep)) {
        res.writeHead(403).end();
        return;
      }
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else res.end(readFileSync(file));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolvePromise({
        url: `http://${host}:${port}/`,
        port,
        server,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export const VIEW_USAGE = `usage: zablab view [trace] [--port N] [--build] [--open]

Serves the browser lab on 127.0.0.1 and prints its URL. With a trace file (from
\`zablab run … --trace FILE\`), the URL opens that trace. The lab is built into
web-dist/ by \`npm start\`; --build builds it first. --open also opens a browser.
Stop with Ctrl-C.
`;

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    spawn(command, args, { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  } catch {
    // no browser to open: the URL is printed anyway
  }
}

export interface ViewHooks {
  /** Called once the lab is served (tests close it through `lab.close()`, which ends the command). */
  onReady?: (lab: LabServer, url: string) => void;
}

export async function viewCommand(argv: string[], hooks: ViewHooks = {}): Promise<number> {
  const { values, positionals } = parseFlags('view', argv, { port: { type: 'string' }, build: { type: 'boolean' }, open: { type: 'boolean' } }, VIEW_USAGE);
  if (positionals.length > 1) throw new UsageError(`takes at most one trace file, got ${positionals.length} (zablab view --help)`);
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port needs a port number, got ${JSON.stringify(values.port)}`);
    port = Number(values.port);
  }
  const files: Record<string, string> = {};
  let hash = '';
  if (positionals.length === 1) {
    const path = resolve(positionals[0]);
    const text = readTextFile(positionals[0]);
    try {
      readTrace(text);
    } catch (error) {
      if (error instanceof TraceFormatError) throw new UsageError(`${positionals[0]}: ${error.message}`);
      throw error;
    }
    const name = basename(path).replace(/[^\w.-]+/g, '-');
    files[`/trace/${name}`] = path;
    hash = `#trace=trace/${encodeURIComponent(name)}`;
  }
  const root = repoRoot();
  const dir = join(root, 'web-dist');
  if (values.build || !existsSync(join(dir, 'index.html'))) {
    out(`building the lab into ${dir} …\n`);
    await buildLab(root);
  }
  let lab: LabServer;
  try {
    lab = await serveLab({ dir, port, files });
  } catch (error) {
    throw new UsageError(`cannot listen on 127.0.0.1:${port} (${(error as Error).message})`);
  }
  const url = lab.url + hash;
  out(`zablab lab: ${url}\n(serving ${dir} on 127.0.0.1 only; Ctrl-C stops)\n`);
  if (values.open) openBrowser(url);
  return new Promise<number>((resolveExit) => {
    const stop = () => void lab.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    lab.server.once('close', () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolveExit(0);
    });
    hooks.onReady?.(lab, url);
  });
}
