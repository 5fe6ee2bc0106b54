/**
 * The recipe lane: under the space-time diagram, on its time axis (it follows zoom, pan
 * and the cursor), what a recipe story's clients believed over time — who holds the
 * lock, who believes itself leader (latch, selector), each client's configuration
 * version, how many items wait in the queue, each barrier member's phase, who is a
 * member of the group and when the watcher saw them leave, the shared counter's value.
 * Each row is derived from the recipe's own operations in the trace and its checker's
 * report (sim/scenario/recipe-report.ts, the checkers `zablab run` uses); the stretches
 * in which two clients held the role at once are hatched red, and clicking one moves the
 * lab's cursor to its start.
 *
 * Absent for scenarios that run no recipe. Labels come from the trace's numbers and the
 * fixed recipe names: nothing from a file is ever parsed as HTML (d3 sets `.text`).
 */
import * as d3 from 'd3';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import type { RecipeGroupHistory, RecipeTraceReport } from '../../sim/scenario/recipe-report.js';
import { formatTime } from './format.js';

export interface LaneSegment {
  readonly fromUs: number;
  readonly toUs: number;
  readonly fill: string;
  /** Shown inside the band when it is wide enough. */
  readonly text?: string;
  readonly title: string;
  readonly hatched?: boolean;
}

export interface LaneMark {
  readonly atUs: number;
  readonly title: string;
  /** Default: red (the watcher saw a member leave). */
  readonly color?: string;
}

export interface LaneRow {
  readonly label: string;
  readonly client?: number;
  readonly segments: readonly LaneSegment[];
  readonly marks: readonly LaneMark[];
  /** A value over time (queue length, counter), drawn as a step line. */
  readonly steps?: readonly (readonly [number, number])[];
}

export interface LaneGroup {
  readonly recipe: string;
  /** What the rows show. */
  readonly caption: string;
  readonly rows: readonly LaneRow[];
  /** Two clients believed the role at once (the checker's overlaps). */
  readonly overlaps: readonly { readonly clients: readonly [number, number]; readonly fromUs: number; readonly toUs: number }[];
}

const CAPTION: Record<string, string> = {
  lock: 'lock — who holds it',
  'leader-latch': 'leader latch — who believes itself leader',
  'leader-selector': 'leader selector — who believes itself leader',
  config: 'config — the version each client has seen (✎ the writer, ▼ a publish)',
  queue: 'queue — items waiting',
  barrier: 'barrier — the controller (✎): set (blue) · removing (amber); each waiter: waiting (pale blue), ▼ passed',
  'double-barrier': 'double barrier — each member: entering (pale blue) · inside (blue) · leaving (amber) · left (grey)',
  membership: 'membership — who is a member; ▼ the watcher saw them leave',
  counter: 'counter — its value',
};

const PHASE_FILL: Record<string, string> = { entering: '#b7d3ee', inside: '#3a78c2', leaving: '#f2c77a', left: '#e3e6eb' };

export function clientColor(client: number): string {
  return d3.schemeTableau10[client % 10];
}

const ms = (us: number) => formatTime(us);

function perClient(group: RecipeGroupHistory): Map<number, HistoryEvent[]> {
  const map = new Map<number, HistoryEvent[]>(group.clients.map((client) => [client, []]));
  for (const event of group.events) map.get(event.process as number)?.push(event);
  return map;
}

function roleRows(group: RecipeGroupHistory, endUs: number): LaneRow[] {
  const role = group.recipe === 'lock' ? 'held the lock' : 'believed itself leader';
  return group.clients.map((client) => ({
    label: `client ${client}`,
    client,
    marks: [],
    segments: (group.report?.windows ?? [])
      .filter((w) => w.client === client)
      .map((w) => ({
        fromUs: w.fromUs,
        toUs: w.toUs ?? endUs,
        fill: clientColor(client),
        title: `client ${client} ${role} from ${ms(w.fromUs)} ${w.toUs === null ? 'to the end of the run' : `to ${ms(w.toUs)}`}`,
      })),
  }));
}

