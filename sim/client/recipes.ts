/**
 * ZooKeeper recipes as workloads, on the real data-tree operations, so lessons can
 * show them working and breaking.
 *
 * `lock` is Curator's InterProcessMutex: create an ephemeral-sequential node under
 * /lock, list the children; the lowest holds the lock; the others watch their
 * predecessor (exists + watch) and re-check when it goes. The history records the
 * recipe's own `acquire` / `release` operations (checked against the mutex model):
 * acquire is invoked when the client starts trying and completes when it believes it
 * holds the lock; release completes when its node is deleted. A session that expires
 * while its owner is paused loses the lock without the owner knowing — two holders.
 * The node's creation zxid (czxid) is the fencing token a protected resource would check.
 */
import type { Rng } from '../core/rng.js';
import type { Cluster } from '../net/cluster.js';
import type { ZkClient } from './session.js';
import type { WorkloadSpec } from './workload.js';
import type { OpRecord } from './history.js';

export type RecipeName = 'lock';
export const RECIPES: readonly RecipeName[] = ['lock'];

interface RecipeEnv {
  cluster: Cluster;
  client: ZkClient;
  rng: Rng;
  spec: WorkloadSpec;
  finish: () => void;
  stopped: () => boolean;
}

export function runRecipe(name: RecipeName, cluster: Cluster, client: ZkClient, rng: Rng, spec: WorkloadSpec, finish: () => void, stopped: () => boolean): void {
  const env: RecipeEnv = { cluster, client, rng, spec, finish, stopped };
  switch (name) {
    case 'lock':
      return lockRecipe(env);
  }
}

function lockRecipe(env: RecipeEnv): void {
  const { cluster, client, rng, spec } = env;
  const history = client.history;
  const holdMeanUs = 1_000_000 / Math.max(spec.ratePerSec, 1e-9);
  // Each attempt is a round; callbacks of an abandoned round (a late watch, say) are ignored.
  let round = 0;
  // The recipe's acquire/release stream is its own Jepsen process (retired after an info).
  let lockProcess = client.index;
  let acquire: OpRecord | null = null;
  let myPath = '';
  // Every step waits at least 1 µs: a process's next invocation must come strictly after
  // its previous completion (at one instant, invocations sort before completions).
  const later = (delayUs: number, fn: () => void) => cluster.at(cluster.nowUs + 1 + delayUs, fn);
  const call = (myRound: number, op: Parameters<ZkClient['submit']>[0], then: (record: OpRecord) => void) =>
    client.submit(op, (record) =>
      later(0, () => {
        if (myRound === round) then(record);
      }),
    );

  const startRound = () => {
    const limit = spec.opsPerClient !== undefined && spec.opsPerClient > 0 && round >= spec.opsPerClient;
    if (env.stopped() || limit || cluster.nowUs >= spec.stopUs) {
      env.finish();
      return;
    }
    const myRound = ++round;
    client.onWatch = null;
    call(myRound, { f: 'create', value: { path: '/lock', data: '' }, req: { op: 'create', path: '/lock', data: '', mode: 'persistent' } }, () => {
      acquire = history.invoke(cluster.nowUs, client.index, lockProcess, client.server, 'acquire', null);
      call(
        myRound,
        { f: 'create', value: { path: '/lock/n-', data: `c${client.index}`, sequential: true }, req: { op: 'create', path: '/lock/n-', data: `c${client.index}`, mode: 'ephemeral-sequential' } },
        (record) => {
          if (record.result !== 'ok' || typeof record.output !== 'string' || !record.output.startsWith('/lock/')) {
            // Could not create the node (lost connection or session): give up this round.
            giveUp('create failed');
            return;
          }
          myPath = record.output;
          check(myRound);
        },
      );
    });
  };

  const giveUp = (why: string) => {
    if (acquire !== null) {
      history.complete(cluster.nowUs, acquire, 'info', why);
      lockProcess += spec.clients;
    }
    acquire = null;
    round++;
    client.onWatch = null;
    later(Math.round(rng.exponential(holdMeanUs)), startRound);
  };

  const check = (myRound: number) => {
    call(myRound, { f: 'getChildren', value: { path: '/lock' }, req: { op: 'getChildren', path: '/lock' } }, (record) => {
      if (record.result !== 'ok' || !Array.isArray(record.output)) return giveUp('getChildren failed');
      const children = (record.output as string[]).slice().sort();
      const mine = myPath.slice('/lock/'.length);
      const position = children.indexOf(mine);
      if (position < 0) return giveUp('lost my node (session expired)');
      if (position === 0) return hold(myRound);
      const predecessor = `/lock/${children[position - 1]}`;
      client.onWatch = (event) => {
        if (event.kind === 'watch' && event.path === predecessor && myRound === round) {
          client.onWatch = null;
          later(0, () => {
            if (myRound === round && !client.busy) check(myRound);
          });
        }
      };
      call(myRound, { f: 'exists', value: { path: predecessor }, req: { op: 'exists', path: predecessor, watch: true } }, (existsRecord) => {
        if (existsRecord.result !== 'ok') return giveUp('exists failed');
        if (existsRecord.output === false) {
          client.onWatch = null;
          check(myRound);
        }
        // Otherwise wait for the predecessor's deletion (the watch).
      });
    });
  };

  const hold = (myRound: number) => {
    history.complete(cluster.nowUs, acquire!, 'ok', myPath);
    acquire = null;
    later(Math.round(rng.exponential(holdMeanUs)), () => {
      if (myRound !== round) return;
      const release = history.invoke(cluster.nowUs, client.index, lockProcess, client.server, 'release', null);
      call(myRound, { f: 'delete', value: { path: myPath, version: -1 }, req: { op: 'delete', path: myPath, version: -1 } }, (record) => {
        const released = record.result === 'ok';
        history.complete(cluster.nowUs, release, released ? 'ok' : 'info', record.output);
        if (!released) lockProcess += spec.clients;
        later(Math.round(rng.exponential(holdMeanUs)), startRound);
      });
    });
  };

  later(spec.startUs - cluster.nowUs + 2_000, startRound);
}
