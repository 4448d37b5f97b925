/** ReplyBuffers: reuse by exact size, within its limits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplyBuffers } from '../../../src/boot/nbd/reply-buffers.ts';

test('a buffer given back is handed out again for the same size only', () => {
  const pool = new ReplyBuffers();
  const a = pool.take(4112);
  assert.equal(a.length, 4112);
  pool.give(a);
  assert.equal(pool.bytes, 4112);
  assert.notEqual(pool.take(8208), a);
  assert.equal(pool.take(4112), a);
  assert.equal(pool.bytes, 0);
  assert.notEqual(pool.take(4112), a);
});

test('at most maxPerSize buffers of a size and maxBytes in all are kept', () => {
  const pool = new ReplyBuffers({ maxPerSize: 2, maxBytes: 10_000 });
  for (let i = 0; i < 5; i++) pool.give(Buffer.alloc(100));
  assert.equal(pool.bytes, 200);
  pool.give(Buffer.alloc(9_000));
  pool.give(Buffer.alloc(2_000));
  assert.equal(pool.bytes, 9_200);
});
