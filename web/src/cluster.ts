/**
 * The cluster view: the servers in a ring at the cursor, as RaftScope draws them, but
 * drawn only from the trace (DESIGN.md "Traces") so that it is exactly what happened:
 * - each server in its role's colour, with its epoch (or ballot) and its last zxid (or
 *   slot); crashed servers grey and crossed out, paused ones faded with a ‖, the sides
 *   of a partition ringed in their own tint;
 * - each message in flight as a dot on the chord from sender to receiver, placed by
 *   time: it travels at the speed of its simulated latency; a dropped one stops where
 *   the diagram's ✕ is, close to the receiver;
 * - the next timer to fire on each server (an election's finalize wait, an election
 *   timeout, a tick deadline) as an arc that shrinks to its firing. The trace records
 *   when a timer fires, not when it was set: the arc runs from the previous firing of
 *   that timer (or the server's last role change) to the next one;
 * - during an election, each server's vote (ZAB) or promise (Paxos) as an arrow to its
 *   candidate, and a tally per candidate with a quorum line that lights up when one
 *   candidate reaches it.
 * Moving the cursor animates: the view's clock runs from the old cursor's time to the
 * new one, slowed down by a factor the learner picks, so messages visibly travel.
 */
import type { TraceModel } from './model.js';
import { MSG_DROPPED, MSG_IN_FLIGHT, BLOCK, firstAfter } from './model.js';
import type { NodeStates } from './nodestate.js';
import { ROLE_COLOR, roleFamily, serverName } from './format.js';
import { DROP_AT } from './diagram.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** At most this many message dots (a busy trace has hundreds in flight). */
const MAX_DOTS = 160;
const NODE_R = 23;
const TIMER_NAMES = /finalize|elect|tick/i;
/** The animation's slowdown choices: real milliseconds per simulated millisecond. */
export const CLUSTER_SPEEDS = [
  { label: 'instant', factor: 0 },
  { label: '1 ms = 50 ms', factor: 50 },
  { label: '1 ms = 200 ms', factor: 200 },
  { label: '1 ms = 1 s', factor: 1000 },
] as const;
/** One move of the cursor animates at most this long (ms), so stepping never waits. */
const MAX_ANIMATION_MS = 1500;

export interface ClusterOptions {
  onServerClick?: (node: number, anchor: HTMLElement) => void;
}

interface TimerFire {
  seq: number;
  timeUs: number;
  name: string;
  /** When it was (probably) set: the previous firing of the same timer, or the server's last role change. */
  fromUs: number;
  fromSeq: number;
}

interface NodeDom {
  /** What the node's text and colours were last drawn from. */
  sig: string;
  g: SVGGElement;
  halo: SVGCircleElement;
  body: SVGCircleElement;
  name: SVGTextElement;
  facts: SVGTextElement;
  role: SVGTextElement;
  arc: SVGPathElement;
  mark: SVGTextElement;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, cls?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  if (cls) e.setAttribute('class', cls);
  return e;
}

export class ClusterView {
  readonly root: HTMLDivElement;
  private readonly svgEl: SVGSVGElement;
  private readonly linksG: SVGGElement;
  private readonly votesG: SVGGElement;
  private readonly nodesG: SVGGElement;
  private readonly msgsG: SVGGElement;
  private readonly tallyG: SVGGElement;
  private readonly caption: HTMLDivElement;
  private nodes: NodeDom[] = [];
  private dots: SVGCircleElement[] = [];
  private drops: SVGTextElement[] = [];
  private arrows: SVGPathElement[] = [];
  private model?: TraceModel;
  private states?: NodeStates;
  private timers: TimerFire[][] = [];
  private width = 400;
  private height = 270;
  private pos: [number, number][] = [];
  private seq = 0;
  private prevSeq = 0;
  /** The view's clock (µs) and its animation toward the cursor's time. */
  private clockUs = 0;
  private animFromUs = 0;
  private animToUs = 0;
  private animStart = 0;
  private animMs = 0;
  private animating = false;
  private framePending = false;
  /** Real ms per simulated ms while animating (0: jump). */
  slowdown = 200;
  /** Shown messages at the last draw (tests, the benchmark). */
  shownMessages: number[] = [];
  /** The tally at the last draw: candidate → votes, and whether one reached the quorum. */
  tally: { candidate: number; votes: number }[] = [];
  quorumReached = -1;

