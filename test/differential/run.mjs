#!/usr/bin/env node
// Differential test of `zablab check` against Porcupine (github.com/anishathalye/porcupine,
// vendored in ./porcupine/porcupine). Not part of `npm test`: it needs Go (Debian's
// golang-go 1.19 will do). See test/differential/README.md.
//
//   node test/differential/run.mjs [--count N] [--seed S] [--threads T] [--ops K] [--out DIR]
//
// Generates N small random histories (seeded: the same seed gives the same histories) of
// three models — register, cas-register (starting at nil or 0) and Porcupine's kv (several
// keys) — with concurrent operations whose intervals overlap at random and often touch at
// one instant, indeterminate operations (`info`, some never completed at all), failed
// ones (read as Jepsen does, and as Porcupine's etcd tests do with --failed-ops porcupine),
// reads of values never written, and cas. A third are linearizable by construction (each
// operation takes effect at a random point of its interval, an indeterminate one at any
// point after its call or never), a third are such histories with one result changed,
// a third have random results. Each history is written in both formats `zablab check`
// reads (zablab JSON with timeUs — as an array, {"history": …} or NDJSON, events at one
// instant shuffled — and Jepsen EDN in real-time order), checked by `zablab check --json`
// (the CLI, one process per group of files) and by the Porcupine driver, and every
// disagreement is printed and saved to DIR/disagreements.ndjson. Exit 1 on any.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const count = Number(flag('--count', '2000'));
const seed = flag('--seed', '1');
// --threads T --ops K: up to T concurrent threads of up to K operations each (default 4, 5);
// bigger ones reach the search's memoization, info dominance and local refutation.
const maxThreads = Number(flag('--threads', '4'));
const maxOps = Number(flag('--ops', '5'));
const out = flag('--out', undefined) ?? mkdtempSync(join(tmpdir(), 'zablab-differential-'));
mkdirSync(out, { recursive: true });

const rng = seedrandom(`differential-${seed}`);
const int = (n) => Math.floor(rng() * n);
const pick = (xs) => xs[int(xs.length)];
const chance = (p) => rng() < p;

// ---- abstract histories ------------------------------------------------------------
// An op: {p, call, ret, f, key?, arg, out, outcome: ok|info|fail, neverCompletes?}

const KV_KEYS = ['a', 'b', 'c'];
const WORDS = ['x', 'y', 'z', 'w'];

function drawOp(model) {
  if (model === 'kv') {
    const f = pick(['get', 'get', 'put', 'append', 'append']);
    return { f, key: pick(KV_KEYS.slice(0, 1 + int(3))), arg: f === 'get' ? null : pick(WORDS) };
  }
  const fs = model === 'cas-register' ? ['read', 'read', 'write', 'cas', 'cas'] : ['read', 'read', 'write'];
  const f = pick(fs);
  if (f === 'read') return { f, arg: null };
  if (f === 'write') return { f, arg: int(4) };
  return { f, arg: [pick([null, 0, 1, 2, 3]), int(4)] };
}

/** Timeline: threads run operations one after another; an info retires the process id. */
function drawShape(model) {
  const threads = 1 + int(maxThreads);
  const perThread = 1 + int(maxOps);
  const ops = [];
  let nextPid = threads;
  for (let t = 0; t < threads; t++) {
    let p = t;
    let c = int(4);
    for (let k = 0; k < perThread; k++) {
      const call = c;
      const ret = call + int(7); // zero-length operations too
      const r = rng();
      const outcome = r < 0.72 ? 'ok' : r < 0.86 ? 'info' : 'fail';
      ops.push({ p, call, ret, outcome, ...drawOp(model) });
      if (outcome === 'info') {
        p = nextPid++;
      }
      // Strictly after: Porcupine does not know a process's own operations are sequential,
      // so touching ones of one process are compared elsewhere (test/check/lin/differential.test.ts).
      c = ret + 1 + int(3);
    }
  }
  return ops;
}

function apply(model, state, op) {
  // Returns [newState, result]; result: the read value or cas success.
  if (model === 'kv') {
    const v = state[op.key] ?? '';
    if (op.f === 'get') return [state, v];
    if (op.f === 'put') return [{ ...state, [op.key]: op.arg }, null];
    return [{ ...state, [op.key]: v + op.arg }, null];
  }
  if (op.f === 'read') return [state, state];
  if (op.f === 'write') return [op.arg, null];
  const [from, to] = op.arg;
  return from === state ? [to, true] : [state, false];
}

