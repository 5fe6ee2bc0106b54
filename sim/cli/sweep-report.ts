/**
 * `zablab sweep|swarm … --report FILE.html`: the distribution of each availability
 * figure across the seeds, per scenario and protocol — for every kind of fault, the time
 * to the first successful write and read after it, and per run the longest window with
 * no successful operation — as percentiles, a histogram, and the worst seeds. The worst
 * seeds' scenarios are written beside the report (FILE-seeds/), so each link opens a file
 * that `zablab run` reproduces exactly.
 */
import { basename, dirname, extname, join, relative } from 'node:path';
import { percentile, type FigureDistribution } from '../check/availability.js';
import type { Scenario } from '../scenario/types.js';
import type { SweepOutcome } from './sweep-worker.js';
import { escapeHtml as h, refuseToOverwrite, shellWord, writeReport } from './report.js';
import { writeTextFile } from './io.js';

export const PERCENTILES = [50, 90, 99] as const;
/** The worst seeds listed (and written) per figure. */
export const WORST_SEEDS = 5;

interface Sample {
  seed: number;
  outcome: SweepOutcome;
  valueMs: number;
}

interface FigureRow {
  group: string;
  name: string;
  samples: Sample[];
  /** Runs (or faults) where it never happened: no write or read succeeded after the fault. */
  never: number;
}

const byScenario = (o: SweepOutcome) => `${o.scenario} · ${o.protocol}`;

