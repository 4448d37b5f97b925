import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as opt from '../../../src/boot/dhcp/options.ts';
import { DhcpOptions, Option } from '../../../src/boot/dhcp/options.ts';
import { clientMac, parsePacket, serializePacket, type DhcpPacket } from '../../../src/boot/dhcp/packet.ts';
import { DhcpParseError } from '../../../src/boot/dhcp/parse-error.ts';
import { BerthError } from '../../../src/errors.ts';
import { clientBytes, clientPacket, DISCOVER, pxeRom } from './helpers.ts';

const COOKIE = [99, 130, 83, 99];

/** A raw request: header with chaddr, cookie, then the given option bytes; `file`/`sname` optional raw bytes. */
function raw(optionBytes: number[], fields: { file?: number[]; sname?: number[] } = {}): Buffer {
  const b = Buffer.alloc(240 + optionBytes.length);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  Buffer.from('525400123456', 'hex').copy(b, 28);
  Buffer.from(fields.sname ?? []).copy(b, 44);
  Buffer.from(fields.file ?? []).copy(b, 108);
  Buffer.from(COOKIE).copy(b, 236);
  Buffer.from(optionBytes).copy(b, 240);
  return b;
}

function expectParseError(buf: Buffer, reason: string): void {
  assert.throws(() => parsePacket(buf), (e: unknown) => e instanceof DhcpParseError && e instanceof BerthError && e.reason === reason && e.code === 'BERTH_BAD_INPUT');
}

test('a client message survives serialize → parse with every field and option', () => {
  const p = clientPacket(DISCOVER, { ...pxeRom('52:54:00:12:34:56'), giaddr: '10.9.0.1', ciaddr: '0.0.0.0', maxMessageSize: 1500, parameterList: [1, 3, 67], relayInfo: Buffer.from([1, 2, 0xaa, 0xbb, 2, 1, 7]) });
  p.file = 'hello.efi';
  p.sname = 'srv';
  const back = parsePacket(serializePacket(p).bytes);
  assert.equal(clientMac(back), '52:54:00:12:34:56');
  assert.equal(back.xid, p.xid);
  assert.equal(back.giaddr, '10.9.0.1');
  assert.equal(back.file, 'hello.efi');
  assert.equal(back.sname, 'srv');
  assert.deepEqual(back.options.codes().sort((a, b) => a - b), p.options.codes().sort((a, b) => a - b));
  for (const code of p.options.codes()) assert.deepEqual(back.options.get(code), p.options.get(code), `option ${code}`);
  assert.equal(opt.messageType(back.options), DISCOVER);
  assert.deepEqual(opt.clientArch(back.options), [0]);
  assert.deepEqual(opt.clientNdi(back.options), { type: 1, major: 3, minor: 16 });
  assert.equal(opt.maxMessageSize(back.options), 1500);
  assert.deepEqual(opt.parameterList(back.options), [1, 3, 67]);
  assert.deepEqual(opt.relayAgentInfo(back.options), { raw: Buffer.from([1, 2, 0xaa, 0xbb, 2, 1, 7]), circuitId: 'aabb', remoteId: '07' });
});

test('messages are at least 300 bytes (RFC 1542) and start with the magic cookie', () => {
  const bytes = clientBytes(DISCOVER, { mac: '52:54:00:00:00:01' });
  assert.equal(bytes.length, 300);
  assert.deepEqual([...bytes.subarray(236, 240)], COOKIE);
});

test('RFC 3396: split instances are concatenated on parse, long values split on serialize', () => {
  // Neither instance is a valid RFC 3004 list on its own; together they are.
  const p = parsePacket(raw([77, 3, 1, 0x61, 1, 53, 1, 1, 77, 3, 0x62, 1, 0x63, 255]));
  assert.deepEqual(opt.userClass(p.options), ['a', 'b', 'c']);

  const long = Buffer.alloc(600, 7);
  const q = clientPacket(DISCOVER, { mac: '52:54:00:00:00:02', maxMessageSize: 1500 });
  q.options.set(224, long);
  const bytes = serializePacket(q, { maxMessageSize: 1500 }).bytes;
  assert.deepEqual(parsePacket(bytes).options.get(224), long);
});

test('option 52 overload: options continue in file, then sname (RFC 3396 §7 order)', () => {
  const buf = raw([53, 1, 1, 52, 1, 3, 60, 1, 0x41, 255], { file: [60, 1, 0x42, 12, 2, 0x68, 0x69, 255], sname: [60, 1, 0x43, 255] });
  const p = parsePacket(buf);
  assert.equal(opt.vendorClass(p.options), 'ABC');
  assert.equal(p.options.get(Option.hostname)?.toString(), 'hi');
  assert.equal(p.file, '');
  assert.equal(p.sname, '');
  assert.equal(p.options.has(Option.overload), false);
});

test('serializer keeps to the client maximum and overloads only when allowed', () => {
  const build = () => {
    const p = clientPacket(DISCOVER, { mac: '52:54:00:00:00:03' });
    p.op = 2;
    for (let code = 200; code < 212; code++) p.options.set(code, Buffer.alloc(30, code));
    return p;
  };
  const plain = serializePacket(build(), { maxMessageSize: 576 });
  assert.ok(plain.bytes.length <= 548);
  assert.ok(plain.omitted.length > 0, 'some options must be left out without overload');
  const parsedPlain = parsePacket(plain.bytes);
  for (const code of plain.omitted) assert.equal(parsedPlain.options.has(code), false);
  assert.equal(parsedPlain.options.has(Option.messageType), true);

  const overloaded = serializePacket(build(), { maxMessageSize: 576, allowOverload: true });
  assert.ok(overloaded.bytes.length <= 548);
  assert.ok(overloaded.omitted.length < plain.omitted.length);
  const back = parsePacket(overloaded.bytes);
  for (let code = 200; code < 212; code++) if (!overloaded.omitted.includes(code)) assert.deepEqual(back.options.get(code), Buffer.alloc(30, code));

  const withFile = build();
  withFile.file = 'undionly.kpxe';
  const keepsFile = serializePacket(withFile, { maxMessageSize: 576, allowOverload: true });
  assert.equal(parsePacket(keepsFile.bytes).file, 'undionly.kpxe', 'a boot file field is never overloaded');
});

