/**
 * The XTS tweak sequence of IEEE 1619-2018 (section 5.1): block j of a sector
 * is masked with T·αʲ, where T = AES(key2, IV) and α is x in GF(2^128) modulo
 * x^128 + x^7 + x^2 + x + 1. Multiplying by α is a one-bit left shift of the
 * 128-bit little-endian integer, folding the bit shifted out back in as 0x87.
 *
 * The straightforward JavaScript version, kept as the reference that the
 * WebAssembly one (src/images/crypt/xts-mask-wasm.ts) is tested against.
 *
 * Words are native-endian Uint32 views, so the shift below is correct only on
 * little-endian machines (x86-64, arm64); the module refuses to load elsewhere.
 */
import { endianness } from 'node:os';
import { BerthError } from '../../../src/errors.ts';

if (endianness() !== 'LE') {
  throw new BerthError('BERTH_INTERNAL', `xts-tweak-reference.ts assumes a little-endian CPU; this one is ${endianness()}`);
}

/**
 * Fills `out` with the tweak of every 16-byte block of `sectorCount` sectors.
 * `first` holds each sector's encrypted IV (4 words per sector), `out` gets
 * `blocksPerSector` × 4 words per sector.
 */
export function expandTweaks(first: Uint32Array, sectorCount: number, blocksPerSector: number, out: Uint32Array): void {
  let o = 0;
  for (let s = 0; s < sectorCount; s++) {
    let w0 = first[s * 4]!;
    let w1 = first[s * 4 + 1]!;
    let w2 = first[s * 4 + 2]!;
    let w3 = first[s * 4 + 3]!;
    out[o] = w0;
    out[o + 1] = w1;
    out[o + 2] = w2;
    out[o + 3] = w3;
    o += 4;
    for (let b = 1; b < blocksPerSector; b++) {
      const carry = w3 >>> 31;
      w3 = (w3 << 1) | (w2 >>> 31);
      w2 = (w2 << 1) | (w1 >>> 31);
      w1 = (w1 << 1) | (w0 >>> 31);
      w0 = (w0 << 1) ^ (carry * 0x87);
      out[o] = w0;
      out[o + 1] = w1;
      out[o + 2] = w2;
      out[o + 3] = w3;
      o += 4;
    }
  }
}

/** out[i] = a[i] ^ b[i] for the first `count` words; `out` may be `a`. */
export function xorWords(out: Uint32Array, a: Uint32Array, b: Uint32Array, count: number): void {
  for (let i = 0; i < count; i++) out[i] = a[i]! ^ b[i]!;
}
