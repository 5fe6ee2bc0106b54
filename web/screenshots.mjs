#!/usr/bin/env node
// Takes the README's screenshots (docs/screenshots/*.png) in headless Chromium:
//   node web/screenshots.mjs            (needs /usr/bin/chromium, or ZABLAB_CHROMIUM)
//   node web/screenshots.mjs report     (only the ones named)
// Builds the lab, serves it on 127.0.0.1 and drives it as a learner would; the report's
// screenshot opens the page `zablab run --report` writes (run `npm run build` first).
import { build, preview } from 'vite';
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'docs', 'screenshots');
const configFile = join(here, 'vite.config.ts');
mkdirSync(out, { recursive: true });
await build({ configFile, logLevel: 'warn' });
const server = await preview({ configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0 } });
const base = server.resolvedUrls.local[0];
const profile = mkdtempSync(join(tmpdir(), 'zablab-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.ZABLAB_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: size(),
  deviceScaleFactor: 1,
});
/** 1440x900 (the README's); ZABLAB_SHOTS_SIZE=1280x720 checks the projector layout. */
function size() {
  const m = /^(\d+)x(\d+)$/.exec(process.env.ZABLAB_SHOTS_SIZE ?? '1440x900');
  if (!m) throw new Error('ZABLAB_SHOTS_SIZE is WIDTHxHEIGHT, e.g. 1280x720');
  return { width: Number(m[1]), height: Number(m[2]) };
}
const ready = (page, selector = '#trace-hash') =>
  page.waitForFunction((sel) => /^[0-9a-f]{16}$/.test(document.querySelector(sel)?.textContent?.trim() ?? '') && document.getElementById('busy').hidden, selector, { timeout: 60_000 });

const only = process.argv.slice(2);

async function shot(name, hash, setup) {
  if (only.length > 0 && !only.includes(name)) return;
  const page = await context.newPage();
  await page.goto(/^file:/.test(hash) ? hash : base + hash);
  await setup(page);
  await page.mouse.move(0, 0);
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(out, `${name}.png`) });
  process.stdout.write(`docs/screenshots/${name}.png\n`);
  await page.close();
}

/** In the guided view: Next (answering any prediction right) until `done(page)` holds. */
async function walkUntil(page, done, answerRight = true) {
  for (let i = 0; i < 40 && !(await done(page)); i++) {
    if ((await page.locator('#guide-panel .predict-choice').count()) > 0) {
      const answer = await page.evaluate(() => window.zablab.run.chapters.steps[window.zablab.asking].question.answer);
      await page.click(`#guide-panel .predict-choice >> nth=${answerRight ? answer : (answer + 1) % 5}`);
    } else await page.click('#guide-panel button:has-text("Next")');
  }
}

try {
  // The cluster view: three histories restart; votes move to the best one, messages in flight.
  await shot('cluster-view', '#s=lab/three-histories&seed=1&p=zab', async (page) => {
    await ready(page);
    await page.evaluate(() => {
      const app = window.zablab;
      const events = app.run.model.events;
      const seq = events.findIndex((e) => e.kind === 'vote' && /higher epoch/.test(e.reason ?? ''));
      app.setCursor(seq + 2, true);
    });
  });
  // A chapter with its tally: the quorum forms, the tally's quorum line and the diagram's are lit.
  await shot('chapter-tally', '#s=lab/three-histories&seed=1&p=zab&v=guide', async (page) => {
    await ready(page);
    await walkUntil(page, async (p) => (await p.textContent('#guide-panel .chapter-pill.current')) === 'A quorum forms');
  });
  // A prediction prompt: which server will S3 vote for now?
  await shot('predict-prompt', '#s=lab/three-histories&seed=1&p=zab&v=guide', async (page) => {
    await ready(page);
    await page.click('#guide-panel button:has-text("Next")');
    await page.click('#guide-panel button:has-text("Next")');
    await page.waitForSelector('#guide-panel .predict-prompt');
  });
  // 1. Guided election (ZAB): a server changes its vote; the walkthrough says why.
  await shot('guided-election', '#s=lab/five-servers-elect&seed=1&p=zab&v=guide', async (page) => {
    await ready(page);
    let steps = 0;
    await walkUntil(page, async (p) => steps++ > 4 && (await p.locator('#guide-panel .guide-title').count()) > 0 && /changes its vote/.test((await p.textContent('#guide-panel .guide-title')) ?? ''));
  });
  // 2. Exploring a run after crashing the leader: state panel, logs, trees, new election.
  await shot('crash-the-leader', '#s=lab/leader-crash&seed=1&p=zab', async (page) => {
    await ready(page);
    // Just after the new leader is established: the crash, the new election and the new epoch in view.
    const now = () => page.evaluate(() => Number(document.querySelector('#cursor-info').textContent.match(/· ([\d.]+) ms/)?.[1] ?? 0) * 1000);
    await page.keyboard.press('f');
    const crashUs = await now();
    await page.keyboard.press('l');
    await page.keyboard.press('c');
    const t = await now();
    await page.evaluate(([a, b]) => window.zablab.showTimeWindow(a, b), [crashUs - 6000, t + 8000]);
  });
  // 3. ZAB and Paxos side by side on one time axis.
  await shot('side-by-side', '#s=lab/five-servers-elect&seed=1&v=side', async (page) => {
    await ready(page, '#trace-hash-zab');
    await ready(page, '#trace-hash-paxos');
    for (let i = 0; i < 3; i++) await page.keyboard.press('c');
  });
  // 4. A history that is not linearizable, and the checker's explanation.
  await shot('not-linearizable', '#s=lab/stale-local-reads&seed=1&p=zab', async (page) => {
    await ready(page);
    await page.waitForSelector('#drawer:not([hidden]) .lin-svg');
    await page.click('#drawer .lin-op.stuck');
  });
  // 5. ZAB over Paxos: the side-by-side view with the plots unfolded, latency and throughput overlaid.
  await shot('zab-over-paxos', '#s=lab/leader-crash&seed=1&v=side', async (page) => {
    await ready(page, '#trace-hash-zab');
    await ready(page, '#trace-hash-paxos');
    await page.keyboard.press('f');
    await page.click('#plots-strip > summary');
    await page.locator('#plots-strip figure[data-plot="throughput"]').scrollIntoViewIfNeeded();
  });
  // 6. The self-contained report of one run (zablab run … --report), at its plots.
  const reportFile = join(profile, 'leader-crash.html');
  execFileSync(process.execPath, [join(here, '..', 'bin', 'zablab.js'), 'run', 'leader-crash-during-broadcast', '--report', reportFile], { stdio: 'ignore' });
  await shot('report', pathToFileURL(reportFile).href, async (page) => {
    await page.waitForSelector('figure[data-plot="faults"] svg');
    await page.evaluate(() => document.getElementById('availability').scrollIntoView());
  });
} finally {
  await context.close();
  await new Promise((r) => server.httpServer.close(r));
  rmSync(profile, { recursive: true, force: true });
}
