/**
 * What the boot services need to know about a machine, behind one narrow
 * interface: protocol code (DHCP, TFTP, HTTP) never touches the inventory or
 * the store directly, so it can be unit-tested and fuzzed with a small fake.
 */

/** The firmware or loader asking, from DHCP options 93, 60 and 77/175. */
export type ClientKind = 'bios-pxe' | 'uefi-pxe' | 'uefi-http' | 'ipxe';

export interface NodeNetworkConfig {
  /** Node name in the inventory. */
  node: string;
  /** Inventory interface name: the `mgmt` of `net.mgmt.hwaddr`. */
  interfaceName: string;
  mac: string;
  /** From net.<if>.ipv4_address; absent = the node has no fixed address on this interface. */
  address?: { ip: string; prefixLength: number };
  gateway?: string;
  hostname?: string;
  dnsServers: string[];
  domain?: string;
  ntpServers: string[];
  /** net.<if>.bootable is not 'false'. */
  bootable: boolean;
}

export interface DiscoveredClient {
  mac: string;
  /** DHCP option 93 value(s). */
  arch?: number;
  kind?: ClientKind;
  /** SMBIOS UUID from option 97, lowercase canonical form. */
  uuid?: string;
  vendorClass?: string;
  userClass?: string;
  /** Relay agent address and option 82 sub-options (circuit id, remote id) as hex, when relayed. */
  relay?: { giaddr: string; circuitId?: string; remoteId?: string };
  /** Network (config name) it was seen on. */
  network: string;
}

export interface BootBackend {
  /** The node that owns this MAC on any interface, with that interface's network settings. */
  nodeByMac(mac: string): NodeNetworkConfig | undefined;
  /** Name of the node with this SMBIOS UUID (id.uuid), for assignment by UUID. */
  nodeByUuid(uuid: string): string | undefined;
  /** Records (or refreshes) a machine berth does not know. May assign it, by policy; returns the node it now is, if any. */
  discovered(client: DiscoveredClient): NodeNetworkConfig | undefined;
}
