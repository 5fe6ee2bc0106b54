/**
 * The membership checker (checkMembership) pairs every expiry a member learned with the
 * listings made before the member was back (its next join completed). A join can outlast
 * several sessions when they are short (h36's shortsession mix: a 4 ms granted session,
 * zab seeds 49 and 98): each of those expiries ends at that join. The checker kept only
 * the last one pending, so an earlier expiry stayed open for ever and was charged with a
 * listing long after the member had rejoined and left again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMembership } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';

const at = (ms: number) => ms * 1000;
const ev = (type: HistoryEvent['type'], process: number, f: string, value: unknown, ms: number): HistoryEvent => ({ type, process, f, value, timeUs: at(ms) });

describe('membership: expiries learned during one join', () => {
  it('all end when that join completes', () => {
    const events: HistoryEvent[] = [
      ev('invoke', 1, 'join', 'c1', 0),
      ev('invoke', 1, 'expired', null, 100),
      ev('ok', 1, 'expired', at(100), 100),
      ev('invoke', 0, 'view', null, 120),
      ev('ok', 0, 'view', [], 120),
      ev('invoke', 1, 'expired', null, 200),
      ev('ok', 1, 'expired', at(200), 200),
      ev('invoke', 1, 'expired', null, 250),
      ev('ok', 1, 'expired', at(250), 250),
      ev('ok', 1, 'join', 7, 300),
      ev('invoke', 0, 'view', null, 320),
      ev('ok', 0, 'view', ['c1'], 320),
      ev('invoke', 1, 'leave', 'c1', 900),
      ev('ok', 1, 'leave', null, 905),
      ev('invoke', 0, 'view', null, 1000),
      ev('ok', 0, 'view', [], 1000),
    ];
    const report = checkMembership(events, { sessionTimeoutUs: 400_000, leaderChangesUs: [] });
    expect(report.summary).not.toMatch(/later than/);
    expect(report.verdict).toBe('holds');
    expect(report.summary).toMatch(/2 expiry\(ies\) the watcher never saw/);
  });

  it('an expiry with no join after it is still judged by the listings after it', () => {
    const events: HistoryEvent[] = [
      ev('ok', 1, 'join', 7, 0),
      ev('invoke', 1, 'expired', null, 100),
      ev('ok', 1, 'expired', at(100), 100),
      ev('invoke', 0, 'view', null, 900),
      ev('ok', 0, 'view', [], 900),
    ];
    expect(checkMembership(events, { sessionTimeoutUs: 400_000, leaderChangesUs: [] }).summary).toMatch(/the watcher saw c1 gone only at 900\.0 ms, later than/);
  });
});

describe('membership with 4 ms sessions (regression: shortsession zab 49)', () => {
  it('meets every expectation', () => {
    const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'zab-membership-expiries-during-one-join.json');
    const result = runScenario(parseScenario(readFileSync(file, 'utf8'), file), protocolAdapter('zab'));
    expect(failedExpectations(result)).toEqual([]);
    expect(result.recipe?.summary).toMatch(/membership: \d+ member session\(s\) expired/);
  });
});

describe('membership with a watcher stopped meanwhile (pause-client)', () => {
  const events: HistoryEvent[] = [
    ev('ok', 1, 'join', 7, 0),
    ev('invoke', 0, 'view', null, 50),
    ev('ok', 0, 'view', ['c1'], 50),
    ev('invoke', 1, 'expired', null, 100),
    ev('ok', 1, 'expired', at(100), 100),
    ev('ok', 1, 'join', 8, 1500),
    ev('invoke', 0, 'view', null, 1800),
    ev('ok', 0, 'view', ['c1'], 1800),
    ev('invoke', 1, 'leave', 'c1', 2000),
    ev('ok', 1, 'leave', null, 2005),
    ev('invoke', 0, 'view', null, 2100),
    ev('ok', 0, 'view', [], 2100),
  ];
  const context = { sessionTimeoutUs: 400_000, leaderChangesUs: [] };

  it('a member back before the watcher woke goes unseen, named, not failed', () => {
    expect(checkMembership(events, context).summary).toMatch(/the watcher never saw c1 gone/);
    const report = checkMembership(events, { ...context, clientPauses: [{ client: 0, fromUs: at(80), toUs: at(1700) }] });
    expect(report.verdict).toBe('holds');
    expect(report.summary).toMatch(/1 expiry\(ies\) the watcher never saw/);
    // Another client's pause changes nothing.
    expect(checkMembership(events, { ...context, clientPauses: [{ client: 2, fromUs: at(80), toUs: at(1700) }] }).verdict).toBe('violated');
  });

  it('regression: obsrecipes paxos 132 meets every expectation', () => {
    const file = join(import.meta.dirname, '..', 'fixtures', 'regressions', 'paxos-membership-watcher-paused.json');
    const result = runScenario(parseScenario(readFileSync(file, 'utf8'), file), protocolAdapter('paxos'));
    expect(failedExpectations(result)).toEqual([]);
    expect(result.recipe?.summary).toMatch(/expiry\(ies\) the watcher never saw/);
  });
});

describe('membership with a watcher that had no connection meanwhile (leader crash, lock-twin scenario zab 210)', () => {
  // c1's session ends at 100 ms (it learns at 110); the watcher (client 0) lists nothing
  // until it connects again at `backMs` and sees c1 gone at `backMs + 1`.
  const events = (backMs: number, listedBetween = false): HistoryEvent[] => [
    ev('ok', 1, 'join', 7, 0),
    ev('invoke', 0, 'view', null, 50),
    ev('ok', 0, 'view', ['c1'], 50),
    ev('invoke', 1, 'expired', null, 110),
    ev('ok', 1, 'expired', at(100), 110),
    ...(listedBetween ? [ev('invoke', 0, 'view', null, 300), ev('ok', 0, 'view', ['c1'], 300)] : []),
    ev('invoke', 0, 'view', null, backMs + 1),
    ev('ok', 0, 'view', [], backMs + 1),
  ];
  const context = { sessionTimeoutUs: 20_000, leaderChangesUs: [] };
  const connections = (backMs: number) => [[at(10), 0, at(backMs), 1], [at(5), 2]];

  it('the bound runs from its reconnection: late but named, not failed', () => {
    expect(checkMembership(events(900), context).summary).toMatch(/the watcher saw c1 gone only at 901\.0 ms/);
    const report = checkMembership(events(900), { ...context, clientConnections: connections(900) });
    expect(report.verdict).toBe('holds');
    expect(report.summary).toMatch(/1 counted from when the watcher, without a connection meanwhile, connected again/);
  });

  it('not when it listed in between (it had a server then), nor for long after reconnecting', () => {
    expect(checkMembership(events(900, true), { ...context, clientConnections: connections(900) }).verdict).toBe('violated');
    const late = events(900);
    late[late.length - 2] = ev('invoke', 0, 'view', null, 1200);
    late[late.length - 1] = ev('ok', 0, 'view', [], 1200);
    expect(checkMembership(late, { ...context, clientConnections: connections(900) }).summary).toMatch(/later than 200\.0 ms after the watcher, without a connection meanwhile, connected again \(at 900\.0 ms\)/);
    // Another client's reconnection changes nothing.
    expect(checkMembership(events(900), { ...context, clientConnections: [[at(10), 0], [at(5), 2, at(900), 1]] }).verdict).toBe('violated');
  });
});
