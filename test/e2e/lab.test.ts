/**
 * The browser lab, end to end, in real headless Chromium: what a learner does, and
 * what must hold for them — the page's trace hash is `zablab run`'s (determinism
 * across Node and the browser), faults injected by clicking export as a scenario the
 * CLI replays exactly, and nothing logs an error to the console.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PROTOCOLS } from '../../sim/scenario/protocols.js';
import { traceToNdjson, readTrace } from '../../sim/core/trace.js';
import { viewCommand } from '../../sim/cli/view.js';
import { buildLab, cliRun, openPage, requireChromium, ROOT, startLab, waitForHash, type Lab } from './harness.js';

const FIVE = join(ROOT, 'web', 'scenarios', 'five-servers-elect.json');
const STALE = join(ROOT, 'web', 'scenarios', 'stale-local-reads.json');
/** ZAB when this build has it, else Paxos: the lab must work with both. */
const AVAILABLE = Object.keys(PROTOCOLS);
const MAIN = AVAILABLE.includes('zab') ? 'zab' : 'paxos';
const LEADER_ROLES = ['LEADING', 'LEADER'];

let lab: Lab;
let dist: string;
const pageErrors: string[] = [];

async function page(hash = ''): Promise<Page> {
  const { page, errors } = await openPage(lab, hash);
  page.on('close', () => pageErrors.push(...errors));
  // Errors are collected when the page closes and checked in the last test.
  (page as unknown as { zablabErrors: string[] }).zablabErrors = errors;
  return page;
}

function errorsOf(p: Page): string[] {
  return (p as unknown as { zablabErrors: string[] }).zablabErrors;
}

async function cursorSeq(p: Page): Promise<number> {
  return Number(await p.inputValue('#scrubber'));
}

async function leaderCardRole(p: Page, node: number): Promise<string> {
  return ((await p.textContent(`#state-panel .server-card[data-node="${node}"] .role-badge`)) ?? '').trim();
}

