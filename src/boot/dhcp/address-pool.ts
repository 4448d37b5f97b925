/**
 * Picks a dynamic address for a machine without a fixed one. The pool exists
 * so unknown machines can PXE-boot into discovery; it must never hand out an
 * address the inventory gives to a node, nor berth's own or the gateway's.
 */
import { formatIpv4, isReservedInSubnet, parseIpv4 } from '../../util/ipv4.ts';
import type { LeaseTable } from './leases.ts';
import type { DhcpNetwork } from './network.ts';

export class AddressPool {
  readonly #network: DhcpNetwork;
  readonly #leases: LeaseTable;
  /** Next address to try: rotating spreads new clients over the range instead of rescanning its busy start. */
  #cursor: number;

  constructor(network: DhcpNetwork, leases: LeaseTable) {
    this.#network = network;
    this.#leases = leases;
    this.#cursor = network.pool?.start ?? 0;
  }

  /**
   * An address for `mac`: the first of `preferred` (its previous address, the
   * one it asks for) that is usable, else a never-used one, else one whose
   * lease lapsed. `ownedByNode` says whether the inventory assigns an address
   * to some node. undefined = pool exhausted (or no pool).
   */
  allocate(mac: string, now: number, preferred: ReadonlyArray<string | undefined>, ownedByNode: (address: string) => boolean): string | undefined {
    const pool = this.#network.pool;
    if (!pool) return undefined;
    for (const text of preferred) {
      const ip = text === undefined ? undefined : parseIpv4(text);
      if (ip !== undefined && this.usable(ip, mac, now, false, ownedByNode)) return formatIpv4(ip);
    }
    const size = pool.end - pool.start + 1;
    for (const strict of [true, false]) {
      for (let i = 0; i < size; i++) {
        const ip = this.#cursor;
        this.#cursor = ip >= pool.end ? pool.start : ip + 1;
        if (this.usable(ip, mac, now, strict, ownedByNode)) return formatIpv4(ip);
      }
    }
    return undefined;
  }

  /** In the pool range, not special, not a node's, and free for this MAC. */
  usable(ip: number, mac: string, now: number, strict: boolean, ownedByNode: (address: string) => boolean): boolean {
    const n = this.#network;
    if (!n.pool || ip < n.pool.start || ip > n.pool.end) return false;
    if (isReservedInSubnet(n.subnet, ip)) return false;
    if (ip === parseIpv4(n.serverAddress) || (n.gateway !== undefined && ip === parseIpv4(n.gateway))) return false;
    if (!this.#leases.isAvailable(ip, mac, now, strict)) return false;
    return !ownedByNode(formatIpv4(ip));
  }
}
