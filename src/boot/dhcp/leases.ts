/**
 * Who holds which address, in memory for the handlers (indexed by MAC and by
 * address) and in the store for restarts.
 *
 * One lease per MAC (chaddr), never per client identifier: the PXE ROM, iPXE
 * and the installed OS send different option 61 values or none, and keying on
 * it gives one machine three addresses (warewulf#802). The client id is kept
 * for information only.
 *
 * Store kinds:
 * - `dhcp-lease`, key = MAC: { address, network, expires, node?, state, clientId? }
 * - `dhcp-declined`, key = address: { mac, network, until } — an address a
 *   client reported in use by someone else (DHCPDECLINE, RFC 2131 §4.3.3),
 *   kept out of the pool until `until`.
 *
 * Offers live in memory only: an offer that is lost with a restart costs the
 * client one retransmission. When a pool is full, the oldest offer nobody
 * REQUESTed can be taken back (`reclaimOffer`): a flood of DISCOVERs that
 * never REQUEST must not keep the pool from machines that finish.
 *
 * Durability: a DHCPACK may only leave after its lease is in the store, or a
 * crash could hand the same address to two machines. Committing each ACK on
 * its own would cap the server at the store's commit rate, so changes are
 * collected for `commitWindowMs` and written in one transaction (group
 * commit); every reply waiting on them is released together.
 */
import type { JsonValue, Store } from '../../store/store.ts';
import { formatIpv4, parseIpv4 } from '../../util/ipv4.ts';

export type LeaseState = 'bound' | 'released';

export interface Lease {
  mac: string;
  address: string;
  network: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  node?: string;
  state: LeaseState;
  /** Option 61 as hex, as last seen. */
  clientId?: string;
}

export interface Offer {
  mac: string;
  address: string;
  network: string;
  offeredAt: number;
  expiresAt: number;
  /** Set when the offer went to an inventory node (without a fixed address). */
  node?: string;
}

export interface DeclinedAddress {
  address: string;
  mac: string;
  network: string;
  until: number;
}

export const LEASE_KIND = 'dhcp-lease';
export const DECLINED_KIND = 'dhcp-declined';

type StoredLease = {
  address: string;
  network: string;
  expires: string;
  node?: string;
  state: LeaseState;
  clientId?: string;
};

type StoredDeclined = {
  mac: string;
  network: string;
  until: string;
};

interface Pending {
  kind: string;
  key: string;
  value: JsonValue | undefined;
}

export interface LeaseTableOptions {
  /** Group-commit window. Default 5 ms. */
  commitWindowMs?: number;
}

export class LeaseTable {
  readonly #store: Store;
  readonly #windowMs: number;
  readonly #leases = new Map<string, Lease>();
  readonly #leaseAt = new Map<number, string>();
  readonly #offers = new Map<string, Offer>();
  readonly #offerAt = new Map<number, string>();
  readonly #declined = new Map<number, DeclinedAddress>();

  #dirty = new Map<string, Pending>();
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(store: Store, options: LeaseTableOptions = {}) {
    this.#store = store;
    this.#windowMs = options.commitWindowMs ?? 5;
  }

  /** Loads what the store holds; call once before serving. */
  async load(): Promise<void> {
    const [leases, declined] = await this.#store.read((r) => [r.list<StoredLease>(LEASE_KIND), r.list<StoredDeclined>(DECLINED_KIND)] as const);
    for (const doc of leases) {
      const v = doc.value;
      const lease: Lease = { mac: doc.key, address: v.address, network: v.network, expiresAt: Date.parse(v.expires), state: v.state };
      if (v.node !== undefined) lease.node = v.node;
      if (v.clientId !== undefined) lease.clientId = v.clientId;
      this.#index(lease);
    }
    for (const doc of declined) {
      const ip = parseIpv4(doc.key);
      if (ip !== undefined) this.#declined.set(ip, { address: doc.key, mac: doc.value.mac, network: doc.value.network, until: Date.parse(doc.value.until) });
    }
  }

