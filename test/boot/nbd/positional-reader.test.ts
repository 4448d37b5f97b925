/** PositionalReader: small reads on the event loop, large or after-a-slow-read ones in the thread pool, errors either way. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PositionalReader } from '../../../src/boot/nbd/positional-reader.ts';

let dir = '';
let fd = -1;
const content = randomBytes(1024 * 1024);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-nbd-pread-'));
  writeFileSync(join(dir, 'f'), content);
  fd = openSync(join(dir, 'f'), 'r');
});

after(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

function readWith(reader: PositionalReader, position: number, length: number): Promise<{ data: Buffer; inline: boolean; error: Error | null }> {
  return new Promise((resolve) => {
    const into = Buffer.alloc(16 + length);
    let returned = false;
    reader.read(fd, into, 16, length, position, (error) => resolve({ data: into.subarray(16), inline: !returned, error }));
    returned = true;
  });
}

test('a small read happens on the event loop, before read() returns', async () => {
  const reader = new PositionalReader({ slowMs: 1000 });
  const r = await readWith(reader, 4096, 4096);
  assert.equal(r.inline, true);
  assert.equal(r.error, null);
  assert.deepEqual(r.data, content.subarray(4096, 8192));
  assert.deepEqual(reader.counts, { sync: 1, async: 0, slow: 0 });
});

test('a read above syncMaxBytes goes to the thread pool', async () => {
  const reader = new PositionalReader({ syncMaxBytes: 65536 });
  const r = await readWith(reader, 1000, 65537);
  assert.equal(r.inline, false);
  assert.deepEqual(r.data, content.subarray(1000, 66537));
  assert.equal(reader.counts.async, 1);
});

test('after a slow synchronous read, reads go to the thread pool for asyncForMs', async () => {
  const reader = new PositionalReader({ slowMs: -1, asyncForMs: 200 }); // every read counts as slow
  assert.equal((await readWith(reader, 0, 512)).inline, true);
  const next = await readWith(reader, 512, 512);
  assert.equal(next.inline, false);
  assert.deepEqual(next.data, content.subarray(512, 1024));
  await new Promise((r) => setTimeout(r, 250));
  assert.equal((await readWith(reader, 0, 512)).inline, true, 'back on the event loop once the period is over');
  assert.deepEqual(reader.counts, { sync: 2, async: 1, slow: 2 });
});

test('reading past the end of the file is an error, on the event loop and in the thread pool', async () => {
  for (const reader of [new PositionalReader(), new PositionalReader({ syncMaxBytes: 0 })]) {
    const r = await readWith(reader, content.length - 10, 20);
    assert.equal((r.error as NodeJS.ErrnoException | null)?.code, 'ESHORT');
  }
});

test('a bad descriptor is an error, not an exception', async () => {
  const reader = new PositionalReader();
  const error = await new Promise<Error | null>((resolve) => reader.read(999_999, Buffer.alloc(10), 0, 10, 0, resolve));
  assert.equal((error as NodeJS.ErrnoException | null)?.code, 'EBADF');
});
