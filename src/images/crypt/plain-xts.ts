/**
 * Userspace encryption of an image exactly as dm-crypt reads it back with
 *
 *   cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
 *     --sector-size <512|4096> [--iv-large-sectors] --readonly <dev> <name>
 *
 * AES-XTS (IEEE 1619-2018) with a 512-bit key: the first 32 bytes encrypt the
 * data (key1), the last 32 encrypt the IV into the tweak (key2), as in Linux's
 * crypto/xts.c and OpenSSL's aes-256-xts. Each sector is one XTS data unit
 * whose IV is plain64 (plain64-iv.ts). Sectors are whole multiples of 16
 * bytes, so ciphertext stealing never happens.
 *
 * Speed: Node's `aes-256-xts` needs one cipher object per sector (the IV is the
 * tweak), which costs more than the AES. Here each chunk takes two bulk
 * AES-ECB calls (all the sectors' IVs with key2, then all the data with key1)
 * and the tweak chain is computed in WebAssembly (xts-mask-wasm.ts); see bench/image-crypt.ts.
 *
 * Padding: the input must be a whole number of sectors. Callers pad with zero
 * bytes up to the next multiple of the sector size; images are padded to 4096
 * so either sector size fits. Nothing here pads silently, because a padded
 * length is part of what the node must be told.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Cipheriv, Decipheriv } from 'node:crypto';
import { BerthError } from '../../errors.ts';
import { plain64Ivs } from './plain64-iv.ts';
import { MASK_CHUNK_BYTES, WASM_DATA, WASM_FIRST, createXtsMask } from './xts-mask-wasm.ts';
import type { XtsMask } from './xts-mask-wasm.ts';

export type PlainXtsSectorSize = 512 | 4096;

/** What the node's `cryptsetup open` must be given; record it with the image. */
export interface PlainXtsOptions {
  sectorSize: PlainXtsSectorSize;
  /** cryptsetup `--iv-large-sectors`: the IV counts `sectorSize` units, not 512-byte ones. */
  ivLargeSectors: boolean;
  /**
   * Where `input[0]` sits on the decrypted device, in bytes (a multiple of
   * `sectorSize`), for working on a part of an image. Default 0.
   */
  startByte?: number;
}

export type PlainXtsDirection = 'encrypt' | 'decrypt';

/** 512 bits: two AES-256 keys. */
export const plainXtsKeyBytes = 64;

/** Bytes per bulk AES call: large enough to amortise the call, small enough to stay in cache. */
export const plainXtsChunkBytes = MASK_CHUNK_BYTES;

export function encryptPlainXts(input: Uint8Array, key: Uint8Array, options: PlainXtsOptions): Buffer {
  return new PlainXtsSectors('encrypt', key, options).convert(input, options.startByte ?? 0);
}

export function decryptPlainXts(input: Uint8Array, key: Uint8Array, options: PlainXtsOptions): Buffer {
  return new PlainXtsSectors('decrypt', key, options).convert(input, options.startByte ?? 0);
}

/**
 * One key, one direction, one sector geometry: converts runs of whole sectors
 * at any sector-aligned device offset. Holds two ECB cipher objects and
 * scratch space; not safe to share between concurrent conversions.
 */
export class PlainXtsSectors {
  readonly direction: PlainXtsDirection;
  readonly sectorSize: PlainXtsSectorSize;
  readonly ivLargeSectors: boolean;
  readonly #data: Cipheriv | Decipheriv;
  readonly #tweak: Cipheriv;
  readonly #mask: XtsMask = createXtsMask();

  constructor(direction: PlainXtsDirection, key: Uint8Array, options: PlainXtsOptions) {
    checkKey(key);
    checkGeometry(options);
    this.direction = direction;
    this.sectorSize = options.sectorSize;
    this.ivLargeSectors = options.ivLargeSectors;
    const key1 = key.subarray(0, 32);
    const key2 = key.subarray(32, 64);
    // ECB with padding off is stateless between update() calls on whole
    // blocks, so one object serves every chunk and final() is never needed.
    this.#data = direction === 'encrypt' ? createCipheriv('aes-256-ecb', key1, null) : createDecipheriv('aes-256-ecb', key1, null);
    this.#data.setAutoPadding(false);
    // The tweak is always AES *encryption* of the IV, in both directions.
    this.#tweak = createCipheriv('aes-256-ecb', key2, null);
    this.#tweak.setAutoPadding(false);
  }