function configRows(group: RecipeGroupHistory, endUs: number): LaneRow[] {
  const rows: LaneRow[] = [];
  const versions = group.events.filter((e) => e.type === 'ok' && typeof e.value === 'number').map((e) => e.value as number);
  const shade = d3.scaleLinear<string>().domain([Math.min(0, ...versions), Math.max(1, ...versions)]).range(['#dbe8f6', '#1f5aa6']);
  for (const [client, events] of perClient(group)) {
    const seen = events.filter((e) => e.f === 'observe' && e.type === 'ok');
    const published = events.filter((e) => e.f === 'publish' && e.type === 'ok');
    if (seen.length === 0 && published.length === 0) continue;
    const segments = seen.map((e, i): LaneSegment => {
      const version = typeof e.value === 'number' ? e.value : -1;
      const toUs = seen[i + 1]?.timeUs ?? endUs;
      return { fromUs: e.timeUs ?? 0, toUs, fill: version < 0 ? '#e3e6eb' : shade(version), text: version < 0 ? '–' : `v${version}`, title: `client ${client} saw ${version < 0 ? 'no configuration' : `version ${version}`} at ${ms(e.timeUs ?? 0)}` };
    });
    const marks = published.map((e) => ({ atUs: e.timeUs ?? 0, color: '#1d2330', title: `client ${client} published version ${String(e.value)} at ${ms(e.timeUs ?? 0)}` }));
    rows.push({ label: seen.length === 0 ? `client ${client} ✎` : `client ${client}`, client, segments, marks });
  }
  return rows;
}

function queueRows(group: RecipeGroupHistory): LaneRow[] {
  let waiting = 0;
  const steps: [number, number][] = [[0, 0]];
  for (const e of group.events) {
    if (e.type !== 'ok' || (e.f !== 'enqueue' && e.f !== 'take')) continue;
    waiting += e.f === 'enqueue' ? 1 : -1;
    steps.push([e.timeUs ?? 0, waiting]);
  }
  return [{ label: 'waiting', segments: [], marks: [], steps }];
}

function counterRows(group: RecipeGroupHistory): LaneRow[] {
  const steps: [number, number][] = [[0, 0]];
  const marks: LaneMark[] = [];
  for (const e of group.events) {
    if (e.type !== 'ok') continue;
    if (e.f === 'increment') {
      const value = (e.value as { value?: unknown } | null)?.value;
      if (typeof value === 'number') steps.push([e.timeUs ?? 0, value]);
    } else if (e.f === 'final') marks.push({ atUs: e.timeUs ?? 0, color: '#1d2330', title: `read at the end: ${String(e.value)}` });
  }
  steps.sort((a, b) => a[0] - b[0]);
  return [{ label: 'value', segments: [], marks, steps }];
}

function barrierRows(group: RecipeGroupHistory, endUs: number): LaneRow[] {
  const rows: LaneRow[] = [];
  for (const [client, events] of perClient(group)) {
    const segments: LaneSegment[] = [];
    let phase: string | undefined;
    let sinceUs = 0;
    let round = '';
    const to = (next: string | undefined, atUs: number) => {
      if (phase !== undefined && atUs > sinceUs) segments.push({ fromUs: sinceUs, toUs: atUs, fill: PHASE_FILL[phase], title: `client ${client} ${phase} round ${round} from ${ms(sinceUs)} to ${ms(atUs)}` });
      phase = next;
      sinceUs = atUs;
    };
    for (const e of events) {
      const atUs = e.timeUs ?? 0;
      if (e.f === 'enter' && e.type === 'invoke') [round] = [String(e.value)];
      if (e.f === 'enter') to(e.type === 'invoke' ? 'entering' : e.type === 'ok' ? 'inside' : undefined, atUs);
      else if (e.f === 'leave') to(e.type === 'invoke' ? 'leaving' : e.type === 'ok' ? 'left' : undefined, atUs);
    }
    to(undefined, endUs);
    rows.push({ label: `client ${client}`, client, segments, marks: [] });
  }
  return rows;
}

