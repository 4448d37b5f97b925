/**
 * The option haggling state machine on its own: bytes in, steps out, exports
 * answered by the test. Covers every option berth knows, the limits, and
 * that the outcome does not depend on how TCP splits the bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader } from '../../../src/boot/nbd/frame-reader.ts';
import { greeting, Handshake, type ExportDescription, type HandshakeStep } from '../../../src/boot/nbd/handshake.ts';
import { clientFlags, goData, info, IHAVEOPT, NBDMAGIC, opt, option, parseOptionReplies, rep } from './client-wire.ts';

const exports = new Map<string, ExportDescription>([
  ['debian-12@3', { name: 'debian-12@3', size: 221 * 1024 * 1024, description: 'Debian 12, version 3' }],
  ['', { name: 'default', size: 4096 }],
]);

/** Feeds `bytes` (in chunks of `chunk`) and answers lookups from `exports`; returns every step. */
function run(bytes: Buffer, opts: { canList?: boolean; chunk?: number; maxOptions?: number } = {}): { steps: HandshakeStep[]; reader: FrameReader; machine: Handshake } {
  const reader = new FrameReader();
  const machine = new Handshake(reader, { canList: opts.canList ?? true, ...(opts.maxOptions ? { maxOptions: opts.maxOptions } : {}) });
  const steps: HandshakeStep[] = [];
  const chunk = opts.chunk ?? bytes.length;
  const handle = (step: HandshakeStep) => {
    steps.push(step);
    if (step.kind === 'lookup') {
      const found = exports.get(step.name);
      handle(found ? machine.exportFound(found) : machine.exportMissing('unknown-export', `no export named "${step.name}"`));
    } else if (step.kind === 'list') {
      handle(machine.exportsListed([...exports.values()]));
    }
  };
  for (let at = 0; at < bytes.length || at === 0; at += chunk) {
    reader.push(bytes.subarray(at, at + chunk));
    for (let step = machine.next(); step; step = machine.next()) handle(step);
    if (bytes.length === 0) break;
  }
  return { steps, reader, machine };
}

const fixed = clientFlags(1);
const fixedNoZeroes = clientFlags(3);

function replies(steps: HandshakeStep[]) {
  return steps.flatMap((s) => (s.kind === 'reply' ? parseOptionReplies(s.bytes) : s.kind === 'transmission' && s.via === 'go' ? parseOptionReplies(s.bytes) : []));
}

test('greeting: NBDMAGIC, IHAVEOPT, fixed newstyle and no-zeroes offered', () => {
  const g = greeting();
  assert.equal(g.length, 18);
  assert.equal(g.readBigUInt64BE(0), NBDMAGIC);
  assert.equal(g.readBigUInt64BE(8), IHAVEOPT);
  assert.equal(g.readUInt16BE(16), 0b11);
});

test('a client without NBD_FLAG_C_FIXED_NEWSTYLE is closed, not served', () => {
  const { steps } = run(Buffer.concat([clientFlags(0), option(opt.EXPORT_NAME, Buffer.from('debian-12@3'))]));
  assert.equal(steps.length, 1);
  assert.deepEqual({ kind: steps[0]!.kind, refused: (steps[0] as { refused?: string }).refused }, { kind: 'close', refused: 'not-fixed-newstyle' });
});

test('unknown client flags close the connection (the spec says MUST)', () => {
  for (const flags of [1 | 4, 0x80000001, 0xffffffff]) {
    const { steps } = run(clientFlags(flags));
    assert.equal(steps[0]?.kind, 'close');
    assert.equal((steps[0] as { refused?: string }).refused, 'unknown-client-flags');
  }
});

