/**
 * RPM version ordering (rpmvercmp, as rpm's lib/rpmvercmp.c defines it):
 * versions split into runs of digits and runs of letters, separators
 * ignored; digits beat letters; numbers compare numerically; `~` sorts
 * before everything (pre-releases), `^` after the base version but before
 * anything else appended. Full EVR compares epoch, then version, then release.
 */
export function compareRpmSegments(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && !/[A-Za-z0-9~^]/.test(a[i]!)) i++;
    while (j < b.length && !/[A-Za-z0-9~^]/.test(b[j]!)) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const digits = /[0-9]/.test(a[i]!);
    const take = (s: string, k: number) => {
      let e = k;
      while (e < s.length && (digits ? /[0-9]/.test(s[e]!) : /[A-Za-z]/.test(s[e]!))) e++;
      return e;
    };
    const ei = take(a, i);
    const ej = take(b, j);
    const sa = a.slice(i, ei);
    const sb = b.slice(j, ej);
    // A numeric segment is newer than an alphabetic one.
    if (sb === '') return digits ? 1 : -1;
    if (digits) {
      const na = sa.replace(/^0+/, '');
      const nb = sb.replace(/^0+/, '');
      if (na.length !== nb.length) return na.length > nb.length ? 1 : -1;
      if (na !== nb) return na > nb ? 1 : -1;
    } else if (sa !== sb) {
      return sa > sb ? 1 : -1;
    }
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** `[epoch:]version[-release]` */
export function compareRpmVersions(a: string, b: string): -1 | 0 | 1 {
  const split = (v: string) => {
    const colon = v.indexOf(':');
    const epoch = colon >= 0 ? Number(v.slice(0, colon)) || 0 : 0;
    const rest = colon >= 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf('-');
    return { epoch, version: dash >= 0 ? rest.slice(0, dash) : rest, release: dash >= 0 ? rest.slice(dash + 1) : '' };
  };
  const x = split(a);
  const y = split(b);
  if (x.epoch !== y.epoch) return x.epoch > y.epoch ? 1 : -1;
  return compareRpmSegments(x.version, y.version) || compareRpmSegments(x.release, y.release);
}
