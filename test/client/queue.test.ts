/**
 * Curator's DistributedQueue (sim/client/queue.ts) and the queue checker
 * (sim/check/recipes.ts): the checker on hand-made histories, and deliberately broken
 * consumers on the simulated cluster that the checker catches.
 */
import { describe, expect, it } from 'vitest';
import { checkQueue } from '../../sim/check/recipes.js';
import type { HistoryEvent } from '../../sim/check/lin/history.js';
import { queueOrder } from '../../sim/client/queue.js';
import { protocolAdapter } from '../../sim/scenario/protocols.js';
import { failedExpectations, runScenario } from '../../sim/scenario/run.js';
import { recipeStory } from '../helpers/recipe-story.js';

const P = (uuid: string) => `_c_${uuid.repeat(8)}-${uuid.repeat(4)}-4${uuid.repeat(3)}-8${uuid.repeat(3)}-${uuid.repeat(12)}-`;
const node = (uuid: string, seq: number) => `${P(uuid)}queue-${String(seq).padStart(10, '0')}`;

/** One recipe operation: invoke then complete, on `client`'s process. */
function op(client: number, f: string, value: unknown, type: 'ok' | 'fail' | 'info', output: unknown, fromUs: number, toUs: number): HistoryEvent[] {
  return [
    { type: 'invoke', process: client, f, value, timeUs: fromUs },
    { type, process: client, f, value: output, timeUs: toUs },
  ];
}
const put = (client: number, item: string, uuid: string, seq: number, fromUs: number, toUs: number) => op(client, 'enqueue', item, 'ok', `/queue/${node(uuid, seq)}`, fromUs, toUs);
const take = (client: number, uuid: string, seq: number, item: string | null, atUs: number) => op(client, 'take', node(uuid, seq), item === null ? 'fail' : 'ok', item ?? 'not ours', atUs, atUs + 5);

describe('the queue checker', () => {
  it('holds when every put item is taken once, each consumer in sequence order', () => {
    const report = checkQueue([...put(0, 'a', 'a', 0, 0, 10), ...put(0, 'b', 'b', 1, 20, 30), ...take(2, 'a', 0, 'a', 40), ...take(3, 'a', 0, null, 41), ...take(3, 'b', 1, 'b', 50)]);
    expect(report).toMatchObject({ verdict: 'holds' });
    expect(report.summary).toMatch(/2 item\(s\) put, 2 taken, each exactly once/);
  });

  it('names an item taken twice, one never taken, a consumer going back, and a put numbered below an earlier one', () => {
    const twice = checkQueue([...put(0, 'a', 'a', 0, 0, 10), ...take(2, 'a', 0, 'a', 40), ...take(3, 'a', 0, 'a', 41)]);
    expect(twice.verdict).toBe('violated');
    expect(twice.summary).toMatch(/a was taken twice from node 0 \(the second time by client 3\)/);
    const never = checkQueue([...put(0, 'a', 'a', 0, 0, 10), ...put(1, 'b', 'b', 1, 0, 10), ...take(2, 'a', 0, 'a', 40)]);
    expect(never.summary).toMatch(/b was put \(node 1\) and never taken/);
    const back = checkQueue([...put(0, 'a', 'a', 0, 0, 10), ...put(1, 'b', 'b', 1, 0, 10), ...take(2, 'b', 1, 'b', 40), ...take(2, 'a', 0, 'a', 50)]);
    expect(back.summary).toMatch(/client 2 took node 0 after node 1/);
    // b's put finished before a's began, yet a has the smaller number: not what ZooKeeper does.
    const early = checkQueue([...put(0, 'b', 'b', 1, 0, 10), ...put(1, 'a', 'a', 0, 20, 30), ...take(2, 'a', 0, 'a', 40), ...take(2, 'b', 1, 'b', 50)]);
    expect(early.summary).toMatch(/a got node 0, below b's 1, though its put began after that one finished/);
    const phantom = checkQueue([...take(2, 'a', 0, 'x', 40)]);
    expect(phantom.summary).toMatch(/client 2 took x, which no put made/);
  });

  it('tells the twin of a retried put (same protected prefix) from an item taken twice', () => {
    const twin = checkQueue([...put(0, 'a', 'a', 1, 0, 10), ...take(2, 'a', 0, 'a', 5), ...take(3, 'a', 1, 'a', 40)]);
    expect(twin.verdict).toBe('holds');
    expect(twin.summary).toMatch(/1 item\(s\) put twice by a retried put/);
    const stranger = checkQueue([...put(0, 'a', 'a', 1, 0, 10), ...take(2, 'c', 0, 'a', 5), ...take(3, 'a', 1, 'a', 40)]);
    expect(stranger.verdict).toBe('violated');
  });
});

describe('DistributedQueue', () => {
  const story = recipeStory('queue-under-faults');
  const { nemesis: _nemesis, ...calm } = story;

  it('orders children by sequence number, not by the random protected prefix', () => {
    const children = [node('f', 2), node('0', 3), node('a', 1)];
    expect(queueOrder(children)).toEqual([node('a', 1), node('f', 2), node('0', 3)]);
    expect(queueOrder(children, { sortByName: true })).toEqual([node('0', 3), node('a', 1), node('f', 2)]);
  });

  it('without faults every item is taken exactly once; a consumer that takes what it read without winning the claim takes items twice', () => {
    const good = runScenario(calm, protocolAdapter('paxos'), { seed: 1 });
    expect(failedExpectations(good)).toEqual([]);
    expect(good.recipe).toMatchObject({ recipe: 'queue', verdict: 'holds' });
    expect(good.recipe?.summary).not.toMatch(/twice/);
    const broken = runScenario(calm, protocolAdapter('paxos'), { seed: 1, recipeFlaws: { queue: { ignoreClaimResult: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/taken twice/);
  });

  it('a consumer that sorts children by name takes items out of order, and the checker says so', () => {
    // The consumers start late, so they find a backlog to list at once.
    const backlog = { ...calm, workload: { ...calm.workload!, clientStartMs: [0, 0, 600, 600] } };
    const good = runScenario(backlog, protocolAdapter('zab'), { seed: 1 });
    expect(good.recipe).toMatchObject({ recipe: 'queue', verdict: 'holds' });
    const broken = runScenario(backlog, protocolAdapter('zab'), { seed: 1, recipeFlaws: { queue: { sortByName: true } } });
    expect(broken.recipe?.verdict).toBe('violated');
    expect(broken.recipe?.summary).toMatch(/client \d took node \d+ after node \d+ \(a consumer takes in sequence order\)/);
  });
});
