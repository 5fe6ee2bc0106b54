/**
 * The space-time diagram: a lane per server and one for clients, time flowing right.
 *
 * Drawn on a canvas (a 100k-event trace has tens of thousands of arrows; SVG would
 * choke), with d3 for the scales, the axis and zoom / pan. Only what is visible is
 * drawn: messages are culled by blocks (each block knows its latest end), events by
 * binary search on time, and minor glyphs (timers, disk syncs) are left out when the
 * view is too dense to show them. The cursor and the hover highlight live on a second
 * canvas, so moving the cursor never redraws the diagram.
 *
 * Two x axes: real (virtual) time, the default, and "steps", one column per event,
 * which spreads out bursts of simultaneous events — useful when reading an election.
 */
import * as d3 from 'd3';
import type { TraceEvent } from '../../sim/core/trace.js';
import { BLOCK, Glyph, MINOR_GLYPHS, MSG_DROPPED, MSG_IN_FLIGHT, type ClientOp, type TraceModel } from './model.js';
import { DROP_REASON_TEXT, READ_MODE_LABELS, RESULT_COLOR, ROLE_COLOR, formatTime, roleFamily, serverName, compactJson, clamp } from './format.js';

export type AxisMode = 'time' | 'steps';

export interface DiagramOptions {
  onCursor?: (seq: number) => void;
  onMessageClick?: (message: number, clientX: number, clientY: number) => void;
  onServerClick?: (node: number, anchor: HTMLElement) => void;
  onOpClick?: (op: ClientOp) => void;
  onViewChange?: (domain: [number, number]) => void;
  /** Shown in the corner (side-by-side panes). */
  title?: string;
  /** Lanes' height budget in px (0: fill the container). */
  compact?: boolean;
}

type Hit = { kind: 'message'; index: number } | { kind: 'event'; seq: number } | { kind: 'op'; op: ClientOp };

/** Where a dropped message's ✕ sits, as a fraction of the way from sender to receiver lane. */
export const DROP_AT = 0.82;
/** Short drop labels for the diagram: they name the receiver, so a drop never reads as the sender's crash. */
const DROP_LABEL: Readonly<Record<string, string>> = {
  loss: 'lost',
  partition: 'cut',
  crashed: 'receiver down',
  'not-running': 'receiver not running',
  'broken-connection': 'connection broken',
};

/** top: the time axis (0–26) and a strip for elections and network faults (26–46). */
const MARGIN = { left: 92, right: 16, top: 48, bottom: 10 };
const AXIS_Y = 24;
const STRIP_Y = 40;

export class Diagram {
  readonly root: HTMLDivElement;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly labels: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private model?: TraceModel;
  private cursor = 0;
  private mode: AxisMode = 'time';
  private width = 800;
  private height = 400;
  private dpr = 1;
  private baseX = d3.scaleLinear();
  private x = d3.scaleLinear();
  private transform = d3.zoomIdentity;
  private readonly zoom: d3.ZoomBehavior<HTMLCanvasElement, unknown>;
  private laneY: number[] = [];
  private laneH = 40;
  private clientTop = 0;
  private clientRowH = 12;
  private clientRow = new Map<number, number>();
  private blockMinSend: Float64Array = new Float64Array(0);
  private blockMinSendSeq: Float64Array = new Float64Array(0);
  /** Client operations' running maximum end (time and seq), for culling by binary search. */
  private opsMaxEndUs: Float64Array = new Float64Array(0);
  private opsMaxEndSeq: Float64Array = new Float64Array(0);
  private drawnMessages: number[] = [];
  private drawnEvents: number[] = [];
  private drawnOps: ClientOp[] = [];
  /** Right end of the last label drawn per row, so labels never overlap. */
  private labelRight = new Map<string, number>();
  /** Drop labels drawn in the last render (page-local px boxes; the e2e tests check they never overlap). */
  dropLabels: { x: number; y: number; w: number; h: number }[] = [];
  /** Moments to mark with a full-height line (the walkthrough's quorum), lit once the cursor passes them. */
  markers: { seq: number; text: string }[] = [];
  /** Markers drawn lit in the last overlay (tests). */
  litMarkers: string[] = [];
  /** Scenario notes drawn in the last render (their full text). */
  drawnNotes: string[] = [];
  private hover?: Hit;
  private selectedMessage = -1;
  private framePending = false;
  private overlayPending = false;
  private suppressViewEvent = false;
  hiddenTypes = new Set<string>();
  /** Operations to outline (the linearizability explanation's stuck operation and friends). */
  markedOps = new Map<number, string>();
  /** Last render's duration in ms (for the benchmark and the status line). */
  lastRenderMs = 0;
  lastOverlayMs = 0;
  /** Drawing time accumulated since the last takeDrawMs() (the benchmark's frame accounting). */
  private drawMsSinceTake = 0;

  takeDrawMs(): number {
    const ms = this.drawMsSinceTake;
    this.drawMsSinceTake = 0;
    return ms;
  }

  constructor(
    container: HTMLElement,
    private readonly options: DiagramOptions = {},
  ) {
    this.root = document.createElement('div');
    this.root.className = 'diagram';
    this.base = document.createElement('canvas');
    this.base.className = 'diagram-base';
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'diagram-overlay';
    this.overlay.setAttribute('aria-label', 'space-time diagram: scroll to zoom, drag to pan, click to move the cursor');
    this.labels = document.createElement('div');
    this.labels.className = 'diagram-labels';
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'tooltip';
    this.tooltip.hidden = true;
    this.root.append(this.base, this.overlay, this.labels, this.tooltip);
    if (options.title) {
      const title = document.createElement('div');
      title.className = 'diagram-title';
      title.textContent = options.title;
      this.root.append(title);
    }
    container.append(this.root);
    this.zoom = d3
      .zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([1, 1e6])
      .filter((event: Event) => {
        // Wheel zooms, drag pans; a plain vertical wheel without ctrl still zooms (the page does not scroll here).
        const e = event as MouseEvent;
        return !e.button && e.type !== 'dblclick';
      })
      .on('zoom', (event: d3.D3ZoomEvent<HTMLCanvasElement, unknown>) => {
        this.transform = d3.zoomIdentity.translate(event.transform.x, 0).scale(event.transform.k);
        this.x = this.transform.rescaleX(this.baseX);
        this.requestRender();
        if (!this.suppressViewEvent) this.options.onViewChange?.(this.domain());
      });
    d3.select(this.overlay).call(this.zoom);
    this.overlay.addEventListener('mousemove', (e) => this.onMouseMove(e));
    this.overlay.addEventListener('mouseleave', () => {
      this.hover = undefined;
      this.tooltip.hidden = true;
      this.requestOverlay();
    });
    this.overlay.addEventListener('click', (e) => this.onClick(e));
    new ResizeObserver(() => this.resize()).observe(this.root);
  }