beforeAll(async () => {
  requireChromium();
  dist = await buildLab();
  lab = await startLab(dist);
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

/** Waits until the page shows exactly this trace hash (fails after 60 s with what it shows). */
async function waitForExactHash(p: Page, hash: string): Promise<void> {
  try {
    await p.waitForFunction((h) => document.querySelector('#trace-hash')?.textContent?.trim() === h, hash, { timeout: 60_000 });
  } catch {
    expect((await p.textContent('#trace-hash'))?.trim()).toBe(hash);
  }
}

describe('the lab', () => {
  let shared: Page;
  let leader = -1;

  it(`opens, runs a 5-server election scenario on ${MAIN} in the page, and shows zablab run's trace hash`, async () => {
    shared = await page();
    await shared.waitForSelector('#scenario-select option[value="lab/five-servers-elect"]', { state: 'attached' });
    // The page opens on its default story: wait for that run, then switch.
    const first = await waitForHash(shared);
    await shared.selectOption('#scenario-select', 'lab/five-servers-elect');
    await shared.selectOption('#protocol-select', MAIN);
    const cli = cliRun(FIVE, 1, MAIN);
    await waitForExactHash(shared, cli.traceHash);
    expect(first).not.toBe(cli.traceHash);
    expect(await shared.locator('#state-panel .server-card').count()).toBe(5);
    expect(await shared.textContent('#story h1')).toContain('Five servers elect a leader');
    leader = cli.leaders[0].node;
  });

  it('steps to the first leader and reads it in the state panel', async () => {
    await shared.keyboard.press('Home');
    await shared.keyboard.press('l');
    const seq = await cursorSeq(shared);
    expect(seq).toBeGreaterThan(0);
    expect(await shared.textContent('#event-line')).toMatch(/leads|established/);
    expect(LEADER_ROLES).toContain(await leaderCardRole(shared, leader));
    // The lane label's role dot agrees.
    expect(LEADER_ROLES).toContain(await shared.getAttribute(`.lane-label[data-node="${leader}"]`, 'data-role'));
    // Stepping back and forth moves one event at a time.
    await shared.keyboard.press('ArrowLeft');
    expect(await cursorSeq(shared)).toBe(seq - 1);
    await shared.keyboard.press('ArrowRight');
    expect(await cursorSeq(shared)).toBe(seq);
  });

  it('crashes the leader by clicking and sees a new leader elected', async () => {
    const before = (await shared.textContent('#trace-hash'))!;
    await shared.click(`.lane-label[data-node="${leader}"]`);
    await shared.click('#popover button:has-text("Crash")');
    await waitForHash(shared, before);
    expect(await shared.textContent('#faults-panel .fault-list')).toContain(`crash S${leader}`);
    await shared.keyboard.press('l');
    const card = shared.locator('#state-panel .server-card').filter({ has: shared.locator('.role-badge', { hasText: /^(LEADING|LEADER)$/ }) });
    await expect.poll(() => card.count(), { timeout: 30_000 }).toBe(1);
    const newLeader = Number(await card.getAttribute('data-node'));
    expect(newLeader).not.toBe(leader);
    expect(await leaderCardRole(shared, leader)).toBe('DOWN');
  });

  it('exports the scenario with the fault; zablab run on it gives the page’s trace hash', async () => {
    const hash = (await shared.textContent('#trace-hash'))!.trim();
    const [download] = await Promise.all([shared.waitForEvent('download'), shared.click('#export-btn')]);
    const file = join(lab.work, download.suggestedFilename());
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { faults: { action: string; target: string }[]; seed: number; protocols: string[] };
    expect(exported.faults).toContainEqual(expect.objectContaining({ action: 'crash', target: `node:${leader}` }));
    expect(exported.seed).toBe(1);
    expect(exported.protocols[0]).toBe(MAIN);
    expect(cliRun(file, 1, MAIN).traceHash).toBe(hash);
  });

  it('puts scenario, seed, protocol, faults and cursor in the URL, and the link reproduces the view', async () => {
    await shared.keyboard.press('ArrowRight');
    await shared.waitForTimeout(400);
    const url = shared.url();
    expect(url).toMatch(/[#&]s=lab%2Ffive-servers-elect/);
    expect(url).toContain(`p=${MAIN}`);
    expect(url).toContain(`f=crash.${leader}@`);
    const seq = await cursorSeq(shared);
    expect(url).toContain(`c=${seq}`);
    const hash = (await shared.textContent('#trace-hash'))!.trim();
    const copy = await page(url.slice(url.indexOf('#')));
    expect(await waitForHash(copy)).toBe(hash);
    expect(await cursorSeq(copy)).toBe(seq);
    expect(await copy.textContent('#faults-panel .fault-list')).toContain(`crash S${leader}`);
    expect(errorsOf(copy)).toEqual([]);
    await copy.close();
  });

  it('pauses a server, partitions the cluster and drops one message by clicking; the export replays exactly', async () => {
    const p = await page(`#s=lab/leader-crash&seed=4&p=${MAIN}`);
    let hash = await waitForHash(p);
    const step = async (key: string, times: number) => {
      for (let i = 0; i < times; i++) await p.keyboard.press(key);
    };
    // Pause S1 for 30 ms, a little after the first election.
    await step('l', 1);
    await step('ArrowRight', 20);
    await p.click('.lane-label[data-node="1"]');
    await p.fill('#popover .dur input', '30');
    await p.click('#popover button:has-text("Pause")');
    hash = await waitForHash(p, hash);
    // Cut {S0, S2} off from {S1, S3, S4} for 40 ms, later.
    await step('c', 3);
    await p.click('.lane-label[data-node="0"]');
    await p.check('#popover .partition-pick input[value="2"]');
    await p.fill('#popover .dur input', '40');
    await p.click('#popover button:has-text("Cut it off")');
    hash = await waitForHash(p, hash);
    // Drop the message under the cursor's next delivery: go to a delivery, open its menu from the diagram.
    const target = await p.evaluate(() => {
      const app = (window as unknown as { zablab: { dropTargetForTest(): { x: number; y: number } | undefined } }).zablab;
      return app.dropTargetForTest();
    });
    expect(target).toBeDefined();
    await p.mouse.click(target!.x, target!.y);
    await p.click('#popover button:has-text("Drop this message")');
    hash = await waitForHash(p, hash);
    const faults = (await p.textContent('#faults-panel .fault-list')) ?? '';
    expect(faults).toMatch(/pause S1 at [\d.]+ ms for 30 ms/);
    expect(faults).toMatch(/partition \{S0, S2\} \| \{S1, S3, S4\} at [\d.]+ ms for 40 ms/);
    expect(faults).toMatch(/drop S\d → S\d at [\d.]+ ms/);
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#export-btn')]);
    const file = join(lab.work, `three-faults-${download.suggestedFilename()}`);
    await download.saveAs(file);
    expect(cliRun(file, 4, MAIN).traceHash).toBe(hash);
    expect(errorsOf(p)).toEqual([]);
    await p.close();
  });

  it('walks through the election in plain words (guided mode)', async () => {
    await shared.keyboard.press('Home');
    await shared.keyboard.press('g');
    await shared.waitForSelector('#guide-panel:not([hidden])');
    const titles: string[] = [];
    let rules = 0;
    for (let i = 0; i < 12; i++) {
      await shared.click('#guide-panel button:has-text("Next")');
      // A step that asks for a prediction waits for an answer (any will do here).
      if ((await shared.locator('#guide-panel .predict-choice').count()) > 0) await shared.click('#guide-panel .predict-choice >> nth=0');
      titles.push(((await shared.textContent('#guide-panel .guide-title')) ?? '').trim());
      rules += await shared.locator('#guide-panel .guide-rule').count();
    }
    expect(new Set(titles).size).toBeGreaterThan(6);
    expect(titles.join('\n')).toMatch(MAIN === 'zab' ? /vote/i : /ballot|phase 1|promise/i);
    // Steps name the protocol rule that fired.
    expect(rules).toBeGreaterThan(3);
    expect(await shared.locator('#guide-panel .vote-cell').count()).toBe(5);
    await shared.click('#guide-panel button:has-text("Back")');
    expect(errorsOf(shared)).toEqual([]);
    await shared.close();
  });

  it('opens a trace file from the file picker, and an NDJSON trace by drag and drop', async () => {
    const traceFile = join(lab.work, 'five.json');
    const cli = cliRun(FIVE, 2, MAIN, traceFile);
    const p = await page();
    await waitForHash(p);
    await p.setInputFiles('#file-input', traceFile);
    // The hash of an opened file is computed in the worker after it opens ("computing…"):
    // wait for the file's own hash, however long the worker takes on a busy machine.
    await waitForExactHash(p, cli.traceHash);
    expect(await p.textContent('#scenario-select')).toContain('File: five.json');
    // The same trace as NDJSON, dropped on the page.
    const ndjson = traceToNdjson(readTrace(readFileSync(traceFile, 'utf8')));
    await p.selectOption('#scenario-select', 'lab/leader-crash');
    const other = await waitForHash(p, cli.traceHash);
    const drop = await p.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'five.ndjson', { type: 'application/x-ndjson' }));
      return dt;
    }, ndjson);
    await p.dispatchEvent('body', 'drop', { dataTransfer: drop });
    expect(other).not.toBe(cli.traceHash);
    await waitForExactHash(p, cli.traceHash);
    // A broken file says what is wrong, and leaves the page working.
    await p.setInputFiles('#file-input', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"meta": {"format": "zablab-trace", "version": 99}}') });
    await p.waitForSelector('#toast.error:not([hidden])');
    expect(await p.textContent('#toast')).toMatch(/broken\.json: .*version 99/);
    expect(errorsOf(p)).toEqual([]);
    await p.close();
  });

  it('zablab view serves a trace and the page opens it', async () => {
    const traceFile = join(lab.work, 'view-me.json');
    const cli = cliRun(FIVE, 3, MAIN, traceFile);
    copyFileSync(traceFile, join(lab.work, 'view-copy.json'));
    let url = '';
    let stop: (() => Promise<void>) | undefined;
    const done = viewCommand([traceFile, '--port', '0'], {
      onReady: (server, u) => {
        url = u;
        stop = () => server.close();
      },
    });
    await expect.poll(() => url, { timeout: 30_000 }).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#trace=trace\/view-me\.json$/);
    const p = await lab.context.newPage();
    const errors: string[] = [];
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await p.goto(url);
    expect(await waitForHash(p)).toBe(cli.traceHash);
    await p.close();
    await stop!();
    expect(await done).toBe(0);
    expect(errors).toEqual([]);
  });

  it('shows ZAB and Paxos side by side on a shared time axis', async () => {
    const p = await page('#s=lab/five-servers-elect&seed=1&v=side');
    await p.waitForSelector('.diagrams.split .pane[data-protocol="zab"]');
    await p.waitForSelector('.diagrams.split .pane[data-protocol="paxos"]');
    for (const protocol of ['zab', 'paxos']) {
      if (AVAILABLE.includes(protocol)) {
        const hash = await waitForHash(p, '', `#trace-hash-${protocol}`);
        expect(hash).toBe(cliRun(FIVE, 1, protocol).traceHash);
        expect(await p.locator(`.pane[data-protocol="${protocol}"] canvas`).count()).toBe(2);
      } else {
        await expect.poll(() => p.textContent(`.pane[data-protocol="${protocol}"]`), { timeout: 30_000 }).toMatch(/not available/);
      }
    }
    // One cursor (a time) for both; stepping moves it forward.
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    expect(Number(await p.inputValue('#scrubber'))).toBeGreaterThan(0);
    expect(await p.locator('#event-line .side-line').count()).toBe(AVAILABLE.filter((x) => x === 'zab' || x === 'paxos').length);
    expect(errorsOf(p)).toEqual([]);
    await p.close();
  });

  it('draws the checker’s explanation of a non-linearizable history', async () => {
    const cli = cliRun(STALE, 1, MAIN);
    expect(cli.linearizability.verdict).toBe('not-linearizable');
    const p = await page(`#s=lab/stale-local-reads&seed=1&p=${MAIN}`);
    expect(await waitForHash(p)).toBe(cli.traceHash);
    await p.waitForSelector('#drawer:not([hidden]) .lin-svg');
    expect(await p.textContent('#lin-badge')).toContain('not linearizable');
    expect(await p.textContent('#drawer')).toContain('cannot be linearized');
    expect(await p.locator('#drawer .lin-op.stuck').count()).toBe(1);
    expect(await p.locator('#drawer .lin-point').count()).toBeGreaterThan(0);
    // Clicking the stuck operation moves the cursor to it.
    const before = await cursorSeq(p);
    await p.click('#drawer .lin-op.stuck');
    expect(await cursorSeq(p)).not.toBe(before);
    expect(errorsOf(p)).toEqual([]);
    await p.close();
  });

  it('opens a bug-zoo story from the picker: its JIRA story, the violation, and zablab run\'s trace hash', async () => {
    if (!AVAILABLE.includes('zab')) return;
    const p = await page();
    const name = 'bugs/zk-3104-newLeaderBeforeSnapshot';
    await p.waitForSelector(`#scenario-select optgroup[label="Bug zoo"] option[value="${name}"]`, { state: 'attached' });
    // The page opens on its first scenario: wait for that run, then switch.
    const first = await waitForHash(p);
    await p.selectOption('#scenario-select', name);
    const hash = await waitForHash(p, first);
    const cli = cliRun(join(ROOT, 'scenarios', `${name}.json`), 1, 'zab');
    expect(hash).toBe(cli.traceHash);
    expect(await p.textContent('#story')).toContain('ZOOKEEPER-3104');
    await p.waitForFunction(() => document.querySelector('#checks-panel')?.textContent?.includes('HistoryConsistency'), undefined, { timeout: 30_000 });
    await p.close();
  });

  it('plots latency, throughput and faults; hovering a latency point names the operation and moves the cursor to it', async () => {
    const p = await page(`#s=leader-crash-during-broadcast&p=${MAIN}`);
    await waitForHash(p);
    await p.click('#plots-strip > summary');
    // The strip draws on its 'toggle' event, which the browser fires as a task after the click.
    await p.waitForSelector('#plots-strip figure[data-plot]');
    expect(await p.$$eval('#plots-strip figure[data-plot]', (figs) => figs.map((f) => f.getAttribute('data-plot')))).toEqual(['latency', 'throughput', 'faults']);
    // The checks panel has the availability figures of the crash at 400 ms.
    expect(await p.textContent('#checks-panel')).toMatch(/availability: crash \[\d\] at 400\.0 ms: first write ok after/);
    const before = await cursorSeq(p);
    const point = p.locator('#plots-strip .op-point').nth(30);
    const opId = await point.getAttribute('data-op');
    const invokeSeq = Number(await point.getAttribute('data-seq'));
    expect(invokeSeq).not.toBe(before);
    await point.hover({ force: true });
    await p.waitForFunction((b) => Number((document.getElementById('scrubber') as HTMLInputElement).value) !== b, before);
    expect(await p.textContent('#plots-strip .plot-tooltip')).toContain(`op ${opId} `);
    // The cursor is on that operation's invocation.
    expect(await cursorSeq(p)).toBe(invokeSeq);
    expect(await p.textContent('#event-line')).toMatch(/Client \d+ → S\d/);
    expect(await p.locator('#plots-strip .plot-cursor').first().getAttribute('visibility')).toBe('visible');
    expect(errorsOf(p)).toEqual([]);
    await p.close();
  });

  it('after the window shrinks to a projector\'s 1280x720, the lanes stay above the plots strip and the legend (they folded as on a load)', async () => {
    const p = await page(`#s=leader-crash-during-broadcast&p=${MAIN}`);
    await waitForHash(p);
    const box = (sel: string) => p.evaluate((s) => { const r = document.querySelector(s)!.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; }, sel);
    expect(await p.locator('.legend').evaluate((e) => e.classList.contains('collapsed'))).toBe(false);
    await p.setViewportSize({ width: 1280, height: 720 });
    await p.waitForFunction(() => document.querySelector('.legend')?.classList.contains('collapsed') === true);
    await p.waitForTimeout(300);
    const diagrams = await box('.stage-row');
    expect(diagrams.bottom).toBeLessThanOrEqual((await box('#plots-strip')).top + 1);
    expect(diagrams.bottom - diagrams.top).toBeGreaterThan(250);
    await p.close();
  });

  it('logged no console error on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
