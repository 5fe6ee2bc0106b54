/**
 * `zablab check` through checkCommand with an in-memory io: verdicts, --json, exit
 * codes 0/1/2/3, and bad input reported with the file and line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collapseInfo } from '../../../sim/check/lin/html.js';
import { checkCommand, type CheckIo } from '../../../sim/check/lin/cli.js';
import { generateCasHistory } from '../../bench/checker.js';

const dir = new URL('../../fixtures/histories/', import.meta.url);
const fixtures = Object.fromEntries(
  [
    'cas-register-jepsen.edn',
    'cas-register-stale-read.edn',
    'register.json',
    'mutex-two-holders.json',
    'znode-lock.json',
    'bad-unbalanced.edn',
    'bad-double-invoke.json',
    'bad-syntax.edn',
  ].map((name) => [name, readFileSync(new URL(name, dir), 'utf8')]),
);

function memoryIo(files: Record<string, string> = fixtures, clock?: () => number) {
  const out: string[] = [];
  const err: string[] = [];
  let t = 0;
  const io: CheckIo = {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return files[path];
    },
    now: clock ?? (() => (t += 1)),
  };
  return { io, out, err, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('zablab check', () => {
  it('exit 0 when every history is linearizable, one verdict per file', async () => {
    const m = memoryIo();
    expect(await checkCommand(['cas-register-jepsen.edn', '--model', 'cas-register'], m.io)).toBe(0);
    expect(m.stdout()).toMatch(/^cas-register-jepsen\.edn: linearizable \(6 operations, 1 part, \d+(\.\d+)? ms\)\n$/);
    const z = memoryIo();
    expect(await checkCommand(['--model=znode', 'znode-lock.json'], z.io)).toBe(0);
    expect(z.stdout()).toMatch(/linearizable \(11 operations, 2 parts/);
    const r = memoryIo();
    expect(await checkCommand(['register.json', '--model', 'register'], r.io)).toBe(0);
  });

  it('exit 1 when any is not, with the explanation', async () => {
    const m = memoryIo();
    const code = await checkCommand(['cas-register-jepsen.edn', 'cas-register-stale-read.edn', '--model', 'cas-register'], m.io);
    expect(code).toBe(1);
    expect(m.stdout()).toMatch(/cas-register-jepsen\.edn: linearizable/);
    expect(m.stdout()).toMatch(/cas-register-stale-read\.edn: NOT linearizable/);
    expect(m.stdout()).toMatch(/ {2}p2 read 1 \(operation 2, line 7\) cannot be linearized/);
    expect(m.stdout()).toContain("can't read 1 from register 2");
  });

  it('--json: one object per line per file, with the explanation when not linearizable', async () => {
    const m = memoryIo();
    const code = await checkCommand(['mutex-two-holders.json', '--json', 'znode-lock.json', '--model', 'mutex'], m.io);
    // znode-lock.json has create/getChildren…: not mutex operations → bad input.
    expect(code).toBe(2);
    expect(m.stderr()).toMatch(/^zablab check: znode-lock\.json:1: unknown mutex operation f="create"/);
    const lines = m.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    const verdict = JSON.parse(lines[0]);
    expect(verdict).toMatchObject({ file: 'mutex-two-holders.json', model: 'mutex', verdict: 'not-linearizable', ops: 3 });
    expect(typeof verdict.elapsedMs).toBe('number');
    expect(verdict.explanation.reasons).toEqual(["p1 can't acquire: held by p0"]);
    expect(verdict.explanation.processes).toEqual([0, 1]);

    const ok = memoryIo();
    expect(await checkCommand(['register.json', '--model', 'register', '--json'], ok.io)).toBe(0);
    const v = JSON.parse(ok.stdout());
    expect(Object.keys(v)).toEqual(expect.arrayContaining(['file', 'model', 'verdict', 'ops', 'elapsedMs']));
    expect(v.explanation).toBeUndefined();
  });

  it('exit 3 when a check runs out of budget and none is not linearizable', async () => {
    const big = JSON.stringify(generateCasHistory({ ops: 2000, processes: 8, seed: 3 }));
    const files = { ...fixtures, 'big.json': big };
    const steps = memoryIo(files);
    expect(await checkCommand(['big.json', 'cas-register-jepsen.edn', '--model', 'cas-register', '--max-steps', '100'], steps.io)).toBe(3);
    // Which budget ran out, and the flag that raises it.
    expect(steps.stdout()).toMatch(/big\.json: unknown — the step budget ran out after \d+ steps; raise it with --max-steps N \(/);
    // A clock that jumps 1 s per reading: the 10 ms timeout passes at once.
    let t = 0;
    const slow = memoryIo(files, () => (t += 1000));
    expect(await checkCommand(['big.json', '--model', 'cas-register', '--timeout-ms', '10', '--json'], slow.io)).toBe(3);
    expect(JSON.parse(slow.stdout())).toMatchObject({ verdict: 'unknown', unknownReason: 'timeout', timeoutMs: 10, unknownHint: expect.stringMatching(/^timed out after 10 ms .*raise the time budget with --timeout-ms N$/) });
    // …but "not linearizable" wins over "unknown".
    const mixed = memoryIo(files);
    expect(
      await checkCommand(['big.json', 'cas-register-stale-read.edn', '--model', 'cas-register', '--max-steps', '100'], mixed.io),
    ).toBe(1);
  });

  it('exit 2 for malformed histories, naming the file and the line, without a stack trace', async () => {
    for (const [file, message] of [
      ['bad-unbalanced.edn', /^zablab check: bad-unbalanced\.edn:4: ok completion of read for process 1 without a pending invocation\n$/],
      ['bad-double-invoke.json', /^zablab check: bad-double-invoke\.json:3: process 0 invokes read while its write \(line 2\) is still pending\n$/],
      ['bad-syntax.edn', /^zablab check: bad-syntax\.edn:2: EDN: unclosed \{/],
    ] as const) {
      const m = memoryIo();
      expect(await checkCommand([file, '--model', 'register'], m.io)).toBe(2);
      expect(m.stderr()).toMatch(message);
      expect(m.stderr()).not.toMatch(/\n\s+at /);
      expect(m.stdout()).toBe('');
    }
    const unknownType = memoryIo({ 'h.edn': '{:type :invoke :f :read :process 0}\n{:type :weird :f :read :process 0}\n' });
    expect(await checkCommand(['h.edn', '--model', 'register'], unknownType.io)).toBe(2);
    expect(unknownType.stderr()).toMatch(/^zablab check: h\.edn:2: unknown op type :weird/);
  });

  it('exit 2 for a missing file, and the other files are still checked', async () => {
    const m = memoryIo();
    expect(await checkCommand(['nope.edn', 'register.json', '--model', 'register'], m.io)).toBe(2);
    expect(m.stderr()).toBe('zablab check: cannot read nope.edn: no such file\n');
    expect(m.stdout()).toMatch(/register\.json: linearizable/);
  });

  it('exit 2 for bad flags', async () => {
    for (const argv of [
      ['register.json'],
      ['register.json', '--model', 'queue'],
      ['--model', 'register'],
      ['register.json', '--model', 'register', '--timeout-ms', 'soon'],
      ['register.json', '--model', 'register', '--colour'],
      ['register.json', '--model', 'register', '--max-steps', '-5'],
      ['register.json', '--model', '--json'],
    ]) {
      const m = memoryIo();
      expect(await checkCommand(argv, m.io)).toBe(2);
      // One line, the same prefix as every command, and where to look.
      expect(m.stderr()).toMatch(/^zablab check: [^\n]+ \(zablab check --help\)\n$/);
    }
    const help = memoryIo();
    expect(await checkCommand(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toMatch(/^usage: zablab check <history-file…> --model <register\|cas-register\|multi-register\|mutex\|znode\|kv>/);
  });

  describe('--initial', () => {
    const zeroFirst = { 'zero.edn': '{:type :invoke, :f :read, :value nil, :process 0}\n{:type :ok, :f :read, :value 0, :process 0}\n{:type :invoke, :f :cas, :value [0 1], :process 1}\n{:type :ok, :f :cas, :value [0 1], :process 1}\n' };

    it('starts the register at the given value (JSON or EDN), nil by default', async () => {
      const nilStart = memoryIo(zeroFirst);
      expect(await checkCommand(['zero.edn', '--model', 'cas-register'], nilStart.io)).toBe(1);
      expect(nilStart.stdout()).toContain("can't read 0 from register null");
      for (const initial of ['0', '--initial=0']) {
        const m = memoryIo(zeroFirst);
        const args = initial.startsWith('--') ? ['zero.edn', '--model', 'cas-register', initial] : ['zero.edn', '--model', 'cas-register', '--initial', initial];
        expect(await checkCommand(args, m.io)).toBe(0);
      }
      const edn = memoryIo({ 'kw.edn': '{:type :invoke, :f :read, :value nil, :process 0}\n{:type :ok, :f :read, :value :a, :process 0}\n' });
      expect(await checkCommand(['kw.edn', '--model', 'register', '--initial', ':a'], edn.io)).toBe(0);
    });

    it('is refused when it is not one value, or not the shape the model needs (exit 2)', async () => {
      const mutex = memoryIo(zeroFirst);
      expect(await checkCommand(['zero.edn', '--model', 'mutex', '--initial', '{}'], mutex.io)).toBe(2);
      expect(mutex.stderr()).toContain('--initial for mutex is the process holding the lock (a number or a name) or nil, got {}');
      const multi = memoryIo(zeroFirst);
      expect(await checkCommand(['zero.edn', '--model', 'multi-register', '--initial', '0'], multi.io)).toBe(2);
      expect(multi.stderr()).toContain("--initial for multi-register is a map of key to value, e.g. '{:x 0 :y 0}'");
      const znode = memoryIo(zeroFirst);
      expect(await checkCommand(['zero.edn', '--model', 'znode', '--initial', '{"/a/b": 1}'], znode.io)).toBe(2);
      expect(znode.stderr()).toMatch(/^zablab check: --initial: znode: initial node \/a\/b has no parent \/a/);
      const bad = memoryIo(zeroFirst);
      expect(await checkCommand(['zero.edn', '--model', 'register', '--initial', '[1 2'], bad.io)).toBe(2);
      expect(bad.stderr()).toContain('--initial needs one JSON or EDN value, got "[1 2"');
      const missing = memoryIo(zeroFirst);
      expect(await checkCommand(['zero.edn', '--model', 'register', '--initial'], missing.io)).toBe(2);
    });

    // Knossos checks its multi-register example from (multi-register {:x 0 :y 0}): reads
    // of 0 before any write of 0 are linearizable only from that state.
    const fromZeros = [
      '; x and y start at 0',
      '{:type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]], :process 0}',
      '{:type :invoke, :f :txn, :value [[:write :y 2]], :process 1}',
      '{:type :ok, :f :txn, :value [[:read :x 0] [:read :y 0]], :process 0}',
      '{:type :ok, :f :txn, :value [[:write :y 2]], :process 1}',
      '{:type :invoke, :f :txn, :value [[:read :y nil]], :process 2}',
      '{:type :ok, :f :txn, :value [[:read :y 2]], :process 2}',
    ].join('\n');

    it('multi-register starts from a map of values, as Knossos\'s example does', async () => {
      const files = { 'txn.edn': fromZeros };
      const nil = memoryIo(files);
      expect(await checkCommand(['txn.edn', '--model', 'multi-register'], nil.io)).toBe(1);
      for (const initial of ['{:x 0 :y 0}', '{"x": 0, "y": 0}']) {
        const zeros = memoryIo(files);
        expect(await checkCommand(['txn.edn', '--model', 'multi-register', '--initial', initial], zeros.io), initial).toBe(0);
      }
      const wrong = memoryIo(files);
      expect(await checkCommand(['txn.edn', '--model', 'multi-register', '--initial', '{:x 0 :y 1}'], wrong.io)).toBe(1);
      expect(wrong.stdout()).toContain("can't read 0 from y, which holds 1");
    });

    it('mutex starts held by a process, znode with nodes', async () => {
      const release = '{:type :invoke, :f :release, :process 0}\n{:type :ok, :f :release, :process 0}\n{:type :invoke, :f :acquire, :process 1}\n{:type :ok, :f :acquire, :process 1}\n';
      expect(await checkCommand(['m.edn', '--model', 'mutex'], memoryIo({ 'm.edn': release }).io)).toBe(1);
      expect(await checkCommand(['m.edn', '--model', 'mutex', '--initial', '0'], memoryIo({ 'm.edn': release }).io)).toBe(0);
      expect(await checkCommand(['m.edn', '--model', 'mutex', '--initial', '1'], memoryIo({ 'm.edn': release }).io)).toBe(1);
      const exists = '{"type": "invoke", "process": 0, "f": "create", "value": {"path": "/locks/a", "data": "x"}}\n{"type": "ok", "process": 0, "f": "create", "value": "/locks/a"}\n';
      expect(await checkCommand(['z.json', '--model', 'znode'], memoryIo({ 'z.json': exists }).io)).toBe(1);
      expect(await checkCommand(['z.json', '--model', 'znode', '--initial', '{"/locks": null}'], memoryIo({ 'z.json': exists }).io)).toBe(0);
    });
  });

  it('every check has a budget: 60 s by default, and steps that scale with the history', async () => {
    const big = JSON.stringify(generateCasHistory({ ops: 20_000, processes: 4, seed: 5 }));
    const files = { ...fixtures, 'big.json': big };
    const sized = memoryIo(files);
    expect(await checkCommand(['big.json', 'register.json', '--model', 'cas-register', '--json'], sized.io)).toBe(0);
    const [large, small] = sized.stdout().trim().split('\n').map((l) => JSON.parse(l) as { ops: number; maxSteps: number; timeoutMs: number });
    // 1000 steps per operation in the file (its failed ones included): above the 10M floor.
    expect(large.maxSteps).toBeGreaterThanOrEqual(large.ops * 1000);
    expect(large.maxSteps).toBeGreaterThan(15_000_000);
    expect(large.timeoutMs).toBe(60_000);
    expect(small).toMatchObject({ maxSteps: 10_000_000, timeoutMs: 60_000 });
    // Without --timeout-ms, a check that outlives 60 s stops (a clock that jumps 10 s per reading).
    let t = 0;
    const slow = memoryIo(files, () => (t += 10_000));
    expect(await checkCommand(['big.json', '--model', 'cas-register'], slow.io)).toBe(3);
    expect(slow.stdout()).toMatch(/^big\.json: unknown — timed out after 60000 ms \(\d+ steps\); raise the time budget with --timeout-ms N \(default 60000\)/);
  });

  it('shows progress (steps and time) while a long check runs, and erases it at the end', async () => {
    const big = JSON.stringify(generateCasHistory({ ops: 3_000, processes: 8, seed: 3 }));
    const updates: string[] = [];
    let done = 0;
    const m = memoryIo({ 'big.json': big });
    const io: CheckIo = { ...m.io, progress: { update: (text) => updates.push(text), done: () => done++ } };
    expect(await checkCommand(['big.json', '--model', 'cas-register'], io)).toBe(0);
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[0]).toMatch(/^check big\.json: ≈1,024 steps of at most 10,000,000, [\d.]+ s of at most 60 s$/);
    expect(done).toBe(1);
  });

  // Porcupine's kv logs: one operation map per line, the key in a :key field; a key starts "".
  const kvLog = (gets: string) =>
    [
      '{:process 0, :type :invoke, :f :append, :key "1", :value "x 0 0 y"}',
      '{:process 1, :type :invoke, :f :put, :key "2", :value "a"}',
      '{:process 0, :type :ok, :f :append, :key "1", :value "x 0 0 y"}',
      '{:process 1, :type :ok, :f :put, :key "2", :value "a"}',
      '{:process 0, :type :invoke, :f :append, :key "1", :value "x 0 1 y"}',
      '{:process 2, :type :invoke, :f :get, :key "1", :value nil}',
      '{:process 0, :type :ok, :f :append, :key "1", :value "x 0 1 y"}',
      `{:process 2, :type :ok, :f :get, :key "1", :value "${gets}"}`,
      '{:process 2, :type :invoke, :f :get, :key "2", :value nil}',
      '{:process 2, :type :ok, :f :get, :key "2", :value "a"}',
    ].join('\n');

  it('kv: Porcupine\'s key-value logs, partitioned per key', async () => {
    for (const seen of ['x 0 0 y', 'x 0 0 yx 0 1 y']) {
      const ok = memoryIo({ 'kv.edn': kvLog(seen) });
      expect(await checkCommand(['kv.edn', '--model', 'kv'], ok.io), seen).toBe(0);
      expect(ok.stdout()).toMatch(/kv\.edn: linearizable \(5 operations, 2 parts/);
    }
    const bad = memoryIo({ 'kv.edn': kvLog('x 0 1 y') });
    expect(await checkCommand(['kv.edn', '--model', 'kv'], bad.io)).toBe(1);
    expect(bad.stdout()).toContain('p2 get(1) -> "x 0 1 y"');
    expect(bad.stdout()).toContain('It is in part key 1');
    // An initial value per key.
    const from = memoryIo({ 'kv.edn': kvLog('zx 0 0 y') });
    expect(await checkCommand(['kv.edn', '--model', 'kv', '--initial', '{"1": "z"}'], from.io)).toBe(0);
  });

  it('--failed-ops porcupine: a failed cas ran and returned false; another failed operation is indeterminate', async () => {
    const history = [
      '{:type :invoke, :f :write, :value 0, :process 0}',
      '{:type :ok, :f :write, :value 0, :process 0}',
      '{:type :invoke, :f :cas, :value [0 1], :process 1}',
      '{:type :fail, :f :cas, :value [0 1], :process 1}',
      '{:type :invoke, :f :read, :value nil, :process 2}',
      '{:type :fail, :f :read, :value :timed-out, :process 2}',
      '{:type :invoke, :f :read, :value nil, :process 0}',
      '{:type :ok, :f :read, :value 0, :process 0}',
    ].join('\n');
    // Jepsen's reading: the failed cas did not happen.
    expect(await checkCommand(['h.edn', '--model', 'cas-register'], memoryIo({ 'h.edn': history }).io)).toBe(0);
    expect(await checkCommand(['h.edn', '--model', 'cas-register', '--failed-ops', 'jepsen'], memoryIo({ 'h.edn': history }).io)).toBe(0);
    // Porcupine's: it compared 0 with a register that held 0 throughout, and said false.
    const porcupine = memoryIo({ 'h.edn': history });
    expect(await checkCommand(['h.edn', '--model', 'cas-register', '--failed-ops', 'porcupine'], porcupine.io)).toBe(1);
    expect(porcupine.stdout()).toContain('cas 0→1 returned false');
    expect(porcupine.stdout()).toContain('cas from 0 returned false, but the register holds 0');
    // A failed cas whose old value the register did not hold is fine either way.
    const elsewhere = history.replaceAll('[0 1]', '[5 1]');
    expect(await checkCommand(['h.edn', '--model', 'cas-register', '--failed-ops', 'porcupine'], memoryIo({ 'h.edn': elsewhere }).io)).toBe(0);
    const bad = memoryIo({ 'h.edn': history });
    expect(await checkCommand(['h.edn', '--model', 'cas-register', '--failed-ops', 'knossos'], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/^zablab check: --failed-ops must be jepsen or porcupine, got "knossos"/);
  });

  it('--html writes the verdict as a page: lanes, the longest partial linearization, the failing operation; history text escaped', async () => {
    const history = [
      '{:type :invoke, :f :write, :value "<script>alert(1)</script>", :process 0}',
      '{:type :ok, :f :write, :value "<script>alert(1)</script>", :process 0}',
      '{:type :invoke, :f :read, :value nil, :process 1}',
      '{:type :ok, :f :read, :value "b", :process 1}',
    ].join('\n');
    const written: Record<string, string> = {};
    const checked: string[] = [];
    const m = memoryIo({ 'h.edn': history });
    const io: CheckIo = {
      ...m.io,
      output: {
        check: (path, inputs, force) => {
          checked.push(`${path} ${inputs.join(',')} ${force}`);
          if (inputs.includes(path)) throw new Error(`--html ${path}: that is an input`);
        },
        write: (path, text) => (written[path] = text),
      },
    };
    expect(await checkCommand(['h.edn', '--model', 'register', '--html', 'page.html'], io)).toBe(1);
    expect(checked).toEqual(['page.html h.edn false']);
    const page = written['page.html'];
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('The history is NOT linearizable: <b>p1 read &#34;b&#34;</b> cannot be linearized.');
    expect(page).toContain('class="op stuck"');
    expect(page).toContain('<h2>Longest partial linearizations</h2>');
    expect(page).not.toContain('<script>');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    // An input is refused before the check; two files cannot share one page.
    expect(await checkCommand(['h.edn', '--model', 'register', '--html', 'h.edn'], { ...io })).toBe(2);
    const two = memoryIo({ 'h.edn': history });
    expect(await checkCommand(['h.edn', 'h.edn', '--model', 'register', '--html', 'p.html'], { ...two.io, output: io.output })).toBe(2);
    expect(two.stderr()).toMatch(/^zablab check: --html draws one history, got 2 files/);
  });

  it('--html shows partial linearizations that differ only in :info operations once, with a count', () => {
    const op = (id: number, type: 'ok' | 'info') => ({ id, process: id, lane: id, f: 'write', type, invokeValue: id, completeValue: id, callIndex: id, returnIndex: id + 1, text: `p${id} write ${id}` });
    const ops = new Map([op(0, 'ok'), op(1, 'info'), op(2, 'ok')].map((o) => [o.id, o]));
    const step = (opId: number) => ({ opId, point: opId + 0.5, state: opId, stateText: String(opId) });
    const lin = (steps: number[], stuck = 3) => ({ stuckOpId: stuck, omitted: 0, stateBefore: null, stateBeforeText: 'null', steps: steps.map(step), state: 0, stateText: '0', candidates: [] });
    const groups = collapseInfo([lin([0, 1, 2]), lin([1, 0, 2]), lin([0, 2]), lin([2, 0])], ops);
    expect(groups.map((g) => [g.lin.steps.map((s) => s.opId), g.same])).toEqual([[[0, 1, 2], 2], [[2, 0], 0]]);
  });
});

describe('integers beyond 2^53 (ids, timestamps in nanoseconds)', () => {
  const big = (read: string, ext: 'edn' | 'json') =>
    ext === 'edn'
      ? `{:type :invoke, :f :write, :value 99999999999999999999999, :process 0}\n{:type :ok, :f :write, :value 99999999999999999999999, :process 0}\n{:type :invoke, :f :read, :value nil, :process 1}\n{:type :ok, :f :read, :value ${read}, :process 1}\n`
      : `[{"type":"invoke","process":0,"f":"write","value":99999999999999999999999},{"type":"ok","process":0,"f":"write","value":99999999999999999999999},{"type":"invoke","process":1,"f":"read","value":null},{"type":"ok","process":1,"f":"read","value":${read}}]`;

  it('are read exactly from EDN and JSON: a read of a neighbouring value is not linearizable', async () => {
    for (const ext of ['edn', 'json'] as const) {
      const stale = memoryIo({ [`h.${ext}`]: big('99999999999999999999998', ext) });
      expect(await checkCommand([`h.${ext}`, '--model', 'register'], stale.io)).toBe(1);
      expect(stale.stdout()).toContain("can't read 99999999999999999999998 from register 99999999999999999999999");
      const same = memoryIo({ [`h.${ext}`]: big('99999999999999999999999', ext) });
      expect(await checkCommand([`h.${ext}`, '--model', 'register'], same.io)).toBe(0);
    }
  });

  it('--json writes them as strings of digits, and --initial reads them exactly', async () => {
    const m = memoryIo({ 'h.edn': big('99999999999999999999998', 'edn') });
    expect(await checkCommand(['h.edn', '--model', 'register', '--json'], m.io)).toBe(1);
    expect(JSON.parse(m.stdout())).toMatchObject({ verdict: 'not-linearizable' });
    expect(m.stdout()).toContain('"99999999999999999999998"');
    const cas = { 'c.edn': '{:type :invoke, :f :cas, :value [99999999999999999999999 3], :process 0}\n{:type :ok, :f :cas, :value [99999999999999999999999 3], :process 0}\n' };
    for (const [initial, code] of [['99999999999999999999999', 0], ['99999999999999999999998', 1]] as const) {
      const c = memoryIo(cas);
      expect(await checkCommand(['c.edn', '--model', 'cas-register', '--initial', initial], c.io)).toBe(code);
    }
  });
});