  setModel(model: TraceModel | undefined): void {
    this.model = model;
    this.lastRoleOf = undefined;
    this.hover = undefined;
    this.selectedMessage = -1;
    this.markedOps.clear();
    if (model) {
      const blocks = model.blockMaxEndUs.length;
      this.blockMinSend = new Float64Array(blocks);
      this.blockMinSendSeq = new Float64Array(blocks);
      for (let b = 0; b < blocks; b++) {
        let minUs = Infinity;
        let minSeq = Infinity;
        for (let m = b * BLOCK; m < Math.min(model.msgCount, (b + 1) * BLOCK); m++) {
          if (model.mSendUs[m] < minUs) minUs = model.mSendUs[m];
          if (model.mSendSeq[m] < minSeq) minSeq = model.mSendSeq[m];
        }
        this.blockMinSend[b] = minUs;
        this.blockMinSendSeq[b] = minSeq;
      }
      this.clientRow = new Map(model.clientIds.map((c, i) => [c, i]));
      this.opsMaxEndUs = new Float64Array(model.ops.length);
      this.opsMaxEndSeq = new Float64Array(model.ops.length);
      let us = -Infinity;
      let seq = -Infinity;
      model.ops.forEach((op, i) => {
        us = Math.max(us, op.completeUs ?? Infinity);
        seq = Math.max(seq, op.completeSeq ?? Infinity);
        this.opsMaxEndUs[i] = us;
        this.opsMaxEndSeq[i] = seq;
      });
    }
    this.layout();
    this.resetBaseScale();
    this.requestRender();
  }

  get axisMode(): AxisMode {
    return this.mode;
  }

  setAxisMode(mode: AxisMode): void {
    if (mode === this.mode) return;
    const model = this.model;
    const [d0, d1] = this.domain();
    this.mode = mode;
    this.resetBaseScale();
    if (model) {
      // Keep the same stretch of the trace in view.
      const conv = (v: number) => (mode === 'steps' ? model.seqAtTime(v) : model.eventTime[clamp(Math.round(v), 0, model.length - 1)]);
      this.setDomain([conv(d0), Math.max(conv(d0) + 1, conv(d1))]);
    }
  }

  private resetBaseScale(): void {
    const model = this.model;
    const end = model ? (this.mode === 'time' ? Math.max(1, model.endUs) : Math.max(1, model.length - 1)) : 1;
    this.baseX = d3.scaleLinear().domain([0, end * 1.002]).range([MARGIN.left, this.width - MARGIN.right]);
    this.x = this.transform.rescaleX(this.baseX);
  }

  /** The visible stretch, in axis units (µs or event index). */
  domain(): [number, number] {
    const [a, b] = this.x.domain();
    return [a, b];
  }

  /** Shows [d0, d1] (axis units). */
  setDomain([d0, d1]: [number, number], silent = false): void {
    const [b0, b1] = this.baseX.domain();
    const span = Math.max(1e-9, d1 - d0);
    const k = clamp((b1 - b0) / span, 1, 1e6);
    // rescaleX gives x'(v) = k·baseX(v) + tx: put d0 at the left margin.
    const t = d3.zoomIdentity.translate(MARGIN.left - k * this.baseX(d0), 0).scale(k);
    this.suppressViewEvent = silent;
    d3.select(this.overlay).call(this.zoom.transform, t);
    this.suppressViewEvent = false;
  }

  /** Shows time range [t0, t1] in µs whatever the axis mode. */
  showTime(t0: number, t1: number): void {
    const model = this.model;
    if (!model) return;
    if (this.mode === 'time') this.setDomain([t0, t1]);
    else this.setDomain([model.firstSeqAtOrAfter(t0), Math.max(model.firstSeqAtOrAfter(t0) + 5, model.seqAtTime(t1))]);
  }

  fitAll(): void {
    this.setDomain(this.baseX.domain() as [number, number]);
  }

  setCursor(seq: number, follow = true): void {
    this.cursor = seq;
    const model = this.model;
    if (model && follow && model.length > 0) {
      const v = this.mode === 'time' ? model.eventTime[seq] : seq;
      const [d0, d1] = this.domain();
      if (v < d0 || v > d1) {
        const span = d1 - d0;
        this.setDomain([v - span / 3, v + (2 * span) / 3]);
      }
    }
    this.requestOverlay();
  }

  selectMessage(m: number): void {
    this.selectedMessage = m;
    this.requestOverlay();
  }

