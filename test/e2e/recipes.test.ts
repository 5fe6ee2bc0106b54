/**
 * The recipe lane, end to end in headless Chromium: a recipe story whose lock holder is
 * cut off shows, under the diagram, each client's holding windows and the recipe
 * checker's verdict beside the linearizability verdict, equal to what `zablab run`
 * reports for the same seed. Every story holds its promise (Curator's holder gives the
 * lock up on SUSPENDED), so the two-holders window is shown on a trace of the same story
 * recorded with the broken application that ignores SUSPENDED (the flaw the lock's tests
 * use, test/client/lock.test.ts): the lab opens the trace file, hatches the overlap red
 * where the run's checker found it, and clicking it moves the cursor to its start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { runScenario, type RunResult } from '../../sim/scenario/run.js';
import { traceToJson } from '../../sim/core/trace.js';
import { buildLab, cliRun, openPage, requireChromium, ROOT, startLab, waitForHash, type Lab } from './harness.js';

const STORY = 'recipes/lock-holder-cut-off';
const SHOTS = process.env.ZABLAB_SHOTS;

let lab: Lab;
let broken: RunResult;
const work = mkdtempSync(join(tmpdir(), 'zablab-recipes-'));

beforeAll(async () => {
  requireChromium();
  const file = join(ROOT, 'scenarios', `${STORY}.json`);
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  broken = runScenario(scenario, protocolAdapter('zab'), { seed: 1, keepTrace: true, name: STORY, recipeFlaws: { lock: { keepHoldingWhenSuspended: true } } });
  writeFileSync(join(work, 'broken.json'), traceToJson(broken.trace!));
  lab = await startLab(await buildLab(), { '/trace/broken.json': join(work, 'broken.json') });
}, 120_000);

afterAll(async () => {
  await lab?.close();
  rmSync(work, { recursive: true, force: true });
});

interface CliRecipe {
  traceHash: string;
  recipe: { verdict: string; summary: string; windows: { client: number; fromUs: number; toUs: number | null }[]; overlaps: { clients: number[]; fromUs: number; toUs: number }[] };
}

async function openStory(width: number, height: number, story = STORY, view = ''): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(lab, `#s=${story}&p=zab&seed=1${view}`);
  await opened.page.setViewportSize({ width, height });
  return opened;
}

async function bands(page: Page): Promise<{ client: number; fromUs: number }[]> {
  const all = await page.$$eval('#recipe-lane .lane-band', (rects) => rects.map((r) => ({ client: Number(r.getAttribute('data-client')), fromUs: Number(r.getAttribute('data-from-us')) })));
  return all.sort((a, b) => a.fromUs - b.fromUs || a.client - b.client);
}

describe('the recipe lane', () => {
  it('draws each holder\'s windows and the recipe verdict, as zablab run reports them', async () => {
    const cli = cliRun(join(ROOT, 'scenarios', `${STORY}.json`), 1, 'zab') as unknown as CliRecipe;
    const { page, errors } = await openStory(1440, 900);
    expect(await waitForHash(page)).toBe(cli.traceHash);
    await page.waitForSelector('#recipe-lane .lane-band');
    // Zoomed to the whole run, every window is in view.
    await page.click('button[data-act="fit"]');
    await page.waitForFunction((n) => document.querySelectorAll('#recipe-lane .lane-band').length === n, cli.recipe.windows.length);
    expect(await bands(page)).toEqual(cli.recipe.windows.map((w) => ({ client: w.client, fromUs: w.fromUs })));
    // One colour per client.
    const fills = await page.$$eval('#recipe-lane .lane-band', (rects) => rects.map((r) => `${r.getAttribute('data-client')}:${r.getAttribute('fill')}`));
    expect(new Set(fills.map((f) => f.split(':')[0])).size).toBe(new Set(fills).size);
    expect(await page.$$('#recipe-lane .recipe-overlap')).toHaveLength(0);
    // The verdict beside linearizability's.
    expect(await page.getAttribute('#recipe-verdict', 'data-verdict')).toBe(cli.recipe.verdict);
    expect(await page.textContent('#recipe-verdict')).toContain(cli.recipe.summary);
    expect(await page.textContent('#checks-panel')).toMatch(/linearizable[\s\S]*recipe lock/);
    if (SHOTS) {
      await page.screenshot({ path: join(SHOTS, 'recipe-lane-holds-1440.png') });
      await (await page.$('#checks-panel'))!.screenshot({ path: join(SHOTS, 'recipe-checks.png') });
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('hatches the two-holders window of a broken lock where the run found it; clicking it moves the cursor there', async () => {
    const report = broken.recipe!;
    expect(report.verdict).toBe('violated');
    expect(report.overlaps.length).toBeGreaterThan(0);
    const opened = await openPage(lab, '#trace=trace/broken.json');
    const page = opened.page;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.waitForSelector('#recipe-verdict');
    await page.click('button[data-act="fit"]');
    await page.waitForSelector('#recipe-lane .recipe-overlap');
    await page.waitForFunction((n) => document.querySelectorAll('#recipe-lane .lane-band').length === n, report.windows.length);
    expect(await bands(page)).toEqual(report.windows.map((w) => ({ client: w.client, fromUs: w.fromUs })));
    const overlaps = await page.$$eval('#recipe-lane .recipe-overlap', (rects) => rects.map((r) => ({ clients: r.getAttribute('data-clients'), fromUs: Number(r.getAttribute('data-from-us')), toUs: Number(r.getAttribute('data-to-us')) })));
    expect(overlaps).toEqual(report.overlaps.map((o) => ({ clients: o.clients.join(','), fromUs: o.fromUs, toUs: o.toUs })));
    expect(await page.getAttribute('#recipe-verdict', 'data-verdict')).toBe('violated');
    expect(await page.textContent('#recipe-verdict')).toContain(report.summary);
    // Clicking the overlap moves the cursor to its start, and the lane's cursor line is there.
    const before = Number(await page.inputValue('#scrubber'));
    await page.click('#recipe-lane .recipe-overlap');
    await page.waitForFunction((b) => Number((document.getElementById('scrubber') as HTMLInputElement).value) !== b, before);
    const start = broken.trace!.events.findIndex((e) => e.timeUs >= report.overlaps[0].fromUs);
    expect(Number(await page.inputValue('#scrubber'))).toBe(start);
    await page.waitForFunction(() => {
      const line = document.querySelector('#recipe-lane line.lane-cursor');
      const rect = document.querySelector('#recipe-lane .recipe-overlap');
      return line !== null && rect !== null && Math.abs(Number(line.getAttribute('x1')) - Number(rect.getAttribute('x'))) < 2;
    });
    if (SHOTS) {
      await page.screenshot({ path: join(SHOTS, 'recipe-lane-drawer-1440.png') });
      await page.click('#drawer-close');
      await page.screenshot({ path: join(SHOTS, 'recipe-lane-1440.png') });
    }
    expect(opened.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('gives the verdict zablab run gives where the trace alone cannot tell it (a watcher whose one server applied a member\'s expiry late)', async () => {
    // h28 recipes2 zab 555: the membership checker needs when each server applied the
    // member's closeSession, which the run records and a trace does not say.
    const file = join(ROOT, 'test', 'fixtures', 'recipes2-zab-555-membership-watcher-cut-off.json');
    const cli = cliRun(file, 555, 'zab') as unknown as CliRecipe;
    expect(cli.recipe.verdict).toBe('holds');
    const encoded = Buffer.from(readFileSync(file, 'utf8')).toString('base64url');
    const { page, errors } = await openPage(lab, `#sc=${encoded}&p=zab&seed=555`);
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(await waitForHash(page)).toBe(cli.traceHash);
    await page.waitForSelector('#recipe-verdict');
    expect(await page.getAttribute('#recipe-verdict', 'data-verdict')).toBe('holds');
    expect(await page.textContent('#recipe-verdict')).toContain(cli.recipe.summary);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('fits at 1280x720 in the guided view, and is absent for a scenario without a recipe', async () => {
    const { page, errors } = await openStory(1280, 720, 'recipes/leader-latch-cut-off', '&v=guide');
    await waitForHash(page);
    // The guided view opens on the first election, before the clients act: the lane says where its rows are.
    await page.waitForSelector('#recipe-lane .lane-empty');
    expect(await page.textContent('#recipe-lane summary')).toContain('leader-latch');
    const box = (await page.locator('#recipe-lane').boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(720);
    expect(box.height).toBeGreaterThan(40);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'recipe-lane-1280.png') });
    const hash = await waitForHash(page);
    await page.selectOption('#scenario-select', 'leader-crash-during-broadcast');
    await waitForHash(page, hash);
    expect(await page.isHidden('#recipe-lane')).toBe(true);
    expect(await page.$('#recipe-verdict')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
