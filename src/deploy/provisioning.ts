/**
 * Who may ask for a node's key: the node itself, from a provisioning
 * network. "Itself" means the request comes from the address its DHCP lease
 * holds or from one of its `net.*.ipv4_address` values; "provisioning
 * network" means inside a subnet in `boot.networks` of berth.yaml when any
 * are configured (so a node's address reached over a routed management
 * network does not count), or anywhere when berth serves no DHCP itself
 * (proxy mode next to the site's DHCP).
 */
import { BerthError } from '../errors.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { inSubnet } from '../server/boot-network-config.ts';
import type { GrantCheck } from './node-keys.ts';

export function provisioningCheck(inventory: Inventory, subnets: () => string[], leases: () => { address: string; node?: string }[]): GrantCheck {
  return {
    checkRequester(node, rawIp) {
      const ip = rawIp.replace(/^::ffff:/, '');
      const networks = subnets();
      if (networks.length > 0 && !networks.some((s) => inSubnet(ip, s))) {
        throw new BerthError('BERTH_FORBIDDEN', `no key for ${node}: ${ip} is not on a provisioning network (${networks.join(', ')})`, { node });
      }
      const resolved = inventory.resolveNode(node, (a) => /^net\.[^.]+\.ipv4_address$/.test(a));
      const own = new Set(Object.values(resolved).map((r) => r.value?.split('/')[0]).filter((v): v is string => v !== undefined));
      for (const lease of leases()) if (lease.node === node) own.add(lease.address);
      if (!own.has(ip)) {
        throw new BerthError('BERTH_FORBIDDEN', `no key for ${node}: the request came from ${ip}, which is not its address (${[...own].join(', ') || 'none known'})`, { node });
      }
    },
  };
}