  /** Converts `input` (whole sectors) that starts at device byte `startByte`. */
  convert(input: Uint8Array, startByte: number): Buffer {
    this.#checkRun(input.length, startByte);
    const out = Buffer.allocUnsafeSlow(input.length);
    for (let at = 0; at < input.length; at += plainXtsChunkBytes) {
      const end = Math.min(at + plainXtsChunkBytes, input.length);
      this.#chunk(input.subarray(at, end), startByte + at, out, at);
    }
    return out;
  }

  #checkRun(length: number, startByte: number): void {
    if (length % this.sectorSize !== 0) {
      throw new BerthError(
        'BERTH_BAD_INPUT',
        `${this.direction} with aes-xts-plain64: the input is ${length} bytes, not a whole number of ${this.sectorSize}-byte sectors ` +
          `(${length % this.sectorSize} bytes over); pad it with zeros to ${Math.ceil(length / this.sectorSize) * this.sectorSize} bytes first`,
        { attribute: 'input' },
      );
    }
    if (!Number.isSafeInteger(startByte) || startByte < 0 || startByte % this.sectorSize !== 0) {
      throw new BerthError('BERTH_BAD_INPUT', `aes-xts-plain64: startByte ${startByte} is not a non-negative multiple of the sector size ${this.sectorSize}`, {
        attribute: 'startByte',
      });
    }
  }

  /** One chunk (≤ plainXtsChunkBytes, whole sectors) into `out` at `outAt`: mask, AES-ECB, mask (xts-mask-wasm.ts). */
  #chunk(input: Uint8Array, startByte: number, out: Buffer, outAt: number): void {
    const length = input.length;
    const sectors = length / this.sectorSize;
    const blocks = this.sectorSize / 16;
    const memory = this.#mask.memory;
    memory.set(this.#tweak.update(plain64Ivs(startByte, sectors, this)), WASM_FIRST);
    memory.set(input, WASM_DATA);
    this.#mask.mask(sectors, blocks);
    const converted = this.#data.update(memory.subarray(WASM_DATA, WASM_DATA + length));
    if (converted.length !== length) {
      throw new BerthError('BERTH_INTERNAL', `AES-ECB returned ${converted.length} bytes for ${length}`);
    }
    memory.set(converted, WASM_DATA);
    this.#mask.mask(sectors, blocks);
    out.set(memory.subarray(WASM_DATA, WASM_DATA + length), outAt);
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== plainXtsKeyBytes) {
    const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key;
    throw new BerthError('BERTH_BAD_INPUT', `aes-xts-plain64 with --key-size 512 needs a ${plainXtsKeyBytes}-byte key; got ${got}`, { attribute: 'key' });
  }
  // IEEE 1619 requires distinct halves; OpenSSL refuses equal ones and so do
  // FIPS kernels. Equal halves only come from a broken key generator.
  if (Buffer.from(key.buffer, key.byteOffset, 32).equals(Buffer.from(key.buffer, key.byteOffset + 32, 32))) {
    throw new BerthError('BERTH_BAD_INPUT', 'aes-xts-plain64 key: the two 256-bit halves are equal, which XTS forbids; generate the key with randomBytes(64)', {
      attribute: 'key',
    });
  }
}

function checkGeometry(options: PlainXtsOptions): void {
  if (options.sectorSize !== 512 && options.sectorSize !== 4096) {
    throw new BerthError('BERTH_BAD_INPUT', `aes-xts-plain64: sector size must be 512 or 4096, not ${String(options.sectorSize)}`, { attribute: 'sectorSize' });
  }
  if (typeof options.ivLargeSectors !== 'boolean') {
    throw new BerthError('BERTH_BAD_INPUT', 'aes-xts-plain64: ivLargeSectors must be true or false', { attribute: 'ivLargeSectors' });
  }
}
