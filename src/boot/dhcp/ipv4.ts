/**
 * IPv4 addresses as unsigned 32-bit numbers, because DHCP carries them as
 * four network-order bytes and pools are ranges: comparing and stepping
 * numbers is what allocation needs. Text form only at the edges (config,
 * events, store).
 */
import { BerthError } from '../../errors.ts';

export interface Subnet {
  /** Network address (host bits zero). */
  base: number;
  prefixLength: number;
  mask: number;
  /** Directed broadcast address. */
  broadcast: number;
}

const dotted = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = dotted.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** `10.0.0.0/24`; throws BERTH_CONFIG naming `what` when it is not a CIDR. */
export function parseSubnet(cidr: string, what: string): Subnet {
  const [addr, len, extra] = cidr.split('/');
  const ip = parseIpv4(addr ?? '');
  const prefixLength = Number(len);
  if (ip === undefined || extra !== undefined || len === undefined || !/^\d{1,2}$/.test(len) || prefixLength > 32) {
    throw new BerthError('BERTH_CONFIG', `${what}: '${cidr}' is not an IPv4 subnet in CIDR form (like 10.0.0.0/24)`, { attribute: what });
  }
  const mask = maskOf(prefixLength);
  const base = (ip & mask) >>> 0;
  return { base, prefixLength, mask, broadcast: (base | ~mask) >>> 0 };
}

export function inSubnet(subnet: Subnet, ip: number): boolean {
  return ((ip & subnet.mask) >>> 0) === subnet.base;
}

/** True for the network and broadcast addresses, which no host may have (except in /31 and /32). */
export function isReservedInSubnet(subnet: Subnet, ip: number): boolean {
  if (subnet.prefixLength >= 31) return false;
  return ip === subnet.base || ip === subnet.broadcast;
}
