/**
 * The browser lab on a big trace, in headless Chromium (playwright-core):
 * - `openTrace100kMs`: a trace of ≥ 100k events (a 5-server Paxos run with clients, a
 *   leader crash and a partition) opened from the file picker: from the file handed to
 *   the page until the first frame with the diagram and the state panel is painted
 *   (reading the file, validating and hashing every event, indexing, first render).
 *   Median of 3. Target: under 1 s.
 * - `scrubFrameMs` / `scrubFrameP95Ms`: moving the scrubber to 200 positions across the
 *   trace; each frame's main-thread work — the input handler (cursor, event narration,
 *   state panel, style and layout), then the diagram's redraw (it follows the cursor).
 *   Mean and 95th percentile, with the cluster view on (its drawing counts in the
 *   frame). Target: under 16 ms (a 60 Hz frame).
 * - `hashAndVerdict100kMs`: from the file handed to the page until its hash and its
 *   history's verdict are shown — both computed in the worker, with progress shown
 *   meanwhile. Median of 3. Target: under 5 s.
 * Chromium is /usr/bin/chromium (or ZABLAB_CHROMIUM); without it the suite reports nothing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { repoRoot, serveLab } from '../../sim/cli/view.js';
import { runScenario } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { traceToJson } from '../../sim/core/trace.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { median } from './median.js';

const CHROMIUM = process.env.ZABLAB_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const BIG_TRACE_SCENARIO: Scenario = {
  title: 'web benchmark: a busy 5-server cluster',
  explanation: 'Four clients at 80 ops/s each, a leader crash and a leader partition: a trace of about 100k events.',
  protocols: ['paxos'],
  cluster: { servers: 5 },
  workload: { clients: 4, ratePerSec: 80, keys: 4, readMode: 'quorum' },
  faults: [
    { atMs: 1500, action: 'crash', target: 'leader', durationMs: 500 },
    { atMs: 3000, action: 'partition', isolate: 'leader', durationMs: 400 },
  ],
  durationMs: 4700,
};

export async function benchWeb(): Promise<Record<string, number>> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`web: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
    return {};
  }
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'zablab-bench-web-'));
  const profile = mkdtempSync(join(tmpdir(), 'zablab-bench-chromium-'));
  try {
    const dist = join(work, 'web-dist');
    await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
    const run = runScenario(BIG_TRACE_SCENARIO, protocolAdapter('paxos'), { seed: 1, keepTrace: true, name: 'bench-web' });
    const traceFile = join(work, 'big-trace.json');
    const text = traceToJson(run.trace!);
    writeFileSync(traceFile, text);
    const server = await serveLab({ dir: dist, port: 0 });
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1600, height: 1000 } });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => /^[0-9a-f]{16}$/.exec(document.getElementById('trace-hash')?.textContent ?? '') !== null, undefined, { timeout: 60_000 });
      const opens: number[] = [];
      const verifies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = await page.evaluate(() => (window as unknown as { zablabPerf: { opened: number } }).zablabPerf.opened);
        await page.setInputFiles('#file-input', traceFile);
        await page.waitForFunction((n) => (window as unknown as { zablabPerf: { opened: number } }).zablabPerf.opened > n, before, { timeout: 60_000 });
        opens.push(await page.evaluate(() => (window as unknown as { zablabPerf: { openMs: number } }).zablabPerf.openMs));
        // Let the worker finish validating and hashing it (the lab is idle again) before the next open.
        await page.waitForFunction((h) => document.getElementById('trace-hash')?.textContent?.trim() === h, run.traceHash, { timeout: 60_000 });
        verifies.push(await page.evaluate(() => (window as unknown as { zablabPerf: { verifyMs: number } }).zablabPerf.verifyMs));
      }
      // The scrub is measured with the cluster view on (it is, unless a learner hides it).
      const clusterOn = await page.evaluate(() => !document.getElementById('cluster-host')?.hidden && !document.getElementById('cluster-panel')?.hidden);
      if (!clusterOn) throw new Error('web bench: the cluster view is off');
      const shown = (await page.textContent('#trace-hash'))?.trim();
      if (shown !== run.traceHash) throw new Error(`web bench: the page shows hash ${shown} for a trace of hash ${run.traceHash}`);
      const frames = await page.evaluate(async (steps: number) => {
        type Perf = { takeDrawMs: () => number };
        const perf = (window as unknown as { zablabPerf: Perf }).zablabPerf;
        const scrubber = document.getElementById('scrubber') as HTMLInputElement;
        const max = Number(scrubber.max);
        const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
        const out: number[] = [];
        let x = 12345;
        await nextFrame();
        perf.takeDrawMs();
        for (let i = 0; i < steps; i++) {
          // A deterministic walk: mostly small moves, sometimes a long jump, as a hand on a scrubber.
          x = (x * 1103515245 + 12345) % 2147483648;
          const jump = x % 10 === 0;
          const current = Number(scrubber.value);
          const target = jump ? x % (max + 1) : Math.min(max, Math.max(0, current + ((x >> 8) % 400) - 150));
          const t0 = performance.now();
          scrubber.value = String(target);
          scrubber.dispatchEvent(new Event('input', { bubbles: true }));
          void document.body.offsetHeight; // style and layout, forced now
          const handler = performance.now() - t0;
          await nextFrame();
          // The diagram draws in the frame callback: count its work too.
          await nextFrame();
          out.push(handler + perf.takeDrawMs());
        }
        return out;
      }, 200);
      const sorted = [...frames].sort((a, b) => a - b);
      return {
        events: run.events,
        traceMB: Math.round((text.length / 1e6) * 10) / 10,
        openTrace100kMs: Math.round(median(opens)),
        hashAndVerdict100kMs: Math.round(median(verifies)),
        clusterViewOn: 1,
        scrubFrameMs: Math.round((frames.reduce((a, b) => a + b, 0) / frames.length) * 100) / 100,
        scrubFrameP95Ms: Math.round(sorted[Math.floor(sorted.length * 0.95)] * 100) / 100,
      };
    } finally {
      await context.close();
      await server.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}
