/**
 * Explanations of non-linearizable histories, as data the browser lab draws and as
 * text, plus an ASCII timeline of a history.
 *
 * What an explanation says: the search linearized as much as it could; the furthest it
 * got is a completion it could not pass, so that completion's operation (the "stuck"
 * operation) cannot take effect in any order consistent with real time. Every
 * dead end there leaves the model in one of a few states, and in each the stuck
 * operation is illegal ("can't read 3 from register 4"). Each recorded dead end lists
 * its last linearized operations (the longest partial linearizations) and, for every
 * operation that could go next, why it fails or that it only leads to another dead end.
 */
import { pairHistory, type HistoryEvent, type Operation, type ProcessId } from './history.js';
import type { Model } from './model.js';
import type { DeadEnd } from './search.js';
import { showValue } from './values.js';

/** An operation, as drawn: lane = index in `processes`. */
export interface ExplainedOp {
  readonly id: number;
  readonly process: ProcessId;
  readonly lane: number;
  readonly f: string;
  readonly type: 'ok' | 'info';
  readonly invokeValue: unknown;
  readonly completeValue: unknown;
  /** Positions in the real-time event order; an info op may take effect after returnIndex. */
  readonly callIndex: number;
  readonly returnIndex: number;
  readonly invokeTimeUs?: number;
  readonly completeTimeUs?: number;
  /** Source line of the invocation, when read from a file. */
  readonly line?: number;
  /** E.g. "p2 read 3". */
  readonly text: string;
}

/** One operation of a partial linearization. */
export interface LinearizationStep {
  readonly opId: number;
  /**
   * A linearization point for drawing, in event-position units: strictly increasing
   * along the linearization and strictly inside the operation's interval.
   */
  readonly point: number;
  /** Model state after the operation (JSON data) and its text. */
  readonly state: unknown;
  readonly stateText: string;
}

/** Why one candidate next operation does not get past the stuck operation. */
export interface CandidateVerdict {
  readonly opId: number;
  readonly text: string;
  /** Whether the model accepts it in the dead end's state (it then leads to another dead end). */
  readonly accepted: boolean;
  readonly reason: string;
  readonly stateAfter?: unknown;
  readonly stateAfterText?: string;
}

/** A partial linearization that cannot go on: a dead end. */
export interface PartialLinearization {
  /** The operation it cannot linearize next (the stuck operation for the longest ones). */
  readonly stuckOpId: number;
  /** Operations linearized before `steps` and not shown. */
  readonly omitted: number;
  readonly stateBefore: unknown;
  readonly stateBeforeText: string;
  readonly steps: readonly LinearizationStep[];
  /** State at the dead end. */
  readonly state: unknown;
  readonly stateText: string;
  readonly candidates: readonly CandidateVerdict[];
}

export interface Explanation {
  readonly model: string;
  /** Which part of the history failed (P-compositionality), e.g. `keys x` or `children of /locks`. */
  readonly part: string;
  readonly partIndex: number;
  readonly parts: number;
  /** Lanes, in order of first invocation among `ops`. */
  readonly processes: readonly ProcessId[];
  /** The operations around the stuck one (all of the failing part when small). */
  readonly ops: readonly ExplainedOp[];
  /** Operations of the failing part left out of `ops`. */
  readonly omittedOps: number;
  readonly stuckOpId: number;
  readonly stuckOpText: string;
  /** Possible model states just before the stuck operation (distinct, up to 16). */
  readonly statesBefore: readonly unknown[];
  readonly statesBeforeText: readonly string[];
  /** Why the stuck operation fails in each of those states. */
  readonly reasons: readonly string[];
  readonly longest: readonly PartialLinearization[];
  /**
   * Other orders of the operations around the stuck one, that fail a little earlier
   * (at an operation overlapping it): e.g. the other order of two conflicting writes.
   */
  readonly alternatives: readonly PartialLinearization[];
  /** Number of dead-end configurations found at the stuck operation. */
  readonly deadEnds: number;
  /**
   * True when a local refutation proved the violation before every dead end was
   * explored: `statesBefore` then lists the states seen, not necessarily all of them.
   */
  readonly provedLocally: boolean;
  /** Readable rendering of all of the above. */
  readonly text: string;
}

