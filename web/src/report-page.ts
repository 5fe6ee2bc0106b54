/**
 * The script of the self-contained HTML report (`zablab run … --report FILE.html`,
 * `zablab sweep|swarm … --report`), bundled by web/build-report.mjs into one file that
 * the CLI inlines. The CLI writes the text of the page (escaped); this draws what needs
 * a script, from the JSON the page carries in `<script type="application/json"
 * id="zablab-report-data">`: the plots (plots.ts, the lab's own module), the checker's
 * explanation (linview.ts, the lab's own drawing) and a sweep's histograms. Nothing is
 * fetched: the page works from disk with the network off.
 */
import { renderPlots, PLOT_CSS, type PlotSeries } from './plots.js';
import { renderVerdict } from './linview.js';
import { renderHistogram } from './histogram.js';
import type { FigureDistribution } from '../../sim/check/availability.js';
import type { LinReport } from './lin.js';

export type ReportData =
  | { kind: 'run'; series: PlotSeries[]; lin: LinReport }
  | { kind: 'sweep'; figures: FigureDistribution[] };

function readData(): ReportData {
  const holder = document.getElementById('zablab-report-data');
  if (holder === null) throw new Error('the report carries no data');
  return JSON.parse(holder.textContent ?? '') as ReportData;
}

function draw(data: ReportData): void {
  if (data.kind === 'run') {
    const plots = document.getElementById('plots');
    if (plots !== null) renderPlots(plots, data.series);
    const lin = document.getElementById('lin');
    if (lin !== null) renderVerdict(lin, data.lin);
    return;
  }
  document.querySelectorAll<HTMLElement>('[data-histogram]').forEach((host) => {
    const figure = data.figures[Number(host.dataset.histogram)];
    if (figure !== undefined) renderHistogram(host, figure);
  });
}

const style = document.createElement('style');
style.textContent = PLOT_CSS;
document.head.append(style);
const data = readData();
draw(data);
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => data.kind === 'run' && draw(data), 150);
});
