/**
 * End-to-end harness: builds the lab with vite, serves it on 127.0.0.1 (a random port)
 * with the same server `zablab view` uses, and drives Debian's Chromium through
 * playwright-core. A missing Chromium is a failure with a clear message, never a skip:
 * CI installs it (`apt-get install chromium`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { repoRoot, serveLab, type LabServer } from '../../sim/cli/view.js';

export const CHROMIUM = process.env.ZABLAB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const ROOT = repoRoot();

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the end-to-end tests need it. Install it with \`apt-get install chromium\` (CI does), or point ZABLAB_CHROMIUM at a Chromium binary.`);
  }
}

export async function buildLab(outDir = join(ROOT, 'web-dist')): Promise<string> {
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export interface Lab {
  server: LabServer;
  context: BrowserContext;
  profile: string;
  work: string;
  close(): Promise<void>;
}

export async function startLab(dir: string, files: Record<string, string> = {}): Promise<Lab> {
  requireChromium();
  const server = await serveLab({ dir, port: 0, files });
  const profile = mkdtempSync(join(tmpdir(), 'zablab-chromium-'));
  const work = mkdtempSync(join(tmpdir(), 'zablab-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
    acceptDownloads: true,
  });
  return {
    server,
    context,
    profile,
    work,
    async close() {
      await context.close().catch(() => undefined);
      await server.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(lab: Lab, hash = ''): Promise<{ page: Page; errors: string[] }> {
  const page = await lab.context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.goto(lab.server.url + hash);
  return { page, errors };
}

/** Waits until the page shows a trace hash different from `previous`, and returns it. */
export async function waitForHash(page: Page, previous = '', selector = '#trace-hash'): Promise<string> {
  await page.waitForFunction(
    ([sel, prev]) => {
      const el = document.querySelector(sel);
      const busy = document.getElementById('busy');
      return el !== null && /^[0-9a-f]{16}$/.test(el.textContent ?? '') && el.textContent !== prev && (busy === null || busy.hidden);
    },
    [selector, previous] as const,
    { timeout: 60_000 },
  );
  return (await page.textContent(selector))!.trim();
}

/** `zablab run <file> --json` (the compiled CLI), parsed. */
export function cliRun(file: string, seed: number, protocol: string, trace?: string): { traceHash: string; leaders: { node: number; epoch: number; atUs: number }[]; linearizability: { verdict: string } } {
  const cli = join(ROOT, 'bin', 'zablab.js');
  if (!existsSync(join(ROOT, 'dist', 'sim', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) before the end-to-end tests');
  const args = [cli, 'run', file, '--json', '--seed', String(seed), '--protocol', protocol, ...(trace ? ['--trace', trace] : [])];
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // Exit 1 means an expectation failed: the JSON is still on stdout.
    const e = error as { status?: number; stdout?: string; stderr?: string };
    if (e.status !== 1 || !e.stdout) throw new Error(`zablab run failed (${e.status}): ${e.stderr ?? ''}`);
    stdout = e.stdout;
  }
  return JSON.parse(stdout) as ReturnType<typeof cliRun>;
}
