/**
 * A tiny DHCP client built from berth's own codec, a fake BootBackend and a
 * ready dispatch context, shared by the DHCP tests, the fuzzer and the
 * loopback load run.
 */
import type { BootBackend, DiscoveredClient, NodeNetworkConfig } from '../../../src/boot/boot-target.ts';
import { AddressPool } from '../../../src/boot/dhcp/address-pool.ts';
import type { DispatchContext } from '../../../src/boot/dhcp/dispatch.ts';
import type { DhcpBackend } from '../../../src/boot/dhcp/handler/context.ts';
import { LeaseTable } from '../../../src/boot/dhcp/leases.ts';
import { NewClientLimit, type NewClientLimitOptions } from '../../../src/boot/dhcp/new-client-limit.ts';
import { resolveNetworks, type DhcpNetworkConfig } from '../../../src/boot/dhcp/network.ts';
import { DhcpOptions, ipv4Bytes, Option, textBytes } from '../../../src/boot/dhcp/options.ts';
import { BOOTREQUEST, parsePacket, serializePacket, type DhcpPacket } from '../../../src/boot/dhcp/packet.ts';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { nullLogger } from '../../../src/util/logger.ts';

export interface ClientMessage {
  mac: string;
  xid?: number;
  ciaddr?: string;
  giaddr?: string;
  broadcast?: boolean;
  requested?: string;
  serverId?: string;
  vendorClass?: string;
  /** Raw option 77 bytes; a string is sent as iPXE does (plain). */
  userClass?: string | Buffer;
  arch?: number;
  /** 16 raw GUID bytes for option 97. */
  guid?: Buffer;
  clientId?: Buffer;
  relayInfo?: Buffer;
  ipxe175?: boolean;
  parameterList?: number[];
  maxMessageSize?: number;
}

export const DISCOVER = 1;
export const REQUEST = 3;
export const DECLINE = 4;
export const RELEASE = 7;
export const INFORM = 8;

export function macBytes(mac: string): Buffer {
  const chaddr = Buffer.alloc(16);
  Buffer.from(mac.replaceAll(':', ''), 'hex').copy(chaddr);
  return chaddr;
}

export function clientPacket(type: number, m: ClientMessage): DhcpPacket {
  const o = new DhcpOptions();
  o.set(Option.messageType, Buffer.from([type]));
  if (m.requested) o.set(Option.requestedAddress, ipv4Bytes([m.requested]));
  if (m.serverId) o.set(Option.serverId, ipv4Bytes([m.serverId]));
  if (m.maxMessageSize) o.set(Option.maxMessageSize, Buffer.from([m.maxMessageSize >> 8, m.maxMessageSize & 255]));
  if (m.parameterList) o.set(Option.parameterList, Buffer.from(m.parameterList));
  if (m.vendorClass) o.set(Option.vendorClass, textBytes(m.vendorClass));
  if (m.clientId) o.set(Option.clientId, m.clientId);
  if (m.userClass !== undefined) o.set(Option.userClass, typeof m.userClass === 'string' ? textBytes(m.userClass) : m.userClass);
  if (m.arch !== undefined) {
    o.set(Option.clientArch, Buffer.from([m.arch >> 8, m.arch & 255]));
    o.set(Option.clientNdi, Buffer.from([1, 3, 16]));
  }
  if (m.guid) o.set(Option.clientUuid, Buffer.concat([Buffer.from([0]), m.guid]));
  if (m.ipxe175) o.set(Option.ipxe, Buffer.from([19, 1, 1, 0xff])); // iPXE "bus id" style TLV
  if (m.relayInfo) o.set(Option.relayAgentInfo, m.relayInfo);
  return {
    op: BOOTREQUEST, htype: 1, hlen: 6, hops: m.giaddr ? 1 : 0, xid: m.xid ?? 0x1234abcd, secs: 0,
    flags: m.broadcast ? 0x8000 : 0, ciaddr: m.ciaddr ?? '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0',
    giaddr: m.giaddr ?? '0.0.0.0', chaddr: macBytes(m.mac), sname: '', file: '', options: o,
  };
}

export function clientBytes(type: number, m: ClientMessage): Buffer {
  return serializePacket(clientPacket(type, m)).bytes;
}