test('NBD_OPT_GO: INFO_EXPORT, INFO_BLOCK_SIZE, then ACK and the transmission phase', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.GO, goData('debian-12@3', [info.BLOCK_SIZE]))]));
  const last = steps.at(-1)!;
  assert.equal(last.kind, 'transmission');
  if (last.kind !== 'transmission') return;
  assert.equal(last.via, 'go');
  assert.equal(last.export.size, 221 * 1024 * 1024);
  const r = parseOptionReplies(last.bytes);
  assert.deepEqual(r.map((x) => x.type), [rep.INFO, rep.INFO, rep.ACK]);
  assert.ok(r.every((x) => x.option === opt.GO));
  const exportInfo = r.find((x) => x.data.readUInt16BE(0) === info.EXPORT)!.data;
  assert.equal(exportInfo.length, 12);
  assert.equal(Number(exportInfo.readBigUInt64BE(2)), 221 * 1024 * 1024);
  // HAS_FLAGS | READ_ONLY | CAN_MULTI_CONN; no SEND_FLUSH, TRIM, WRITE_ZEROES, DF.
  assert.equal(exportInfo.readUInt16BE(10), 0x0103);
  const sizes = r.find((x) => x.data.readUInt16BE(0) === info.BLOCK_SIZE)!.data;
  assert.deepEqual([sizes.readUInt32BE(2), sizes.readUInt32BE(6), sizes.readUInt32BE(10)], [1, 4096, 32 * 1024 * 1024]);
});

test('NBD_OPT_GO with NAME and DESCRIPTION requests gets them', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.GO, goData('debian-12@3', [info.NAME, info.DESCRIPTION, 999]))]));
  const r = replies(steps);
  const byType = new Map(r.filter((x) => x.type === rep.INFO).map((x) => [x.data.readUInt16BE(0), x.data.subarray(2).toString()]));
  assert.equal(byType.get(info.NAME), 'debian-12@3');
  assert.equal(byType.get(info.DESCRIPTION), 'Debian 12, version 3');
  assert.equal(r.at(-1)!.type, rep.ACK);
});

test('NBD_OPT_INFO answers like GO but stays in negotiation; GO can follow', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.INFO, goData('debian-12@3')), option(opt.GO, goData('debian-12@3'))]));
  assert.deepEqual(steps.map((s) => s.kind), ['lookup', 'reply', 'lookup', 'transmission']);
  assert.equal(parseOptionReplies((steps[1] as { bytes: Buffer }).bytes).at(-1)!.type, rep.ACK);
});

test('unknown export: NBD_REP_ERR_UNKNOWN with a message, and negotiation goes on', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.GO, goData('nope')), option(opt.GO, goData('debian-12@3'))]));
  assert.deepEqual(steps.map((s) => s.kind), ['lookup', 'reply', 'lookup', 'transmission']);
  const err = parseOptionReplies((steps[1] as { bytes: Buffer }).bytes);
  assert.equal(err.length, 1);
  assert.equal(err[0]!.type, rep.ERR_UNKNOWN);
  assert.match(err[0]!.data.toString(), /nope/);
  assert.equal((steps[1] as { refused?: string }).refused, 'unknown-export');
});

test('the empty name asks for the default export', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.GO, goData(''))]));
  assert.equal(steps.at(-1)!.kind, 'transmission');
  assert.equal((steps.at(-1) as { export: ExportDescription }).export.name, 'default');
});

test('NBD_OPT_EXPORT_NAME: size, flags and 124 zeroes; none with NO_ZEROES', () => {
  for (const [flags, length] of [[fixed, 134], [fixedNoZeroes, 10]] as const) {
    const { steps } = run(Buffer.concat([flags, option(opt.EXPORT_NAME, Buffer.from('debian-12@3'))]));
    const last = steps.at(-1)!;
    assert.equal(last.kind, 'transmission');
    if (last.kind !== 'transmission') return;
    assert.equal(last.via, 'export-name');
    assert.equal(last.bytes.length, length);
    assert.equal(Number(last.bytes.readBigUInt64BE(0)), 221 * 1024 * 1024);
    assert.equal(last.bytes.readUInt16BE(8), 0x0103);
    assert.ok(last.bytes.subarray(10).every((b) => b === 0));
  }
});

