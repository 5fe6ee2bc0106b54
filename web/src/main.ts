/**
 * The lab: wires the scenario picker, the simulator worker, the diagram, the state
 * panel, stepping, the guided walkthrough, fault injection, the side-by-side view and
 * the URL together.
 *
 * State lives in one place (`state`) and the URL mirrors it (scenario, seed, protocol,
 * injected faults, view, axis, cursor), so a link reproduces the view without any
 * server: the page re-runs the simulation, which is a pure function of those.
 */
import './style.css';
import type { Trace } from '../../sim/core/trace.js';
import { parseTraceFast, type ParsedTrace } from './traceio.js';
import type { FaultAction, Scenario } from '../../sim/scenario/types.js';
import type { ExplainedOp } from '../../sim/check/lin/explain.js';
import { TraceModel, nextIn, prevIn } from './model.js';
import { NodeStates } from './nodestate.js';
import { Diagram, type AxisMode } from './diagram.js';
import { StatePanel } from './statepanel.js';
import { CLUSTER_SPEEDS, ClusterView } from './cluster.js';
import { Narrator, type Narration } from './guide.js';
import { crashWalk, electionWalk, openingElection, type Walk } from './chapters.js';
import { Predictions } from './predict.js';
import { renderGuidePanel, stepKey } from './guideview.js';
import { renderVerdict } from './linview.js';
import { makeResizable } from './drawer.js';
import { SimWorker, type Progress, type RunSummary } from './protocol.js';
import { BranchPanel } from './branch.js';
import type { LinReport } from './lin.js';
import type { RecipeReport } from '../../sim/check/recipes.js';
import { describeReads } from '../../sim/scenario/reads.js';
import { SCENARIOS, findScenario, groupOf } from './scenarios.js';
import { base64urlDecode, base64urlEncode, cursorAtMs, decodeFaults, describeFault, encodeFaults, exportScenario, withFaults } from './faults.js';
import { PHASE_LABEL, PHASE_ORDER, ROLE_COLOR, clamp, formatTime, serverName, typeStyle, usToMs, type Phase } from './format.js';
import { byId, button, collapseToggle, download, el, toast } from './dom.js';
import { expectationHeadline, expectationLines, livenessLine } from './verdicts.js';
import { PlotsStrip, availabilityLines } from './runplots.js';
import { RecipeLane } from './recipelane.js';
import { recipeFromTrace, type RecipeTraceReport } from '../../sim/scenario/recipe-report.js';

type View = 'explore' | 'guide' | 'side';

interface Run {
  model: TraceModel;
  states: NodeStates;
  narrator: Narrator;
  /** Walkthrough steps, computed when guided mode first needs them (see walkOf). */
  walk: number[];
  /** The chaptered walkthrough on screen (see guideWalk). */
  chapters?: Walk;
  protocol: string;
  summary?: RunSummary;
  lin?: LinReport;
  /** The recipe's histories and verdict, rebuilt from the trace (null: no recipe; undefined: not yet computed). */
  recipe?: RecipeTraceReport | null;
  runMs?: number;
  /** For trace files: the text (the worker re-checks the history from it). */
  traceText?: string;
  fileName?: string;
}

interface State {
  /** Bundled scenario name, "custom" (opened / from the URL) or "file" (a trace file). */
  scenarioName: string;
  scenario?: Scenario;
  seed: number;
  protocol: string;
  injected: FaultAction[];
  view: View;
  axis: AxisMode;
  /** URL of a trace to fetch (zablab view). */
  traceUrl?: string;
}

/** The keys that jump to the next (Shift: previous) event of a kind. */
const JUMP_KEYS: Readonly<Record<string, string>> = { e: 'election', l: 'leader', c: 'commit', f: 'fault', v: 'violation' };

const SPEEDS = [1, 2, 5, 10, 25, 60, 200, 1000];
/** A cursor move of at most this many events (a step, a folded walkthrough step) animates in the cluster view. */
const STEP_ANIMATION_EVENTS = 60;
/** While the scrubber is dragged, logs and trees refresh once it rests this long (ms). */
const PANEL_REST_MS = 120;

/** Measurements the benchmark reads (test/bench/web.ts). */
const perf = {
  openMs: 0,
  opened: 0,
  /** From a file handed to the page to its hash and history verdict shown (computed in the worker). */
  verifyMs: 0,
  verified: 0,
  /** Diagram drawing time since the last call, in ms. */
  takeDrawMs: () => app.takeDrawMs(),
};
(window as unknown as { zablabPerf: typeof perf }).zablabPerf = perf;

class App {
  private readonly state: State = { scenarioName: SCENARIOS[0]?.name ?? 'custom', seed: 1, protocol: 'paxos', injected: [], view: 'explore', axis: 'time' };
  private readonly workers: SimWorker[] = [];
  private protocols: string[] = [];
  private run?: Run;
  private side: Partial<Record<'zab' | 'paxos', Run | { error: string }>> = {};
  private diagrams: Diagram[] = [];
  private cursor = 0;
  /** Side-by-side cursor: a time in µs. */
  private sideTimeUs = 0;
  private playing = false;
  private speed = 10;
  private playAccum = 0;
  private lastFrame = 0;
  private readonly statePanel: StatePanel;
  /** "Choose the next event": the run branched by hand (branch.ts). */
  private readonly branch: BranchPanel;
  /** Latency, throughput and fault plots under the diagram; hovering a point moves the cursor to its invocation. */
  private readonly plots = new PlotsStrip(byId('stage-row'), (_series, op) => {
    if (this.state.view === 'side') this.setSideTime(op.invokeUs);
    else this.setCursor(op.invokeSeq, true);
  });
  /** The recipe lane, right under the diagram (placed after the plots strip, so it sits above it). */
  private readonly recipeLane = new RecipeLane(byId('stage-row'), (us) => {
    if (this.run && this.state.view !== 'side') this.setCursor(this.run.model.firstSeqAtOrAfter(us), true);
  });
  private sideStatePanels: StatePanel[] = [];
  private urlTimer: number | undefined;
  private runToken = 0;
  private customName = 'custom';

  private readonly cluster: ClusterView;
  private clusterOn = true;
  private readonly predictions = new Predictions();
  /** The walkthrough step whose question is on screen. */
  private asking: number | undefined;
  private guideResult: { right: boolean; question: import('./chapters.js').Question; choice: number } | undefined;

  constructor() {
    this.statePanel = new StatePanel(byId('state-panel'));
    this.branch = new BranchPanel(byId('branch-panel'), {
      next: (schedule) => this.worker().next({ ...withFaults(this.state.scenario!, this.state.seed, this.state.injected), schedule: [...schedule] }, this.state.seed, this.state.protocol),
      rerun: (schedule, cursor) => (schedule === undefined ? this.runCurrent(this.cursorTimeUs()) : this.runCurrent(undefined, cursor)),
      cursorTimeUs: () => this.cursorTimeUs(),
      exportRun: () => this.exportScenario(),
    });
    this.cluster = new ClusterView(byId('cluster-host'), { onServerClick: (node, anchor) => this.serverMenu(node, anchor, 0) });
    this.buildStatic();
    this.buildClusterControls();
  }

  private buildClusterControls(): void {
    const speed = byId<HTMLSelectElement>('cluster-speed');
    for (const s of CLUSTER_SPEEDS) {
      const o = el('option', undefined, s.label);
      o.value = String(s.factor);
      speed.append(o);
    }
    speed.value = String(this.cluster.slowdown);
    speed.addEventListener('change', () => {
      this.cluster.slowdown = Number(speed.value);
    });
    const toggle = byId<HTMLButtonElement>('cluster-toggle');
    toggle.addEventListener('click', () => {
      this.clusterOn = !this.clusterOn;
      byId('cluster-host').hidden = !this.clusterOn;
      toggle.textContent = this.clusterOn ? '▾ hide' : '▸ show';
      toggle.setAttribute('aria-expanded', String(this.clusterOn));
      if (this.clusterOn && this.run) this.cluster.setCursor(this.cursor, false);
    });
  }

  private worker(i = 0): SimWorker {
    while (this.workers.length <= i) this.workers.push(new SimWorker());
    return this.workers[i];
  }

  // ------------------------------------------------------------------ setup

