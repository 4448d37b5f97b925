/**
 * Key order for `list`: byte order of the UTF-8 encoding, because that is what
 * both SQLite (BINARY collation over UTF-8 text is memcmp) and etcd (keys are
 * byte strings) give for free. UTF-8 byte order equals Unicode code point
 * order, but NOT JavaScript's `<`, which compares UTF-16 code units and so puts
 * '😀' (surrogates D83D DE00) before '\uFFFD'. Keys are well-formed strings
 * (validation.ts rejects lone surrogates), which is what makes the helpers
 * below exact.
 */

/**
 * Compares two well-formed strings in code point (= UTF-8 byte) order.
 * Walks UTF-16 code units and only fixes up the one case where they disagree:
 * a surrogate (a code point above U+FFFF) against a unit in U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Maps a UTF-16 code unit so that surrogates sort above U+E000..U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/**
 * The smallest string greater than every string that starts with `prefix`,
 * or undefined when there is none (empty prefix, or only U+10FFFF). Keys with
 * the prefix are then exactly `prefix <= key < bound`, which an index can
 * serve as one range scan. Appending '\uFFFF' (the usual trick) is wrong here:
 * 'a😀' sorts after 'a\uFFFF' in byte order and would be missed.
 *
 * Built by incrementing the last code point, dropping trailing U+10FFFF
 * (which cannot be incremented) and stepping over the surrogate range.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last === 0x10ffff) continue;
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return undefined;
}
