/**
 * The XTS tweak chain and its XOR (test/images/crypt/xts-tweak-reference.ts
 * explains the mathematics in plain JavaScript),
 * as a 200-byte WebAssembly function, because in JavaScript it was two thirds
 * of the encryption time: 32-bit words, four XOR passes per block. In wasm
 * each 16-byte block is two 64-bit loads, XORs and stores, and the doubling
 * is a handful of 64-bit shifts; the AES itself stays in OpenSSL.
 *
 * The module is written out below opcode by opcode rather than compiled from
 * a text file, so no toolchain is needed and the whole of it can be read:
 *
 *   mask(src, dst, first, sectors, blocks):
 *     for s in 0..sectors:                     (T = lo‖hi, little-endian)
 *       lo, hi = load64(first + 16s), load64(first + 16s + 8)
 *       for b in 0..blocks:
 *         store64(dst, load64(src) ^ lo); store64(dst + 8, load64(src + 8) ^ hi)
 *         src += 16; dst += 16
 *         carry = (hi >>signed 63) & 0x87     (all ones if the top bit is set)
 *         hi = (hi << 1) | (lo >>> 63); lo = (lo << 1) ^ carry
 *
 * Memory layout: DATA (one chunk, 1 MiB) then FIRST (each sector's
 * encrypted IV, 16 bytes per sector, at most 2048 sectors per chunk).
 */
/** The most one call masks: plain-xts.ts converts in chunks of this size. */
export const MASK_CHUNK_BYTES = 1024 * 1024;
export const WASM_DATA = 0;
export const WASM_FIRST = MASK_CHUNK_BYTES;
const PAGES = Math.ceil((MASK_CHUNK_BYTES + (MASK_CHUNK_BYTES / 512) * 16) / 65536);

// Opcodes used (WebAssembly core spec, section 5.4).
const LOOP = [0x03, 0x40];
const END = 0x0b;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const I64_LOAD = 0x29;
const I64_STORE = 0x37;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I64_AND = 0x83;
const I64_OR = 0x84;
const I64_XOR = 0x85;
const I64_SHL = 0x86;
const I64_SHR_S = 0x87;
const I64_SHR_U = 0x88;
/** memarg: alignment 2^3, then the offset. */
const at = (offset: number) => [3, offset];

// Parameters 0..4: src dst first sectors blocks; locals 5 s, 6 b (i32), 7 lo, 8 hi, 9 carry (i64).
const [src, dst, first, sectors, blocks, s, b, lo, hi, carry] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const body = [
  ...[2, 2, 0x7f, 3, 0x7e], // locals: 2 × i32, 3 × i64
  ...LOOP,
  ...[GET, first, GET, s, I32_CONST, 4, I32_SHL, I32_ADD, I64_LOAD, ...at(0), SET, lo],
  ...[GET, first, GET, s, I32_CONST, 4, I32_SHL, I32_ADD, I64_LOAD, ...at(8), SET, hi],
  ...[I32_CONST, 0, SET, b],
  ...LOOP,
  ...[GET, dst, GET, src, I64_LOAD, ...at(0), GET, lo, I64_XOR, I64_STORE, ...at(0)],
  ...[GET, dst, GET, src, I64_LOAD, ...at(8), GET, hi, I64_XOR, I64_STORE, ...at(8)],
  ...[GET, src, I32_CONST, 16, I32_ADD, SET, src],
  ...[GET, dst, I32_CONST, 16, I32_ADD, SET, dst],
  ...[GET, hi, I64_CONST, 63, I64_SHR_S, I64_CONST, 0x87, 0x01, I64_AND, SET, carry],
  ...[GET, hi, I64_CONST, 1, I64_SHL, GET, lo, I64_CONST, 63, I64_SHR_U, I64_OR, SET, hi],
  ...[GET, lo, I64_CONST, 1, I64_SHL, GET, carry, I64_XOR, SET, lo],
  ...[GET, b, I32_CONST, 1, I32_ADD, TEE, b, GET, blocks, I32_LT_U, BR_IF, 0],
  END,
  ...[GET, s, I32_CONST, 1, I32_ADD, TEE, s, GET, sectors, I32_LT_U, BR_IF, 0],
  END,
  END,
];

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const name = (text: string) => [text.length, ...Buffer.from(text, 'latin1')];
const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // type: (i32 × 5) → ()
  ...section(3, [1, 0]), // one function of type 0
  ...section(5, [1, 0, ...uleb(PAGES)]), // memory, PAGES pages, no maximum
  ...section(7, [2, ...name('memory'), 2, 0, ...name('mask'), 0, 0]),
  ...section(10, [1, ...uleb(body.length), ...body]),
]);

/** The part of the WebAssembly global used here (TypeScript declares it only with the DOM library). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export interface XtsMask {
  memory: Uint8Array;
  /** XORs `sectors × blocks` 16-byte blocks at DATA (in place) with their tweaks, from each sector's first tweak at FIRST. */
  mask(sectors: number, blocks: number): void;
}

/** One instance per PlainXtsSectors: its memory is scratch space, not shared. */
export function createXtsMask(): XtsMask {
  const instance = new wasm.Instance(new wasm.Module(MODULE));
  const memory = instance.exports['memory'] as { buffer: ArrayBuffer };
  const mask = instance.exports['mask'] as (src: number, dst: number, first: number, sectors: number, blocks: number) => void;
  return {
    memory: new Uint8Array(memory.buffer),
    mask: (sectorCount, blockCount) => mask(WASM_DATA, WASM_DATA, WASM_FIRST, sectorCount, blockCount),
  };
}
