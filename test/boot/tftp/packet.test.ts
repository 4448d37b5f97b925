import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import {
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodePacket,
  encodeRequest,
  parsePacket,
  TftpPacketError,
  type TftpPacket,
} from '../../../src/boot/tftp/packet.ts';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

test('every packet type survives encode → parse', () => {
  const packets: TftpPacket[] = [
    { opcode: 'rrq', filename: 'pxelinux.cfg/01-aa-bb-cc-dd-ee-ff', mode: 'octet', options: [] },
    { opcode: 'rrq', filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '4' }] },
    { opcode: 'wrq', filename: 'upload.bin', mode: 'netascii', options: [{ name: 'timeout', value: '3' }] },
    { opcode: 'rrq', filename: 'grub/ünïcode.cfg', mode: 'octet', options: [] },
    { opcode: 'data', block: 65535, data: new Uint8Array([1, 2, 3]) },
    { opcode: 'data', block: 0, data: new Uint8Array(0) },
    { opcode: 'ack', block: 0 },
    { opcode: 'ack', block: 65535 },
    { opcode: 'error', code: 1, message: 'file not found' },
    { opcode: 'oack', options: [{ name: 'blksize', value: '512' }] },
  ];
  for (const p of packets) {
    const parsed = parsePacket(encodePacket(p));
    if (p.opcode === 'data' && parsed.opcode === 'data') {
      assert.equal(parsed.block, p.block);
      assert.deepEqual([...parsed.data], [...p.data]);
    } else {
      assert.deepEqual(parsed, p);
    }
  }
});

test('RRQ wire format matches RFC 1350 byte for byte', () => {
  assert.deepEqual(encodeRequest({ opcode: 'rrq', filename: 'a', mode: 'octet' }), bytes([0, 1], 'a', [0], 'octet', [0]));
  assert.deepEqual(encodeAck(258), Buffer.from([0, 4, 1, 2]));
  assert.deepEqual(encodeData(1, Buffer.from('hi')), bytes([0, 3, 0, 1], 'hi'));
  assert.deepEqual(encodeError(2, 'nope'), bytes([0, 5, 0, 2], 'nope', [0]));
  assert.deepEqual(encodeOack([{ name: 'tsize', value: '10' }]), bytes([0, 6], 'tsize', [0], '10', [0]));
});

test('mode and option names are case-insensitive (RFC 1350, RFC 2347)', () => {
  const p = parsePacket(bytes([0, 1], 'f', [0], 'OcTeT', [0], 'BLKSIZE', [0], '1024', [0]));
  assert.equal(p.opcode, 'rrq');
  if (p.opcode !== 'rrq') return;
  assert.equal(p.mode, 'octet');
  assert.deepEqual(p.options, [{ name: 'blksize', value: '1024' }]);
});

test('trailing padding and an incomplete last option are ignored, not fatal', () => {
  const p = parsePacket(bytes([0, 1], 'f', [0], 'octet', [0], 'tsize', [0], '0', [0], [0, 0, 0], 'blksize'));
  assert.equal(p.opcode, 'rrq');
  if (p.opcode === 'rrq') assert.deepEqual(p.options, [{ name: 'tsize', value: '0' }]);
  const q = parsePacket(bytes([0, 1], 'f', [0], 'octet', [0], 'blksize', [0], '1468'));
  if (q.opcode === 'rrq') assert.deepEqual(q.options, []);
});

test('malformed packets raise TftpPacketError with the byte offset', () => {
  const cases: [Buffer, RegExp, number][] = [
    [Buffer.from([]), /too short/, 0],
    [Buffer.from([0]), /too short/, 0],
    [Buffer.from([0, 9]), /unknown TFTP opcode 9/, 0],
    [Buffer.from([0, 1]), /file name is not terminated/, 2],
    [bytes([0, 1], 'file'), /file name is not terminated/, 6],
    [bytes([0, 1], [0], 'octet', [0]), /empty file name/, 2],
    [bytes([0, 1], 'file', [0], 'octet'), /transfer mode is not terminated/, 12],
    [bytes([0, 1], 'file', [0], 'binary', [0]), /unknown transfer mode "binary"/, 7],
    [bytes([0, 1], [0xff, 0xfe], [0], 'octet', [0]), /not valid UTF-8/, 2],
    [Buffer.from([0, 3, 0]), /no block number/, 3],
    [Buffer.from([0, 4, 1]), /no block number/, 3],
    [Buffer.from([0, 5, 0]), /no error code/, 3],
    [Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.alloc(65465)]), /exceeds 65464/, 4],
  ];
  for (const [input, message, offset] of cases) {
    assert.throws(
      () => parsePacket(input),
      (e: unknown) => {
        assert.ok(e instanceof TftpPacketError && e instanceof BerthError, `not a TftpPacketError: ${String(e)}`);
        assert.equal(e.code, 'BERTH_BAD_INPUT');
        assert.match(e.message, message);
        assert.equal(e.offset, offset, `offset for ${e.message}`);
        assert.equal(e.where.column, offset + 1);
        return true;
      },
    );
  }
});

test('parsing a view into a larger buffer never reads outside the view', () => {
  const big = bytes([0, 1], 'outside', [0], 'octet', [0]);
  const view = big.subarray(0, 9); // "\0\1outside" without its NUL
  assert.throws(() => parsePacket(view), /not terminated/);
  const ackView = Buffer.from([9, 9, 0, 4, 0, 7, 9]).subarray(2, 6);
  assert.deepEqual(parsePacket(ackView), { opcode: 'ack', block: 7 });
});

test('ERROR messages sent are printable ASCII and bounded', () => {
  const p = parsePacket(encodeError(0, 'bad\nname é' + 'x'.repeat(1000)));
  assert.equal(p.opcode, 'error');
  if (p.opcode === 'error') {
    assert.match(p.message, /^bad\?name \?x+$/);
    assert.ok(p.message.length <= 400);
  }
  // An ERROR without its final NUL still parses (the message is informational).
  assert.deepEqual(parsePacket(bytes([0, 5, 0, 8], 'refused')), { opcode: 'error', code: 8, message: 'refused' });
});
