/**
 * How fast machines berth has never heard of may start talking to it: a
 * token bucket (default 50 a second, bursts of 200) for MACs that are not a
 * node and hold no lease or offer. Each such machine costs a discovery
 * record and, in full mode, a pool offer; without a limit, 40,000 DISCOVERs
 * from random MACs (one packet each, trivially forged) filled the store and
 * the pool. Inventory nodes never ask the limiter (dispatch.ts), so a
 * 10,000-node power-on boots at full speed whatever a flood does.
 *
 * A machine let in is remembered for `rememberMs` (default 10 minutes, at
 * most `remember` machines, oldest forgotten first) so the rest of its
 * exchange (REQUEST, port 4011, iPXE's second DHCP) is not charged again.
 * Pure: the caller passes the clock.
 */

export interface NewClientLimitOptions {
  /** Tokens added per second. Default 50. */
  perSecond?: number;
  /** Bucket size: how many new machines may arrive at once. Default 200. */
  burst?: number;
  /** Default 600,000 ms. */
  rememberMs?: number;
  /** Default 4096. */
  remember?: number;
}

export class NewClientLimit {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #rememberMs: number;
  readonly #remember: number;
  #tokens: number;
  #refilledAt: number | undefined;
  /** MAC → when it was let in; insertion order is admission order. */
  readonly #admitted = new Map<string, number>();

  constructor(options: NewClientLimitOptions = {}) {
    this.#perMs = (options.perSecond ?? 50) / 1000;
    this.#burst = options.burst ?? 200;
    this.#rememberMs = options.rememberMs ?? 600_000;
    this.#remember = options.remember ?? 4096;
    this.#tokens = this.#burst;
  }

  /** May this unknown machine be served now? false = drop it (the caller counts it). */
  admit(mac: string, now: number): boolean {
    const at = this.#admitted.get(mac);
    if (at !== undefined && now - at < this.#rememberMs) return true;
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    this.#admitted.delete(mac);
    this.#admitted.set(mac, now);
    this.#forgetOld(now);
    return true;
  }

  #refill(now: number): void {
    if (this.#refilledAt !== undefined && now > this.#refilledAt) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#refilledAt) * this.#perMs);
    }
    if (this.#refilledAt === undefined || now > this.#refilledAt) this.#refilledAt = now;
  }

  #forgetOld(now: number): void {
    for (const [mac, at] of this.#admitted) {
      if (this.#admitted.size <= this.#remember && now - at < this.#rememberMs) break;
      this.#admitted.delete(mac);
    }
  }
}
