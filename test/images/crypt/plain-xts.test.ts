import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decryptPlainXts, encryptPlainXts, plainXtsChunkBytes } from '../../../src/images/crypt/plain-xts.ts';
import type { PlainXtsOptions } from '../../../src/images/crypt/plain-xts.ts';
import { decryptPlainXtsStream, encryptPlainXtsStream } from '../../../src/images/crypt/plain-xts-stream.ts';
import { plain64Ivs } from '../../../src/images/crypt/plain64-iv.ts';

const geometries: PlainXtsOptions[] = [
  { sectorSize: 512, ivLargeSectors: false },
  { sectorSize: 4096, ivLargeSectors: true },
  { sectorSize: 4096, ivLargeSectors: false },
];

/** The second reference: OpenSSL's own XTS, one cipher object per sector with the plain64 IV as its tweak. */
function nodeXts(direction: 'encrypt' | 'decrypt', data: Buffer, key: Buffer, o: PlainXtsOptions, startByte = 0): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += o.sectorSize) {
    const iv = plain64Ivs(startByte + at, 1, o);
    const c = direction === 'encrypt' ? createCipheriv('aes-256-xts', key, iv) : createDecipheriv('aes-256-xts', key, iv);
    out.push(c.update(data.subarray(at, at + o.sectorSize)), c.final());
  }
  return Buffer.concat(out);
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of gen) parts.push(p);
  return Buffer.concat(parts);
}

/** Yields `data` in pieces of uneven sizes, none of them sector-aligned. */
function* unevenPieces(data: Buffer): Generator<Buffer> {
  const sizes = [1, 4095, 13, 700_001, 3, 2_000_000, 511];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(at, at + n);
    at += n;
  }
}

describe('plain64 IVs', () => {
  it('count 512-byte units unless --iv-large-sectors (dm-crypt.rst: second 4096-byte sector is 8, or 1)', () => {
    assert.equal(plain64Ivs(4096, 1, { sectorSize: 4096, ivLargeSectors: false }).toString('hex'), '08' + '00'.repeat(15));
    assert.equal(plain64Ivs(4096, 1, { sectorSize: 4096, ivLargeSectors: true }).toString('hex'), '01' + '00'.repeat(15));
    assert.equal(plain64Ivs(512, 1, { sectorSize: 512, ivLargeSectors: false }).toString('hex'), '01' + '00'.repeat(15));
  });
  it('is 64-bit little-endian past 2^32', () => {
    const iv = plain64Ivs(0x1_2345_6789 * 512, 1, { sectorSize: 512, ivLargeSectors: false });
    assert.equal(iv.toString('hex'), '8967452301000000' + '00'.repeat(8));
  });
});

describe('aes-xts-plain64 against Node aes-256-xts per sector', () => {
  for (const o of geometries) {
    const name = `${o.sectorSize}${o.ivLargeSectors ? ' --iv-large-sectors' : ''}`;
    it(`${name}: same ciphertext, and decrypts back`, () => {
      const key = randomBytes(64);
      // Longer than one internal chunk, so chunk boundaries are crossed.
      const plain = randomBytes(plainXtsChunkBytes + 64 * 1024);
      const enc = encryptPlainXts(plain, key, o);
      assert.ok(enc.equals(nodeXts('encrypt', plain, key, o)));
      assert.ok(decryptPlainXts(enc, key, o).equals(plain));
      assert.ok(nodeXts('decrypt', enc, key, o).equals(plain));
    });
    it(`${name}: a range at startByte equals the same range of the whole`, () => {
      const key = randomBytes(64);
      const plain = randomBytes(64 * 1024);
      const whole = encryptPlainXts(plain, key, o);
      const from = 5 * 4096;
      const part = encryptPlainXts(plain.subarray(from, from + 8192), key, { ...o, startByte: from });
      assert.ok(part.equals(whole.subarray(from, from + 8192)));
      assert.ok(part.equals(nodeXts('encrypt', plain.subarray(from, from + 8192), key, o, from)));
    });
  }

  it('works on input that is not 4-byte aligned in memory', () => {
    const key = randomBytes(64);
    const backing = randomBytes(8192 + 1);
    const plain = backing.subarray(1);
    const o: PlainXtsOptions = { sectorSize: 512, ivLargeSectors: false };
    assert.ok(encryptPlainXts(plain, key, o).equals(nodeXts('encrypt', Buffer.from(plain), key, o)));
  });

  it('differs between the IV settings of 4096-byte sectors from the second sector on', () => {
    const key = randomBytes(64);
    const plain = randomBytes(8192);
    const large = encryptPlainXts(plain, key, { sectorSize: 4096, ivLargeSectors: true });
    const small = encryptPlainXts(plain, key, { sectorSize: 4096, ivLargeSectors: false });
    assert.ok(large.subarray(0, 4096).equals(small.subarray(0, 4096)), 'sector 0 has IV 0 either way');
    assert.ok(!large.subarray(4096).equals(small.subarray(4096)));
  });
});