  constructor(
    container: HTMLElement,
    private readonly options: ClusterOptions = {},
  ) {
    this.root = document.createElement('div');
    this.root.className = 'cluster-view';
    this.svgEl = svg('svg', 'cluster-svg');
    this.svgEl.setAttribute('role', 'img');
    this.svgEl.setAttribute('aria-label', 'the servers at the cursor, in a ring; dots are messages in flight');
    this.linksG = svg('g', 'cluster-links');
    this.votesG = svg('g', 'cluster-votes');
    this.msgsG = svg('g', 'cluster-msgs');
    this.nodesG = svg('g', 'cluster-nodes');
    this.tallyG = svg('g', 'cluster-tally');
    const defs = svg('defs');
    const marker = svg('marker');
    marker.id = 'cluster-arrow';
    for (const [k, v] of [['viewBox', '0 0 10 10'], ['refX', '9'], ['refY', '5'], ['markerWidth', '7'], ['markerHeight', '7'], ['orient', 'auto-start-reverse']]) marker.setAttribute(k, v);
    const tip = svg('path');
    tip.setAttribute('d', 'M 0 0 L 10 5 L 0 10 z');
    tip.setAttribute('fill', ROLE_COLOR.looking);
    marker.append(tip);
    defs.append(marker);
    this.svgEl.append(defs, this.linksG, this.votesG, this.msgsG, this.nodesG, this.tallyG);
    this.caption = document.createElement('div');
    this.caption.className = 'cluster-caption';
    this.root.append(this.svgEl, this.caption);
    container.append(this.root);
    new ResizeObserver(() => this.resize()).observe(this.root);
  }

  setRun(model: TraceModel, states: NodeStates): void {
    this.model = model;
    this.states = states;
    // The timers' index reads every event: after the first paint, so opening a big trace is not held up.
    this.timers = [];
    setTimeout(() => {
      if (this.model !== model) return;
      this.timers = indexTimers(model);
      this.request();
    }, 0);
    this.nodesG.replaceChildren();
    this.nodes = [];
    this.tallySig = '';
    for (let node = 0; node < model.servers; node++) this.nodes.push(this.nodeDom(node));
    this.layout();
    this.seq = 0;
    this.prevSeq = 0;
    this.clockUs = 0;
    this.animating = false;
    this.request();
  }

  /** Moves to event `seq`; `animate`: the clock runs there from the previous cursor, slowed down. */
  setCursor(seq: number, animate: boolean, budgetMs = MAX_ANIMATION_MS): void {
    const model = this.model;
    if (!model || model.length === 0) return;
    const toUs = model.eventTime[seq];
    const fromUs = this.animating ? this.clockUs : model.eventTime[this.seq] ?? 0;
    this.prevSeq = this.animating ? Math.min(this.prevSeq, this.seq) : this.seq;
    this.seq = seq;
    const ms = animate && this.slowdown > 0 && toUs > fromUs ? Math.min(budgetMs, MAX_ANIMATION_MS, ((toUs - fromUs) / 1000) * this.slowdown) : 0;
    if (ms >= 8) {
      this.animFromUs = fromUs;
      this.animToUs = toUs;
      this.animStart = performance.now();
      this.animMs = ms;
      this.animating = true;
      this.clockUs = fromUs;
    } else {
      this.animating = false;
      this.clockUs = toUs;
      this.prevSeq = seq;
    }
    this.request();
  }

  /** Draws now (benchmarks and tests). */
  renderNow(): void {
    this.draw();
  }

  private request(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame((now) => {
      this.framePending = false;
      if (this.animating) {
        const f = Math.min(1, (now - this.animStart) / this.animMs);
        this.clockUs = this.animFromUs + (this.animToUs - this.animFromUs) * f;
        if (f >= 1) {
          this.animating = false;
          this.prevSeq = this.seq;
        }
      }
      this.draw();
      if (this.animating) this.request();
    });
  }

  private resize(): void {
    const rect = this.root.getBoundingClientRect();
    if (rect.width < 50) return;
    this.width = Math.floor(rect.width);
    this.height = Math.max(220, Math.min(300, Math.round(this.width * (this.width < 380 ? 0.92 : 0.7))));
    this.layout();
    this.request();
  }

