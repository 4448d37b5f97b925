/**
 * The networks berth serves DHCP on, validated once at start, and the rule
 * that decides which network a packet belongs to.
 *
 * Node's dgram has no IP_PKTINFO or SO_BINDTODEVICE, so a broadcast does not
 * say which interface it came in on. The rule (README.md "Which network"):
 * giaddr, else ciaddr, else the server socket a unicast arrived on, else the
 * subnet of the node's configured address, else the single directly attached
 * network; anything else is ambiguous and dropped (counted).
 *
 * And whether it may be served at all (README.md "Off-link packets"): a
 * relayed packet only when its giaddr and its source are relays configured
 * for that network (RFC 2131 §4.1, RFC 3046 §2.1: berth trusts giaddr and
 * option 82 only from agents it knows); a packet without giaddr only when it
 * comes from the network itself: source 0.0.0.0 on a directly attached
 * network, or a source inside the network's subnet. Otherwise a host on a
 * routed network could unicast to port 67 and be taken for the
 * provisioning LAN.
 */
import { BerthError } from '../../errors.ts';
import type { UefiLoader } from './boot-file.ts';
import { formatIpv4, inSubnet, parseIpv4, parseSubnet, type Subnet } from '../../util/ipv4.ts';

export interface DhcpNetworkConfig {
  /** Unique name, used in events and leases. */
  name: string;
  /** Interface the network is attached to; with it the network is "direct" only if serverAddress is on that interface. */
  interface?: string;
  /** CIDR, e.g. 10.1.0.0/16. */
  subnet: string;
  /** full: berth hands out addresses; proxy: boot information only (PXE ProxyDHCP), another server owns addresses. */
  mode: 'full' | 'proxy';
  /** berth's address as clients of this network reach it: option 54, siaddr, boot URLs. */
  serverAddress: string;
  gateway?: string;
  dnsServers?: string[];
  domain?: string;
  ntpServers?: string[];
  /** Dynamic range for machines without a fixed address (discovery), inclusive. */
  pool?: { start: string; end: string };
  /** Default 3600. */
  leaseSeconds?: number;
  /**
   * Relay agents that may forward this network's clients: the giaddr they
   * set (their address on this network) and, if they send from another
   * address, that one too. Relayed packets from anyone else are dropped.
   */
  relays?: string[];
  /** UEFI PXE loader; default snponly.efi (uses the firmware's NIC driver, like undionly.kpxe). */
  uefiLoader?: UefiLoader;
}

export interface DhcpNetwork {
  name: string;
  mode: 'full' | 'proxy';
  subnet: Subnet;
  serverAddress: string;
  gateway?: string;
  dnsServers: string[];
  domain?: string;
  ntpServers: string[];
  pool?: { start: number; end: number };
  leaseSeconds: number;
  uefiLoader: UefiLoader;
  /** Relay agent addresses accepted as giaddr and as source of relayed packets. */
  relays: ReadonlySet<number>;
  /** Attached to one of this host's interfaces (not only reachable through relays). */
  direct: boolean;
}

const DEFAULT_LEASE_SECONDS = 3600;

/**
 * Validates configs. `isLocal(address, interface?)` says whether an address
 * is assigned to this host (on that interface, when given).
 */
