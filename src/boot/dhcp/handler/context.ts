/**
 * What a handler decides with. Handlers are pure functions of (request,
 * context): they read the backend and the lease table, change the lease table
 * in memory, emit events, and return the reply to send (or undefined, having
 * counted why). Sockets and the store's commit are the server's business.
 */
import type { BootBackend, NodeNetworkConfig } from '../../boot-target.ts';
import type { EventSink } from '../../../events/boot-event.ts';
import type { Logger } from '../../../util/logger.ts';
import type { AddressPool } from '../address-pool.ts';
import type { LeaseTable } from '../leases.ts';
import type { DhcpNetwork } from '../network.ts';
import type { DhcpPacket, SerializeOptions } from '../packet.ts';
import type { DhcpRequest } from '../request.ts';

/**
 * BootBackend plus one optional question the pool needs. Without it the pool
 * can only avoid node addresses it has seen leased; with it, it never offers
 * an address the inventory assigns to any node.
 */
export interface DhcpBackend extends BootBackend {
  /** Name of the node with this fixed address (net.<if>.ipv4_address) on any interface. */
  nodeByAddress?(address: string): string | undefined;
}

export interface DhcpPorts {
  /** Where servers listen and relays are answered; 67. */
  server: number;
  /** Where clients listen; 68. */
  client: number;
  /** PXE ProxyDHCP boot server port; 4011. */
  proxy: number;
}

export interface DhcpTimings {
  /** How long an offered pool address stays reserved for the client. */
  offerSeconds: number;
  /** How long a declined address stays out of the pool. */
  declineSeconds: number;
}

export interface HandlerContext {
  network: DhcpNetwork;
  /** The node owning the client's MAC, looked up once by the dispatcher. */
  node: NodeNetworkConfig | undefined;
  backend: DhcpBackend;
  leases: LeaseTable;
  pool: AddressPool | undefined;
  events: EventSink;
  log: Logger;
  httpPort: number;
  ports: DhcpPorts;
  timings: DhcpTimings;
  /** Epoch milliseconds. */
  now: number;
}

export interface HandlerReply {
  packet: DhcpPacket;
  to: { address: string; port: number };
  /** The reply promises a lease: send only once the lease table is persisted. */
  persist: boolean;
  serialize: SerializeOptions;
}

/** Counts a packet that gets no reply, and says why at debug level. */
export function drop(ctx: Pick<HandlerContext, 'events' | 'log'>, reason: string, request?: DhcpRequest): undefined {
  ctx.events.countDropped('dhcp', reason);
  if (ctx.log.isLevelEnabled('debug')) ctx.log.debug('dhcp packet dropped', { reason, mac: request?.mac, xid: request && xidText(request.xid) });
  return undefined;
}

export function xidText(xid: number): string {
  return `0x${xid.toString(16).padStart(8, '0')}`;
}
