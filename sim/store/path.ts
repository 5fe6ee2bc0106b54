/**
 * Znode path helpers, following ZooKeeper's PathUtils.validatePath: absolute, no empty,
 * "." or ".." segments, no trailing slash (except the root, or a sequential create's
 * prefix, whose name is completed by the suffix), no control or private-use characters.
 */

/**
 * Whether `path` is a valid znode path. With `sequentialPrefix`, a trailing "/" is
 * allowed because the sequential suffix will complete the last name.
 */
export function isValidPath(path: string, sequentialPrefix = false): boolean {
  const n = path.length;
  if (n === 0 || path.charCodeAt(0) !== 47 /* / */) return false;
  if (n === 1) return true; // "/" (or "/" + suffix for a sequential create)
  let segmentStart = 1;
  // i === n is a virtual "/" closing the last segment.
  for (let i = 1; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 47) {
      const len = i - segmentStart;
      if (len === 0) {
        // Empty name ("//", trailing "/"): only a sequential prefix may end with "/".
        if (!(sequentialPrefix && i === n)) return false;
      } else if (
        !(sequentialPrefix && i === n) && // ".": the suffix completes it (".0000000001")
        path.charCodeAt(segmentStart) === 46 /* . */ &&
        (len === 1 || (len === 2 && path.charCodeAt(segmentStart + 1) === 46))
      ) {
        return false; // "." or ".."
      }
      segmentStart = i + 1;
    } else if (
      c <= 0x1f ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      c >= 0xfff0
    ) {
      return false;
    }
  }
  return true;
}

/** The parent of a non-root path: "/a/b" → "/a", "/a" → "/". For a sequential prefix "/a/" → "/a". */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.substring(0, i);
}

/** The last name of a non-root path: "/a/b" → "b". */
export function nameOf(path: string): string {
  return path.substring(path.lastIndexOf('/') + 1);
}

/**
 * ZooKeeper's sequential suffix: Java's `String.format("%010d", n)`. The counter is a
 * signed 32-bit int, so after wrapping it is negative: -5 → "-000000005".
 */
export function sequentialSuffix(n: number): string {
  if (n >= 0) {
    const s = String(n);
    return s.length >= 10 ? s : '0000000000'.substring(s.length) + s;
  }
  const s = String(-n);
  return s.length >= 9 ? '-' + s : '-' + '000000000'.substring(s.length) + s;
}

/** Next value of a signed 32-bit counter (ZooKeeper's int cversion / version wrap). */
export function nextInt32(n: number): number {
  return (n + 1) | 0;
}

/**
 * The UTF-8 length of `data` in bytes: ZooKeeper's Stat.dataLength is the length of the
 * node's byte[] (DataTree.copyStat), and a client's string becomes bytes as UTF-8. A lone
 * surrogate counts 3 bytes, as the encoder's replacement character does.
 */
export function utf8Length(data: string): number {
  let bytes = 0;
  for (let i = 0; i < data.length; i++) {
    const unit = data.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < data.length && (data.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point above U+FFFF
      i++;
    } else bytes += 3;
  }
  return bytes;
}
