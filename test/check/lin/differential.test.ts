/**
 * `zablab check` against Porcupine's verdicts.
 *
 * The corpus (test/fixtures/differential) is histories test/differential/run.mjs drew, in
 * both input formats, with the verdict Porcupine gives them: the ones zablab check got
 * wrong before (a false violation, or good input refused), and a random sample. They run
 * through checkCommand, the CLI's own path (parsing, --initial, --failed-ops). The rest are
 * small hand-made histories of the same faults, each saying what broke.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCommand, type CheckIo } from '../../../sim/check/lin/cli.js';

interface Entry {
  file: string;
  model: string;
  initial?: unknown;
  failedOps?: 'porcupine';
  verdict: 'linearizable' | 'not-linearizable';
  note: string;
}

const dir = new URL('../../fixtures/differential/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { histories: Entry[] };

/** Runs `zablab check --json` on in-memory files; returns each file's verdict or error. */
async function check(files: Record<string, string>, flags: string[]): Promise<{ code: number; verdicts: Record<string, string>; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CheckIo = {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readFile: (path) => files[path],
    now: () => 0,
  };
  const code = await checkCommand([...Object.keys(files), ...flags, '--json'], io);
  const verdicts: Record<string, string> = {};
  for (const line of out.join('').split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as { file: string; verdict: string };
    verdicts[o.file] = o.verdict;
  }
  return { code, verdicts, stderr: err.join('') };
}

const flagsOf = (e: Entry) => ['--model', e.model, ...(e.initial !== undefined ? ['--initial', JSON.stringify(e.initial)] : []), ...(e.failedOps ? ['--failed-ops', e.failedOps] : [])];

describe("zablab check gives Porcupine's verdicts on the differential corpus", () => {
  // One CLI run per set of flags, as test/differential/run.mjs runs them.
  const groups = new Map<string, Entry[]>();
  for (const e of manifest.histories) {
    const key = flagsOf(e).join(' ');
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const [key, entries] of groups) {
    it(`${key}: ${entries.length} histories`, async () => {
      const files = Object.fromEntries(entries.map((e) => [e.file, readFileSync(new URL(e.file, dir), 'utf8')]));
      const { verdicts, stderr } = await check(files, flagsOf(entries[0]));
      expect(stderr).toBe('');
      const wrong = entries.filter((e) => verdicts[e.file] !== e.verdict).map((e) => `${e.file}: zablab ${verdicts[e.file] ?? 'error'}, Porcupine ${e.verdict} (${e.note})`);
      expect(wrong).toEqual([]);
    });
  }
  it('the corpus has both verdicts, both formats and every model', () => {
    const kinds = new Set(manifest.histories.map((e) => `${e.model} ${e.verdict} ${e.file.slice(e.file.lastIndexOf('.'))}`));
    for (const model of ['register', 'cas-register', 'kv']) {
      for (const verdict of ['linearizable', 'not-linearizable']) for (const ext of ['.json', '.edn']) expect(kinds).toContain(`${model} ${verdict} ${ext}`);
    }
  });
});

const ev = (type: string, process: number | string, f: string, value: unknown, timeUs?: number) => ({ type, process, f, value, ...(timeUs !== undefined ? { timeUs } : {}) });
const lines = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('events at one instant', () => {
  it("a process's completion and its next invocation at the same instant keep their order (a monotonic clock's equal readings)", async () => {
    // p0 writes 1 during [0,10] and 2 during [10,20]; p1 reads during [5,25] or [21,30].
    const touching = (readFrom: number, readTo: number) => [
      ev('invoke', 0, 'write', 1, 0),
      ev('invoke', 1, 'read', null, readFrom),
      ev('ok', 0, 'write', 1, 10),
      ev('invoke', 0, 'write', 2, 10),
      ev('ok', 0, 'write', 2, 20),
      ev('ok', 1, 'read', 1, readTo),
    ];
    const overlapping = touching(5, 25);
    const after = [...touching(21, 30)];
    after.sort((a, b) => (a.timeUs ?? 0) - (b.timeUs ?? 0));
    const r = await check({ 'overlapping.json': lines(overlapping), 'after.json': lines(after) }, ['--model', 'register']);
    expect(r.stderr).toBe('');
    // The read overlaps write 1; it may come before write 2.
    expect(r.verdicts['overlapping.json']).toBe('linearizable');
    // p0's writes are sequential, so after write 2 completed the register holds 2. (Porcupine
    // does not know a client's operations are sequential and accepts this one.)
    expect(r.verdicts['after.json']).toBe('not-linearizable');
  });

  it('a completion listed before its own invocation at one instant is paired in real-time order, also with an invocation that never completes', async () => {
    // p1's read takes no time at instant 5 and is listed completion first; p2 never completes.
    const events = [
      ev('invoke', 0, 'write', 1, 0),
      ev('ok', 1, 'read', 1, 5),
      ev('invoke', 1, 'read', null, 5),
      ev('ok', 0, 'write', 1, 5),
      ev('invoke', 2, 'write', 3, 6),
    ];
    const r = await check({ 'h.json': lines(events) }, ['--model', 'register']);
    expect(r.stderr).toBe('');
    expect(r.verdicts['h.json']).toBe('linearizable');
  });

  it("a never-completed invocation in a timed history keeps the instant's rule for the rest (closed intervals)", async () => {
    // p1's read completes at 10, listed before p0's write is invoked at 10: they touch, so
    // they overlap and the read may see the write. p2's write never completes.
    const events = [
      ev('invoke', 1, 'read', null, 2),
      ev('invoke', 2, 'write', 7, 3),
      ev('ok', 1, 'read', 5, 10),
      ev('invoke', 0, 'write', 5, 10),
      ev('ok', 0, 'write', 5, 12),
    ];
    const r = await check({ 'h.json': lines(events) }, ['--model', 'register']);
    expect(r.stderr).toBe('');
    expect(r.verdicts['h.json']).toBe('linearizable');
  });
});

describe('--failed-ops porcupine', () => {
  it('a failed read is indeterminate, and its process goes on invoking', async () => {
    const events = [
      ev('invoke', 0, 'write', 1, 0),
      ev('ok', 0, 'write', 1, 1),
      ev('invoke', 0, 'read', null, 2),
      ev('fail', 0, 'read', null, 3),
      ev('invoke', 0, 'cas', [1, 2], 4),
      ev('fail', 0, 'cas', [1, 2], 5),
    ];
    const r = await check({ 'h.json': lines(events), 'h.edn': events.map((e) => `{:type :${e.type} :process ${e.process} :f :${e.f} :value ${JSON.stringify(e.value)?.replace(/,/g, ' ').replace('null', 'nil')}}`).join('\n') }, ['--model', 'cas-register', '--failed-ops', 'porcupine']);
    expect(r.stderr).toBe('');
    // The cas from 1 returned false although the register held 1: not linearizable.
    expect(r.verdicts).toEqual({ 'h.json': 'not-linearizable', 'h.edn': 'not-linearizable' });
  });
});
