/**
 * The linearizability checker's explanation, drawn (sim/check/lin/explain.ts):
 * one lane per client process, each operation as a bar from invocation to completion
 * (open-ended when its outcome is unknown), the operation that cannot be linearized in
 * red, and the longest partial linearization as numbered points joined in order, with
 * the model's state after each. Below: why the stuck operation fails in every state
 * the search could reach, and what each candidate next operation would do.
 */
import * as d3 from 'd3';
import type { Explanation, ExplainedOp } from '../../sim/check/lin/explain.js';
import type { LinReport } from './lin.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface LinViewOptions {
  /** Show an operation on the main diagram (by process and invocation time). */
  onShowOp?: (op: ExplainedOp) => void;
}

export function renderVerdict(container: HTMLElement, report: LinReport | undefined, options: LinViewOptions = {}): void {
  container.replaceChildren();
  if (!report) {
    container.append(el('p', 'muted', 'Checking the history…'));
    return;
  }
  const head = el('div', `verdict verdict-${report.verdict}`);
  head.dataset.testid = 'lin-verdict';
  const icon = report.verdict === 'linearizable' ? '✓' : report.verdict === 'not-linearizable' ? '✗' : report.verdict === 'skipped' ? '–' : '?';
  const what =
    report.verdict === 'skipped'
      ? 'no client operations to check'
      : `${report.verdict.replace('-', ' ')} (${report.model ?? '?'} model, ${report.ops} operations)`;
  head.textContent = `${icon} History ${what}`;
  container.append(head);
  if (report.error) container.append(el('p', 'error-text', report.error));
  if (report.explanation) drawExplanation(container, report.explanation, options);
}

/** An operation's text; with `onShowOp`, a link that shows the operation's events on the diagram. */
function opLink(op: ExplainedOp, options: LinViewOptions, text = op.text): Node {
  if (!options.onShowOp) return document.createTextNode(text);
  const b = el('button', 'link-btn lin-link', text);
  b.type = 'button';
  b.title = 'Show this operation on the diagram (its invocation and completion)';
  b.addEventListener('click', () => options.onShowOp?.(op));
  return b;
}

