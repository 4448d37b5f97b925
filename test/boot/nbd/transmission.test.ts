/**
 * The request parser on its own: each request type's decision, bounds,
 * limits, write payloads skipped, pipelining, and framing across chunks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader } from '../../../src/boot/nbd/frame-reader.ts';
import { RequestParser, simpleReply, type TransmissionStep } from '../../../src/boot/nbd/transmission.ts';
import { cmd, request, SIMPLE_REPLY_MAGIC } from './client-wire.ts';

const SIZE = 10 * 1024 * 1024 + 123; // not a multiple of anything
const MiB = 1024 * 1024;

function parse(bytes: Buffer, chunk = bytes.length): { steps: TransmissionStep[]; reader: FrameReader; parser: RequestParser } {
  const reader = new FrameReader();
  const parser = new RequestParser(reader, SIZE);
  const steps: TransmissionStep[] = [];
  for (let at = 0; at < bytes.length; at += chunk) {
    reader.push(bytes.subarray(at, at + chunk));
    for (let s = parser.next(); s; s = parser.next()) steps.push(s);
  }
  return { steps, reader, parser };
}

function one(bytes: Buffer): TransmissionStep {
  const { steps } = parse(bytes);
  assert.equal(steps.length, 1, JSON.stringify(steps));
  return steps[0]!;
}

function handleOf(step: TransmissionStep): bigint {
  assert.ok(step.kind === 'read' || step.kind === 'reply');
  return step.handle.readBigUInt64BE(0);
}

test('READ inside the export: a read decision with handle, offset and length', () => {
  const s = one(request(cmd.READ, 0xdeadbeefcafef00dn, 4096, 65536));
  assert.deepEqual({ ...s, handle: handleOf(s) }, { kind: 'read', handle: 0xdeadbeefcafef00dn, offset: 4096, length: 65536 });
  const last = one(request(cmd.READ, 1n, SIZE - 1, 1));
  assert.equal(last.kind, 'read');
  const whole = one(request(cmd.READ, 1n, 0, SIZE));
  assert.equal(whole.kind, 'read');
});

test('READ past the end, of 0 bytes or of more than 32 MiB: EINVAL', () => {
  const cases: [Buffer, string][] = [
    [request(cmd.READ, 1n, SIZE - 1, 2), 'out-of-range'],
    [request(cmd.READ, 1n, SIZE, 1), 'out-of-range'],
    [request(cmd.READ, 1n, 0xffffffffffffffffn, 4096), 'out-of-range'],
    [request(cmd.READ, 1n, 2n ** 53n, 1), 'out-of-range'],
    [request(cmd.READ, 1n, 2n ** 63n - 512n, 512), 'out-of-range'],
    [request(cmd.READ, 1n, 0, 0), 'bad-length'],
    [request(cmd.READ, 1n, 0, 32 * MiB + 1), 'bad-length'],
    [request(cmd.READ, 1n, 0, 0xffffffff), 'bad-length'],
    [request(cmd.READ, 1n, 0, 4096, 1 << 2), 'bad-command-flags'], // DF without structured replies
    [request(cmd.READ, 1n, 0, 4096, 0x8000), 'bad-command-flags'],
  ];
  for (const [bytes, refused] of cases) {
    const s = one(bytes);
    assert.deepEqual(s.kind === 'reply' ? [s.error, s.refused] : s, [22, refused], bytes.toString('hex'));
  }
});

test('READ of exactly 32 MiB is served (the advertised maximum); FUA is tolerated', () => {
  const reader = new FrameReader();
  const parser = new RequestParser(reader, 64 * MiB);
  reader.push(request(cmd.READ, 7n, 0, 32 * MiB, 1));
  assert.equal(parser.next()?.kind, 'read');
});

test('WRITE: payload skipped without being stored, then EPERM; the next request still parses', () => {
  const payload = Buffer.alloc(100_000, 0x55);
  const bytes = Buffer.concat([request(cmd.WRITE, 5n, 0, payload.length), payload, request(cmd.READ, 6n, 0, 512)]);
  for (const chunk of [bytes.length, 4096, 999]) {
    const { steps, reader } = parse(bytes, chunk);
    assert.deepEqual(steps.map((s) => [s.kind, handleOf(s), s.kind === 'reply' ? s.error : 0]), [['reply', 5n, 1], ['read', 6n, 0]]);
    assert.equal(reader.length, 0);
  }
});

test('WRITE announcing more than 32 MiB: hard disconnect', () => {
  const s = one(request(cmd.WRITE, 5n, 0, 32 * MiB + 1));
  assert.equal(s.kind, 'close');
  assert.equal((s as { refused: string }).refused, 'write-too-large');
});

test('TRIM and WRITE_ZEROES: EPERM (read-only); FLUSH: success', () => {
  for (const [type, error] of [[cmd.TRIM, 1], [cmd.WRITE_ZEROES, 1], [cmd.FLUSH, 0]] as const) {
    const s = one(request(type, 9n, 0, type === cmd.FLUSH ? 0 : 4096));
    assert.equal(s.kind, 'reply');
    assert.equal((s as { error: number }).error, error);
  }
});

test('CACHE, BLOCK_STATUS and unknown commands: EINVAL', () => {
  for (const type of [cmd.CACHE, cmd.BLOCK_STATUS, 8, 9, 0xffff]) {
    const s = one(request(type, 9n, 0, 4096));
    assert.deepEqual(s.kind === 'reply' ? [s.error, s.refused] : s, [22, 'unknown-command'], `type ${type}`);
  }
});

test('DISC ends parsing; anything after it is ignored', () => {
  const { steps, parser } = parse(Buffer.concat([request(cmd.READ, 1n, 0, 1), request(cmd.DISC, 2n, 0, 0), request(cmd.READ, 3n, 0, 1)]));
  assert.deepEqual(steps.map((s) => s.kind), ['read', 'disconnect']);
  assert.equal(parser.finished, true);
});

test('a request without NBD_REQUEST_MAGIC: close', () => {
  const bad = request(cmd.READ, 1n, 0, 1);
  bad.writeUInt32BE(0x21e41c71, 0); // extended-header magic, never negotiated
  const { steps } = parse(Buffer.concat([request(cmd.READ, 1n, 0, 1), bad, request(cmd.READ, 3n, 0, 1)]));
  assert.deepEqual(steps.map((s) => s.kind), ['read', 'close']);
});

test('pipelined requests come out in order, however the bytes are split', () => {
  const reqs = Array.from({ length: 50 }, (_, i) => request(i % 7 === 0 ? cmd.FLUSH : cmd.READ, BigInt(i), i * 4096, i % 7 === 0 ? 0 : 4096));
  const bytes = Buffer.concat(reqs);
  const whole = parse(bytes).steps.map(handleOf);
  assert.deepEqual(whole, Array.from({ length: 50 }, (_, i) => BigInt(i)));
  for (const chunk of [1, 5, 27, 28, 29, 1000]) assert.deepEqual(parse(bytes, chunk).steps.map(handleOf), whole, `chunk ${chunk}`);
});

test('simpleReply: magic, error, handle', () => {
  const handle = Buffer.from('0102030405060708', 'hex');
  const r = simpleReply(handle, 22);
  assert.equal(r.length, 16);
  assert.equal(r.readUInt32BE(0), SIMPLE_REPLY_MAGIC);
  assert.equal(r.readUInt32BE(4), 22);
  assert.deepEqual(r.subarray(8), handle);
});
