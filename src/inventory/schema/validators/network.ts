import { formatIpv4, parseIpv4 } from '../../../util/ipv4.ts';
import { normalizeHostname } from './names.ts';
import { quote, reject, rejectDuplicates, splitList } from './rejection.ts';

const macExpected = 'expected six hex pairs such as 52:54:00:12:34:56';

/**
 * Accepts the spellings switches, BMCs and dmesg print (52:54:00:12:34:56,
 * 52-54-00-12-34-56, 525400123456, Cisco's 5254.0012.3456) and stores the one
 * Linux prints, so the same card never appears under two names.
 */
export function normalizeMac(value: string): string {
  const text = value.trim().toLowerCase();
  let octets: string[] | undefined;
  const separated = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/.exec(text);
  if (separated) {
    octets = [separated[1]!, separated[3]!, separated[4]!, separated[5]!, separated[6]!, separated[7]!];
  } else if (/^[0-9a-f]{12}$/.test(text) || /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(text)) {
    const bare = text.replace(/\./g, '');
    octets = bare.match(/../g)!;
  }
  if (octets === undefined) reject(`${quote(value)} is not a MAC address (${macExpected})`);
  const normalized = octets.map((o) => o.padStart(2, '0')).join(':');
  if (normalized === '00:00:00:00:00:00') {
    reject(`${quote(value)} is the all-zero MAC address, which no network card has (${macExpected})`);
  }
  // Bit 0 of the first octet marks group addresses; a card never sends from one.
  if ((parseInt(octets[0]!, 16) & 1) === 1) {
    reject(`${quote(value)} is a multicast or broadcast MAC address, which no network card has (${macExpected})`);
  }
  return normalized;
}

const ipv4Expected = 'expected four numbers 0-255 separated by dots, such as 10.0.0.5';

/** A unicast address a host, gateway or server can have. */
export function normalizeIpv4(value: string): string {
  const text = value.trim();
  const address = parseIpv4(text);
  if (address === undefined) reject(`${quote(value)} is not an IPv4 address (${ipv4Expected})`);
  rejectNonUnicast(value, address);
  return formatIpv4(address);
}

function rejectNonUnicast(value: string, address: number): void {
  if (address === 0) reject(`${quote(value)} is the unspecified address 0.0.0.0, not a host address`);
  if (address === 0xffffffff) reject(`${quote(value)} is the broadcast address, not a host address`);
  if (address >>> 28 === 0xe) reject(`${quote(value)} is a multicast address (224.0.0.0/4), not a host address`);
}

/**
 * Address with prefix length, as `ip addr` shows it. A dotted netmask is
 * accepted and turned into the prefix length.
 */
export function normalizeIpv4Cidr(value: string): string {
  const text = value.trim();
  const slash = text.indexOf('/');
  if (slash < 0) {
    const hint = parseIpv4(text) !== undefined ? `add the prefix length, e.g. ${text}/24` : 'expected an address with prefix length such as 10.0.0.5/24';
    reject(`${quote(value)} is not an IPv4 address with prefix length (${hint})`);
  }
  const address = parseIpv4(text.slice(0, slash));
  if (address === undefined) reject(`${quote(value)} does not start with an IPv4 address (${ipv4Expected}, then /prefix)`);
  const prefix = parsePrefix(text.slice(slash + 1));
  if (prefix === undefined) {
    reject(`${quote(value)} has an invalid prefix length (expected /1 to /32 or a netmask such as /255.255.255.0)`);
  }
  rejectNonUnicast(value, address);
  // RFC 3021 makes both addresses of a /31 usable; below that the first and
  // last address of the subnet are the network and broadcast addresses.
  if (prefix < 31) {
    const hostBits = 32 - prefix;
    const hostPart = address % 2 ** hostBits;
    const network = formatIpv4(address - hostPart);
    if (hostPart === 0) reject(`${quote(value)} is the network address of ${network}/${prefix}, not a host address in it`);
    if (hostPart === 2 ** hostBits - 1) reject(`${quote(value)} is the broadcast address of ${network}/${prefix}, not a host address in it`);
  }
  return `${formatIpv4(address)}/${prefix}`;
}

function parsePrefix(text: string): number | undefined {
  if (/^(?:[1-9]|[12][0-9]|3[0-2])$/.test(text)) return Number(text);
  const mask = parseIpv4(text);
  if (mask === undefined || mask === 0) return undefined;
  // A netmask is ones followed by zeros: inverted it is 2^n - 1.
  const inverted = 0xffffffff - mask;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

export function normalizeIpv4List(value: string): string {
  const items = splitList(value).map(normalizeIpv4);
  if (items.length === 0) reject(`${quote(value)} lists no IPv4 address`);
  rejectDuplicates(items, 'address');
  return items.join(',');
}

/** A server given either way: an IPv4 address if it is all digits and dots, else a host name. */
export function normalizeHost(value: string): string {
  const text = value.trim();
  return /^[0-9.]+$/.test(text) ? normalizeIpv4(text) : normalizeHostname(text);
}

export function normalizeHostList(value: string): string {
  const items = splitList(value).map(normalizeHost);
  if (items.length === 0) reject(`${quote(value)} lists no host`);
  rejectDuplicates(items, 'host');
  return items.join(',');
}
