/**
 * Progress lines, end to end: the real binary, with stderr marked a terminal (as a TTY
 * would be), draws a line that it redraws in place (`\r` + erase) and erases at the end;
 * on a pipe it draws nothing. Covers run (simulated time), hunt (runs), check (steps)
 * and swarm (runs done).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin', 'zablab.js');
const dir = mkdtempSync(join(tmpdir(), 'zablab-tty-'));
// Marks stderr a terminal of 160 columns, then runs the binary with the same arguments.
// (Wide enough that no line is cut with '…': check's line, with the temporary directory's
// path and a step count of seven digits, is over 100 characters, and a quick check drew
// only such lines, so a 100-column terminal failed the test on a fast run.)
const wrapper = join(dir, 'tty.mjs');
writeFileSync(
  wrapper,
  `Object.defineProperty(process.stderr, 'isTTY', { value: true });\n` +
    `Object.defineProperty(process.stderr, 'columns', { value: 160 });\n` +
    `process.argv.splice(1, 1, ${JSON.stringify(BIN)});\n` +
    `await import(${JSON.stringify(new URL(`file://${BIN}`).href)});\n`,
);

function onTerminal(args: string[]): { code: number; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [wrapper, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stderr: r.stderr, stdout: r.stdout };
}

/** The texts drawn: each redraw is `\r\x1b[K` + text; the last one erases the line. */
const drawn = (stderr: string) => stderr.split('\r\x1b[K').slice(1);

describe('progress lines on a terminal', () => {
  it('run: simulated time so far, redrawn in place and erased before the report', () => {
    const story = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'election-cold-start-3.json'), 'utf8')) as Record<string, unknown>;
    const long = join(dir, 'long.json');
    writeFileSync(long, JSON.stringify({ ...story, durationMs: 1e9 }));
    const r = onTerminal(['run', long, '--max-events', '250000']);
    expect(r.code).toBe(3);
    const lines = drawn(r.stderr);
    expect(lines.some((l) => /^run long · zab · seed \d+: [\d.]+ \S+ of at most [\d.]+ \S+ simulated$/.test(l))).toBe(true);
    // Erased: the line after the last redraw is empty, and the report follows on its own lines.
    expect(lines[lines.length - 1]).toMatch(/^(zablab run: the run stopped|$)/);
    // On a pipe: nothing of it.
    const piped = spawnSync(process.execPath, [BIN, 'run', long, '--max-events', '250000'], { cwd: dir, encoding: 'utf8' });
    expect(piped.stderr).not.toContain('\r');
  });

  it('check: steps so far of the budget', () => {
    const history = join(dir, 'c50-ok.edn');
    writeFileSync(history, gunzipSync(readFileSync(join(ROOT, 'test', 'fixtures', 'porcupine-kv', 'c50-ok.edn.gz'))));
    const r = onTerminal(['check', history, '--model', 'kv']);
    expect(r.code).toBe(0);
    expect(drawn(r.stderr).some((l) => /^check .*c50-ok\.edn: ≈[\d,]+ steps of at most [\d,]+, [\d.]+ s of at most [\d.]+ s$/.test(l))).toBe(true);
    expect(r.stdout).toMatch(/c50-ok\.edn: linearizable/);
  });

  it('hunt and swarm: runs done', () => {
    const hunt = onTerminal(['hunt', '--bug', 'noRolloverGuard', '--runs', '8', '--max-events', '2000000', '--out', join(dir, 'h.json'), '--json']);
    expect([0, 1]).toContain(hunt.code);
    expect(drawn(hunt.stderr).some((l) => /^hunt noRolloverGuard: run \d+ of at most 8, [\d.]+ s$/.test(l))).toBe(true);
    const swarm = onTerminal(['swarm', '--protocol', 'paxos', '--runs', '300', '--seed', '1', '--workers', '1', '--shrink', '0', '--out', join(dir, 'swarm')]);
    expect(swarm.code).toBe(0);
    const bars = drawn(swarm.stderr);
    expect(bars.some((l) => /^\[[#.]{30}\] \d+\/300 {2}[\d.]+ runs\/s {2}ETA \d+ s$/.test(l))).toBe(true);
    expect(bars[bars.length - 1]).toBe(''); // erased before the summary
  });
});
