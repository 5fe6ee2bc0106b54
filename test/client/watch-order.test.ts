/**
 * ZooKeeper's ordering guarantee for watches: a client sees the event of a watch it holds
 * before it sees the new data (Programmer's Guide, "ZooKeeper Consistency Guarantees").
 * Each client records the state its data and exist watches were set on; a read that sees
 * another state while the watch is held is a `watch-late` violation of per-client order.
 * The fixtures were found by hand-made fault mixes (h28) and shrunk; each failed with
 * such a violation before its fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/load.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import type { ProtocolName } from '../../sim/scenario/types.js';

const ROOT = join(import.meta.dirname, '..', '..');
const fixture = (name: string) => {
  const file = join(ROOT, 'test', 'fixtures', 'regressions', name);
  return parseScenario(readFileSync(file, 'utf8'), file);
};

describe('a watch event comes before the data it announces', () => {
  const cases: [string, ProtocolName, string][] = [
    // A server that restarted refuses a request from a session with no connection on it,
    // so the client reconnects and sends its watches (SetWatches) instead of losing them.
    ['zab-watch-after-restart.json', 'zab', 'a restarted ZAB server forgot the watch'],
    ['paxos-watch-after-restart.json', 'paxos', 'a restarted Paxos server forgot the watch'],
    // One connection attempt at a time: a reconnect scheduled before the client got
    // connected no longer runs afterwards and drops the watch a read in flight set.
    ['paxos-watch-one-reconnect-at-a-time.json', 'paxos', 'a stale reconnect wiped the watch'],
    // A watch belongs to the session that set it: a read in flight when a refused ping
    // told the client its session had expired answers after, and its watch died with the
    // session at the servers. Kept, it stood for the next session's reads (swarm paxos
    // seed 104544: a create in the new session read as a missed NodeCreated).
    ['paxos-watch-of-an-expired-session.json', 'paxos', 'a watch set by a read of an expired session outlived it'],
    // A quorum read takes effect at its slot: one chosen after its session's closeSession
    // (the paused server forwarded it late) is refused SESSIONEXPIRED, as ZAB's leader and
    // ZooKeeper's checkSession refuse it, instead of showing data the dead watch never
    // announced (h33's sessionpause mix, paxos seed 673).
    ['paxos-quorum-read-after-session-closed.json', 'paxos', 'a read was served after its session closed'],
    // A session's replies on a new connection no longer wait behind a request of the
    // connection its client gave up (a lost forward, kept until its deadline) while watch
    // events go out at once: the event of the watch a quorum read set reached the client
    // before the read's answer (swarm paxos seed 305356).
    ['paxos-reply-behind-given-up-connection.json', 'paxos', "a watch event overtook the answer of the read that set it"],
  ];
  for (const [file, protocol, what] of cases) {
    it(`${file}: ${what} (per-client order holds, no watch-late read)`, () => {
      const result = runScenario(fixture(file), protocolAdapter(protocol));
      expect(result.reads?.sequentialConsistency.first ?? []).toEqual([]);
      expect(failedExpectations(result)).toEqual([]);
      expect(result.reads?.sequentialConsistency.verdict).toBe('hold');
    });
  }

  it('a client dials one server at a time: the refused pings a paused leader answers at once make one session, not one each', () => {
    const result = runScenario(fixture('paxos-watch-one-reconnect-at-a-time.json'), protocolAdapter('paxos'), { keepTrace: true });
    // Sessions created, once each (every server commits each createSession txn): 5 clients'
    // first sessions and those that expired behind the pause make 8; with one attempt
    // per refusal, 18.
    const txns = (result.trace?.events ?? []).map((e) => (e.kind === 'commit' ? (e as unknown as { txn?: { type?: string; sessionId?: number } }).txn : undefined));
    const sessions = new Set(txns.filter((txn) => txn?.type === 'createSession').map((txn) => txn?.sessionId));
    expect(sessions.size).toBeGreaterThanOrEqual(5);
    expect(sessions.size).toBeLessThanOrEqual(10);
  });
});