/** The three clients of one diskless boot, as they really differ: PXE ROM, iPXE, then the OS. */
export const pxeRom = (mac: string): ClientMessage => ({
  mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001', guid: Buffer.from('33221100554477668899aabbccddeeff', 'hex'),
  clientId: Buffer.from([0, ...Buffer.from('33221100554477668899aabbccddeeff', 'hex')]),
});
export const ipxe = (mac: string): ClientMessage => ({
  mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001', userClass: 'iPXE', ipxe175: true,
  clientId: Buffer.from([1, ...Buffer.from(mac.replaceAll(':', ''), 'hex')]),
});
export const osClient = (mac: string): ClientMessage => ({
  mac, clientId: Buffer.from('ff00000001000100012c4f1a2b' + mac.replaceAll(':', ''), 'hex'), parameterList: [1, 3, 6, 12, 15, 42, 51, 54],
});

export function node(name: string, mac: string, ip?: string, extra: Partial<NodeNetworkConfig> = {}): NodeNetworkConfig {
  const n: NodeNetworkConfig = { node: name, interfaceName: 'mgmt', mac, dnsServers: [], ntpServers: [], bootable: true, hostname: name, ...extra };
  if (ip) n.address = { ip, prefixLength: 24 };
  return n;
}

export class FakeBackend implements BootBackend, DhcpBackend {
  readonly nodes = new Map<string, NodeNetworkConfig>();
  readonly discoveries: DiscoveredClient[] = [];
  /** What discovered() returns (policy assignment); default none. */
  assign: ((client: DiscoveredClient) => NodeNetworkConfig | undefined) | undefined;

  constructor(nodes: NodeNetworkConfig[] = []) {
    for (const n of nodes) this.nodes.set(n.mac, n);
  }
  nodeByMac(mac: string) {
    return this.nodes.get(mac);
  }
  nodeByUuid() {
    return undefined;
  }
  nodeByAddress(address: string) {
    for (const n of this.nodes.values()) if (n.address?.ip === address) return n.node;
    return undefined;
  }
  discovered(client: DiscoveredClient) {
    this.discoveries.push(client);
    const assigned = this.assign?.(client);
    if (assigned) this.nodes.set(assigned.mac, assigned);
    return assigned;
  }
}

export const lab: DhcpNetworkConfig = {
  name: 'lab', subnet: '10.0.0.0/24', mode: 'full', serverAddress: '10.0.0.1', gateway: '10.0.0.254',
  dnsServers: ['10.0.0.2'], domain: 'lab.example', ntpServers: ['10.0.0.3'], pool: { start: '10.0.0.100', end: '10.0.0.199' },
};
export const proxyLan: DhcpNetworkConfig = { name: 'lan', subnet: '192.168.1.0/24', mode: 'proxy', serverAddress: '192.168.1.5' };

export interface TestBed {
  ctx: DispatchContext;
  events: RecordingSink;
  backend: FakeBackend;
  leases: LeaseTable;
  store: Store;
  clock: { now: number };
}

export function testBed(networks: DhcpNetworkConfig[], nodes: NodeNetworkConfig[] = [], opts: { store?: Store; direct?: string[]; newClients?: NewClientLimitOptions } = {}): TestBed {
  const store = opts.store ?? createMemoryStore();
  const resolved = resolveNetworks(networks, (address) => (opts.direct ?? networks.map((n) => n.serverAddress)).includes(address));
  const leases = new LeaseTable(store, { commitWindowMs: 1 });
  const events = new RecordingSink();
  const backend = new FakeBackend(nodes);
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const ctx: DispatchContext = {
    networks: resolved, backend, leases,
    pools: new Map(resolved.filter((n) => n.pool).map((n) => [n.name, new AddressPool(n, leases)])),
    // Handler tests run on a frozen clock: by default let everyone in.
    newClients: new NewClientLimit(opts.newClients ?? { burst: Number.MAX_SAFE_INTEGER }),
    events, log: nullLogger(), httpPort: 8080, ports: { server: 67, client: 68, proxy: 4011 },
    timings: { offerSeconds: 60, declineSeconds: 3600 }, now: () => clock.now,
  };
  return { ctx, events, backend, leases, store, clock };
}

export function optionText(p: DhcpPacket, code: number): string | undefined {
  return p.options.get(code)?.toString('latin1');
}

export function reparse(bytes: Buffer): DhcpPacket {
  return parsePacket(bytes);
}

export function totalDropped(events: RecordingSink): number {
  let n = 0;
  for (const v of events.dropped.values()) n += v;
  return n;
}
