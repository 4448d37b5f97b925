/**
 * Full mode: berth is the DHCP server of the network (RFC 2131). Known nodes
 * get their inventory address; unknown machines get a pool address, if the
 * network has a pool, so they can PXE-boot into discovery.
 *
 * One address per machine through PXE ROM → iPXE → OS: leases are keyed on
 * the MAC (leases.ts), and a machine with a live lease or offer gets that
 * same address again whatever client identifier it sends.
 *
 * A full pool takes back the oldest offer nobody REQUESTed (leases.ts
 * `reclaimOffer`): for a node at once (any offer to a machine that is not a
 * node), for an unknown machine only once the offer is RECLAIM_AFTER_MS old,
 * long enough for a real client to have sent its REQUEST. So a flood of
 * DISCOVERs that never REQUEST cannot keep the pool from anyone for longer
 * than that, and never from nodes.
 */
import type { NodeNetworkConfig } from '../../boot-target.ts';
import { bootAnswer } from '../boot-file.ts';
import { inSubnet, parseIpv4 } from '../../../util/ipv4.ts';
import { MessageType, Option, textBytes } from '../options.ts';
import type { DhcpPacket } from '../packet.ts';
import { addBootAnswer, addLeaseTimes, addNetworkSettings, destination, echoRelayInfo, emitEvent, replyTo, serializeSettings } from '../reply.ts';
import type { DhcpRequest } from '../request.ts';
import { drop, type HandlerContext, type HandlerReply } from './context.ts';
import { discoveredClient } from './discovered.ts';

export function handleFull(req: DhcpRequest, ctx: HandlerContext): HandlerReply | undefined {
  if (req.port !== 'server') return drop(ctx, 'full-network-on-proxy-port', req);
  switch (req.messageType) {
    case MessageType.discover:
      return discover(req, ctx);
    case MessageType.request:
      return request(req, ctx);
    case MessageType.release:
      return release(req, ctx);
    case MessageType.decline:
      return decline(req, ctx);
    case MessageType.inform:
      return inform(req, ctx);
    default:
      return drop(ctx, 'unhandled-message-type', req);
  }
}

type Choice = { address: string; fixed: boolean } | { dropped: string };

/** A real client REQUESTs within a few hundred milliseconds of the OFFER; PXE ROMs retransmit after 4 s. */
const RECLAIM_AFTER_MS = 5000;

/** The address this client should have on this network, reserving nothing. */
function addressFor(req: DhcpRequest, ctx: HandlerContext): Choice {
  const { node, network, leases, now } = ctx;
  if (node?.address) {
    const ip = parseIpv4(node.address.ip);
    if (ip === undefined || !inSubnet(network.subnet, ip)) {
      ctx.log.warn('node address is outside the DHCP network it asks on; not answering', {
        node: node.node, mac: req.mac, address: node.address.ip, network: network.name,
      });
      return { dropped: 'node-address-outside-subnet' };
    }
    return { address: node.address.ip, fixed: true };
  }
  if (!ctx.pool) return { dropped: node ? 'node-without-address' : 'unknown-client-no-pool' };
  const offer = leases.offer(req.mac, now);
  const lease = leases.lease(req.mac);
  const previous = lease && lease.network === network.name ? lease.address : undefined;
  const allocate = () => ctx.pool!.allocate(req.mac, now, [offer?.address, previous, req.requestedAddress], (a) => ownedByNode(ctx, a, node));
  let address = allocate();
  if (address === undefined && leases.reclaimOffer(network.name, now, (o) => o.mac !== req.mac && o.node === undefined && (node !== undefined || now - o.offeredAt >= RECLAIM_AFTER_MS))) {
    address = allocate();
  }
  if (address === undefined) {
    ctx.log.warn('DHCP pool exhausted', { network: network.name, mac: req.mac });
    return { dropped: 'pool-exhausted' };
  }
  return { address, fixed: false };
}

/** Does the inventory give this address to a node other than `self`? */
function ownedByNode(ctx: HandlerContext, address: string, self: NodeNetworkConfig | undefined): boolean {
  const owner = ctx.backend.nodeByAddress?.(address);
  return owner !== undefined && owner !== self?.node;
}