test('a boot file longer than the file field travels as option 67', () => {
  const p = clientPacket(DISCOVER, { mac: '52:54:00:00:00:04' });
  const url = `http://10.0.0.1:8080/boot/ipxe/${'x'.repeat(150)}`;
  p.file = url;
  const back = parsePacket(serializePacket(p).bytes);
  assert.equal(back.options.get(67)?.toString(), url);
});

test('zero-length options and pads are accepted', () => {
  const p = parsePacket(raw([0, 0, 80, 0, 53, 1, 3, 0, 124, 0, 255]));
  assert.equal(p.options.get(80)?.length, 0);
  assert.equal(p.options.get(124)?.length, 0);
  assert.equal(opt.messageType(p.options), 3);
});

test('malformed packets fail with a DhcpParseError naming the problem', () => {
  expectParseError(Buffer.alloc(100), 'truncated-header');
  expectParseError(Buffer.alloc(300), 'no-magic-cookie');
  expectParseError(raw([53, 1]), 'option-overrun');
  expectParseError(raw([53]), 'truncated-option');
  expectParseError(raw([53, 5, 1]), 'option-overrun');
  expectParseError(raw([52, 1, 4, 255]), 'bad-overload');
  expectParseError(raw([52, 2, 1, 1, 255]), 'bad-overload');
  expectParseError(raw([52, 1, 1, 255], { file: [52, 1, 2, 255] }), 'bad-overload');
  expectParseError(raw([52, 1, 1, 255], { file: [60, 200, 1] }), 'option-overrun');
  const wide = raw([255]);
  wide[2] = 17;
  expectParseError(wide, 'bad-hlen');
});

test('every truncation of a valid packet parses or fails cleanly, never reading past the end', () => {
  const full = clientBytes(DISCOVER, { ...pxeRom('52:54:00:00:00:05'), userClass: 'iPXE', relayInfo: Buffer.from([1, 1, 9]) });
  for (let n = 0; n <= full.length; n++) {
    try {
      parsePacket(full.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof DhcpParseError, `length ${n}: ${String(e)}`);
    }
  }
});

test('option 97 is type 0 + 16 bytes, first three fields little-endian like dmidecode shows them', () => {
  const o = new DhcpOptions().set(Option.clientUuid, Buffer.from('0033221100554477668899aabbccddeeff', 'hex'));
  assert.equal(opt.clientUuid(o), '00112233-4455-6677-8899-aabbccddeeff');
  assert.throws(() => opt.clientUuid(new DhcpOptions().set(Option.clientUuid, Buffer.alloc(16))), DhcpParseError);
  assert.throws(() => opt.clientUuid(new DhcpOptions().set(Option.clientUuid, Buffer.from([1, ...Buffer.alloc(16)]))), DhcpParseError);
});

test('option 77 is read as RFC 3004 or as iPXE\'s plain string', () => {
  assert.deepEqual(opt.userClass(new DhcpOptions().set(Option.userClass, Buffer.from('iPXE'))), ['iPXE']);
  assert.deepEqual(opt.userClass(new DhcpOptions().set(Option.userClass, Buffer.from([4, ...Buffer.from('iPXE'), 3, ...Buffer.from('foo')]))), ['iPXE', 'foo']);
  assert.deepEqual(opt.userClass(new DhcpOptions()), []);
});

test('typed accessors reject wrong lengths and read the rest', () => {
  const o = new DhcpOptions()
    .set(Option.requestedAddress, Buffer.from([10, 0, 0, 7]))
    .set(Option.serverId, Buffer.from([10, 0, 0, 1]))
    .set(Option.leaseTime, Buffer.from([0, 0, 14, 16]))
    .set(Option.clientId, Buffer.from([1, 2, 3]))
    .set(Option.clientArch, Buffer.from([0, 7, 0, 16]))
    .set(Option.ipxe, Buffer.from([19, 1, 1, 23, 1, 1, 255]));
  assert.equal(opt.requestedAddress(o), '10.0.0.7');
  assert.equal(opt.serverId(o), '10.0.0.1');
  assert.equal(opt.leaseTime(o), 3600);
  assert.deepEqual(opt.clientId(o), Buffer.from([1, 2, 3]));
  assert.deepEqual(opt.clientArch(o), [7, 16]);
  assert.deepEqual([...opt.ipxeOptions(o)!.keys()], [19, 23]);
  o.set(Option.messageType, Buffer.from([1, 2]));
  assert.throws(() => opt.messageType(o), (e: unknown) => e instanceof DhcpParseError && e.reason === 'malformed-option-53');
  o.set(Option.clientArch, Buffer.from([0]));
  assert.throws(() => opt.clientArch(o), DhcpParseError);
});

test('parsing copies: mutating the input buffer later does not change a parsed packet', () => {
  const buf = clientBytes(DISCOVER, { mac: '52:54:00:00:00:06', vendorClass: 'PXEClient' });
  const p: DhcpPacket = parsePacket(buf);
  buf.fill(0);
  assert.equal(opt.vendorClass(p.options), 'PXEClient');
  assert.equal(clientMac(p), '52:54:00:00:00:06');
});