  requestRender(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.render();
      this.renderOverlay();
    });
  }

  private requestOverlay(): void {
    if (this.overlayPending || this.framePending) return;
    this.overlayPending = true;
    requestAnimationFrame(() => {
      this.overlayPending = false;
      this.renderOverlay();
    });
  }

  /** Synchronous redraw (benchmarks, screenshots). */
  renderNow(): void {
    this.render();
    this.renderOverlay();
  }

  private resize(): void {
    const rect = this.root.getBoundingClientRect();
    if (rect.width < 10 || rect.height < 10) return;
    // The visible stretch survives a resize, the first one included: a diagram mounted
    // while its container was still unsized (800 px by default) was told what to show
    // in that frame, and must keep showing it (else the cursor ends up off screen).
    const [d0, d1] = this.domain();
    const hadModel = this.model !== undefined;
    this.width = Math.floor(rect.width);
    this.height = Math.floor(rect.height);
    this.dpr = window.devicePixelRatio || 1;
    for (const c of [this.base, this.overlay]) {
      c.width = Math.floor(this.width * this.dpr);
      c.height = Math.floor(this.height * this.dpr);
      c.style.width = `${this.width}px`;
      c.style.height = `${this.height}px`;
    }
    this.layout();
    const range: [number, number] = [MARGIN.left, this.width - MARGIN.right];
    this.baseX.range(range);
    this.zoom.extent([
      [MARGIN.left, 0],
      [this.width - MARGIN.right, this.height],
    ]);
    this.x = this.transform.rescaleX(this.baseX);
    if (hadModel && this.model) this.setDomain([d0, d1], true);
    this.requestRender();
  }

  private layout(): void {
    const model = this.model;
    const servers = model?.servers ?? 0;
    const clients = model?.clientIds.length ?? 0;
    const avail = this.height - MARGIN.top - MARGIN.bottom;
    this.clientRowH = clients > 0 ? clamp(Math.floor((avail * 0.3) / clients), 6, 16) : 0;
    let clientsH = clients > 0 ? this.clientRowH * clients + 14 : 0;
    this.laneH = servers > 0 ? clamp((avail - clientsH) / servers, 22, 140) : 40;
    // Every server lane stays whole on a short pane (side by side at 720 px): the client
    // rows give up their height first, then the lanes shrink below their usual minimum.
    if (servers > 0 && this.laneH * servers + clientsH > avail) {
      this.clientRowH = clients > 0 ? clamp(Math.floor((avail - 22 * servers - 14) / clients), 0, this.clientRowH) : 0;
      clientsH = this.clientRowH > 0 ? this.clientRowH * clients + 14 : 0;
      this.laneH = Math.max(12, Math.min(this.laneH, (avail - clientsH) / servers));
    }
    this.laneY = Array.from({ length: servers }, (_, i) => MARGIN.top + i * this.laneH + this.laneH / 2);
    this.clientTop = MARGIN.top + servers * this.laneH + 10;
    this.renderLabels();
  }

  private renderLabels(): void {
    const model = this.model;
    this.labels.replaceChildren();
    if (!model) return;
    for (let node = 0; node < model.servers; node++) {
      const b = document.createElement('button');
      const small = this.laneH < 26;
      b.className = small ? 'lane-label small' : 'lane-label';
      b.dataset.node = String(node);
      b.style.top = `${this.laneY[node] - (small ? 9 : 13)}px`;
      b.title = `${serverName(node)}: crash, restart, pause or partition it at the cursor`;
      const dot = document.createElement('span');
      dot.className = 'role-dot';
      const name = document.createElement('span');
      name.textContent = serverName(node);
      const caret = document.createElement('span');
      caret.className = 'caret';
      caret.textContent = '▾';
      b.append(dot, name, caret);
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        this.options.onServerClick?.(node, b);
      });
      this.labels.append(b);
    }
    if (model.clientIds.length > 0 && this.clientRowH > 0) {
      const c = document.createElement('div');
      c.className = 'lane-label clients';
      c.style.top = `${this.clientTop - 2}px`;
      c.textContent = `clients (${model.clientIds.length})`;
      this.labels.append(c);
    }
    if (this.lastRoleOf) this.updateLabelRoles(this.lastRoleOf);
  }

  private lastRoleOf?: (node: number) => string;

  /** Updates the role dots of the lane labels for the cursor. */
  updateLabelRoles(roleOf: (node: number) => string): void {
    this.lastRoleOf = roleOf;
    for (const b of this.labels.querySelectorAll<HTMLButtonElement>('button.lane-label')) {
      const node = Number(b.dataset.node);
      const role = roleOf(node);
      if (b.dataset.role === role) continue;
      const dot = b.querySelector<HTMLSpanElement>('.role-dot');
      if (dot) dot.style.background = ROLE_COLOR[roleFamily(role)];
      b.dataset.role = role;
    }
  }

  private xv(us: number, seq: number): number {
    return this.x(this.mode === 'time' ? us : seq);
  }

  private render(): void {
    const started = performance.now();
    const ctx = this.base.getContext('2d')!;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    this.drawnMessages = [];
    this.drawnEvents = [];
    this.drawnOps = [];
    this.labelRight.clear();
    this.dropLabels = [];
    const model = this.model;
    this.renderAxis(ctx);
    if (!model || model.length === 0) return;
    const left = MARGIN.left;
    const right = this.width - MARGIN.right;
    const [d0, d1] = this.domain();
    const t0 = this.mode === 'time' ? d0 : model.eventTime[clamp(Math.floor(d0), 0, model.length - 1)];
    const t1 = this.mode === 'time' ? d1 : model.eventTime[clamp(Math.ceil(d1), 0, model.length - 1)];
    const s0 = this.mode === 'time' ? model.firstSeqAtOrAfter(t0) : clamp(Math.floor(d0), 0, model.length - 1);
    const s1 = this.mode === 'time' ? model.seqAtTime(t1) : clamp(Math.ceil(d1), 0, model.length - 1);
    const visible = (us0: number, seq0: number, us1: number, seq1: number) => (this.mode === 'time' ? us1 >= t0 && us0 <= t1 : seq1 >= d0 && seq0 <= d1);
    const endX = (us: number, seq: number) => (Number.isFinite(us) && seq < model.length ? this.xv(us, seq) : right + 4);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, 0, right - left, this.height);
    ctx.clip();

    // Lanes
    for (let node = 0; node < model.servers; node++) {
      const y = this.laneY[node];
      ctx.fillStyle = node % 2 === 0 ? '#f7f8fa' : '#ffffff';
      ctx.fillRect(left, y - this.laneH / 2, right - left, this.laneH);
    }
    if (model.clientIds.length > 0) {
      ctx.fillStyle = '#f3f1ec';
      ctx.fillRect(left, this.clientTop - 4, right - left, model.clientIds.length * this.clientRowH + 8);
    }

    // Partitions: each side tinted differently; one-way cuts hatched on their targets.
    const groupTints = ['rgba(255, 179, 0, 0.16)', 'rgba(3, 155, 229, 0.14)', 'rgba(216, 27, 96, 0.12)', 'rgba(67, 160, 71, 0.14)'];
    for (const p of model.partitions) {
      if (!visible(p.startUs, p.startSeq, p.endUs, p.endSeq)) continue;
      const xa = Math.max(left, this.xv(p.startUs, p.startSeq));
      const xb = Math.min(right, endX(p.endUs, p.endSeq));
      const groups = p.groups ?? groupsFromCuts(p.cuts, model.servers);
      groups.forEach((group, gi) => {
        ctx.fillStyle = groupTints[gi % groupTints.length];
        for (const node of group) if (node < model.servers) ctx.fillRect(xa, this.laneY[node] - this.laneH / 2, xb - xa, this.laneH);
      });
      ctx.strokeStyle = '#b0741a';
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(xa, MARGIN.top);
      ctx.lineTo(xa, MARGIN.top + model.servers * this.laneH);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#8a5a10';
      ctx.font = '600 11px var(--font-ui, system-ui)';
      const text = `✂ ${groups.map((g) => `{${g.join(',')}}`).join(' | ')}${p.shape ? ` (${p.shape})` : ''}`;
      if (xb - xa > 60) ctx.fillText(text, xa + 4, STRIP_Y - 12);
    }

    // Crashes and pauses
    for (const span of model.nodeSpans) {
      if (!visible(span.startUs, span.startSeq, span.endUs, span.endSeq)) continue;
      const xa = Math.max(left - 2, this.xv(span.startUs, span.startSeq));
      const xb = Math.min(right + 2, endX(span.endUs, span.endSeq));
      const y = this.laneY[span.node];
      const h = this.laneH * 0.62;
      if (span.kind === 'crash') {
        ctx.fillStyle = hatch(ctx, '#5b5f66', '#7c8088');
        ctx.fillRect(xa, y - h / 2, Math.max(2, xb - xa), h);
        if (xb - xa > 70) {
          ctx.fillStyle = '#fff';
          ctx.font = '600 12px var(--font-ui, system-ui)';
          ctx.fillText('✕ down (crashed)', Math.max(xa, left) + 6, y + 4);
        }
      } else {
        ctx.fillStyle = hatch(ctx, '#c9ccd2', '#e3e5e9');
        ctx.fillRect(xa, y - h / 2, Math.max(2, xb - xa), h);
        if (xb - xa > 60) {
          ctx.fillStyle = '#3c4048';
          ctx.font = '600 12px var(--font-ui, system-ui)';
          ctx.fillText('‖ paused', Math.max(xa, left) + 6, y + 4);
        }
      }
    }

    // Role lines
    for (const span of model.roleSpans) {
      if (span.role === 'DOWN' || !visible(span.startUs, span.startSeq, span.endUs, span.endSeq)) continue;
      const xa = Math.max(left, this.xv(span.startUs, span.startSeq));
      const xb = Math.min(right, endX(span.endUs, span.endSeq));
      const fam = roleFamily(span.role);
      ctx.strokeStyle = ROLE_COLOR[fam];
      ctx.lineWidth = fam === 'leader' ? 5 : 3;
      ctx.globalAlpha = fam === 'unknown' ? 0.5 : 0.9;
      ctx.beginPath();
      ctx.moveTo(xa, this.laneY[span.node]);
      ctx.lineTo(xb, this.laneY[span.node]);
      ctx.stroke();
      ctx.globalAlpha = 1;
      if (xb - xa > 90 && this.laneH >= 30) {
        ctx.fillStyle = ROLE_COLOR[fam];
        ctx.font = '600 11px var(--font-ui, system-ui)';
        ctx.fillText(span.role, Math.max(xa, left) + 4, this.laneY[span.node] + 14);
      }
    }

    // Elections
    for (const el of model.elections) {
      if (!visible(el.timeUs, el.seq, el.timeUs, el.seq)) continue;
      const xe = this.xv(el.timeUs, el.seq);
      verticalRule(ctx, xe, STRIP_Y - 12, MARGIN.top + model.servers * this.laneH, ROLE_COLOR.leader, 1.5, [6, 4]);
      ctx.fillStyle = '#8a5d00';
      ctx.font = '700 12px var(--font-ui, system-ui)';
      ctx.fillText(`★ ${serverName(el.leader)} leads · ${model.protocol === 'paxos' ? 'ballot' : 'epoch'} ${el.epoch}`, xe + 4, STRIP_Y);
    }
    // The scenario's notes (a fault's "note", the story's end), in the strip above the lanes.
    this.drawnNotes = [];
    ctx.font = 'italic 600 11px var(--font-ui, system-ui)';
    for (let i = 0; i < model.storyNotes.length; i++) {
      const note = model.storyNotes[i];
      if (!visible(note.timeUs, note.seq, note.timeUs, note.seq)) continue;
      const xn = this.xv(note.timeUs, note.seq);
      verticalRule(ctx, xn, STRIP_Y - 22, MARGIN.top + model.servers * this.laneH, '#00796b', 1, [2, 3]);
      // Up to the next note (or the right edge): the text is cut to fit, the tooltip and the event line have it whole.
      const next = model.storyNotes[i + 1];
      const room = (next ? Math.min(right, this.xv(next.timeUs, next.seq)) : right) - xn - 10;
      if (room < 30) continue;
      const text = fitText(ctx, `▸ ${note.text}`, room);
      ctx.fillStyle = '#00695c';
      ctx.fillText(text, xn + 4, STRIP_Y - 14);
      this.drawnNotes.push(note.text);
    }
    // Epoch / ballot changes, per server
    if (model.epochMarks.length < 4000) {
      ctx.font = '11px var(--font-ui, system-ui)';
      let lastX: number[] = [];
      for (const m of model.epochMarks) {
        if (!visible(m.timeUs, m.seq, m.timeUs, m.seq)) continue;
        const xm = this.xv(m.timeUs, m.seq);
        const y = this.laneY[m.node] - this.laneH / 2 + 11;
        if (lastX[m.node] !== undefined && xm - lastX[m.node] < 70) continue;
        lastX[m.node] = xm;
        ctx.fillStyle = '#5a6270';
        ctx.fillRect(xm - 0.5, y - 9, 1, 10);
        if (this.laneH >= 44) ctx.fillText(m.text, xm + 3, y);
      }
      lastX = [];
    }

    // Messages
    const hidden = new Set<number>();
    model.types.forEach((t, i) => {
      if (this.hiddenTypes.has(t)) hidden.add(i);
    });
    const msgs: number[] = [];
    const blocks = model.blockMaxEndUs.length;
    for (let b = 0; b < blocks; b++) {
      if (this.mode === 'time') {
        if (model.blockMaxEndUs[b] < t0 || this.blockMinSend[b] > t1) continue;
      } else if (model.blockMaxEndSeq[b] < d0 || this.blockMinSendSeq[b] > d1) continue;
      const end = Math.min(model.msgCount, (b + 1) * BLOCK);
      for (let m = b * BLOCK; m < end; m++) {
        if (model.mFrom[m] === model.mTo[m] || hidden.has(model.mType[m])) continue;
        if (!visible(model.mSendUs[m], model.mSendSeq[m], model.mEndUs[m], model.mEndSeq[m])) continue;
        msgs.push(m);
      }
    }
    this.drawnMessages = msgs;
    const dense = msgs.length > 2500;
    const byColor = new Map<string, number[]>();
    for (const m of msgs) {
      const color = model.typeColor(model.mType[m]);
      let list = byColor.get(color);
      if (!list) byColor.set(color, (list = []));
      list.push(m);
    }
    ctx.lineWidth = dense ? 0.8 : 1.4;
    for (const [color, list] of byColor) {
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.globalAlpha = dense ? 0.55 : 0.95;
      ctx.beginPath();
      for (const m of list) {
        const [xa, ya, xb, yb] = this.messageGeometry(m);
        ctx.moveTo(xa, ya);
        ctx.lineTo(xb, yb);
      }
      ctx.stroke();
      if (!dense) {
        ctx.beginPath();
        for (const m of list) {
          if (model.mStatus[m] === MSG_DROPPED || model.mStatus[m] === MSG_IN_FLIGHT) continue;
          const [xa, ya, xb, yb] = this.messageGeometry(m);
          arrowHead(ctx, xa, ya, xb, yb, 7);
        }
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    // Drops: a red ✕ where the message died.
    ctx.strokeStyle = '#d32f2f';
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (const m of msgs) {
      if (model.mStatus[m] !== MSG_DROPPED) continue;
      const [, , xb, yb] = this.messageGeometry(m);
      const r = dense ? 2.5 : 4;
      ctx.moveTo(xb - r, yb - r);
      ctx.lineTo(xb + r, yb + r);
      ctx.moveTo(xb + r, yb - r);
      ctx.lineTo(xb - r, yb + r);
    }
    ctx.stroke();
    if (!dense && msgs.length < 600) {
      ctx.font = '10px var(--font-ui, system-ui)';
      ctx.fillStyle = '#b71c1c';
      for (const m of msgs) {
        if (model.mStatus[m] !== MSG_DROPPED) continue;
        const [, , xb, yb] = this.messageGeometry(m);
        const reason = model.reasons[model.mReason[m]] ?? '';
        const text = DROP_LABEL[reason] ?? reason;
        const box = { x: xb + 5, y: yb - 6, w: ctx.measureText(text).width, h: 11 };
        // A label that would overlap one already drawn is left out (the tooltip has it).
        if (this.dropLabels.some((b) => b.x < box.x + box.w + 3 && box.x < b.x + b.w + 3 && b.y < box.y + box.h && box.y < b.y + b.h)) continue;
        this.dropLabels.push(box);
        ctx.fillText(text, box.x, yb + 3);
      }
    }

    // Event glyphs
    const span = Math.max(1, s1 - s0);
    const pxPerEvent = (right - left) / span;
    const showMinor = pxPerEvent > 1.5;
    const events = model.events;
    const drawn: number[] = [];
    for (let i = s0; i <= s1 && i < events.length; i++) {
      const g = model.glyph[i] as Glyph;
      if (g === Glyph.None) continue;
      if (!showMinor && MINOR_GLYPHS.has(g)) continue;
      const e = events[i];
      const xg = this.xv(e.timeUs, i);
      if (xg < left - 8 || xg > right + 8) continue;
      drawn.push(i);
      this.drawGlyph(ctx, g, e, xg);
    }
    this.drawnEvents = drawn;

    // Client operations
    if (model.clientIds.length > 0 && this.clientRowH > 0) this.renderOps(ctx, model, t0, t1, d0, d1, endX);

    // Violations: full height
    for (const v of model.violations) {
      if (!visible(v.timeUs, v.seq, v.timeUs, v.seq)) continue;
      const xv = this.xv(v.timeUs, v.seq);
      ctx.strokeStyle = '#d32f2f';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(xv, MARGIN.top);
      ctx.lineTo(xv, this.height - MARGIN.bottom);
      ctx.stroke();
      ctx.fillStyle = '#d32f2f';
      ctx.font = '700 12px var(--font-ui, system-ui)';
      ctx.fillText(`⚠ ${String(v.invariant)}`, xv + 4, STRIP_Y - 12);
    }
    ctx.restore();
    this.lastRenderMs = performance.now() - started;
    this.drawMsSinceTake += this.lastRenderMs;
  }

  private renderOps(ctx: CanvasRenderingContext2D, model: TraceModel, t0: number, t1: number, d0: number, d1: number, endX: (us: number, seq: number) => number): void {
    const left = MARGIN.left;
    const right = this.width - MARGIN.right;
    const h = Math.max(4, this.clientRowH - 3);
    ctx.font = `${Math.min(11, h)}px var(--font-mono, monospace)`;
    const drawnOps: ClientOp[] = [];
    // Operations are in invocation order: skip those that all ended before the view, stop after it.
    const maxEnd = this.mode === 'time' ? this.opsMaxEndUs : this.opsMaxEndSeq;
    const from = this.mode === 'time' ? t0 : d0;
    let lo = 0;
    let hi = model.ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (maxEnd[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < model.ops.length; k++) {
      const op = model.ops[k];
      if (this.mode === 'time' ? op.invokeUs > t1 : op.invokeSeq > d1) break;
      const endUs = op.completeUs ?? Infinity;
      const endSeq = op.completeSeq ?? model.length;
      if (this.mode === 'time' ? endUs < t0 : endSeq < d0) continue;
      const xa = Math.max(left - 2, this.xv(op.invokeUs, op.invokeSeq));
      const xb = Math.min(right + 2, endX(endUs, endSeq));
      const y = this.clientTop + (this.clientRow.get(op.client) ?? 0) * this.clientRowH;
      const color = RESULT_COLOR[op.result ?? 'pending'];
      ctx.fillStyle = color;
      ctx.globalAlpha = op.f === 'read' || op.f === 'getData' || op.f === 'exists' || op.f === 'getChildren' ? 0.45 : 0.8;
      ctx.fillRect(xa, y, Math.max(1.5, xb - xa), h);
      ctx.globalAlpha = 1;
      const mark = this.markedOps.get(op.opId);
      if (mark) {
        ctx.strokeStyle = mark;
        ctx.lineWidth = 2.5;
        ctx.strokeRect(xa - 1.5, y - 1.5, Math.max(1.5, xb - xa) + 3, h + 3);
      }
      if (xb - xa > 56 && h >= 9) {
        ctx.fillStyle = '#fff';
        const label = opLabel(op);
        ctx.save();
        ctx.beginPath();
        ctx.rect(xa, y, xb - xa, h);
        ctx.clip();
        ctx.fillText(label, xa + 3, y + h - 2);
        ctx.restore();
      }
      drawnOps.push(op);
    }
    this.drawnOps = drawnOps;
  }

  private drawGlyph(ctx: CanvasRenderingContext2D, g: Glyph, e: TraceEvent, xg: number): void {
    const node = e.node;
    const model = this.model!;
    const y = node >= 0 && node < model.servers ? this.laneY[node] : STRIP_Y - 5;
    switch (g) {
      case Glyph.Timer:
        ctx.strokeStyle = '#9aa0a8';
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.arc(xg, y, 2.5, 0, Math.PI * 2);
        ctx.stroke();
        return;
      case Glyph.Sync:
        ctx.fillStyle = '#b0b6bf';
        ctx.fillRect(xg - 1, y + 4, 2, 4);
        return;
      case Glyph.State: {
        const fam = roleFamily(typeof e.role === 'string' ? e.role : undefined);
        ctx.fillStyle = ROLE_COLOR[fam];
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.rect(xg - 5, y - 5, 10, 10);
        ctx.fill();
        ctx.stroke();
        return;
      }
      case Glyph.Vote:
        ctx.fillStyle = '#8e44ad';
        ctx.beginPath();
        ctx.moveTo(xg, y - 6);
        ctx.lineTo(xg + 5, y);
        ctx.lineTo(xg, y + 6);
        ctx.lineTo(xg - 5, y);
        ctx.closePath();
        ctx.fill();
        if (this.laneH >= 34 && e.kind === 'vote' && e.leader !== undefined) {
          ctx.font = '600 10px var(--font-ui, system-ui)';
          ctx.fillText(`→${String(e.leader)}`, xg + 5, y - 6);
        }
        return;
      case Glyph.Election:
        ctx.fillStyle = ROLE_COLOR.leader;
        ctx.strokeStyle = '#7a5200';
        ctx.lineWidth = 1;
        star(ctx, xg, y, 9, 4);
        ctx.fill();
        ctx.stroke();
        return;
      case Glyph.Propose:
        ctx.fillStyle = '#2e7d32';
        ctx.beginPath();
        ctx.arc(xg, y, 3, 0, Math.PI * 2);
        ctx.fill();
        return;
      case Glyph.Logged:
        ctx.fillStyle = '#5b8f3a';
        ctx.fillRect(xg - 1.5, y - 7, 3, 3);
        return;
      case Glyph.Commit:
        ctx.strokeStyle = '#1b5e20';
        ctx.lineWidth = 1.6;
        ctx.beginPath();
        ctx.moveTo(xg - 3, y - 7);
        ctx.lineTo(xg, y - 4);
        ctx.lineTo(xg + 4, y - 10);
        ctx.stroke();
        return;
      case Glyph.Note:
        ctx.fillStyle = '#546e7a';
        ctx.beginPath();
        ctx.arc(xg, y - this.laneH / 2 + 14, 4, 0, Math.PI * 2);
        ctx.fill();
        return;
      case Glyph.Violation:
        ctx.fillStyle = '#d32f2f';
        ctx.beginPath();
        ctx.moveTo(xg, y - 9);
        ctx.lineTo(xg + 8, y + 6);
        ctx.lineTo(xg - 8, y + 6);
        ctx.closePath();
        ctx.fill();
        return;
      case Glyph.Crash:
        ctx.strokeStyle = '#111';
        ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.moveTo(xg - 7, y - 7);
        ctx.lineTo(xg + 7, y + 7);
        ctx.moveTo(xg + 7, y - 7);
        ctx.lineTo(xg - 7, y + 7);
        ctx.stroke();
        return;
      case Glyph.Restart:
        ctx.strokeStyle = '#2e7d32';
        ctx.lineWidth = 2.5;
        ctx.beginPath();
        ctx.arc(xg, y, 6, -Math.PI * 0.2, Math.PI * 1.5);
        ctx.stroke();
        return;
      case Glyph.Pause:
      case Glyph.Resume:
        ctx.fillStyle = '#455a64';
        if (g === Glyph.Pause) {
          ctx.fillRect(xg - 5, y - 6, 3.5, 12);
          ctx.fillRect(xg + 1.5, y - 6, 3.5, 12);
        } else {
          ctx.beginPath();
          ctx.moveTo(xg - 4, y - 6);
          ctx.lineTo(xg + 6, y);
          ctx.lineTo(xg - 4, y + 6);
          ctx.closePath();
          ctx.fill();
        }
        return;
      case Glyph.SyncMode: {
        ctx.fillStyle = '#0d47a1';
        ctx.fillRect(xg - 1, y - 4, 2, 8);
        const key = `sm${node}`;
        if ((this.labelRight.get(key) ?? -Infinity) < xg) {
          ctx.font = '700 11px var(--font-ui, system-ui)';
          const text = `${String(e.mode)}→S${String(e.learner)}`;
          ctx.fillText(text, xg + 3, y + this.laneH / 2 - 4);
          this.labelRight.set(key, xg + 6 + ctx.measureText(text).width);
        }
        return;
      }
      case Glyph.Disconnect:
        ctx.strokeStyle = '#e65100';
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(xg - 3, y + 5);
        ctx.lineTo(xg + 3, y + 11);
        ctx.stroke();
        return;
      case Glyph.ClusterFault:
        ctx.fillStyle = '#8a5a10';
        ctx.beginPath();
        ctx.moveTo(xg - 5, STRIP_Y - 8);
        ctx.lineTo(xg + 5, STRIP_Y - 8);
        ctx.lineTo(xg, STRIP_Y - 1);
        ctx.closePath();
        ctx.fill();
        return;
      default:
        ctx.fillStyle = '#78909c';
        ctx.fillRect(xg - 1.5, y - 1.5, 3, 3);
    }
  }

  private messageGeometry(m: number): [number, number, number, number] {
    const model = this.model!;
    const right = this.width - MARGIN.right;
    const xa = this.xv(model.mSendUs[m], model.mSendSeq[m]);
    const ya = this.laneY[model.mFrom[m]] ?? MARGIN.top;
    const yTo = this.laneY[model.mTo[m]] ?? MARGIN.top;
    const status = model.mStatus[m];
    if (status === MSG_IN_FLIGHT) return [xa, ya, right + 6, ya + (yTo - ya) * 0.5];
    let xb = this.xv(model.mEndUs[m], model.mEndSeq[m]);
    if (status === MSG_DROPPED) {
      // Dies where the drop happened in time, close to the receiver's lane: the message
      // was lost on its way there (or the receiver was down); the sender is fine.
      if (xb - xa < 10) xb = xa + 10;
      return [xa, ya, xb, ya + (yTo - ya) * DROP_AT];
    }
    return [xa, ya, xb, yTo];
  }

  /** The time axis, drawn on the canvas (an SVG axis rebuilt every frame costs style and layout). */
  private renderAxis(ctx: CanvasRenderingContext2D): void {
    const model = this.model;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.width, AXIS_Y + 1);
    ctx.fillStyle = '#6b7384';
    ctx.font = '600 11px var(--font-ui, system-ui)';
    ctx.fillText(this.mode === 'time' ? 'time →' : 'event # →', 8, 12);
    if (!model) return;
    const left = MARGIN.left;
    const right = this.width - MARGIN.right;
    ctx.strokeStyle = '#9aa0a8';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left, AXIS_Y + 0.5);
    ctx.lineTo(right, AXIS_Y + 0.5);
    const count = Math.max(2, Math.floor((this.width - MARGIN.left) / 110));
    const ticks = this.x.ticks(count);
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    const fmt = this.mode === 'time' ? (v: number) => formatTick(v, step) : (v: number) => `#${d3.format('~s')(v)}`;
    ctx.fillStyle = '#4a5366';
    ctx.font = '12px var(--font-ui, system-ui)';
    ctx.textAlign = 'center';
    for (const v of ticks) {
      const xt = Math.round(this.x(v)) + 0.5;
      if (xt < left - 1 || xt > right + 1) continue;
      ctx.moveTo(xt, AXIS_Y - 5);
      ctx.lineTo(xt, AXIS_Y);
      ctx.fillText(fmt(v), xt, AXIS_Y - 8);
    }
    ctx.stroke();
    ctx.textAlign = 'start';
  }

  private renderOverlay(): void {
    const started = performance.now();
    this.drawOverlay();
    this.lastOverlayMs = performance.now() - started;
    this.drawMsSinceTake += this.lastOverlayMs;
  }

  private drawOverlay(): void {
    const ctx = this.overlay.getContext('2d')!;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    const model = this.model;
    if (!model || model.length === 0) return;
    const left = MARGIN.left;
    const right = this.width - MARGIN.right;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, 0, right - left, this.height);
    ctx.clip();
    const seq = clamp(this.cursor, 0, model.length - 1);
    const e = model.events[seq];
    const xc = this.xv(e.timeUs, seq);
    // Past is plain, future is veiled: what the learner has not stepped through yet is dimmed.
    ctx.fillStyle = 'rgba(255,255,255,0.38)';
    ctx.fillRect(xc + 1, STRIP_Y - 14, right - xc, this.height - STRIP_Y + 14);
    // The walkthrough's quorum line: grey until the cursor reaches it, then lit.
    this.litMarkers = [];
    for (const marker of this.markers) {
      const xm = this.xv(model.eventTime[marker.seq], marker.seq);
      if (xm < left - 2 || xm > right + 2) continue;
      const lit = seq >= marker.seq;
      verticalRule(ctx, xm, STRIP_Y - 4, MARGIN.top + model.servers * this.laneH, lit ? '#e8a317' : '#9ea3ab', lit ? 3 : 1.5, lit ? [] : [5, 4]);
      ctx.font = `${lit ? 800 : 600} 12px var(--font-ui, system-ui)`;
      ctx.fillStyle = lit ? '#8a5d00' : '#6b7280';
      ctx.fillText(marker.text, Math.min(xm + 5, right - ctx.measureText(marker.text).width - 4), STRIP_Y + 2);
      if (lit) this.litMarkers.push(marker.text);
    }
    const m = model.msgOfEvent[seq];
    if (m >= 0 && model.mFrom[m] !== model.mTo[m]) this.strokeMessage(ctx, m, '#111', 3.2);
    if (this.selectedMessage >= 0) this.strokeMessage(ctx, this.selectedMessage, '#e91e63', 3.5);
    if (this.hover?.kind === 'message') this.strokeMessage(ctx, this.hover.index, '#111', 2.4);
    ctx.strokeStyle = '#d81b60';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(xc, AXIS_Y + 2);
    ctx.lineTo(xc, this.height - MARGIN.bottom);
    ctx.stroke();
    ctx.fillStyle = '#d81b60';
    ctx.beginPath();
    ctx.moveTo(xc - 7, AXIS_Y - 6);
    ctx.lineTo(xc + 7, AXIS_Y - 6);
    ctx.lineTo(xc, AXIS_Y + 3);
    ctx.closePath();
    ctx.fill();
    if (e.node >= 0 && e.node < model.servers) {
      ctx.strokeStyle = '#d81b60';
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(xc, this.laneY[e.node], 10, 0, Math.PI * 2);
      ctx.stroke();
    }
    if (this.hover?.kind === 'event') {
      const he = model.events[this.hover.seq];
      const y = he.node >= 0 && he.node < model.servers ? this.laneY[he.node] : STRIP_Y - 5;
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(this.xv(he.timeUs, he.seq), y, 8, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.restore();
  }

  private strokeMessage(ctx: CanvasRenderingContext2D, m: number, color: string, width: number): void {
    const [xa, ya, xb, yb] = this.messageGeometry(m);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(xa, ya);
    ctx.lineTo(xb, yb);
    ctx.stroke();
    ctx.fillStyle = color;
    ctx.beginPath();
    arrowHead(ctx, xa, ya, xb, yb, 10);
    ctx.fill();
  }

  private hitTest(px: number, py: number): Hit | undefined {
    const model = this.model;
    if (!model) return undefined;
    let best: Hit | undefined;
    let bestD = 7;
    for (const seq of this.drawnEvents) {
      const e = model.events[seq];
      const y = e.node >= 0 && e.node < model.servers ? this.laneY[e.node] : STRIP_Y - 5;
      const d = Math.hypot(this.xv(e.timeUs, seq) - px, y - py);
      if (d < bestD) {
        bestD = d;
        best = { kind: 'event', seq };
      }
    }
    if (best) return best;
    bestD = 6;
    for (const m of this.drawnMessages) {
      const [xa, ya, xb, yb] = this.messageGeometry(m);
      const d = segmentDistance(px, py, xa, ya, xb, yb);
      if (d < bestD) {
        bestD = d;
        best = { kind: 'message', index: m };
      }
    }
    if (best) return best;
    if (py >= this.clientTop - 2) {
      for (const op of this.drawnOps) {
        const y = this.clientTop + (this.clientRow.get(op.client) ?? 0) * this.clientRowH;
        const xa = this.xv(op.invokeUs, op.invokeSeq);
        const xb = op.completeUs !== undefined ? this.xv(op.completeUs, op.completeSeq ?? 0) : this.width;
        if (py >= y - 1 && py <= y + this.clientRowH && px >= xa - 2 && px <= Math.max(xa + 3, xb) + 2) return { kind: 'op', op };
      }
    }
    return undefined;
  }

  private onMouseMove(e: MouseEvent): void {
    const rect = this.overlay.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const hit = this.hitTest(px, py);
    this.hover = hit;
    this.requestOverlay();
    if (!hit) {
      this.tooltip.hidden = true;
      this.overlay.style.cursor = 'crosshair';
      return;
    }
    this.overlay.style.cursor = 'pointer';
    this.tooltip.replaceChildren(...this.describeHit(hit));
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    this.tooltip.style.left = `${clamp(px + 14, 0, this.width - tw - 4)}px`;
    this.tooltip.style.top = `${py + 16 + th > this.height ? py - th - 10 : py + 16}px`;
  }

  private describeHit(hit: Hit): HTMLElement[] {
    const model = this.model!;
    const lines: [string, string][] = [];
    let title = '';
    if (hit.kind === 'message') {
      const m = hit.index;
      const send = model.events[model.mSendSeq[m]];
      title = `${model.types[model.mType[m]]}  ${serverName(model.mFrom[m])} → ${serverName(model.mTo[m])}`;
      lines.push(['sent', `${formatTime(model.mSendUs[m])} (event #${model.mSendSeq[m]})`]);
      if (model.mStatus[m] === MSG_DROPPED) lines.push(['dropped', `${formatTime(model.mEndUs[m])}: ${DROP_REASON_TEXT[model.reasons[model.mReason[m]]] ?? model.reasons[model.mReason[m]]}`]);
      else if (model.mStatus[m] === MSG_IN_FLIGHT) lines.push(['in flight', 'still travelling at the end of the trace']);
      else lines.push(['delivered', `${formatTime(model.mEndUs[m])} (+${formatTime(model.mEndUs[m] - model.mSendUs[m])})`]);
      lines.push(['message id', String(model.mId[m])]);
      if (send && send.kind === 'send' && send.msg !== undefined) lines.push(['payload', compactJson(send.msg, 260)]);
      lines.push(['', 'click: options (drop it, go to it)']);
    } else if (hit.kind === 'event') {
      const e = model.events[hit.seq];
      title = `${e.kind} ${e.node >= 0 ? `at ${serverName(e.node)}` : '(cluster)'}`;
      lines.push(['time', `${formatTime(e.timeUs)} · event #${e.seq}`]);
      for (const key in e) {
        if (key === 'timeUs' || key === 'seq' || key === 'node' || key === 'kind') continue;
        lines.push([key, compactJson(e[key], 200)]);
      }
      lines.push(['', 'click: move the cursor here']);
    } else {
      const op = hit.op;
      title = `client ${op.client}: ${op.f}`;
      lines.push(['request', compactJson(op.value, 160)]);
      lines.push(['server', serverName(op.server)]);
      lines.push(['invoked', formatTime(op.invokeUs)]);
      lines.push(['result', op.result === undefined ? 'pending' : `${op.result}${op.output !== undefined ? ` → ${compactJson(op.output, 120)}` : ''}`]);
      if (op.completeUs !== undefined) lines.push(['took', formatTime(op.completeUs - op.invokeUs)]);
      if (op.readMode) lines.push(['read mode', READ_MODE_LABELS[op.readMode] ?? op.readMode]);
    }
    const head = document.createElement('div');
    head.className = 'tt-title';
    head.textContent = title;
    const table = document.createElement('div');
    table.className = 'tt-body';
    for (const [k, v] of lines) {
      const row = document.createElement('div');
      const kEl = document.createElement('span');
      kEl.className = 'tt-key';
      kEl.textContent = k;
      const vEl = document.createElement('span');
      vEl.textContent = v;
      row.append(kEl, vEl);
      table.append(row);
    }
    return [head, table];
  }

  private onClick(e: MouseEvent): void {
    const model = this.model;
    if (!model) return;
    const rect = this.overlay.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const hit = this.hitTest(px, py);
    if (hit?.kind === 'message') {
      // The menu opened by this click must not be closed by the same click reaching the document.
      e.stopPropagation();
      this.selectMessage(hit.index);
      this.options.onMessageClick?.(hit.index, e.clientX, e.clientY);
      return;
    }
    if (hit?.kind === 'event') {
      this.options.onCursor?.(hit.seq);
      return;
    }
    if (hit?.kind === 'op') {
      this.options.onOpClick?.(hit.op);
      return;
    }
    if (px < MARGIN.left) return;
    const v = this.x.invert(px);
    const seq = this.mode === 'time' ? model.seqAtTime(v) : clamp(Math.round(v), 0, model.length - 1);
    this.options.onCursor?.(seq);
  }

  /** The x of an event (for tests and the walkthrough's pointer). */
  xOfSeq(seq: number): number {
    const model = this.model;
    if (!model) return 0;
    return this.xv(model.eventTime[seq], seq);
  }

  /** The x of a (time, event) position in the current axis mode. */
  xOfTime(us: number, seq: number): number {
    return this.xv(us, seq);
  }

  /** The plot area's left and right x (labels left of it). */
  plotExtent(): [number, number] {
    return [MARGIN.left, this.width - MARGIN.right];
  }

  laneYOf(node: number): number {
    return this.laneY[node] ?? 0;
  }
}

