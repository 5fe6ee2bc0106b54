/**
 * The guided walkthrough's panel: the chapter strip (where the learner is in the
 * election), the step's narration with its rule and its place in the paper and the
 * code, a prediction prompt when the next step asks one, the votes at the cursor, and
 * at the end of the election the next chapters on offer.
 */
import type { TraceModel } from './model.js';
import type { NodeStates } from './nodestate.js';
import type { Narrator, Narration } from './guide.js';
import { PAXOS_CHAPTERS, ZAB_CHAPTERS, type ChapterKind, type GuideStep, type Question, type Walk } from './chapters.js';
import type { Predictions } from './predict.js';
import { ROLE_COLOR, formatTime, roleFamily, serverName } from './format.js';
import { button, el } from './dom.js';

export interface GuideContext {
  model: TraceModel;
  states: NodeStates;
  narrator: Narrator;
  walk: Walk;
  cursor: number;
  predictions: Predictions;
  /** The step whose question is on screen (its index in walk.steps). */
  asking?: number;
  /** The answer just given, shown above the step it led to. */
  result?: { right: boolean; question: Question; choice: number };
  onStep(dir: 1 | -1): void;
  onAnswer(choice: number): void;
  onChapter(next: Walk['next'][number]): void;
  onTogglePredictions(on: boolean): void;
}

/** The key a step's answer is remembered under. */
export function stepKey(walk: Walk, step: GuideStep): string {
  return `${walk.election}/${step.chapter}/${step.seq}`;
}

export function narrationOf(g: Pick<GuideContext, 'narrator'>, step: GuideStep | undefined, seq: number): Narration {
  const n = g.narrator.narrateStep(seq);
  if (!step || step.seq !== seq || step.title === undefined) return n;
  return { title: step.title, text: step.text ?? [], phase: step.phase ?? n.phase, ...(n.contrast ? { contrast: n.contrast } : {}) };
}

export function renderGuidePanel(panel: HTMLElement, g: GuideContext): void {
  const { model, walk } = g;
  panel.replaceChildren();
  const steps = walk.steps;
  const at = steps.findIndex((s) => s.seq === g.cursor);
  let index = at;
  if (index < 0) for (let k = 0; k < steps.length; k++) if (steps[k].seq <= g.cursor) index = k;
  const step = at >= 0 ? steps[at] : undefined;
  const info = model.protocol === 'paxos' ? PAXOS_CHAPTERS : ZAB_CHAPTERS;

  const head = el('header', 'guide-head');
  head.append(el('h2', undefined, walk.election >= 0 ? `Guided election ${walk.election + 1} of ${model.elections.length}` : 'Guided walkthrough'));
  head.append(el('span', 'guide-count', at >= 0 ? `step ${at + 1} of ${steps.length}` : index >= 0 ? `between steps ${index + 1} and ${index + 2} of ${steps.length}` : `${steps.length} steps`));
  panel.append(head);

  // Where we are: the chapters of this walk, the current one lit.
  const kinds: ChapterKind[] = [];
  for (const s of steps) if (!kinds.includes(s.chapter)) kinds.push(s.chapter);
  const current = steps[Math.max(0, index)]?.chapter;
  const strip = el('ol', 'chapter-strip');
  for (const k of kinds) {
    const li = el('li', `chapter-pill${k === current ? ' current' : ''}${kinds.indexOf(k) < kinds.indexOf(current ?? k) ? ' done' : ''}`, info[k].name);
    li.dataset.chapter = k;
    strip.append(li);
  }
  panel.append(strip);

  const prefs = el('label', 'predict-toggle');
  const box = el('input');
  box.type = 'checkbox';
  box.checked = g.predictions.enabled;
  box.addEventListener('change', () => g.onTogglePredictions(box.checked));
  prefs.append(box, document.createTextNode(' ask me to predict'));
  const score = el('span', 'predict-score', `score ${g.predictions.score.right} / ${g.predictions.score.asked}`);
  score.title = 'Your predictions, right / asked — kept in this browser only';
  const prefRow = el('div', 'predict-row');
  prefRow.append(prefs, score);
  panel.append(prefRow);

  if (g.asking !== undefined && steps[g.asking]?.question) {
    panel.append(questionCard(steps[g.asking].question!, g));
  } else {
    if (g.result) panel.append(resultCard(g.result));
    panel.append(stepCard(g, step, info));
  }

  panel.append(voteTable(g));
  const nav = el('div', 'guide-nav');
  const back = button('← Back', () => g.onStep(-1), 'big', 'Previous step (←)');
  const next = button('Next →', () => g.onStep(1), 'big primary', 'Next step (→)');
  back.disabled = index <= 0;
  next.disabled = g.asking !== undefined || index >= steps.length - 1;
  nav.append(back, next);
  panel.append(nav);

  if (index >= steps.length - 1 && g.asking === undefined && walk.next.length > 0) {
    const offers = el('div', 'next-chapters');
    offers.append(el('h4', undefined, 'Next chapter'));
    for (const n of walk.next) offers.append(button(`${n.label} →`, () => g.onChapter(n), 'next-chapter'));
    panel.append(offers);
  }
  const n = narrationOf(g, step, g.cursor);
  if (n.contrast && g.asking === undefined) {
    const c = el('details', 'contrast');
    c.append(el('summary', undefined, model.protocol === 'zab' ? 'And in Paxos?' : 'And in ZAB?'));
    c.append(el('p', undefined, n.contrast));
    panel.append(c);
  }
}

