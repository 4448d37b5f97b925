/**
 * Attribute values are capped at 64 KiB, against a real daemon: a 10 MB
 * value (accepted before) is refused with the attribute, the node or group
 * and the limit named, and nothing is written; a value at the limit and a
 * long list of SSH keys are still accepted.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MAX_VALUE_BYTES } from '../../src/inventory/schema/index.ts';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('attribute value size', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon();
    assert.equal((await d.api('POST', '/api/v1/nodes', { noderange: 'n[1-3]' })).status, 201);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('a 10 MB value is refused naming attribute, node and limit; nothing is written', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const defined = await d.api('POST', '/api/v1/nodes', { noderange: 'n[4-5]', attributes: { 'custom.notes': 'ok', 'id.serial': huge } });
    assert.equal(defined.status, 400);
    assert.equal(defined.json.error.code, 'BERTH_ATTRIBUTE_TYPE');
    assert.equal(defined.json.error.message, 'id.serial of node n4: the value is 10,485,760 bytes; an attribute value is limited to 65,536 bytes (64 KiB)');
    assert.equal(defined.json.error.where.attribute, 'id.serial');
    assert.equal((await d.api('GET', '/api/v1/nodes/n4')).status, 404, 'no node of the refused define exists');

    // Changes have smaller request bodies (128 KiB), so 100 KiB is what gets through to the check.
    const large = 'x'.repeat(100 * 1024);
    const set = await d.api('PATCH', '/api/v1/nodes', { noderange: 'n1', set: { 'custom.notes': large } });
    assert.equal(set.status, 400);
    assert.equal(set.json.error.message, 'custom.notes of node n1: the value is 102,400 bytes; an attribute value is limited to 65,536 bytes (64 KiB)');

    const group = await d.api('POST', '/api/v1/groups', { name: 'big', attributes: { 'custom.notes': '{node}' + large } });
    assert.equal(group.status, 400);
    assert.match(group.json.error.message, /^custom\.notes of group big: the value is 102,406 bytes/, 'expressions are capped too');
    assert.equal((await d.api('GET', '/api/v1/groups/big')).status, 404);

    const shown = d.cli(['node', 'show', 'n1', 'custom.notes']);
    assert.doesNotMatch(shown.stdout, /xxxx/);
  });

  test('the CLI shows the same error, and a value at the limit is accepted', () => {
    const atLimit = 'y'.repeat(MAX_VALUE_BYTES);
    const ok = d.cli(['node', 'set', 'n2', `custom.notes=${atLimit}`]);
    assert.equal(ok.code, 0, ok.stderr);
    const over = d.cli(['node', 'set', 'n2', `custom.notes=${atLimit}é`]);
    assert.equal(over.code, 2);
    assert.match(over.stderr, /custom\.notes of node n2: the value is 65,538 bytes; an attribute value is limited to 65,536 bytes/);
  });

  test('eighty RSA-4096 admin keys still fit in ssh.admin_keys', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
    const jwk = publicKey.export({ format: 'jwk' });
    // ssh-rsa wire format: string "ssh-rsa", mpint e, mpint n (RFC 4253 §6.6).
    const field = (b: Buffer) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(b.length);
      return Buffer.concat([length, b]);
    };
    const mpint = (raw: Buffer) => (raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
    const keys: string[] = [];
    for (let i = 0; i < 80; i++) {
      // Eighty distinct 4096-bit moduli without eighty key generations: only the low byte differs.
      const n = Buffer.from(jwk.n!, 'base64url');
      n[n.length - 1] = i * 2 + 1;
      const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), field(mpint(Buffer.from(jwk.e!, 'base64url'))), field(mpint(n))]);
      keys.push(`ssh-rsa ${blob.toString('base64')} admin${i}@example.org`);
    }
    const value = keys.join('\n');
    assert.ok(value.length > 55_000 && value.length <= MAX_VALUE_BYTES, `${value.length} bytes`);
    const defined = await d.api('POST', '/api/v1/nodes', { noderange: 'k1', attributes: { 'ssh.admin_keys': value } });
    assert.equal(defined.status, 201, JSON.stringify(defined.json));
  });
});