/** Results of a linearizable execution: every op takes effect at a point of its interval. */
function byConstruction(model, initial, ops) {
  const points = [];
  for (const op of ops) {
    if (op.outcome === 'ok') points.push([op.call + rng() * (op.ret - op.call), op]);
    else if (op.outcome === 'info' && chance(0.6)) points.push([op.call + rng() * 12, op]);
    else if (op.outcome === 'fail' && op.f === 'cas') points.push([op.call + rng() * (op.ret - op.call), op]);
  }
  points.sort((a, b) => a[0] - b[0]);
  let state = initial;
  for (const [, op] of points) {
    if (op.outcome === 'fail') {
      // A failed cas ran and found another value; otherwise it is made to fail.
      const [next, result] = apply(model, state, op);
      if (result) {
        op.outcome = 'ok';
        state = next;
      }
      continue;
    }
    const [next, result] = apply(model, state, op);
    if (op.f === 'cas' && op.outcome === 'ok' && !result) {
      op.outcome = 'fail'; // Jepsen records a cas that found another value as fail
      continue;
    }
    state = next;
    if (op.f === 'read' || op.f === 'get') op.out = result;
  }
  for (const op of ops) if ((op.f === 'read' || op.f === 'get') && op.out === undefined) op.out = model === 'kv' ? '' : null;
  // A fail that is not a cas (or a cas failed by construction) took no effect.
  return ops;
}

function randomResults(model, ops) {
  for (const op of ops) {
    if (op.f === 'read') op.out = pick([null, 0, 1, 2, 3, 9]); // 9 is never written
    if (op.f === 'get') op.out = pick(['', 'x', 'y', 'xy', 'q']);
  }
  return ops;
}

function mutate(model, ops) {
  const candidates = ops.filter((op) => op.outcome !== 'info' && (op.f === 'read' || op.f === 'get' || op.f === 'cas'));
  if (candidates.length === 0) return ops;
  const op = pick(candidates);
  if (op.f === 'cas') op.outcome = op.outcome === 'ok' ? 'fail' : 'ok';
  else if (op.f === 'read') op.out = pick([0, 1, 2, 3, 9].filter((v) => v !== op.out));
  else op.out = pick(['', 'x', 'y', 'xy', 'q', op.out + 'x'].filter((v) => v !== op.out));
  return ops;
}

// ---- formats -----------------------------------------------------------------------

function invokeValue(model, op) {
  if (model === 'kv') return [op.key, op.f === 'get' ? null : op.arg];
  return op.f === 'read' ? null : op.arg;
}
function completeValue(model, op) {
  if (op.outcome !== 'ok') return invokeValue(model, op);
  if (model === 'kv') return [op.key, op.f === 'get' ? op.out : op.arg];
  return op.f === 'read' ? op.out : op.arg;
}

/** Events in real-time order; at one instant invocations first (EDN), or shuffled (JSON). */
function events(model, ops, shuffleTies) {
  const evs = [];
  ops.forEach((op, i) => {
    evs.push({ t: op.call, kind: 0, op, i });
    if (!op.neverCompletes) evs.push({ t: op.ret, kind: 1, op, i });
  });
  evs.forEach((e) => (e.r = rng()));
  evs.sort((a, b) => a.t - b.t || (shuffleTies ? (a.op.p === b.op.p ? a.kind - b.kind : a.r - b.r) : a.kind - b.kind || a.r - b.r));
  return evs.map((e) => ({
    type: e.kind === 0 ? 'invoke' : e.op.outcome,
    process: e.op.p,
    f: e.op.f,
    value: e.kind === 0 ? invokeValue(model, e.op) : completeValue(model, e.op),
    timeUs: e.t,
  }));
}

