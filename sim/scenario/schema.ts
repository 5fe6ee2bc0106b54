/**
 * The published JSON Schema of scenario files (`zablab schema` prints it; scenario
 * files point at `../scenario.schema.json` so editors autocomplete and validate).
 */
import { NEMESIS_KINDS, PROTOCOL_NAMES, SYNC_KINDS, SYNC_STEPS } from './types.js';
import { OP_KINDS } from '../client/workload.js';
import { RECIPES } from '../client/recipes.js';
import { STEP_KINDS } from '../explore/scheduler.js';

/**
 * Times are written in milliseconds and simulated in whole microseconds, so a duration
 * or timeout shorter than 1 µs (0.001 ms) would become 0 µs: a timer that fires at once,
 * forever. The longest time a scenario may give is a billion milliseconds (about 11.6
 * days of simulated time): every sum of times the simulator forms stays an exact integer
 * number of microseconds, far below 2^53.
 */
export const TIME_RESOLUTION_MS = 0.001;
export const MAX_TIME_MS = 1e9;
/** ZAB's servers tick every tickTime/2, which must be at least 1 µs. */
export const MIN_TICK_TIME_MS = 2 * TIME_RESOLUTION_MS;

const nonNegative = { type: 'number', minimum: 0 } as const;
const positive = { type: 'number', exclusiveMinimum: 0 } as const;
/** A point in time or a duration that may be zero (a latency, a fault's length, the quiet time). */
const timeMs = { type: 'number', minimum: 0, maximum: MAX_TIME_MS } as const;
/** A timeout or period: at least the clock's resolution. */
const timeoutMs = { type: 'number', minimum: TIME_RESOLUTION_MS, maximum: MAX_TIME_MS } as const;
const probability = { type: 'number', minimum: 0, maximum: 1 } as const;
const target = {
  description: 'leader | follower | any | all | others | minority | majority | minority-with-leader | majority-without-leader | node:N (or just N) — resolved when the action fires',
  anyOf: [
    { type: 'string', pattern: '^(leader|follower|any|all|others|minority|majority|minority-with-leader|majority-without-leader|node:[0-9]+)$' },
    { type: 'integer', minimum: 0 },
  ],
} as const;

/** The target of a crash or a pause: any target, or `syncing` (with `delayMs`). */
const actTarget = {
  description: `${target.description}; for crash and pause also syncing: the next server that starts to synchronize (a ZAB learner sent history to catch up with, a Paxos candidate), delayMs after it does`,
  anyOf: [{ type: 'string', pattern: '^syncing$' }, ...target.anyOf],
} as const;

/** Which synchronization a `syncing` fault waits for (types.ts SyncKind). */
const syncKind = {
  description: 'for target syncing (ZAB): the synchronization to wait for: history (default: a DIFF with txns, a TRUNC or a SNAP), diff (with txns), trunc, snap, or any (an empty DIFF too)',
  enum: [...SYNC_KINDS],
} as const;

/** The step of it that delayMs counts from (types.ts SyncStep). */
const syncStep = {
  description: 'for target syncing (ZAB): the step delayMs counts from: start (default: the leader sends DIFF/TRUNC/SNAP), received (the learner receives it), newleader (the learner receives NEWLEADER: it logs, fsyncs, writes currentEpoch, ACKs), ack-newleader (the learner has ACKed NEWLEADER), uptodate (the learner receives UPTODATE)',
  enum: [...SYNC_STEPS],
} as const;

const latency = {
  description: 'A latency distribution, in milliseconds.',
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['kind', 'ms'], properties: { kind: { const: 'constant' }, ms: timeMs } },
    { type: 'object', additionalProperties: false, required: ['kind', 'minMs', 'maxMs'], properties: { kind: { const: 'uniform' }, minMs: timeMs, maxMs: timeMs } },
    { type: 'object', additionalProperties: false, required: ['kind', 'meanMs'], properties: { kind: { const: 'exponential' }, minMs: timeMs, meanMs: timeMs } },
    { type: 'object', additionalProperties: false, required: ['kind', 'medianMs', 'sigma'], properties: { kind: { const: 'lognormal' }, minMs: timeMs, medianMs: timeMs, sigma: nonNegative } },
  ],
} as const;

