/**
 * Worker thread of parallel-file-crypt.ts: converts one byte range of a file
 * into the same range of another, with positional reads and writes, so
 * workers never wait on each other. Optionally hashes what it wrote, block
 * by block, for the dm-verity tree (images/pack/verity-tree.ts), while the
 * bytes are still in cache.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { hashBlocks } from '../pack/verity-tree.ts';
import { PlainXtsSectors, plainXtsChunkBytes } from './plain-xts.ts';
import type { PlainXtsDirection, PlainXtsOptions } from './plain-xts.ts';

export interface FileCryptJob {
  direction: PlainXtsDirection;
  key: Uint8Array;
  geometry: PlainXtsOptions;
  input: string;
  output: string;
  /** [start, end) in the input; bytes past the input's end read as zeros (padding). */
  start: number;
  end: number;
  /** When set: SHA-256(salt ‖ block) of every 4096-byte output block, returned in order. */
  verifySalt?: Uint8Array;
}

const job = workerData as FileCryptJob;
const sectors = new PlainXtsSectors(job.direction, job.key, job.geometry);
const input = openSync(job.input, 'r');
const output = openSync(job.output, 'r+');
try {
  const buffer = Buffer.alloc(plainXtsChunkBytes);
  const hashes: Buffer[] = [];
  for (let position = job.start; position < job.end; position += plainXtsChunkBytes) {
    const want = Math.min(plainXtsChunkBytes, job.end - position);
    let filled = 0;
    while (filled < want) {
      const n = readSync(input, buffer, filled, want - filled, position + filled);
      if (n === 0) break;
      filled += n;
    }
    buffer.fill(0, filled, want);
    const converted = sectors.convert(buffer.subarray(0, want), position);
    if (job.verifySalt) hashes.push(hashBlocks(converted, job.verifySalt));
    let written = 0;
    while (written < want) written += writeSync(output, converted, written, want - written, position + written);
  }
  const blockHashes = job.verifySalt ? Buffer.concat(hashes) : undefined;
  // Copied, not transferred: small buffers share Node's pool, which must not move threads.
  parentPort!.postMessage({ done: true, blockHashes });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
} finally {
  closeSync(input);
  closeSync(output);
}