/** The figures of each group (default: scenario · protocol), in order of first appearance. */
export function collectFigures(outcomes: readonly SweepOutcome[], groupOf: (o: SweepOutcome) => string = byScenario): FigureRow[] {
  const rows = new Map<string, FigureRow>();
  const add = (group: string, name: string, outcome: SweepOutcome, us: number | null) => {
    const key = `${group}\u0000${name}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { group, name, samples: [], never: 0 };
      rows.set(key, row);
    }
    if (us === null) row.never++;
    else row.samples.push({ seed: outcome.seed, outcome, valueMs: us / 1000 });
  };
  for (const o of outcomes) {
    const figures = o.availability;
    if (figures === undefined) continue;
    const group = groupOf(o);
    for (const f of figures.faults) {
      add(group, `first write ok after a ${f.kind}`, o, f.writeUs);
      add(group, `first read ok after a ${f.kind}`, o, f.readUs);
      add(group, `next leader after a ${f.kind}`, o, f.leaderUs);
    }
    add(group, 'longest window with no successful operation', o, figures.gapUs);
  }
  return [...rows.values()];
}

export interface FigureSummary {
  group: string;
  name: string;
  count: number;
  never: number;
  percentiles: [number, number][];
  maxMs: number;
  /** Every value, ascending, in ms. */
  values: number[];
  worst: { seed: number; valueMs: number; outcome: SweepOutcome }[];
}

export function summarize(row: FigureRow): FigureSummary {
  const sorted = row.samples.map((s) => s.valueMs).sort((a, b) => a - b);
  // The worst seeds: the largest values, one entry per seed.
  const worst: FigureSummary['worst'] = [];
  for (const s of [...row.samples].sort((a, b) => b.valueMs - a.valueMs || a.seed - b.seed)) {
    if (worst.length >= WORST_SEEDS) break;
    if (!worst.some((w) => w.seed === s.seed)) worst.push({ seed: s.seed, valueMs: s.valueMs, outcome: s.outcome });
  }
  return { group: row.group, name: row.name, count: sorted.length, never: row.never, percentiles: PERCENTILES.map((p) => [p, percentile(sorted, p)]), maxMs: sorted[sorted.length - 1] ?? NaN, values: sorted, worst };
}

/** One line per figure for the terminal: `group  figure  n  p50 p90 p99 max`. */
export function summaryLines(summaries: readonly FigureSummary[]): string[] {
  const f = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(1));
  return summaries.map((s) => `${s.group}  ${s.name}: n=${s.count}${s.never > 0 ? ` (+${s.never} never)` : ''}  ${s.percentiles.map(([p, v]) => `p${p} ${f(v)}`).join('  ')}  max ${f(s.maxMs)} ms`);
}

export interface SweepReportOptions {
  file: string;
  /** What ran, for the page's header ("zablab sweep leader-crash-during-broadcast --seeds 1..200"). */
  command: string;
  outcomes: readonly SweepOutcome[];
  /** The scenario that reproduces a run (concrete, with its seed). */
  scenarioOf: (outcome: SweepOutcome) => Scenario;
  /** Files the report and its reproductions must not overwrite. */
  inputs: readonly string[];
  /** How runs are grouped (default: scenario · protocol; a swarm, whose every seed is its own scenario: by protocol). */
  groupOf?: (outcome: SweepOutcome) => string;
}

export function writeSweepReport(options: SweepReportOptions): FigureSummary[] {
  const { file, outcomes } = options;
  refuseToOverwrite(file, options.inputs);
  const summaries = collectFigures(outcomes, options.groupOf).map(summarize);
  const seedsDir = join(dirname(file), `${basename(file, extname(file))}-seeds`);
  const written = new Map<string, string>();
  const reproduction = (o: SweepOutcome): string => {
    const path = join(seedsDir, `${o.scenario.replace(/[\\/]/g, '_')}-${o.protocol}-seed${o.seed}.json`);
    if (!written.has(path)) {
      refuseToOverwrite(path, options.inputs);
      writeTextFile(path, JSON.stringify(options.scenarioOf(o), null, 2) + '\n');
      written.set(path, relative(dirname(file), path));
    }
    return written.get(path)!;
  };
  const passed = outcomes.filter((o) => o.ok).length;
  const groups = [...new Set(summaries.map((s) => s.group))];
  const figures: FigureDistribution[] = [];
  const sections = groups.map((group) => {
    const rows = summaries.filter((s) => s.group === group);
    const body = rows.map((s) => {
      const index = figures.push({ title: `${s.group} · ${s.name}`, values: s.values, percentiles: s.percentiles.filter(([, v]) => !Number.isNaN(v)) }) - 1;
      const cells = s.percentiles.map(([, v]) => `<td class="num">${Number.isNaN(v) ? '–' : v.toFixed(1)}</td>`).join('');
      const worst = s.worst
        .map((w) => {
          const link = reproduction(w.outcome);
          return `<li>seed ${w.seed}: ${w.valueMs.toFixed(1)} ms${w.outcome.ok ? '' : ' <span class="bad">(failed)</span>'} — <a href="${h(encodeURI(link.split('\\').join('/')))}">${h(link)}</a> · <code>${h(`zablab run ${shellWord(link)}`)}</code></li>`;
        })
        .join('');
      return `<h3>${h(s.name)}</h3>
<table class="figures"><thead><tr><th>runs</th><th>never</th>${s.percentiles.map(([p]) => `<th>p${p} (ms)</th>`).join('')}<th>max (ms)</th></tr></thead>
<tbody><tr><td class="num">${s.count}</td><td class="num">${s.never}</td>${cells}<td class="num">${Number.isNaN(s.maxMs) ? '–' : s.maxMs.toFixed(1)}</td></tr></tbody></table>
<div class="hist" data-histogram="${index}"></div>
<p class="muted">The worst seeds (each file reproduces the run, from the directory of this report):</p><ul>${worst}</ul>`;
    });
    return `<section class="card" data-group="${h(group)}"><h2>${h(group)}</h2>${body.join('\n')}</section>`;
  });
  const body = `
<header class="report-head"><h1>Availability across seeds</h1><span class="badge ${passed === outcomes.length ? 'pass' : 'fail'}">${passed} of ${outcomes.length} passed</span></header>
<section class="card"><p><code>${h(options.command)}</code></p>
<p class="muted">Per scenario and protocol, for each kind of fault: from the fault to the first write, and the first read, invoked after it that succeeded; the time to the next leader established (the protocol's own recovery: clients also wait out their timeouts); per run, the longest window with no successful operation (sim/check/availability.ts). Percentiles are nearest-rank; "never" counts faults after which it never happened.</p></section>
${sections.join('\n')}`;
  writeReport(file, { title: `zablab · availability across seeds`, body, data: { kind: 'sweep', figures } }, options.inputs);
  return summaries;
}
