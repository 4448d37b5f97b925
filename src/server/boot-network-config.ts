/**
 * One entry of `boot.networks` in berth.yaml: a network berth boots nodes on,
 * with its DHCP mode. Checked as a whole so every mistake names its key.
 */
import type { DhcpNetworkConfig } from '../boot/dhcp/network.ts';
import { addressInSubnet, parseIpv4 } from '../util/ipv4.ts';

/** The DHCP server's own description of a network: the config file is just where it comes from. */
export type BootNetworkConfig = DhcpNetworkConfig;

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

const KEYS = ['name', 'interface', 'subnet', 'mode', 'server_address', 'gateway', 'dns_servers', 'domain', 'ntp_servers', 'pool', 'lease_seconds', 'uefi_loader', 'relays'];

export function checkBootNetwork(value: unknown): Result<BootNetworkConfig> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'expected a mapping with name, subnet, mode, server_address' };
  }
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) return { ok: false, message: `unknown key ${unknown[0]} (known: ${KEYS.join(', ')})` };
  const name = v['name'];
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(name)) return { ok: false, message: 'name: expected a short name such as "mgmt"' };
  const at = (key: string, message: string): Result<never> => ({ ok: false, message: `network ${name}: ${key}: ${message}` });
  const subnet = v['subnet'];
  const subnetMatch = typeof subnet === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet) : null;
  if (!subnetMatch || parseIpv4(subnetMatch[1]!) === undefined || Number(subnetMatch[2]) > 30) return at('subnet', `expected an IPv4 network such as 10.99.0.0/24, got ${JSON.stringify(subnet)}`);
  const mode = v['mode'] ?? 'full';
  if (mode !== 'full' && mode !== 'proxy') return at('mode', `expected full or proxy, got ${JSON.stringify(mode)}`);
  // Relay agents allowed to forward this network's clients (RFC 3046): their giaddr and, if another, the address they send from.
  const relays = v['relays'];
  if (relays !== undefined && (!Array.isArray(relays) || relays.length === 0 || !relays.every((x) => typeof x === 'string' && (parseIpv4(x) !== undefined)))) {
    return at('relays', `expected a list of the relay agents' IPv4 addresses, got ${JSON.stringify(relays)}`);
  }
  const address = (key: string, required: boolean, mayBeOutside = false): Result<string | undefined> => {
    const a = v[key];
    if (a === undefined && !required) return { ok: true, value: undefined };
    if (typeof a !== 'string' || parseIpv4(a) === undefined) return at(key, `expected an IPv4 address, got ${JSON.stringify(a)}`);
    if (!mayBeOutside && !addressInSubnet(a, subnet as string)) return at(key, `${a} is not inside ${subnet as string}`);
    return { ok: true, value: a };
  };
  // A relayed network's clients reach berth through the relay, at an address outside their subnet.
  const server = address('server_address', true, relays !== undefined);
  if (!server.ok) return server;
  const gateway = address('gateway', false);
  if (!gateway.ok) return gateway;
  const config: BootNetworkConfig = { name, subnet: subnet as string, mode, serverAddress: server.value! };
  if (gateway.value) config.gateway = gateway.value;
  if (relays !== undefined) config.relays = relays as string[];
  if (v['interface'] !== undefined) {
    if (typeof v['interface'] !== 'string' || !/^[A-Za-z0-9_.:-]{1,15}$/.test(v['interface'])) return at('interface', 'expected an interface name');
    config.interface = v['interface'];
  }
  for (const [key, field] of [['dns_servers', 'dnsServers'], ['ntp_servers', 'ntpServers']] as const) {
    const list = v[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && (parseIpv4(x) !== undefined))) return at(key, 'expected a list of IPv4 addresses');
    config[field] = list as string[];
  }
  if (v['domain'] !== undefined) {
    if (typeof v['domain'] !== 'string' || !/^[a-z0-9.-]{1,253}$/i.test(v['domain'])) return at('domain', 'expected a DNS domain');
    config.domain = v['domain'];
  }
  if (v['pool'] !== undefined) {
    if (mode === 'proxy') return at('pool', 'a proxy network hands out no addresses; remove the pool');
    const m = typeof v['pool'] === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\s*-\s*(\d+\.\d+\.\d+\.\d+)$/.exec(v['pool']) : null;
    if (!m || parseIpv4(m[1]!) === undefined || parseIpv4(m[2]!) === undefined) return at('pool', `expected "first-last" such as "10.99.0.100-10.99.0.199", got ${JSON.stringify(v['pool'])}`);
    if (!addressInSubnet(m[1]!, subnet as string) || !addressInSubnet(m[2]!, subnet as string)) return at('pool', `the pool must lie inside ${subnet as string}`);
    if (parseIpv4(m[1]!)! > parseIpv4(m[2]!)!) return at('pool', 'the first address is after the last');
    config.pool = { start: m[1]!, end: m[2]! };
  }
  if (v['lease_seconds'] !== undefined) {
    const s = v['lease_seconds'];
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 60 || s > 31_536_000) return at('lease_seconds', 'expected a whole number of seconds, 60 to 31536000');
    config.leaseSeconds = s;
  }
  if (v['uefi_loader'] !== undefined) {
    if (v['uefi_loader'] !== 'snponly.efi' && v['uefi_loader'] !== 'ipxe.efi') return at('uefi_loader', 'expected snponly.efi or ipxe.efi');
    config.uefiLoader = v['uefi_loader'];
  }
  return { ok: true, value: config };
}
