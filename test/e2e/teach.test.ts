/**
 * The lab as a teacher uses it at a projector (1280×720) and on a laptop (1440×900),
 * in real headless Chromium: every defect a classroom trial found stays fixed — the
 * state panel and the cursor after the ZAB ↔ Paxos view, the view following the cursor,
 * the top bar and the lanes at 720 px, the collapsible legend and footer, the resizable
 * linearizability drawer and its links, `E` to an election's start, drop marks, glyphs,
 * the scenario's fault notes and a narration that does not contradict itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildLab, openPage, requireChromium, ROOT, startLab, waitForHash, type Lab } from './harness.js';

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
] as const;

let lab: Lab;
let dist: string;
const errors: string[] = [];

beforeAll(async () => {
  requireChromium();
  dist = await buildLab(mkdtempSync(join(tmpdir(), 'zablab-teach-dist-')));
  lab = await startLab(dist);
}, 120_000);

afterAll(async () => {
  await lab?.close();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

async function open(hash: string, size: { width: number; height: number } = SIZES[0]): Promise<Page> {
  const { page, errors: pageErrors } = await openPage(lab, '');
  page.on('close', () => errors.push(...pageErrors));
  await page.setViewportSize(size);
  await page.goto(`${lab.server.url}${hash}`);
  await waitForHash(page, '', hash.includes('v=side') ? '#trace-hash-zab' : '#trace-hash');
  return page;
}

type Box = { x: number; y: number; width: number; height: number };
const box = async (p: Page, selector: string): Promise<Box> => {
  const b = await p.locator(selector).first().boundingBox();
  if (!b) throw new Error(`${selector} is not on screen`);
  return b;
};
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, outer: Box) => a.x >= outer.x - 0.5 && a.y >= outer.y - 0.5 && a.x + a.width <= outer.x + outer.width + 0.5 && a.y + a.height <= outer.y + outer.height + 0.5;

/** The cursor's x on the main diagram, and the diagram's drawable stretch (page px). */
async function cursorInView(p: Page): Promise<boolean> {
  return p.evaluate(() => {
    const app = (window as unknown as { zablab: { cursor: number; diagrams: { domain(): [number, number]; axisMode: string }[]; run: { model: { eventTime: Float64Array } } } }).zablab;
    const d = app.diagrams[0];
    const [d0, d1] = d.domain();
    const v = d.axisMode === 'time' ? app.run.model.eventTime[app.cursor] : app.cursor;
    return v >= d0 && v <= d1;
  });
}

