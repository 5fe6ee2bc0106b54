import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataTree, prepRequest, type Txn, type ZkRequest, type ZkResult } from '../../sim/store/index.js';
import { zxidOf } from './helpers.js';

const pathArb = fc.oneof(
  { arbitrary: fc.constantFrom('/a', '/b'), weight: 4 },
  { arbitrary: fc.constantFrom('/a/x', '/a/y', '/b/x'), weight: 3 },
  { arbitrary: fc.constantFrom('/a/x/z', '/a/', '/'), weight: 1 },
);
const dataArb = fc.constantFrom('', 'x', 'yy');
const versionArb = fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: fc.constantFrom(0, 1, 2), weight: 2 });
const sessionArb = fc.constantFrom(1, 2, 3);

const createArb = fc.record({
  op: fc.constant('create' as const),
  path: pathArb,
  data: dataArb,
  mode: fc.constantFrom('persistent', 'ephemeral', 'persistent-sequential', 'ephemeral-sequential' as const),
});
const deleteArb = fc.record({ op: fc.constant('delete' as const), path: pathArb, version: versionArb });
const setDataArb = fc.record({ op: fc.constant('setData' as const), path: pathArb, data: dataArb, version: versionArb });
const checkArb = fc.record({ op: fc.constant('check' as const), path: pathArb, version: versionArb });
const subOpArb: fc.Arbitrary<ZkRequest> = fc.oneof(createArb, deleteArb, setDataArb, checkArb);

const requestArb: fc.Arbitrary<ZkRequest> = fc.oneof(
  { arbitrary: createArb, weight: 16 },
  { arbitrary: deleteArb, weight: 8 },
  { arbitrary: setDataArb, weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('multi' as const), ops: fc.array(subOpArb, { maxLength: 4 }) }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('createSession' as const), timeoutUs: fc.constantFrom(10, 20) }), weight: 2 },
  { arbitrary: fc.constant({ op: 'closeSession' as const }), weight: 1 },
);

const commandArb = fc.record({ sessionId: sessionArb, req: requestArb });

interface Logged {
  txn: Txn;
  zxid: number;
  result: ZkResult;
}

/** Opens sessions 1..3 first, so that most generated writes get past the session check. */
const OPEN_SESSIONS = [1, 2, 3].map((sessionId): { sessionId: number; req: ZkRequest } => ({
  sessionId,
  req: { op: 'createSession', timeoutUs: 10 },
}));

/** Runs commands through prep + apply on a leader tree; txns go through JSON as on the wire. */
function lead(commands: { sessionId: number; req: ZkRequest }[]): { tree: DataTree; log: Logged[] } {
  const tree = new DataTree();
  const log: Logged[] = [];
  OPEN_SESSIONS.concat(commands).forEach(({ sessionId, req }, i) => {
    const zxid = zxidOf(i + 1);
    const digestBefore = tree.digest();
    const countBefore = tree.nodeCount;
    const txn = prepRequest(tree, req, sessionId, zxid);
    expect(tree.digest()).toBe(digestBefore); // prep does not mutate
    expect(tree.nodeCount).toBe(countBefore);
    const wire = JSON.parse(JSON.stringify(txn)) as Txn;
    expect(wire).toEqual(txn);
    log.push({ txn: wire, zxid, result: tree.apply(txn, zxid).result });
    expect(tree.digest()).toBe(tree.digestFromScratch());
  });
  tree.assertConsistent();
  return { tree, log };
}

function content(t: DataTree): string {
  return JSON.stringify({ ...t.toJSON(), lastProcessedZxid: 0 });
}

describe('store properties', () => {
  it('replicas applying the leader’s txns (from scratch, through a snapshot, or each twice) agree', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 5, maxLength: 80, size: 'max' }), fc.nat(), (commands, cutSeed) => {
        const { tree: leader, log } = lead(commands);
        const cut = log.length === 0 ? 0 : cutSeed % (log.length + 1);

        const follower = new DataTree();
        const twice = new DataTree();
        let snapped: DataTree | undefined;
        let cloned: DataTree | undefined;
        log.forEach(({ txn, zxid, result }, i) => {
          if (i === cut) {
            snapped = DataTree.fromJSON(JSON.parse(JSON.stringify(follower.toJSON())));
            cloned = follower.clone();
          }
          expect(follower.apply(txn, zxid).result).toEqual(result);
          snapped?.apply(txn, zxid);
          cloned?.apply(txn, zxid);
          twice.apply(txn, zxid);
          const d = twice.digest();
          twice.apply(txn, zxid); // replay: harmless
          expect(twice.digest()).toBe(d);
        });
        snapped ??= DataTree.fromJSON(JSON.parse(JSON.stringify(follower.toJSON())));
        cloned ??= follower.clone();

        const expected = JSON.stringify(leader.toJSON());
        for (const t of [follower, snapped, cloned, twice]) {
          expect(t.digest()).toBe(leader.digest());
          expect(JSON.stringify(t.toJSON())).toBe(expected);
          t.assertConsistent();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('digest equality matches content equality', () => {
    let equal = 0;
    let different = 0;
    fc.assert(
      fc.property(
        fc.array(commandArb, { maxLength: 5 }),
        fc.array(commandArb, { maxLength: 5 }),
        (c1, c2) => {
          const a = lead(c1).tree;
          const b = lead(c2).tree;
          const same = content(a) === content(b);
          if (same) equal++;
          else different++;
          expect(a.digest() === b.digest()).toBe(same);
        },
      ),
      { numRuns: 1000 },
    );
    expect(equal).toBeGreaterThan(0);
    expect(different).toBeGreaterThan(0);
  });
});
