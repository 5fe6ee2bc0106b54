/**
 * 32-bit hashing for the tree digest (murmur3-style mixing, FNV-1a over strings).
 *
 * The digest of a tree is the 32-bit *sum* of one hash per node and one per session.
 * A sum is order-independent (equal content ⇒ equal digest however it was built) and
 * updatable in O(1): subtract an item's old hash, add its new one.
 */

/** Mixes a 32-bit integer into a running hash. */
export function mix32(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Mixes a safe integer (zxids and session ids exceed 32 bits) as its low and high words. */
export function mixNumber(h: number, n: number): number {
  return mix32(mix32(h, n | 0), Math.floor(n / 4294967296) | 0);
}

/** Final avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** FNV-1a over UTF-16 code units, then avalanched; `seed` separates domains (path vs data). */
export function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h ^ s.length);
}

export const PATH_SEED = 0x2f2f2f2f;
export const DATA_SEED = 0x5a5a5a5a;
export const NODE_SEED = 0x6e6f6465;
export const SESSION_SEED = 0x73657373;

export function sessionHash(sessionId: number, timeoutUs: number): number {
  return fmix32(mixNumber(mixNumber(SESSION_SEED, sessionId), timeoutUs));
}
