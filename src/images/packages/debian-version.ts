/**
 * Debian package versions: parsing by Debian Policy §5.6.12 ("Version") and
 * ordering exactly as dpkg orders them (lib/dpkg/version.c, `verrevcmp`), so
 * berth picks the same "newest" package that apt and dpkg would.
 *
 *   [epoch:]upstream_version[-debian_revision]
 *
 * - epoch: an unsigned integer before the first ':'; 0 when absent. dpkg
 *   refuses epochs above INT_MAX, and so does this parser.
 * - upstream_version: starts with a digit; alphanumerics and `. + - ~` only.
 *   It may hold '-' only when a revision follows, since the revision starts
 *   after the *last* '-'. Current policy dropped ':' from upstream versions,
 *   so a second ':' is refused (dpkg still tolerates it after an epoch).
 * - debian_revision: alphanumerics and `+ . ~`; '' when absent. An absent
 *   revision compares equal to "0" (dpkg: `1.0` = `1.0-0`).
 */
import { BerthError } from '../../errors.ts';

export interface DebianVersion {
  epoch: number;
  upstream: string;
  /** '' when the version has no '-'. */
  revision: string;
}

/** dpkg stores the epoch in an int and refuses anything larger. */
const maxEpoch = 2_147_483_647;

const upstreamCharacters = /^[0-9A-Za-z.+~-]$/;
const revisionCharacters = /^[0-9A-Za-z.+~]$/;

/** Splits and checks a version; throws BERTH_BAD_INPUT saying what is wrong and at which column. */
export function parseDebianVersion(text: string): DebianVersion {
  if (typeof text !== 'string') {
    throw new BerthError('BERTH_BAD_INPUT', `a Debian version must be a string, not ${typeof text}`);
  }
  const fail = (what: string, column: number): never => {
    throw new BerthError('BERTH_BAD_INPUT', `Debian version '${text}' ${what} (column ${column})`, {
      column,
      input: text,
    });
  };
  if (text === '') fail('is empty', 1);

  const colon = text.indexOf(':');
  let epoch = 0;
  if (colon !== -1) {
    const digits = text.slice(0, colon);
    if (digits === '') fail("has an empty epoch before ':'", 1);
    const bad = digits.search(/[^0-9]/);
    if (bad !== -1) fail(`has an epoch '${digits}' that is not an unsigned number`, bad + 1);
    epoch = Number(digits);
    if (epoch > maxEpoch) fail(`has an epoch larger than ${maxEpoch}, which dpkg refuses`, 1);
    if (colon === text.length - 1) fail("has nothing after the epoch's ':'", colon + 1);
  }
  const upstreamStart = colon + 1;

  const hyphen = text.lastIndexOf('-');
  const hasRevision = hyphen >= upstreamStart;
  const upstreamEnd = hasRevision ? hyphen : text.length;
  if (hasRevision && hyphen === text.length - 1) fail("ends with '-' but has no revision after it", hyphen + 1);

  const upstream = text.slice(upstreamStart, upstreamEnd);
  const revision = hasRevision ? text.slice(hyphen + 1) : '';
  if (upstream === '') fail("has no upstream version before the revision's '-'", upstreamStart + 1);
  if (!isDigit(upstream.charCodeAt(0))) {
    fail(`has an upstream version '${upstream}' that does not start with a digit`, upstreamStart + 1);
  }
  for (let i = upstreamStart; i < upstreamEnd; i++) {
    if (!upstreamCharacters.test(text[i]!)) {
      fail(`has ${describeCharacter(text, i)} in its upstream version; only letters, digits and . + - ~ are allowed`, i + 1);
    }
  }
  for (let i = hyphen + 1; hasRevision && i < text.length; i++) {
    if (!revisionCharacters.test(text[i]!)) {
      fail(`has ${describeCharacter(text, i)} in its revision; only letters, digits and . + ~ are allowed`, i + 1);
    }
  }
  return { epoch, upstream, revision };
}

/**
 * dpkg's order: -1 when `a` is older than `b`, 0 when dpkg counts them equal
 * (`1.01` and `1.1`, `1.0` and `1.0-0`), 1 when newer. Strings are parsed
 * (and so validated) first.
 */
export function compareDebianVersions(a: string | DebianVersion, b: string | DebianVersion): -1 | 0 | 1 {
  const left = typeof a === 'string' ? parseDebianVersion(a) : a;
  const right = typeof b === 'string' ? parseDebianVersion(b) : b;
  if (left.epoch !== right.epoch) return left.epoch < right.epoch ? -1 : 1;
  return compareParts(left.upstream, right.upstream) || compareParts(left.revision, right.revision);
}

/** A new array, oldest first; versions dpkg counts equal keep their input order. Throws on the first invalid version. */
export function sortDebianVersions(list: Iterable<string>): string[] {
  const parsed = Array.from(list, (text) => ({ text, version: parseDebianVersion(text) }));
  parsed.sort((x, y) => compareDebianVersions(x.version, y.version));
  return parsed.map((entry) => entry.text);
}

/**
 * dpkg's verrevcmp: alternate runs of non-digits and digits. Non-digit runs
 * compare character by character by `weight`; digit runs compare as numbers
 * of any length. A missing character (end of the string) weighs 0, like a
 * digit, which is what makes '~' sort before the end: `1.0~rc1` < `1.0`.
 */
function compareParts(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const wa = weight(a.charCodeAt(i));
      const wb = weight(b.charCodeAt(j));
      if (wa !== wb) return wa < wb ? -1 : 1;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === ZERO) i++;
    while (b.charCodeAt(j) === ZERO) j++;
    const aEnd = digitRunEnd(a, i);
    const bEnd = digitRunEnd(b, j);
    // Leading zeros are gone, so the longer run is the larger number and
    // equal lengths compare digit by digit: no overflow past 2^53.
    if (aEnd - i !== bEnd - j) return aEnd - i < bEnd - j ? -1 : 1;
    const aDigits = a.slice(i, aEnd);
    const bDigits = b.slice(j, bEnd);
    if (aDigits !== bDigits) return aDigits < bDigits ? -1 : 1;
    i = aEnd;
    j = bEnd;
  }
  return 0;
}

const ZERO = 48;
const TILDE = 126;

/**
 * dpkg's `order()`: '~' below everything, then digits and the end of the
 * string, then letters in ASCII order, then every other character after all
 * letters. `charCodeAt` past the end is NaN, which counts as the end.
 */
function weight(code: number): number {
  if (Number.isNaN(code) || isDigit(code)) return 0;
  if (code === TILDE) return -1;
  if (isLetter(code)) return code;
  return code + 256;
}

function digitRunEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && isDigit(text.charCodeAt(end))) end++;
  return end;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= 57;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The character at `index` as a person would name it in an error message. */
function describeCharacter(text: string, index: number): string {
  const code = text.codePointAt(index)!;
  if (code === 32) return 'a space';
  if (code === 58) return "a second ':'";
  if (code < 32 || code === 127) return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${String.fromCodePoint(code)}'`;
}