const common = { atMs: timeMs, note: { type: 'string' } };

const fault = {
  type: 'object',
  required: ['atMs', 'action'],
  properties: { action: { enum: ['crash', 'restart', 'pause', 'resume', 'partition', 'cut', 'heal', 'clog', 'loss', 'duplicate', 'restart-all', 'resume-all', 'pause-client'] } },
  allOf: [
    {
      if: { properties: { action: { enum: ['crash', 'pause'] } } },
      then: { additionalProperties: false, required: ['target'], properties: { ...common, action: {}, target: actTarget, durationMs: timeMs, delayMs: timeMs, withLeaderMs: timeMs, syncKind, at: syncStep } },
    },
    {
      if: { properties: { action: { enum: ['restart', 'resume'] } } },
      then: { additionalProperties: false, required: ['target'], properties: { ...common, action: {}, target, durationMs: timeMs } },
    },
    {
      if: { properties: { action: { const: 'partition' } } },
      then: {
        additionalProperties: false,
        properties: {
          ...common,
          action: {},
          groups: { type: 'array', items: { type: 'array', items: target } },
          shape: { enum: ['halves', 'random-node', 'bridge', 'majorities-ring'] },
          isolate: target,
          durationMs: timeMs,
        },
      },
    },
    { if: { properties: { action: { const: 'cut' } } }, then: { additionalProperties: false, required: ['from', 'to'], properties: { ...common, action: {}, from: target, to: target, durationMs: timeMs } } },
    { if: { properties: { action: { const: 'clog' } } }, then: { additionalProperties: false, required: ['from', 'to', 'durationMs'], properties: { ...common, action: {}, from: target, to: target, durationMs: timeMs } } },
    { if: { properties: { action: { enum: ['loss', 'duplicate'] } } }, then: { additionalProperties: false, required: ['rate'], properties: { ...common, action: {}, rate: probability, durationMs: timeMs } } },
    { if: { properties: { action: { enum: ['heal', 'restart-all', 'resume-all'] } } }, then: { additionalProperties: false, properties: { ...common, action: {} } } },
    {
      if: { properties: { action: { const: 'pause-client' } } },
      then: {
        additionalProperties: false,
        required: ['client', 'durationMs'],
        properties: {
          ...common,
          action: {},
          client: { type: 'integer', minimum: 0, description: "the client's index (0 … workload.clients - 1): its process stops, as a JVM in a GC pause; timers and received packets wait until it resumes" },
          durationMs: timeMs,
        },
      },
    },
  ],
} as const;

const expectations = {
  type: 'object',
  additionalProperties: false,
  properties: {
    invariants: { enum: ['hold', 'violated'] },
    violated: { type: 'string', description: 'the invariant expected to fire' },
    linearizable: {
      type: 'boolean',
      description:
        'the znode linearizability verdict over writes, quorum reads (zablab\'s own, the linearizable option), sync reads except those a deposed leader answered (ZOOKEEPER-1675), and local reads only with includeLocalReads',
    },
    includeLocalReads: { type: 'boolean', description: 'check local reads for linearizability too (ZooKeeper promises them only sequential consistency)' },
    sequentialConsistency: { enum: ['hold', 'violated'], description: 'ZooKeeper\'s guarantee for every read mode: ordered sequential consistency per client; checked (hold) by default' },
    minStaleSyncReads: { type: 'integer', minimum: 0, description: 'at least this many sync reads missed a write that completed before they began (ZOOKEEPER-1675)' },
    maxStaleSyncReads: { type: 'integer', minimum: 0, description: 'at most this many sync reads missed a write that completed before they began' },
    leaderWithinMs: timeoutMs,
    minLeaderChanges: { type: 'integer', minimum: 0 },
    maxLeaders: { type: 'integer', minimum: 0 },
    allOpsComplete: { type: 'boolean', description: 'every operation completes once the faults are over; with a recipe, its own operations (acquire, release, elect, resign, enqueue, take, …), not the ZooKeeper calls under them' },
    recipe: { enum: ['hold', 'safe', 'violated'], description: 'the recipe checker\'s verdict: never two lock holders, never two clients believing themselves leader at once, no queue item taken twice or out of order, …; safe: only these safety promises, not the completion ones (every item taken, every reader on the last configuration, every waiter through), for runs that need not recover' },
    recovers: { type: 'boolean' },
    serverErrors: { enum: ['none', 'logged'], description: 'errors servers log where ZooKeeper logs an ERROR or throws an unexpected exception: none (the default) or logged' },
    minOkOps: { type: 'integer', minimum: 0 },
    maxCommits: { type: 'integer', minimum: 0 },
    converge: { type: 'boolean' },
    primaryOrder: { enum: ['hold', 'violated'] },
    syncMode: { enum: ['DIFF', 'TRUNC', 'SNAP'] },
  },
} as const;