/** The plain barrier: when the controller held it set, and each waiter's waits and passes. */
function plainBarrierRows(group: RecipeGroupHistory): LaneRow[] {
  const rows: LaneRow[] = [];
  for (const [client, events] of perClient(group)) {
    const segments: LaneSegment[] = [];
    const marks: LaneMark[] = [];
    const since = new Map<string, number>();
    const controller = events.some((e) => e.f === 'setBarrier');
    for (const e of events) {
      const atUs = e.timeUs ?? 0;
      const round = String(e.value);
      if ((e.f === 'setBarrier' || e.f === 'removeBarrier') && e.type === 'ok') {
        const fromUs = since.get('set');
        if (e.f === 'setBarrier') since.set('set', atUs);
        else if (fromUs !== undefined) segments.push({ fromUs, toUs: atUs, fill: PHASE_FILL.leaving, title: `client ${client} removed the barrier of round ${round}: from ${ms(fromUs)} to ${ms(atUs)}` });
      } else if (e.f === 'removeBarrier' && e.type === 'invoke') {
        const fromUs = since.get('set');
        if (fromUs !== undefined) segments.push({ fromUs, toUs: atUs, fill: PHASE_FILL.inside, text: `r${round}`, title: `client ${client} held the barrier of round ${round} set from ${ms(fromUs)} to ${ms(atUs)}` });
        since.set('set', atUs);
      } else if (e.f === 'waitOnBarrier' && e.type === 'invoke') {
        if (!since.has(`wait:${round}`)) since.set(`wait:${round}`, atUs);
      } else if (e.f === 'waitOnBarrier' && e.type === 'ok') {
        const fromUs = since.get(`wait:${round}`) ?? atUs;
        segments.push({ fromUs, toUs: atUs, fill: PHASE_FILL.entering, title: `client ${client} waited on the barrier of round ${round} from ${ms(fromUs)} to ${ms(atUs)}` });
        marks.push({ atUs, color: '#1d2330', title: `client ${client} passed the barrier of round ${round} at ${ms(atUs)}` });
      }
    }
    rows.push({ label: controller ? `client ${client} ✎` : `client ${client}`, client, segments, marks });
  }
  return rows;
}

function membershipRows(group: RecipeGroupHistory, endUs: number): LaneRow[] {
  const rows: LaneRow[] = [];
  const views = group.events.filter((e) => e.f === 'view' && e.type === 'ok' && Array.isArray(e.value));
  for (const [client, events] of perClient(group)) {
    if (!events.some((e) => e.f === 'join')) continue;
    const name = `c${client}`;
    const segments: LaneSegment[] = [];
    let joinedUs: number | null = null;
    const leave = (atUs: number, why: string) => {
      if (joinedUs !== null) segments.push({ fromUs: joinedUs, toUs: atUs, fill: clientColor(client), title: `client ${client} a member from ${ms(joinedUs)} until ${why} at ${ms(atUs)}` });
      joinedUs = null;
    };
    for (const e of events) {
      const atUs = e.timeUs ?? 0;
      if (e.f === 'join' && e.type === 'ok') joinedUs = atUs;
      else if (e.f === 'leave' && e.type === 'invoke') leave(atUs, 'it left');
      else if (e.f === 'expired' && e.type === 'ok') {
        const silentUs = typeof e.value === 'number' ? e.value : atUs;
        leave(silentUs, 'it fell silent');
        segments.push({ fromUs: silentUs, toUs: atUs, fill: '#9e9e9e', hatched: true, title: `client ${client}'s session expired: silent from ${ms(silentUs)}, it learned so at ${ms(atUs)}` });
      }
    }
    if (joinedUs !== null) leave(endUs, 'the end of the run');
    const marks: LaneMark[] = [];
    for (let i = 1; i < views.length; i++) {
      const before = views[i - 1].value as unknown[];
      const now = views[i].value as unknown[];
      if (before.includes(name) && !now.includes(name)) marks.push({ atUs: views[i].timeUs ?? 0, title: `the watcher saw ${name} leave at ${ms(views[i].timeUs ?? 0)}` });
    }
    rows.push({ label: `client ${client}`, client, segments, marks });
  }
  return rows;
}

/** The lane's groups (one per recipe of the workload), from the trace's recipe report. */
export function laneGroups(trace: RecipeTraceReport, endUs: number): LaneGroup[] {
  return trace.groups.map((group) => {
    const rows =
      group.recipe === 'lock' || group.recipe === 'leader-latch' || group.recipe === 'leader-selector'
        ? roleRows(group, endUs)
        : group.recipe === 'config'
          ? configRows(group, endUs)
          : group.recipe === 'queue'
            ? queueRows(group)
            : group.recipe === 'counter'
              ? counterRows(group)
              : group.recipe === 'double-barrier'
                ? barrierRows(group, endUs)
                : group.recipe === 'barrier'
                  ? plainBarrierRows(group)
                  : membershipRows(group, endUs);
    return { recipe: group.recipe, caption: CAPTION[group.recipe] ?? group.recipe, rows, overlaps: group.report?.overlaps ?? [] };
  });
}

