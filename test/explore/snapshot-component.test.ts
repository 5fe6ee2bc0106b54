/**
 * snapshotComponent/restoreComponent on small graphs: a restore puts maps back in their
 * saved entries and order whatever a step did to them (a value changed, a key added,
 * deleted, or moved), in place (the same map object), and a snapshot taken after
 * objects were added before others shares the unchanged objects' records.
 */
import { describe, expect, it } from 'vitest';
import { differenceBetween, restoreComponent, snapshotComponent } from '../../sim/explore/snapshot.js';

const NOTHING = new Set<object>();

describe('component snapshots', () => {
  it('restores maps in place: changed values, added, deleted and moved keys', () => {
    const inner = { n: 1 };
    const map = new Map<string, unknown>([
      ['a', 1],
      ['b', inner],
      ['c', 3],
    ]);
    const root = { map };
    const saved = snapshotComponent([root], { stop: NOTHING });
    const edits: ((m: Map<string, unknown>) => void)[] = [
      (m) => m.set('a', 10),
      (m) => m.set('d', 4).set('e', 5),
      (m) => m.delete('b'),
      (m) => {
        m.delete('a');
        m.set('a', 1);
      },
      (m) => m.clear(),
      (m) => {
        m.set('c', 30);
        m.set('z', 0);
      },
    ];
    for (const edit of edits) {
      edit(map);
      inner.n++;
      restoreComponent(saved);
      expect(root.map).toBe(map);
      expect([...map]).toEqual([
        ['a', 1],
        ['b', inner],
        ['c', 3],
      ]);
      expect(inner.n).toBe(1);
    }
  });

  it("restores a dictionary's keys in their saved order: deleted, moved, added", () => {
    const dict: Record<string, number> = { b: 1, a: 2, c: 3, 7: 4 };
    const saved = snapshotComponent([{ dict }], { stop: NOTHING });
    const edits: ((d: Record<string, number>) => void)[] = [
      (d) => delete d.b,
      (d) => {
        delete d.a;
        d.a = 2;
      },
      (d) => {
        d.z = 0;
        delete d.c;
      },
      (d) => (d.c = 30),
    ];
    for (const edit of edits) {
      edit(dict);
      restoreComponent(saved);
      // A fresh object built the same way enumerates in this order: a walk or a fingerprint cannot tell them apart.
      expect(Object.entries(dict)).toEqual(Object.entries({ b: 1, a: 2, c: 3, 7: 4 }));
    }
  });

  it('shares the records of objects the walk meets after an added one', () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ i }));
    const root = { list: items.slice() };
    const first = snapshotComponent([root], { stop: NOTHING });
    root.list.push({ i: 20 });
    const second = snapshotComponent([root], { stop: NOTHING, base: first });
    const records = new Set(first.values);
    // The list changed and the new item is new: every other record (the root's, the twenty items') is the base's.
    const fresh = second.values.filter((value) => !records.has(value));
    expect(fresh.length).toBe(2);
    restoreComponent(first);
    expect(root.list).toEqual(items);
  });

  it('restores from a snapshot the component is known to equal: shared records are skipped, the others written', () => {
    // A class instance: after a few uses its fields are read and written by code made for its class (fieldCodeOf).
    class Cell {
      value = 0;
      label = 'a';
      next: Cell | null = null;
    }
    const cells = Array.from({ length: 6 }, () => new Cell());
    cells.forEach((cell, i) => (cell.next = cells[(i + 1) % cells.length]));
    const root = { cells, tally: new Map<string, number>([['x', 1]]) };
    let parent = snapshotComponent([root], { stop: NOTHING });
    for (let round = 0; round < 12; round++) {
      // A step changes a few objects; the child's snapshot shares the parent's records of the others.
      cells[round % 6].value = round + 1;
      cells[round % 6].next = cells[(round * 5 + 2) % 6];
      cells[(round + 3) % 6].label = `l${round}`;
      root.tally.set('x', round);
      const child = snapshotComponent([root], { stop: NOTHING, base: parent });
      expect(child.objects).toBe(parent.objects);
      const shared = child.values.filter((value, i) => value === parent.values[i]).length;
      expect(shared).toBe(child.values.length - 3);
      // Known to be in the child's state: back to the parent's, then forward again, each time from the one it equals.
      restoreComponent(parent, child);
      expect(differenceBetween(parent, snapshotComponent([root], { stop: NOTHING }))).toBeNull();
      restoreComponent(child, parent);
      expect(differenceBetween(child, snapshotComponent([root], { stop: NOTHING }))).toBeNull();
      parent = child;
    }
  });
});
