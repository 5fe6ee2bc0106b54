/**
 * LockInternals.internalLockLoop sets its watch with getData inside `synchronized(this)`
 * and then wait()s; the watcher's notifyAll needs the same monitor, so an event that comes
 * while the getData is still in flight is not lost: it wakes the loop as soon as it waits,
 * and the loop looks again. The simulated lock keeps that as `woken`: an event (a watch or
 * a connection-state change) during the getData makes the loop list the children again
 * when the answer comes, even if the answer still shows the predecessor (it was read
 * before the deletion, or on a server behind). Forgetting it leaves the waiter watching a
 * node whose one event has already fired: it waits for ever (mutant lock-lost-wakeup).
 */
import { describe, expect, it } from 'vitest';
import type { CuratorClient, Outcome, ConnectionState } from '../../sim/client/curator.js';
import type { ClientNotification } from '../../sim/client/protocol.js';
import { InterProcessMutex } from '../../sim/client/lock.js';

/** A Curator stand-in whose calls wait until the test answers them. */
function fakeCurator() {
  const calls: { f: string; path: string; done: (o: Outcome) => void }[] = [];
  const watchers = new Map<string, (event: ClientNotification) => void>();
  const listeners: ((state: ConnectionState) => void)[] = [];
  const curator = {
    zk: { sessionId: 7 },
    policy: { baseSleepUs: 1, maxSleepUs: 1, maxRetries: 0 },
    later: (_us: number, fn: () => void) => fn(),
    createProtected: (path: string, _data: string, _mode: string, done: (o: Outcome) => void) => done({ ok: true, output: `${path}0000000001` }),
    call: (op: { f: string; value: { path: string } }, done: (o: Outcome) => void) => calls.push({ f: op.f, path: op.value.path, done }),
    watchPath: (path: string, watcher: ((event: ClientNotification) => void) | null) => (watcher === null ? watchers.delete(path) : watchers.set(path, watcher)),
    onConnectionState: (listener: (state: ConnectionState) => void) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
    guaranteedDelete: (_path: string, done: () => void) => done(),
  };
  return { curator: curator as unknown as CuratorClient, calls, watchers, listeners };
}

const PREDECESSOR = '_c_aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa-lock-0000000000';

function waitingOnPredecessor() {
  const fake = fakeCurator();
  const mutex = new InterProcessMutex(fake.curator, '/lock');
  const held: boolean[] = [];
  // Our node is the protected create's answer: /lock/lock-0000000001.
  mutex.acquire('me', (ok) => held.push(ok));
  const list = fake.calls.shift()!;
  expect(list.f).toBe('getChildren');
  return { ...fake, held, list };
}

describe('the lock loop wakes on an event that came while its getData was in flight', () => {
  for (const [what, fire] of [
    ['the predecessor\'s watch event', (f: ReturnType<typeof fakeCurator>) => f.watchers.get(`/lock/${PREDECESSOR}`)!({ kind: 'watch' } as ClientNotification)],
    ['a connection-state change', (f: ReturnType<typeof fakeCurator>) => [...f.listeners].forEach((l) => l('RECONNECTED'))],
  ] as const) {
    it(`${what}: it lists the children again and takes the lock`, () => {
      const w = waitingOnPredecessor();
      w.list.done({ ok: true, output: [PREDECESSOR, 'lock-0000000001'] });
      const read = w.calls.shift()!;
      expect(read).toMatchObject({ f: 'getData', path: `/lock/${PREDECESSOR}` });
      fire(w);
      // The answer was read before the deletion: it still shows the predecessor.
      read.done({ ok: true, output: 'its data' });
      const again = w.calls.shift();
      expect(again?.f).toBe('getChildren');
      again!.done({ ok: true, output: ['lock-0000000001'] });
      expect(w.held).toEqual([true]);
    });
  }

  it('without an event it waits on the predecessor, and its deletion wakes it', () => {
    const w = waitingOnPredecessor();
    w.list.done({ ok: true, output: [PREDECESSOR, 'lock-0000000001'] });
    w.calls.shift()!.done({ ok: true, output: 'its data' });
    expect(w.calls).toEqual([]);
    expect(w.held).toEqual([]);
    w.watchers.get(`/lock/${PREDECESSOR}`)!({ kind: 'watch' } as ClientNotification);
    w.calls.shift()!.done({ ok: true, output: ['lock-0000000001'] });
    expect(w.held).toEqual([true]);
  });
});