/** Where the diagram draws time: its x of a time (page pixels from the diagram's left) and its plot area. */
export interface LaneAxis {
  xOf(us: number): number;
  /** The plot area, in the same pixels. */
  extent(): [number, number];
  /** The diagram's left edge in the viewport (the lane lines up with it). */
  left(): number;
}

const LANE_CSS = `
.recipe-lane { border-top: 1px solid var(--line); flex: 0 1 auto; min-height: 0; max-height: 26vh; overflow-y: auto; overflow-x: hidden; }
/* Short of room (the explanation drawer open), the lane gives way before the diagram does, down to a caption and a row. */
.recipe-lane[open] { min-height: 58px; }
/* The diagram keeps room of its own beside the lane: the explanation drawer and the legend give way (they scroll), so every server's lane and the lane's rows stay in sight. */
.stage:has(#recipe-lane[open]:not([hidden])) { overflow: hidden; }
.stage:has(#recipe-lane[open]:not([hidden])) .stage-row { min-height: 22vh; }
.stage:has(#recipe-lane[open]:not([hidden])) .drawer { flex-shrink: 1; }
.stage:has(#recipe-lane[open]:not([hidden])) .legend { flex-shrink: 2; min-height: 0; overflow-y: auto; }
.recipe-lane[open] { min-height: 9vh; }
.recipe-lane > summary { cursor: pointer; font-size: 13px; font-weight: 600; color: var(--ink-2); padding: 4px 12px; position: sticky; top: 0; background: var(--bg); z-index: 1; }
.recipe-lane .recipe-lane-body { position: relative; }
.recipe-lane svg { display: block; }
.recipe-lane .lane-caption { font: 600 11px var(--font-ui); fill: var(--ink-2); }
.recipe-lane .lane-label { font: 11px var(--font-mono); fill: var(--ink); }
.recipe-lane .lane-text { font: 10px var(--font-mono); fill: #fff; pointer-events: none; }
.recipe-lane .lane-text.dark { fill: var(--ink); }
.recipe-lane .recipe-overlap { cursor: pointer; }
.recipe-lane .recipe-overlap:hover { stroke-width: 2; }
.recipe-lane .lane-cursor { stroke: var(--accent); stroke-width: 1.5; pointer-events: none; }
.recipe-lane .lane-legend { font: 10px var(--font-ui); fill: var(--muted); }
`;

const ROW_H = 14;
const ROW_GAP = 3;
const CAPTION_H = 16;

export class RecipeLane {
  private readonly details: HTMLDetailsElement;
  private readonly summary: HTMLElement;
  private readonly body: HTMLDivElement;
  private groups: LaneGroup[] = [];
  private axis?: LaneAxis;
  private cursorUs = -1;
  private framePending = false;

  /** The lane goes right after `anchor` (the diagram row); `onSeek`: an overlap was clicked (its start, µs). */
  constructor(anchor: HTMLElement, private readonly onSeek: (us: number) => void) {
    if (document.getElementById('zablab-recipe-lane-styles') === null) {
      const style = document.createElement('style');
      style.id = 'zablab-recipe-lane-styles';
      style.textContent = LANE_CSS;
      document.head.append(style);
    }
    this.details = document.createElement('details');
    this.details.className = 'recipe-lane';
    this.details.id = 'recipe-lane';
    this.details.open = true;
    this.details.hidden = true;
    this.summary = document.createElement('summary');
    this.body = document.createElement('div');
    this.body.className = 'recipe-lane-body';
    this.details.append(this.summary, this.body);
    anchor.after(this.details);
    this.details.addEventListener('toggle', () => this.redraw());
    new ResizeObserver(() => this.redraw()).observe(this.body);
  }