const MAX_DRAWN_OPS = 40;
const OPS_AFTER_STUCK = 3;
/** Operations drawn in the text timeline, and steps shown per partial linearization. */
const MAX_TEXT_OPS = 20;
const MAX_TEXT_STEPS = 10;

export function processName(p: ProcessId): string {
  return typeof p === 'number' ? `p${p}` : String(p);
}

function opText<S>(model: Model<S>, op: Operation): string {
  return `${processName(op.process)} ${model.describeOp(op)}${op.type === 'info' ? ' (info)' : ''}`;
}

function stateData<S>(model: Model<S>, s: S): unknown {
  return model.stateData ? model.stateData(s) : s;
}

/** Linearization points: strictly increasing, each inside its operation's interval. */
function linearizationPoints(ops: readonly Operation[]): number[] {
  const bases: number[] = [];
  let base = -Infinity;
  for (const op of ops) {
    base = Math.max(base, op.callIndex);
    bases.push(base);
  }
  const points: number[] = [];
  for (let i = 0; i < ops.length; ) {
    let j = i;
    while (j < ops.length && bases[j] === bases[i]) j++;
    for (let k = i; k < j; k++) points.push(bases[i] + (k - i + 1) / (j - i + 1));
    i = j;
  }
  return points;
}

export interface TimelineRow {
  readonly label: string;
  readonly callIndex: number;
  readonly returnIndex: number;
  /** Outcome unknown: drawn open-ended. */
  readonly info?: boolean;
  /** Marked with "*" (the stuck operation). */
  readonly mark?: boolean;
  /** Linearization point to draw as "x". */
  readonly point?: number;
}

/**
 * ASCII timeline, one row per operation, time flowing right (event order, compressed):
 * `[---]` spans invocation to completion, `[---?` an info operation, `x` a
 * linearization point, `*` the operation that cannot be linearized.
 */
export function renderTimeline(rows: readonly TimelineRow[]): string {
  if (rows.length === 0) return '';
  const instants = new Set<number>();
  for (const r of rows) {
    instants.add(r.callIndex);
    instants.add(r.returnIndex);
    if (r.point !== undefined) instants.add(Math.floor(r.point));
  }
  const sorted = [...instants].sort((a, b) => a - b);
  const col = new Map<number, number>(sorted.map((x, k) => [x, k * 2]));
  const width = sorted.length * 2 + 1;
  const labelWidth = Math.min(36, Math.max(...rows.map((r) => r.label.length)));
  return rows
    .map((r) => {
      const bar = new Array<string>(width).fill(' ');
      const from = col.get(r.callIndex) as number;
      const to = r.info ? width - 1 : (col.get(r.returnIndex) as number);
      for (let c = from; c <= to; c++) bar[c] = '-';
      bar[from] = '[';
      bar[to] = r.info ? '?' : ']';
      if (r.point !== undefined) bar[(col.get(Math.floor(r.point)) as number) + 1] = 'x';
      const label = r.label.length > labelWidth ? r.label.slice(0, labelWidth - 1) + '…' : r.label.padEnd(labelWidth);
      return `${r.mark ? '*' : ' '} ${label} ${bar.join('').trimEnd()}`;
    })
    .join('\n');
}

/**
 * A readable rendering of a raw history (e.g. a shrunk counterexample): its timeline,
 * or the events one per line when it is malformed.
 */
export function renderHistory(events: readonly HistoryEvent[]): string {
  try {
    const { ops } = pairHistory(events);
    return renderTimeline(
      ops.map((op) => ({
        label: `${processName(op.process)} ${op.f} ${showValue(op.invokeValue, 24)}${
          op.type === 'ok' ? ` → ${showValue(op.completeValue, 24)}` : ' (info)'
        }`,
        callIndex: op.callIndex,
        returnIndex: op.returnIndex,
        info: op.type === 'info',
      })),
    );
  } catch {
    return events.map((e) => `${processName(e.process)} ${e.type} ${e.f} ${showValue(e.value)}`).join('\n');
  }
}

interface ExplainInput<S> {
  readonly model: Model<S>;
  readonly part: string;
  readonly partIndex: number;
  readonly parts: number;
  readonly ops: readonly Operation[];
  readonly stuck: number;
  readonly deadEnds: readonly DeadEnd<S>[];
  readonly nearDeadEnds: readonly DeadEnd<S>[];
  readonly states: readonly S[];
  readonly deadEndCount: number;
  readonly provedLocally: boolean;
}