const nodeId = { type: 'integer', minimum: 0 } as const;
const stepFields = (required: readonly string[], fields: Record<string, unknown>) => ({ additionalProperties: false, required: ['e', ...required], properties: { e: {}, ...fields } });
/** One step of an explicit schedule (sim/explore/scheduler.ts): which event happens next. */
const scheduleStep = {
  type: 'object',
  required: ['e'],
  properties: { e: { enum: [...STEP_KINDS] } },
  allOf: [
    { if: { properties: { e: { enum: ['deliver', 'lose', 'duplicate'] } } }, then: stepFields(['from', 'to', 'msg'], { from: nodeId, to: nodeId, msg: { type: 'integer', minimum: 0 }, type: { type: 'string' } }) },
    { if: { properties: { e: { const: 'timer' } } }, then: stepFields(['node', 'name'], { node: nodeId, name: { type: 'string' } }) },
    { if: { properties: { e: { enum: ['sync', 'crash', 'restart', 'isolate'] } } }, then: stepFields(['node'], { node: nodeId }) },
    { if: { properties: { e: { const: 'notice' } } }, then: stepFields(['node', 'peer'], { node: nodeId, peer: nodeId }) },
    { if: { properties: { e: { enum: ['client-request', 'client-reply'] } } }, then: stepFields(['client', 'server'], { client: { type: 'integer', minimum: 0 }, server: nodeId }) },
    { if: { properties: { e: { enum: ['env', 'heal'] } } }, then: stepFields([], {}) },
    { if: { properties: { e: { const: 'run' } } }, then: stepFields(['untilMs'], { untilMs: timeMs }) },
  ],
} as const;

