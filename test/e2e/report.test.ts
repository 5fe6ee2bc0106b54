/**
 * The HTML report of `zablab run --report`, end to end in real Chromium: opened from disk
 * with every request that is not file:// blocked (the report must need no network), it
 * shows the three plots, the verdicts and the checker's explanation drawn, and logs no
 * error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, requireChromium } from './harness.js';

let context: BrowserContext;
let work: string;
let profile: string;

beforeAll(async () => {
  requireChromium();
  work = mkdtempSync(join(tmpdir(), 'zablab-report-e2e-'));
  profile = mkdtempSync(join(tmpdir(), 'zablab-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 } });
}, 60_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

describe('the HTML report, from disk, offline', () => {
  it('shows the three plots, the verdicts and the explanation of a stale read, with no console error and no request', async () => {
    const file = join(work, 'stale.html');
    // The stale-local-reads story: the run passes (the stale read is what it shows), its history is not linearizable.
    execFileSync(process.execPath, [join(ROOT, 'bin', 'zablab.js'), 'run', 'stale-local-reads', '--report', file], { cwd: ROOT, stdio: 'ignore' });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('figure[data-plot="faults"] svg');
    expect(await page.$$eval('figure[data-plot]', (figs) => figs.map((f) => f.getAttribute('data-plot')))).toEqual(['latency', 'throughput', 'faults']);
    expect(await page.locator('figure[data-plot="latency"] .op-point').count()).toBeGreaterThan(20);
    expect(await page.locator('figure[data-plot="throughput"] path.rate').count()).toBe(1);
    expect(await page.locator('#verdicts li').count()).toBeGreaterThan(2);
    expect(await page.textContent('[data-testid="outcome"]')).toBe('PASS');
    expect(await page.textContent('[data-testid="lin-verdict"]')).toContain('not linearizable');
    expect(await page.locator('#lin svg.lin-svg').count()).toBe(1);
    expect(await page.textContent('#reproduce pre')).toContain('zablab run stale-local-reads --seed 1 --protocol zab');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);
});
