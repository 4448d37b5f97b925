import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, prefixUpperBound } from '../../src/store/key-order.ts';

/** Code points from the places where UTF-16 and UTF-8 order, or bounds, go wrong. */
const interesting = [0x01, 0x2f, 0x30, 0x41, 0x61, 0x7f, 0x80, 0xff, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10fffe, 0x10ffff];

function randomKey(random: () => number): string {
  const length = Math.floor(random() * 4);
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCodePoint(interesting[Math.floor(random() * interesting.length)]!);
  return s;
}

/** Small deterministic PRNG so a failure reproduces. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const utf8Compare = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('key order', () => {
  it('compareKeys agrees with UTF-8 byte order', () => {
    const random = mulberry32(1);
    for (let i = 0; i < 20_000; i++) {
      const a = randomKey(random);
      const b = randomKey(random);
      assert.equal(Math.sign(compareKeys(a, b)), utf8Compare(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it('prefixUpperBound bounds exactly the keys with the prefix', () => {
    const random = mulberry32(2);
    for (let i = 0; i < 5_000; i++) {
      const prefix = randomKey(random);
      const bound = prefixUpperBound(prefix);
      for (let j = 0; j < 20; j++) {
        const key = random() < 0.5 ? prefix + randomKey(random) : randomKey(random);
        const inRange = utf8Compare(key, prefix) >= 0 && (bound === undefined || utf8Compare(key, bound) < 0);
        assert.equal(inRange, key.startsWith(prefix), `key ${JSON.stringify(key)} prefix ${JSON.stringify(prefix)}`);
      }
    }
  });

  it('has no bound only when nothing can follow', () => {
    assert.equal(prefixUpperBound(''), undefined);
    assert.equal(prefixUpperBound('\u{10FFFF}\u{10FFFF}'), undefined);
    assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
    assert.equal(prefixUpperBound('\uD7FF'), '\uE000', 'steps over the surrogate range');
    assert.equal(prefixUpperBound('a\uFFFF'), 'a\u{10000}');
  });
});