describe('the lab at a projector', () => {
  for (const size of SIZES) {
    it(`${size.width}×${size.height}: the top bar keeps every control whole, side by side shows every lane, legend and footer fold away`, async () => {
      const p = await open('#s=lab/five-servers-elect&seed=1&p=zab&v=side', size);
      await waitForHash(p, '', '#trace-hash-paxos');
      // Top bar: one row, nothing covers the scenario picker, which stays readable.
      const controls = ['#scenario-select', '#seed-input', '#protocol-select', '#run-btn', '#open-btn', '.views', '.actions'];
      const boxes = await Promise.all(controls.map((s) => box(p, s)));
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i], boxes[j]), `${controls[i]} overlaps ${controls[j]}`).toBe(false);
      expect(boxes[0].width).toBeGreaterThanOrEqual(170);
      expect((await box(p, '.topbar')).height).toBeLessThan(60);
      for (const b of boxes) expect(b.x + b.width).toBeLessThanOrEqual(size.width);
      // Side by side: both panes show all five server lanes, whole.
      for (const protocol of ['zab', 'paxos']) {
        const pane = await box(p, `.pane[data-protocol="${protocol}"]`);
        const labels = p.locator(`.pane[data-protocol="${protocol}"] .lane-label[data-node]`);
        expect(await labels.count()).toBe(5);
        for (let i = 0; i < 5; i++) expect(inside((await labels.nth(i).boundingBox())!, pane), `${protocol} S${i} is cut off`).toBe(true);
      }
      // Legend and shortcut footer fold to one short line each, and unfold.
      for (const [strip, what] of [['#legend', 'legend'], ['#keys', 'shortcuts']] as const) {
        const toggle = p.locator(`${strip} > .collapse-btn`);
        if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
        const open = (await box(p, strip)).height;
        await toggle.click();
        expect(await toggle.getAttribute('aria-expanded')).toBe('false');
        const folded = (await box(p, strip)).height;
        expect(folded, `${what} folded`).toBeLessThan(36);
        expect(folded).toBeLessThan(open);
      }
      await p.close();
    });
  }

  it('after the ZAB ↔ Paxos view, the state panel shows the servers again and the cursor stays in view through Play and stepping', async () => {
    const p = await open('#s=lab/five-servers-elect&seed=1&p=zab');
    await p.keyboard.press('l');
    await p.keyboard.press('s');
    await waitForHash(p, '', '#trace-hash-paxos');
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('x');
    await waitForHash(p);
    await expect.poll(() => p.locator('#state-panel .server-card').count()).toBe(5);
    expect(await cursorInView(p)).toBe(true);
    // Play at full speed: the view follows the cursor all the way.
    await p.selectOption('#speed-select', '1000');
    const before = Number(await p.inputValue('#scrubber'));
    await p.keyboard.press(' ');
    for (let i = 0; i < 6; i++) {
      await p.waitForTimeout(250);
      expect(await cursorInView(p), `Play, sample ${i}`).toBe(true);
    }
    await p.keyboard.press(' ');
    expect(Number(await p.inputValue('#scrubber'))).toBeGreaterThan(before + 100);
    // Stepping by tens, then jumping back: the view goes with it.
    await p.keyboard.press('Home');
    for (let i = 0; i < 30; i++) await p.keyboard.press('Shift+ArrowRight');
    expect(await cursorInView(p)).toBe(true);
    await p.keyboard.press('End');
    expect(await cursorInView(p)).toBe(true);
    expect(await p.locator('#state-panel .server-card').count()).toBe(5);
    await p.close();
  });

  it('E goes to the start of an election (before its votes), L to the leader it ends with', async () => {
    for (const protocol of ['zab', 'paxos']) {
      const p = await open(`#s=lab/leader-crash&seed=1&p=${protocol}`);
      const seqs: number[] = [];
      const facts = await p.evaluate(() => {
        const app = (window as unknown as { zablab: { run: { model: { jumps: { election: number[]; leader: number[]; vote: number[] } } } } }).zablab;
        return app.run.model.jumps;
      });
      expect(facts.election.length).toBeGreaterThanOrEqual(2);
      await p.keyboard.press('Home');
      for (let k = 0; k < 2; k++) {
        await p.keyboard.press('e');
        const start = Number(await p.inputValue('#scrubber'));
        await p.keyboard.press('l');
        const leader = Number(await p.inputValue('#scrubber'));
        expect(leader, `${protocol}: the leader comes after the election's start`).toBeGreaterThan(start);
        expect(await p.textContent('#event-line')).toMatch(/leads|established|leader/i);
        // The election's votes (or promises) lie between its start and its leader.
        if (protocol === 'zab') expect(facts.vote.some((v) => v >= start && v < leader)).toBe(true);
        seqs.push(start, leader);
      }
      // Shift+E goes back to the second election's start.
      await p.keyboard.press('Shift+E');
      expect(Number(await p.inputValue('#scrubber'))).toBe(seqs[2]);
      expect(seqs[2]).toBeGreaterThan(seqs[1]);
      await p.close();
    }
  });

  it('the linearizability drawer resizes, and its operations link to their events on the diagram', async () => {
    const p = await open('#s=lab/stale-local-reads&seed=1&p=zab');
    await p.waitForSelector('#drawer:not([hidden]) .lin-svg');
    // The lanes keep room beside the explanation of what they show (they were clipped to a few pixels).
    expect((await box(p, '#stage-row')).height).toBeGreaterThanOrEqual(200);
    const h0 = (await box(p, '#drawer')).height;
    const handle = await box(p, '#drawer-handle');
    await p.mouse.move(handle.x + handle.width / 2, handle.y + 4);
    await p.mouse.down();
    await p.mouse.move(handle.x + handle.width / 2, handle.y - 150, { steps: 5 });
    await p.mouse.up();
    const h1 = (await box(p, '#drawer')).height;
    expect(h1).toBeGreaterThan(h0 + 100);
    // Keyboard too.
    await p.focus('#drawer-handle');
    await p.keyboard.press('ArrowDown');
    expect((await box(p, '#drawer')).height).toBeLessThan(h1);
    // Each step of the longest order links to its operation: the cursor goes to its invocation.
    const links = p.locator('#drawer .lin-steps .lin-link');
    expect(await links.count()).toBeGreaterThan(0);
    await p.keyboard.press('Home');
    await links.first().click();
    const seq = Number(await p.inputValue('#scrubber'));
    expect(seq).toBeGreaterThan(0);
    expect(await p.evaluate((s) => (window as unknown as { zablab: { run: { model: { events: { kind: string }[] } } } }).zablab.run.model.events[s].kind, seq)).toBe('invoke');
    expect(await cursorInView(p)).toBe(true);
    // The stuck operation, named in the lead sentence, links too.
    await p.click('#drawer .lin-lead .lin-link');
    expect(Number(await p.inputValue('#scrubber'))).not.toBe(seq);
    await p.close();
  });

  it('drop marks sit on the receiver’s side of the arrow, their labels never overlap and name the receiver', async () => {
    const p = await open('#s=lab/leader-crash&seed=1&p=zab');
    await p.keyboard.press('f');
    const result = await p.evaluate(() => {
      type D = { showTime(a: number, b: number): void; renderNow(): void; dropLabels: { x: number; y: number; w: number; h: number }[]; laneYOf(n: number): number; messageGeometry(m: number): number[] };
      const app = (window as unknown as { zablab: { diagrams: D[]; run: { model: { msgCount: number; mStatus: Uint8Array; mFrom: Int32Array; mTo: Int32Array; mEndUs: Float64Array } } } }).zablab;
      const d = app.diagrams[0];
      const m = app.run.model;
      let first = -1;
      for (let i = 0; i < m.msgCount; i++) if (m.mStatus[i] === 2 && m.mFrom[i] !== m.mTo[i]) { first = i; break; }
      d.showTime(m.mEndUs[first] - 3000, m.mEndUs[first] + 30000);
      d.renderNow();
      const [, ya, , yb] = d.messageGeometry(first);
      const yTo = d.laneYOf(m.mTo[first]);
      return { labels: d.dropLabels, nearReceiver: Math.abs(yb - yTo) < Math.abs(yb - ya) };
    });
    expect(result.nearReceiver).toBe(true);
    expect(result.labels.length).toBeGreaterThan(0);
    const ls = result.labels;
    for (let i = 0; i < ls.length; i++) for (let j = i + 1; j < ls.length; j++) expect(overlaps({ x: ls[i].x, y: ls[i].y, width: ls[i].w, height: ls[i].h }, { x: ls[j].x, y: ls[j].y, width: ls[j].w, height: ls[j].h })).toBe(false);
    await p.close();
  });

  it('shows the scenario’s fault notes on the timeline, and the restore narration agrees with itself', async () => {
    const p = await open('#s=lab/leader-crash&seed=1&p=zab');
    await p.keyboard.press('f');
    await p.evaluate(() => (window as unknown as { zablab: { diagrams: { renderNow(): void }[] } }).zablab.diagrams[0].renderNow());
    const notes = await p.evaluate(() => (window as unknown as { zablab: { diagrams: { drawnNotes: string[] }[] } }).zablab.diagrams[0].drawnNotes);
    expect(notes).toContain('The leader crashes; it will come back 600 ms later.');
    await p.keyboard.press('Home');
    await p.keyboard.press('g');
    await p.waitForSelector('#guide-panel:not([hidden])');
    const restore = await p.evaluate(() => {
      const app = (window as unknown as { zablab: { run: { model: { events: { kind: string; replayed?: number }[] }; narrator: { narrateStep(s: number): { text: string[] } } } } }).zablab;
      const seq = app.run.model.events.findIndex((e) => e.kind === 'restore');
      return { replayed: app.run.model.events[seq].replayed, text: app.run.narrator.narrateStep(seq).text.join(' ') };
    });
    expect(restore.replayed).toBe(0);
    expect(restore.text).toMatch(/nothing to replay/);
    expect(restore.text).not.toMatch(/never-committed|replayed —/);
    await p.close();
  });

  it('every glyph the lab writes renders in Debian’s Chromium fonts (no empty boxes)', async () => {
    const sources = [join(ROOT, 'web', 'index.html'), ...readdirSync(join(ROOT, 'web', 'src')).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'web', 'src', f))];
    const glyphs = new Set<string>();
    for (const file of sources) for (const ch of readFileSync(file, 'utf8')) if (/[\u2190-\u2bff]/u.test(ch)) glyphs.add(ch);
    expect(glyphs.size).toBeGreaterThan(10);
    const p = await open('#s=lab/five-servers-elect&seed=1&p=zab');
    const missing = await p.evaluate((list) => {
      const c = document.createElement('canvas');
      c.width = 40;
      c.height = 40;
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      const font = getComputedStyle(document.body).fontFamily;
      const draw = (g: string) => {
        ctx.clearRect(0, 0, 40, 40);
        ctx.font = `24px ${font}`;
        ctx.fillText(g, 4, 30);
        return Array.from(ctx.getImageData(0, 0, 40, 40).data).join(',');
      };
      // What the font stack draws for a character it lacks (private use, and a non-character).
      const boxes = new Set([draw('\uE000'), draw('\uFFFF')]);
      return list.filter((g) => boxes.has(draw(g)));
    }, [...glyphs]);
    expect(missing).toEqual([]);
    await p.close();
  });

  it('the cluster view shows a message in flight between its send and its delivery, and not after; clicking a server opens its fault menu', async () => {
    const p = await open('#s=lab/three-histories&seed=1&p=zab');
    await p.selectOption('#cluster-speed', '0');
    type App = { setCursor(seq: number, follow: boolean): void; cluster: { shownMessages: number[] }; run: { model: { msgCount: number; mFrom: Int32Array; mTo: Int32Array; mStatus: Uint8Array; mSendSeq: Int32Array; mEndSeq: Int32Array } } };
    const m = await p.evaluate(() => {
      const app = (window as unknown as { zablab: App }).zablab;
      const model = app.run.model;
      for (let i = 0; i < model.msgCount; i++) if (model.mFrom[i] !== model.mTo[i] && model.mStatus[i] === 1 && model.mEndSeq[i] - model.mSendSeq[i] > 3) return { i, send: model.mSendSeq[i], end: model.mEndSeq[i] };
      return undefined;
    });
    expect(m).toBeDefined();
    const dotAt = async (seq: number) => {
      await p.evaluate((s) => (window as unknown as { zablab: App }).zablab.setCursor(s, true), seq);
      await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      return p.locator(`#cluster-host .cluster-msg[data-msg="${m!.i}"]:visible`).count();
    };
    expect(await dotAt(m!.send)).toBe(1);
    expect(await dotAt(Math.floor((m!.send + m!.end) / 2))).toBe(1);
    expect(await dotAt(m!.end)).toBe(0);
    expect(await dotAt(m!.end + 1)).toBe(0);
    expect(await dotAt(m!.send - 1)).toBe(0);
    // Animated: moving the cursor from the send to the delivery carries the dot along, frame by frame.
    await p.selectOption('#cluster-speed', '1000');
    await dotAt(m!.send);
    const xs = new Set<string>();
    await p.evaluate((s) => (window as unknown as { zablab: App }).zablab.setCursor(s, true), m!.end);
    for (let k = 0; k < 6; k++) {
      xs.add((await p.locator(`#cluster-host .cluster-msg[data-msg="${m!.i}"]`).getAttribute('cx')) ?? '');
      await p.waitForTimeout(40);
    }
    expect(xs.size).toBeGreaterThan(2);
    // A server in the ring opens the same fault menu as its lane.
    await p.click('#cluster-host .cluster-node[data-node="2"]');
    await p.waitForSelector('#popover:not([hidden])');
    expect(await p.textContent('#popover h4')).toContain('S2');
    expect(await p.locator('#popover button:has-text("Crash")').count()).toBe(1);
    await p.close();
  });

  for (const size of SIZES) {
    it(`${size.width}×${size.height}: the chaptered walkthrough of the default story reaches “established” within 30 steps, the tally reaching the quorum, a prediction answered right and one wrong`, async () => {
      const p = await open('#v=guide', size);
      expect(await p.textContent('#story h1')).toContain('Three histories');
      await p.waitForSelector('#guide-panel:not([hidden]) .chapter-strip');
      let steps = 1;
      let right = false;
      let wrong = false;
      let tallyLit = false;
      const chapters = new Set<string>();
      for (let guard = 0; guard < 80; guard++) {
        const choice = p.locator('#guide-panel .predict-choice');
        if ((await choice.count()) > 0) {
          const prompt = (await p.textContent('#guide-panel .predict-prompt')) ?? '';
          expect(prompt).toMatch(/\?$/);
          const answer = await p.evaluate(() => {
            const app = (window as unknown as { zablab: { asking: number; run: { chapters: { steps: { question?: { answer: number } }[] } } } }).zablab;
            return app.run.chapters.steps[app.asking].question!.answer;
          });
          // Right the first time, wrong the second, right after that.
          const pick = right && !wrong ? (answer + 1) % (await choice.count()) : answer;
          await choice.nth(pick).click();
          const result = (await p.textContent('#guide-panel .predict-result')) ?? '';
          if (pick === answer) {
            expect(result).toMatch(/^✓ Right/);
            right = true;
          } else {
            expect(result).toMatch(/^✗ Not/);
            wrong = true;
          }
          steps++;
        } else {
          const next = p.locator('#guide-panel button:has-text("Next")');
          if (await next.isDisabled()) break;
          await next.click();
          steps++;
        }
        const chapter = (await p.textContent('#guide-panel .chapter-pill.current')) ?? '';
        chapters.add(chapter);
        if (chapter === 'A quorum forms') {
          // The diagram's quorum line lights up at the quorum step.
          await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
          expect(await p.evaluate(() => (window as unknown as { zablab: { diagrams: { litMarkers: string[] }[] } }).zablab.diagrams[0].litMarkers)).toContain('quorum for S2');
        }
        if ((await p.locator('#cluster-host .cluster-quorum.reached').count()) > 0) tallyLit = true;
        if ((await p.textContent('#guide-panel .chapter-pill.current')) === 'Established') break;
      }
      expect(await p.textContent('#guide-panel .chapter-pill.current')).toBe('Established');
      expect(await p.textContent('#guide-panel .guide-title')).toMatch(/established/);
      const total = Number(/of (\d+)/.exec((await p.textContent('#guide-panel .guide-count')) ?? '')?.[1]);
      expect(total).toBeLessThanOrEqual(30);
      expect(steps).toBeLessThanOrEqual(30);
      expect([...chapters]).toEqual(expect.arrayContaining(['Votes', 'A quorum forms', 'The finalize wait', 'Discovery', 'Synchronization', 'Established']));
      expect(tallyLit).toBe(true);
      expect(right && wrong).toBe(true);
      expect(await p.textContent('#guide-panel .predict-score')).toMatch(/score [1-9]\d* \/ ([2-9]|\d\d+)$/);
      // The next chapters are on offer: broadcast goes on to a commit.
      await p.click('#guide-panel .next-chapter:has-text("Broadcast")');
      expect(await p.textContent('#guide-panel .chapter-pill.current')).toBe('Broadcast');
      await p.close();
    });
  }

  it('a teacher can switch the prompts off; the walk then never stops to ask', async () => {
    const p = await open('#v=guide&q=0');
    await p.waitForSelector('#guide-panel:not([hidden]) .chapter-strip');
    for (let i = 0; i < 12; i++) await p.keyboard.press('ArrowRight');
    expect(await p.locator('#guide-panel .predict-choice').count()).toBe(0);
    expect(await p.isChecked('#guide-panel .predict-toggle input')).toBe(false);
    expect(await p.textContent('#guide-panel .guide-count')).toMatch(/step 13 of/);
    await p.close();
  });

  it('logged no console error', () => {
    expect(errors).toEqual([]);
  });
});
