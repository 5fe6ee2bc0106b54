/** Messages between the page and the simulator worker. */
import type { RunResult } from '../../sim/scenario/run.js';
import type { Scenario } from '../../sim/scenario/types.js';
import type { LinReport } from './lin.js';
import type { BranchPoint } from '../../sim/explore/branch.js';

export type RunSummary = Omit<RunResult, 'trace' | 'history'>;

export type WorkerRequest =
  | { id: number; type: 'protocols' }
  | { id: number; type: 'run'; scenario: Scenario; name: string; seed: number; protocol: string }
  | { id: number; type: 'check'; traceText: string }
  | { id: number; type: 'next'; scenario: Scenario; seed: number; protocol: string };

export type WorkerReply =
  | { id: number; ok: true; type: 'protocols'; protocols: string[] }
  | { id: number; ok: true; type: 'run'; summary: RunSummary; traceJson: string; lin: LinReport; runMs: number }
  | { id: number; ok: true; type: 'check'; lin: LinReport; hash: string; storedHash?: string }
  | { id: number; ok: true; type: 'next'; point: BranchPoint }
  | { id: number; ok: false; error: string }
  /** Not an answer: how far a long request is (the page shows it), then the answer follows. */
  | { id: number; progress: { phase: 'hash' | 'verdict'; done: number; total: number } };

type Answer = Extract<WorkerReply, { ok: boolean }>;
type Ok<T extends Extract<WorkerReply, { ok: true }>['type']> = Extract<WorkerReply, { ok: true; type: T }>;
export type Progress = Extract<WorkerReply, { progress: unknown }>['progress'];
type Payload<T> = T extends { id: number } ? Omit<T, 'id'> : never;

/** A promise-based client of the worker. */
export class SimWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Answer) => void; reject: (error: Error) => void; progress?: (p: Progress) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const data = event.data;
      const p = this.pending.get(data.id);
      if (!p) return;
      if ('progress' in data) {
        p.progress?.(data.progress);
        return;
      }
      this.pending.delete(data.id);
      p.resolve(data);
    };
    this.worker.onerror = (event) => {
      for (const p of this.pending.values()) p.reject(new Error(event.message || 'the simulator worker failed'));
      this.pending.clear();
    };
  }

  private call<T extends WorkerRequest['type']>(req: Payload<Extract<WorkerRequest, { type: T }>>, progress?: (p: Progress) => void): Promise<Ok<T>> {
    const id = this.nextId++;
    return new Promise<Ok<T>>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (reply) => (reply.ok ? resolve(reply as Ok<T>) : reject(new Error(reply.error))),
        reject,
        ...(progress ? { progress } : {}),
      });
      this.worker.postMessage({ ...req, id });
    });
  }

  protocols(): Promise<string[]> {
    return this.call<'protocols'>({ type: 'protocols' }).then((r) => r.protocols);
  }

  run(scenario: Scenario, name: string, seed: number, protocol: string): Promise<Ok<'run'>> {
    return this.call<'run'>({ type: 'run', scenario, name, seed, protocol });
  }

  /** Where the scenario's schedule leads and the events that could happen next (the lab's branching). */
  next(scenario: Scenario, seed: number, protocol: string): Promise<BranchPoint> {
    return this.call<'next'>({ type: 'next', scenario, seed, protocol }).then((r) => r.point);
  }

  /** Validates a trace file, recomputes its hash and checks its history. */
  check(traceText: string, progress?: (p: Progress) => void): Promise<{ lin: LinReport; hash: string; storedHash?: string }> {
    return this.call<'check'>({ type: 'check', traceText }, progress);
  }
}
