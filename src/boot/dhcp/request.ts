/**
 * A client message decoded once into the fields the handlers decide on.
 * Options the handlers depend on (53, 50, 54, 57, 61) must be well formed or
 * the packet is dropped; descriptive ones (77, 93, 94, 97, 175) that are
 * malformed are treated as absent, because real PXE ROMs get them wrong and
 * still deserve a boot (smee makes the same call for option 97).
 */
import type { ClientKind } from '../boot-target.ts';
import { clientKind, isNetbootClient } from './client-kind.ts';
import * as opt from './options.ts';
import { BOOTREQUEST, BROADCAST_FLAG, clientMac, type DhcpPacket } from './packet.ts';
import { DhcpParseError } from './parse-error.ts';

/** Which socket a packet arrived on. */
export type Port = 'server' | 'proxy';

export interface Source {
  address: string;
  port: number;
}

export interface DhcpRequest {
  packet: DhcpPacket;
  messageType: number;
  mac: string;
  xid: number;
  /** '0.0.0.0' when unset, as on the wire. */
  ciaddr: string;
  giaddr: string;
  broadcast: boolean;
  requestedAddress?: string;
  serverId?: string;
  clientId?: Buffer;
  vendorClass?: string;
  userClass: string[];
  arch: number[];
  uuid?: string;
  relay?: opt.RelayAgentInfo;
  parameterList: number[];
  maxMessageSize?: number;
  kind?: ClientKind;
  netboot: boolean;
  port: Port;
  source: Source;
  /** Network config name of a server socket bound to that network's address (unicast arrival). */
  arrivedOn?: string;
}

export function readRequest(packet: DhcpPacket, port: Port, source: Source, arrivedOn?: string): DhcpRequest {
  if (packet.op !== BOOTREQUEST) throw new DhcpParseError('not-a-request', `op ${packet.op} is not BOOTREQUEST`, 0);
  const mac = clientMac(packet);
  if (mac === undefined) throw new DhcpParseError('not-ethernet', `hardware type ${packet.htype} length ${packet.hlen} is not Ethernet`, 1);
  const o = packet.options;
  const messageType = opt.messageType(o);
  if (messageType === undefined) throw new DhcpParseError('no-message-type', 'no option 53: a BOOTP request, not DHCP', 240);

  const userClass = lenient(() => opt.userClass(o)) ?? [];
  const arch = lenient(() => opt.clientArch(o)) ?? [];
  const vendorClass = opt.vendorClass(o);
  // Presence alone identifies iPXE; its content does not matter here.
  const ipxeOptions = o.has(opt.Option.ipxe);
  const signals = { arch, vendorClass, userClass, ipxeOptions };

  const request: DhcpRequest = {
    packet,
    messageType,
    mac,
    xid: packet.xid,
    ciaddr: packet.ciaddr,
    giaddr: packet.giaddr,
    broadcast: (packet.flags & BROADCAST_FLAG) !== 0,
    userClass,
    arch,
    parameterList: opt.parameterList(o),
    netboot: isNetbootClient(signals),
    port,
    source,
  };
  const set = <K extends keyof DhcpRequest>(key: K, value: DhcpRequest[K] | undefined) => {
    if (value !== undefined) request[key] = value;
  };
  set('requestedAddress', opt.requestedAddress(o));
  set('serverId', opt.serverId(o));
  set('clientId', opt.clientId(o));
  set('maxMessageSize', opt.maxMessageSize(o));
  set('vendorClass', vendorClass);
  set('uuid', lenient(() => opt.clientUuid(o)));
  set('relay', opt.relayAgentInfo(o));
  set('kind', clientKind(signals));
  set('arrivedOn', arrivedOn);
  return request;
}

function lenient<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof DhcpParseError) return undefined;
    throw e;
  }
}
