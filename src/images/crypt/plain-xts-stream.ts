/**
 * aes-xts-plain64 over a stream of any chunking, for multi-GB images: memory
 * stays around two chunks (plainXtsChunkBytes) whatever the file size. Usable
 * directly as a step of `stream.pipeline`:
 *
 *   await pipeline(createReadStream(plain),
 *                  (source) => encryptPlainXtsStream(source, key, options),
 *                  createWriteStream(encrypted));
 *
 * The total length must be a whole number of sectors (see plain-xts.ts); a
 * short tail is reported when the source ends, after the whole sectors before
 * it were already emitted, so write to a temporary file and rename on success.
 */
import { BerthError } from '../../errors.ts';
import { PlainXtsSectors, plainXtsChunkBytes } from './plain-xts.ts';
import type { PlainXtsDirection, PlainXtsOptions } from './plain-xts.ts';

export function encryptPlainXtsStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, key: Uint8Array, options: PlainXtsOptions): AsyncGenerator<Buffer> {
  return convertStream('encrypt', source, key, options);
}

export function decryptPlainXtsStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, key: Uint8Array, options: PlainXtsOptions): AsyncGenerator<Buffer> {
  return convertStream('decrypt', source, key, options);
}

async function* convertStream(
  direction: PlainXtsDirection,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  key: Uint8Array,
  options: PlainXtsOptions,
): AsyncGenerator<Buffer> {
  // Built before the first read, so a bad key or geometry fails at once.
  const sectors = new PlainXtsSectors(direction, key, options);
  const sectorSize = options.sectorSize;
  let position = options.startByte ?? 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;

  for await (const piece of source) {
    if (typeof piece === 'string') {
      throw new BerthError('BERTH_BAD_INPUT', `${direction} with aes-xts-plain64: the stream yields strings; open it without an encoding`, { attribute: 'input' });
    }
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes < plainXtsChunkBytes) continue;

    const joined = Buffer.concat(pending, pendingBytes);
    let at = 0;
    while (joined.length - at >= plainXtsChunkBytes) {
      yield sectors.convert(joined.subarray(at, at + plainXtsChunkBytes), position);
      at += plainXtsChunkBytes;
      position += plainXtsChunkBytes;
    }
    // Whole sectors left over wait for the next piece, so chunks stay full size.
    pending = at < joined.length ? [Buffer.from(joined.subarray(at))] : [];
    pendingBytes = joined.length - at;
  }

  if (pendingBytes % sectorSize !== 0) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `${direction} with aes-xts-plain64: the stream ended ${pendingBytes % sectorSize} bytes into a ${sectorSize}-byte sector ` +
        `(${position + pendingBytes} bytes in all); pad it with zeros to a whole sector`,
      { attribute: 'input' },
    );
  }
  if (pendingBytes > 0) yield sectors.convert(Buffer.concat(pending, pendingBytes), position);
}
