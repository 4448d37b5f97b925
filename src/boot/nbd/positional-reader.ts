/**
 * Positional reads (pread) of export files, on the event loop or in libuv's
 * thread pool, whichever is cheaper at the moment.
 *
 * Why not always the thread pool: a hop there and back (queue the work,
 * wake a worker, wake the event loop with the result) cost about 100 µs per
 * read on the 2-vCPU VMs berth was measured on, while a pread of data in the
 * page cache takes a few microseconds. Image versions are immutable and a
 * fleet boots from the same few, so nearly every read is a page-cache hit.
 * In bench/nbd.ts, doing them on the event loop took random 4 KiB reads
 * from about 0.5× nbdkit's rate to 0.7–0.9× at queue depth 1, and from
 * about 0.6× to 1.3–1.6× at queue depth 32.
 *
 * Why not always on the event loop: a read that misses the cache waits for
 * the disk, and the whole server with it. So only small reads
 * (≤ syncMaxBytes) are tried synchronously, each is timed, and one that
 * took longer than slowMs (it went to the disk) sends every read to the
 * thread pool for the next asyncForMs. A cold cache thus stalls the event
 * loop for about one disk read per asyncForMs, not one per request. Large
 * reads always go to the thread pool, where the copy overlaps with the event
 * loop's socket writes.
 */
import { read, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface PositionalReaderOptions {
  /** Largest read tried on the event loop. Default 256 KiB (more than the Linux nbd driver's usual request). */
  syncMaxBytes?: number;
  /** A synchronous read slower than this went to the disk. Default 0.5 ms. */
  slowMs?: number;
  /** How long reads stay in the thread pool after a slow one. Default 1000 ms. */
  asyncForMs?: number;
}

export class PositionalReader {
  private readonly syncMaxBytes: number;
  private readonly slowMs: number;
  private readonly asyncForMs: number;
  /** performance.now() before which every read goes to the thread pool. */
  private asyncUntil = 0;
  /** Reads done on the event loop and in the thread pool, and switches to the pool; for tests and tuning. */
  readonly counts = { sync: 0, async: 0, slow: 0 };

  constructor(opts: PositionalReaderOptions = {}) {
    this.syncMaxBytes = opts.syncMaxBytes ?? 256 * 1024;
    this.slowMs = opts.slowMs ?? 0.5;
    this.asyncForMs = opts.asyncForMs ?? 1000;
  }

  /**
   * Reads `length` bytes at file `position` into `into` at `at`, then calls
   * `done`: before returning when the read was done on the event loop, later
   * when it went to the thread pool. A file that ends before
   * `position + length` (truncated under us) is an error.
   */
  read(fd: number, into: Buffer, at: number, length: number, position: number, done: (e: Error | null) => void): void {
    if (length <= this.syncMaxBytes) {
      const started = performance.now();
      if (started >= this.asyncUntil) {
        this.counts.sync++;
        let e: Error | null = null;
        try {
          readSyncFully(fd, into, at, length, position);
        } catch (caught) {
          e = caught as Error;
        }
        const finished = performance.now();
        if (finished - started > this.slowMs) {
          this.counts.slow++;
          this.asyncUntil = finished + this.asyncForMs;
        }
        done(e);
        return;
      }
    }
    this.counts.async++;
    readFully(fd, into, at, length, position, done);
  }
}

function readSyncFully(fd: number, into: Buffer, at: number, length: number, position: number): void {
  while (length > 0) {
    const n = readSync(fd, into, at, length, position);
    if (n === 0) throw endOfFile(position);
    at += n;
    position += n;
    length -= n;
  }
}

function readFully(fd: number, into: Buffer, at: number, length: number, position: number, done: (e: Error | null) => void): void {
  read(fd, into, at, length, position, (e, n) => {
    if (e) return done(e);
    if (n === length) return done(null);
    if (n === 0) return done(endOfFile(position));
    readFully(fd, into, at + n, length - n, position + n, done);
  });
}

function endOfFile(position: number): Error {
  return Object.assign(new Error(`file ends before offset ${position}`), { code: 'ESHORT' });
}
