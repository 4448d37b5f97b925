import { quote, reject, rejectDuplicates, splitList } from './rejection.ts';

/**
 * RFC 1123 host names (RFC 952 as relaxed by RFC 1123 section 2.1: labels may
 * start with a digit). Stored lowercase: DNS is case-insensitive and a node
 * must not be reachable under two spellings in generated files.
 */
export function normalizeHostname(value: string): string {
  return normalizeDnsName(value, 'host name');
}

export function normalizeDomain(value: string): string {
  return normalizeDnsName(value, 'domain name');
}

function normalizeDnsName(value: string, noun: string): string {
  // A trailing dot (absolute name) means the same name; store it without.
  const text = value.trim().toLowerCase().replace(/\.$/, '');
  const invalid = (why: string): never => reject(`${quote(value)} is not a valid ${noun} (${why})`);
  if (text === '') invalid('it is empty');
  if (text.length > 253) invalid('longer than 253 characters');
  // Otherwise "10.0.0.5" would pass as a name and resolvers would read it as an address.
  if (/^[0-9.]+$/.test(text)) invalid('it looks like an IPv4 address; a name must contain a letter');
  for (const label of text.split('.')) {
    if (label === '') invalid('empty part between dots');
    if (label.length > 63) invalid(`part '${label.slice(0, 20)}...' is longer than 63 characters`);
    if (label.includes('_')) invalid("'_' is not allowed; use letters, digits and '-'");
    if (!/^[a-z0-9-]+$/.test(label)) invalid("only letters, digits, '-' and '.' are allowed");
    if (label.startsWith('-') || label.endsWith('-')) invalid(`part '${label}' starts or ends with '-'`);
  }
  return text;
}

export function normalizeHostnameList(value: string): string {
  return normalizeNameList(value, normalizeHostname, 'host name');
}

export function normalizeDomainList(value: string): string {
  return normalizeNameList(value, normalizeDomain, 'domain');
}

function normalizeNameList(value: string, normalize: (item: string) => string, noun: string): string {
  const items = splitList(value).map(normalize);
  if (items.length === 0) reject(`${quote(value)} lists no ${noun}`);
  rejectDuplicates(items, noun);
  return items.join(',');
}

/**
 * Profile names become directory names on the server and path segments in
 * boot URLs, so nothing that could climb out of the profile directory.
 */
export function normalizeProfileName(value: string): string {
  const text = value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(text) || text.includes('..')) {
    reject(
      `${quote(value)} is not a profile name (up to 128 letters, digits, '.', '_', '+' and '-', starting with a letter or digit, such as rocky-9.5-x86_64-compute)`,
    );
  }
  return text;
}

/**
 * IANA tz database names: Area/Location with up to two more levels
 * (America/Argentina/Buenos_Aires), or a single name like UTC or EST5EDT.
 * The shape is checked first so that nothing path-like ever reaches a
 * `ln -s /usr/share/zoneinfo/...` on the node; then Node's ICU confirms the
 * zone exists, which catches typos like Europe/Berln.
 */
export function normalizeTimezone(value: string): string {
  const text = value.trim();
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}$/.test(text)) {
    reject(`${quote(value)} is not a time zone name (expected an IANA name such as Europe/Berlin or UTC)`);
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    reject(`${quote(value)} is not a known time zone (expected an IANA name such as Europe/Berlin or UTC; see timedatectl list-timezones)`);
  }
  // ICU fixes the spelling (europe/berlin → Europe/Berlin); keep the user's
  // name otherwise, since ICU may also map it to another alias.
  return resolved.toLowerCase() === text.toLowerCase() ? resolved : text;
}

/** POSIX locale names as glibc spells them: language[_TERRITORY][.codeset][@modifier]. */
export function normalizeLocale(value: string): string {
  const text = value.trim();
  if (!/^(?:C|POSIX|[a-z]{2,3}(?:_[A-Z]{2})?)(?:\.[A-Za-z0-9-]+)?(?:@[A-Za-z0-9]+)?$/.test(text)) {
    reject(`${quote(value)} is not a locale name (expected language_TERRITORY.codeset such as en_US.UTF-8, or C.UTF-8)`);
  }
  return text;
}

/** Console keymap names (localectl list-keymaps): us, de-nodeadkeys, fr-latin9... */
export function normalizeKeymap(value: string): string {
  const text = value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(text)) {
    reject(`${quote(value)} is not a keyboard layout name (expected a console keymap such as us or de-nodeadkeys)`);
  }
  return text;
}