export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://zablab.dev/scenario.schema.json',
  title: 'zablab scenario',
  description: 'One teaching story or experiment: a cluster, its network, a workload, faults, and what is expected.',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'explanation', 'cluster', 'durationMs'],
  properties: {
    $schema: { type: 'string' },
    title: { type: 'string', minLength: 1 },
    explanation: { type: 'string', minLength: 1, description: 'The teaching text, shown by the CLI and the lab.' },
    protocols: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PROTOCOL_NAMES] } },
    seed: { type: 'integer', minimum: 0 },
    cluster: {
      type: 'object',
      additionalProperties: false,
      required: ['servers'],
      properties: {
        servers: { type: 'integer', minimum: 1, maximum: 31 },
        observers: { type: 'array', items: { type: 'integer', minimum: 0 }, uniqueItems: true },
        tickTimeMs: { type: 'number', minimum: MIN_TICK_TIME_MS, maximum: MAX_TIME_MS },
        initLimit: { type: 'integer', minimum: 1 },
        syncLimit: { type: 'integer', minimum: 1 },
        electionTimeoutMs: timeoutMs,
        counterBits: { type: 'integer', minimum: 2, maximum: 32 },
        committedLogSize: { type: 'integer', minimum: 1 },
      },
    },
    network: {
      type: 'object',
      additionalProperties: false,
      properties: {
        latency,
        links: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: ['from', 'to', 'latency'], properties: { from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 }, latency, symmetric: { type: 'boolean' } } },
        },
        lossRate: probability,
        dupRate: probability,
        disconnectDetectMs: timeMs,
        clientLatency: latency,
      },
    },
    storage: { type: 'object', additionalProperties: false, properties: { syncLatency: latency, durableImmediately: { type: 'boolean' } } },
    workload: {
      type: 'object',
      additionalProperties: false,
      required: ['clients'],
      properties: {
        clients: { type: 'integer', minimum: 0, maximum: 200 },
        opsPerClient: { type: 'integer', minimum: 0 },
        ratePerSec: positive,
        mix: { type: 'object', additionalProperties: false, properties: Object.fromEntries(OP_KINDS.map((kind) => [kind, nonNegative])) },
        keys: { type: 'integer', minimum: 1 },
        readMode: {
          enum: ['local', 'sync', 'quorum'],
          description:
            'local: served by the connected server, as ZooKeeper does (sequentially consistent, may be stale); sync: sync() then read (stale only through a deposed leader, ZOOKEEPER-1675); quorum: zablab\'s own, not ZooKeeper\'s — the read is ordered through the broadcast like a write (linearizable)',
        },
        startMs: timeMs,
        stopMs: timeMs,
        watches: { type: 'number', minimum: 0, maximum: 1, description: 'the share of reads (getData, exists, getChildren) that set a watch, as ZooKeeper\'s watch=true; the client keeps its watches across reconnects (SetWatches) (default 0)' },
        sessionTimeoutMs: timeoutMs,
        requestTimeoutMs: timeoutMs,
        recipe: { enum: [...RECIPES] },
        lockResource: {
          enum: ['unfenced', 'fenced'],
          description:
            'with the lock recipe: every holder writes to a storage service outside ZooKeeper while it holds the lock; fenced: each write carries the lock node\'s sequence number as a fencing token and the service refuses one older than the newest it accepted (Kleppmann, "How to do distributed locking")',
        },
        clientRecipes: {
          type: 'array',
          minItems: 1,
          items: { enum: [...RECIPES] },
          description: 'several recipes side by side: client i runs clientRecipes[i % length] together with the other clients of the same recipe (overrides recipe); each recipe is checked on its own clients',
        },
        clientMixes: {
          type: 'array',
          minItems: 1,
          description: 'per-client mixes: client i uses clientMixes[i % length]',
          items: { type: 'object', additionalProperties: false, properties: Object.fromEntries(OP_KINDS.map((kind) => [kind, nonNegative])) },
        },
        servers: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 }, description: 'servers the clients connect to first, round robin' },
        connectStrings: {
          type: 'array',
          minItems: 1,
          description: 'per-client connect strings: client i only ever uses the servers in connectStrings[i % length], as a ZooKeeper client knows only the servers its connect string names',
          items: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0 } },
        },
        clientStartMs: { type: 'array', minItems: 1, items: timeMs, description: 'per-client start times: client i starts at clientStartMs[i % length] instead of startMs' },
      },
    },
    faults: { type: 'array', items: fault },
    nemesis: {
      type: 'object',
      additionalProperties: false,
      required: ['kinds', 'intervalMs'],
      properties: {
        kinds: { type: 'array', minItems: 1, items: { enum: [...NEMESIS_KINDS] } },
        intervalMs: timeoutMs,
        faultDurationMs: timeoutMs,
        startMs: timeMs,
        stopMs: timeMs,
      },
    },
    durationMs: timeoutMs,
    healMs: timeMs,
    bugs: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    schedule: {
      type: 'array',
      maxItems: 100_000,
      items: scheduleStep,
      description: 'an explicit schedule (zablab explore writes one with each counterexample): every latency is zero and these steps, in order, say which event happens next; then the run goes on in time order',
    },
    expect: { ...expectations, properties: { ...expectations.properties, byProtocol: { type: 'object', additionalProperties: false, properties: { zab: expectations, paxos: expectations } } } },
  },
} as const;
