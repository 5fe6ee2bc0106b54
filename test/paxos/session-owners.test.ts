/**
 * Session ownership in Paxos, checked where Paxos checks every condition: when a chosen
 * command is applied (sim/paxos/apply.ts, SessionOwners). The connection a session's
 * createSession or latest move came through owns it; a write through any other
 * connection changes nothing (SESSIONMOVED), on every replica alike, whatever slot it was
 * chosen in; a move from an older connection than the owner's (a resent or late copy)
 * changes nothing either.
 */
import { describe, expect, it } from 'vitest';
import { DataTree } from '../../sim/store/index.js';
import type { Txn } from '../../sim/store/types.js';
import { applyCommand } from '../../sim/paxos/apply.js';
import { connectionKey, type Command, type Route } from '../../sim/paxos/messages.js';
import { SessionOwners } from '../../sim/paxos/sessions.js';

const SESSION = 7;
const CLIENT = 3;

/** The route of a request of CLIENT's session through `server`, on the connection its connect request `connect` opened. */
function route(server: number, connect: number, requestId: number, sessionId = SESSION): Route {
  return { server, clientId: CLIENT, requestId, sessionId, connection: connectionKey(CLIENT, connect) };
}

let seq = 0;
function txn(txn: Txn, via: Route): Command {
  seq++;
  return { id: `t${seq}`, kind: 'txn', origin: 'paxos:b1', originSeq: seq, ballot: 1, txn, route: via };
}

function move(via: Route): Command {
  return { id: `m${++seq}`, kind: 'move', origin: 'paxos:b1', originSeq: 0, ballot: 1, route: via };
}

function create(path: string, via: Route): Command {
  return txn({ type: 'create', path, data: '', ephemeralOwner: 0, parentCVersion: 1 }, via);
}

/** A replica where CLIENT's first connect (request 1, through server 0) created SESSION. */
function replica() {
  const tree = new DataTree();
  const owners = new SessionOwners();
  let slot = 0;
  const apply = (command: Command) => applyCommand(tree, owners, command, ++slot, true);
  const created = apply(txn({ type: 'createSession', sessionId: SESSION, timeoutUs: 1_000 }, { ...route(0, 1, 1), sessionId: 0 }));
  expect(created.result?.ok).toBe(true);
  return { tree, owners, apply };
}

describe('Paxos session ownership, at apply time', () => {
  it('the connection that created a session owns it: its writes apply, another connection’s do not', () => {
    const { tree, owners, apply } = replica();
    expect(owners.get(SESSION)).toMatchObject({ server: 0, connection: connectionKey(CLIENT, 1) });
    expect(apply(create('/a', route(0, 1, 2)))).toMatchObject({ moved: false, result: { ok: true } });
    const before = tree.digest();
    // Same server, another connection of the client: refused as well (owners are per connection).
    expect(apply(create('/b', route(0, 9, 10)))).toMatchObject({ moved: true, result: null });
    expect(apply(create('/b', route(1, 1, 3)))).toMatchObject({ moved: true, result: null });
    expect(tree.digest()).toBe(before);
    expect(tree.getData('/b').ok).toBe(false);
  });

  it('a move hands the session to the new connection: a write still held by the old one changes nothing', () => {
    const { tree, owners, apply } = replica();
    apply(move(route(2, 5, 5)));
    expect(owners.get(SESSION)).toMatchObject({ server: 2, connection: connectionKey(CLIENT, 5) });
    // The lock create of recipes2 paxos 513: sent through server 0 before the client gave
    // up on it, chosen after the client reconnected to server 2.
    expect(apply(create('/lock/n-', route(0, 1, 4)))).toMatchObject({ moved: true });
    expect(tree.getData('/lock/n-').ok).toBe(false);
    expect(apply(create('/x', route(2, 5, 6)))).toMatchObject({ moved: false, result: { ok: true } });
  });

  it('a move from an older connection than the owner’s (a resent or late copy) changes nothing', () => {
    const { owners, apply } = replica();
    apply(move(route(2, 5, 5)));
    apply(move(route(1, 3, 3))); // the client's earlier reconnect, chosen late
    expect(owners.get(SESSION)).toMatchObject({ server: 2, connection: connectionKey(CLIENT, 5) });
    apply(move(route(2, 5, 5))); // a second copy of the current one
    expect(owners.get(SESSION)).toMatchObject({ server: 2, connection: connectionKey(CLIENT, 5) });
  });

  it('a close is not checked (the leader expires sessions, no connection), and forgets the owner; a move of a closed session does nothing', () => {
    const { tree, owners, apply } = replica();
    expect(apply(txn({ type: 'closeSession', sessionId: SESSION }, route(1, 8, 8)))).toMatchObject({ moved: false, result: { ok: true } });
    expect(tree.hasSession(SESSION)).toBe(false);
    expect(owners.get(SESSION)).toBeUndefined();
    apply(move(route(2, 9, 9)));
    expect(owners.get(SESSION)).toBeUndefined();
    expect(owners.size).toBe(0);
  });

  it('the leader’s speculative state decides alike: a clone of the owners applies the same commands to the same outcomes', () => {
    const { owners, apply } = replica();
    const spec = owners.clone();
    const specTree = new DataTree();
    specTree.apply({ type: 'createSession', sessionId: SESSION, timeoutUs: 1_000 }, 1);
    const commands = [move(route(2, 5, 5)), create('/p', route(0, 1, 2)), create('/q', route(2, 5, 6))];
    const replicaOutcomes = commands.map((c) => apply(c).moved);
    const specOutcomes = commands.map((c, i) => applyCommand(specTree, spec, c, i + 2, true).moved);
    expect(replicaOutcomes).toEqual([false, true, false]);
    expect(specOutcomes).toEqual(replicaOutcomes);
  });
});
