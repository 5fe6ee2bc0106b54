/**
 * Value helpers shared by the models: structural equality, a 32-bit structural hash,
 * and a short readable rendering. Values come from JSON or EDN histories (null,
 * booleans, numbers, strings, arrays, plain objects), so these are structural; `undefined`
 * is treated as `null` (a missing JSON field reads as nil, as in Knossos).
 */

/** Murmur3's 32-bit finalizer: a cheap, well-mixing permutation of 32-bit ints. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** FNV-1a over UTF-16 code units, finalized. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

const HASH_NULL = 0x1b873593;
const HASH_TRUE = 0x2c1b3c6d;
const HASH_FALSE = 0x297a2d39;

/** Structural hash consistent with {@link valuesEqual}. */
export function hashValue(v: unknown): number {
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return mix32(v ^ 0x27d4eb2f);
      return hashString('n' + String(v));
    case 'string':
      return hashString(v) ^ 0x165667b1;
    case 'boolean':
      return v ? HASH_TRUE : HASH_FALSE;
    case 'bigint':
      return hashString('n' + v.toString());
    case 'undefined':
      return HASH_NULL;
    case 'object': {
      if (v === null) return HASH_NULL;
      if (Array.isArray(v)) {
        let h = 0x3c6ef372 ^ v.length;
        for (const x of v) h = mix32(Math.imul(h, 31) + hashValue(x));
        return h;
      }
      // Plain object: order-independent over entries, so key order does not matter.
      let h = 0x5be0cd19;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined) continue;
        h ^= mix32(hashString(k) + Math.imul(hashValue(x), 0x9e3779b1));
      }
      return h;
    }
    default:
      return hashString(String(v));
  }
}

/** Structural equality; `undefined` equals `null`; object key order is irrelevant. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!Object.prototype.hasOwnProperty.call(bo, k) || !valuesEqual(ao[k], bo[k])) return false;
  return true;
}

/**
 * A canonical text of a value, equal for values {@link valuesEqual} calls equal and
 * different otherwise (up to object key order): JSON, with a bigint written as its
 * digits and `N` (EDN's big integer), which no JSON number or string text ends with.
 * For keys of maps and sets; never throws.
 */
export function valueKey(v: unknown): string {
  switch (typeof v) {
    case 'bigint':
      return `${v.toString()}N`;
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : String(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map(valueKey).join(',')}]`;
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${valueKey(x)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** Compact JSON-like rendering for messages, cut at `maxChars`. */
export function showValue(v: unknown, maxChars = 80): string {
  let s: string;
  if (v === undefined) s = 'null';
  else if (typeof v === 'bigint') s = v.toString();
  else {
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > maxChars ? s.slice(0, maxChars - 1) + '…' : s;
}

/** A deterministic 32-bit PRNG (splitmix32 step), used for Zobrist keys. */
export function splitmix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