test('NBD_OPT_EXPORT_NAME of an unknown export closes (no error reply exists for it)', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.EXPORT_NAME, Buffer.from('nope'))]));
  assert.deepEqual(steps.map((s) => s.kind), ['lookup', 'close']);
  assert.equal((steps[1] as { refused?: string }).refused, 'unknown-export');
  assert.equal((steps[1] as { bytes?: Buffer }).bytes, undefined);
});

test('NBD_OPT_LIST: one NBD_REP_SERVER per export with its description, then ACK', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.LIST)]));
  const r = replies(steps);
  assert.deepEqual(r.map((x) => x.type), [rep.SERVER, rep.SERVER, rep.ACK]);
  const first = r[0]!.data;
  const nameLength = first.readUInt32BE(0);
  assert.equal(first.subarray(4, 4 + nameLength).toString(), 'debian-12@3');
  assert.equal(first.subarray(4 + nameLength).toString(), 'Debian 12, version 3');
});

test('NBD_OPT_LIST without a lister: NBD_REP_ERR_POLICY; with data: NBD_REP_ERR_INVALID', () => {
  const off = run(Buffer.concat([fixed, option(opt.LIST)]), { canList: false });
  assert.equal(replies(off.steps)[0]!.type, rep.ERR_POLICY);
  assert.equal((off.steps[0] as { refused?: string }).refused, 'list-disabled');
  const withData = run(Buffer.concat([fixed, option(opt.LIST, Buffer.from('x'))]));
  assert.equal(replies(withData.steps)[0]!.type, rep.ERR_INVALID);
});

test('STRUCTURED_REPLY, STARTTLS, meta contexts, extended headers and unknown options: NBD_REP_ERR_UNSUP', () => {
  for (const code of [opt.STRUCTURED_REPLY, opt.STARTTLS, opt.LIST_META_CONTEXT, opt.SET_META_CONTEXT, opt.EXTENDED_HEADERS, 4, 12, 0, 0xffffffff]) {
    const { steps } = run(Buffer.concat([fixed, option(code, Buffer.from('abc')), option(opt.GO, goData('debian-12@3'))]));
    const r = parseOptionReplies((steps[0] as { bytes: Buffer }).bytes);
    assert.equal(r[0]!.type, rep.ERR_UNSUP, `option ${code}`);
    assert.equal(r[0]!.option, code >>> 0);
    assert.equal(steps.at(-1)!.kind, 'transmission', 'negotiation continues after an unsupported option');
  }
});

test('NBD_OPT_ABORT: ACK, then close', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.ABORT)]));
  assert.equal(steps.length, 1);
  const s = steps[0]!;
  assert.equal(s.kind, 'close');
  if (s.kind !== 'close') return;
  assert.equal(s.refused, undefined);
  assert.deepEqual(parseOptionReplies(s.bytes!).map((x) => [x.option, x.type]), [[opt.ABORT, rep.ACK]]);
});

test('malformed GO payloads: NBD_REP_ERR_INVALID', () => {
  const bad = [
    Buffer.alloc(0),
    Buffer.from([0, 0, 0, 1, 0x61]), // shorter than 6 bytes
    Buffer.from([0, 0, 0, 9, 0x61, 0, 0]), // name length runs past the data
    Buffer.from([0, 0, 0, 1, 0x61, 0, 2, 0, 1]), // says 2 info requests, carries 1
    Buffer.from([0, 0, 0, 1, 0x00, 0, 0]), // NUL in the name
    Buffer.from([0, 0, 0, 2, 0xc3, 0x28, 0, 0]), // not UTF-8
  ];
  for (const data of bad) {
    const { steps } = run(Buffer.concat([fixed, option(opt.GO, data)]));
    assert.equal(steps.length, 1);
    assert.equal(replies(steps)[0]!.type, rep.ERR_INVALID, data.toString('hex'));
    assert.equal((steps[0] as { refused?: string }).refused, 'invalid-option');
  }
});