function toJson(model, ops) {
  const evs = events(model, ops, true);
  const form = int(3);
  if (form === 0) return JSON.stringify(evs);
  if (form === 1) return JSON.stringify({ history: evs, note: 'differential' });
  return evs.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

function edn(v) {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return `[${v.map(edn).join(' ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function toEdn(model, ops) {
  const evs = events(model, ops, false);
  const lines = evs.map((e, index) => {
    if (model === 'kv') {
      const [key, v] = e.value;
      return `{:type :${e.type}, :f :${e.f}, :process ${e.process}, :key ${JSON.stringify(key)}, :value ${edn(v)}, :time ${e.timeUs}, :index ${index}}`;
    }
    return `{:type :${e.type}, :f :${e.f}, :value ${edn(e.value)}, :process ${e.process}, :time ${e.timeUs}, :index ${index}}`;
  });
  return int(2) === 0 ? `[${lines.join('\n ')}]\n` : lines.join('\n') + '\n';
}

/** Porcupine's view: fails dropped (jepsen) or cas-false / indeterminate (porcupine). */
function toPorcupine(id, model, initial, failedOps, ops) {
  const pops = [];
  for (const op of ops) {
    let outcome = op.outcome;
    if (outcome === 'fail') {
      if (failedOps === 'jepsen') continue;
      outcome = op.f === 'cas' ? 'casfalse' : 'info';
    }
    pops.push({
      p: op.p,
      call: op.call,
      ret: outcome === 'info' ? null : op.ret,
      f: op.f,
      ...(model === 'kv' ? { key: op.key } : {}),
      arg: op.arg,
      out: op.outcome === 'ok' && (op.f === 'read' || op.f === 'get') ? op.out : null,
      outcome,
    });
  }
  return JSON.stringify({ id, model, initial, ops: pops });
}

// ---- run ---------------------------------------------------------------------------

const GROUPS = [
  { model: 'register', initial: null, failedOps: 'jepsen' },
  { model: 'cas-register', initial: null, failedOps: 'jepsen' },
  { model: 'cas-register', initial: 0, failedOps: 'jepsen' },
  { model: 'cas-register', initial: 0, failedOps: 'porcupine' },
  { model: 'kv', initial: null, failedOps: 'jepsen' },
];

const histories = [];
for (let n = 0; n < count; n++) {
  const group = GROUPS[n % GROUPS.length];
  const kind = pick(['construction', 'mutated', 'random']);
  let ops = drawShape(group.model);
  const init = group.model === 'kv' ? {} : group.initial;
  ops = byConstruction(group.model, init, ops);
  if (kind === 'mutated') ops = mutate(group.model, ops);
  if (kind === 'random') ops = randomResults(group.model, ops);
  // An info operation whose completion is never recorded (Knossos: indeterminate).
  for (const op of ops) if (op.outcome === 'info' && chance(0.4)) op.neverCompletes = true;
  histories.push({ id: `h${String(n).padStart(5, '0')}`, kind, ...group, ops });
}

const driver = process.env.PORCUPINE_DRIVER ?? join(out, 'porcupine-driver');
if (!process.env.PORCUPINE_DRIVER) {
  execFileSync('go', ['build', '-o', driver, '.'], {
    cwd: join(here, 'porcupine'),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: process.env.GOCACHE ?? join(out, 'gocache') },
    stdio: 'inherit',
  });
}
const porcupineInput = histories.map((h) => toPorcupine(h.id, h.model, h.initial, h.failedOps, h.ops)).join('\n') + '\n';
writeFileSync(join(out, 'porcupine-input.ndjson'), porcupineInput);
const porcupineOutput = execFileSync(driver, [], { input: porcupineInput, maxBuffer: 1 << 28 }).toString();
writeFileSync(join(out, 'porcupine-verdicts.txt'), porcupineOutput);
const porcupine = new Map(porcupineOutput.trim().split('\n').map((line) => line.split(' ')));

const ours = new Map(); // file → verdict
for (const [g, group] of GROUPS.entries()) {
  const dir = join(out, `g${g}-${group.model}-${group.initial ?? 'nil'}-${group.failedOps}`);
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (const h of histories.filter((x) => x.model === group.model && x.initial === group.initial && x.failedOps === group.failedOps)) {
    writeFileSync(join(dir, `${h.id}.json`), toJson(h.model, h.ops));
    writeFileSync(join(dir, `${h.id}.edn`), toEdn(h.model, h.ops));
    files.push(join(dir, `${h.id}.json`), join(dir, `${h.id}.edn`));
    h.dir = dir;
  }
  // ZABLAB_BIN: another checkout's bin/zablab.js (to see what a change fixed).
  const cli = [process.env.ZABLAB_BIN ?? 'bin/zablab.js', 'check', ...files, '--model', group.model, '--json'];
  if (group.initial !== null) cli.push('--initial', JSON.stringify(group.initial));
  if (group.failedOps !== 'jepsen') cli.push('--failed-ops', group.failedOps);
  const r = spawnSync('node', cli, { cwd: root, maxBuffer: 1 << 28 });
  for (const line of r.stdout.toString().split('\n')) {
    if (line.trim() === '') continue;
    const o = JSON.parse(line);
    ours.set(o.file, o.verdict);
  }
  for (const line of r.stderr.toString().split('\n')) {
    const m = /^zablab check: (\S+?\.(?:json|edn))(?::\d+)?: (.*)$/.exec(line);
    if (m) ours.set(m[1], `error: ${m[2]}`);
  }
}

const disagreements = [];
const tally = {};
for (const h of histories) {
  const p = porcupine.get(h.id);
  for (const ext of ['json', 'edn']) {
    const file = join(h.dir, `${h.id}.${ext}`);
    const z = ours.get(file) ?? 'missing';
    const key = `${h.model}/${h.kind}: porcupine ${p}, zablab ${z.startsWith('error') ? 'error' : z}`;
    tally[key] = (tally[key] ?? 0) + 1;
    if (z !== p || (h.kind === 'construction' && p !== 'linearizable')) disagreements.push({ id: h.id, file, kind: h.kind, model: h.model, initial: h.initial, failedOps: h.failedOps, porcupine: p, zablab: z });
  }
}
for (const [k, v] of Object.entries(tally).sort()) console.log(`${String(v).padStart(6)}  ${k}`);
writeFileSync(join(out, 'disagreements.ndjson'), disagreements.map((d) => JSON.stringify(d)).join('\n') + (disagreements.length ? '\n' : ''));
console.log(`${histories.length} histories (x2 formats), ${disagreements.length} disagreements; files in ${out}`);
for (const d of disagreements.slice(0, 20)) console.log(JSON.stringify(d));
process.exitCode = disagreements.length > 0 ? 1 : 0;