/** Tick labels at the precision the tick step needs: "25 ms", "25.5 ms", "1.25 s". */
function formatTick(us: number, stepUs: number): string {
  const digits = (unit: number) => Math.max(0, Math.min(6, Math.ceil(-Math.log10(stepUs / unit) - 1e-9)));
  if (Math.abs(us) >= 1_000_000 || stepUs >= 1_000_000) return `${(us / 1_000_000).toFixed(digits(1_000_000))} s`;
  if (Math.abs(us) >= 1000 || stepUs >= 1000) return `${(us / 1000).toFixed(digits(1000))} ms`;
  return `${Math.round(us)} µs`;
}

function groupsFromCuts(cuts: [number, number][], servers: number): number[][] {
  // Undirected components of the "still connected" graph.
  const cut = new Set(cuts.map(([a, b]) => `${a}>${b}`));
  const seen = new Set<number>();
  const groups: number[][] = [];
  for (let s = 0; s < servers; s++) {
    if (seen.has(s)) continue;
    const group: number[] = [];
    const stack = [s];
    seen.add(s);
    while (stack.length) {
      const a = stack.pop()!;
      group.push(a);
      for (let b = 0; b < servers; b++) {
        if (seen.has(b) || cut.has(`${a}>${b}`) || cut.has(`${b}>${a}`)) continue;
        seen.add(b);
        stack.push(b);
      }
    }
    groups.push(group.sort((x, y) => x - y));
  }
  return groups;
}

