/**
 * Per-run plots (d3), one module for the lab and the self-contained HTML report, in the
 * manner of Jepsen's latency and rate graphs: on one time axis,
 *   1. latency — a point per client operation at its invocation, log scale, coloured by
 *      outcome (ok / fail / info: unknown, drawn at the time it was given up on);
 *   2. throughput — successful operations per 10 ms bucket;
 *   3. faults and elections — each fault as a band over its window, each election as a
 *      mark, a change of leader as a filled one.
 * Fault windows are shaded behind the first two as well, so the election gap lines up
 * with the latency spike and the throughput hole. Several series (ZAB and Paxos on the
 * same scenario and seed) overlay: a shape per series on the latency plot, a line per
 * series on the throughput plot, a row per series on the fault track.
 *
 * Input is a Timeline (sim/check/timeline.ts), a pure function of the trace. Every text
 * goes in as text (textContent, d3's .text()), never as HTML.
 */
import * as d3 from 'd3';
import type { FaultWindow, Timeline, TimelineOp } from '../../sim/check/timeline.js';

export interface PlotSeries {
  /** "ZAB", "Paxos", or the run's name. */
  label: string;
  timeline: Timeline;
}

export interface PlotOptions {
  /** Throughput bucket (default 10 ms). */
  bucketUs?: number;
  /** Called when the pointer rests on an operation's point. */
  onHoverOp?: (series: number, op: TimelineOp) => void;
  /** Smaller plots (the lab's strip under the diagram). */
  compact?: boolean;
  /** Called on a click anywhere on a plot, with the time under the pointer. */
  onPickTime?: (timeUs: number) => void;
}

export interface PlotHandle {
  /** Draws the cursor line at a time (µs) on every plot. */
  setCursorTime(timeUs: number): void;
}

export const OUTCOME_COLOR: Readonly<Record<string, string>> = { ok: '#2e7d32', fail: '#ef6c00', info: '#c62828' };
const SERIES_STROKE = ['#1f4e9c', '#8e24aa', '#00838f'];
const SERIES_SYMBOL = [d3.symbolCircle, d3.symbolTriangle, d3.symbolSquare];
const FAULT_COLOR: Readonly<Record<string, string>> = { crash: '#9e9e9e', pause: '#7e57c2', partition: '#ef5350', clog: '#ffa726', loss: '#26a69a', duplicate: '#8d6e63' };
const MARGIN = { left: 62, right: 14, top: 8, bottom: 22 };
/** Points drawn per series at most; beyond it every n-th (the figures are computed on all). */
export const POINTS_MAX = 20_000;

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

/** Successful operations per bucket, from time 0 to `endUs`. */
export function throughput(timeline: Timeline, bucketUs: number, endUs: number): number[] {
  const buckets = new Array<number>(Math.max(1, Math.ceil(endUs / bucketUs))).fill(0);
  for (const op of timeline.ops) {
    if (op.result !== 'ok' || op.completeUs === undefined) continue;
    const i = Math.floor(op.completeUs / bucketUs);
    if (i >= 0 && i < buckets.length) buckets[i]++;
  }
  return buckets;
}

/** The end of the plotted time: the last operation, fault or election, not the quiet time after. */
export function plotEndUs(series: readonly PlotSeries[]): number {
  let end = 1;
  for (const { timeline } of series) {
    for (const op of timeline.ops) end = Math.max(end, op.completeUs ?? op.invokeUs);
    for (const f of timeline.faults) end = Math.max(end, f.startUs);
    for (const e of timeline.elections) end = Math.max(end, e.atUs);
  }
  return end * 1.02;
}

export function describeOp(op: TimelineOp, label?: string): string {
  const latency = op.completeUs === undefined ? 'pending' : ms(op.completeUs - op.invokeUs);
  const mode = op.readMode !== undefined && !op.write ? ` (${op.readMode})` : '';
  return `${label !== undefined ? `${label}: ` : ''}op ${op.opId} ${op.f}${mode} · client ${op.client} → server ${op.server} · ${op.result ?? 'pending'} · ${latency}, invoked at ${ms(op.invokeUs)}`;
}

function figure(host: HTMLElement, name: string, title: string, height: number, width: number) {
  const fig = document.createElement('figure');
  fig.className = `plot plot-${name}`;
  fig.dataset.plot = name;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  fig.append(caption);
  host.append(fig);
  const svg = d3.select(fig).append('svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', title);
  return { fig, svg };
}

