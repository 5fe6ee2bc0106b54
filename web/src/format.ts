/**
 * The lab's colour language and text formatting, in one place so that every view
 * (diagram, legend, state panel, walkthrough) says the same thing the same way.
 *
 * Colours: message types are grouped by protocol phase (election, discovery, sync,
 * broadcast, heartbeat, client) and each phase has one hue family, so a glance at the
 * diagram tells which phase the cluster is in; roles have their own fixed colours
 * (leader amber, follower blue, looking violet, down grey), used for lanes and cards.
 */

export type Phase = 'election' | 'discovery' | 'sync' | 'propose' | 'ack' | 'commit' | 'heartbeat' | 'client' | 'other';

export const PHASE_LABEL: Record<Phase, string> = {
  election: 'election',
  discovery: 'discovery',
  sync: 'synchronization',
  propose: 'proposal',
  ack: 'acknowledgement',
  commit: 'commit',
  heartbeat: 'heartbeat',
  client: 'client / forward',
  other: 'other',
};

interface TypeStyle {
  phase: Phase;
  color: string;
}

const TYPE_STYLES: Record<string, TypeStyle> = {
  // ZAB: fast leader election
  NOTIFICATION: { phase: 'election', color: '#8e44ad' },
  // Paxos: phase 1 (and pre-vote probes)
  Prepare: { phase: 'election', color: '#8e44ad' },
  Promise: { phase: 'election', color: '#c06bd8' },
  Probe: { phase: 'election', color: '#a569bd' },
  ProbeReply: { phase: 'election', color: '#d2a8e3' },
  Nack: { phase: 'election', color: '#e056a0' },
  // ZAB discovery
  FOLLOWERINFO: { phase: 'discovery', color: '#00897b' },
  OBSERVERINFO: { phase: 'discovery', color: '#26a69a' },
  LEADERINFO: { phase: 'discovery', color: '#00695c' },
  ACKEPOCH: { phase: 'discovery', color: '#4db6ac' },
  // ZAB synchronization, Paxos catch-up
  DIFF: { phase: 'sync', color: '#1565c0' },
  TRUNC: { phase: 'sync', color: '#c62828' },
  SNAP: { phase: 'sync', color: '#283593' },
  NEWLEADER: { phase: 'sync', color: '#0d47a1' },
  UPTODATE: { phase: 'sync', color: '#42a5f5' },
  CatchUpReq: { phase: 'sync', color: '#5c9ce6' },
  CatchUp: { phase: 'sync', color: '#1565c0' },
  // Broadcast / phase 2
  PROPOSAL: { phase: 'propose', color: '#2e7d32' },
  INFORM: { phase: 'propose', color: '#43a047' },
  Accept: { phase: 'propose', color: '#2e7d32' },
  ACK: { phase: 'ack', color: '#9ccc65' },
  Accepted: { phase: 'ack', color: '#9ccc65' },
  COMMIT: { phase: 'commit', color: '#1b5e20' },
  // Liveness
  PING: { phase: 'heartbeat', color: '#b8bcc2' },
  Heartbeat: { phase: 'heartbeat', color: '#b8bcc2' },
  HeartbeatAck: { phase: 'heartbeat', color: '#d3d6da' },
  // Clients
  REQUEST: { phase: 'client', color: '#d9822b' },
  Forward: { phase: 'client', color: '#d9822b' },
  ForwardRefused: { phase: 'client', color: '#b35c00' },
  SYNC: { phase: 'client', color: '#a0522d' },
  SyncReq: { phase: 'client', color: '#a0522d' },
  SyncOk: { phase: 'client', color: '#c98a5c' },
  CLOSE: { phase: 'other', color: '#757575' },
};

const OTHER_COLORS = ['#6d4c41', '#546e7a', '#8d6e63', '#78909c', '#5d4037', '#455a64'];

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function typeStyle(type: string): TypeStyle {
  return TYPE_STYLES[type] ?? { phase: 'other', color: OTHER_COLORS[hashString(type) % OTHER_COLORS.length] };
}

export const PHASE_ORDER: Phase[] = ['election', 'discovery', 'sync', 'propose', 'ack', 'commit', 'heartbeat', 'client', 'other'];

/** Role families: a protocol's role names map onto four colours. */
export type RoleFamily = 'leader' | 'follower' | 'looking' | 'observer' | 'down' | 'unknown';

export function roleFamily(role: string | undefined): RoleFamily {
  switch (role) {
    case 'LEADING':
    case 'LEADER':
      return 'leader';
    case 'FOLLOWING':
    case 'FOLLOWER':
      return 'follower';
    case 'LOOKING':
    case 'CANDIDATE':
    case 'PREPARING':
      return 'looking';
    case 'OBSERVING':
    case 'OBSERVER':
      return 'observer';
    case 'DOWN':
      return 'down';
    default:
      return 'unknown';
  }
}

export const ROLE_COLOR: Record<RoleFamily, string> = {
  leader: '#e8a317',
  follower: '#3a78c2',
  looking: '#9b59b6',
  observer: '#16a085',
  down: '#4a4a4a',
  unknown: '#a0a4aa',
};

export const RESULT_COLOR: Record<string, string> = { ok: '#2e7d32', fail: '#c62828', info: '#e69500', pending: '#9e9e9e' };

export const DROP_REASON_TEXT: Record<string, string> = {
  loss: 'lost by the network',
  partition: 'cut by a partition',
  crashed: 'the receiver was down',
  'broken-connection': 'its connection was broken',
  'not-running': 'the receiver was not running',
};

/** Adaptive time text: "25.091 ms", "1.204 s", "380 µs". */
export function formatTime(us: number): string {
  const abs = Math.abs(us);
  if (abs >= 1_000_000) return `${(us / 1_000_000).toFixed(abs >= 10_000_000 ? 2 : 3)} s`;
  if (abs >= 1000) return `${(us / 1000).toFixed(3)} ms`;
  return `${Math.round(us)} µs`;
}

/** Milliseconds with exactly three decimals (µs precision), as scenario files write them. */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/** A zxid as "epoch:counter" (ZooKeeper's hex form is unreadable in class). */
export function formatZxid(zxid: unknown, counterBits = 32): string {
  if (typeof zxid !== 'number' || !Number.isFinite(zxid)) return String(zxid);
  if (zxid < 0) return '–';
  const scale = 2 ** counterBits;
  return `${Math.floor(zxid / scale)}:${zxid % scale}`;
}

/** A field value for display: zxids formatted, objects compact. */
export function formatField(key: string, value: unknown, counterBits = 32): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number' && /zxid$/i.test(key)) return formatZxid(value, counterBits);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return compactJson(value, 80);
}

export function compactJson(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** "S2" — servers are short and numbered from 0, as in the trace. */
export function serverName(node: number): string {
  return node < 0 ? 'cluster' : `S${node}`;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** The read modes as the lab names them: quorum reads are zablab's own (ZooKeeper has none). */
export const READ_MODE_LABELS: Readonly<Record<string, string>> = {
  local: 'local — served by its server as ZooKeeper does: sequentially consistent, may be stale',
  sync: 'sync then read — ZooKeeper\'s sync: stale only through a deposed leader (ZOOKEEPER-1675)',
  quorum: 'quorum — zablab\'s own, not ZooKeeper\'s: ordered like a write, linearizable',
};