  lease(mac: string): Lease | undefined {
    return this.#leases.get(mac);
  }

  offer(mac: string, now: number): Offer | undefined {
    const o = this.#offers.get(mac);
    return o && o.expiresAt > now ? o : undefined;
  }

  leaseCount(): number {
    return this.#leases.size;
  }

  /** Every lease held, for `berth boot leases`. */
  all(): Lease[] {
    return [...this.#leases.values()];
  }

  /**
   * May `mac` have `address` now? Not if another client holds a live lease or
   * offer on it, or it was declined recently. A released or expired lease of
   * another client does not block (with `strict`, it does: the allocator
   * first looks for addresses nobody ever had, so a machine that comes back
   * tends to find its old address free).
   */
  isAvailable(address: number, mac: string, now: number, strict = false): boolean {
    const declined = this.#declined.get(address);
    if (declined && declined.until > now) return false;
    const offeredTo = this.#offerAt.get(address);
    if (offeredTo !== undefined && offeredTo !== mac && this.#offers.get(offeredTo)!.expiresAt > now) return false;
    const leasedTo = this.#leaseAt.get(address);
    if (leasedTo !== undefined && leasedTo !== mac) {
      const other = this.#leases.get(leasedTo)!;
      if (strict || (other.state === 'bound' && other.expiresAt > now)) return false;
    }
    return true;
  }

  /** The MAC holding a live lease on the address, if any. */
  boundTo(address: string, now: number): string | undefined {
    const ip = parseIpv4(address);
    const mac = ip === undefined ? undefined : this.#leaseAt.get(ip);
    const lease = mac === undefined ? undefined : this.#leases.get(mac);
    return lease && lease.state === 'bound' && lease.expiresAt > now ? mac : undefined;
  }

  recordOffer(offer: Offer): void {
    this.#dropOffer(offer.mac);
    this.#offers.set(offer.mac, offer);
    this.#offerAt.set(parseIpv4(offer.address)!, offer.mac);
  }

  /**
   * Takes back the oldest live offer on `network` that `may` allows (the
   * pool is full, someone else is asking); true if one was dropped, its
   * address now free. Offers are kept in the order they were made.
   */
  reclaimOffer(network: string, now: number, may: (offer: Offer) => boolean): boolean {
    for (const offer of this.#offers.values()) {
      if (offer.network !== network || offer.expiresAt <= now || !may(offer)) continue;
      this.#dropOffer(offer.mac);
      return true;
    }
    return false;
  }

  /** The client took another server's offer (RFC 2131 §4.3.2, SELECTING with a foreign server id). */
  dropOffer(mac: string): void {
    this.#dropOffer(mac);
  }

  /** Binds (or renews) a lease; persisted with the next group commit. */
  bind(lease: Lease): void {
    this.#dropOffer(lease.mac);
    const ip = parseIpv4(lease.address)!;
    // Another client's stale (released/expired) lease on this address is forgotten.
    const previousHolder = this.#leaseAt.get(ip);
    if (previousHolder !== undefined && previousHolder !== lease.mac) this.#forget(previousHolder);
    this.#index(lease);
    this.#put(LEASE_KIND, lease.mac, storedLease(lease));
  }

  /** DHCPRELEASE: the address goes back, the MAC keeps its claim for when it returns. */
  release(mac: string, now: number): Lease | undefined {
    const lease = this.#leases.get(mac);
    if (!lease) return undefined;
    const released: Lease = { ...lease, state: 'released', expiresAt: Math.min(lease.expiresAt, now) };
    this.#index(released);
    this.#put(LEASE_KIND, mac, storedLease(released));
    return released;
  }

  /** DHCPDECLINE: the address is in use by someone else; keep it out of the pool until `until`. */
  decline(entry: DeclinedAddress): void {
    const ip = parseIpv4(entry.address)!;
    this.#declined.set(ip, entry);
    this.#put(DECLINED_KIND, entry.address, { mac: entry.mac, network: entry.network, until: new Date(entry.until).toISOString() });
    const lease = this.#leases.get(entry.mac);
    if (lease && lease.address === entry.address) this.#forget(entry.mac);
    if (this.#offers.get(entry.mac)?.address === entry.address) this.#dropOffer(entry.mac);
  }

  isDeclined(address: number, now: number): boolean {
    const d = this.#declined.get(address);
    return d !== undefined && d.until > now;
  }

  /** Drops expired offers and declines. */
  sweep(now: number): void {
    for (const [mac, offer] of this.#offers) if (offer.expiresAt <= now) this.#dropOffer(mac);
    for (const [ip, d] of this.#declined) {
      if (d.until <= now) {
        this.#declined.delete(ip);
        this.#put(DECLINED_KIND, formatIpv4(ip), undefined);
      }
    }
  }

  /**
   * Resolves once every change made before the call is in the store;
   * rejects if that commit failed (the reply must then not be sent).
   */
  persisted(): Promise<void> {
    if (this.#dirty.size === 0) return this.#inFlight ?? Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Writes what is pending now, without waiting for the window (for stop()). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.#flush();
    await this.#inFlight?.catch(() => undefined);
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    if (this.#dirty.size === 0 && this.#waiters.length === 0) return;
    const batch = this.#dirty;
    const waiters = this.#waiters;
    this.#dirty = new Map();
    this.#waiters = [];
    const write = this.#store.write((tx) => {
      for (const p of batch.values()) {
        if (p.value === undefined) tx.delete(p.kind, p.key);
        else tx.put(p.kind, p.key, p.value);
      }
    });
    const done = write.then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (e: unknown) => {
        // Keep the changes for the next commit unless newer ones replaced them.
        for (const [k, p] of batch) if (!this.#dirty.has(k)) this.#dirty.set(k, p);
        for (const w of waiters) w.reject(e);
        // Retry, but never keep a stopping process alive for it.
        this.#timer ??= setTimeout(() => void this.#flush(), Math.max(this.#windowMs, 250)).unref();
      },
    );
    this.#inFlight = write;
    await done;
    if (this.#inFlight === write) this.#inFlight = undefined;
  }

  #put(kind: string, key: string, value: JsonValue | undefined): void {
    this.#dirty.set(`${kind}\u0001${key}`, { kind, key, value });
    this.#timer ??= setTimeout(() => void this.#flush(), this.#windowMs);
  }

  #index(lease: Lease): void {
    const before = this.#leases.get(lease.mac);
    if (before && before.address !== lease.address) {
      const ip = parseIpv4(before.address);
      if (ip !== undefined && this.#leaseAt.get(ip) === lease.mac) this.#leaseAt.delete(ip);
    }
    this.#leases.set(lease.mac, lease);
    const ip = parseIpv4(lease.address);
    if (ip !== undefined) this.#leaseAt.set(ip, lease.mac);
  }

  #forget(mac: string): void {
    const lease = this.#leases.get(mac);
    if (!lease) return;
    this.#leases.delete(mac);
    const ip = parseIpv4(lease.address);
    if (ip !== undefined && this.#leaseAt.get(ip) === mac) this.#leaseAt.delete(ip);
    this.#put(LEASE_KIND, mac, undefined);
  }

  #dropOffer(mac: string): void {
    const offer = this.#offers.get(mac);
    if (!offer) return;
    this.#offers.delete(mac);
    const ip = parseIpv4(offer.address)!;
    if (this.#offerAt.get(ip) === mac) this.#offerAt.delete(ip);
  }
}

function storedLease(l: Lease): StoredLease {
  const v: StoredLease = { address: l.address, network: l.network, expires: new Date(l.expiresAt).toISOString(), state: l.state };
  if (l.node !== undefined) v.node = l.node;
  if (l.clientId !== undefined) v.clientId = l.clientId;
  return v;
}
