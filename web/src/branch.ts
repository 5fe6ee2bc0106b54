/**
 * "Choose the next event": at the cursor, the events that could happen next (this
 * message, that timer, a crash), from the controlled scheduler `zablab explore`
 * searches with (sim/explore/branch.ts). Picking one branches the run: the run becomes
 * a scenario with a `schedule` — time order until the branch point, then the choices —
 * re-simulated in the worker, with the cursor on the event just chosen, so the diagram,
 * the state panel and the narration follow the branch. Back and forward walk the
 * branch's steps; the export (this panel's, or the page's Export) is the scenario with
 * its schedule, which `zablab run` replays to the page's trace hash.
 *
 * The panel knows nothing of the diagram: the page hands it a host (BranchHost).
 */
import type { ScheduleStep } from '../../sim/explore/scheduler.js';
import { describeStep, stepKey } from '../../sim/explore/scheduler.js';
import type { BranchPoint, NextEvent } from '../../sim/explore/branch.js';
import { button, el } from './dom.js';

export interface BranchHost {
  /** Where this schedule leads and what could happen next (the worker answers). */
  next(schedule: readonly ScheduleStep[]): Promise<BranchPoint>;
  /** Re-simulates the run with this schedule (undefined: the clock's own run) and puts the cursor on event `cursor`. */
  rerun(schedule: readonly ScheduleStep[] | undefined, cursor?: number): Promise<void>;
  /** The cursor's time, where a new branch starts. */
  cursorTimeUs(): number;
  /** Downloads the run as a scenario file (with the branch's schedule when there is one). */
  exportRun(): void;
}

const GROUPS: readonly [NextEvent['group'], string][] = [
  ['message', 'Messages and client packets'],
  ['node', 'Timers, disk syncs, broken connections'],
  ['environment', 'The workload and the scripted faults'],
  ['fault', 'Faults: lose, duplicate, crash, restart, isolate, heal'],
];

export class BranchPanel {
  /** The branch: its first step is the time-order run to the branch point. Empty: no branch. */
  private steps: ScheduleStep[] = [];
  /** Steps taken back (Forward takes them again). */
  private redo: ScheduleStep[] = [];
  private point: BranchPoint | null = null;
  /** What the branch was made on (scenario, seed, protocol, faults): another run drops it. */
  private origin = '';
  private busy = false;

  constructor(
    private readonly panel: HTMLElement,
    private readonly host: BranchHost,
  ) {}

  get active(): boolean {
    return this.steps.length > 0;
  }

  /** The schedule to simulate, or undefined without a branch. */
  schedule(): ScheduleStep[] | undefined {
    return this.active ? this.steps.slice() : undefined;
  }

  /** Called before every run with what it is made on: a branch made on something else is dropped. */
  checkOrigin(origin: string): void {
    if (this.active && origin !== this.origin) this.clear();
    this.origin = origin;
  }

  private clear(): void {
    this.steps = [];
    this.redo = [];
    this.point = null;
  }

  /** Starts a branch at the cursor's time, or takes a step, back, forward. */
  private async go(change: () => void): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      change();
      this.render();
      const point = await this.host.next(this.steps);
      this.point = point;
      await this.host.rerun(this.steps, Math.max(0, point.atEvent - 1));
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private start(): Promise<void> {
    return this.go(() => {
      // Just after the cursor's event: events at that very time happen first, in time order.
      const untilMs = Math.floor(this.host.cursorTimeUs()) / 1000;
      this.steps = [{ e: 'run', untilMs }];
      this.redo = [];
    });
  }

  private pick(step: ScheduleStep): Promise<void> {
    return this.go(() => {
      this.steps.push(step);
      this.redo = [];
    });
  }

  private back(): Promise<void> {
    return this.go(() => {
      if (this.steps.length > 1) this.redo.push(this.steps.pop()!);
    });
  }

  private forward(): Promise<void> {
    return this.go(() => {
      const step = this.redo.pop();
      if (step !== undefined) this.steps.push(step);
    });
  }

  private async leave(): Promise<void> {
    this.clear();
    this.render();
    await this.host.rerun(undefined);
  }

  render(): void {
    const panel = this.panel;
    panel.replaceChildren(el('h2', undefined, 'Choose the next event'));
    if (!this.active) {
      panel.append(
        el('p', 'hint', 'Instead of the clock, you choose what happens next: which message arrives, which timer fires, which server crashes. The run branches at the cursor and is re-simulated under the explorer’s scheduler (messages take no time of their own, so the events before the cursor may come in another order).'),
        button('Branch at the cursor', () => void this.start(), 'primary', 'Start a branch: time order up to the cursor, then your choices'),
      );
      return;
    }
    const nav = el('div', 'branch-nav');
    const back = button('◀ Back', () => void this.back(), undefined, 'Undo the last choice');
    back.id = 'branch-back';
    back.disabled = this.busy || this.steps.length <= 1;
    const forward = button('Forward ▶', () => void this.forward(), undefined, 'Take the undone choice again');
    forward.id = 'branch-forward';
    forward.disabled = this.busy || this.redo.length === 0;
    const exportButton = button('Export branch', () => this.host.exportRun(), undefined, 'Download the scenario with this schedule: zablab run replays it to this trace hash');
    exportButton.id = 'branch-export';
    const leave = button('Leave', () => void this.leave(), undefined, 'Back to the clock’s own run');
    nav.append(back, forward, exportButton, leave);
    panel.append(nav);
    const path = el('ol', 'branch-path');
    path.id = 'branch-path';
    for (const step of this.steps) path.append(el('li', undefined, describeStep(step)));
    panel.append(path);
    const point = this.point;
    if (point === null || this.busy) {
      panel.append(el('p', 'muted', 'Simulating…'));
      return;
    }
    if (point.halted !== null) {
      panel.append(el('p', 'branch-halted', `The run halted here: ${point.halted}. Go back to choose otherwise.`));
      return;
    }
    if (point.next.length === 0) {
      panel.append(el('p', 'muted', 'Nothing is left to happen before the story’s end.'));
      return;
    }
    const list = el('div', 'branch-next');
    list.id = 'branch-next';
    for (const [group, title] of GROUPS) {
      const items = point.next.filter((n) => n.group === group);
      if (items.length === 0) continue;
      const box = group === 'fault' ? el('details', 'branch-group') : el('div', 'branch-group');
      box.append(el(group === 'fault' ? 'summary' : 'h3', undefined, `${title} (${items.length})`));
      for (const item of items) {
        const choose = button(item.clock ? `${item.text} — the clock’s next` : item.text, () => void this.pick(item.step), item.clock ? 'branch-choice clock' : 'branch-choice', item.clock ? 'What the clock would do next anyway: the run goes on unchanged' : 'Make this happen next');
        choose.dataset.step = stepKey(item.step);
        if (item.clock) choose.dataset.clock = '1';
        box.append(choose);
      }
      list.append(box);
    }
    panel.append(list);
  }
}