const hatchCache = new Map<string, CanvasPattern | string>();

function hatch(ctx: CanvasRenderingContext2D, a: string, b: string): CanvasPattern | string {
  const key = a + b;
  const cached = hatchCache.get(key);
  if (cached) return cached;
  const c = document.createElement('canvas');
  c.width = 8;
  c.height = 8;
  const g = c.getContext('2d')!;
  g.fillStyle = a;
  g.fillRect(0, 0, 8, 8);
  g.strokeStyle = b;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(0, 8);
  g.lineTo(8, 0);
  g.moveTo(-2, 2);
  g.lineTo(2, -2);
  g.moveTo(6, 10);
  g.lineTo(10, 6);
  g.stroke();
  const pattern = ctx.createPattern(c, 'repeat') ?? a;
  hatchCache.set(key, pattern);
  return pattern;
}

function arrowHead(ctx: CanvasRenderingContext2D, xa: number, ya: number, xb: number, yb: number, size: number): void {
  const angle = Math.atan2(yb - ya, xb - xa);
  ctx.moveTo(xb, yb);
  ctx.lineTo(xb - size * Math.cos(angle - 0.4), yb - size * Math.sin(angle - 0.4));
  ctx.lineTo(xb - size * Math.cos(angle + 0.4), yb - size * Math.sin(angle + 0.4));
  ctx.closePath();
}

