/**
 * Worker thread of parallel-file-crypt.ts: converts one byte range of a file
 * into the same range of another, with positional reads and writes, so
 * workers never wait on each other.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
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
}

const job = workerData as FileCryptJob;
const sectors = new PlainXtsSectors(job.direction, job.key, job.geometry);
const input = openSync(job.input, 'r');
const output = openSync(job.output, 'r+');
try {
  const buffer = Buffer.alloc(plainXtsChunkBytes);
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
    let written = 0;
    while (written < want) written += writeSync(output, converted, written, want - written, position + written);
  }
  parentPort!.postMessage({ done: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
} finally {
  closeSync(input);
  closeSync(output);
}
