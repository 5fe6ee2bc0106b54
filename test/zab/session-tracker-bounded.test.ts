/**
 * The ZAB leader's session tracker holds only open sessions: a leader that serves through
 * session churn (sessions expiring and made again) must not keep anything of the closed
 * ones (h54's long-run hunt; ZooKeeper removes a session from its tracker when its
 * closeSession is applied, ZooKeeperServer.killSession). The fixture's story: four
 * clients with 40 ms sessions paused again and again for longer than their session.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setupRun } from '../../sim/scenario/run.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import type { Scenario } from '../../sim/scenario/types.js';
import type { SessionTracker } from '../../sim/zab/sessions.js';
import { SessionTracker as Tracker } from '../../sim/zab/sessions.js';

const FIXTURE = 'test/fixtures/regressions/zab-session-churn-leader-tracker-bounded.json';

interface LeaderInternals {
  readonly leader: { readonly sessions: SessionTracker } | null;
  readonly tree: { readonly sessionMap: ReadonlyMap<number, unknown> };
}

describe('the ZAB leader session tracker under session churn', () => {
  it('keeps nothing of a closed session', () => {
    const tracker = new Tracker();
    for (let id = 1; id <= 1000; id++) {
      tracker.add(id, 100, id, { sid: 1 });
      tracker.touch(id, id + 10);
      tracker.closed(id);
    }
    tracker.add(5000, 100, 0);
    expect(tracker.retained).toBe(1);
  });

  it(`holds no more sessions than are open, after dozens were closed under one leader (${FIXTURE})`, () => {
    const scenario = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Scenario;
    const setup = setupRun(scenario, protocolAdapter('zab'), { seed: scenario.seed });
    let closed = 0;
    setup.cluster.trace.listen((event) => {
      if (event.kind === 'commit' && (event.txn as { type?: string } | undefined)?.type === 'closeSession' && event.node === setup.rt.leader) closed++;
    });
    setup.cluster.run({ untilUs: setup.storyEndUs });
    expect(setup.rt.leaders).toHaveLength(1);
    const leader = setup.cluster.behavior(setup.rt.leader) as unknown as LeaderInternals;
    expect(closed).toBeGreaterThanOrEqual(15);
    expect(leader.leader?.sessions.retained).toBeLessThanOrEqual(leader.tree.sessionMap.size);
  });
});