  private layout(): void {
    const n = this.model?.servers ?? 0;
    this.svgEl.setAttribute('viewBox', `0 0 ${this.width} ${this.height}`);
    this.svgEl.setAttribute('width', String(this.width));
    this.svgEl.setAttribute('height', String(this.height));
    this.svgEl.classList.toggle('narrow', this.width < 380);
    // The ring sits to the right; the tally has the left column.
    const tallyW = Math.min(130, this.width * 0.32);
    const cx = tallyW + (this.width - tallyW) / 2;
    const cy = this.height / 2 + 6;
    // Room above the top server for its self-vote loop, below the bottom ones for their facts.
    const r = Math.max(40, Math.min((this.width - tallyW) / 2 - NODE_R - 8, this.height / 2 - NODE_R - 30));
    this.pos = Array.from({ length: n }, (_, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
      return [cx + r * Math.cos(a), cy + r * Math.sin(a)] as [number, number];
    });
    this.nodes.forEach((d, i) => d.g.setAttribute('transform', `translate(${this.pos[i][0].toFixed(1)},${this.pos[i][1].toFixed(1)})`));
    this.linksG.replaceChildren();
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const line = svg('line', 'cluster-link');
        line.setAttribute('x1', this.pos[a][0].toFixed(1));
        line.setAttribute('y1', this.pos[a][1].toFixed(1));
        line.setAttribute('x2', this.pos[b][0].toFixed(1));
        line.setAttribute('y2', this.pos[b][1].toFixed(1));
        this.linksG.append(line);
      }
    }
  }

  private nodeDom(node: number): NodeDom {
    const g = svg('g', 'cluster-node');
    g.dataset.node = String(node);
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', `${serverName(node)}: faults`);
    const halo = svg('circle', 'cluster-halo');
    halo.setAttribute('r', String(NODE_R + 9));
    const arc = svg('path', 'cluster-timer');
    const body = svg('circle', 'cluster-body');
    body.setAttribute('r', String(NODE_R));
    const name = svg('text', 'cluster-name');
    name.setAttribute('text-anchor', 'middle');
    name.setAttribute('y', '1');
    name.textContent = serverName(node);
    const role = svg('text', 'cluster-role');
    role.setAttribute('text-anchor', 'middle');
    role.setAttribute('y', '13');
    const facts = svg('text', 'cluster-facts');
    facts.setAttribute('text-anchor', 'middle');
    facts.setAttribute('y', String(NODE_R + 15));
    const mark = svg('text', 'cluster-mark');
    mark.setAttribute('text-anchor', 'middle');
    mark.setAttribute('y', '9');
    const title = svg('title');
    title.textContent = `${serverName(node)} — click: crash, restart, pause or partition it at the cursor`;
    g.append(title, halo, arc, body, name, role, mark, facts);
    const open = (e: Event) => {
      e.stopPropagation();
      this.options.onServerClick?.(node, g as unknown as HTMLElement);
    };
    g.addEventListener('click', open);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open(e);
      }
    });
    this.nodesG.append(g);
    return { sig: '', g, halo, body, name, facts, role, arc, mark };
  }

  /** Drawing time since the last call, in ms (the benchmark's frame accounting). */
  takeDrawMs(): number {
    const ms = this.drawMs;
    this.drawMs = 0;
    return ms;
  }

  private drawMs = 0;

  private draw(): void {
    const started = performance.now();
    this.drawFrame();
    this.drawMs += performance.now() - started;
  }

  private drawFrame(): void {
    const model = this.model;
    const states = this.states;
    if (!model || !states || model.length === 0) return;
    const seq = this.seq;
    const t = this.clockUs;
    const paxos = model.protocol === 'paxos';
    const partition = model.partitions.find((p) => p.startSeq <= seq && seq < p.endSeq);
    const groupOf = new Map<number, number>();
    partition?.groups?.forEach((g, gi) => g.forEach((node) => groupOf.set(node, gi)));
    let electing = false;
    const votes: number[] = [];
    for (let node = 0; node < model.servers; node++) {
      const f = states.fieldsAt(node, seq);
      const status = String(f.status ?? 'up');
      const role = status === 'down' ? 'DOWN' : String(f.role ?? '');
      const fam = status === 'down' ? 'down' : roleFamily(role);
      if (fam === 'looking') electing = true;
      const d = this.nodes[node];
      const epoch = paxos ? f.ballot : f.currentEpoch ?? f.acceptedEpoch;
      const last = states.lastLabelAt(node, seq);
      const gi = groupOf.get(node);
      // Scrubbing redraws every frame: touch the DOM only where something changed.
      const sig = `${role}|${status}|${String(epoch)}|${last}|${String(gi)}`;
      if (d.sig !== sig) {
        d.sig = sig;
        d.g.dataset.role = role;
        d.g.dataset.status = status;
        d.body.style.fill = ROLE_COLOR[fam];
        d.body.style.opacity = status === 'paused' ? '0.45' : '1';
        d.role.textContent = role === 'DOWN' ? 'down' : role.toLowerCase();
        d.mark.textContent = status === 'down' ? '✕' : status === 'paused' ? '‖' : '';
        d.facts.textContent = `${paxos ? 'ballot' : 'epoch'} ${String(epoch ?? 0)} · ${last || (paxos ? 'no slot' : '0:0')}`;
        d.halo.style.display = gi === undefined ? 'none' : '';
        if (gi !== undefined) d.halo.style.stroke = GROUP_TINTS[gi % GROUP_TINTS.length];
      }
      this.drawTimer(d, node, seq, t);
      votes.push(status === 'down' ? -1 : candidateOf(f, paxos, model.servers));
    }
    this.drawVotes(electing ? votes : []);
    this.drawTally(electing ? votes : [], model.servers, paxos);
    this.drawMessages(model, seq, t);
    const caption = electing ? (paxos ? 'arrows: whose ballot each server has promised' : 'arrows: whom each server votes for') : partition ? 'ringed: the sides of a partition' : '';
    if (this.caption.textContent !== caption) this.caption.textContent = caption;
  }

  private drawTimer(d: NodeDom, node: number, seq: number, t: number): void {
    const list = this.timers[node] ?? [];
    // The first firing after the cursor whose (estimated) setting is at or before it.
    const lo = firstAfter(list.length, (i) => list[i].seq, seq);
    let fire: TimerFire | undefined;
    for (let i = lo; i < list.length && i < lo + 4; i++) {
      if (list[i].fromSeq <= seq) {
        fire = list[i];
        break;
      }
    }
    if (!fire || fire.timeUs <= fire.fromUs) {
      d.arc.setAttribute('d', '');
      d.g.dataset.timer = '';
      return;
    }
    const left = Math.max(0, Math.min(1, (fire.timeUs - t) / (fire.timeUs - fire.fromUs)));
    d.arc.setAttribute('d', arcPath(NODE_R + 5, left));
    if (d.g.dataset.timer !== fire.name) {
      d.arc.setAttribute('class', `cluster-timer ${/tick/i.test(fire.name) ? 'tick' : 'election'}`);
      d.g.dataset.timer = fire.name;
    }
  }

  private drawVotes(votes: number[]): void {
    let k = 0;
    votes.forEach((to, from) => {
      if (to < 0 || to >= this.pos.length) return;
      const path = pooled(this.arrows, k++, this.votesG, () => {
        const p = svg('path', 'cluster-vote');
        p.setAttribute('marker-end', 'url(#cluster-arrow)');
        return p;
      });
      path.dataset.from = String(from);
      path.dataset.to = String(to);
      const [x1, y1] = this.pos[from];
      if (to === from) {
        // A vote for itself: a small loop above the server.
        path.setAttribute('d', `M ${x1 - 8} ${y1 - NODE_R} C ${x1 - 22} ${y1 - NODE_R - 26}, ${x1 + 22} ${y1 - NODE_R - 26}, ${x1 + 8} ${y1 - NODE_R - 2}`);
        return;
      }
      const [x2, y2] = this.pos[to];
      const dx = x2 - x1;
      const dy = y2 - y1;
      const len = Math.hypot(dx, dy) || 1;
      const ux = dx / len;
      const uy = dy / len;
      const sx = x1 + ux * (NODE_R + 2);
      const sy = y1 + uy * (NODE_R + 2);
      const ex = x2 - ux * (NODE_R + 6);
      const ey = y2 - uy * (NODE_R + 6);
      // Bent a little to the side, so two servers voting for each other show two arrows.
      const mx = (sx + ex) / 2 - uy * 14;
      const my = (sy + ey) / 2 + ux * 14;
      path.setAttribute('d', `M ${sx.toFixed(1)} ${sy.toFixed(1)} Q ${mx.toFixed(1)} ${my.toFixed(1)} ${ex.toFixed(1)} ${ey.toFixed(1)}`);
    });
    for (let i = k; i < this.arrows.length; i++) this.arrows[i].style.display = 'none';
  }

  private tallySig = '';

  private drawTally(votes: number[], servers: number, paxos: boolean): void {
    const counts = new Map<number, number>();
    for (const v of votes) if (v >= 0) counts.set(v, (counts.get(v) ?? 0) + 1);
    this.tally = [...counts].map(([candidate, n]) => ({ candidate, votes: n })).sort((a, b) => b.votes - a.votes || a.candidate - b.candidate);
    const quorum = Math.floor(servers / 2) + 1;
    this.quorumReached = this.tally.find((x) => x.votes >= quorum)?.candidate ?? -1;
    const sig = `${this.width}|${this.tally.map((x) => `${x.candidate}:${x.votes}`).join(',')}`;
    if (sig === this.tallySig) return;
    this.tallySig = sig;
    this.tallyG.replaceChildren();
    if (this.tally.length === 0) return;
    const x0 = 10;
    const unit = Math.min(16, (Math.min(130, this.width * 0.32) - 58) / servers);
    const title = svg('text', 'cluster-tally-title');
    title.setAttribute('x', String(x0));
    title.setAttribute('y', '16');
    title.textContent = paxos ? 'promises' : 'votes';
    this.tallyG.append(title);
    const qx = x0 + 30 + quorum * unit;
    this.tally.slice(0, 6).forEach((row, i) => {
      const y = 28 + i * 20;
      const label = svg('text', 'cluster-tally-name');
      label.setAttribute('x', String(x0));
      label.setAttribute('y', String(y + 11));
      label.textContent = serverName(row.candidate);
      const bar = svg('rect', `cluster-tally-bar${row.votes >= quorum ? ' reached' : ''}`);
      bar.setAttribute('x', String(x0 + 30));
      bar.setAttribute('y', String(y + 1));
      bar.setAttribute('height', '13');
      bar.setAttribute('width', String(row.votes * unit));
      bar.dataset.candidate = String(row.candidate);
      bar.dataset.votes = String(row.votes);
      const n = svg('text', 'cluster-tally-count');
      n.setAttribute('x', String(x0 + 34 + Math.max(row.votes, quorum) * unit));
      n.setAttribute('y', String(y + 11));
      n.textContent = String(row.votes);
      this.tallyG.append(label, bar, n);
    });
    const rows = Math.min(6, this.tally.length);
    const line = svg('line', `cluster-quorum${this.quorumReached >= 0 ? ' reached' : ''}`);
    line.setAttribute('x1', String(qx));
    line.setAttribute('x2', String(qx));
    line.setAttribute('y1', '22');
    line.setAttribute('y2', String(30 + rows * 20));
    const q = svg('text', `cluster-quorum-label${this.quorumReached >= 0 ? ' reached' : ''}`);
    q.setAttribute('x', String(qx - 4));
    q.setAttribute('y', String(44 + rows * 20));
    q.textContent = this.quorumReached >= 0 ? `quorum (${quorum}) for ${serverName(this.quorumReached)}` : `quorum: ${quorum} of ${servers}`;
    this.tallyG.append(line, q);
  }

  /**
   * The messages on the wire at the cursor: sent at or before it and not yet delivered
   * or dropped after it. While the clock animates toward the cursor, those the move
   * passes over are drawn too, each only between its send and its end.
   */
  private drawMessages(model: TraceModel, seq: number, t: number): void {
    const shown: number[] = [];
    const from = Math.min(this.prevSeq, seq);
    // Messages are added in send order; a block whose latest end is at or before `from` is over.
    const hiMsg = firstAfter(model.msgCount, (i) => model.mSendSeq[i], seq);
    for (let b = Math.floor((hiMsg - 1) / BLOCK); b >= 0 && shown.length < MAX_DOTS; b--) {
      if (model.blockMaxEndSeq[b] <= from) continue;
      const end = Math.min(hiMsg, (b + 1) * BLOCK);
      for (let m = end - 1; m >= b * BLOCK && shown.length < MAX_DOTS; m--) {
        // Settled (from = seq): exactly those still on the wire after the cursor; animating,
        // also those the move passes over, each between its send and its end in time.
        if (model.mSendSeq[m] > seq || model.mEndSeq[m] <= from || model.mFrom[m] === model.mTo[m]) continue;
        if (this.animating && (model.mSendUs[m] > t || model.mEndUs[m] < t)) continue;
        shown.push(m);
      }
    }
    this.shownMessages = shown;
    let dots = 0;
    let drops = 0;
    for (const m of shown) {
      const a = this.pos[model.mFrom[m]];
      const b = this.pos[model.mTo[m]];
      if (!a || !b) continue;
      const status = model.mStatus[m];
      const span = model.mEndUs[m] - model.mSendUs[m];
      let f = status === MSG_IN_FLIGHT || !Number.isFinite(span) ? 0.5 : span > 0 ? (t - model.mSendUs[m]) / span : 1;
      f = Math.max(0, Math.min(1, f));
      if (status === MSG_DROPPED) f *= DROP_AT;
      // From the edge of one circle to the edge of the other.
      const dx = b[0] - a[0];
      const dy = b[1] - a[1];
      const len = Math.hypot(dx, dy) || 1;
      const k = (NODE_R + (len - 2 * NODE_R) * f) / len;
      const x = a[0] + dx * k;
      const y = a[1] + dy * k;
      const dot = pooled(this.dots, dots++, this.msgsG, () => {
        const c = svg('circle', 'cluster-msg');
        c.setAttribute('r', '4.5');
        return c;
      });
      dot.setAttribute('cx', x.toFixed(1));
      dot.setAttribute('cy', y.toFixed(1));
      dot.style.fill = model.typeColor(model.mType[m]);
      dot.dataset.msg = String(m);
      dot.dataset.type = model.types[model.mType[m]];
      if (status === MSG_DROPPED && f >= DROP_AT - 1e-9) {
        const x2 = pooled(this.drops, drops++, this.msgsG, () => {
          const t = svg('text', 'cluster-drop');
          t.setAttribute('text-anchor', 'middle');
          t.textContent = '✕';
          return t;
        });
        x2.setAttribute('x', x.toFixed(1));
        x2.setAttribute('y', (y + 4).toFixed(1));
      }
    }
    for (let i = dots; i < this.dots.length; i++) this.dots[i].style.display = 'none';
    for (let i = drops; i < this.drops.length; i++) this.drops[i].style.display = 'none';
  }
}

