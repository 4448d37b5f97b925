/** FrameReader: frames across chunk boundaries, zero-copy within one, skipping without storing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader } from '../../../src/boot/nbd/frame-reader.ts';

test('take() waits for the whole frame and consumes nothing before', () => {
  const r = new FrameReader();
  r.push(Buffer.from('abc'));
  assert.equal(r.take(5), undefined);
  assert.equal(r.length, 3);
  r.push(Buffer.from('defg'));
  assert.equal(r.take(5)?.toString(), 'abcde');
  assert.equal(r.take(2)?.toString(), 'fg');
  assert.equal(r.length, 0);
  assert.equal(r.take(1), undefined);
  assert.equal(r.take(0)?.length, 0);
});

test('a frame inside one chunk is a view, not a copy', () => {
  const chunk = Buffer.from('0123456789');
  const r = new FrameReader();
  r.push(chunk);
  const frame = r.take(4)!;
  assert.equal(frame.buffer, chunk.buffer);
});

test('frames spanning many small chunks', () => {
  const r = new FrameReader();
  const text = 'the quick brown fox jumps over the lazy dog';
  for (const c of text) r.push(Buffer.from(c));
  r.push(Buffer.alloc(0));
  assert.equal(r.take(9)?.toString(), 'the quick');
  assert.equal(r.skip(7), 7);
  assert.equal(r.take(text.length - 16)?.toString(), text.slice(16));
});

test('skip() discards what has arrived and says how much', () => {
  const r = new FrameReader();
  r.push(Buffer.alloc(10));
  assert.equal(r.skip(4), 4);
  assert.equal(r.skip(100), 6);
  assert.equal(r.skip(1), 0);
  r.push(Buffer.from('xy'));
  r.clear();
  assert.equal(r.length, 0);
  assert.equal(r.take(1), undefined);
});
