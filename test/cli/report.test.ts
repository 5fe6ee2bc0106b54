/**
 * `zablab run`'s availability lines and `--json` fields, and `--report FILE.html`: one
 * self-contained file (no external script, style or link), the scenario's text shown as
 * text (a title that is HTML stays text), and no input file overwritten.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zablab } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'zablab-report-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HOSTILE_TITLE = '<img src=x onerror="alert(1)"> & the leader </script> crashes';
function hostileScenario(): string {
  const scenario = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'leader-crash-during-broadcast.json'), 'utf8')) as Record<string, unknown>;
  scenario.title = HOSTILE_TITLE;
  scenario.explanation = 'A story with <b>markup</b> and a </script><script>alert(2)</script> in it.';
  scenario.durationMs = 900;
  delete scenario.$schema;
  const file = join(work, 'hostile.json');
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

describe('zablab run: availability', () => {
  it('prints the figures per fault and the longest window, and has them in --json', () => {
    const text = zablab(['run', 'leader-crash-during-broadcast', '--seed', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/availability crash \[\d\] at 400\.0 ms: first write ok after [\d.]+ ms \(op \d+ \w+\), first read ok after [\d.]+ ms \(op \d+ \w+\); next leader after [\d.]+ ms \(server \d\)/);
    expect(text.stdout).toMatch(/longest window with no successful operation: [\d.]+ ms, [\d.]+ ms – [\d.]+ ms; \d+ op\(s\) ended unknown in it/);
    const json = JSON.parse(zablab(['run', 'leader-crash-during-broadcast', '--seed', '2', '--json']).stdout) as { availability: { faults: { kind: string; atUs: number; firstWrite: { afterUs: number } }[]; longestGap: { durationUs: number } } };
    expect(json.availability.faults[0]).toMatchObject({ kind: 'crash', atUs: 400_000 });
    expect(json.availability.faults[0].firstWrite.afterUs).toBeGreaterThan(0);
    expect(json.availability.longestGap.durationUs).toBeGreaterThan(0);
  });
});

describe('zablab run --report', () => {
  it('writes one self-contained page, showing the scenario text as text', () => {
    const scenario = hostileScenario();
    const report = join(work, 'out', 'report.html');
    const run = zablab(['run', scenario, '--seed', '4', '--report', report]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`report       ${report}`);
    const html = readFileSync(report, 'utf8');
    // Inline only: nothing to fetch.
    expect(html).not.toMatch(/<script[^>]+src=|<link\b|@import|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('<script type="application/json" id="zablab-report-data">');
    // The title and explanation are escaped, in the page text and in the data block.
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>markup</b>');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; the leader &lt;/script&gt; crashes');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    // The reproducing command and the trace hash the run printed.
    const hash = /trace\s+([0-9a-f]{16})/.exec(run.stdout)![1];
    expect(html).toContain(`<code data-testid="trace-hash">${hash}</code>`);
    expect(html).toContain(`zablab run ${scenario} --seed 4 --protocol zab`);
  });

  it('refuses to overwrite the scenario it runs, with one line and exit code 2', () => {
    const scenario = hostileScenario();
    const before = readFileSync(scenario, 'utf8');
    const run = zablab(['run', scenario, '--report', join(work, '.', 'hostile.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^zablab run: --report .*hostile\.json: that is an input file .*refusing to overwrite it/);
    expect(readFileSync(scenario, 'utf8')).toBe(before);
  });
});

describe('zablab sweep --report', () => {
  it('summarises each figure per scenario and protocol, and the worst seed it links reproduces its figure', () => {
    const report = join(work, 'sweep', 'leader.html');
    const run = zablab(['sweep', 'leader-crash-during-broadcast', '--seeds', '1..4', '--protocol', 'zab', '--workers', '0', '--report', report]);
    expect(run.code).toBe(0);
    const line = /leader-crash-during-broadcast · zab {2}first write ok after a crash: n=4 {2}p50 ([\d.]+) {2}p90 ([\d.]+) {2}p99 ([\d.]+) {2}max ([\d.]+) ms/.exec(run.stdout);
    expect(line).not.toBeNull();
    const [p50, , , max] = line!.slice(1).map(Number);
    expect(p50).toBeLessThanOrEqual(max);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<section class="card" data-group="leader-crash-during-broadcast · zab">');
    expect(html.match(/data-histogram="\d+"/g)).toHaveLength(4);
    // The worst seed of the first figure: its file, run again, gives the maximum.
    const worst = /seed (\d+): ([\d.]+) ms — <a href="([^"]+)">/.exec(html)!;
    expect(Number(worst[2])).toBe(max);
    const again = zablab(['run', join(work, 'sweep', decodeURI(worst[3])), '--json']);
    const figures = (JSON.parse(again.stdout) as { seed: number; availability: { faults: { firstWrite: { afterUs: number } }[] } });
    expect(figures.seed).toBe(Number(worst[1]));
    expect((figures.availability.faults[0].firstWrite.afterUs / 1000).toFixed(1)).toBe(max.toFixed(1));
  });
});
