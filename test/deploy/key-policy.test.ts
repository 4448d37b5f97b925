/**
 * deployment.key_policy: the attribute takes tpm, ram or rearm, and the node
 * learns it in boot-env as BERTH_KEY_POLICY (tpm when unset), which the
 * node-side code (berth-key.sh) acts on; its TPM handling is tested in
 * test/node-side/berth-key-tpm.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { validateAttributeValue } from '../../src/inventory/schema/index.ts';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

test('deployment.key_policy: tpm, ram or rearm, any case', () => {
  assert.equal(validateAttributeValue('deployment.key_policy', 'RAM'), 'ram');
  assert.equal(validateAttributeValue('deployment.key_policy', 'rearm'), 'rearm');
  assert.throws(() => validateAttributeValue('deployment.key_policy', 'disk'), /not one of tpm, ram, rearm/);
});

describe('BERTH_KEY_POLICY in boot-env', () => {
  let daemon: Daemon;
  let ca: Buffer;
  let key = '';
  const get = (path: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: daemon.httpsPort, path, method: path === '/node/v1/key' ? 'POST' : 'GET', ca, servername: 'localhost', checkServerIdentity: () => undefined, headers: path === '/node/v1/key' ? { 'content-type': 'application/json' } : { authorization: `BerthNode n1:${key}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.end(path === '/node/v1/key' ? JSON.stringify({ node: 'n1' }) : undefined);
    });
  const policy = async () => {
    const env = await get('/node/v1/nodes/n1/boot-env?image=img@1');
    assert.equal(env.status, 200, env.text);
    return /^BERTH_KEY_POLICY='([^']*)'$/m.exec(env.text)?.[1];
  };

  before(async () => {
    daemon = await startDaemon();
    ca = readFileSync(join(daemon.stateDir, 'public/ca.pem'));
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    for (const args of [['profile', 'define', 'p1', '--image', 'img@1'], ['node', 'define', 'n1', 'net.eth0.ipv4_address=127.0.0.1/8'], ['deploy', 'n1', 'p1', '--no-wait']]) {
      const r = daemon.cli(args);
      assert.equal(r.code, 0, r.stderr);
    }
    const granted = await get('/node/v1/key');
    assert.equal(granted.status, 200, granted.text);
    key = JSON.parse(granted.text).key;
  });
  after(async () => {
    await daemon?.stop();
    daemon?.cleanup();
  });

  test('tpm when unset; the node\'s or its group\'s value otherwise', async () => {
    assert.equal(await policy(), 'tpm');
    assert.equal(daemon.cli(['group', 'define', 'diskless', 'deployment.key_policy=rearm']).code, 0);
    assert.equal(daemon.cli(['node', 'set', 'n1', 'groups=diskless']).code, 0);
    assert.equal(await policy(), 'rearm');
    assert.equal(daemon.cli(['node', 'set', 'n1', 'deployment.key_policy=ram']).code, 0);
    assert.equal(await policy(), 'ram');
    const bad = daemon.cli(['node', 'set', 'n1', 'deployment.key_policy=disk']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not one of tpm, ram, rearm/);
  });
});
