/**
 * Session ownership (ZooKeeper's SESSIONMOVED): a write that a server still holds for a
 * client that has since reconnected elsewhere must not change anything. Both fixtures
 * were found by h28's recipes2 fault mix; each failed its story before the fix.
 * - ZAB, as ZooKeeper: the leader's tracker owns the session to the server it was
 *   revalidated through, and the held write becomes a SESSIONMOVED error txn.
 * - Paxos, checked at apply time: a reconnect is a replicated move of the session, and a
 *   write from a connection that no longer owns its session changes nothing.
 * And the client's side of the same trust: a client does not wait on a silent server
 * longer than ZooKeeper's read timeout, request in flight or not (h31's lockpause mix).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import type { TraceEvent } from '../../sim/core/trace.js';

const ROOT = join(import.meta.dirname, '..', '..');
const fixture = (name: string) => {
  const file = join(ROOT, 'test', 'fixtures', 'regressions', name);
  return parseScenario(readFileSync(file, 'utf8'), file);
};

type Txn = { type?: string; path?: string; code?: string; ephemeralOwner?: number };
const txnOf = (e: TraceEvent) => e.txn as Txn | undefined;

describe('a write held for a client that moved to another server changes nothing', () => {
  it('Paxos, recipes2 seed 513: the lock creates held by a paused leader do not land after their clients moved; nobody waits forever', () => {
    const result = runScenario(fixture('paxos-lock-create-after-its-client-moved.json'), protocolAdapter('paxos'), { keepTrace: true });
    expect(failedExpectations(result)).toEqual([]);
    const events = result.trace!.events;
    // The clients of the paused leader reconnected through moves of their sessions...
    expect(events.some((e) => e.kind === 'commit' && e.command === 'move')).toBe(true);
    // ...and no session ever owned two lock nodes at once (Curator's protected-mode hazard).
    const owned = new Map<number, Set<string>>();
    for (const e of events) {
      if (e.kind !== 'commit' || e.node !== 0 || e.replay === true) continue;
      const txn = txnOf(e);
      if (txn?.type === 'create' && txn.path?.startsWith('/lock/') && txn.ephemeralOwner) {
        const nodes = owned.get(txn.ephemeralOwner) ?? new Set<string>();
        nodes.add(txn.path);
        owned.set(txn.ephemeralOwner, nodes);
        expect(nodes.size, `session ${txn.ephemeralOwner} owns ${[...nodes].join(', ')}`).toBe(1);
      } else if (txn?.type === 'delete' && txn.path !== undefined) {
        for (const nodes of owned.values()) nodes.delete(txn.path);
      }
    }
  });

  it('ZAB, recipes2 seed 234: the create server 2 held reaches the leader after its client moved to server 4: a SESSIONMOVED error txn, and server 2 closes that connection', () => {
    const result = runScenario(fixture('zab-create-after-its-client-moved.json'), protocolAdapter('zab'), { keepTrace: true });
    expect(failedExpectations(result)).toEqual([]);
    const events = result.trace!.events;
    const refused = events.filter((e) => e.kind === 'session-moved' && e.where === 'prep');
    expect(refused.map((e) => [e.node, e.from, e.owner])).toEqual([[3, 2, 4]]);
    // The leader proposed an error txn in its place: nothing changed.
    const proposal = events.find((e) => e.kind === 'propose' && e.index === refused[0].zxid);
    expect(txnOf(proposal!)).toEqual({ type: 'error', code: 'SESSIONMOVED' });
    // Server 2 closed that client's connection instead of answering.
    expect(events.some((e) => e.kind === 'session-moved' && e.node === 2 && e.where === 'closed')).toBe(true);
  });

  it('ZAB, h50 reconnect hunt: the SESSIONMOVED error txn of a write held on a connection the client gave up closes that connection, not the one it made here since', () => {
    const result = runScenario(fixture('zab-session-moved-closes-only-its-connection.json'), protocolAdapter('zab'), { keepTrace: true });
    expect(failedExpectations(result)).toEqual([]);
    const events = result.trace!.events;
    // The story happened: the held write was refused at the leader, and server 0 took it as a moved session's.
    expect(events.filter((e) => e.kind === 'session-moved' && e.where === 'prep').map((e) => [e.node, e.from, e.owner])).toEqual([[2, 0, 1]]);
    const closed = events.filter((e) => e.kind === 'session-moved' && e.where === 'closed');
    expect(closed.map((e) => [e.node, e.client, e.request])).toEqual([[0, 0, 29]]);
    // The client had reconnected to server 0 before: the read it sent on that connection is answered, not refused.
    const readAfter = result.history.filter((e) => e.type !== 'invoke' && e.process === 4 && (e.timeUs ?? 0) > closed[0].timeUs)[0];
    expect(readAfter).toMatchObject({ type: 'ok', f: 'getData' });
    expect(result.history.filter((e) => e.type === 'fail')).toEqual([]);
  });

  it('Paxos, lockpause seed 205: a lock waiter whose server went silent drops the connection (ClientCnxn read timeout) instead of taking a late answer after its session expired', () => {
    const result = runScenario(fixture('paxos-lock-answer-after-session-expired.json'), protocolAdapter('paxos'));
    expect(failedExpectations(result)).toEqual([]);
    expect(result.recipe?.verdict).toBe('holds');
  });
});
