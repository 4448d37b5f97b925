/**
 * Building replies: the header fields RFC 2131 Table 3 fixes, the network
 * settings a client is configured with, and where the reply goes (§4.1).
 */
import type { NodeNetworkConfig } from '../boot-target.ts';
import type { BootAnswer } from './boot-file.ts';
import { formatIpv4, maskOf } from '../../util/ipv4.ts';
import { ipv4Bytes, MessageType, Option, textBytes, uint32Bytes, DhcpOptions, messageTypeName, subOptionBytes } from './options.ts';
import type { DhcpNetwork } from './network.ts';
import { BOOTREPLY, BROADCAST_FLAG, type DhcpPacket } from './packet.ts';
import type { DhcpRequest } from './request.ts';
import type { DhcpPorts, HandlerContext, HandlerReply } from './handler/context.ts';
import { xidText } from './handler/context.ts';

const LIMITED_BROADCAST = '255.255.255.255';

/** A reply skeleton: xid, flags, giaddr and chaddr from the request (Table 3), type and server identifier. */
export function replyTo(req: DhcpRequest, type: number, network: DhcpNetwork): DhcpPacket {
  const options = new DhcpOptions();
  options.set(Option.messageType, Buffer.from([type]));
  // Option 54: clients address their REQUEST to it, and a PXE client without
  // it broadcasts its boot request to port 4011 instead of loading the file.
  options.set(Option.serverId, ipv4Bytes([network.serverAddress]));
  const p = req.packet;
  return {
    op: BOOTREPLY,
    htype: p.htype,
    hlen: p.hlen,
    hops: 0,
    xid: p.xid,
    secs: 0,
    flags: type === MessageType.nak && req.giaddr !== '0.0.0.0' ? p.flags | BROADCAST_FLAG : p.flags,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: p.giaddr,
    chaddr: p.chaddr,
    sname: '',
    file: '',
    options,
  };
}

/** Address configuration: mask, router, DNS, domain, host name, NTP. The node's own settings win over the network's. */
export function addNetworkSettings(reply: DhcpPacket, network: DhcpNetwork, node: NodeNetworkConfig | undefined): void {
  const o = reply.options;
  o.set(Option.subnetMask, uint32Bytes(maskOf(network.subnet.prefixLength)));
  const gateway = node?.gateway ?? network.gateway;
  if (gateway !== undefined) o.set(Option.router, ipv4Bytes([gateway]));
  const dns = node && node.dnsServers.length > 0 ? node.dnsServers : network.dnsServers;
  if (dns.length > 0) o.set(Option.dnsServers, ipv4Bytes(dns));
  const domain = node?.domain ?? network.domain;
  if (domain !== undefined) o.set(Option.domainName, textBytes(domain));
  if (node?.hostname !== undefined) o.set(Option.hostname, textBytes(node.hostname));
  const ntp = node && node.ntpServers.length > 0 ? node.ntpServers : network.ntpServers;
  if (ntp.length > 0) o.set(Option.ntpServers, ipv4Bytes(ntp));
  o.set(Option.broadcastAddress, ipv4Bytes([formatIpv4(network.subnet.broadcast)]));
}

/** Lease time and the renewal (T1 = 50 %) and rebinding (T2 = 87.5 %) times of RFC 2131 §4.4.5. */
export function addLeaseTimes(reply: DhcpPacket, seconds: number): void {
  reply.options.set(Option.leaseTime, uint32Bytes(seconds));
  reply.options.set(Option.renewalTime, uint32Bytes(Math.floor(seconds / 2)));
  reply.options.set(Option.rebindingTime, uint32Bytes(Math.floor((seconds * 7) / 8)));
}

/** Next server and boot file; option 60 back to UEFI HTTP clients. */
export function addBootAnswer(reply: DhcpPacket, network: DhcpNetwork, answer: BootAnswer): void {
  reply.siaddr = network.serverAddress;
  reply.file = answer.file;
  if (answer.vendorClass) reply.options.set(Option.vendorClass, textBytes(answer.vendorClass));
}

/**
 * PXE spec 2.1 §2.4.2 (ProxyDHCP offer): vendor class `PXEClient`, and option
 * 43 with sub-option 6 (PXE_DISCOVERY_CONTROL) = 8: "if a boot file name is
 * present, download it; do not prompt, show a menu or run boot server
 * discovery". Without 43 a PXE ROM treats the offer as not PXE-capable.
 */
export function addPxeVendorOptions(reply: DhcpPacket, req: DhcpRequest): void {
  reply.options.set(Option.vendorClass, textBytes('PXEClient'));
  reply.options.set(Option.vendorSpecific, subOptionBytes([[6, Buffer.from([8])]]));
  // PXE spec §2.2: the server echoes the client's UUID/GUID (option 97).
  const uuid = req.packet.options.get(Option.clientUuid);
  if (uuid !== undefined) reply.options.set(Option.clientUuid, uuid);
}

/** RFC 3046 §2.2: relay agent information goes back unchanged (the serializer puts it last). */
export function echoRelayInfo(reply: DhcpPacket, req: DhcpRequest): void {
  if (req.relay) reply.options.set(Option.relayAgentInfo, req.relay.raw);
}

/**
 * RFC 2131 §4.1, where a server reply goes:
 * - giaddr set: to the relay, server port.
 * - DHCPNAK: broadcast (the client's address is wrong).
 * - ciaddr set (renewing, INFORM): unicast to ciaddr.
 * - otherwise the RFC allows unicast to yiaddr when the broadcast bit is
 *   clear, but that needs an ARP entry the client cannot answer yet, and
 *   Node's dgram cannot send to a MAC: berth broadcasts instead, which every
 *   client accepts.
 */
export function destination(req: DhcpRequest, type: number, ports: DhcpPorts): { address: string; port: number } {
  if (req.giaddr !== '0.0.0.0') return { address: req.giaddr, port: ports.server };
  if (type === MessageType.nak) return { address: LIMITED_BROADCAST, port: ports.client };
  if (req.ciaddr !== '0.0.0.0') return { address: req.ciaddr, port: ports.client };
  return { address: LIMITED_BROADCAST, port: ports.client };
}

export function serializeSettings(req: DhcpRequest): HandlerReply['serialize'] {
  const s: HandlerReply['serialize'] = { allowOverload: req.parameterList.includes(Option.overload) };
  if (req.maxMessageSize !== undefined) s.maxMessageSize = req.maxMessageSize;
  return s;
}

/** The event of a received or sent message, with the details every DHCP event carries. */
export function emitEvent(ctx: HandlerContext, req: DhcpRequest, type: number | string, address: string | undefined, extra: Record<string, string | number | boolean> = {}): void {
  const detail: Record<string, string | number | boolean> = { xid: xidText(req.xid), network: ctx.network.name, ...extra };
  if (address !== undefined) detail['address'] = address;
  if (req.kind !== undefined) detail['kind'] = req.kind;
  if (req.arch.length > 0) detail['arch'] = req.arch[0]!;
  const event: Parameters<HandlerContext['events']['emit']>[0] = { source: 'dhcp', step: typeof type === 'number' ? messageTypeName(type) : type, mac: req.mac, detail };
  if (ctx.node) event.node = ctx.node.node;
  if (req.ciaddr !== '0.0.0.0') event.ip = req.ciaddr;
  else if (address !== undefined) event.ip = address;
  ctx.events.emit(event);
}