const GROUP_TINTS = ['#ffb300', '#039be5', '#d81b60', '#43a047'];

/** The pool's element `i` (made and appended to `parent` when the pool is short), shown. */
function pooled<E extends SVGElement>(pool: E[], i: number, parent: SVGGElement, make: () => E): E {
  let e = pool[i];
  if (!e) {
    e = make();
    parent.append(e);
    pool.push(e);
  }
  e.style.display = '';
  return e;
}

/** A server's candidate: its ZAB vote, or the proposer of the Paxos ballot it promised (-1: none). */
function candidateOf(f: Record<string, unknown>, paxos: boolean, servers: number): number {
  if (paxos) {
    const b = Number(f.promised ?? 0);
    return b > 0 ? b % servers : -1;
  }
  const vote = f.vote as { leader?: unknown } | undefined;
  return vote && typeof vote.leader === 'number' ? vote.leader : -1;
}

/** An arc of `fraction` of a full circle of radius r, clockwise from the top. */
function arcPath(r: number, fraction: number): string {
  if (fraction <= 0) return '';
  if (fraction >= 0.999) return `M 0 ${-r} A ${r} ${r} 0 1 1 -0.01 ${-r}`;
  const a = -Math.PI / 2 + 2 * Math.PI * fraction;
  const x = r * Math.cos(a);
  const y = r * Math.sin(a);
  return `M 0 ${-r} A ${r} ${r} 0 ${fraction > 0.5 ? 1 : 0} 1 ${x.toFixed(2)} ${y.toFixed(2)}`;
}

/** Per server, the firings of the timers worth drawing, each with its estimated setting. */
function indexTimers(model: TraceModel): TimerFire[][] {
  const out: TimerFire[][] = Array.from({ length: model.servers }, () => []);
  const lastFire = new Map<string, number>();
  const lastChange: number[] = new Array<number>(model.servers).fill(0);
  for (let i = 0; i < model.length; i++) {
    const e = model.events[i];
    const node = e.node;
    if (node < 0 || node >= model.servers) continue;
    if (e.kind === 'state' || e.kind === 'restart' || e.kind === 'crash' || e.kind === 'resume') lastChange[node] = i;
    else if (e.kind === 'timer' && typeof e.name === 'string' && TIMER_NAMES.test(e.name)) {
      const key = `${node}/${e.name}`;
      const prev = lastFire.get(key);
      const fromSeq = Math.max(prev ?? 0, lastChange[node]);
      out[node].push({ seq: i, timeUs: e.timeUs, name: e.name, fromSeq, fromUs: model.eventTime[fromSeq] });
      lastFire.set(key, i);
    }
  }
  return out;
}
