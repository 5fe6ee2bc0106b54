/**
 * Faults injected by clicking, as scenario fault actions.
 *
 * An injected fault is appended to the scenario's `faults` with `atMs` = the cursor's
 * time + 1 µs (so it strikes right after the event under the cursor, before anything
 * later) and a `node:N` target, then the whole run is re-simulated from the seed: the
 * trace is identical up to that instant, and the exported scenario replays it exactly.
 *
 * A scenario driven by a random nemesis is first made concrete: the nemesis schedule
 * is drawn from the same seeded stream the simulator uses ("nemesis-schedule"), so
 * replacing it by its fault list changes nothing.
 *
 * "Drop this message" is a one-way cut from its sender to its receiver for 1 µs at its
 * send time. It is exact when no other message on that link is sent in the same
 * microsecond and no other partition is active then (the cut's end heals every cut,
 * as a scenario `heal` does); the lab says so when that is not the case.
 */
import { materializeNemesis } from '../../sim/scenario/run.js';
import { RngStreams } from '../../sim/core/rng.js';
import type { FaultAction, Scenario } from '../../sim/scenario/types.js';
import { serverName, usToMs } from './format.js';

export type Injected = FaultAction;

/** The scenario with the injected faults, ready to run or to download. */
export function withFaults(scenario: Scenario, seed: number, injected: readonly FaultAction[]): Scenario {
  const copy = JSON.parse(JSON.stringify(scenario)) as Scenario;
  if (injected.length === 0) return copy;
  let base: FaultAction[] = copy.faults ?? [];
  if (copy.nemesis !== undefined) {
    base = materializeNemesis(copy.nemesis, copy, new RngStreams(seed).stream('nemesis-schedule'));
    delete copy.nemesis;
  }
  copy.faults = [...base, ...injected];
  return copy;
}

/** The scenario file to download: injected faults, the seed and the protocol written in. */
export function exportScenario(scenario: Scenario, seed: number, protocol: string, injected: readonly FaultAction[]): Scenario {
  const out = withFaults(scenario, seed, injected);
  delete out.$schema;
  out.seed = seed;
  const protocols = out.protocols ?? ['zab'];
  out.protocols = [protocol as 'zab' | 'paxos', ...protocols.filter((p) => p !== protocol)];
  if (injected.length > 0) {
    const list = injected.map(describeFault).join('; ');
    out.explanation = `${out.explanation}\n\nFaults injected in the lab: ${list}.`;
  }
  return out;
}

export function cursorAtMs(timeUs: number): number {
  return usToMs(timeUs + 1);
}

export function describeFault(f: FaultAction): string {
  const at = `at ${f.atMs} ms`;
  const dur = 'durationMs' in f && f.durationMs !== undefined ? ` for ${f.durationMs} ms` : '';
  // Scenario files may name a server by its number (the loader accepts N for node:N).
  const t = (target: string | number) => (typeof target === 'number' ? serverName(target) : target.replace(/^node:(\d+)$/, (_, n: string) => serverName(Number(n))));
  switch (f.action) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      return `${f.action} ${t(f.target)} ${at}${dur}`;
    case 'partition':
      if (f.groups) return `partition ${f.groups.map((g) => `{${g.map(t).join(', ')}}`).join(' | ')} ${at}${dur}`;
      if (f.isolate) return `isolate ${t(f.isolate)} ${at}${dur}`;
      return `partition (${f.shape}) ${at}${dur}`;
    case 'cut':
      return f.durationMs === 0.001 ? `drop ${t(f.from)} → ${t(f.to)} ${at}` : `cut ${t(f.from)} → ${t(f.to)} ${at}${dur}`;
    case 'heal':
      return `heal ${at}`;
    default:
      return `${f.action} ${at}`;
  }
}

// ---- URL form: compact and readable, e.g. "crash.2@25.092~part.0-1.2-3-4@40+100~cut.1-2@12.5+0.001"

const node = (target: string): string => {
  const m = /^node:(\d+)$/.exec(target);
  if (!m) throw new Error(`only node:N targets can be encoded, got ${target}`);
  return m[1];
};

export function encodeFaults(faults: readonly FaultAction[]): string {
  return faults
    .map((f) => {
      const dur = 'durationMs' in f && f.durationMs !== undefined ? `+${f.durationMs}` : '';
      switch (f.action) {
        case 'crash':
        case 'restart':
        case 'pause':
        case 'resume':
          return `${f.action}.${node(f.target)}@${f.atMs}${dur}`;
        case 'partition':
          return `part.${(f.groups ?? []).map((g) => g.map(node).join('-')).join('.')}@${f.atMs}${dur}`;
        case 'cut':
          return `cut.${node(f.from)}-${node(f.to)}@${f.atMs}${dur}`;
        case 'heal':
          return `heal@${f.atMs}`;
        default:
          throw new Error(`cannot encode ${f.action}`);
      }
    })
    .join('~');
}

export function decodeFaults(text: string): FaultAction[] {
  const out: FaultAction[] = [];
  for (const part of text.split('~')) {
    if (part === '') continue;
    const m = /^([a-z]+)(?:\.([0-9.-]+))?@([0-9.]+)(?:\+([0-9.]+))?$/.exec(part);
    if (!m) throw new Error(`cannot read the fault "${part}"`);
    const [, action, args = '', at, dur] = m;
    const atMs = Number(at);
    const durationMs = dur !== undefined ? Number(dur) : undefined;
    const withDur = <T extends object>(f: T): T => (durationMs !== undefined ? { ...f, durationMs } : f);
    switch (action) {
      case 'crash':
      case 'restart':
      case 'pause':
      case 'resume':
        out.push(withDur({ atMs, action, target: `node:${Number(args)}` }));
        break;
      case 'part':
        out.push(withDur({ atMs, action: 'partition' as const, groups: args.split('.').map((g) => g.split('-').map((n) => `node:${Number(n)}`)) }));
        break;
      case 'cut': {
        const [from, to] = args.split('-');
        out.push(withDur({ atMs, action: 'cut' as const, from: `node:${Number(from)}`, to: `node:${Number(to)}` }));
        break;
      }
      case 'heal':
        out.push({ atMs, action: 'heal' });
        break;
      default:
        throw new Error(`unknown fault "${action}"`);
    }
  }
  return out;
}

export function base64urlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(text: string): string {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