function drawExplanation(container: HTMLElement, ex: Explanation, options: LinViewOptions): void {
  const stuck = ex.ops.find((op) => op.id === ex.stuckOpId);
  const lead = el('p', 'lin-lead');
  const strong = el('strong');
  strong.append(stuck ? opLink(stuck, options, ex.stuckOpText) : document.createTextNode(ex.stuckOpText));
  lead.append(strong, document.createTextNode(' cannot be linearized: no order of the operations that respects real time lets it return what it returned.'));
  container.append(lead);
  if (ex.parts > 1) container.append(el('p', 'muted', `It is in part “${ex.part}” (${ex.partIndex + 1} of ${ex.parts} independent parts of the history).`));

  const first = ex.longest[0];
  const order = new Map<number, number>();
  first?.steps.forEach((s, k) => order.set(s.opId, k));

  // Compressed x: every instant used, evenly spaced (as the checker's ASCII timeline).
  const instants = new Set<number>();
  for (const op of ex.ops) {
    instants.add(op.callIndex);
    instants.add(op.returnIndex);
  }
  first?.steps.forEach((s) => instants.add(Math.floor(s.point)));
  const sorted = [...instants].sort((a, b) => a - b);
  const rank = new Map(sorted.map((v, i) => [v, i]));
  const pos = (v: number) => {
    const base = Math.floor(v);
    const r = rank.get(base) ?? 0;
    return r + (v - base);
  };
  const laneH = 46;
  const labelW = 78;
  const perInstant = 24;
  const width = Math.max(container.clientWidth - 8, labelW + 30 + sorted.length * perInstant);
  const height = 24 + ex.processes.length * laneH + 6;
  const x = d3.scaleLinear().domain([0, Math.max(1, sorted.length - 1) + 0.5]).range([labelW + 10, width - 20]);
  const scroller = el('div', 'lin-scroll');
  container.append(scroller);
  const svg = d3.select(scroller).append('svg').attr('class', 'lin-svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', 'operations around the one that cannot be linearized');
  svg.append('text').attr('x', labelW + 10).attr('y', 14).attr('class', 'lin-axis').text('real time (invocations and completions, in order) →');
  ex.processes.forEach((p, i) => {
    const y = 22 + i * laneH;
    svg.append('rect').attr('x', 0).attr('y', y).attr('width', width).attr('height', laneH).attr('fill', i % 2 ? '#fff' : '#f6f7f9');
    svg.append('text').attr('x', 8).attr('y', y + laneH / 2 + 8).attr('class', 'lin-lane').text(typeof p === 'number' ? `process ${p}` : String(p));
  });
  const g = svg.append('g');
  // Where the next operation of the same lane starts: labels stop before it.
  const nextStart = new Map<number, number>();
  const byLane = new Map<number, ExplainedOp[]>();
  for (const op of ex.ops) byLane.set(op.lane, [...(byLane.get(op.lane) ?? []), op]);
  for (const ops of byLane.values()) {
    ops.sort((a, b) => a.callIndex - b.callIndex);
    ops.forEach((op, k) => nextStart.set(op.id, k + 1 < ops.length ? x(pos(ops[k + 1].callIndex)) : width));
  }
  for (const op of ex.ops) {
    const top = 22 + op.lane * laneH;
    const y = top + 19;
    const xa = x(pos(op.callIndex));
    const xb = op.type === 'info' ? width - 10 : x(pos(op.returnIndex));
    const isStuck = op.id === ex.stuckOpId;
    const inOrder = order.has(op.id);
    const bar = g
      .append('rect')
      .attr('x', xa)
      .attr('y', y)
      .attr('width', Math.max(6, xb - xa))
      .attr('height', 18)
      .attr('rx', 4)
      .attr('class', `lin-op${isStuck ? ' stuck' : ''}${inOrder ? ' ordered' : ''}${op.type === 'info' ? ' info' : ''}`);
    bar.append('title').text(`${op.text}${op.invokeTimeUs !== undefined ? ` · invoked at ${(op.invokeTimeUs / 1000).toFixed(3)} ms` : ''}${op.completeTimeUs !== undefined ? `, completed at ${(op.completeTimeUs / 1000).toFixed(3)} ms` : ''}${options.onShowOp ? ' — click: show it on the diagram' : ''}`);
    if (options.onShowOp) bar.style('cursor', 'pointer').on('click', () => options.onShowOp?.(op));
    const room = Math.max(0, (nextStart.get(op.id) ?? width) - xa - 6);
    const full = `${isStuck ? '✗ ' : ''}${op.text.replace(/^p\d+ /, '')}`;
    const chars = Math.floor(room / 6.6);
    const text = full.length <= chars ? full : chars > 3 ? full.slice(0, chars - 1) + '…' : '';
    g.append('text')
      .attr('x', xa + 1)
      .attr('y', top + 14)
      .attr('class', `lin-op-text${isStuck ? ' stuck' : ''}`)
      .text(text);
  }
  if (first) {
    const pts = first.steps
      .map((s, k) => {
        const op = ex.ops.find((o) => o.id === s.opId);
        return op ? { k, x: x(pos(s.point)), y: 22 + op.lane * laneH + 28, s } : undefined;
      })
      .filter((p): p is NonNullable<typeof p> => p !== undefined);
    svg
      .append('path')
      .attr('class', 'lin-path')
      .attr('d', d3.line<{ x: number; y: number }>().x((p) => p.x).y((p) => p.y)(pts) ?? '');
    for (const p of pts) {
      const c = svg.append('g').attr('class', 'lin-point');
      c.append('circle').attr('cx', p.x).attr('cy', p.y).attr('r', 8);
      c.append('text').attr('x', p.x).attr('y', p.y + 4).attr('text-anchor', 'middle').text(String(p.k + 1 + first.omitted));
      c.append('title').text(`step ${p.k + 1 + first.omitted}: → ${p.s.stateText}`);
    }
  }

  const legend = el('p', 'lin-legend muted', 'Bars: invocation to completion (open-ended: outcome unknown). Numbered points: the longest order the checker found, each operation taking effect at its point. Red: the operation that cannot take effect anywhere.');
  container.append(legend);

  if (first) {
    const ol = el('ol', 'lin-steps');
    ol.start = first.omitted + 1;
    if (first.omitted > 0) container.append(el('p', 'muted', `After ${first.omitted} earlier operations, the ${ex.model} is ${first.stateBeforeText}.`));
    else container.append(el('p', 'muted', `Starting from ${first.stateBeforeText}:`));
    for (const s of first.steps) {
      const li = el('li');
      const op = ex.ops.find((o) => o.id === s.opId);
      li.append(op ? opLink(op, options) : document.createTextNode(`operation ${s.opId}`), document.createTextNode(` → ${s.stateText}`));
      ol.append(li);
    }
    container.append(ol);
  }
  const why = el('div', 'lin-why');
  why.append(el('h4', undefined, `Why ${stuck ? stuck.text : 'it'} fails`));
  const ul = el('ul');
  ex.reasons.forEach((r, i) => ul.append(el('li', undefined, `${ex.statesBeforeText[i] ? `in state ${ex.statesBeforeText[i]}: ` : ''}${r}`)));
  why.append(ul);
  if (first && first.candidates.length > 0) {
    why.append(el('h4', undefined, 'What could go next instead'));
    const cl = el('ul');
    for (const c of first.candidates) cl.append(el('li', c.accepted ? 'cand-ok' : 'cand-no', `${c.text}: ${c.reason}`));
    why.append(cl);
  }
  container.append(why);
  const details = el('details', 'lin-text');
  details.append(el('summary', undefined, 'The checker’s full explanation (text)'));
  details.append(el('pre', undefined, ex.text));
  container.append(details);
}
