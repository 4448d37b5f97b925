/**
 * Is an IPv4 address assigned to this host (on a given interface)?
 *
 * Not from os.networkInterfaces(): libuv leaves out interfaces that have no
 * carrier, and a boot network's bridge often has none when berth starts (no
 * node powered on yet). Judged "not local", such a network would be served
 * as if relayed, and its broadcasts would have no route (ENETUNREACH). The
 * kernel's own view, `ip -j -4 addr`, lists addresses whatever the link state.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

interface IpAddrEntry {
  ifname: string;
  addr_info?: { family?: string; local?: string }[];
}

export function isLocalAddress(address: string, iface?: string): boolean {
  const listed = spawnSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8', timeout: 5000 });
  if (listed.status === 0) {
    try {
      const entries = JSON.parse(listed.stdout) as IpAddrEntry[];
      return entries.some((e) => (iface === undefined || e.ifname === iface) && (e.addr_info ?? []).some((a) => a.local === address));
    } catch {
      // fall through to what Node can see
    }
  }
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (iface !== undefined && name !== iface) continue;
    if (addresses?.some((a) => a.family === 'IPv4' && a.address === address)) return true;
  }
  return false;
}

/** Every address the kernel has on any interface, IPv4 and IPv6, whatever the link state (see above). */
export function kernelAddresses(): string[] {
  const listed = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8', timeout: 5000 });
  if (listed.status !== 0) return [];
  try {
    const entries = JSON.parse(listed.stdout) as IpAddrEntry[];
    return entries.flatMap((e) => (e.addr_info ?? []).map((a) => a.local).filter((a): a is string => a !== undefined));
  } catch {
    return [];
  }
}
