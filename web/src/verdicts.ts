/**
 * What the checks panel says about a run's verdicts, as plain lines (no DOM): each
 * expectation met (✓), failed (✗) or skipped (–, the run halted before it could be
 * evaluated), the headline that counts them, and the liveness phase's verdict. A skipped
 * expectation is never shown as met: the run stopped at an invariant violation before
 * the liveness phase, so whether operations complete or servers converge is unknown.
 */
import type { ExpectationStatus } from '../../sim/scenario/run.js';
import type { RunSummary } from './protocol.js';

export interface CheckLine {
  /** good: met; bad: failed; muted: not evaluated. */
  readonly tone: 'good' | 'bad' | 'muted';
  readonly text: string;
}

const MARK: Record<ExpectationStatus, string> = { ok: '✓', failed: '✗', skipped: '–' };
const TONE: Record<ExpectationStatus, CheckLine['tone']> = { ok: 'good', failed: 'bad', skipped: 'muted' };

type Verdicts = Pick<RunSummary, 'expectations' | 'liveness' | 'halted'>;

export function expectationLines(summary: Verdicts): CheckLine[] {
  return summary.expectations.map((e) => ({ tone: TONE[e.status], text: `${MARK[e.status]} ${e.name} — ${e.detail}` }));
}

export function expectationHeadline(summary: Verdicts): CheckLine {
  const count = (status: ExpectationStatus) => summary.expectations.filter((e) => e.status === status).length;
  const total = summary.expectations.length;
  const [met, failed, skipped] = [count('ok'), count('failed'), count('skipped')];
  const halted = summary.halted !== null ? ` (the run halted at ${summary.halted.invariant})` : '';
  const skippedText = skipped > 0 ? `, ${skipped} skipped${halted}` : '';
  if (failed > 0) return { tone: 'bad', text: `✗ ${failed} of ${total} expectations of the scenario failed, ${met} met${skippedText}` };
  return { tone: 'good', text: `✓ ${met} of ${total} expectations of the scenario met${skippedText}` };
}

export function livenessLine(summary: Verdicts): CheckLine {
  const { liveness, halted } = summary;
  if (liveness.status === 'skipped') return { tone: 'muted', text: `– Liveness not checked: the run halted at ${halted?.invariant ?? 'an invariant violation'} before the quiet time.` };
  if (liveness.status === 'ok') return { tone: 'good', text: '✓ After healing, every server caught up and all are on one tree.' };
  return { tone: 'bad', text: `✗ Liveness: not converged when the quiet time ended (no safety property broken): ${liveness.problems.join('; ')}` };
}
