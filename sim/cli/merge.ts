/**
 * `zablab merge <dirs or files…>`: joins the shards of one sweep or swarm — their `--json`
 * lines and the reproductions they saved — into one summary with the totals an unsharded
 * run gives: runs, failures per scenario and protocol, failing seeds, symptoms.
 *
 * Every line a sweep or swarm prints with `--json` says which shard it is (`shard`:
 * "K/N") of which seeds (`seeds`: "A..B"). The merge checks, before it writes anything,
 * that the inputs are shards of one sweep (same seeds, same N), that no run appears twice
 * (a shard given twice, or shards of two different splits) and that every seed of every
 * scenario is there (a shard missing or cut short): any of those is refused with one
 * line naming the file and line, exit 2. It never writes into its inputs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseFlags } from './args.js';
import { UsageError, out, readTextFile } from './io.js';
import { checkOutputFolder, sameFile, writeOutputFile, type OutputRules } from './outputs.js';
import { symptomOf } from './swarm.js';
import type { SweepOutcome } from './sweep-worker.js';

export const MERGE_USAGE = `usage: zablab merge <dir or file…> [--out DIR] [--force] [--json]

Merges the shards of one \`zablab sweep\` or \`zablab swarm\` run with --shard K/N (or
with the shard taken from a CI matrix or a Kubernetes Indexed Job) into one summary
with the same totals as the run unsharded.
Each argument is a file of the shards' --json lines, or a folder: every *.jsonl file
in it is read, and the reproductions its failing lines name are looked for as
written, then beside the lines' file, then in the folder. Typical use, one folder per
shard (what the examples in examples/ collect):
  zablab sweep S.json --seeds 1..3000 --shard K/3 --out shard-K --json > shard-K/runs.jsonl
  zablab merge shard-0 shard-1 shard-2 --out merged
Refused (exit 2), naming file and line: a line that is not a sweep or swarm result, lines
of different sweeps, a run given twice (overlapping shards), and a missing run (a shard
missing or cut short). --out DIR writes DIR/runs.jsonl (every run, in seed order per
scenario and protocol, reproductions pointing into DIR) and copies the reproductions
into DIR; files there are not replaced unless --force, inputs never. --json prints the
summary as one JSON object.
A swarm's runs broken only by hazards ZooKeeper does not prevent ("hazard": true) are
counted apart from failures, as zablab swarm counts them.
Exit: 0 all runs passed (a swarm's: or failed only by named hazards), 1 some failed, 2 bad input.
`;

/** A --json line of a sweep or swarm, as far as the merge reads it. */
interface RunLine {
  scenario?: string;
  protocol: string;
  seed: number;
  ok: boolean;
  failed: string[];
  violations: string[];
  reproduction?: string;
  shrunk?: string;
  shard: string;
  seeds: string;
  bug?: string;
  /** A swarm's profile, when not the default (zablab swarm --profile). */
  profile?: string;
  /** A swarm's run broken only by hazards ZooKeeper does not prevent (not a failure). */
  hazard?: boolean;
  [field: string]: unknown;
}

interface Located {
  line: RunLine;
  where: string;
  /** The lines' file, and the folder argument it came from (if any): where reproductions are looked for. */
  file: string;
  folder?: string;
}

interface Group {
  name: string;
  runs: Located[];
  seeds: Map<number, Located>;
}

/** The lines' files an argument stands for. */
function lineFiles(arg: string): { file: string; folder?: string }[] {
  if (!existsSync(arg)) throw new UsageError(`${arg}: no such file or folder`);
  if (!statSync(arg).isDirectory()) return [{ file: arg }];
  const files = readdirSync(arg)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => ({ file: join(arg, name), folder: arg }));
  if (files.length === 0) throw new UsageError(`${arg}: holds no *.jsonl file (write the shard's --json output there, e.g. > ${join(arg, 'runs.jsonl')})`);
  return files;
}

