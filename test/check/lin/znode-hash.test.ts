/**
 * The znode model's state hash is kept up to date edit by edit (a tree made by an
 * operation gets its hash from its parent's, sim/check/lin/models/znode.ts withNodes).
 * It must equal the hash of the same nodes hashed from scratch, or the search's memo
 * would treat one state as two (slower) or two as one (a wrong verdict).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Operation } from '../../../sim/check/lin/history.js';
import { ZTree, znodeModel } from '../../../sim/check/lin/models/znode.js';

const PATHS = ['/a', '/b', '/a/x', '/a/y', '/b/q', '/a/x/z'];

const opArb = fc.record({
  f: fc.constantFrom('create', 'create-seq', 'delete', 'setData'),
  path: fc.constantFrom(...PATHS),
  data: fc.constantFrom('u', 'v', 1, null),
});

describe('znode model hash', () => {
  it('equals a from-scratch hash after any sequence of creates, deletes and setData', () => {
    const model = znodeModel();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (steps) => {
        let tree = model.init();
        steps.forEach((s, id) => {
          const sequential = s.f === 'create-seq';
          const f = sequential ? 'create' : s.f;
          // An operation of unknown outcome (info) takes effect if it can: the model's own next state.
          const op: Operation = { id, process: 0, f, invokeValue: { path: s.path, data: s.data, ...(sequential ? { sequential: true } : {}) }, completeValue: undefined, type: 'info', callIndex: 2 * id, returnIndex: 2 * id + 1 };
          const next = model.step(tree, op);
          tree = next ?? tree;
          expect(model.hash(tree)).toBe(new ZTree(new Map(tree.nodes)).hash);
        });
      }),
      { numRuns: 300, seed: 54 },
    );
  });
});