  private buildStatic(): void {
    const select = byId<HTMLSelectElement>('scenario-select');
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const s of SCENARIOS) {
      const label = groupOf(s.name);
      let g = groups.get(label);
      if (!g) {
        g = el('optgroup');
        g.label = label;
        groups.set(label, g);
        select.append(g);
      }
      const o = el('option', undefined, s.scenario ? `${s.scenario.title}` : `${s.name} (invalid)`);
      o.value = s.name;
      o.title = s.name;
      g.append(o);
    }
    select.addEventListener('change', () => {
      const chosen = findScenario(select.value);
      if (!chosen?.scenario) return;
      this.state.scenarioName = chosen.name;
      this.state.scenario = chosen.scenario;
      this.state.injected = [];
      this.state.traceUrl = undefined;
      const protocols = chosen.scenario.protocols ?? ['zab'];
      if (!protocols.includes(this.state.protocol as 'zab')) {
        const available = protocols.find((p) => this.protocols.includes(p));
        if (available) this.state.protocol = available;
      }
      this.syncControls();
      void this.runCurrent(0);
    });
    const seed = byId<HTMLInputElement>('seed-input');
    seed.addEventListener('change', () => {
      const v = Number(seed.value);
      if (!Number.isInteger(v) || v < 0) {
        toast('The seed is a non-negative integer.', 'error');
        seed.value = String(this.state.seed);
        return;
      }
      this.state.seed = v;
      void this.runCurrent(0);
    });
    byId<HTMLSelectElement>('protocol-select').addEventListener('change', (e) => {
      this.state.protocol = (e.target as HTMLSelectElement).value;
      void this.runCurrent(0);
    });
    byId('run-btn').addEventListener('click', () => void this.runCurrent(this.cursorTimeUs()));
    byId('open-btn').addEventListener('click', () => byId<HTMLInputElement>('file-input').click());
    byId<HTMLInputElement>('file-input').addEventListener('change', (e) => {
      const input = e.target as HTMLInputElement;
      const file = input.files?.[0];
      if (file) void this.openFile(file);
      input.value = '';
    });
    for (const b of document.querySelectorAll<HTMLButtonElement>('.views button')) {
      b.addEventListener('click', () => this.setView(b.dataset.view as View));
    }
    byId('share-btn').addEventListener('click', () => void this.copyLink());
    byId('export-btn').addEventListener('click', () => this.exportScenario());
    byId('help-btn').addEventListener('click', () => this.toggleHelp());
    for (const b of document.querySelectorAll<HTMLButtonElement>('.transport [data-act]')) {
      b.addEventListener('click', () => this.act(b.dataset.act!));
    }
    for (const b of document.querySelectorAll<HTMLButtonElement>('.transport [data-axis]')) {
      b.addEventListener('click', () => this.setAxis(b.dataset.axis as AxisMode));
    }
    const speed = byId<HTMLSelectElement>('speed-select');
    for (const s of SPEEDS) {
      const o = el('option', undefined, `${s} ev/s`);
      o.value = String(s);
      speed.append(o);
    }
    speed.value = String(this.speed);
    speed.addEventListener('change', () => {
      this.speed = Number(speed.value);
    });
    const scrubber = byId<HTMLInputElement>('scrubber');
    scrubber.addEventListener('input', () => {
      if (this.state.view === 'side') this.setSideTime(Number(scrubber.value));
      else this.setCursor(Number(scrubber.value), true, true);
    });
    makeResizable(byId('drawer'), byId('drawer-handle'), document.querySelector<HTMLElement>('.stage')!);
    byId('drawer-close').addEventListener('click', () => {
      byId('drawer').hidden = true;
    });
    document.addEventListener('keydown', (e) => this.onKey(e));
    document.addEventListener('click', (e) => {
      const pop = byId('popover');
      if (!pop.hidden && !pop.contains(e.target as Node)) pop.hidden = true;
    });
    // Drag and drop anywhere.
    const zone = byId('dropzone');
    let depth = 0;
    window.addEventListener('dragenter', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      depth++;
      zone.hidden = false;
    });
    window.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.hidden = true;
    });
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      zone.hidden = true;
      const file = e.dataTransfer?.files[0];
      if (file) void this.openFile(file);
    });
    window.addEventListener('hashchange', () => {
      if (location.hash !== this.lastHash) void this.loadFromUrl();
    });
    this.renderKeys();
  }

  async start(): Promise<void> {
    try {
      this.protocols = await this.worker().protocols();
    } catch (error) {
      toast(`The simulator could not start: ${(error as Error).message}`, 'error', 20000);
      return;
    }
    await this.loadFromUrl();
  }

  // ------------------------------------------------------------------ URL

  private lastHash = '';

  private async loadFromUrl(): Promise<void> {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const view = params.get('v');
    if (view === 'explore' || view === 'guide' || view === 'side') this.state.view = view;
    // A teacher's link can switch the prediction prompts off (q=0) or on (q=1) for this visit.
    const prompts = params.get('q');
    if (prompts === '0' || prompts === '1') this.predictions.setEnabled(prompts === '1', false);
    const axis = params.get('x');
    if (axis === 'time' || axis === 'steps') this.state.axis = axis;
    const seed = params.get('seed');
    if (seed !== null && /^\d+$/.test(seed)) this.state.seed = Number(seed);
    const protocol = params.get('p');
    if (protocol) this.state.protocol = protocol;
    const cursor = params.get('c');
    const cursorValue = cursor !== null && /^\d+$/.test(cursor) ? Number(cursor) : undefined;
    try {
      this.state.injected = params.get('f') ? decodeFaults(params.get('f')!) : [];
    } catch (error) {
      toast(`The link's faults are unreadable: ${(error as Error).message}`, 'error');
      this.state.injected = [];
    }
    const traceUrl = params.get('trace');
    if (traceUrl) {
      this.state.traceUrl = traceUrl;
      await this.fetchTrace(traceUrl, cursorValue);
      return;
    }
    const custom = params.get('sc');
    if (custom) {
      try {
        this.state.scenario = JSON.parse(base64urlDecode(custom)) as Scenario;
        this.state.scenarioName = 'custom';
        this.customName = params.get('name') ?? 'custom';
      } catch (error) {
        toast(`The link's scenario is unreadable: ${(error as Error).message}`, 'error');
      }
    } else {
      const name = params.get('s') ?? this.defaultScenario();
      const found = findScenario(name);
      if (found?.scenario) {
        this.state.scenarioName = found.name;
        this.state.scenario = found.scenario;
      } else {
        toast(`No scenario named “${name}” in this build.`, 'error');
        const first = SCENARIOS.find((s) => s.scenario);
        if (first) {
          this.state.scenarioName = first.name;
          this.state.scenario = first.scenario;
        }
      }
    }
    if (!params.get('p') && this.state.scenario) {
      const preferred = (this.state.scenario.protocols ?? ['zab']).find((p) => this.protocols.includes(p));
      if (preferred) this.state.protocol = preferred;
    }
    this.syncControls();
    this.applyViewClasses();
    await this.runCurrent(undefined, cursorValue);
  }

  private defaultScenario(): string {
    return SCENARIOS.find((s) => s.name === 'lab/three-histories')?.name ?? SCENARIOS[0]?.name ?? '';
  }

  private urlParams(): URLSearchParams {
    const p = new URLSearchParams();
    if (this.state.traceUrl) p.set('trace', this.state.traceUrl);
    else if (this.state.scenarioName === 'custom' || this.state.scenarioName === 'file') {
      if (this.state.scenario) {
        p.set('sc', base64urlEncode(JSON.stringify(this.state.scenario)));
        if (this.customName !== 'custom') p.set('name', this.customName);
      }
    } else p.set('s', this.state.scenarioName);
    if (!this.state.traceUrl) {
      p.set('seed', String(this.state.seed));
      p.set('p', this.state.protocol);
      if (this.state.injected.length > 0) p.set('f', encodeFaults(this.state.injected));
    }
    if (this.state.view !== 'explore') p.set('v', this.state.view);
    if (this.state.axis !== 'time') p.set('x', this.state.axis);
    p.set('c', String(this.state.view === 'side' ? this.sideTimeUs : this.cursor));
    return p;
  }

  /** The URL follows the view, once the cursor rests (replaceState is not free with a long URL). */
  private updateUrl(): void {
    if (this.urlTimer !== undefined) window.clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(() => {
      this.urlTimer = undefined;
      const hash = '#' + this.urlParams().toString().replace(/%40/g, '@').replace(/%7E/g, '~');
      if (hash === this.lastHash) return;
      this.lastHash = hash;
      history.replaceState(null, '', hash);
    }, 250);
  }

  private async copyLink(): Promise<void> {
    const hash = '#' + this.urlParams().toString().replace(/%40/g, '@').replace(/%7E/g, '~');
    this.lastHash = hash;
    history.replaceState(null, '', hash);
    try {
      await navigator.clipboard.writeText(location.href);
      toast('Link copied: it reproduces this view (scenario, seed, protocol, faults, cursor).');
    } catch {
      toast('The address bar now holds the link to this view.');
    }
  }

  // ------------------------------------------------------------------ running

  private busy(text: string | undefined): void {
    byId('busy').hidden = text === undefined;
    if (text !== undefined) byId('busy-text').textContent = text;
  }

  private scenarioLabel(): string {
    if (this.state.scenarioName === 'custom' || this.state.scenarioName === 'file') return this.customName;
    return this.state.scenarioName;
  }

  /** Runs the current scenario; keeps the cursor at `keepTimeUs` or at event `cursor`. */
  async runCurrent(keepTimeUs?: number, cursor?: number): Promise<void> {
    const scenario = this.state.scenario;
    if (!scenario) return;
    this.state.traceUrl = undefined;
    const token = ++this.runToken;
    this.pause();
    if (this.state.view === 'side') {
      await this.runSide(token, keepTimeUs ?? cursor);
      return;
    }
    if (!this.protocols.includes(this.state.protocol)) {
      toast(`Protocol “${this.state.protocol}” is not available in this build (available: ${this.protocols.join(', ')}).`, 'error');
      this.state.protocol = this.protocols[0] ?? 'paxos';
      this.syncControls();
    }
    this.busy(`Simulating ${scenario.title} on ${this.state.protocol}, seed ${this.state.seed}…`);
    try {
      const run = await this.simulate(0, this.state.protocol);
      if (token !== this.runToken) return;
      this.run = run;
      this.installRun(keepTimeUs, cursor);
    } catch (error) {
      if (token === this.runToken) toast(`Could not run the scenario: ${(error as Error).message}`, 'error', 12000);
    } finally {
      if (token === this.runToken) this.busy(undefined);
    }
  }

  private async simulate(workerIndex: number, protocol: string): Promise<Run> {
    const scenario = withFaults(this.state.scenario!, this.state.seed, this.state.injected);
    // A branch made on another scenario, seed, protocol or set of faults is dropped; an active one is the run's schedule.
    this.branch.checkOrigin(`${this.scenarioLabel()}|${this.state.seed}|${protocol}|${JSON.stringify(this.state.injected)}`);
    const schedule = this.branch.schedule();
    if (schedule !== undefined) scenario.schedule = schedule;
    const reply = await this.worker(workerIndex).run(scenario, this.scenarioLabel(), this.state.seed, protocol);
    // The worker wrote the JSON itself: parse without re-validating (readTrace is for files).
    const doc = JSON.parse(reply.traceJson) as Trace;
    const model = new TraceModel({ meta: doc.meta, events: doc.events, hash: doc.hash });
    const states = new NodeStates(model);
    const narrator = new Narrator(model, states);
    return { model, states, narrator, walk: [], protocol, summary: reply.summary, lin: reply.lin, runMs: reply.runMs };
  }

  private installRun(keepTimeUs?: number, cursor?: number): void {
    const run = this.run!;
    this.mountDiagrams();
    const d = this.diagrams[0];
    d.setModel(run.model);
    d.setAxisMode(this.state.axis);
    this.cluster.setRun(run.model, run.states);
    const scrubber = byId<HTMLInputElement>('scrubber');
    scrubber.max = String(Math.max(0, run.model.length - 1));
    scrubber.step = '1';
    this.initialView(d, run.model);
    let seq = 0;
    this.asking = undefined;
    this.guideResult = undefined;
    this.predictions.newWalk();
    if (cursor !== undefined) seq = clamp(cursor, 0, run.model.length - 1);
    else if (keepTimeUs !== undefined && keepTimeUs > 0) seq = run.model.seqAtTime(keepTimeUs);
    else if (this.state.view === 'guide') seq = this.walkOf(run)[0] ?? 0;
    this.renderStory();
    this.renderLegend();
    this.renderChecks();
    this.renderFaults();
    this.branch.render();
    this.plots.show([{ label: run.protocol === 'zab' ? 'ZAB' : 'Paxos', events: run.model.events }]);
    this.recipeLane.show(this.recipeOf(run) ?? undefined, run.summary?.simTimeUs ?? run.model.endUs, {
      xOf: (us) => d.xOfTime(us, run.model.seqAtTime(us)),
      extent: () => d.plotExtent(),
      left: () => d.root.getBoundingClientRect().left,
    });
    this.markLinOps();
    this.setCursor(seq, true);
    if (keepTimeUs !== undefined || cursor !== undefined) {
      const v = this.state.axis === 'time' ? run.model.eventTime[seq] : seq;
      const [d0, d1] = d.domain();
      if (v < d0 || v > d1) d.setCursor(seq, true);
    }
    if (run.lin?.verdict === 'not-linearizable') this.openExplanation();
    else byId('drawer').hidden = true;
    this.warmUp(run);
  }

  /** In idle time: tree checkpoints for every server, so scrubbing never stalls on a replay. */
  private warmUp(run: Run): void {
    let node = 0;
    const next = () => {
      if (this.run !== run || node >= run.model.servers) return;
      run.states.warm(node++);
      setTimeout(next, 0);
    };
    setTimeout(next, 50);
  }

  /** Opening view: the first election and a little after it, else everything. */
  private initialView(d: Diagram, model: TraceModel): void {
    const first = model.elections[0];
    if (this.state.axis === 'steps') {
      const end = first ? Math.min(model.length - 1, Math.max(first.seq + 40, Math.round(first.seq * 1.4))) : model.length - 1;
      d.setDomain([0, Math.max(10, end)]);
    } else if (first && first.timeUs > 0 && first.timeUs < model.endUs * 0.5) {
      d.showTime(0, Math.min(model.endUs, first.timeUs * 1.6 + 2000));
    } else d.fitAll();
  }

  private async runSide(token: number, keep?: number): Promise<void> {
    const scenario = this.state.scenario!;
    this.busy(`Simulating ${scenario.title} on ZAB and on Paxos, seed ${this.state.seed}…`);
    const wanted: ('zab' | 'paxos')[] = ['zab', 'paxos'];
    const results = await Promise.all(
      wanted.map(async (p, i) => {
        if (!this.protocols.includes(p)) return [p, { error: `${p === 'zab' ? 'ZAB' : 'Paxos'} is not available in this build.` }] as const;
        try {
          return [p, await this.simulate(i, p)] as const;
        } catch (error) {
          return [p, { error: (error as Error).message }] as const;
        }
      }),
    );
    if (token !== this.runToken) return;
    this.busy(undefined);
    this.side = Object.fromEntries(results) as typeof this.side;
    this.mountDiagrams();
    const runs = this.sideRuns();
    const endUs = Math.max(1, ...runs.map((r) => r?.model.endUs ?? 0));
    const scrubber = byId<HTMLInputElement>('scrubber');
    scrubber.max = String(endUs);
    scrubber.step = '1';
    let firstElection = Infinity;
    runs.forEach((r, i) => {
      const d = this.diagrams[i];
      if (!r) return;
      d.setModel(r.model);
      d.setAxisMode('time');
      if (r.model.elections[0]) firstElection = Math.min(firstElection, r.model.elections[0].timeUs);
    });
    const t1 = Number.isFinite(firstElection) && firstElection < endUs / 2 ? Math.min(endUs, firstElection * 2 + 5000) : endUs;
    this.diagrams.forEach((d, i) => {
      if (runs[i]) d.showTime(0, t1);
    });
    this.renderStory();
    this.renderLegend();
    this.renderChecks();
    this.renderFaults();
    this.plots.show(runs.flatMap((r) => (r ? [{ label: r.protocol === 'zab' ? 'ZAB' : 'Paxos', events: r.model.events }] : [])));
    // One lane per time axis: side by side has two, so the lane is for the single views.
    this.recipeLane.show(undefined, 0, undefined);
    this.setSideTime(keep ?? 0);
  }

  private sideRuns(): (Run | undefined)[] {
    return (['zab', 'paxos'] as const).map((p) => {
      const r = this.side[p];
      return r && 'model' in r ? r : undefined;
    });
  }

  private mountDiagrams(): void {
    const host = byId('diagrams');
    host.replaceChildren();
    this.diagrams = [];
    host.classList.toggle('split', this.state.view === 'side');
    if (this.state.view === 'side') {
      (['zab', 'paxos'] as const).forEach((p, i) => {
        const r = this.side[p];
        const pane = el('div', 'pane');
        pane.dataset.protocol = p;
        host.append(pane);
        if (r && 'error' in r) {
          pane.append(el('div', 'pane-error', r.error));
          this.diagrams.push(new Diagram(el('div'), {}));
          return;
        }
        const d = new Diagram(pane, {
          title: `${p === 'zab' ? 'ZAB' : 'Paxos'}${r && 'model' in r ? ` · trace ${r.model.hash}` : ''}`,
          onCursor: (seq) => {
            const run = this.sideRuns()[i];
            if (run) this.setSideTime(run.model.eventTime[seq]);
          },
          onViewChange: (domain) => {
            this.diagrams.forEach((other, j) => {
              if (j !== i) other.setDomain(domain, true);
            });
          },
          onServerClick: (node, anchor) => this.serverMenu(node, anchor, i),
        });
        this.diagrams.push(d);
      });
      return;
    }
    const d = new Diagram(host, {
      onCursor: (seq) => this.setCursor(seq, false),
      onMessageClick: (m, x, y) => this.messageMenu(m, x, y),
      onServerClick: (node, anchor) => this.serverMenu(node, anchor, 0),
      onOpClick: (op) => this.setCursor(op.invokeSeq, false),
      onViewChange: () => this.recipeLane.redraw(),
    });
    this.diagrams.push(d);
  }

  // ------------------------------------------------------------------ files

  private async openFile(file: File): Promise<void> {
    const started = performance.now();
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      toast(`${file.name}: cannot read (${(error as Error).message})`, 'error');
      return;
    }
    this.openText(text, file.name, undefined, started);
  }

  private async fetchTrace(url: string, cursor?: number): Promise<void> {
    this.busy(`Loading ${url}…`);
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      this.openText(text, url.replace(/^.*\//, ''), cursor);
    } catch (error) {
      toast(`${url}: cannot load (${(error as Error).message})`, 'error', 12000);
    } finally {
      this.busy(undefined);
    }
  }

  /** A trace (JSON or NDJSON) or a scenario file. */
  openText(text: string, name: string, cursor?: number, started = performance.now()): void {
    // A trace starts with its meta (JSON or NDJSON); anything else may be a scenario. Sniff, do not parse twice.
    const head = text.slice(0, 4096);
    const looksLikeTrace = /^\s*\{\s*"meta"\s*:/.test(head) || head.includes('"zablab-trace"');
    let doc: unknown;
    if (!looksLikeTrace) {
      try {
        doc = JSON.parse(text);
      } catch {
        doc = undefined;
      }
    }
    const looksLikeScenario = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'cluster' in doc && 'title' in doc && !('meta' in doc);
    if (looksLikeScenario) {
      this.state.scenario = doc as Scenario;
      this.state.scenarioName = 'custom';
      this.customName = name.replace(/\.json$/, '');
      this.state.injected = [];
      const s = doc as Scenario;
      if (typeof s.seed === 'number') this.state.seed = s.seed;
      const preferred = (s.protocols ?? ['zab']).find((p) => this.protocols.includes(p));
      if (preferred) this.state.protocol = preferred;
      if (this.state.view === 'side') this.state.view = 'explore';
      this.applyViewClasses();
      this.syncControls();
      void this.runCurrent(0);
      return;
    }
    let trace: ParsedTrace;
    const mark = (name: string, from: number) => performance.measure(`zablab:${name}`, { start: from, end: performance.now() });
    mark('read', started);
    let t = performance.now();
    try {
      trace = parseTraceFast(text);
      mark('parse', t);
    } catch (error) {
      toast(`${name}: ${(error as Error).message}`, 'error', 15000);
      return;
    }
    this.runToken++;
    this.pause();
    // The hash is recomputed (and every event validated) in the worker; shown when it arrives.
    t = performance.now();
    const model = new TraceModel({ meta: trace.meta, events: trace.events, hash: '' });
    mark('model', t);
    t = performance.now();
    const states = new NodeStates(model);
    mark('states', t);
    t = performance.now();
    const narrator = new Narrator(model, states);
    this.run = { model, states, narrator, walk: [], protocol: model.protocol, traceText: text, fileName: name };
    const body = trace.meta.scenarioBody as Scenario | undefined;
    if (body && typeof body === 'object') {
      this.state.scenario = body;
      this.customName = String(trace.meta.scenario ?? name.replace(/\.(nd)?json$/, ''));
      this.state.seed = Number(trace.meta.seed) || 0;
      this.state.protocol = model.protocol;
    } else this.state.scenario = undefined;
    this.state.scenarioName = 'file';
    this.state.injected = [];
    if (this.state.view === 'side') this.state.view = 'explore';
    this.applyViewClasses();
    this.syncControls(name);
    this.installRun(undefined, cursor);
    mark('install', t);
    // Time to a usable view: parsed, indexed, drawn (the next frame paints it).
    requestAnimationFrame(() => {
      mark('open', started);
      perf.openMs = performance.now() - started;
      perf.opened++;
    });
    const run = this.run;
    // After the first paint: posting a big text to the worker takes a while too.
    setTimeout(() => this.verify(run, text, name, started), 30);
  }

  private verify(run: Run, text: string, name: string, started: number): void {
    const showProgress = (p: Progress) => {
      if (this.run !== run) return;
      const hash = document.getElementById('trace-hash');
      if (hash) hash.textContent = p.phase === 'hash' ? `hashing ${Math.round((100 * p.done) / Math.max(1, p.total))}%…` : 'hashed; checking…';
      const lin = document.getElementById('lin-badge');
      if (lin) lin.textContent = p.phase === 'hash' ? 'waits for the hash' : 'checking…';
    };
    void this.worker()
      .check(text, showProgress)
      .then((checked) => {
        if (this.run !== run) return;
        perf.verifyMs = performance.now() - started;
        perf.verified++;
        run.model.hash = checked.hash;
        run.lin = checked.lin;
        if (checked.storedHash !== undefined && checked.storedHash !== checked.hash) toast(`${name}: the file says hash ${checked.storedHash} but its events hash to ${checked.hash} — it was edited.`, 'error', 12000);
        this.renderChecks();
        this.renderStory();
        this.markLinOps();
        if (checked.lin.verdict === 'not-linearizable') this.openExplanation();
      })
      .catch((error: Error) => {
        if (this.run === run) toast(`${name}: ${error.message}`, 'error', 15000);
      });
  }

  // ------------------------------------------------------------------ cursor

  /** The walkthrough's steps (seqs): the chapters of an election, or for a trace without one every notable event. */
  private walkOf(run: Run): number[] {
    const chapters = this.guideWalk(run);
    if (chapters.steps.length > 0) return chapters.steps.map((s) => s.seq);
    if (run.walk.length === 0 && run.model.length > 0) run.walk = run.narrator.walkthrough();
    return run.walk;
  }

  private guideWalk(run: Run): Walk {
    if (!run.chapters) {
      run.chapters = electionWalk(run.model, run.states, openingElection(run.model));
      this.setQuorumMarker(run);
    }
    return run.chapters;
  }

  /** The diagram's quorum line for the walk on screen (guided view only). */
  private setQuorumMarker(run: Run): void {
    const d = this.diagrams[0];
    if (!d) return;
    const q = this.state.view === 'guide' ? run.chapters?.steps.find((s) => s.chapter === 'quorum') : undefined;
    const e = q ? run.model.elections[run.chapters!.election] : undefined;
    d.markers = q && e ? [{ seq: q.seq, text: `quorum for ${serverName(e.leader)}` }] : [];
    d.requestRender();
  }

  private cursorTimeUs(): number {
    if (this.state.view === 'side') return this.sideTimeUs;
    return this.run ? this.run.model.eventTime[this.cursor] ?? 0 : 0;
  }

  /**
   * Moves the cursor. Dragging the scrubber (`dragging`) updates the diagram, the event
   * line and each card's role, epochs and vote every frame, and the logs and trees once
   * the hand rests (PANEL_REST_MS): re-laying out five logs and trees every frame would
   * make a big trace stutter. Every other move (keys, buttons, clicks) updates all at once.
   */
  setCursor(seq: number, follow: boolean, dragging = false): void {
    const run = this.run;
    if (!run || this.state.view === 'side') return;
    const n = run.model.length;
    if (n === 0) return;
    seq = clamp(Math.round(seq), 0, n - 1);
    // The cluster view animates a step or a play tick (within the tick's time); a drag or a jump lands at once.
    const stepped = seq !== this.cursor && (this.playing || Math.abs(seq - this.cursor) <= STEP_ANIMATION_EVENTS);
    this.cursor = seq;
    if (this.clusterOn) this.cluster.setCursor(seq, stepped && !dragging, this.playing ? 1000 / this.speed : undefined);
    const d = this.diagrams[0];
    d?.setCursor(seq, follow || true);
    d?.updateLabelRoles((node) => {
      const f = run.states.fieldsAt(node, seq);
      return f.status === 'down' ? 'DOWN' : String(f.role ?? '');
    });
    byId<HTMLInputElement>('scrubber').value = String(seq);
    const e = run.model.events[seq];
    byId('cursor-info').textContent = `event ${seq} / ${n - 1} · ${formatTime(e.timeUs)}`;
    this.plots.setCursorTime(e.timeUs);
    this.recipeLane.setCursorTime(e.timeUs);
    this.renderEventLine(run.narrator.describe(seq), e.node);
    if (dragging) this.schedulePanels();
    else this.renderPanels();
    this.updateUrl();
  }

  private panelTimer: number | undefined;

  /** While dragging: the cards' heads now, everything once the hand rests. */
  private schedulePanels(): void {
    const run = this.run;
    if (run) this.statePanel.render(run.model, run.states, this.cursor, false, true);
    if (this.panelTimer !== undefined) window.clearTimeout(this.panelTimer);
    this.panelTimer = window.setTimeout(() => this.renderPanels(), PANEL_REST_MS);
  }

  private renderPanels(): void {
    const run = this.run;
    if (this.panelTimer !== undefined) window.clearTimeout(this.panelTimer);
    this.panelTimer = undefined;
    if (!run) return;
    const started = performance.now();
    this.statePanel.render(run.model, run.states, this.cursor);
    performance.measure('zablab:panels', { start: started, end: performance.now() });
    if (this.state.view === 'guide') {
      this.renderGuide();
      this.guideZoom(this.cursor);
    }
  }

  /** Guided mode keeps the neighbourhood of the current step in view: a few steps back, more ahead. */
  private guideZoom(seq: number): void {
    const run = this.run;
    const d = this.diagrams[0];
    if (!run || !d || this.walkOf(run).length === 0) return;
    let i = this.walkOf(run).indexOf(seq);
    if (i < 0) i = Math.max(0, this.walkOf(run).findIndex((s) => s > seq) - 1);
    const a = this.walkOf(run)[Math.max(0, i - 4)];
    const b = this.walkOf(run)[Math.min(this.walkOf(run).length - 1, i + 8)];
    const m = run.model;
    if (this.state.axis === 'steps') {
      const pad = Math.max(6, (b - a) * 0.15);
      d.setDomain([Math.max(0, a - pad), b + pad]);
    } else {
      const t0 = m.eventTime[a];
      const t1 = Math.max(m.eventTime[b], t0 + 500);
      const pad = (t1 - t0) * 0.12;
      d.setDomain([Math.max(0, t0 - pad), t1 + pad]);
    }
  }

  private setSideTime(timeUs: number): void {
    const runs = this.sideRuns();
    const endUs = Math.max(0, ...runs.map((r) => r?.model.endUs ?? 0));
    this.sideTimeUs = clamp(Math.round(timeUs), 0, endUs);
    byId<HTMLInputElement>('scrubber').value = String(this.sideTimeUs);
    byId('cursor-info').textContent = `${formatTime(this.sideTimeUs)} (both runs)`;
    this.plots.setCursorTime(this.sideTimeUs);
    const line = byId('event-line');
    line.replaceChildren();
    this.ensureSidePanels();
    runs.forEach((r, i) => {
      if (!r) return;
      const seq = r.model.seqAtTime(this.sideTimeUs);
      const d = this.diagrams[i];
      d.setCursor(seq, true);
      d.updateLabelRoles((node) => {
        const f = r.states.fieldsAt(node, seq);
        return f.status === 'down' ? 'DOWN' : String(f.role ?? '');
      });
      const n = r.narrator.describe(seq);
      const row = el('div', 'side-line');
      row.append(el('span', `proto-tag ${r.protocol}`, r.protocol === 'zab' ? 'ZAB' : 'Paxos'), el('span', undefined, n.title));
      line.append(row);
      this.sideStatePanels[i]?.render(r.model, r.states, seq, true);
    });
    this.updateUrl();
  }

  private ensureSidePanels(): void {
    const host = byId('state-panel');
    if (this.sideStatePanels.length === 2 && host.querySelector('.side-cols')) return;
    host.replaceChildren();
    const cols = el('div', 'side-cols');
    this.sideStatePanels = (['ZAB', 'Paxos'] as const).map((name) => {
      const col = el('div', 'side-col');
      col.append(el('h3', undefined, name));
      cols.append(col);
      return new StatePanel(col);
    });
    host.append(cols);
  }

  private renderEventLine(n: Narration, node: number): void {
    const line = byId('event-line');
    line.replaceChildren();
    const tag = el('span', `phase-tag phase-${n.phase}`, n.phase === 'fault' ? 'fault' : n.phase === 'info' ? 'event' : PHASE_LABEL[n.phase as Phase] ?? n.phase);
    const title = el('span', 'ev-title', n.title);
    line.append(tag, title);
    if (n.rule) line.append(el('span', 'rule', n.rule));
    line.dataset.node = String(node);
  }

  // ------------------------------------------------------------------ stepping

  private act(action: string): void {
    if (this.state.view === 'side') {
      this.actSide(action);
      return;
    }
    const run = this.run;
    if (!run) return;
    const last = run.model.length - 1;
    const jump = (list: number[], dir: 1 | -1, what: string) => {
      const target = dir > 0 ? nextIn(list, this.cursor) : prevIn(list, this.cursor);
      if (target === undefined) toast(`No ${dir > 0 ? 'later' : 'earlier'} ${what}.`);
      else this.setCursor(target, true);
    };
    switch (action) {
      case 'first':
        this.setCursor(0, true);
        break;
      case 'last':
        this.setCursor(last, true);
        break;
      case 'prev':
        this.step(-1);
        break;
      case 'next':
        this.step(1);
        break;
      case 'play':
        if (this.playing) this.pause();
        else this.play();
        break;
      case 'fit':
        this.diagrams[0]?.fitAll();
        break;
      default: {
        const m = /^(prev|next)-(election|leader|commit|fault|violation)$/.exec(action);
        if (m) jump(run.model.jumps[m[2] as 'election'], m[1] === 'next' ? 1 : -1, m[2]);
      }
    }
  }

  private step(dir: number): void {
    const run = this.run;
    if (!run) return;
    if (this.state.view === 'guide') {
      if (this.asking !== undefined) return;
      const target = dir > 0 ? nextIn(this.walkOf(run), this.cursor) : prevIn(this.walkOf(run), this.cursor);
      this.guideResult = undefined;
      if (target === undefined) {
        if (dir > 0) this.pause();
        return;
      }
      // A step with a question waits for the learner's prediction.
      const walk = this.guideWalk(run);
      const k = walk.steps.findIndex((s) => s.seq === target);
      const next = walk.steps[k];
      if (dir > 0 && next && this.predictions.pending(stepKey(walk, next), next.question)) {
        this.pause();
        this.asking = k;
        this.renderGuide();
        return;
      }
      this.setCursor(target, true);
      return;
    }
    this.setCursor(this.cursor + dir, true);
  }

  private actSide(action: string): void {
    const runs = this.sideRuns().filter((r): r is Run => r !== undefined);
    if (runs.length === 0) return;
    const t = this.sideTimeUs;
    const nextTime = (dir: 1 | -1, list?: (r: Run) => number[]) => {
      let best: number | undefined;
      for (const r of runs) {
        const seqs = list ? list(r) : undefined;
        let cand: number | undefined;
        if (seqs) {
          const s = dir > 0 ? nextIn(seqs, r.model.seqAtTime(t)) : prevIn(seqs, r.model.firstSeqAtOrAfter(t));
          cand = s === undefined ? undefined : r.model.eventTime[s];
        } else if (dir > 0) {
          const s = r.model.seqAtTime(t);
          let k = s;
          while (k < r.model.length && r.model.eventTime[k] <= t) k++;
          cand = k < r.model.length ? r.model.eventTime[k] : undefined;
        } else {
          const s = r.model.firstSeqAtOrAfter(t) - 1;
          cand = s >= 0 && r.model.eventTime[s] < t ? r.model.eventTime[s] : undefined;
        }
        if (cand !== undefined && (best === undefined || (dir > 0 ? cand < best : cand > best))) best = cand;
      }
      if (best === undefined) toast('Nothing further that way.');
      else this.setSideTime(best);
    };
    switch (action) {
      case 'first':
        this.setSideTime(0);
        break;
      case 'last':
        this.setSideTime(Infinity);
        break;
      case 'prev':
        nextTime(-1);
        break;
      case 'next':
        nextTime(1);
        break;
      case 'play':
        if (this.playing) this.pause();
        else this.play();
        break;
      case 'fit':
        this.diagrams.forEach((d) => d.fitAll());
        break;
      default: {
        const m = /^(prev|next)-(election|leader|commit|fault|violation)$/.exec(action);
        if (m) nextTime(m[1] === 'next' ? 1 : -1, (r) => r.model.jumps[m[2] as 'election']);
      }
    }
  }

  private play(): void {
    if (this.playing) return;
    this.playing = true;
    this.playAccum = 0;
    this.lastFrame = performance.now();
    byId('play-btn').textContent = '‖ Pause';
    byId('play-btn').classList.add('on');
    const tick = (now: number) => {
      if (!this.playing) return;
      const dt = (now - this.lastFrame) / 1000;
      this.lastFrame = now;
      this.playAccum += dt * this.speed;
      let steps = Math.floor(this.playAccum);
      if (steps > 0) {
        this.playAccum -= steps;
        if (this.state.view === 'side') {
          while (steps-- > 0) this.actSide('next');
        } else if (this.state.view === 'guide') {
          this.step(1);
        } else if (this.run) {
          const target = Math.min(this.run.model.length - 1, this.cursor + steps);
          this.setCursor(target, true);
          if (target >= this.run.model.length - 1) this.pause();
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  private pause(): void {
    this.playing = false;
    const b = document.getElementById('play-btn');
    if (b) {
      b.textContent = '▶ Play';
      b.classList.remove('on');
    }
  }

  private setView(view: View): void {
    if (view === this.state.view) return;
    const keepTime = this.cursorTimeUs();
    const wasSide = this.state.view === 'side';
    this.state.view = view;
    this.applyViewClasses();
    if (view === 'side' || wasSide) {
      if (view === 'side' && !this.state.scenario) {
        toast('Side by side needs a scenario: this trace file does not carry one.', 'error');
        this.state.view = 'explore';
        this.applyViewClasses();
        return;
      }
      this.sideStatePanels = [];
      // Back from side by side: the single panel's own root goes back in its place.
      if (wasSide) byId('state-panel').replaceChildren(this.statePanel.root);
      else byId('state-panel').replaceChildren();
      void this.runCurrent(keepTime);
      return;
    }
    if (this.run) this.setQuorumMarker(this.run);
    if (view === 'guide' && this.run) {
      // The walkthrough opens on its first step, unless the cursor is already inside it.
      const steps = this.walkOf(this.run);
      const inside = steps.length > 0 && this.cursor >= steps[0] && this.cursor <= steps[steps.length - 1];
      this.asking = undefined;
      this.guideResult = undefined;
      this.setCursor(inside || steps.length === 0 ? this.cursor : steps[0], true);
    } else if (this.run) this.setCursor(this.cursor, true);
    this.updateUrl();
  }

  private applyViewClasses(): void {
    document.body.dataset.view = this.state.view;
    // The cluster view lives in the side column, and beside the diagram in the guided view.
    const guide = this.state.view === 'guide';
    const stageSlot = byId('stage-cluster');
    if (guide && byId('cluster-panel').parentElement !== stageSlot) stageSlot.append(byId('cluster-panel'));
    else if (!guide && byId('cluster-panel').parentElement === stageSlot) byId('side').insertBefore(byId('cluster-panel'), byId('guide-panel').nextSibling);
    stageSlot.hidden = !guide;
    byId('cluster-panel').hidden = this.state.view === 'side';
    for (const b of document.querySelectorAll<HTMLButtonElement>('.views button')) {
      b.setAttribute('aria-selected', String(b.dataset.view === this.state.view));
    }
    byId('guide-panel').hidden = this.state.view !== 'guide';
    for (const b of document.querySelectorAll<HTMLButtonElement>('.transport [data-axis]')) b.setAttribute('aria-pressed', String(b.dataset.axis === this.state.axis));
  }

  private setAxis(axis: AxisMode): void {
    if (this.state.view === 'side' && axis === 'steps') {
      toast('Side by side shares one time axis; steps are per trace.');
      return;
    }
    this.state.axis = axis;
    this.applyViewClasses();
    this.diagrams.forEach((d) => d.setAxisMode(axis));
    if (this.run && this.state.view !== 'side') this.diagrams[0]?.setCursor(this.cursor, true);
    this.updateUrl();
  }

  // ------------------------------------------------------------------ panels

  private syncControls(fileName?: string): void {
    const select = byId<HTMLSelectElement>('scenario-select');
    select.querySelectorAll('option.extra').forEach((o) => o.remove());
    if (this.state.scenarioName === 'custom' || this.state.scenarioName === 'file') {
      const o = el('option', 'extra', this.state.scenarioName === 'file' ? `File: ${fileName ?? this.customName}` : `File: ${this.state.scenario?.title ?? this.customName}`);
      o.value = this.state.scenarioName;
      select.prepend(o);
      select.value = this.state.scenarioName;
    } else select.value = this.state.scenarioName;
    byId<HTMLInputElement>('seed-input').value = String(this.state.seed);
    const ps = byId<HTMLSelectElement>('protocol-select');
    ps.replaceChildren();
    const allowed = this.state.scenario?.protocols ?? ['zab', 'paxos'];
    for (const p of ['zab', 'paxos']) {
      const o = el('option', undefined, p === 'zab' ? 'ZAB' : 'Paxos');
      o.value = p;
      o.disabled = !this.protocols.includes(p);
      if (!this.protocols.includes(p)) o.title = 'not in this build';
      else if (!allowed.includes(p as 'zab')) {
        o.textContent += ' *';
        o.title = 'the scenario is written for another protocol; it runs, but its story may not apply';
      }
      ps.append(o);
    }
    ps.value = this.state.protocol;
    const sim = this.state.scenario !== undefined;
    byId<HTMLButtonElement>('run-btn').disabled = !sim;
    byId<HTMLButtonElement>('export-btn').disabled = !sim;
  }

  private renderStory(): void {
    const story = byId('story');
    story.replaceChildren();
    const side = this.state.view === 'side';
    const run = this.run;
    const scenario = this.state.scenario;
    const title = scenario?.title ?? run?.model.meta.title ?? run?.fileName ?? 'Trace';
    const left = el('div', 'story-text');
    left.append(el('h1', undefined, String(title)));
    if (scenario?.explanation) left.append(el('p', 'explanation', scenario.explanation));
    else if (this.state.scenarioName === 'file') left.append(el('p', 'explanation', 'A trace file. It carries no scenario, so the lab can show it but not re-simulate it.'));
    story.append(left);
    const facts = el('div', 'facts');
    const fact = (k: string, v: string, id?: string, cls?: string) => {
      const f = el('div', `fact${cls ? ` ${cls}` : ''}`);
      f.append(el('span', 'k', k));
      const val = el('span', 'v', v);
      if (id) val.id = id;
      f.append(val);
      facts.append(f);
      return val;
    };
    if (side) {
      for (const [p, r] of Object.entries(this.side)) {
        if (!r) continue;
        if ('error' in r) fact(p === 'zab' ? 'ZAB' : 'Paxos', r.error);
        else {
          const v = fact(`${p === 'zab' ? 'ZAB' : 'Paxos'} trace`, r.model.hash, `trace-hash-${p}`, 'hash');
          v.title = `${r.model.length} events`;
        }
      }
      fact('seed', String(this.state.seed));
    } else if (run) {
      fact('protocol', run.model.protocol === 'zab' ? 'ZAB' : run.model.protocol === 'paxos' ? 'Paxos' : run.model.protocol);
      fact('seed', String(run.model.meta.seed));
      fact('servers', String(run.model.servers));
      fact('events', run.model.length.toLocaleString('en-US'));
      fact('simulated', formatTime(run.model.endUs));
      const h = fact('trace hash', run.summary?.traceHash ?? (run.model.hash || 'computing…'), 'trace-hash', 'hash');
      h.title = 'Same scenario + seed + protocol + code = same hash, in the browser and with zablab run';
      if (run.runMs !== undefined) fact('ran in', `${Math.round(run.runMs)} ms`);
      const leaders = run.model.elections.map((e) => `${serverName(e.leader)}·${e.epoch}`);
      fact('leaders', leaders.length ? leaders.slice(0, 4).join(', ') + (leaders.length > 4 ? ` +${leaders.length - 4}` : '') : 'none');
      const inv = run.summary ? run.summary.invariants.ok : run.model.violations.length === 0;
      const badge = fact('invariants', inv ? '✓ hold' : `✗ ${run.model.violations.length} violation(s)`, 'invariants-verdict', inv ? 'good' : 'bad');
      void badge;
      const lin = run.lin?.verdict ?? run.summary?.linearizability.verdict;
      fact('history', lin === undefined ? '…' : lin === 'linearizable' ? '✓ linearizable' : lin === 'not-linearizable' ? '✗ not linearizable' : lin === 'skipped' ? '– no ops' : '? unknown', 'lin-badge', lin === 'linearizable' ? 'good' : lin === 'not-linearizable' ? 'bad' : undefined);
    }
    story.append(facts);
  }

  private renderLegend(): void {
    const legend = byId('legend');
    legend.replaceChildren();
    const runs = this.state.view === 'side' ? this.sideRuns().filter((r): r is Run => r !== undefined) : this.run ? [this.run] : [];
    const counts = new Map<string, number>();
    for (const r of runs) r.model.types.forEach((t, i) => counts.set(t, (counts.get(t) ?? 0) + r.model.typeCounts[i]));
    const types = [...counts.keys()].sort((a, b) => PHASE_ORDER.indexOf(typeStyle(a).phase) - PHASE_ORDER.indexOf(typeStyle(b).phase) || a.localeCompare(b));
    const msgs = el('div', 'legend-group');
    msgs.append(el('span', 'legend-title', 'messages'));
    for (const t of types) {
      const style = typeStyle(t);
      const hidden = this.diagrams[0]?.hiddenTypes.has(t) ?? false;
      const b = button(
        '',
        () => {
          for (const d of this.diagrams) {
            if (d.hiddenTypes.has(t)) d.hiddenTypes.delete(t);
            else d.hiddenTypes.add(t);
            d.requestRender();
          }
          this.renderLegend();
        },
        `legend-item${hidden ? ' off' : ''}`,
        `${t} (${PHASE_LABEL[style.phase]}): ${counts.get(t)} sent — click to ${hidden ? 'show' : 'hide'}`,
      );
      const sw = el('span', 'swatch');
      sw.style.background = style.color;
      b.append(sw, el('span', undefined, t));
      b.setAttribute('aria-pressed', String(!hidden));
      msgs.append(b);
    }
    legend.append(msgs);
    const roles = el('div', 'legend-group');
    roles.append(el('span', 'legend-title', 'roles'));
    const zab = runs.some((r) => r.model.protocol === 'zab');
    const paxos = runs.some((r) => r.model.protocol === 'paxos');
    const roleNames: [keyof typeof ROLE_COLOR, string][] = [
      ['leader', [zab ? 'LEADING' : '', paxos ? 'LEADER' : ''].filter(Boolean).join(' / ') || 'leader'],
      ['follower', [zab ? 'FOLLOWING' : '', paxos ? 'FOLLOWER' : ''].filter(Boolean).join(' / ') || 'follower'],
      ['looking', [zab ? 'LOOKING' : '', paxos ? 'CANDIDATE' : ''].filter(Boolean).join(' / ') || 'looking'],
    ];
    for (const [fam, name] of roleNames) {
      const item = el('span', 'legend-item static');
      const sw = el('span', 'swatch line');
      sw.style.background = ROLE_COLOR[fam];
      item.append(sw, el('span', undefined, name));
      roles.append(item);
    }
    legend.append(roles);
    const marks = el('div', 'legend-group');
    marks.append(el('span', 'legend-title', 'marks'));
    for (const [sym, text, cls] of [
      ['★', 'leader established', 'sym-star'],
      ['◆', 'vote / promise', 'sym-vote'],
      ['■', 'role change', 'sym-role'],
      ['✓', 'commit', 'sym-commit'],
      ['✕', 'dropped message', 'sym-drop'],
      ['▨', 'crashed', 'sym-down'],
      ['▧', 'paused', 'sym-pause'],
      ['▭', 'partition side', 'sym-part'],
      ['⚠', 'invariant violated', 'sym-viol'],
    ] as const) {
      const item = el('span', 'legend-item static');
      item.append(el('span', `sym ${cls}`, sym), el('span', undefined, text));
      marks.append(item);
    }
    legend.append(marks);
    legend.append(collapseToggle(legend, 'legend', 'legend'));
  }

  private renderChecks(): void {
    const panel = byId('checks-panel');
    panel.replaceChildren();
    panel.append(el('h2', undefined, 'Checks'));
    if (this.state.view === 'side') {
      for (const r of this.sideRuns()) {
        if (!r) continue;
        const row = el('div', 'check-row');
        row.append(el('span', `proto-tag ${r.protocol}`, r.protocol === 'zab' ? 'ZAB' : 'Paxos'));
        const inv = r.summary?.invariants.ok ?? true;
        row.append(el('span', inv ? 'good' : 'bad', inv ? '✓ invariants hold' : '✗ invariant violated'));
        const lin = r.lin?.verdict;
        row.append(el('span', lin === 'not-linearizable' ? 'bad' : 'good', lin === 'linearizable' ? '✓ linearizable' : lin === 'not-linearizable' ? '✗ not linearizable' : `– ${lin ?? ''}`));
        row.append(el('span', 'muted', `${r.model.elections.length} leader(s) · ${r.model.length} events`));
        panel.append(row);
        for (const line of availabilityLines(r.model.events)) panel.append(el('div', 'muted small availability', `${r.protocol === 'zab' ? 'ZAB' : 'Paxos'} availability: ${line}`));
      }
      return;
    }
    const run = this.run;
    if (!run) return;
    const inv = el('div', 'check-block');
    if (run.model.violations.length === 0) inv.append(el('div', 'good', '✓ Every invariant holds at every step.'));
    else {
      inv.append(el('div', 'bad', `✗ ${run.model.violations.length} invariant violation(s):`));
      for (const v of run.model.violations.slice(0, 8)) {
        const b = button(`⚠ ${String(v.invariant)} at ${formatTime(v.timeUs)}`, () => this.setCursor(v.seq, true), 'link-btn bad', String(v.message));
        inv.append(b);
        inv.append(el('div', 'muted small', String(v.message)));
      }
    }
    panel.append(inv);
    const lin = el('div', 'check-block');
    renderVerdict(lin, run.lin);
    lin.querySelector('.lin-lead')?.remove();
    lin.querySelectorAll('svg, .lin-legend, .lin-steps, .lin-why, .lin-text, p.muted').forEach((n) => n.remove());
    if (run.lin?.verdict === 'not-linearizable') lin.append(button('Show the explanation', () => this.openExplanation(), 'primary small', 'Draw why the checker could not order the operations'));
    panel.append(lin);
    const recipe = this.recipeOf(run)?.report;
    if (recipe !== undefined) panel.append(this.recipeBlock(run, recipe));
    // The read modes and what each was checked for (quorum reads are zablab's own; a sync a
    // deposed leader answered is left out of the linearizability check, ZOOKEEPER-1675).
    if (run.summary?.reads !== undefined) {
      const reads = el('div', 'check-block reads');
      for (const line of describeReads(run.summary.reads)) reads.append(el('div', 'muted small', `reads: ${line}`));
      panel.append(reads);
    }
    const figures = el('div', 'check-block availability');
    for (const line of availabilityLines(run.model.events)) figures.append(el('div', 'muted small', `availability: ${line}`));
    panel.append(figures);
    if (run.summary) {
      const live = livenessLine(run.summary);
      panel.append(el('div', `check-block liveness ${live.tone}`, live.text));
    }
    if (run.summary && run.summary.expectations.length > 0) {
      const ex = el('details', 'check-block expectations');
      const headline = expectationHeadline(run.summary);
      ex.append(el('summary', headline.tone, headline.text));
      for (const line of expectationLines(run.summary)) ex.append(el('div', `${line.tone} small`, line.text));
      panel.append(ex);
    }
    // Settings this protocol ignores (a ZAB-only field under Paxos, another protocol's bug switch).
    for (const warning of run.summary?.warnings ?? []) panel.append(el('div', 'muted small', `note: ${warning}`));
  }

  /**
   * The run's recipe report, rebuilt from its trace with the checkers `zablab run` uses
   * (computed once). Where the page ran the scenario itself, the verdict is the run's: it
   * knows what a trace does not say (which client each session was, when each server
   * applied its end), so the page and `zablab run` agree; a trace opened from a file
   * keeps the verdict rebuilt from it.
   */
  private recipeOf(run: Run): RecipeTraceReport | null {
    if (run.recipe === undefined) {
      const fromTrace = recipeFromTrace(run.model.events, this.state.scenario, run.summary?.simTimeUs, run.model.meta);
      const ran = run.summary?.recipe;
      run.recipe = fromTrace === undefined ? null : ran !== undefined ? { ...fromTrace, report: ran } : fromTrace;
    }
    return run.recipe;
  }

  /** The recipe checker's verdict, beside the linearizability verdict; each overlap moves the cursor to its start. */
  private recipeBlock(run: Run, report: RecipeReport): HTMLElement {
    const block = el('div', 'check-block recipe-verdict');
    block.id = 'recipe-verdict';
    block.dataset.verdict = report.verdict;
    const holds = report.verdict === 'holds';
    block.append(el('div', holds ? 'good' : 'bad', `${holds ? '✓' : '✗'} recipe ${report.recipe}: ${holds ? 'its promise holds' : 'its promise is broken'}`));
    block.append(el('div', 'muted small', report.summary));
    for (const o of report.overlaps.slice(0, 6)) {
      block.append(button(`⚠ clients ${o.clients.join(' and ')} at once, ${formatTime(o.fromUs)} → ${formatTime(o.toUs)}`, () => this.setCursor(run.model.firstSeqAtOrAfter(o.fromUs), true), 'link-btn bad recipe-overlap-link', 'Move the cursor to where the second client began to believe'));
    }
    return block;
  }

  private openExplanation(): void {
    const run = this.run;
    if (!run?.lin) return;
    const drawer = byId('drawer');
    drawer.hidden = false;
    const body = byId('drawer-body');
    renderVerdict(body, run.lin, { onShowOp: (op) => this.showExplainedOp(op) });
    this.diagrams[0]?.requestRender();
  }

  /** The trace operation an explanation operation stands for (same process, same invocation time). */
  private traceOpOf(op: ExplainedOp) {
    const run = this.run;
    if (!run) return undefined;
    return run.model.ops.find((o) => o.process === op.process && (op.invokeTimeUs === undefined || o.invokeUs === op.invokeTimeUs));
  }

  private showExplainedOp(op: ExplainedOp): void {
    const t = this.traceOpOf(op);
    if (t) {
      this.setCursor(t.invokeSeq, true);
      this.diagrams[0]?.showTime(Math.max(0, t.invokeUs - 20000), (t.completeUs ?? t.invokeUs) + 20000);
    }
  }

  private markLinOps(): void {
    const run = this.run;
    const d = this.diagrams[0];
    if (!run || !d) return;
    d.markedOps.clear();
    const ex = run.lin?.explanation;
    if (ex) {
      for (const op of ex.ops) {
        const t = this.traceOpOf(op);
        if (t) d.markedOps.set(t.opId, op.id === ex.stuckOpId ? '#d50000' : '#37474f');
      }
    }
    d.requestRender();
  }

  private renderFaults(): void {
    const panel = byId('faults-panel');
    panel.replaceChildren();
    panel.append(el('h2', undefined, 'Faults'));
    const scenario = this.state.scenario;
    if (!scenario) {
      panel.append(el('p', 'muted', 'This trace carries no scenario: faults cannot be injected.'));
      return;
    }
    const list = el('ul', 'fault-list');
    for (const f of scenario.faults ?? []) list.append(el('li', 'from-scenario', `${describeFault(f)} (scenario)`));
    if (scenario.nemesis) list.append(el('li', 'from-scenario', `random nemesis: ${scenario.nemesis.kinds.join(', ')} every ~${scenario.nemesis.intervalMs} ms`));
    this.state.injected.forEach((f, i) => {
      const li = el('li', 'injected');
      li.append(el('span', undefined, describeFault(f)));
      li.append(
        button('✕', () => {
          this.state.injected.splice(i, 1);
          void this.runCurrent(this.cursorTimeUs());
        }, 'round small', 'Remove this fault and re-simulate'),
      );
      list.append(li);
    });
    if (list.children.length === 0) list.append(el('li', 'muted', 'none'));
    panel.append(list);
    panel.append(el('p', 'hint', 'Click a server’s name on the diagram to crash, restart, pause or partition it at the cursor; click a message arrow to drop it. The run is re-simulated from the seed.'));
    const cmd = el('code', 'cmd', `zablab run ${this.exportFileName()} --seed ${this.state.seed} --protocol ${this.state.protocol}`);
    cmd.title = 'Download the scenario, then run this: it reproduces this trace (same hash)';
    panel.append(cmd);
  }

  private renderGuide(): void {
    const run = this.run;
    if (!run) return;
    const walk = this.guideWalk(run);
    if (walk.steps.length === 0) {
      // No election in this trace: the old flat walkthrough, one notable event per step.
      const panel = byId('guide-panel');
      panel.replaceChildren(el('h2', undefined, 'Guided walkthrough'));
      const n = run.narrator.narrateStep(this.cursor);
      panel.append(el('h3', 'guide-title', n.title), ...n.text.map((t) => el('p', undefined, t)));
      const nav = el('div', 'guide-nav');
      nav.append(button('← Back', () => this.step(-1), 'big'), button('Next →', () => this.step(1), 'big primary'));
      panel.append(nav);
      return;
    }
    const side = byId('side');
    // The narration (and a question) stays in sight: the column scrolls back up to it.
    if (byId('guide-panel').offsetTop < side.scrollTop) side.scrollTop = 0;
    renderGuidePanel(byId('guide-panel'), {
      model: run.model,
      states: run.states,
      narrator: run.narrator,
      walk,
      cursor: this.cursor,
      predictions: this.predictions,
      ...(this.asking !== undefined ? { asking: this.asking } : {}),
      ...(this.guideResult ? { result: this.guideResult } : {}),
      onStep: (dir) => this.step(dir),
      onAnswer: (choice) => {
        const k = this.asking;
        const step = k !== undefined ? walk.steps[k] : undefined;
        if (!step?.question) return;
        const right = this.predictions.answer(stepKey(walk, step), step.question, choice);
        this.asking = undefined;
        this.guideResult = { right, question: step.question, choice };
        this.setCursor(step.seq, true);
      },
      onChapter: (next) => {
        this.asking = undefined;
        this.guideResult = undefined;
        this.predictions.newWalk();
        if (next.broadcast) run.chapters = electionWalk(run.model, run.states, next.election ?? 0, true);
        else if (run.model.events[next.seq]?.kind === 'crash') run.chapters = crashWalk(run.model, run.states, next.seq, next.election ?? -1);
        else run.chapters = electionWalk(run.model, run.states, next.election ?? 0);
        this.setQuorumMarker(run);
        const first = run.chapters.steps.find((s) => s.seq > this.cursor) ?? run.chapters.steps[0];
        // Broadcast continues after "established"; the others start at their first step.
        this.setCursor(next.broadcast ? first.seq : run.chapters.steps[0].seq, true);
      },
      onTogglePredictions: (on) => {
        this.predictions.setEnabled(on);
        this.asking = undefined;
        this.renderGuide();
      },
    });
  }

  // ------------------------------------------------------------------ faults

  private exportFileName(): string {
    const base = this.scenarioLabel().replace(/^lab\//, '').replace(/[^\w.-]+/g, '-');
    return `${base}${this.state.injected.length ? '-faults' : ''}${this.branch.active ? '-branch' : ''}-seed${this.state.seed}-${this.state.protocol}.json`;
  }

  private exportScenario(): void {
    if (!this.state.scenario) {
      toast('This trace carries no scenario to export.', 'error');
      return;
    }
    const out = exportScenario(this.state.scenario, this.state.seed, this.state.protocol, this.state.injected);
    const schedule = this.branch.schedule();
    if (schedule !== undefined) {
      out.schedule = schedule;
      out.explanation = `${out.explanation}\n\nA branch chosen in the lab: time order until ${(schedule[0] as { untilMs: number }).untilMs} ms, then ${schedule.length - 1} chosen events.`;
    }
    download(this.exportFileName(), JSON.stringify(out, null, 2) + '\n');
    toast(`Saved ${this.exportFileName()}: zablab run reproduces this trace (hash ${this.run?.summary?.traceHash ?? this.run?.model.hash ?? ''}).`);
  }

  private inject(f: FaultAction, note?: string): void {
    const scenario = this.state.scenario;
    if (!scenario) {
      toast('This trace carries no scenario: it cannot be re-simulated with a fault.', 'error');
      return;
    }
    if (f.atMs > scenario.durationMs) {
      toast(`The story ends at ${scenario.durationMs} ms; after it the simulator heals everything and lets clients finish. Move the cursor earlier to inject a fault.`, 'error', 8000);
      return;
    }
    byId('popover').hidden = true;
    this.state.injected.push(f);
    if (note) toast(note, 'info', 9000);
    void this.runCurrent(this.cursorTimeUs()).then(() => this.checkDropExact(f));
  }

  private checkDropExact(f: FaultAction): void {
    if (f.action !== 'cut' || f.durationMs !== 0.001 || !this.run) return;
    const model = this.run.model;
    const fromUs = Math.round(f.atMs * 1000);
    let dropped = 0;
    for (let m = 0; m < model.msgCount; m++) {
      if (model.mSendUs[m] > fromUs + 1) break;
      if (model.mStatus[m] === 2 && model.mEndUs[m] >= fromUs && model.mEndUs[m] <= fromUs + 1 && model.reasons[model.mReason[m]] === 'partition') dropped++;
    }
    if (dropped !== 1) toast(`Note: the 1 µs cut dropped ${dropped} message(s) on that link, not exactly one.`, 'info', 9000);
  }

  private popover(anchorX: number, anchorY: number, build: (pop: HTMLElement) => void): void {
    const pop = byId('popover');
    pop.replaceChildren();
    build(pop);
    pop.hidden = false;
    const w = pop.offsetWidth;
    const h = pop.offsetHeight;
    pop.style.left = `${clamp(anchorX, 8, window.innerWidth - w - 8)}px`;
    pop.style.top = `${clamp(anchorY, 8, window.innerHeight - h - 8)}px`;
    pop.querySelector<HTMLButtonElement>('button')?.focus();
  }

  private serverMenu(node: number, anchor: HTMLElement, pane: number): void {
    const run = this.state.view === 'side' ? this.sideRuns()[pane] : this.run;
    if (!run) return;
    const timeUs = this.cursorTimeUs();
    const seq = this.state.view === 'side' ? run.model.seqAtTime(timeUs) : this.cursor;
    const f = run.states.fieldsAt(node, seq);
    const status = String(f.status ?? 'up');
    const rect = anchor.getBoundingClientRect();
    const atMs = cursorAtMs(timeUs);
    const target = `node:${node}`;
    this.popover(rect.right + 6, rect.top, (pop) => {
      pop.append(el('h4', undefined, `${serverName(node)} · ${String(f.role ?? '?')}${status !== 'up' ? ` (${status})` : ''}`));
      pop.append(el('p', 'muted small', `At the cursor: ${formatTime(timeUs)} (+1 µs). The run is re-simulated from seed ${this.state.seed}.`));
      if (!this.state.scenario) {
        pop.append(el('p', 'bad small', 'This trace carries no scenario: it cannot be re-simulated.'));
        return;
      }
      const durRow = el('label', 'dur');
      durRow.append(document.createTextNode('undo after '));
      const dur = el('input');
      dur.type = 'number';
      dur.min = '0';
      dur.step = 'any';
      dur.placeholder = 'never';
      dur.setAttribute('aria-label', 'undo after, in ms');
      durRow.append(dur, document.createTextNode(' ms'));
      const duration = (): { durationMs?: number } => {
        const v = Number(dur.value);
        return dur.value !== '' && v > 0 ? { durationMs: v } : {};
      };
      const actions = el('div', 'menu');
      if (status === 'down') {
        actions.append(button('↺ Restart', () => this.inject({ atMs, action: 'restart', target }), 'menu-item', 'Restart it: it reads its durable state back'));
      } else {
        actions.append(button('✕ Crash', () => this.inject({ atMs, action: 'crash', target, ...duration() }), 'menu-item danger', 'Crash it: memory is lost, the disk survives'));
        if (status === 'paused') actions.append(button('▶ Resume', () => this.inject({ atMs, action: 'resume', target }), 'menu-item'));
        else actions.append(button('‖ Pause', () => this.inject({ atMs, action: 'pause', target, ...duration() }), 'menu-item', 'A GC pause: state kept, nothing processed'));
        const others = Array.from({ length: run.model.servers }, (_, i) => i).filter((i) => i !== node);
        actions.append(
          button('✂ Isolate from the others', () => this.inject({ atMs, action: 'partition', groups: [[target], others.map((i) => `node:${i}`)], ...duration() }), 'menu-item', 'Partition: this server alone on one side'),
        );
        const part = el('div', 'partition-pick');
        part.append(el('div', 'small', 'or partition: one side is'));
        const boxes: HTMLInputElement[] = [];
        for (let i = 0; i < run.model.servers; i++) {
          const lab = el('label', 'pick');
          const cb = el('input');
          cb.type = 'checkbox';
          cb.checked = i === node;
          cb.value = String(i);
          boxes.push(cb);
          lab.append(cb, document.createTextNode(serverName(i)));
          part.append(lab);
        }
        part.append(
          button('Cut it off', () => {
            const a = boxes.filter((b) => b.checked).map((b) => Number(b.value));
            const b = boxes.filter((x) => !x.checked).map((x) => Number(x.value));
            if (a.length === 0 || b.length === 0) {
              toast('Choose a proper subset of the servers.', 'error');
              return;
            }
            this.inject({ atMs, action: 'partition', groups: [a.map((i) => `node:${i}`), b.map((i) => `node:${i}`)], ...duration() });
          }, 'menu-item'),
        );
        actions.append(part);
      }
      const partitioned = run.model.partitions.some((p) => p.startSeq <= seq && seq < p.endSeq);
      if (partitioned) actions.append(button('↔ Heal the network', () => this.inject({ atMs, action: 'heal' }), 'menu-item'));
      pop.append(actions);
      if (status !== 'down') pop.append(durRow);
    });
  }

  private messageMenu(m: number, x: number, y: number): void {
    const run = this.run;
    if (!run) return;
    const model = run.model;
    const type = model.types[model.mType[m]];
    const from = model.mFrom[m];
    const to = model.mTo[m];
    this.popover(x + 8, y + 8, (pop) => {
      pop.append(el('h4', undefined, `${type}: ${serverName(from)} → ${serverName(to)}`));
      pop.append(el('p', 'muted small', `sent at ${formatTime(model.mSendUs[m])}, ${model.mStatus[m] === 1 ? `delivered at ${formatTime(model.mEndUs[m])}` : model.mStatus[m] === 2 ? `dropped (${model.reasons[model.mReason[m]]})` : 'in flight at the end'}`));
      const menu = el('div', 'menu');
      menu.append(button('Go to its send', () => {
        byId('popover').hidden = true;
        this.setCursor(model.mSendSeq[m], true);
      }, 'menu-item'));
      if (model.mEndSeq[m] < model.length) {
        menu.append(button(model.mStatus[m] === 2 ? 'Go to its drop' : 'Go to its delivery', () => {
          byId('popover').hidden = true;
          this.setCursor(model.mEndSeq[m], true);
        }, 'menu-item'));
      }
      if (this.state.scenario && model.mStatus[m] === 1) {
        menu.append(
          button('✕ Drop this message', () => this.inject({ atMs: usToMs(model.mSendUs[m]), action: 'cut', from: `node:${from}`, to: `node:${to}`, durationMs: 0.001 }, 'Dropped by a 1 µs cut of that link at its send time; the run is re-simulated.'), 'menu-item danger', 'A one-way cut of this link for 1 µs at its send time'),
        );
      }
      pop.append(menu);
    });
  }

  /**
   * For the end-to-end tests: the page coordinates of a delivered message between two
   * servers, visible after the cursor (the view is moved to show it).
   */
  dropTargetForTest(): { x: number; y: number } | undefined {
    const run = this.run;
    const d = this.diagrams[0];
    if (!run || !d) return undefined;
    const m = run.model;
    for (let i = 0; i < m.msgCount; i++) {
      if (m.mSendSeq[i] <= this.cursor || m.mFrom[i] === m.mTo[i] || m.mStatus[i] !== 1 || m.mEndUs[i] - m.mSendUs[i] < 300) continue;
      d.showTime(m.mSendUs[i] - 200, m.mEndUs[i] + 200);
      d.renderNow();
      const rect = d.root.getBoundingClientRect();
      const xa = d.xOfTime(m.mSendUs[i], m.mSendSeq[i]);
      const xb = d.xOfTime(m.mEndUs[i], m.mEndSeq[i]);
      const ya = d.laneYOf(m.mFrom[i]);
      const yb = d.laneYOf(m.mTo[i]);
      return { x: rect.left + (xa + xb) / 2, y: rect.top + (ya + yb) / 2 };
    }
    return undefined;
  }

  /** Shows [t0, t1] (µs) on every diagram (scripts, screenshots). */
  showTimeWindow(t0: number, t1: number): void {
    for (const d of this.diagrams) d.showTime(Math.max(0, t0), t1);
  }

  /** Diagram drawing time since the last call, in ms (all diagrams). */
  takeDrawMs(): number {
    return this.diagrams.reduce((sum, d) => sum + d.takeDrawMs(), 0) + this.cluster.takeDrawMs();
  }

  // ------------------------------------------------------------------ keys & help

  private readonly keys: [string, string][] = [
    ['← →', 'previous / next event (guided: step)'],
    ['Shift+← →', '10 events'],
    [', .', 'one event, in any view'],
    ['Space', 'play / pause'],
    ['[ ]', 'slower / faster'],
    ['Home End', 'first / last event'],
    ['E  Shift+E', 'next / previous election (its start)'],
    ['L  Shift+L', 'next / previous leader established'],
    ['C  Shift+C', 'next / previous commit'],
    ['F  Shift+F', 'next / previous fault'],
    ['V  Shift+V', 'next / previous violation'],
    ['X G S', 'explore · guided election · side by side'],
    ['T', 'time axis ↔ one column per event'],
    ['0  + −', 'fit all · zoom in / out'],
    ['R  O', 'run again · open a file'],
    ['?  Esc', 'this help · close'],
  ];

  private renderKeys(): void {
    const keys = byId('keys');
    keys.replaceChildren();
    for (const [k, what] of this.keys.slice(0, 11)) {
      const item = el('span', 'key-item');
      item.append(el('kbd', undefined, k), el('span', undefined, what));
      keys.append(item);
    }
    const more = button('all shortcuts', () => this.toggleHelp(), 'link-btn');
    keys.prepend(collapseToggle(keys, 'keys', 'shortcuts'));
    keys.append(more);
  }

  private toggleHelp(): void {
    const help = byId('help');
    if (!help.hidden) {
      help.hidden = true;
      return;
    }
    help.replaceChildren();
    help.append(el('h2', undefined, 'Keyboard shortcuts'));
    const table = el('table');
    for (const [k, what] of this.keys) {
      const tr = el('tr');
      const td = el('td');
      td.append(el('kbd', undefined, k));
      tr.append(td, el('td', undefined, what));
      table.append(tr);
    }
    help.append(table);
    help.append(el('p', 'muted small', 'Mouse: scroll over the diagram to zoom, drag to pan, hover an arrow or a mark for details, click to move the cursor, click a server name for faults.'));
    help.append(button('Close', () => (help.hidden = true), 'primary'));
    help.hidden = false;
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA') && (target as HTMLInputElement).type !== 'range') {
      if (e.key === 'Escape') target.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    let handled = true;
    const side = this.state.view === 'side';
    switch (k) {
      case 'ArrowRight':
      case 'ArrowLeft': {
        const dir = k === 'ArrowRight' ? 1 : -1;
        if (side) this.act(dir > 0 ? 'next' : 'prev');
        else if (e.shiftKey) this.setCursor(this.cursor + 10 * dir, true);
        else this.step(dir);
        break;
      }
      case '.':
      case ',':
        if (side) this.act(k === '.' ? 'next' : 'prev');
        else this.setCursor(this.cursor + (k === '.' ? 1 : -1), true);
        break;
      case ' ':
        this.act('play');
        break;
      case 'Home':
        this.act('first');
        break;
      case 'End':
        this.act('last');
        break;
      case 'e':
      case 'E':
      case 'l':
      case 'L':
      case 'c':
      case 'C':
      case 'f':
      case 'F':
      case 'v':
      case 'V':
        // Shift goes back: e/E election, c/C commit, f/F fault, v/V violation.
        this.act(`${e.shiftKey ? 'prev' : 'next'}-${JUMP_KEYS[k.toLowerCase()]}`);
        break;
      case '[':
      case ']': {
        const i = SPEEDS.indexOf(this.speed);
        this.speed = SPEEDS[clamp(i + (k === ']' ? 1 : -1), 0, SPEEDS.length - 1)];
        byId<HTMLSelectElement>('speed-select').value = String(this.speed);
        toast(`Speed: ${this.speed} events per second`, 'info', 1200);
        break;
      }
      case 'x':
        this.setView('explore');
        break;
      case 'g':
        this.setView('guide');
        break;
      case 's':
        this.setView('side');
        break;
      case 't':
        this.setAxis(this.state.axis === 'time' ? 'steps' : 'time');
        break;
      case '0':
        this.act('fit');
        break;
      case '+':
      case '=':
      case '-': {
        for (const d of this.diagrams) {
          const [a, b] = d.domain();
          const c = (a + b) / 2;
          const half = ((b - a) / 2) * (k === '-' ? 2 : 0.5);
          d.setDomain([c - half, c + half], this.diagrams.length > 1);
        }
        break;
      }
      case 'r':
        void this.runCurrent(this.cursorTimeUs());
        break;
      case 'o':
        byId<HTMLInputElement>('file-input').click();
        break;
      case '?':
        this.toggleHelp();
        break;
      case 'Escape':
        byId('popover').hidden = true;
        byId('help').hidden = true;
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  }
}

const app = new App();
(window as unknown as { zablab: App }).zablab = app;
void app.start();
