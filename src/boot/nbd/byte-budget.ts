/**
 * The server-wide budget of READ reply bytes held in memory: being read
 * from the file, waiting their turn, or handed to a socket the kernel has
 * not taken yet. Every connection takes from it before it allocates a reply
 * buffer and gives back once the socket has written it (or closed), so the
 * server's reply memory is bounded whatever its clients do: without it,
 * 1,024 clients that never read their replies held 64 MiB each, 64 GiB in
 * all, and the OOM killer took DHCP and the API with the NBD server.
 *
 * Fairness: a connection that cannot take what it needs waits in line, and
 * bytes given back go to the line first, oldest first, so a connection that
 * keeps asking cannot starve one that waits; each connection also has its
 * own, smaller budget (nbd-connection.ts), so no single one can hold it all.
 * Pure bookkeeping: no sockets, no timers.
 */
export class ByteBudget {
  readonly capacity: number;
  private used = 0;
  private highest = 0;
  private readonly line: { bytes: number; granted: () => void }[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Takes `bytes` when nobody is waiting and they fit; false otherwise (then wait()). */
  tryTake(bytes: number): boolean {
    if (this.line.length > 0 || this.used + bytes > this.capacity) return false;
    this.take(bytes);
    return true;
  }

  /**
   * Joins the line for `bytes`; `granted` is called (from a later give(),
   * never from inside this call) once they are taken for the caller.
   * Returns a cancel function for a waiter that goes away.
   */
  wait(bytes: number, granted: () => void): () => void {
    const waiter = { bytes, granted };
    this.line.push(waiter);
    return () => {
      const at = this.line.indexOf(waiter);
      if (at >= 0) {
        this.line.splice(at, 1);
        this.serveLine(); // the next in line may fit now
      }
    };
  }

  give(bytes: number): void {
    this.used -= bytes;
    this.serveLine();
  }

  /** Bytes held now. */
  get held(): number {
    return this.used;
  }

  /** Most bytes ever held at once. */
  get peak(): number {
    return this.highest;
  }

  /** Connections waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.highest) this.highest = this.used;
  }

  private serveLine(): void {
    const granted: (() => void)[] = [];
    while (this.line.length > 0 && this.used + this.line[0]!.bytes <= this.capacity) {
      const waiter = this.line.shift()!;
      this.take(waiter.bytes);
      granted.push(waiter.granted);
    }
    // After the bookkeeping, so a waiter that takes or gives more from its callback sees a consistent budget.
    for (const g of granted) g();
  }
}
