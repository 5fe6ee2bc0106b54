/**
 * The lab's plots strip: under the space-time diagram, a fold-out with the run's latency,
 * throughput and fault plots (plots.ts, the module the HTML report draws with), ZAB and
 * Paxos overlaid in the side-by-side view. Hovering an operation's point names it and
 * moves the lab's cursor to its invocation; the cursor line follows the lab's cursor.
 * Also the availability figures (sim/check/availability.ts) as lines for the checks panel.
 *
 * It keeps to itself (its own element, its own styles) so that main.ts only hands it the
 * runs and the cursor.
 */
import type { TraceEvent } from '../../sim/core/trace.js';
import { timelineFromEvents, type Timeline, type TimelineOp } from '../../sim/check/timeline.js';
import { availability, describeAvailability } from '../../sim/check/availability.js';
import { PLOT_CSS, renderPlots, type PlotHandle, type PlotSeries } from './plots.js';

const STRIP_CSS = `
.plots-strip { border-top: 1px solid var(--line); padding: 0 12px; max-height: 30vh; overflow-y: auto; flex: 0 1 auto; min-height: 0; }
.plots-strip:not([open]) { flex: none; }
.plots-strip[open] { min-height: 96px; }
/* Unfolded, the strip takes its room from the diagram (down to a smaller minimum), never from below the page. */
.stage:has(#plots-strip[open]) { overflow: hidden; }
.stage:has(#plots-strip[open]) .diagrams { min-height: 140px; }
.plots-strip > summary { cursor: pointer; font-size: 13px; font-weight: 600; color: var(--ink-2); padding: 5px 0; }
.plots-strip .plots { padding-bottom: 6px; }
`;

const timelines = new WeakMap<readonly TraceEvent[], Timeline>();

/** A trace's timeline, computed once per trace. */
export function timelineOf(events: readonly TraceEvent[]): Timeline {
  let timeline = timelines.get(events);
  if (timeline === undefined) {
    timeline = timelineFromEvents(events);
    timelines.set(events, timeline);
  }
  return timeline;
}

/** The checks panel's availability lines for a trace. */
export function availabilityLines(events: readonly TraceEvent[]): string[] {
  return describeAvailability(availability(timelineOf(events)));
}

export interface StripRun {
  label: string;
  events: readonly TraceEvent[];
}

export class PlotsStrip {
  private readonly details: HTMLDetailsElement;
  private readonly body: HTMLDivElement;
  private series: PlotSeries[] = [];
  private handle: PlotHandle | null = null;
  private cursorUs = -1;
  private drawnWidth = 0;

  /** The strip goes right after `anchor` (the diagrams); `onHoverOp`: an operation's point is hovered. */
  constructor(anchor: HTMLElement, private readonly onHoverOp: (series: number, op: TimelineOp) => void) {
    if (document.getElementById('zablab-plot-styles') === null) {
      const style = document.createElement('style');
      style.id = 'zablab-plot-styles';
      style.textContent = PLOT_CSS + STRIP_CSS;
      document.head.append(style);
    }
    this.details = document.createElement('details');
    this.details.className = 'plots-strip';
    this.details.id = 'plots-strip';
    const summary = document.createElement('summary');
    summary.textContent = 'Latency · throughput · faults and elections';
    summary.title = 'Plots of this run (ZAB over Paxos side by side); hover a point to move the cursor to it';
    this.body = document.createElement('div');
    this.body.className = 'plots';
    this.details.append(summary, this.body);
    anchor.after(this.details);
    this.details.addEventListener('toggle', () => this.draw());
    window.addEventListener('resize', () => {
      if (this.details.open && this.body.clientWidth !== this.drawnWidth) this.draw();
    });
  }

  show(runs: readonly StripRun[]): void {
    this.series = runs.map((run) => ({ label: run.label, timeline: timelineOf(run.events) }));
    this.handle = null;
    this.draw();
  }

  setCursorTime(timeUs: number): void {
    this.cursorUs = timeUs;
    this.handle?.setCursorTime(timeUs);
  }

  /** Drawn only while unfolded: a closed strip costs nothing. */
  private draw(): void {
    if (!this.details.open) return;
    this.drawnWidth = this.body.clientWidth;
    this.handle = renderPlots(this.body, this.series, { compact: true, onHoverOp: this.onHoverOp });
    if (this.cursorUs >= 0) this.handle.setCursorTime(this.cursorUs);
  }
}