function discover(req: DhcpRequest, ctx: HandlerContext): HandlerReply | undefined {
  if (!ctx.node) ctx.node = ctx.backend.discovered(discoveredClient(req, ctx.network));
  emitEvent(ctx, req, MessageType.discover, req.requestedAddress);
  const choice = addressFor(req, ctx);
  if ('dropped' in choice) return drop(ctx, choice.dropped, req);
  if (!choice.fixed) {
    ctx.leases.recordOffer({
      mac: req.mac, address: choice.address, network: ctx.network.name, offeredAt: ctx.now, expiresAt: ctx.now + ctx.timings.offerSeconds * 1000,
      ...(ctx.node && { node: ctx.node.node }),
    });
  }
  return answer(req, ctx, MessageType.offer, choice.address, false);
}

/** RFC 2131 §4.3.2: the client's state follows from which of server id, requested address and ciaddr it sent. */
function request(req: DhcpRequest, ctx: HandlerContext): HandlerReply | undefined {
  const { network } = ctx;
  emitEvent(ctx, req, MessageType.request, req.requestedAddress ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined));

  if (req.serverId !== undefined) {
    // SELECTING: the broadcast also tells the servers it did not choose.
    if (req.serverId !== network.serverAddress) {
      ctx.leases.dropOffer(req.mac);
      return drop(ctx, 'selected-other-server', req);
    }
    const wanted = req.requestedAddress ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined);
    if (wanted === undefined) return drop(ctx, 'request-without-address', req);
    const choice = addressFor(req, ctx);
    if ('dropped' in choice) return nak(req, ctx, `no address for this client (${choice.dropped})`);
    if (choice.address !== wanted) return nak(req, ctx, `${wanted} is not the address offered`);
    return ack(req, ctx, wanted);
  }

  if (req.requestedAddress !== undefined && req.ciaddr === '0.0.0.0') {
    // INIT-REBOOT: the client remembers an address and checks it.
    const wanted = req.requestedAddress;
    if (!inSubnet(network.subnet, parseIpv4(wanted)!)) return nak(req, ctx, `${wanted} is not on network ${network.name}`);
    if (!known(req, ctx)) return drop(ctx, 'init-reboot-unknown-client', req); // §4.3.2: "MUST remain silent"
    return confirm(req, ctx, wanted);
  }

  if (req.ciaddr !== '0.0.0.0' && req.requestedAddress === undefined) {
    // RENEWING (unicast) or REBINDING (broadcast): same answer from berth.
    if (!known(req, ctx)) return drop(ctx, 'renewing-unknown-client', req);
    return confirm(req, ctx, req.ciaddr);
  }
  return drop(ctx, 'request-state-unknown', req);
}

/** Does berth have a record of this client: a fixed address or a lease on this network? */
function known(req: DhcpRequest, ctx: HandlerContext): boolean {
  if (ctx.node?.address) return true;
  const lease = ctx.leases.lease(req.mac);
  return lease !== undefined && lease.network === ctx.network.name;
}

/** ACK the address the client holds if it is still the right one, else NAK so it starts over. */
function confirm(req: DhcpRequest, ctx: HandlerContext, wanted: string): HandlerReply | undefined {
  if (ctx.node?.address) {
    const choice = addressFor(req, ctx);
    if ('dropped' in choice) return drop(ctx, choice.dropped, req);
    return choice.address === wanted ? ack(req, ctx, wanted) : nak(req, ctx, `${wanted} is not this node's address`);
  }
  const lease = ctx.leases.lease(req.mac)!;
  const ip = parseIpv4(wanted)!;
  if (lease.address !== wanted) return nak(req, ctx, `${wanted} is not the address leased to this client`);
  if (!ctx.pool?.usable(ip, req.mac, ctx.now, false, (a) => ownedByNode(ctx, a, ctx.node))) {
    return nak(req, ctx, `${wanted} is no longer available`);
  }
  return ack(req, ctx, wanted);
}

function ack(req: DhcpRequest, ctx: HandlerContext, address: string): HandlerReply {
  const { network, node, now } = ctx;
  const lease: Parameters<typeof ctx.leases.bind>[0] = {
    mac: req.mac,
    address,
    network: network.name,
    expiresAt: now + network.leaseSeconds * 1000,
    state: 'bound',
  };
  if (node) lease.node = node.node;
  if (req.clientId) lease.clientId = req.clientId.toString('hex');
  ctx.leases.bind(lease);
  return answer(req, ctx, MessageType.ack, address, true);
}

