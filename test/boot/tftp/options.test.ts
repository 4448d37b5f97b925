import assert from 'node:assert/strict';
import { test } from 'node:test';
import { negotiateOptions } from '../../../src/boot/tftp/options.ts';

const opts = (...pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));

test('no options: RFC 1350 defaults and no OACK', () => {
  assert.deepEqual(negotiateOptions([], 100), { blksize: 512, windowsize: 1, acknowledged: [] });
});

test('valid blksize, tsize, timeout and windowsize are acknowledged in request order', () => {
  const n = negotiateOptions(opts(['tsize', '0'], ['blksize', '1468'], ['timeout', '3'], ['windowsize', '8']), 850528);
  assert.equal(n.blksize, 1468);
  assert.equal(n.windowsize, 8);
  assert.equal(n.timeoutSeconds, 3);
  assert.deepEqual(n.acknowledged, opts(['tsize', '850528'], ['blksize', '1468'], ['timeout', '3'], ['windowsize', '8']));
});

test('blksize: below 8 or not a number is not acknowledged; above the maximum is lowered (RFC 2348)', () => {
  for (const bad of ['7', '0', '', 'abc', '-512', '0x200', '1e3', ' 512', '99999999999']) {
    const n = negotiateOptions(opts(['blksize', bad]), 10);
    assert.equal(n.blksize, 512, bad);
    assert.deepEqual(n.acknowledged, [], bad);
  }
  assert.deepEqual(negotiateOptions(opts(['blksize', '8']), 10).acknowledged, opts(['blksize', '8']));
  assert.deepEqual(negotiateOptions(opts(['blksize', '65464']), 10).acknowledged, opts(['blksize', '65464']));
  assert.deepEqual(negotiateOptions(opts(['blksize', '65465']), 10).acknowledged, opts(['blksize', '65464']));
  const limited = negotiateOptions(opts(['blksize', '9000']), 10, { maxBlksize: 1468, maxWindowsize: 64, maxWindowBytes: 1 << 20 });
  assert.equal(limited.blksize, 1468);
  assert.deepEqual(limited.acknowledged, opts(['blksize', '1468']));
});

test('timeout outside 1..255 is not acknowledged (RFC 2349)', () => {
  for (const bad of ['0', '256', 'x']) assert.deepEqual(negotiateOptions(opts(['timeout', bad]), 1).acknowledged, [], bad);
  assert.equal(negotiateOptions(opts(['timeout', '255']), 1).timeoutSeconds, 255);
});

test('windowsize outside 1..65535 is not acknowledged; large ones are lowered to the cap (RFC 7440)', () => {
  for (const bad of ['0', '65536', 'x']) assert.deepEqual(negotiateOptions(opts(['windowsize', bad]), 1).acknowledged, [], bad);
  assert.equal(negotiateOptions(opts(['windowsize', '65535']), 1).windowsize, 64);
  // The byte cap depends on blksize even when blksize comes after windowsize.
  const n = negotiateOptions(opts(['windowsize', '64'], ['blksize', '65464']), 1);
  assert.equal(n.windowsize, 16);
  assert.deepEqual(n.acknowledged, opts(['windowsize', '16'], ['blksize', '65464']));
});

test('unknown options are ignored and a repeated option counts once', () => {
  const n = negotiateOptions(opts(['utimeout', '1000'], ['multicast', ''], ['blksize', '1024'], ['blksize', '2048']), 5);
  assert.equal(n.blksize, 1024);
  assert.deepEqual(n.acknowledged, opts(['blksize', '1024']));
});

test('tsize answers the file size whatever the client sent', () => {
  assert.deepEqual(negotiateOptions(opts(['tsize', '0']), 0).acknowledged, opts(['tsize', '0']));
  assert.deepEqual(negotiateOptions(opts(['tsize', '12345']), 7).acknowledged, opts(['tsize', '7']));
  assert.deepEqual(negotiateOptions(opts(['tsize', 'big']), 7).acknowledged, []);
});
