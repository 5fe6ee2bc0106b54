/**
 * Exporting a run for other tools:
 * - the client history as Jepsen EDN (Knossos, Elle and Porcupine users check it with
 *   their own tools): one op map per line, `{:type :invoke, :f :write, :value 3,
 *   :process 0, :time 12000}` (time in nanoseconds, as Jepsen records it);
 * - the message log in ShiViz's format: a log line per event with the node's vector
 *   clock, and the parsing regex ShiViz needs on the first line.
 */
import type { TraceEvent } from '../core/trace.js';

function ednString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function ednKeyword(name: string): string {
  return /^[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.-]*$/.test(name) ? `:${name}` : ednString(name);
}

export function toEdn(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : 'nil';
    case 'boolean':
      return String(value);
    case 'string':
      return ednString(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map(toEdn).join(' ')}]`;
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${ednKeyword(k)} ${toEdn(v)}`)
        .join(', ')}}`;
    default:
      return ednString(String(value));
  }
}

/** The client operations of a trace (its invoke/complete events) as Jepsen EDN, one op per line. */
export function traceHistoryToEdn(events: readonly TraceEvent[]): string {
  const lines: string[] = [];
  let index = 0;
  for (const event of events) {
    if (event.kind !== 'invoke' && event.kind !== 'complete') continue;
    const type = event.kind === 'invoke' ? 'invoke' : (event.result as string);
    lines.push(`{:type :${type}, :f ${ednKeyword(String(event.f))}, :value ${toEdn(event.value)}, :process ${toEdn(event.process)}, :time ${event.timeUs * 1000}, :index ${index++}}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/**
 * ShiViz log: every send, deliver, crash, restart and protocol event of the servers,
 * with vector clocks (a send carries the sender's clock; a delivery merges it).
 */
export function traceToShiViz(events: readonly TraceEvent[], servers: number): string {
  const clocks: Record<string, number>[] = Array.from({ length: servers }, () => ({}));
  const sentClock = new Map<number, Record<string, number>>();
  const lines = ['(?<host>\\S+) (?<clock>\\{.*\\}) (?<event>.*)', ''];
  const bump = (node: number) => {
    const name = `s${node}`;
    clocks[node][name] = (clocks[node][name] ?? 0) + 1;
  };
  const emit = (node: number, text: string) => lines.push(`s${node} ${JSON.stringify(clocks[node])} ${text.replace(/\n/g, ' ')}`);
  for (const event of events) {
    const node = event.node;
    if (node < 0 || node >= servers) continue;
    switch (event.kind) {
      case 'send':
        if ((event.to as number) === node) break;
        bump(node);
        sentClock.set(event.msgId as number, { ...clocks[node] });
        emit(node, `t=${event.timeUs}us send ${String(event.type)} #${String(event.msgId)} to s${String(event.to)}`);
        break;
      case 'deliver': {
        if ((event.from as number) === node) break;
        const sent = sentClock.get(event.msgId as number);
        if (sent) for (const [key, value] of Object.entries(sent)) clocks[node][key] = Math.max(clocks[node][key] ?? 0, value);
        bump(node);
        emit(node, `t=${event.timeUs}us deliver ${String(event.type)} #${String(event.msgId)} from s${String(event.from)}`);
        break;
      }
      case 'crash':
      case 'restart':
      case 'pause':
      case 'resume':
      case 'election':
      case 'state':
      case 'commit':
      case 'violation': {
        bump(node);
        const { timeUs, seq: _seq, node: _node, kind, ...rest } = event;
        const detail = kind === 'commit' ? String(rest.label ?? rest.index) : kind === 'state' ? `${String(rest.role ?? '')}` : kind === 'violation' ? `${String(rest.invariant)}: ${String(rest.message)}` : JSON.stringify(rest);
        emit(node, `t=${timeUs}us ${kind} ${detail}`);
        break;
      }
    }
  }
  return lines.join('\n') + '\n';
}
