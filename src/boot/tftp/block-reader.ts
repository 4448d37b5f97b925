/**
 * Reads a transfer's file ahead into one buffer laid out as ready DATA
 * packets: [4-byte header][blksize bytes] per slot. One readv() fills many
 * slots straight from the page cache (one thread-pool trip, not one per
 * block), and each packet is sent as a view of the buffer, without copying.
 *
 * A buffer is reused for the next stretch of the file unless the session
 * still has sends in flight from it; then a fresh one is taken, so a packet
 * queued in the kernel is never overwritten.
 */
import { writeDataHeader } from './packet.ts';
import type { OpenedFile } from './root-files.ts';
import { wireBlock } from './transfer.ts';

/** libuv caps one preadv at IOV_MAX (1024 on Linux) buffers. */
const maxBuffersPerRead = 1024;

export class BlockReader {
  private readonly file: Pick<OpenedFile, 'readv'>;
  private readonly size: number;
  private readonly blksize: number;
  private readonly stride: number;
  private readonly slots: number;
  private readonly totalBlocks: number;
  private readonly sendsInFlight: () => boolean;
  private buffer: Buffer;
  /** Absolute block in slot 0, and how many slots hold data; 0 = nothing loaded. */
  private firstLoaded = 0;
  private loadedCount = 0;

  constructor(file: Pick<OpenedFile, 'readv'>, size: number, blksize: number, slots: number, sendsInFlight: () => boolean) {
    this.file = file;
    this.size = size;
    this.blksize = blksize;
    this.stride = blksize + 4;
    this.totalBlocks = Math.floor(size / blksize) + 1;
    this.slots = Math.max(1, Math.min(slots, this.totalBlocks));
    this.sendsInFlight = sendsInFlight;
    this.buffer = Buffer.allocUnsafe(this.slots * this.stride);
  }

  /** Blocks `first`..`last` are in the buffer. */
  has(first: number, last: number): boolean {
    return this.loadedCount > 0 && first >= this.firstLoaded && last < this.firstLoaded + this.loadedCount;
  }

  /** Fills the buffer with blocks from `first` on. Rejects if the file shrank under us. */
  async load(first: number): Promise<void> {
    if (this.sendsInFlight()) this.buffer = Buffer.allocUnsafe(this.slots * this.stride);
    this.loadedCount = 0;
    const count = Math.min(this.slots, this.totalBlocks - first + 1);
    const views: Buffer[] = [];
    let expected = 0;
    for (let i = 0; i < count; i++) {
      const block = first + i;
      const length = Math.max(0, Math.min(this.blksize, this.size - (block - 1) * this.blksize));
      writeDataHeader(this.buffer, i * this.stride, wireBlock(block));
      if (length > 0) views.push(this.buffer.subarray(i * this.stride + 4, i * this.stride + 4 + length));
      expected += length;
    }
    let position = (first - 1) * this.blksize;
    let read = 0;
    for (let at = 0; at < views.length; at += maxBuffersPerRead) {
      const chunk = views.slice(at, at + maxBuffersPerRead);
      const want = chunk.reduce((n, v) => n + v.length, 0);
      const got = await this.file.readv(chunk, position);
      read += got;
      position += got;
      if (got < want) break;
    }
    if (read < expected) throw new Error(`file shrank during the transfer: read ${read} of ${expected} bytes at block ${first}`);
    this.firstLoaded = first;
    this.loadedCount = count;
  }

  /** The DATA packet for `block`, which must be loaded. */
  packet(block: number): Buffer {
    const slot = block - this.firstLoaded;
    const length = Math.max(0, Math.min(this.blksize, this.size - (block - 1) * this.blksize));
    return this.buffer.subarray(slot * this.stride, slot * this.stride + 4 + length);
  }
}
