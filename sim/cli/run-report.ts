/**
 * `zablab run … --report FILE.html`: one run as a self-contained page — the story, the
 * verdicts, the availability figures, the latency / throughput / fault plots, the
 * linearizability explanation drawn, and the trace hash with the command that
 * reproduces the run.
 */
import type { RunResult } from '../scenario/run.js';
import type { Scenario } from '../scenario/types.js';
import { timelineFromEvents } from '../check/timeline.js';
import { describeFault, type FirstSuccess } from '../check/availability.js';
import { linFromTrace, type LinReport } from '../scenario/lin-report.js';
import { escapeHtml as h, type ReportPage } from './report.js';

const MARK = { ok: '✓', failed: '✗', skipped: '–' } as const;
const TONE = { ok: 'good', failed: 'bad', skipped: 'muted' } as const;
const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

/** The checker's verdict with its explanation as data (rebuilt from the trace only when there is one to draw). */
export function linReportOf(result: RunResult, scenario: Scenario): LinReport {
  const lin = result.linearizability;
  if (lin.verdict === 'not-linearizable' && result.trace !== undefined) return linFromTrace(result.trace.events, scenario, result.protocol, result.trace.meta);
  return { verdict: lin.verdict, ...(lin.model !== undefined ? { model: lin.model } : {}), ops: lin.ops };
}

function availabilityTable(result: RunResult): string {
  const first = (s: FirstSuccess | null) => (s === null ? '<td class="num">none</td>' : `<td class="num">${h(ms(s.afterUs))}</td>`);
  const leader = (l: (typeof result.availability.faults)[number]['nextLeader']) => `<td class="num">${l === null ? 'none' : h(`${ms(l.afterUs)} (server ${l.node})`)}</td>`;
  const rows = result.availability.faults.map((f) => `<tr><td>${h(describeFault(f))}</td>${first(f.firstWrite)}${first(f.firstRead)}${leader(f.nextLeader)}</tr>`);
  const gap = result.availability.longestGap;
  const gapText =
    gap === null
      ? 'no client operations'
      : `${ms(gap.durationUs)}, from ${ms(gap.startUs)} to ${ms(gap.endUs)}: ${gap.infoOps} operation(s) ended unknown (info) in it${gap.infoOpIds.length > 0 ? ` — op ${gap.infoOpIds.join(', ')}${gap.infoOps > gap.infoOpIds.length ? ', …' : ''}` : ''}; ${gap.failOps} failed`;
  const table = rows.length === 0 ? '<p class="muted">No fault while clients were running.</p>' : `<table class="figures"><thead><tr><th>fault</th><th>first write ok after</th><th>first read ok after</th><th>next leader after</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  return `${table}<p>Longest window with no successful operation: ${h(gapText)}.</p>`;
}

export function runReportPage(scenario: Scenario, result: RunResult, command: string, textReport: string): ReportPage {
  const verdicts = result.expectations.map((e) => `<li class="${TONE[e.status]}">${MARK[e.status]} ${h(e.name)} — ${h(e.detail)}</li>`).join('\n');
  const body = `
<header class="report-head">
  <h1>${h(scenario.title)}</h1>
  <span class="badge ${result.ok ? 'pass' : 'fail'}" data-testid="outcome">${result.ok ? 'PASS' : 'FAIL'}</span>
  <span class="meta">${h(result.scenario)} · ${h(result.protocol)} · seed ${result.seed}</span>
</header>
<section class="card"><h2>The story</h2><p class="explanation">${h(scenario.explanation)}</p></section>
<section class="card" id="verdicts"><h2>Verdicts</h2><ul class="verdicts">${verdicts}</ul></section>
<section class="card" id="availability"><h2>Availability</h2>
<p class="muted">Per fault: from the fault to the first write, and the first read, invoked after it that succeeded, and to the next leader established (the protocol's recovery; clients also wait out their timeouts). Computed from the trace (sim/check/availability.ts).</p>
${availabilityTable(result)}</section>
<section class="card"><h2>Latency, throughput, faults and elections</h2><div class="plots" id="plots"></div></section>
<section class="card"><h2>Linearizability</h2><div id="lin"></div></section>
<section class="card" id="reproduce"><h2>Reproduce</h2>
<p>Trace hash <code data-testid="trace-hash">${h(result.traceHash)}</code> (${result.events} events, ${h(ms(result.simTimeUs))} simulated). The same scenario, seed, protocol and code give the same hash:</p>
<pre><code>${h(command)}</code></pre>
<details><summary>The run's report, as <code>zablab run</code> prints it</summary><pre>${h(textReport)}</pre></details>
</section>`;
  const series = [{ label: result.protocol === 'zab' ? 'ZAB' : result.protocol === 'paxos' ? 'Paxos' : result.protocol, timeline: timelineFromEvents(result.trace?.events ?? []) }];
  return { title: `zablab · ${scenario.title} · ${result.protocol} · seed ${result.seed}`, body, data: { kind: 'run', series, lin: linReportOf(result, scenario) } };
}
