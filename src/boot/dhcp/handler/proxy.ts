/**
 * Proxy mode: PXE ProxyDHCP (PXE spec 2.1 §2.4). Another server owns the
 * addresses; berth adds only the boot information, and only for clients that
 * identify as network boot clients (vendor class PXEClient or HTTPClient,
 * or iPXE). Everyone else gets nothing from berth.
 *
 * - DHCPDISCOVER on port 67 → a boot-only DHCPOFFER (no yiaddr, no lease).
 * - DHCPREQUEST on port 4011 (the client asks the proxy directly, §2.2.5)
 *   → DHCPACK with the same boot information, unicast back to the client.
 *
 * DHCPREQUESTs on port 67 are for the address server and are not answered.
 */
import { bootAnswer } from '../boot-file.ts';
import { MessageType } from '../options.ts';
import { addBootAnswer, addPxeVendorOptions, destination, echoRelayInfo, emitEvent, replyTo, serializeSettings } from '../reply.ts';
import type { DhcpRequest } from '../request.ts';
import { drop, type HandlerContext, type HandlerReply } from './context.ts';
import { discoveredClient } from './discovered.ts';

export function handleProxy(req: DhcpRequest, ctx: HandlerContext): HandlerReply | undefined {
  const type = req.messageType;
  if (req.port === 'server' && type !== MessageType.discover) return drop(ctx, 'proxy-not-a-discover', req);
  if (req.port === 'proxy' && type !== MessageType.request && type !== MessageType.inform) return drop(ctx, 'proxy-port-not-a-request', req);
  if (!req.netboot) return drop(ctx, 'not-a-netboot-client', req);
  if (req.kind === undefined) return drop(ctx, 'unsupported-client-arch', req);
  if (!ctx.node && type === MessageType.discover) ctx.node = ctx.backend.discovered(discoveredClient(req, ctx.network));
  emitEvent(ctx, req, type, req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined, { proxy: true });
  if (ctx.node && !ctx.node.bootable) return drop(ctx, 'not-bootable', req);

  const replyType = type === MessageType.discover ? MessageType.offer : MessageType.ack;
  const reply = replyTo(req, replyType, ctx.network);
  reply.ciaddr = req.ciaddr;
  const boot = bootAnswer(req.kind, {
    serverAddress: ctx.network.serverAddress, httpPort: ctx.httpPort, uefiLoader: ctx.network.uefiLoader, mac: req.mac,
  });
  addBootAnswer(reply, ctx.network, boot);
  // Some PXE ROMs take the TFTP server from sname rather than siaddr.
  reply.sname = ctx.network.serverAddress;
  if (boot.vendorClass === undefined) addPxeVendorOptions(reply, req);
  echoRelayInfo(reply, req);
  emitEvent(ctx, req, replyType, undefined, { proxy: true, file: boot.file });

  // Port 4011: answer where the request came from (PXE spec §2.2.5), to ciaddr when the client gave one.
  const to = req.port === 'proxy'
    ? { address: req.ciaddr !== '0.0.0.0' ? req.ciaddr : req.source.address, port: req.source.port }
    : destination(req, replyType, ctx.ports);
  return { packet: reply, to, persist: false, serialize: serializeSettings(req) };
}
