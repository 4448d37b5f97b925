/**
 * The bytes a client has sent and the NBD code has not consumed yet. TCP
 * delivers a stream in chunks that have nothing to do with message
 * boundaries: a 28-byte request can arrive split over two chunks, or a
 * hundred pipelined requests in one. The handshake and the request parser
 * both read from one FrameReader, so bytes a client sends right after
 * NBD_OPT_GO (before it has seen the reply) pass intact to the transmission
 * phase.
 *
 * take() hands out a view into the chunk when a frame lies inside one (the
 * common case: no copy) and copies only frames that straddle chunks. skip()
 * discards without storing, which is how oversized option payloads and WRITE
 * payloads cost no memory.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** Offset of the first unconsumed byte in chunks[0]. */
  private head = 0;
  private buffered = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received and not yet consumed. */
  get length(): number {
    return this.buffered;
  }

  /** The next `n` bytes, consumed; undefined (consuming nothing) until that many have arrived. */
  take(n: number): Buffer | undefined {
    if (n > this.buffered) return undefined;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const count = Math.min(n - filled, chunk.length - this.head);
      chunk.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.advance(count);
    }
    return out;
  }

  /** Discards up to `n` bytes; returns how many were discarded (fewer when fewer have arrived). */
  skip(n: number): number {
    let left = Math.min(n, this.buffered);
    const skipped = left;
    while (left > 0) {
      const count = Math.min(left, this.chunks[0]!.length - this.head);
      this.advance(count);
      left -= count;
    }
    return skipped;
  }

  /** Drops everything buffered (the connection is going away). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
  }

  /** Consumes `count` bytes, all within chunks[0]. */
  private advance(count: number): void {
    this.head += count;
    this.buffered -= count;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
