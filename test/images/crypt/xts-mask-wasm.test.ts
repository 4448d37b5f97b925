/** The WebAssembly tweak chain masks exactly as the JavaScript reference does, for both sector sizes. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { WASM_DATA, WASM_FIRST, createXtsMask } from '../../../src/images/crypt/xts-mask-wasm.ts';
import { expandTweaks, xorWords } from './xts-tweak-reference.ts';

test('wasm mask equals the reference tweak chain and XOR', () => {
  const m = createXtsMask();
  for (const [sectorSize, sectors] of [[512, 2048], [4096, 256], [4096, 1], [512, 3]] as const) {
    const blocks = sectorSize / 16;
    const length = sectorSize * sectors;
    const first = randomBytes(sectors * 16);
    // Make some tweaks have the top bit set, so the 0x87 fold is exercised from the first doubling.
    for (let s = 0; s < sectors; s += 2) first[s * 16 + 15]! |= 0x80;
    const data = randomBytes(length);
    const tweaks = new Uint32Array(length / 4);
    expandTweaks(new Uint32Array(first.buffer, first.byteOffset, first.length / 4), sectors, blocks, tweaks);
    const expected = new Uint32Array(length / 4);
    xorWords(expected, new Uint32Array(data.buffer, data.byteOffset, length / 4), tweaks, length / 4);
    m.memory.set(first, WASM_FIRST);
    m.memory.set(data, WASM_DATA);
    m.mask(sectors, blocks);
    assert.ok(Buffer.from(m.memory.subarray(WASM_DATA, WASM_DATA + length)).equals(Buffer.from(expected.buffer)), `${sectorSize} × ${sectors}`);
  }
});