export function resolveNetworks(configs: readonly DhcpNetworkConfig[], isLocal: (address: string, iface?: string) => boolean): DhcpNetwork[] {
  const out: DhcpNetwork[] = [];
  const names = new Set<string>();
  configs.forEach((c, i) => {
    const at = `dhcp.networks[${i}]`;
    const fail = (field: string, message: string): never => {
      throw new BerthError('BERTH_CONFIG', `${at}.${field}: ${message}`, { attribute: `${at}.${field}` });
    };
    if (!c.name) fail('name', 'a network needs a name');
    if (names.has(c.name)) fail('name', `network name '${c.name}' is used twice`);
    names.add(c.name);
    if (c.mode !== 'full' && c.mode !== 'proxy') fail('mode', `'${String(c.mode)}' is neither full nor proxy`);
    const subnet = parseSubnet(c.subnet, `${at}.subnet`);
    const address = (field: string, text: string): number => parseIpv4(text) ?? fail(field, `'${text}' is not an IPv4 address`);
    address('serverAddress', c.serverAddress);
    if (c.gateway !== undefined && !inSubnet(subnet, address('gateway', c.gateway))) fail('gateway', `${c.gateway} is outside ${c.subnet}`);
    (c.dnsServers ?? []).forEach((a, j) => address(`dnsServers[${j}]`, a));
    (c.ntpServers ?? []).forEach((a, j) => address(`ntpServers[${j}]`, a));
    const relays = new Set((c.relays ?? []).map((a, j) => address(`relays[${j}]`, a)));
    let pool: DhcpNetwork['pool'];
    if (c.pool) {
      if (c.mode === 'proxy') fail('pool', 'a proxy network hands out no addresses, so it cannot have a pool');
      const start = address('pool.start', c.pool.start);
      const end = address('pool.end', c.pool.end);
      if (!inSubnet(subnet, start) || !inSubnet(subnet, end)) fail('pool', `${c.pool.start}-${c.pool.end} is not inside ${c.subnet}`);
      if (start > end) fail('pool', `start ${c.pool.start} is after end ${c.pool.end}`);
      pool = { start, end };
    }
    const leaseSeconds = c.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    if (!Number.isInteger(leaseSeconds) || leaseSeconds < 60) fail('leaseSeconds', `${leaseSeconds} is not a whole number of at least 60 seconds`);
    if (c.uefiLoader !== undefined && c.uefiLoader !== 'snponly.efi' && c.uefiLoader !== 'ipxe.efi') fail('uefiLoader', `'${String(c.uefiLoader)}' is neither snponly.efi nor ipxe.efi`);
    for (const other of out) {
      if (inSubnet(other.subnet, subnet.base) || inSubnet(subnet, other.subnet.base)) {
        fail('subnet', `${c.subnet} overlaps network '${other.name}' (${formatIpv4(other.subnet.base)}/${other.subnet.prefixLength}), so packets could not be told apart`);
      }
    }
    const network: DhcpNetwork = {
      name: c.name,
      mode: c.mode,
      subnet,
      serverAddress: c.serverAddress,
      dnsServers: c.dnsServers ?? [],
      ntpServers: c.ntpServers ?? [],
      leaseSeconds,
      uefiLoader: c.uefiLoader ?? 'snponly.efi',
      relays,
      // A host's address on an attached network lies inside it; one outside is how relayed clients reach berth.
      direct: inSubnet(subnet, parseIpv4(c.serverAddress)!) && isLocal(c.serverAddress, c.interface),
    };
    if (c.gateway !== undefined) network.gateway = c.gateway;
    if (c.domain !== undefined) network.domain = c.domain;
    if (pool) network.pool = pool;
    out.push(network);
  });
  return out;
}

export interface NetworkHints {
  giaddr: string;
  ciaddr: string;
  /** The packet's IP source address. */
  source: string;
  arrivedOn?: string;
  /** The node's configured address on the interface with this MAC. */
  nodeAddress?: string;
}

export type NetworkChoice = { network: DhcpNetwork } | { dropped: string };

export function selectNetwork(networks: readonly DhcpNetwork[], hints: NetworkHints): NetworkChoice {
  const choice = placeNetwork(networks, hints);
  if ('dropped' in choice) return choice;
  const { network } = choice;
  const source = parseIpv4(hints.source);
  if (hints.giaddr !== '0.0.0.0') {
    if (!network.relays.has(parseIpv4(hints.giaddr)!)) return { dropped: 'relay-not-configured' };
    if (source === undefined || !network.relays.has(source)) return { dropped: 'relay-source-not-configured' };
    return choice;
  }
  // Without giaddr the client is on the wire: 0.0.0.0 can only come from a directly attached link.
  if (hints.source === '0.0.0.0') return network.direct ? choice : { dropped: 'off-link-source' };
  return source !== undefined && inSubnet(network.subnet, source) ? choice : { dropped: 'off-link-source' };
}

function placeNetwork(networks: readonly DhcpNetwork[], hints: NetworkHints): NetworkChoice {
  const containing = (text: string, reason: string): NetworkChoice => {
    const ip = parseIpv4(text);
    const network = ip === undefined ? undefined : networks.find((n) => inSubnet(n.subnet, ip));
    return network ? { network } : { dropped: reason };
  };
  // RFC 2131 §4.3.1: a relayed message belongs to the giaddr's subnet.
  if (hints.giaddr !== '0.0.0.0') return containing(hints.giaddr, 'relay-network-unknown');
  // A client with an address (renewing, INFORM, port 4011) says where it is.
  if (hints.ciaddr !== '0.0.0.0') return containing(hints.ciaddr, 'client-network-unknown');
  if (hints.arrivedOn !== undefined) {
    const network = networks.find((n) => n.name === hints.arrivedOn);
    if (network) return { network };
  }
  if (hints.nodeAddress !== undefined) {
    const choice = containing(hints.nodeAddress, 'node-address-outside-networks');
    if ('network' in choice) return choice;
  }
  const direct = networks.filter((n) => n.direct);
  if (direct.length === 1) return { network: direct[0]! };
  return { dropped: direct.length === 0 ? 'no-direct-network' : 'network-ambiguous' };
}