function candidateVerdicts<S>(input: ExplainInput<S>, d: DeadEnd<S>): CandidateVerdict[] {
  const { model, ops } = input;
  return d.candidates.map((c) => {
    const op = ops[c];
    const text = opText(model, op);
    const after = model.step(d.state, op);
    if (after === undefined) return { opId: op.id, text, accepted: false, reason: model.explain(d.state, op) };
    let reason = `possible (→ ${model.describeState(after)}), but it only leads to another dead end`;
    for (const target of [d.stuck, input.stuck]) {
      if (target !== c && model.step(after, ops[target]) === undefined) {
        reason = `possible (→ ${model.describeState(after)}), but then ${model.explain(after, ops[target])}`;
        break;
      }
    }
    return { opId: op.id, text, accepted: true, reason, stateAfter: stateData(model, after), stateAfterText: model.describeState(after) };
  });
}

function pickDrawnOps<S>(input: ExplainInput<S>): Operation[] {
  const { ops } = input;
  const stuck = ops[input.stuck];
  const required = new Set<number>([input.stuck]);
  for (const d of input.deadEnds.concat(input.nearDeadEnds)) {
    d.path.forEach((i) => required.add(i));
    d.candidates.forEach((i) => required.add(i));
  }
  let from = stuck.callIndex;
  for (const i of required) from = Math.min(from, ops[i].callIndex);
  const nearby = ops
    .map((op, i) => ({ op, i }))
    .filter(({ op, i }) => !required.has(i) && op.type === 'ok' && op.callIndex <= stuck.returnIndex && op.returnIndex >= from)
    .sort((a, b) => Math.abs(a.op.callIndex - stuck.callIndex) - Math.abs(b.op.callIndex - stuck.callIndex));
  const chosen = [...required].map((i) => ops[i]);
  for (const { op } of nearby) {
    if (chosen.length >= Math.max(MAX_DRAWN_OPS, required.size)) break;
    chosen.push(op);
  }
  // A little context after it (e.g. the write of a value it read too early).
  chosen.push(...ops.filter((op) => op.callIndex > stuck.returnIndex).slice(0, OPS_AFTER_STUCK));
  return chosen.sort((a, b) => a.callIndex - b.callIndex);
}

export function buildExplanation<S>(input: ExplainInput<S>): Explanation {
  const { model, ops } = input;
  const stuck = ops[input.stuck];
  const drawn = pickDrawnOps(input);
  const processes: ProcessId[] = [];
  for (const op of drawn) if (!processes.includes(op.process)) processes.push(op.process);
  const explained: ExplainedOp[] = drawn.map((op) => ({
    id: op.id,
    process: op.process,
    lane: processes.indexOf(op.process),
    f: op.f,
    type: op.type,
    invokeValue: op.invokeValue,
    completeValue: op.completeValue,
    callIndex: op.callIndex,
    returnIndex: op.returnIndex,
    ...(op.invokeTimeUs !== undefined ? { invokeTimeUs: op.invokeTimeUs } : {}),
    ...(op.completeTimeUs !== undefined ? { completeTimeUs: op.completeTimeUs } : {}),
    ...(op.line !== undefined ? { line: op.line } : {}),
    text: opText(model, op),
  }));
  const partial = (d: DeadEnd<S>): PartialLinearization => {
    const pathOps = d.path.map((i) => ops[i]);
    const points = linearizationPoints(pathOps);
    return {
      stuckOpId: ops[d.stuck].id,
      omitted: d.omitted,
      stateBefore: stateData(model, d.stateBefore),
      stateBeforeText: model.describeState(d.stateBefore),
      steps: pathOps.map((op, k) => ({
        opId: op.id,
        point: points[k],
        state: stateData(model, d.states[k]),
        stateText: model.describeState(d.states[k]),
      })),
      state: stateData(model, d.state),
      stateText: model.describeState(d.state),
      candidates: candidateVerdicts(input, d),
    };
  };
  const longest = input.deadEnds.map(partial);
  const alternatives = input.nearDeadEnds.map(partial);
  const reasons = input.states.map((s) =>
    model.step(s, stuck) === undefined ? model.explain(s, stuck) : `${model.describeOp(stuck)} is possible here but leads to a dead end`,
  );
  const base = {
    model: model.name,
    part: input.part,
    partIndex: input.partIndex,
    parts: input.parts,
    processes,
    ops: explained,
    omittedOps: ops.length - explained.length,
    stuckOpId: stuck.id,
    stuckOpText: opText(model, stuck),
    statesBefore: input.states.map((s) => stateData(model, s)),
    statesBeforeText: input.states.map((s) => model.describeState(s)),
    reasons,
    longest,
    alternatives,
    deadEnds: input.deadEndCount,
    provedLocally: input.provedLocally,
  };
  return { ...base, text: renderExplanation(base, stuck) };
}