function stepCard(g: GuideContext, step: GuideStep | undefined, info: typeof ZAB_CHAPTERS): HTMLElement {
  const n = narrationOf(g, step, g.cursor);
  const card = el('div', `guide-card phase-${n.phase}`);
  card.append(el('div', 'guide-time', `${formatTime(g.model.eventTime[g.cursor])} · event ${g.cursor}${step && step.folded > 1 ? ` · ${step.folded} events in one step` : ''}`));
  card.append(el('h3', 'guide-title', n.title));
  for (const t of n.text) card.append(el('p', undefined, t));
  const chapter = step ? info[step.chapter] : undefined;
  if (n.rule || chapter) {
    const r = el('div', 'guide-rule');
    r.append(el('span', 'rule-k', 'rule'), el('span', undefined, n.rule ?? chapter!.rule));
    card.append(r);
  }
  if (chapter) {
    const refs = el('div', 'guide-refs');
    refs.append(el('span', 'rule-k', 'paper'), el('span', undefined, chapter.paper), el('span', 'rule-k', 'code'), el('code', undefined, chapter.code));
    card.append(refs);
  }
  return card;
}

function questionCard(q: Question, g: GuideContext): HTMLElement {
  const card = el('div', 'guide-card predict-card');
  card.append(el('div', 'guide-time', 'Predict the next step'));
  card.append(el('h3', 'predict-prompt', q.prompt));
  const choices = el('div', 'predict-choices');
  q.choices.forEach((c, i) => choices.append(button(c, () => g.onAnswer(i), 'predict-choice')));
  card.append(choices);
  card.append(el('p', 'muted small', 'The answer is the next event of the real trace.'));
  return card;
}

function resultCard(r: NonNullable<GuideContext['result']>): HTMLElement {
  const card = el('div', `predict-result ${r.right ? 'right' : 'wrong'}`);
  card.append(el('strong', undefined, r.right ? `✓ Right: ${r.question.choices[r.question.answer]}.` : `✗ Not ${r.question.choices[r.choice]}: it is ${r.question.choices[r.question.answer]}.`));
  card.append(el('span', undefined, ` ${r.question.explain}`));
  return card;
}

function voteTable(g: GuideContext): HTMLElement {
  const { model, states, cursor } = g;
  const wrap = el('div');
  const table = el('div', 'vote-table');
  const { votes } = g.narrator.votesAt(cursor);
  for (let node = 0; node < model.servers; node++) {
    const f = states.fieldsAt(node, cursor);
    const cell = el('div', 'vote-cell');
    const role = f.status === 'down' ? 'DOWN' : String(f.role ?? '');
    cell.style.setProperty('--role', ROLE_COLOR[f.status === 'down' ? 'down' : roleFamily(role)]);
    cell.append(el('span', 'vc-srv', serverName(node)));
    const v = votes[node];
    if (model.protocol === 'zab') cell.append(el('span', 'vc-vote', v ? `→ ${serverName(v.leader)}` : '–'));
    else cell.append(el('span', 'vc-vote', f.leader !== null && f.leader !== undefined ? `↑ ${serverName(Number(f.leader))}` : typeof f.promised === 'number' && f.promised > 0 ? `b${f.promised}` : '–'));
    cell.append(el('span', 'vc-role', role || '—'));
    table.append(cell);
  }
  wrap.append(table);
  const quorum = Math.floor(model.servers / 2) + 1;
  wrap.append(el('p', 'muted small', `Quorum: ${quorum} of ${model.servers}. ${model.protocol === 'zab' ? 'Arrows: the vote each server holds now (the cluster view draws them, with the tally).' : '↑: the leader each server follows now; bN: the ballot it promised.'}`));
  return wrap;
}
