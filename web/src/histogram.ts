/**
 * A histogram of one availability figure across the seeds of a sweep (the HTML report of
 * `zablab sweep|swarm --report`): how many runs fell in each bin, with the percentiles
 * marked. Values are in ms; a run without the figure (no write succeeded after the
 * fault) is counted apart, not drawn.
 */
import * as d3 from 'd3';
import type { FigureDistribution } from '../../sim/check/availability.js';

export function renderHistogram(host: HTMLElement, figure: FigureDistribution): void {
  host.replaceChildren();
  const width = Math.max(320, Math.min(host.clientWidth || 560, 720));
  const height = 170;
  const margin = { left: 44, right: 28, top: 10, bottom: 30 };
  const svg = d3.select(host).append('svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', figure.title);
  if (figure.values.length === 0) {
    svg.append('text').attr('x', margin.left).attr('y', height / 2).text('no run has this figure');
    return;
  }
  const [lo, hi] = d3.extent(figure.values) as [number, number];
  const x = d3
    .scaleLinear()
    .domain(lo === hi ? [lo - 1, hi + 1] : [lo, hi])
    .nice()
    .range([margin.left, width - margin.right]);
  const bins = d3.bin().domain(x.domain() as [number, number]).thresholds(x.ticks(24))(figure.values);
  const y = d3
    .scaleLinear()
    .domain([0, d3.max(bins, (b) => b.length) ?? 1])
    .nice()
    .range([height - margin.bottom, margin.top]);
  svg
    .append('g')
    .selectAll('rect')
    .data(bins)
    .join('rect')
    .attr('class', 'hist-bar')
    .attr('x', (b) => x(b.x0 ?? 0) + 0.5)
    .attr('width', (b) => Math.max(1, x(b.x1 ?? 0) - x(b.x0 ?? 0) - 1))
    .attr('y', (b) => y(b.length))
    .attr('height', (b) => y(0) - y(b.length))
    .attr('fill', '#3a78c2')
    .append('title')
    .text((b) => `${b.length} run(s) from ${b.x0} to ${b.x1} ms`);
  for (const [p, value] of figure.percentiles) {
    const px = x(value);
    svg.append('line').attr('x1', px).attr('x2', px).attr('y1', margin.top).attr('y2', height - margin.bottom).attr('stroke', '#d81b60').attr('stroke-dasharray', '3 2');
    svg.append('text').attr('x', px + 2).attr('y', margin.top + 9).attr('font-size', 10).attr('fill', '#d81b60').text(`p${p}`);
  }
  svg.append('g').attr('transform', `translate(0,${height - margin.bottom})`).call(d3.axisBottom(x).ticks(8).tickFormat((v) => `${d3.format('~g')(Number(v))} ms`));
  svg.append('g').attr('transform', `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(4));
}
