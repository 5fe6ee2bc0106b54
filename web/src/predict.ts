/**
 * "Predict the next step": before a walkthrough step that carries a question, the
 * learner answers; the step itself — read from the real trace — is the answer, and the
 * explanation says which rule decided. A teacher can switch the prompts off (the
 * checkbox, or `q=0` in the link); the score is the learner's own, kept in this
 * browser's localStorage and nowhere else.
 */
import type { Question } from './chapters.js';

const KEY_ON = 'zablab.predict';
const KEY_SCORE = 'zablab.score';

export interface Score {
  right: number;
  asked: number;
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export class Predictions {
  enabled: boolean;
  score: Score;
  /** Answers given in this walk, by step key (so stepping back does not ask again). */
  private readonly answers = new Map<string, number>();

  constructor() {
    this.enabled = storage()?.getItem(KEY_ON) !== 'off';
    this.score = { right: 0, asked: 0 };
    try {
      const saved = JSON.parse(storage()?.getItem(KEY_SCORE) ?? 'null') as Score | null;
      if (saved && Number.isInteger(saved.right) && Number.isInteger(saved.asked) && saved.right >= 0 && saved.asked >= saved.right) this.score = saved;
    } catch {
      /* an unreadable score starts again from zero */
    }
  }

  setEnabled(on: boolean, remember = true): void {
    this.enabled = on;
    if (remember) storage()?.setItem(KEY_ON, on ? 'on' : 'off');
  }

  /** Whether step `key` still has a question to ask. */
  pending(key: string, question: Question | undefined): boolean {
    return this.enabled && question !== undefined && !this.answers.has(key);
  }

  answered(key: string): number | undefined {
    return this.answers.get(key);
  }

  answer(key: string, question: Question, choice: number): boolean {
    const right = choice === question.answer;
    if (!this.answers.has(key)) {
      this.answers.set(key, choice);
      this.score = { right: this.score.right + (right ? 1 : 0), asked: this.score.asked + 1 };
      storage()?.setItem(KEY_SCORE, JSON.stringify(this.score));
    }
    return right;
  }

  resetScore(): void {
    this.score = { right: 0, asked: 0 };
    this.answers.clear();
    storage()?.setItem(KEY_SCORE, JSON.stringify(this.score));
  }

  /** A new walk asks its questions afresh. */
  newWalk(): void {
    this.answers.clear();
  }
}