function star(ctx: CanvasRenderingContext2D, cx: number, cy: number, outer: number, inner: number): void {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    ctx.lineTo(cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  ctx.closePath();
}

function segmentDistance(px: number, py: number, xa: number, ya: number, xb: number, yb: number): number {
  const dx = xb - xa;
  const dy = yb - ya;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : clamp(((px - xa) * dx + (py - ya) * dy) / len2, 0, 1);
  return Math.hypot(px - (xa + t * dx), py - (ya + t * dy));
}

/** A vertical line at x from y0 to y1 (dashed if `dash` is not empty). */
function verticalRule(ctx: CanvasRenderingContext2D, x: number, y0: number, y1: number, color: string, width: number, dash: number[]): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(x, y0);
  ctx.lineTo(x, y1);
  ctx.stroke();
  ctx.setLineDash([]);
}

/** `text`, cut with an ellipsis to fit `width` px in the context's current font. */
function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

export function opLabel(op: ClientOp): string {
  const v = op.value as Record<string, unknown> | undefined;
  const path = v && typeof v === 'object' && typeof v.path === 'string' ? v.path : '';
  const short: Record<string, string> = { getData: 'get', setData: 'set', create: 'create', delete: 'del', exists: 'exists', getChildren: 'ls', sync: 'sync' };
  const res = op.result === 'ok' ? '✓' : op.result === 'fail' ? '✗' : op.result === 'info' ? '?' : '…';
  let out = '';
  if (op.output !== undefined && op.result === 'ok' && (op.f === 'getData' || op.f === 'read')) out = ` → ${compactJson(op.output, 16)}`;
  return `${short[op.f] ?? op.f} ${path}${out} ${res}`;
}

