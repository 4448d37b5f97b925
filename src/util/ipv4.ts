/**
 * IPv4 addresses as unsigned 32-bit numbers, because DHCP carries them as
 * four network-order bytes and pools are ranges: comparing and stepping
 * numbers is what allocation needs. Text form only at the edges (config,
 * inventory, events, store). The one parser of dotted quads in berth: the
 * inventory, the config file and the DHCP server agree on what an address is.
 */
import { BerthError } from '../errors.ts';

export interface Subnet {
  /** Network address (host bits zero). */
  base: number;
  prefixLength: number;
  mask: number;
  /** Directed broadcast address. */
  broadcast: number;
}

/**
 * Parses dotted-quad text; undefined when it is not one. Leading zeros are
 * refused: inet_aton(3) reads 010 as octal 8, other tools read it as 10, so
 * such an address means different machines to different programs.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let address = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    address = address * 256 + octet;
  }
  return address;
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

/** Text form for callers holding an address and a CIDR (`10.0.0.5`, `10.0.0.0/24`); false when either is not one. */
export function addressInSubnet(ip: string, cidr: string): boolean {
  const address = parseIpv4(ip);
  if (address === undefined) return false;
  let subnet: Subnet;
  try {
    subnet = parseSubnet(cidr, 'subnet');
  } catch {
    return false;
  }
  return inSubnet(subnet, address);
}

/** True for the network and broadcast addresses, which no host may have (except in /31 and /32). */
export function isReservedInSubnet(subnet: Subnet, ip: number): boolean {
  if (subnet.prefixLength >= 31) return false;
  return ip === subnet.base || ip === subnet.broadcast;
}
