/**
 * aes-xts-plain64 of a whole file on every CPU: the file is cut into one
 * contiguous, sector-aligned range per worker thread. XTS sectors are
 * independent (each has its own tweak from its sector number), so ranges need
 * no coordination, and a pack's encryption takes 1/N of the single-thread time.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BerthError } from '../../errors.ts';
import type { FileCryptJob } from './file-crypt-worker.ts';
import type { PlainXtsDirection, PlainXtsOptions } from './plain-xts.ts';
import { plainXtsChunkBytes } from './plain-xts.ts';

/**
 * Converts input[0, bytes) into output[0, bytes); `bytes` is a whole number
 * of sectors and may exceed the input's size (the rest reads as zeros). The
 * output file must exist; it is written in place.
 */
export async function cryptFile(
  direction: PlainXtsDirection,
  input: string,
  output: string,
  bytes: number,
  key: Uint8Array,
  geometry: PlainXtsOptions,
  options: { workers?: number; verifySalt?: Uint8Array } = {},
): Promise<Buffer | undefined> {
  const workers = options.workers ?? Math.min(availableParallelism(), 8);
  if (bytes % geometry.sectorSize !== 0) throw new BerthError('BERTH_INTERNAL', `cryptFile: ${bytes} bytes is not a whole number of sectors`);
  // Ranges in whole chunks, so every worker converts full-size chunks but the last.
  const chunks = Math.ceil(bytes / plainXtsChunkBytes);
  const count = Math.max(1, Math.min(workers, chunks));
  const per = Math.ceil(chunks / count);
  const jobs: FileCryptJob[] = [];
  for (let i = 0; i < count; i++) {
    const start = i * per * plainXtsChunkBytes;
    const end = Math.min(bytes, (i + 1) * per * plainXtsChunkBytes);
    if (start < end) jobs.push({ direction, key, geometry, input, output, start, end, ...(options.verifySalt ? { verifySalt: options.verifySalt } : {}) });
  }
  const hashes = await Promise.all(jobs.map((job) => runJob(job)));
  return options.verifySalt ? Buffer.concat(hashes as Buffer[]) : undefined;
}

/** Resolves with the block hashes when the job asked for them. */
function runJob(job: FileCryptJob): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./file-crypt-worker.ts', import.meta.url), { workerData: job });
    let settled = false;
    worker.once('message', (m: { done?: true; blockHashes?: Uint8Array; error?: string; code?: string }) => {
      settled = true;
      if (m.done) resolve(m.blockHashes ? Buffer.from(m.blockHashes.buffer, m.blockHashes.byteOffset, m.blockHashes.byteLength) : undefined);
      else {
        const error = new BerthError(m.code === 'ENOSPC' ? 'BERTH_NO_SPACE' : 'BERTH_INTERNAL', `${job.direction} of ${job.input} bytes ${job.start}-${job.end}: ${m.error}`, { file: job.output });
        reject(error);
      }
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new BerthError('BERTH_INTERNAL', `encryption worker exited with ${code} before finishing`));
    });
  });
}
