/**
 * The ZAB leader's session tracker (sim/zab/sessions.ts) as SessionTrackerImpl behaves:
 * a touch restarts a session's clock, expiry is the first time with no touch for a whole
 * timeout, and touchSession (what REVALIDATE asks) is false for a session that is closing
 * or that the leader does not track at all — expired and committed under an earlier
 * leader, or never created. Its owner rule is checkSession's: the creator owns a session,
 * a successful revalidation moves it, a write from anyone else is SESSIONMOVED, and a
 * session without an owner (a new leader's) belongs to the first writer.
 */
import { describe, expect, it } from 'vitest';
import { SessionTracker } from '../../sim/zab/sessions.js';

/** Owners are compared by identity, as ZooKeeper compares LearnerHandler objects. */
const A = { sid: 1 };
const B = { sid: 2 };

describe('the leader session tracker', () => {
  it('expires a session a whole timeout after its last touch, and never one that is closing', () => {
    const tracker = new SessionTracker();
    tracker.add(1, 100, 0);
    tracker.add(2, 100, 0);
    tracker.touch(1, 60);
    expect(tracker.expired(99)).toEqual([]);
    expect(tracker.expired(100)).toEqual([2]);
    expect(tracker.expired(159)).toEqual([2]);
    expect(tracker.expired(160)).toEqual([1, 2]);
    tracker.closed(2);
    tracker.touch(2, 150); // a late touch of a closing session does not revive it
    expect(tracker.expired(1_000)).toEqual([1]);
    expect(tracker.size).toBe(1);
  });

  it('revalidates only an open session: not a closing one, nor one it does not track', () => {
    const tracker = new SessionTracker();
    tracker.add(1, 100, 0);
    expect(tracker.revalidate(1, 90, A)).toBe(true);
    expect(tracker.expired(189)).toEqual([]); // the revalidation touched it
    tracker.closed(1);
    expect(tracker.revalidate(1, 200, A)).toBe(false);
    expect(tracker.revalidate(7, 200, A)).toBe(false); // unknown: expired before this leader, or never created
  });

  it('lets only the owner write: set at creation, moved by a revalidation, first writer if none', () => {
    const tracker = new SessionTracker();
    tracker.add(1, 100, 0, A);
    expect(tracker.checkOwner(1, A)).toBe(true);
    expect(tracker.checkOwner(1, B)).toBe(false); // SESSIONMOVED
    expect(tracker.checkOwner(1, { sid: 1 })).toBe(false); // another connection of the same server
    expect(tracker.revalidate(1, 10, B)).toBe(true);
    expect(tracker.checkOwner(1, A)).toBe(false); // the old connection's write, held until after the move
    expect(tracker.checkOwner(1, B)).toBe(true);
    expect(tracker.ownerOf(1)).toBe(B);
    tracker.add(2, 100, 0); // a new leader's tracker: no owner
    expect(tracker.checkOwner(2, B)).toBe(true);
    expect(tracker.checkOwner(2, A)).toBe(false);
    tracker.closed(2);
    expect(tracker.checkOwner(2, A)).toBe(true); // not tracked: prep answers SESSIONEXPIRED
    expect(tracker.revalidate(2, 20, A)).toBe(false);
  });
});
