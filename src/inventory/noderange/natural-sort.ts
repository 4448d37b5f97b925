/**
 * Natural ("human") order for node names: digit runs compare as numbers, so
 * n2 < n10, and letters compare case-insensitively, as confluent's
 * humanify_nodename does. Names that are still equal (n01 and n1, N1 and n1)
 * fall back to plain string order, so the order is total and sorting is
 * deterministic.
 *
 * Sorting 100,000 names must not run a regular expression per comparison, so
 * each name is turned once into a sort key: a string whose plain code-unit
 * order is the natural order. A text run is written lower-cased and closed
 * with U+0000 when a number follows (so "n" + number sorts before "na"); a
 * number is written as one code unit holding its digit count (leading zeros
 * dropped) followed by its digits, so a shorter number is a smaller one and
 * equal lengths compare digit by digit. No precision is lost for long numbers.
 */

const ZERO = 48;
const NINE = 57;

/** The natural sort key of `name`; compare keys with `<`. */
export function naturalKey(name: string): string {
  let key = '';
  let textStart = 0;
  let i = 0;
  const length = name.length;
  while (i < length) {
    const code = name.charCodeAt(i);
    if (code < ZERO || code > NINE) {
      i++;
      continue;
    }
    key += name.slice(textStart, i).toLowerCase() + '\u0000';
    let end = i + 1;
    while (end < length && isDigitCode(name.charCodeAt(end))) end++;
    let significant = i;
    while (significant < end - 1 && name.charCodeAt(significant) === ZERO) significant++;
    const digits = name.slice(significant, end);
    key += String.fromCharCode(Math.min(digits.length, 0xffff)) + digits;
    i = end;
    textStart = end;
  }
  return key + name.slice(textStart).toLowerCase();
}

function isDigitCode(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order of naturalKey, computed by walking both names without building
 * keys: one comparison allocates nothing, which makes checking whether a list
 * is already sorted (the usual case for expanded ranges) almost free.
 */
function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    const digitA = isDigitCode(ca);
    const digitB = isDigitCode(cb);
    if (digitA && digitB) {
      let endA = i + 1;
      while (endA < a.length && isDigitCode(a.charCodeAt(endA))) endA++;
      let endB = j + 1;
      while (endB < b.length && isDigitCode(b.charCodeAt(endB))) endB++;
      while (i < endA - 1 && a.charCodeAt(i) === ZERO) i++;
      while (j < endB - 1 && b.charCodeAt(j) === ZERO) j++;
      if (endA - i !== endB - j) return endA - i - (endB - j);
      for (; i < endA; i++, j++) {
        const d = a.charCodeAt(i) - b.charCodeAt(j);
        if (d !== 0) return d;
      }
      continue;
    }
    // A number starts where the other name still has text: in the key the
    // text run ends there (U+0000), which sorts first.
    if (digitA !== digitB) return digitA ? -1 : 1;
    if (ca > 127 || cb > 127) return compareStrings(naturalKey(a), naturalKey(b));
    const d = lowerAscii(ca) - lowerAscii(cb);
    if (d !== 0) return d;
    i++;
    j++;
  }
  // Whichever name ran out first has the shorter key, a prefix of the other.
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

function lowerAscii(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** Negative when `a` sorts before `b`, positive after, 0 only when a === b. */
export function naturalCompare(a: string, b: string): number {
  return compareNatural(a, b) || compareStrings(a, b);
}

/**
 * A new array with `names` in natural order. Already-sorted input is detected
 * in one pass; otherwise keys are computed once per name and compared as
 * plain strings.
 */
export function naturalSort(names: Iterable<string>): string[] {
  const list = [...names];
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) sorted = naturalCompare(list[i - 1]!, list[i]!) <= 0;
  if (sorted) return list;
  const decorated = list.map((name) => ({ key: naturalKey(name), name }));
  decorated.sort((x, y) =>
    x.key < y.key ? -1 : x.key > y.key ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0,
  );
  return decorated.map((d) => d.name);
}