describe('streaming', () => {
  for (const o of geometries) {
    it(`${o.sectorSize}${o.ivLargeSectors ? ' --iv-large-sectors' : ''}: uneven pieces give the same bytes as the one-shot call`, async () => {
      const key = randomBytes(64);
      const plain = randomBytes(3 * plainXtsChunkBytes + 8 * 4096);
      const enc = await collect(encryptPlainXtsStream(Readable.from(unevenPieces(plain)), key, o));
      assert.ok(enc.equals(encryptPlainXts(plain, key, o)));
      const dec = await collect(decryptPlainXtsStream(Readable.from(unevenPieces(enc)), key, o));
      assert.ok(dec.equals(plain));
    });
  }

  it('emits chunks no larger than plainXtsChunkBytes for a single huge input piece', async () => {
    const key = randomBytes(64);
    const plain = randomBytes(4 * plainXtsChunkBytes);
    let largest = 0;
    for await (const c of encryptPlainXtsStream([plain], key, { sectorSize: 4096, ivLargeSectors: true })) largest = Math.max(largest, c.length);
    assert.equal(largest, plainXtsChunkBytes);
  });

  it('rejects a stream that ends inside a sector, saying how many bytes are over', async () => {
    const key = randomBytes(64);
    await assert.rejects(collect(encryptPlainXtsStream([randomBytes(4096 + 100)], key, { sectorSize: 4096, ivLargeSectors: true })), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BERTH_BAD_INPUT');
      assert.match(e.message, /100 bytes into a 4096-byte sector/);
      return true;
    });
  });
});

describe('input checks', () => {
  const o: PlainXtsOptions = { sectorSize: 4096, ivLargeSectors: true };
  it('rejects a length that is not a whole number of sectors, naming the padded length', () => {
    assert.throws(() => encryptPlainXts(Buffer.alloc(5000), randomBytes(64), o), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BERTH_BAD_INPUT');
      assert.match(e.message, /pad it with zeros to 8192 bytes/);
      return true;
    });
  });
  it('rejects a key that is not 64 bytes', () => {
    assert.throws(() => encryptPlainXts(Buffer.alloc(4096), randomBytes(32), o), { code: 'BERTH_BAD_INPUT' });
  });
  it('rejects a key whose halves are equal', () => {
    const half = randomBytes(32);
    assert.throws(() => encryptPlainXts(Buffer.alloc(4096), Buffer.concat([half, half]), o), { code: 'BERTH_BAD_INPUT' });
  });
  it('rejects other sector sizes and unaligned start offsets', () => {
    assert.throws(() => encryptPlainXts(Buffer.alloc(4096), randomBytes(64), { sectorSize: 1024 as 512, ivLargeSectors: false }), { code: 'BERTH_BAD_INPUT' });
    assert.throws(() => encryptPlainXts(Buffer.alloc(4096), randomBytes(64), { ...o, startByte: 512 }), { code: 'BERTH_BAD_INPUT' });
  });
  it('accepts an empty input', () => {
    assert.equal(encryptPlainXts(Buffer.alloc(0), randomBytes(64), o).length, 0);
  });
});
