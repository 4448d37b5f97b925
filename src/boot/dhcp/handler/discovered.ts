import type { DiscoveredClient } from '../../boot-target.ts';
import type { DhcpNetwork } from '../network.ts';
import type { DhcpRequest } from '../request.ts';

/** What berth learns about an unknown machine from its DHCP request, for BootBackend.discovered. */
export function discoveredClient(req: DhcpRequest, network: DhcpNetwork): DiscoveredClient {
  const client: DiscoveredClient = { mac: req.mac, network: network.name };
  if (req.arch.length > 0) client.arch = req.arch[0]!;
  if (req.kind !== undefined) client.kind = req.kind;
  if (req.uuid !== undefined) client.uuid = req.uuid;
  if (req.vendorClass !== undefined) client.vendorClass = req.vendorClass;
  if (req.userClass.length > 0) client.userClass = req.userClass.join(',');
  if (req.giaddr !== '0.0.0.0') {
    const relay: NonNullable<DiscoveredClient['relay']> = { giaddr: req.giaddr };
    if (req.relay?.circuitId !== undefined) relay.circuitId = req.relay.circuitId;
    if (req.relay?.remoteId !== undefined) relay.remoteId = req.relay.remoteId;
    client.relay = relay;
  }
  return client;
}