function shadeFaults(g: d3.Selection<SVGGElement, unknown, null, undefined>, series: readonly PlotSeries[], x: d3.ScaleLinear<number, number>, top: number, bottom: number, endUs: number): void {
  const bands = g.append('g').attr('class', 'fault-shade');
  for (const { timeline } of series) {
    for (const f of timeline.faults) {
      bands
        .append('rect')
        .attr('x', x(f.startUs))
        .attr('width', Math.max(1, x(Math.min(f.endUs ?? endUs, endUs)) - x(f.startUs)))
        .attr('y', top)
        .attr('height', bottom - top)
        .attr('fill', FAULT_COLOR[f.kind] ?? '#bbb')
        .attr('opacity', 0.13);
    }
  }
}

function axisX(g: d3.Selection<SVGGElement, unknown, null, undefined>, x: d3.ScaleLinear<number, number>, y: number): void {
  g.append('g')
    .attr('class', 'axis')
    .attr('transform', `translate(0,${y})`)
    .call(d3.axisBottom(x).ticks(8).tickFormat((v) => `${(Number(v) / 1000).toFixed(0)} ms`));
}

function cursorLine(g: d3.Selection<SVGGElement, unknown, null, undefined>, top: number, bottom: number) {
  return g.append('line').attr('class', 'plot-cursor').attr('y1', top).attr('y2', bottom).attr('stroke', '#d81b60').attr('stroke-width', 1.5).attr('visibility', 'hidden');
}

/** Draws the three plots into `host` (replacing what was there). */
export function renderPlots(host: HTMLElement, series: readonly PlotSeries[], options: PlotOptions = {}): PlotHandle {
  host.replaceChildren();
  const width = Math.max(360, host.clientWidth || 900);
  const endUs = plotEndUs(series);
  const x = d3.scaleLinear().domain([0, endUs]).range([MARGIN.left, width - MARGIN.right]);
  const cursors: d3.Selection<SVGLineElement, unknown, null, undefined>[] = [];
  const tooltip = document.createElement('div');
  tooltip.className = 'plot-tooltip';
  tooltip.hidden = true;

  drawLatency(host, series, x, width, options.compact ? 150 : 230, options, tooltip, cursors);
  drawThroughput(host, series, x, width, options.compact ? 95 : 150, endUs, options.bucketUs ?? 10_000, cursors);
  drawFaultTrack(host, series, x, width, endUs, cursors);
  host.prepend(legend(series));
  host.append(tooltip);
  if (options.onPickTime !== undefined) {
    const pick = options.onPickTime;
    host.querySelectorAll('svg').forEach((svg) =>
      svg.addEventListener('click', (event) => {
        const [px] = d3.pointer(event, svg);
        pick(Math.max(0, Math.round(x.invert(px))));
      }),
    );
  }
  return {
    setCursorTime(timeUs) {
      for (const c of cursors) c.attr('x1', x(timeUs)).attr('x2', x(timeUs)).attr('visibility', timeUs >= 0 && timeUs <= endUs ? 'visible' : 'hidden');
    },
  };
}

/** Tick values for a log axis in ms: powers of ten, with 2× and 5× when the range is narrow. */
export function logTicks([lo, hi]: [number, number]): number[] {
  const ticks: number[] = [];
  const multiples = Math.log10(hi / lo) < 2.5 ? [1, 2, 5] : [1];
  for (let power = Math.floor(Math.log10(lo)); power <= Math.ceil(Math.log10(hi)); power++) {
    for (const m of multiples) {
      const v = m * 10 ** power;
      if (v >= lo && v <= hi) ticks.push(Number(v.toPrecision(3)));
    }
  }
  return ticks;
}