function where(op: Operation): string {
  return op.line !== undefined ? `line ${op.line}` : `events ${op.callIndex}–${op.returnIndex}`;
}

function renderExplanation(e: Omit<Explanation, 'text'>, stuck: Operation): string {
  const textById = new Map(e.ops.map((op) => [op.id, op.text]));
  const first = e.longest[0];
  const points = new Map<number, number>();
  first?.steps.forEach((s) => points.set(s.opId, s.point));
  const lines: string[] = [];
  lines.push(`${e.stuckOpText} (operation ${e.stuckOpId}, ${where(stuck)}) cannot be linearized.`);
  if (e.parts > 1) lines.push(`It is in part ${e.part} (${e.partIndex + 1} of ${e.parts} independent parts).`);
  lines.push('');
  lines.push('Timeline ([ ] invocation to completion, ? outcome unknown, x linearization point, * cannot be linearized):');
  // The text draws the operations nearest the stuck one; the data keeps more.
  const drawn = e.ops
    .slice()
    .sort((a, b) => Math.abs(a.callIndex - stuck.callIndex) - Math.abs(b.callIndex - stuck.callIndex))
    .slice(0, MAX_TEXT_OPS)
    .sort((a, b) => a.callIndex - b.callIndex);
  const rows = drawn.map((op) => ({
    label: op.text,
    callIndex: op.callIndex,
    returnIndex: op.returnIndex,
    info: op.type === 'info',
    mark: op.id === e.stuckOpId,
    ...(points.has(op.id) ? { point: points.get(op.id) as number } : {}),
  }));
  lines.push(renderTimeline(rows));
  const hidden = e.omittedOps + e.ops.length - drawn.length;
  if (hidden > 0) lines.push(`  (${hidden} other operations of this part not shown)`);
  lines.push('');
  const states = e.statesBeforeText.join(', ');
  if (e.provedLocally) {
    lines.push(
      `No order of the operations around it gets past its completion, whatever state the ${e.model} was in before them;`,
      `the orders explored leave the ${e.model} in ${e.statesBeforeText.length === 1 ? 'state' : 'one of these states'} ${states} when it must take effect:`,
    );
  } else {
    lines.push(
      e.statesBeforeText.length === 1
        ? `The orders that get furthest leave the ${e.model} in state ${states} when it must take effect:`
        : `The orders that get furthest leave the ${e.model} in one of these states when it must take effect: ${states}`,
    );
  }
  e.reasons.forEach((r) => lines.push(`  ${r}`));
  lines.push('');
  const show = (p: PartialLinearization, k: number): void => {
    const prefix = p.omitted > 0 ? `after ${p.omitted} earlier operations, from ${p.stateBeforeText}: ` : `from ${p.stateBeforeText}: `;
    const shown = p.steps.slice(-MAX_TEXT_STEPS);
    const skipped = p.steps.length - shown.length;
    const steps = shown.map((s) => `${textById.get(s.opId) ?? `operation ${s.opId}`} → ${s.stateText}`);
    const start = skipped > 0 ? `after ${p.omitted + skipped} earlier operations, from ${p.steps[skipped - 1].stateText}: ` : prefix;
    lines.push(`  ${k + 1}. ${start}${steps.length ? steps.join(', ') : '(nothing linearized)'}`);
    lines.push(`     then:`);
    for (const c of p.candidates) lines.push(`       ${c.text}: ${c.reason}`);
  };
  lines.push(`Longest partial linearizations (${e.longest.length} of ${e.deadEnds} dead ends):`);
  e.longest.forEach(show);
  if (e.alternatives.length > 0) {
    lines.push('');
    lines.push('Other orders fail earlier:');
    e.alternatives.forEach((p, k) => show(p, e.longest.length + k));
  }
  return lines.join('\n');
}