function parseLine(text: string, where: string): RunLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where}: invalid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${where}: expected a JSON object (a line of zablab sweep/swarm --json)`);
  const line = raw as Record<string, unknown>;
  const need = (field: string, type: string) => {
    if (typeof line[field] !== type) throw new UsageError(`${where}: "${field}" must be a ${type} (a line of zablab sweep/swarm --json from this version)`);
  };
  need('protocol', 'string');
  need('seed', 'number');
  need('ok', 'boolean');
  need('shard', 'string');
  need('seeds', 'string');
  if (!Array.isArray(line.failed) || !Array.isArray(line.violations)) throw new UsageError(`${where}: "failed" and "violations" must be arrays`);
  for (const field of ['scenario', 'reproduction', 'shrunk', 'bug', 'profile']) {
    if (line[field] !== undefined && typeof line[field] !== 'string') throw new UsageError(`${where}: "${field}" must be a string`);
  }
  if (line.hazard !== undefined && typeof line.hazard !== 'boolean') throw new UsageError(`${where}: "hazard" must be true or false`);
  if (!/^\d+\/\d+$/.test(line.shard as string)) throw new UsageError(`${where}: "shard" must look like K/N, got ${JSON.stringify(line.shard)}`);
  if (!/^\d+\.\.\d+$/.test(line.seeds as string)) throw new UsageError(`${where}: "seeds" must look like A..B, got ${JSON.stringify(line.seeds)}`);
  return line as unknown as RunLine;
}

/** What the lines of one run share: the kind of run, its seeds and its split. */
interface Split {
  kind: 'sweep' | 'swarm';
  seeds: string;
  from: number;
  to: number;
  count: number;
  where: string;
}

function groupName(line: RunLine): string {
  return line.scenario !== undefined ? `${line.scenario} ${line.protocol}` : `swarm ${line.protocol}${line.profile !== undefined ? ` (profile ${line.profile})` : ''}${line.bug !== undefined ? ` with ${line.bug}` : ''}`;
}

/** Reads and checks every line: one split, each run once, each in its own shard. */
function readRuns(args: string[]): { split: Split; groups: Group[]; files: string[] } {
  let split: Split | undefined;
  const groups = new Map<string, Group>();
  const files: string[] = [];
  for (const arg of args) {
    for (const { file, folder } of lineFiles(arg)) {
      files.push(file);
      const lines = readTextFile(file).split('\n');
      lines.forEach((text, i) => {
        if (text.trim() === '') return;
        const where = `${file}:${i + 1}`;
        const line = parseLine(text, where);
        const [k, n] = line.shard.split('/').map(Number);
        const [from, to] = line.seeds.split('..').map(Number);
        const kind = line.scenario !== undefined ? 'sweep' : 'swarm';
        if (split === undefined) split = { kind, seeds: line.seeds, from, to, count: n, where };
        else if (split.kind !== kind || split.seeds !== line.seeds || split.count !== n) {
          throw new UsageError(`${where}: a line of another run (${kind} of seeds ${line.seeds} in ${n} shard(s)) than ${split.where} (${split.kind} of seeds ${split.seeds} in ${split.count} shard(s)); merge the shards of one run at a time`);
        }
        if (k >= n || line.seed < from || line.seed > to || (line.seed - from) % n !== k) {
          throw new UsageError(`${where}: seed ${line.seed} does not belong to shard ${line.shard} of seeds ${line.seeds}`);
        }
        const name = groupName(line);
        const group: Group = groups.get(name) ?? { name, runs: [], seeds: new Map() };
        groups.set(name, group);
        const earlier = group.seeds.get(line.seed);
        if (earlier !== undefined) throw new UsageError(`${where}: seed ${line.seed} of ${name} again (first at ${earlier.where}): overlapping shards — is shard ${line.shard} given twice?`);
        const located: Located = { line, where, file, folder };
        group.seeds.set(line.seed, located);
        group.runs.push(located);
      });
    }
  }
  if (split === undefined) throw new UsageError(`${args.join(', ')}: no run lines found`);
  return { split, groups: [...groups.values()], files };
}

/** How many seeds from..to a scan for missing ones may look at (a range is 2^32 at most). */
const MISSING_SCAN_MAX = 10_000_000;

/** Every seed of every group must be there: otherwise name the missing shards, or the first missing seeds. */
function checkComplete(split: Split, groups: Group[]): void {
  const span = split.to - split.from + 1;
  const shardsSeen = new Set<number>();
  for (const group of groups) for (const { line } of group.runs) shardsSeen.add(Number(line.shard.split('/')[0]));
  const missingShards: number[] = [];
  for (let k = 0; k < Math.min(split.count, span); k++) if (!shardsSeen.has(k)) missingShards.push(k);
  if (missingShards.length > 0) {
    const list = missingShards.slice(0, 10).map((k) => `${k}/${split.count}`);
    throw new UsageError(`seeds ${split.seeds} in ${split.count} shards: shard${missingShards.length === 1 ? '' : 's'} ${list.join(', ')}${missingShards.length > 10 ? ', …' : ''} missing (no line of ${missingShards.length === 1 ? 'it' : 'theirs'} in the inputs)`);
  }
  for (const group of groups) {
    if (group.seeds.size === span) continue;
    const missing: number[] = [];
    for (let seed = split.from; seed <= split.to && seed - split.from < MISSING_SCAN_MAX && missing.length < 5; seed++) if (!group.seeds.has(seed)) missing.push(seed);
    const shardsOf = [...new Set(missing.map((seed) => `${(seed - split.from) % split.count}/${split.count}`))];
    throw new UsageError(`${group.name}: ${span - group.seeds.size} of seeds ${split.seeds} missing (${missing.join(', ')}${span - group.seeds.size > missing.length ? ', …' : ''}; shard ${shardsOf.join(', ')}): a shard cut short?`);
  }
}

/** Finds a reproduction a line names: as written, beside its lines' file, in its folder. */
function locate(path: string, at: Located, field: string): string {
  const candidates = [isAbsolute(path) ? path : resolve(path), join(dirname(at.file), basename(path)), ...(at.folder !== undefined ? [join(at.folder, basename(path))] : [])];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  if (found === undefined) throw new UsageError(`${at.where}: the ${field} ${path} of seed ${at.line.seed} is not found (looked at ${[...new Set(candidates)].join(', ')})`);
  return found;
}

interface Summary {
  kind: 'sweep' | 'swarm';
  seeds: string;
  shards: number;
  runs: number;
  passed: number;
  failed: number;
  /** A swarm's runs broken only by named hazards: neither passed nor failed (zablab swarm --help). */
  hazards: number;
  groups: { name: string; runs: number; failed: number; failingSeeds: number[] }[];
  symptoms: Record<string, number>;
  reproductions: string[];
  out?: string;
}

export function mergeCommand(argv: string[]): number {
  const { values, positionals } = parseFlags('merge', argv, { out: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } }, MERGE_USAGE);
  if (positionals.length === 0) throw new UsageError('needs the shards: folders or files of --json lines (zablab merge --help)');
  const { split, groups, files } = readRuns(positionals);
  checkComplete(split, groups);
  for (const group of groups) group.runs.sort((a, b) => a.line.seed - b.line.seed);

  // Every reproduction is found before anything is written.
  const copies: { from: string; name: string; at: Located; field: 'reproduction' | 'shrunk' }[] = [];
  for (const group of groups) {
    for (const at of group.runs) {
      for (const field of ['reproduction', 'shrunk'] as const) {
        const path = at.line[field];
        if (path !== undefined) copies.push({ from: locate(path, at, field), name: basename(path), at, field });
      }
    }
  }
  const outDir = values.out;
  const inputs = [...files, ...copies.map((c) => c.from)];
  const rules: OutputRules = { flag: '--out', inputs, force: values.force === true };
  if (outDir !== undefined) {
    const names = new Set(['runs.jsonl', ...copies.map((c) => c.name)]);
    const sourceOf = new Map<string, Located & { from: string }>();
    for (const copy of copies) {
      const other = sourceOf.get(copy.name);
      if (other !== undefined && !sameFile(other.from, copy.from)) throw new UsageError(`${copy.at.where}: its ${copy.field} ${copy.name} has the name of another (${other.from}, from ${other.where}); merge them into separate folders`);
      sourceOf.set(copy.name, { ...copy.at, from: copy.from });
    }
    checkOutputFolder(outDir, rules, (name) => names.has(name));
    for (const copy of copies) {
      const target = join(outDir, copy.name);
      if (inputs.some((input) => sameFile(input, target))) throw new UsageError(`--out ${outDir}: ${target} is an input of this merge; it is never overwritten: choose another folder`);
    }
  }

  const reproductions: string[] = [];
  if (outDir !== undefined) {
    for (const copy of copies) {
      const target = join(outDir, copy.name);
      writeOutputFile(target, readTextFile(copy.from), rules);
      copy.at.line[copy.field] = target;
      if (copy.field === 'reproduction') reproductions.push(target);
    }
    const text = groups.flatMap((group) => group.runs.map(({ line }) => JSON.stringify(line) + '\n')).join('');
    writeOutputFile(join(outDir, 'runs.jsonl'), text, rules);
  } else {
    for (const copy of copies) if (copy.field === 'reproduction') reproductions.push(copy.from);
  }

  const symptoms: Record<string, number> = {};
  let failed = 0;
  let hazards = 0;
  let runs = 0;
  // Only a swarm marks hazards (a sweep's scenarios say what they expect: a hazard there fails it).
  const hazard = (line: RunLine) => line.hazard === true;
  const groupSummaries = groups.map((group) => {
    const failing = group.runs.filter(({ line }) => !line.ok && !hazard(line));
    runs += group.runs.length;
    failed += failing.length;
    hazards += group.runs.filter(({ line }) => !line.ok && hazard(line)).length;
    for (const { line } of failing) {
      const symptom = symptomOf({ failed: line.failed, violations: line.violations } as SweepOutcome);
      symptoms[symptom] = (symptoms[symptom] ?? 0) + 1;
    }
    return { name: group.name, runs: group.runs.length, failed: failing.length, failingSeeds: failing.map(({ line }) => line.seed) };
  });
  const summary: Summary = { kind: split.kind, seeds: split.seeds, shards: split.count, runs, passed: runs - failed - hazards, failed, hazards, groups: groupSummaries, symptoms, reproductions, out: outDir };
  if (values.json) out(JSON.stringify(summary) + '\n');
  else printSummary(summary);
  return failed === 0 ? 0 : 1;
}

function printSummary(summary: Summary): void {
  out(`${summary.kind} of seeds ${summary.seeds}, merged from ${summary.shards} shard${summary.shards === 1 ? '' : 's'}\n\n`);
  const width = Math.max(8, ...summary.groups.map((g) => g.name.length));
  out(`${'scenario'.padEnd(width)}  runs  failed  failing seeds\n`);
  for (const g of summary.groups) {
    out(`${g.name.padEnd(width)}  ${String(g.runs).padStart(4)}  ${String(g.failed).padStart(6)}  ${g.failingSeeds.slice(0, 10).join(', ')}${g.failed > 10 ? ', …' : ''}\n`);
  }
  const symptoms = Object.entries(summary.symptoms);
  if (symptoms.length > 0) out(`\nsymptoms:\n${symptoms.map(([symptom, n]) => `  ${String(n).padStart(6)}  ${symptom}\n`).join('')}`);
  out(`\n${summary.passed} passed, ${summary.failed} failed${summary.hazards > 0 ? `, ${summary.hazards} broken only by named hazards` : ''}${summary.out !== undefined ? `; runs and reproductions in ${summary.out}/` : ''}\n`);
  for (const path of summary.reproductions.slice(0, 20)) out(`  reproduce: zablab run ${path}\n`);
  if (summary.reproductions.length > 20) out(`  … and ${summary.reproductions.length - 20} more\n`);
}