function answer(req: DhcpRequest, ctx: HandlerContext, type: number, address: string, persist: boolean): HandlerReply {
  const { network, node } = ctx;
  const reply = replyTo(req, type, network);
  reply.yiaddr = address;
  reply.ciaddr = req.ciaddr;
  addLeaseTimes(reply, network.leaseSeconds);
  addNetworkSettings(reply, network, node);
  addBoot(reply, req, ctx);
  echoRelayInfo(reply, req);
  emitEvent(ctx, req, type, address);
  return { packet: reply, to: destination(req, type, ctx.ports), persist, serialize: serializeSettings(req) };
}

/** Boot file for network boot clients; none for nodes marked not bootable, and none for an OS's DHCP client. */
function addBoot(reply: DhcpPacket, req: DhcpRequest, ctx: HandlerContext): void {
  if (req.kind === undefined || (ctx.node && !ctx.node.bootable)) return;
  addBootAnswer(reply, ctx.network, bootAnswer(req.kind, {
    serverAddress: ctx.network.serverAddress, httpPort: ctx.httpPort, uefiLoader: ctx.network.uefiLoader, mac: req.mac,
  }));
}

function nak(req: DhcpRequest, ctx: HandlerContext, why: string): HandlerReply {
  const reply = replyTo(req, MessageType.nak, ctx.network);
  reply.options.set(Option.message, textBytes(why));
  echoRelayInfo(reply, req);
  emitEvent(ctx, req, MessageType.nak, req.requestedAddress ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined), { reason: why });
  return { packet: reply, to: destination(req, MessageType.nak, ctx.ports), persist: false, serialize: serializeSettings(req) };
}

function release(req: DhcpRequest, ctx: HandlerContext): undefined {
  if (req.serverId !== undefined && req.serverId !== ctx.network.serverAddress) return drop(ctx, 'release-for-other-server', req);
  const lease = ctx.leases.lease(req.mac);
  if (!lease || lease.address !== req.ciaddr || lease.network !== ctx.network.name) return drop(ctx, 'release-unknown-lease', req);
  ctx.leases.release(req.mac, ctx.now);
  emitEvent(ctx, req, MessageType.release, req.ciaddr);
  return undefined;
}

/** RFC 2131 §4.3.3: the client found the address in use (ARP); keep it out of the pool for a while. */
function decline(req: DhcpRequest, ctx: HandlerContext): undefined {
  if (req.serverId !== undefined && req.serverId !== ctx.network.serverAddress) return drop(ctx, 'decline-for-other-server', req);
  const address = req.requestedAddress;
  if (address === undefined || !inSubnet(ctx.network.subnet, parseIpv4(address)!)) return drop(ctx, 'decline-without-address', req);
  ctx.leases.decline({ address, mac: req.mac, network: ctx.network.name, until: ctx.now + ctx.timings.declineSeconds * 1000 });
  ctx.log.warn('client declined its address: another machine is using it', {
    mac: req.mac, node: ctx.node?.node, address, network: ctx.network.name, fixed: ctx.node?.address?.ip === address,
  });
  emitEvent(ctx, req, MessageType.decline, address);
  return undefined;
}

/** RFC 2131 §4.3.5: configuration for a client that already has an address; no lease, no yiaddr. */
function inform(req: DhcpRequest, ctx: HandlerContext): HandlerReply | undefined {
  emitEvent(ctx, req, MessageType.inform, req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined);
  if (req.ciaddr === '0.0.0.0') return drop(ctx, 'inform-without-ciaddr', req);
  const reply = replyTo(req, MessageType.ack, ctx.network);
  reply.ciaddr = req.ciaddr;
  addNetworkSettings(reply, ctx.network, ctx.node);
  addBoot(reply, req, ctx);
  echoRelayInfo(reply, req);
  emitEvent(ctx, req, MessageType.ack, req.ciaddr);
  return { packet: reply, to: destination(req, MessageType.ack, ctx.ports), persist: false, serialize: serializeSettings(req) };
}
