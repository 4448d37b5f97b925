/**
 * Which read requests may take a transfer slot: the server's one place for
 * its limits on concurrent transfers. Pure: client addresses in, a verdict
 * out; the server says what to answer.
 *
 * A transfer holds its slot until the client has acknowledged the file or
 * the server has given up on it, so a sender that never acknowledges holds
 * slots for free. Without a limit per address, one host sending ~170
 * requests a second (1000 slots, each held 6 s) left every PXE client
 * "server busy". Hence three rules, checked in this order:
 *
 *   1. one transfer per client TID (address and port, RFC 1350 §4): a
 *      repeated request is the client resending before our first reply
 *      arrived, and is ignored;
 *   2. at most `maxTransfersPerAddress` transfers per address: a PXE ROM or
 *      boot loader fetches one file at a time (a UEFI tsize probe and the
 *      real read may briefly overlap), so a few is plenty;
 *   3. at most `maxTransfers` in all, of which the last
 *      `reservedForNewAddresses` go only to addresses with nothing in flight:
 *      when many hosts together fill the server, a machine that has just
 *      powered on still gets its one transfer.
 *
 * The address is the request's source address as the socket reports it; an
 * IPv6 sender with a whole prefix to spend is not grouped by prefix.
 */
import type { Client } from './request-handler.ts';

export interface AdmissionLimits {
  maxTransfers: number;
  maxTransfersPerAddress: number;
  /** Slots, out of `maxTransfers`, that only an address with no transfer in flight may take. */
  reservedForNewAddresses: number;
}

/**
 * `admitted`: the request holds a slot until `release`. Otherwise a refusal,
 * with the reason counted as `countDropped('tftp', reason)`.
 */
export type AdmissionVerdict = 'admitted' | 'duplicate-request' | 'address-busy' | 'busy';

/** The share of the slots kept for new addresses when the server does not say: a tenth, at least one. */
export function defaultReserve(maxTransfers: number): number {
  return Math.max(1, Math.ceil(maxTransfers / 10));
}

export class TransferAdmission {
  private readonly limits: AdmissionLimits;
  /** "address:port" of every slot held. */
  private readonly clients = new Set<string>();
  private readonly perAddress = new Map<string, number>();

  constructor(limits: AdmissionLimits) {
    this.limits = limits;
  }

  /** Slots held. */
  get size(): number {
    return this.clients.size;
  }

  /** Slots held by `address`. */
  heldBy(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  admit(client: Client): AdmissionVerdict {
    const key = tid(client);
    if (this.clients.has(key)) return 'duplicate-request';
    const held = this.heldBy(client.address);
    const { maxTransfers, maxTransfersPerAddress, reservedForNewAddresses } = this.limits;
    if (held >= maxTransfersPerAddress) return 'address-busy';
    if (this.clients.size >= maxTransfers) return 'busy';
    if (held > 0 && this.clients.size >= maxTransfers - reservedForNewAddresses) return 'busy';
    this.clients.add(key);
    this.perAddress.set(client.address, held + 1);
    return 'admitted';
  }

  /** Gives back the slot `admit` gave `client`; a second call does nothing. */
  release(client: Client): void {
    if (!this.clients.delete(tid(client))) return;
    const held = this.heldBy(client.address);
    if (held <= 1) this.perAddress.delete(client.address);
    else this.perAddress.set(client.address, held - 1);
  }
}

function tid(client: Client): string {
  return `${client.address}:${client.port}`;
}
