/**
 * "Choose the next event" in the lab, end to end in Chromium: at a cursor the page
 * lists the events that could happen next (from the explorer's scheduler); picking one
 * branches the run (the trace changes, the cursor sits on the chosen event); a
 * different pick gives a different run; Back returns exactly to the branch point's run
 * (same hash); the exported branch is a scenario with a `schedule` that `zablab run`
 * replays to the page's trace hash. Screenshots at 1440x900 and 1280x720 go to
 * ZABLAB_SCREENSHOTS when it is set (to look at by hand).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildLab, cliRun, openPage, requireChromium, startLab, waitForHash, type Lab } from './harness.js';

const SCENARIO = 'explore/three-servers-two-writes';

let lab: Lab;
let page: Page;
let errors: string[] = [];

beforeAll(async () => {
  requireChromium();
  const dist = await buildLab(mkdtempSync(join(tmpdir(), 'zablab-branch-dist-')));
  lab = await startLab(dist);
  ({ page, errors } = await openPage(lab));
}, 180_000);

afterAll(async () => {
  await lab?.close();
});

async function hash(): Promise<string> {
  return ((await page.textContent('#trace-hash')) ?? '').trim();
}

async function pathLength(): Promise<number> {
  return page.locator('#branch-path li').count();
}

/** Clicks and waits for the run that follows: a hash other than `previous`. */
async function clickAndRun(selector: string, previous: string): Promise<string> {
  await page.click(selector);
  await page.waitForSelector('#branch-next, .branch-halted', { timeout: 60_000 });
  return waitForHash(page, previous);
}

describe('choose the next event', () => {
  it('branches at the cursor, diverges with a different pick, steps back exactly, and exports a schedule zablab run replays to the page’s hash', async () => {
    await page.waitForSelector(`#scenario-select option[value="${SCENARIO}"]`, { state: 'attached' });
    const opening = await waitForHash(page);
    await page.selectOption('#scenario-select', SCENARIO);
    await page.selectOption('#protocol-select', 'zab');
    const clock = await waitForHash(page, opening);
    // A cursor in the middle of the run, after the first election.
    await page.keyboard.press('Home');
    await page.keyboard.press('l');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    const at = Number(await page.inputValue('#scrubber'));
    expect(at).toBeGreaterThan(0);

    const branched = await clickAndRun('#branch-panel button:has-text("Branch at the cursor")', clock);
    expect(await pathLength()).toBe(1);
    // Messages, timers and the environment are listed open; faults are folded (a details element). The
    // clock's own next event is marked: taking it would leave the run as it is.
    expect(await page.locator('#branch-next .branch-choice[data-clock="1"]').count()).toBeLessThanOrEqual(1);
    const choices = page.locator('#branch-next div.branch-group .branch-choice:not([data-clock])');
    expect(await choices.count()).toBeGreaterThan(1);
    // Two different next events: each is a step, and they lead to different runs.
    const keys = await choices.evaluateAll((buttons) => buttons.map((b) => (b as HTMLElement).dataset.step!));
    const first = keys[0];
    const other = keys[keys.length - 1];
    expect(other).not.toBe(first);
    const firstRun = await clickAndRun(`#branch-next .branch-choice[data-step="${first}"]`, branched);
    expect(await pathLength()).toBe(2);
    // The cursor sits on the chosen event, right after the branch point.
    const cursor = Number(await page.inputValue('#scrubber'));
    expect(cursor).toBeGreaterThan(0);

    // Back: exactly the branch point's run again.
    await page.click('#branch-back');
    await page.waitForFunction((h) => document.querySelector('#trace-hash')?.textContent?.trim() === h, branched, { timeout: 60_000 });
    expect(await pathLength()).toBe(1);
    await page.waitForSelector('#branch-next .branch-choice', { timeout: 60_000 });
    const otherRun = await clickAndRun(`#branch-next .branch-choice[data-step="${other}"]`, branched);
    expect(otherRun, 'another next event, another run').not.toBe(firstRun);
    expect(await pathLength()).toBe(2);
    // And one more step on this branch, so the export has two choices.
    await page.waitForSelector('#branch-next .branch-choice', { timeout: 60_000 });
    const deeper = await clickAndRun('#branch-next div.branch-group .branch-choice:not([data-clock]) >> nth=0', otherRun);
    expect(await pathLength()).toBe(3);

    // The state panel follows the branch: a card per server at the cursor.
    expect(await page.locator('#state-panel .server-card').count()).toBe(3);

    const shots = process.env.ZABLAB_SCREENSHOTS;
    if (shots !== undefined) {
      for (const [width, height] of [
        [1440, 900],
        [1280, 720],
      ]) {
        await page.setViewportSize({ width, height });
        await page.locator('#branch-panel').scrollIntoViewIfNeeded();
        await page.waitForTimeout(1000);
        await page.screenshot({ path: join(shots, `branch-${width}x${height}.png`) });
      }
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#branch-export')]);
    const file = join(lab.work, download.suggestedFilename());
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { schedule: { e: string }[]; seed: number };
    expect(exported.schedule).toHaveLength(3);
    expect(exported.schedule[0].e).toBe('run');
    expect(cliRun(file, exported.seed, 'zab').traceHash).toBe(deeper);
    expect(await hash()).toBe(deeper);

    expect(errors).toEqual([]);
  });
});
