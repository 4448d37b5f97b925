/**
 * The boot services' view of the inventory: which node owns a MAC, and that
 * interface's network settings, resolved (expressions evaluated). The MAC and
 * UUID indexes are rebuilt only when the inventory changed, so a DHCP storm
 * from 10,000 nodes costs one index build, not one resolution per packet.
 */
import type { DiscoveryService } from './discovery/discovery.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { NodeRecord } from '../inventory/model.ts';
import type { Resolver } from '../inventory/resolver.ts';
import type { DiscoveredClient, NodeNetworkConfig } from './boot-target.ts';
import type { DhcpBackend } from './dhcp/handler/context.ts';

const HWADDR = /^net\.([^.]+)\.hwaddr$/;
const ADDRESS = /^net\.[^.]+\.ipv4_address$/;

export class InventoryBootBackend implements DhcpBackend {
  readonly #inventory: Inventory;
  readonly #discovery: DiscoveryService;
  #builtFor = -1;
  #byMac = new Map<string, { node: string; interfaceName: string }>();
  #byUuid = new Map<string, string>();
  #byAddress = new Map<string, string>();

  constructor(inventory: Inventory, discovery: DiscoveryService) {
    this.#inventory = inventory;
    this.#discovery = discovery;
  }

  nodeByMac(mac: string): NodeNetworkConfig | undefined {
    this.#refresh();
    const owner = this.#byMac.get(mac);
    return owner ? this.networkConfig(owner.node, owner.interfaceName, mac) : undefined;
  }

  /** So the dynamic pool never offers an address the inventory gives to a node. */
  nodeByAddress(address: string): string | undefined {
    this.#refresh();
    return this.#byAddress.get(address);
  }

  nodeByUuid(uuid: string): string | undefined {
    this.#refresh();
    return this.#byUuid.get(uuid.toLowerCase());
  }

  discovered(client: DiscoveredClient): NodeNetworkConfig | undefined {
    const choice = this.#discovery.observe(client);
    return choice ? this.networkConfig(choice.node, choice.interfaceName, client.mac) : undefined;
  }

  /** A node's settings on one interface, as DHCP hands them out. */
  networkConfig(name: string, interfaceName: string, mac: string): NodeNetworkConfig | undefined {
    const node = this.#inventory.node(name);
    if (!node) return undefined;
    const resolver = this.#inventory.resolver();
    const value = (attribute: string): string | undefined => safeValue(resolver, node, attribute);
    const list = (attribute: string): string[] => (value(attribute) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const config: NodeNetworkConfig = {
      node: name,
      interfaceName,
      mac,
      dnsServers: list('dns.servers'),
      ntpServers: list('ntp.servers'),
      bootable: value(`net.${interfaceName}.bootable`) !== 'false',
    };
    const cidr = value(`net.${interfaceName}.ipv4_address`);
    if (cidr) {
      const [ip, prefix] = cidr.split('/');
      config.address = { ip: ip!, prefixLength: Number(prefix) };
    }
    const gateway = value(`net.${interfaceName}.ipv4_gateway`);
    if (gateway) config.gateway = gateway;
    const hostname = list(`net.${interfaceName}.hostname`)[0];
    config.hostname = hostname ?? name;
    const domain = value('dns.domain');
    if (domain) config.domain = domain;
    return config;
  }

  #refresh(): void {
    if (this.#builtFor === this.#inventory.version) return;
    const byMac = new Map<string, { node: string; interfaceName: string }>();
    const byUuid = new Map<string, string>();
    const byAddress = new Map<string, string>();
    const resolver = this.#inventory.resolver();
    for (const name of this.#inventory.nodeNames()) {
      const node = this.#inventory.node(name)!;
      for (const attribute of resolver.attributeNames(node)) {
        const match = HWADDR.exec(attribute);
        if (match) {
          const mac = safeValue(resolver, node, attribute);
          if (mac) byMac.set(mac, { node: name, interfaceName: match[1]! });
        } else if (ADDRESS.test(attribute)) {
          const cidr = safeValue(resolver, node, attribute);
          if (cidr) byAddress.set(cidr.split('/')[0]!, name);
        } else if (attribute === 'id.uuid') {
          const uuid = safeValue(resolver, node, attribute);
          if (uuid) byUuid.set(uuid, name);
        }
      }
    }
    this.#byMac = byMac;
    this.#byUuid = byUuid;
    this.#byAddress = byAddress;
    this.#builtFor = this.#inventory.version;
  }
}

function safeValue(resolver: Resolver, node: NodeRecord, attribute: string): string | undefined {
  try {
    return resolver.value(node, attribute);
  } catch {
    return undefined;
  }
}
