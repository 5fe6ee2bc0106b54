/**
 * The simulator, in a Web Worker: the page stays responsive while a scenario runs.
 * Everything under sim/ is isomorphic (no Node built-ins, no wall clock), so this is
 * the very code `zablab run` executes, and the trace hash is the same.
 */
import { runScenario } from '../../sim/scenario/run.js';
import { allBugs, PROTOCOLS, protocolAdapter } from '../../sim/scenario/protocols.js';
import { validateScenario } from '../../sim/scenario/load.js';
import { readTrace, traceToJson } from '../../sim/core/trace.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { linFromTrace } from './lin.js';
import { branchPoint } from '../../sim/explore/branch.js';
import type { WorkerReply, WorkerRequest, RunSummary } from './protocol.js';

const post = (reply: WorkerReply) => (self as unknown as Worker).postMessage(reply);

self.onmessage = (message: MessageEvent<WorkerRequest>) => {
  const req = message.data;
  try {
    switch (req.type) {
      case 'protocols':
        post({ id: req.id, ok: true, type: 'protocols', protocols: Object.keys(PROTOCOLS) });
        return;
      case 'run': {
        const started = performance.now();
        const scenario = validateScenario(JSON.parse(JSON.stringify(req.scenario)) as unknown, req.name, new Set(allBugs().map((b) => b.name)));
        const result = runScenario(scenario, protocolAdapter(req.protocol), { seed: req.seed, keepTrace: true, name: req.name });
        const runMs = performance.now() - started;
        const trace = result.trace!;
        const lin =
          result.linearizability.verdict === 'not-linearizable' ? linFromTrace(trace.events, scenario, req.protocol, trace.meta) : { verdict: result.linearizability.verdict, model: result.linearizability.model, ops: result.linearizability.ops };
        const { trace: _trace, history: _history, ...rest } = result;
        const summary: RunSummary = rest;
        post({ id: req.id, ok: true, type: 'run', summary, traceJson: traceToJson(trace), lin, runMs });
        return;
      }
      case 'next': {
        const scenario = validateScenario(JSON.parse(JSON.stringify(req.scenario)) as unknown, 'branch', new Set(allBugs().map((b) => b.name)));
        post({ id: req.id, ok: true, type: 'next', point: branchPoint(scenario, protocolAdapter(req.protocol), req.seed) });
        return;
      }
      case 'check': {
        const trace = readTrace(req.traceText, (done, total) => post({ id: req.id, progress: { phase: 'hash', done, total } }));
        const scenario = trace.meta.scenarioBody as Scenario | undefined;
        post({ id: req.id, progress: { phase: 'verdict', done: 0, total: 1 } });
        post({ id: req.id, ok: true, type: 'check', hash: trace.hash, ...(trace.storedHash !== undefined ? { storedHash: trace.storedHash } : {}), lin: linFromTrace(trace.events, scenario, String(trace.meta.protocol), trace.meta) });
        return;
      }
    }
  } catch (error) {
    post({ id: req.id, ok: false, error: (error as Error).message });
  }
};