function drawLatency(host: HTMLElement, series: readonly PlotSeries[], x: d3.ScaleLinear<number, number>, width: number, height: number, options: PlotOptions, tooltip: HTMLDivElement, cursors: d3.Selection<SVGLineElement, unknown, null, undefined>[]): void {
  const { svg } = figure(host, 'latency', 'Latency of each operation, at its invocation (log scale)', height, width);
  let maxMs = 1;
  let minMs = 1;
  for (const { timeline } of series) {
    for (const op of timeline.ops) {
      if (op.completeUs === undefined) continue;
      const latencyMs = Math.max(0.01, (op.completeUs - op.invokeUs) / 1000);
      maxMs = Math.max(maxMs, latencyMs);
      minMs = Math.min(minMs, latencyMs);
    }
  }
  const y = d3.scaleLog().domain([minMs * 0.8, maxMs * 1.25]).range([height - MARGIN.bottom, MARGIN.top]).clamp(true);
  const g = svg.append('g');
  shadeFaults(g, series, x, MARGIN.top, height - MARGIN.bottom, x.domain()[1]);
  g.append('g').attr('class', 'axis').attr('transform', `translate(${MARGIN.left},0)`).call(d3.axisLeft(y).tickValues(logTicks(y.domain() as [number, number])).tickFormat((v) => `${d3.format('~g')(Number(v))} ms`));
  axisX(g, x, height - MARGIN.bottom);
  series.forEach(({ timeline, label }, s) => {
    const symbol = d3.symbol(SERIES_SYMBOL[s % SERIES_SYMBOL.length], series.length > 1 ? 30 : 22);
    const ops = timeline.ops.filter((op) => op.completeUs !== undefined);
    const step = Math.max(1, Math.ceil(ops.length / POINTS_MAX));
    const points = g.append('g').attr('class', `points series-${s}`);
    for (let i = 0; i < ops.length; i += step) {
      const op = ops[i];
      const latencyMs = Math.max(0.01, (op.completeUs! - op.invokeUs) / 1000);
      points
        .append('path')
        .attr('class', `op-point ${op.result ?? ''}`)
        .attr('d', symbol)
        .attr('transform', `translate(${x(op.invokeUs).toFixed(1)},${y(latencyMs).toFixed(1)})`)
        .attr('fill', OUTCOME_COLOR[op.result ?? 'info'])
        .attr('fill-opacity', series.length > 1 && s > 0 ? 0.35 : 0.75)
        .attr('stroke', series.length > 1 ? SERIES_STROKE[s % SERIES_STROKE.length] : 'none')
        .attr('data-op', op.opId)
        .attr('data-seq', op.invokeSeq)
        .attr('data-series', s)
        .on('mouseenter', (event: MouseEvent) => {
          tooltip.textContent = describeOp(op, series.length > 1 ? label : undefined);
          tooltip.hidden = false;
          const box = host.getBoundingClientRect();
          tooltip.style.left = `${Math.min(event.clientX - box.left + 12, box.width - 320)}px`;
          tooltip.style.top = `${event.clientY - box.top + 12}px`;
          options.onHoverOp?.(s, op);
        })
        .on('mouseleave', () => {
          tooltip.hidden = true;
        });
    }
  });
  cursors.push(cursorLine(g, MARGIN.top, height - MARGIN.bottom));
}