  /** A recipe run's lane, or none (`report` undefined: the lane is absent). */
  show(report: RecipeTraceReport | undefined, endUs: number, axis: LaneAxis | undefined): void {
    this.axis = axis;
    this.groups = report === undefined ? [] : laneGroups(report, endUs);
    this.details.hidden = this.groups.length === 0 || axis === undefined;
    const names = this.groups.map((g) => g.recipe).join(' + ');
    const verdict = report?.report === undefined ? '' : report.report.verdict === 'holds' ? ' · ✓ holds' : ` · ✗ ${report.report.overlaps.length > 0 ? 'two at once (hatched red: click one)' : 'violated'}`;
    this.summary.textContent = `Recipe lane · ${names}${verdict}`;
    this.summary.title = 'What the recipe’s clients believed over time, on the diagram’s time axis';
    this.redraw();
  }

  setCursorTime(us: number): void {
    this.cursorUs = us;
    if (this.details.hidden || !this.details.open || this.axis === undefined) return;
    const line = this.body.querySelector<SVGLineElement>('line.lane-cursor');
    if (line === null) return this.redraw();
    const x = this.x(us);
    line.setAttribute('x1', String(x));
    line.setAttribute('x2', String(x));
  }

  /** Redrawn in the next frame (zoom and pan call this on every step). */
  redraw(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.draw();
    });
  }

  private offset(): number {
    return this.axis === undefined ? 0 : this.axis.left() - this.body.getBoundingClientRect().left;
  }

  private x(us: number): number {
    return this.axis === undefined ? 0 : this.axis.xOf(us) + this.offset();
  }

  /** Drawn now (tests, screenshots). */
  draw(): void {
    const axis = this.axis;
    this.body.replaceChildren();
    if (this.details.hidden || !this.details.open || axis === undefined) return;
    const width = this.body.clientWidth;
    const offset = this.offset();
    const [x0, x1] = axis.extent().map((v) => v + offset);
    const height = this.groups.reduce((h, g) => h + CAPTION_H + Math.max(1, g.rows.length) * (ROW_H + ROW_GAP), 4);
    const svg = d3.select(this.body).append('svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', 'recipe lane');
    const defs = svg.append('defs');
    const hatch = defs.append('pattern').attr('id', 'lane-hatch-red').attr('patternUnits', 'userSpaceOnUse').attr('width', 6).attr('height', 6).attr('patternTransform', 'rotate(45)');
    hatch.append('rect').attr('width', 6).attr('height', 6).attr('fill', 'rgba(198,40,40,0.18)');
    hatch.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6).attr('stroke', '#c62828').attr('stroke-width', 2.5);
    const grey = defs.append('pattern').attr('id', 'lane-hatch-grey').attr('patternUnits', 'userSpaceOnUse').attr('width', 5).attr('height', 5).attr('patternTransform', 'rotate(-45)');
    grey.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 5).attr('stroke', '#9e9e9e').attr('stroke-width', 2);
    defs.append('clipPath').attr('id', 'lane-clip').append('rect').attr('x', x0).attr('y', 0).attr('width', Math.max(0, x1 - x0)).attr('height', height);
    const clamp = (v: number) => Math.max(x0 - 2, Math.min(x1 + 2, v));
    let drawn = 0;
    let y = 2;
    for (const group of this.groups) {
      const g = svg.append('g').attr('class', 'lane-group').attr('data-recipe', group.recipe);
      g.append('text').attr('class', 'lane-caption').attr('x', Math.max(4, offset + 4)).attr('y', y + 11).text(group.caption);
      y += CAPTION_H;
      const top = y;
      const plot = g.append('g').attr('clip-path', 'url(#lane-clip)');
      for (const row of group.rows) {
        g.append('text').attr('class', 'lane-label').attr('x', Math.max(4, offset + 8)).attr('y', y + ROW_H - 3).text(row.label);
        plot.append('line').attr('x1', x0).attr('x2', x1).attr('y1', y + ROW_H / 2).attr('y2', y + ROW_H / 2).attr('stroke', 'var(--line)');
        for (const s of row.segments) {
          const a = clamp(this.x(s.fromUs));
          const b = clamp(this.x(s.toUs));
          if (b < x0 || a > x1) continue;
          drawn++;
          const band = plot
            .append('rect')
            .attr('class', 'lane-band')
            .attr('data-client', row.client ?? '')
            .attr('data-from-us', s.fromUs)
            .attr('data-to-us', s.toUs)
            .attr('x', a)
            .attr('y', y)
            .attr('width', Math.max(1.5, b - a))
            .attr('height', ROW_H)
            .attr('rx', 2)
            .attr('fill', s.hatched ? 'url(#lane-hatch-grey)' : s.fill);
          band.append('title').text(s.title);
          if (s.text !== undefined && b - a > 8 * s.text.length + 4) {
            plot
              .append('text')
              .attr('class', s.fill === PHASE_FILL.left || s.fill.startsWith('#d') || s.fill.startsWith('#e') ? 'lane-text dark' : 'lane-text')
              .attr('x', Math.max(a, x0) + 3)
              .attr('y', y + ROW_H - 3)
              .text(s.text);
          }
        }
        for (const m of row.marks) {
          const mx = this.x(m.atUs);
          if (mx < x0 || mx > x1) continue;
          drawn++;
          plot.append('path').attr('class', 'lane-mark').attr('data-at-us', m.atUs).attr('d', `M${mx - 4},${y} L${mx + 4},${y} L${mx},${y + ROW_H - 2} Z`).attr('fill', m.color ?? '#c62828').append('title').text(m.title);
        }
        if (row.steps !== undefined && row.steps.length > 0) this.drawSteps(plot, row.steps, y, x1);
        y += ROW_H + ROW_GAP;
      }
      if (group.rows.length === 0) y += ROW_H + ROW_GAP;
      for (const o of group.overlaps) {
        const a = clamp(this.x(o.fromUs));
        const b = clamp(this.x(o.toUs));
        if (b < x0 || a > x1) continue;
        const rect = plot
          .append('rect')
          .attr('class', 'recipe-overlap')
          .attr('data-clients', o.clients.join(','))
          .attr('data-from-us', o.fromUs)
          .attr('data-to-us', o.toUs)
          .attr('x', a)
          .attr('y', top - 2)
          .attr('width', Math.max(3, b - a))
          .attr('height', y - top + 1)
          .attr('fill', 'url(#lane-hatch-red)')
          .attr('stroke', '#c62828');
        rect.append('title').text(`clients ${o.clients[0]} and ${o.clients[1]} both ${group.recipe === 'lock' ? 'held the lock' : 'believed themselves leader'} from ${ms(o.fromUs)} to ${ms(o.toUs)} (${ms(o.toUs - o.fromUs)}) — click to move the cursor there`);
        rect.on('click', () => this.onSeek(o.fromUs));
      }
    }
    // The opening view is the first election, before any recipe ran: say where the rows are.
    const stepsOnly = this.groups.every((g) => g.rows.every((r) => r.segments.length === 0 && r.marks.length === 0));
    if (drawn === 0 && !stepsOnly) svg.append('text').attr('class', 'lane-legend lane-empty').attr('x', (x0 + x1) / 2).attr('y', Math.min(height - 4, CAPTION_H + ROW_H + 4)).attr('text-anchor', 'middle').text('nothing in view yet: the clients act later (fit, or 0, shows the whole run)');
    if (this.cursorUs >= 0) {
      const cx = this.x(this.cursorUs);
      svg.append('line').attr('class', 'lane-cursor').attr('x1', cx).attr('x2', cx).attr('y1', 0).attr('y2', height).attr('visibility', cx < x0 || cx > x1 ? 'hidden' : 'visible');
    }
  }

  private drawSteps(plot: d3.Selection<SVGGElement, unknown, null, undefined>, steps: readonly (readonly [number, number])[], y: number, x1: number): void {
    const max = Math.max(1, ...steps.map((s) => s[1]));
    const yOf = (v: number) => y + ROW_H - (v / max) * (ROW_H - 2);
    const points: [number, number][] = steps.map(([us, v]) => [this.x(us), yOf(v)]);
    points.push([x1 + 2, points[points.length - 1][1]]);
    const line = d3.line().curve(d3.curveStepAfter);
    const area = d3.area().curve(d3.curveStepAfter).y0(y + ROW_H);
    plot.append('path').attr('class', 'lane-area').attr('d', area(points)).attr('fill', 'rgba(58,120,194,0.25)');
    plot.append('path').attr('class', 'lane-steps').attr('d', line(points)).attr('fill', 'none').attr('stroke', '#3a78c2').attr('stroke-width', 1.5);
    plot.append('text').attr('class', 'lane-text dark').attr('x', x1 - 4).attr('y', y + ROW_H - 3).attr('text-anchor', 'end').text(`max ${max}`);
  }
}
