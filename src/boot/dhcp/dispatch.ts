/**
 * Bytes in, bytes out: parse, pick the network, hand the request to that
 * network's mode handler, serialize the reply. No sockets and no waiting, so
 * the socket server and the fuzzer run exactly the same code.
 *
 * Before a handler sees it, a packet must belong to a network it may come
 * from (network.ts: relays, off-link sources), and a machine that is not a
 * node and holds no lease or offer must get past the new-client limit
 * (new-client-limit.ts); nodes are never limited.
 *
 * Every packet that gets no reply is counted under a reason
 * (`events.countDropped('dhcp', reason)`), except DHCPRELEASE and
 * DHCPDECLINE, which never get one and are events instead.
 */
import type { EventSink } from '../../events/boot-event.ts';
import type { Logger } from '../../util/logger.ts';
import type { AddressPool } from './address-pool.ts';
import { drop, type DhcpBackend, type DhcpPorts, type DhcpTimings, type HandlerContext } from './handler/context.ts';
import { handleFull } from './handler/full.ts';
import { handleProxy } from './handler/proxy.ts';
import type { LeaseTable } from './leases.ts';
import { selectNetwork, type DhcpNetwork } from './network.ts';
import type { NewClientLimit } from './new-client-limit.ts';
import { parsePacket, serializePacket } from './packet.ts';
import { DhcpParseError } from './parse-error.ts';
import { readRequest, type Port, type Source } from './request.ts';

export interface DispatchContext {
  networks: readonly DhcpNetwork[];
  backend: DhcpBackend;
  leases: LeaseTable;
  pools: ReadonlyMap<string, AddressPool>;
  /** Rate of machines berth has never seen (not nodes, no lease or offer). */
  newClients: NewClientLimit;
  events: EventSink;
  log: Logger;
  httpPort: number;
  ports: DhcpPorts;
  timings: DhcpTimings;
  now: () => number;
}

export interface Outgoing {
  bytes: Buffer;
  to: { address: string; port: number };
  /** Send only after `leases.persisted()`. */
  persist: boolean;
  network: string;
}

export function dispatch(buf: Buffer, port: Port, source: Source, ctx: DispatchContext, arrivedOn?: string): Outgoing | undefined {
  let req;
  try {
    req = readRequest(parsePacket(buf), port, source, arrivedOn);
  } catch (e) {
    if (e instanceof DhcpParseError) return drop(ctx, e.reason);
    throw e;
  }
  const node = ctx.backend.nodeByMac(req.mac);
  const hints = { giaddr: req.giaddr, ciaddr: req.ciaddr, source: source.address, ...(arrivedOn !== undefined && { arrivedOn }), ...(node?.address && { nodeAddress: node.address.ip }) };
  const choice = selectNetwork(ctx.networks, hints);
  if ('dropped' in choice) return drop(ctx, choice.dropped, req);
  const network = choice.network;
  const now = ctx.now();
  if (!node && !ctx.leases.lease(req.mac) && !ctx.leases.offer(req.mac, now) && !ctx.newClients.admit(req.mac, now)) {
    return drop(ctx, 'new-client-rate-limited', req);
  }

  const handlerContext: HandlerContext = {
    network,
    node,
    backend: ctx.backend,
    leases: ctx.leases,
    pool: ctx.pools.get(network.name),
    events: ctx.events,
    log: ctx.log,
    httpPort: ctx.httpPort,
    ports: ctx.ports,
    timings: ctx.timings,
    now,
  };
  const reply = network.mode === 'full' ? handleFull(req, handlerContext) : handleProxy(req, handlerContext);
  if (!reply) return undefined;
  const { bytes, omitted } = serializePacket(reply.packet, reply.serialize);
  if (omitted.length > 0) ctx.log.debug('dhcp reply options left out: too big for the client', { mac: req.mac, omitted: omitted.join(',') });
  return { bytes, to: reply.to, persist: reply.persist, network: network.name };
}