test('an option payload above 4 KiB is skipped without being stored and answered NBD_REP_ERR_TOO_BIG', () => {
  const reader = new FrameReader();
  const machine = new Handshake(reader, { canList: true });
  const announced = 3_000_000_000; // what a hostile client claims; berth must not allocate it
  reader.push(Buffer.concat([fixed, option(opt.GO, Buffer.alloc(0), announced)]));
  assert.equal(machine.next(), undefined);
  const chunk = Buffer.alloc(1 << 20, 0x41);
  let step: HandshakeStep | undefined;
  for (let left = announced; left > 0; left -= chunk.length) {
    reader.push(chunk.subarray(0, Math.min(left, chunk.length)));
    step = machine.next();
    assert.equal(reader.length, 0, 'payload bytes are discarded as they arrive');
    if (left > chunk.length) assert.equal(step, undefined);
  }
  assert.equal(step?.kind, 'reply');
  assert.equal(replies([step!])[0]!.type, rep.ERR_TOO_BIG);
  assert.equal((step as { refused?: string }).refused, 'option-too-large');
  // Negotiation continues after it.
  reader.push(option(opt.GO, goData('debian-12@3')));
  assert.equal(machine.next()?.kind, 'lookup');
});

test('NBD_OPT_EXPORT_NAME with a name above 4 KiB closes at once', () => {
  const { steps } = run(Buffer.concat([fixed, option(opt.EXPORT_NAME, Buffer.alloc(0), 5000)]));
  assert.equal(steps[0]?.kind, 'close');
  assert.equal((steps[0] as { refused?: string }).refused, 'option-too-large');
});

test('an option without IHAVEOPT (oldstyle or not NBD at all) closes', () => {
  const { steps } = run(Buffer.concat([fixed, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]));
  assert.equal(steps[0]?.kind, 'close');
  assert.equal((steps[0] as { refused?: string }).refused, 'bad-option-magic');
});

test('more options than maxOptions: hard disconnect', () => {
  const many = Buffer.concat(Array.from({ length: 11 }, () => option(opt.STRUCTURED_REPLY)));
  const { steps } = run(Buffer.concat([fixed, many]), { maxOptions: 10 });
  assert.equal(steps.length, 11);
  assert.equal(steps.at(-1)!.kind, 'close');
  assert.equal((steps.at(-1) as { refused?: string }).refused, 'too-many-options');
});

test('the same session split at every byte gives the same steps', () => {
  const session = Buffer.concat([
    fixedNoZeroes,
    option(opt.STRUCTURED_REPLY),
    option(opt.LIST),
    option(opt.INFO, goData('nope', [info.BLOCK_SIZE])),
    option(opt.INFO, goData('debian-12@3', [info.NAME])),
    option(opt.GO, goData('debian-12@3', [info.BLOCK_SIZE])),
  ]);
  const whole = run(session).steps;
  for (const chunk of [1, 2, 3, 7, 16, 17, 100]) {
    assert.deepEqual(run(session, { chunk }).steps, whole, `chunk ${chunk}`);
  }
});

test('bytes sent after GO stay in the reader for the transmission phase', () => {
  const tail = Buffer.from('after-go');
  const { steps, reader } = run(Buffer.concat([fixed, option(opt.GO, goData('debian-12@3')), tail]));
  assert.equal(steps.at(-1)!.kind, 'transmission');
  assert.deepEqual(reader.take(reader.length), tail);
});

test('while a lookup is unanswered, next() waits', () => {
  const reader = new FrameReader();
  const machine = new Handshake(reader, { canList: true });
  reader.push(Buffer.concat([fixed, option(opt.INFO, goData('debian-12@3')), option(opt.ABORT)]));
  assert.equal(machine.next()?.kind, 'lookup');
  assert.equal(machine.waiting, true);
  assert.equal(machine.next(), undefined);
  assert.equal(machine.exportFound(exports.get('debian-12@3')!).kind, 'reply');
  assert.equal(machine.next()?.kind, 'close');
  assert.equal(machine.finished, true);
});
