/**
 * `zablab check --html FILE`: the verdict as one self-contained page (inline CSS and SVG,
 * no script, nothing fetched), in the manner of Porcupine's visualizer but explained:
 * a lane per process with each operation as a bar over its real-time interval, the
 * longest partial linearizations drawn as numbered points with the state after each, the
 * operation that cannot be linearized in red, and why, in the model's words. Partial
 * linearizations that differ only in where `:info` operations (which may or may not
 * have happened) were placed are shown once, with a count.
 *
 * Every text from the history (values, process names, file names) is escaped: the page
 * shows it as text, never as HTML. Isomorphic: the CLI writes the string.
 */
import type { LinResult } from './checker.js';
import type { Explanation, ExplainedOp, PartialLinearization } from './explain.js';
import { processName } from './explain.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const LANE_PX = 34;
const LEFT_PX = 70;
const WIDTH_PX = 900;

/** Partial linearizations grouped by their steps without the info operations. */
export function collapseInfo(lins: readonly PartialLinearization[], ops: ReadonlyMap<number, ExplainedOp>): { lin: PartialLinearization; same: number }[] {
  const groups = new Map<string, { lin: PartialLinearization; same: number }>();
  for (const lin of lins) {
    const key = `${lin.stuckOpId}|${lin.steps.filter((s) => ops.get(s.opId)?.type !== 'info').map((s) => s.opId).join(',')}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { lin, same: 0 });
    else group.same++;
  }
  return [...groups.values()];
}

function timeline(e: Explanation, lin: PartialLinearization | undefined): string {
  const lo = Math.min(...e.ops.map((op) => op.callIndex));
  const hi = Math.max(...e.ops.map((op) => op.returnIndex)) + 1;
  const x = (position: number) => LEFT_PX + ((position - lo) / Math.max(1, hi - lo)) * (WIDTH_PX - LEFT_PX - 10);
  const height = e.processes.length * LANE_PX + 20;
  const parts: string[] = [];
  e.processes.forEach((p, lane) => {
    parts.push(`<text x="4" y="${lane * LANE_PX + 24}" class="lane">${escapeHtml(processName(p))}</text>`);
    parts.push(`<line x1="${LEFT_PX}" x2="${WIDTH_PX - 10}" y1="${lane * LANE_PX + 20}" y2="${lane * LANE_PX + 20}" class="axis"/>`);
  });
  for (const op of e.ops) {
    const y = op.lane * LANE_PX + 8;
    const end = op.type === 'info' ? WIDTH_PX - 10 : x(op.returnIndex);
    const cls = op.id === e.stuckOpId ? 'op stuck' : op.type === 'info' ? 'op info' : 'op';
    parts.push(`<g><title>${escapeHtml(op.text)}${op.type === 'info' ? ' (info: may or may not have happened)' : ''}</title><rect x="${x(op.callIndex)}" y="${y}" width="${Math.max(4, end - x(op.callIndex))}" height="22" rx="3" class="${cls}"/>`);
    parts.push(`<text x="${x(op.callIndex) + 4}" y="${y + 15}" class="optext">${escapeHtml(op.text.replace(/^\S+\s/, ''))}</text></g>`);
  }
  if (lin !== undefined) {
    const lanes = new Map(e.ops.map((op) => [op.id, op.lane]));
    lin.steps.forEach((step, i) => {
      const lane = lanes.get(step.opId);
      if (lane === undefined) return;
      parts.push(`<g><title>${i + 1 + lin.omitted}: then ${escapeHtml(step.stateText)}</title><circle cx="${x(step.point)}" cy="${lane * LANE_PX + 19}" r="7" class="point"/><text x="${x(step.point)}" y="${lane * LANE_PX + 23}" class="pointno">${i + 1 + lin.omitted}</text></g>`);
    });
  }
  return `<svg viewBox="0 0 ${WIDTH_PX} ${height}" width="${WIDTH_PX}" height="${height}" role="img" aria-label="operations by process">${parts.join('')}</svg>`;
}

function linearizationTable(lin: PartialLinearization, ops: ReadonlyMap<number, ExplainedOp>): string {
  const rows = lin.steps.map((step, i) => `<tr><td>${i + 1 + lin.omitted}</td><td>${escapeHtml(ops.get(step.opId)?.text ?? `operation ${step.opId}`)}</td><td>${escapeHtml(step.stateText)}</td></tr>`);
  const stuck = ops.get(lin.stuckOpId);
  const candidates = lin.candidates.map((c) => `<li>${escapeHtml(c.text)}: ${escapeHtml(c.reason)}</li>`).join('');
  return `<table><tr><th>#</th><th>operation</th><th>state after</th></tr><tr><td></td><td><i>start${lin.omitted ? `, after ${lin.omitted} earlier operations` : ''}</i></td><td>${escapeHtml(lin.stateBeforeText)}</td></tr>${rows.join('')}</table>
<p>Then <b class="bad">${escapeHtml(stuck?.text ?? `operation ${lin.stuckOpId}`)}</b> cannot be linearized in state ${escapeHtml(lin.stateText)}.</p>${candidates ? `<ul>${candidates}</ul>` : ''}`;
}

/** The page for one file's verdict. */
export function verdictPage(file: string, model: string, result: LinResult): string {
  const e = result.explanation;
  let body: string;
  if (result.verdict !== 'not-linearizable' || e === undefined) {
    const what = result.verdict === 'linearizable' ? 'is linearizable' : `could not be decided (${result.unknownReason === 'timeout' ? 'the time budget ran out' : 'the step budget ran out'})`;
    body = `<p class="verdict ${result.verdict === 'linearizable' ? 'good' : ''}">The history ${what}: ${result.ops} operations in ${result.partitions} independent part${result.partitions === 1 ? '' : 's'}, ${result.steps} search steps.</p>`;
  } else {
    const ops = new Map(e.ops.map((op) => [op.id, op]));
    const longest = collapseInfo(e.longest, ops);
    const alternatives = collapseInfo(e.alternatives, ops);
    const same = (n: number) => (n > 0 ? ` <span class="note">(and ${n} more that differ only in where :info operations were placed)</span>` : '');
    body = `<p class="verdict bad">The history is NOT linearizable: <b>${escapeHtml(e.stuckOpText)}</b> cannot be linearized.</p>
<p>It is in ${escapeHtml(e.part)} (part ${e.partIndex + 1} of ${e.parts}; linearizability is checked per independent part).${e.omittedOps ? ` ${e.omittedOps} operations of the part far from it are not drawn.` : ''}</p>
<h2>Why</h2><p>Just before it, the ${escapeHtml(e.model)} could be in ${e.statesBeforeText.length === 1 ? 'one state' : `${e.statesBeforeText.length} states`}: ${e.statesBeforeText.map(escapeHtml).join('; ')}. In ${e.statesBeforeText.length === 1 ? 'it' : 'each'}:</p>
<ul>${e.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>
<h2>The operations</h2><p>A lane per process; a bar from invocation to completion (dashed: <i>info</i>, its effect may come any time later, or never); the numbered points are a longest partial linearization, each operation taking effect at one instant inside its bar.</p>
${timeline(e, longest[0]?.lin)}
<h2>Longest partial linearizations</h2>
${longest.map(({ lin, same: n }, i) => `<h3>${i + 1}${same(n)}</h3>${linearizationTable(lin, ops)}`).join('')}
${alternatives.length ? `<h2>Other orders around it</h2><p>These fail a little earlier, at an operation overlapping the one above.</p>${alternatives.map(({ lin, same: n }, i) => `<h3>${i + 1}${same(n)}</h3>${linearizationTable(lin, ops)}`).join('')}` : ''}
<p class="note">${e.deadEnds} dead end${e.deadEnds === 1 ? '' : 's'} found at the stuck operation${e.provedLocally ? '; proved by a local refutation before every dead end was explored' : ''}.</p>`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zablab check: ${escapeHtml(file)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 960px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; } h3 { font-size: 14px; margin: 16px 0 4px; }
.verdict { font-size: 16px; padding: 8px 12px; border-radius: 6px; background: #f4f4f4; }
.verdict.bad, .bad { color: #a40000; } .verdict.good { color: #1b6e1b; }
.note { color: #666; } table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; font-family: ui-monospace, monospace; font-size: 13px; }
svg { display: block; margin: 12px 0; } .lane { font: 13px ui-monospace, monospace; fill: #333; } .axis { stroke: #ddd; }
.op { fill: #dbe8fb; stroke: #4a78c2; } .op.info { fill: #f3f3f3; stroke: #999; stroke-dasharray: 4 3; } .op.stuck { fill: #fbdada; stroke: #c22; stroke-width: 2; }
.optext { font: 11px ui-monospace, monospace; fill: #123; pointer-events: none; } .point { fill: #1b6e1b; } .pointno { font: bold 9px sans-serif; fill: #fff; text-anchor: middle; pointer-events: none; }
</style></head>
<body><h1>zablab check — ${escapeHtml(file)} <span class="note">(model ${escapeHtml(model)})</span></h1>
${body}
</body></html>
`;
}