function drawThroughput(host: HTMLElement, series: readonly PlotSeries[], x: d3.ScaleLinear<number, number>, width: number, height: number, endUs: number, bucketUs: number, cursors: d3.Selection<SVGLineElement, unknown, null, undefined>[]): void {
  const { svg } = figure(host, 'throughput', `Throughput — successful operations per ${bucketUs / 1000} ms`, height, width);
  const all = series.map(({ timeline }) => throughput(timeline, bucketUs, endUs));
  const peak = Math.max(1, ...all.map((b) => Math.max(...b)));
  const y = d3.scaleLinear().domain([0, peak]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  const g = svg.append('g');
  shadeFaults(g, series, x, MARGIN.top, height - MARGIN.bottom, endUs);
  g.append('g').attr('class', 'axis').attr('transform', `translate(${MARGIN.left},0)`).call(d3.axisLeft(y).ticks(4));
  axisX(g, x, height - MARGIN.bottom);
  all.forEach((buckets, s) => {
    const line = d3
      .line<number>()
      .x((_, i) => x(i * bucketUs))
      .y((count) => y(count))
      .curve(d3.curveStepAfter);
    g.append('path')
      .attr('class', `rate series-${s}`)
      .attr('d', line([...buckets, buckets[buckets.length - 1] ?? 0]))
      .attr('fill', 'none')
      .attr('stroke', series.length > 1 ? SERIES_STROKE[s % SERIES_STROKE.length] : OUTCOME_COLOR.ok)
      .attr('stroke-width', 1.6);
  });
  cursors.push(cursorLine(g, MARGIN.top, height - MARGIN.bottom));
}

function faultLabel(f: FaultWindow): string {
  const nodes = f.nodes.length > 0 ? ` ${f.nodes.map((n) => `S${n}`).join(',')}` : '';
  const rate = f.rate !== undefined ? ` ${Math.round(f.rate * 100)}%` : '';
  return `${f.kind}${nodes}${rate}`;
}

function drawFaultTrack(host: HTMLElement, series: readonly PlotSeries[], x: d3.ScaleLinear<number, number>, width: number, endUs: number, cursors: d3.Selection<SVGLineElement, unknown, null, undefined>[]): void {
  const rowHeight = 34;
  const height = MARGIN.top + rowHeight * series.length + MARGIN.bottom;
  const { svg } = figure(host, 'faults', 'Faults (bands), elections (◆) and leader changes (◆ filled)', height, width);
  const g = svg.append('g');
  series.forEach(({ timeline, label }, s) => {
    const top = MARGIN.top + s * rowHeight;
    g.append('text').attr('class', 'row-label').attr('x', 4).attr('y', top + rowHeight / 2 + 4).text(label);
    for (const f of timeline.faults) {
      const band = g.append('g').attr('class', `fault-band ${f.kind}`);
      const x0 = x(f.startUs);
      const x1 = Math.max(x0 + 2, x(Math.min(f.endUs ?? endUs, endUs)));
      band.append('rect').attr('x', x0).attr('width', x1 - x0).attr('y', top + 4).attr('height', rowHeight - 14).attr('rx', 3).attr('fill', FAULT_COLOR[f.kind] ?? '#bbb').attr('opacity', 0.55);
      band.append('title').text(`${faultLabel(f)} from ${ms(f.startUs)}${f.endUs !== null ? ` to ${ms(f.endUs)}` : ' to the end'}`);
      if (x1 - x0 > 46) band.append('text').attr('class', 'band-label').attr('x', x0 + 4).attr('y', top + rowHeight / 2).text(faultLabel(f));
    }
    let previous = -1;
    for (const e of timeline.elections) {
      const change = previous !== -1 && e.leader !== previous;
      previous = e.leader;
      const mark = g
        .append('path')
        .attr('class', `election-mark${change ? ' leader-change' : ''}`)
        .attr('d', d3.symbol(d3.symbolDiamond, 60)())
        .attr('transform', `translate(${x(e.atUs)},${top + rowHeight - 8})`)
        .attr('fill', change ? '#e8a317' : '#fff')
        .attr('stroke', '#b07a00')
        .attr('stroke-width', 1.5);
      mark.append('title').text(`${change ? 'leader change: ' : ''}server ${e.leader} leads (epoch ${e.epoch}) at ${ms(e.atUs)}`);
    }
  });
  axisX(g, x, height - MARGIN.bottom);
  cursors.push(cursorLine(g, MARGIN.top, height - MARGIN.bottom));
}

function legend(series: readonly PlotSeries[]): HTMLElement {
  const box = document.createElement('div');
  box.className = 'plot-legend';
  for (const [outcome, text] of [['ok', 'ok'], ['fail', 'fail (not applied)'], ['info', 'info (unknown)']] as const) {
    const item = document.createElement('span');
    const dot = document.createElement('i');
    dot.className = 'dot';
    dot.style.background = OUTCOME_COLOR[outcome];
    item.append(dot, document.createTextNode(text));
    box.append(item);
  }
  if (series.length < 2) return box;
  series.forEach(({ label }, s) => {
    const item = document.createElement('span');
    const swatch = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    swatch.setAttribute('width', '14');
    swatch.setAttribute('height', '14');
    d3.select(swatch)
      .append('path')
      .attr('d', d3.symbol(SERIES_SYMBOL[s % SERIES_SYMBOL.length], 60)())
      .attr('transform', 'translate(7,7)')
      .attr('fill', 'none')
      .attr('stroke', SERIES_STROKE[s % SERIES_STROKE.length])
      .attr('stroke-width', 2);
    item.append(swatch, document.createTextNode(` ${label}`));
    box.append(item);
  });
  return box;
}

/** The plots' own styles (the lab's stylesheet and the report both include them). */
export const PLOT_CSS = `
.plots { position: relative; font: 12px var(--font-ui, system-ui, sans-serif); }
.plots figure.plot { margin: 0 0 6px; }
.plots figcaption { font-weight: 600; font-size: 12px; color: #4a5366; margin: 2px 0 0 4px; }
.plots svg { display: block; }
.plots .axis text { font-size: 10.5px; fill: #6b7384; }
.plots .axis path, .plots .axis line { stroke: #c4c9d2; }
.plots .op-point { cursor: pointer; }
.plots .op-point:hover { stroke: #000; stroke-width: 1.5; }
.plots .row-label { font-weight: 600; font-size: 11px; fill: #1d2330; }
.plots .band-label { font-size: 10.5px; fill: #1d2330; dominant-baseline: middle; pointer-events: none; }
.plots .plot-tooltip { position: absolute; z-index: 5; max-width: 320px; background: #1d2330; color: #fff; padding: 4px 8px; border-radius: 5px; font-size: 12px; pointer-events: none; }
.plots .plot-legend { display: flex; gap: 14px; font-size: 12px; margin: 2px 0 4px 62px; }
.plots .plot-legend span { display: inline-flex; align-items: center; gap: 4px; }
.plots .plot-legend i.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; }
`;
