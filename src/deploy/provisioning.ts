/**
 * Whether a request comes from the node itself, on a provisioning network:
 * the one rule for everything berth hands to a node on the strength of its
 * address (its node key; its scripted install's token and files; its boot
 * timeline). "Itself" means the request comes from the address its DHCP
 * lease holds or from one of its `net.*.ipv4_address` values; "provisioning
 * network" means inside a subnet in `boot.networks` of berth.yaml when any
 * are configured (so a node's address reached over a routed management
 * network does not count), or anywhere when berth serves no DHCP itself
 * (proxy mode next to the site's DHCP).
 */
import { BerthError } from '../errors.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { addressInSubnet } from '../util/ipv4.ts';
import type { GrantCheck } from './node-keys.ts';

export interface RequesterCheck {
  /** Why `ip` is not the node's own address on a provisioning network, or undefined when it is. */
  notOwnAddress(node: string, ip: string): string | undefined;
  isNodesOwnAddress(node: string, ip: string): boolean;
}

export function requesterCheck(inventory: Inventory, subnets: () => string[], leases: () => { address: string; node?: string }[]): RequesterCheck {
  const notOwnAddress = (node: string, rawIp: string): string | undefined => {
    const ip = rawIp.replace(/^::ffff:/, '');
    if (!inventory.node(node)) return `${node} is not a node berth knows`;
    const networks = subnets();
    if (networks.length > 0 && !networks.some((s) => addressInSubnet(ip, s))) return `${ip} is not on a provisioning network (${networks.join(', ')})`;
    const resolved = inventory.resolveNode(node, (a) => /^net\.[^.]+\.ipv4_address$/.test(a));
    const own = new Set(Object.values(resolved).map((r) => r.value?.split('/')[0]).filter((v): v is string => v !== undefined));
    for (const lease of leases()) if (lease.node === node) own.add(lease.address);
    if (!own.has(ip)) return `the request came from ${ip}, which is not its address (${[...own].join(', ') || 'none known'})`;
    return undefined;
  };
  return { notOwnAddress, isNodesOwnAddress: (node, ip) => notOwnAddress(node, ip) === undefined };
}

/** The node key's requester check (node-keys.ts): the same rule, as a refusal. */
export function provisioningCheck(inventory: Inventory, subnets: () => string[], leases: () => { address: string; node?: string }[]): GrantCheck & RequesterCheck {
  const check = requesterCheck(inventory, subnets, leases);
  return {
    ...check,
    checkRequester(node, ip) {
      const why = check.notOwnAddress(node, ip);
      if (why !== undefined) throw new BerthError('BERTH_FORBIDDEN', `no key for ${node}: ${why}`, { node });
    },
  };
}
