import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { encodeAck, encodeError, encodeRequest, parsePacket } from '../../../src/boot/tftp/packet.ts';
import { RequestHandler } from '../../../src/boot/tftp/request-handler.ts';
import { RootedFiles } from '../../../src/boot/tftp/root-files.ts';

let root = '';
let files: RootedFiles;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-tftp-handler-'));
  writeFileSync(join(root, 'ipxe.efi'), Buffer.alloc(3000, 1));
  files = await RootedFiles.at(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

const client = { address: '10.1.2.3', port: 3000 };
const setup = () => {
  const events = new RecordingSink();
  return { events, handler: new RequestHandler({ files, events, resolveNode: (ip) => (ip === '10.1.2.3' ? 'r1u01' : undefined) }) };
};
const errorOf = (reply: Buffer | undefined) => {
  const p = reply ? parsePacket(reply) : undefined;
  return p?.opcode === 'error' ? { code: p.code, message: p.message } : undefined;
};

test('an octet RRQ for a file under the root is accepted with negotiated options', async () => {
  const { handler, events } = setup();
  const o = await handler.handle(encodeRequest({ opcode: 'rrq', filename: '/ipxe.efi', mode: 'octet', options: [{ name: 'tsize', value: '0' }, { name: 'blksize', value: '1468' }] }), client);
  assert.equal(o.kind, 'accepted');
  if (o.kind !== 'accepted') return;
  assert.equal(o.file, '/ipxe.efi');
  assert.equal(o.opened.size, 3000);
  assert.deepEqual(o.negotiated.acknowledged, [{ name: 'tsize', value: '3000' }, { name: 'blksize', value: '1468' }]);
  await o.opened.close();
  assert.equal(events.dropped.size, 0);
});

test('WRQ is refused with ERROR 2 (read-only), counted, and shown on the node timeline', async () => {
  const { handler, events } = setup();
  const o = await handler.handle(encodeRequest({ opcode: 'wrq', filename: 'x', mode: 'octet' }), client);
  assert.equal(o.kind, 'dropped');
  assert.deepEqual(errorOf(o.kind === 'dropped' ? o.reply : undefined), { code: 2, message: 'this TFTP server is read-only' });
  assert.equal(events.dropped.get('tftp:write-refused'), 1);
  assert.equal(events.events[0]?.step, 'error');
  assert.equal(events.events[0]?.node, 'r1u01');
  assert.equal(events.events[0]?.ip, '10.1.2.3');
  assert.deepEqual(events.events[0]?.detail, { file: 'x', reason: 'write-refused', message: 'this TFTP server is read-only' });
});

test('refusals answer with the right TFTP error code and a clear message', async () => {
  const cases: [Uint8Array, number, RegExp, string][] = [
    [encodeRequest({ opcode: 'rrq', filename: 'nope', mode: 'octet' }), 1, /nope: file not found/, 'not-found'],
    [encodeRequest({ opcode: 'rrq', filename: '../etc/passwd', mode: 'octet' }), 2, /'\.\.' is not allowed/, 'bad-path'],
    [encodeRequest({ opcode: 'rrq', filename: 'ipxe.efi', mode: 'netascii' }), 4, /netascii mode is not supported/, 'mode-unsupported'],
    [Buffer.from([0, 1, 0x66]), 4, /not terminated/, 'malformed'],
    [encodeAck(1), 4, /only RRQ is accepted/, 'not-a-request'],
  ];
  for (const [packet, code, message, reason] of cases) {
    const { handler, events } = setup();
    const o = await handler.handle(packet, { address: '10.9.9.9', port: 1 });
    assert.equal(o.kind, 'dropped');
    if (o.kind !== 'dropped') continue;
    const e = errorOf(o.reply);
    assert.equal(e?.code, code, reason);
    assert.match(e?.message ?? '', message);
    assert.equal(events.dropped.get(`tftp:${reason}`), 1, reason);
    assert.equal(events.events[0]?.node, undefined, 'unknown IP: no node');
  }
});

test('ERROR packets and garbage on the request port are counted but never answered', async () => {
  for (const packet of [encodeError(5, 'unknown TID'), Buffer.from([1]), Buffer.from([0x47, 0x45, 0x54, 0x20])]) {
    const { handler, events } = setup();
    const o = await handler.handle(packet, client);
    assert.equal(o.kind, 'dropped');
    assert.equal(o.kind === 'dropped' ? o.reply : 'x', undefined);
    assert.equal([...events.dropped.values()].reduce((a, b) => a + b, 0), 1);
    assert.equal(events.events.length, 0);
  }
});
