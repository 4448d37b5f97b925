/**
 * The node API against a real daemon over HTTPS: keys only for armed nodes
 * asking from their own address, `once` disarming, revocation, and the
 * authorization matrix: for every node route, node A with its valid key
 * asking for node B's data is refused, and so are missing, wrong and admin
 * credentials.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { nodeApiCaller } from '../helpers/node-api-call.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';
import { throwawaySshPublicKey } from '../helpers/ssh-key.ts';

const HOST_KEY = throwawaySshPublicKey();

describe('node API', () => {
  let daemon: Daemon;
  const keys: Record<string, string> = {};
  let call: ReturnType<typeof nodeApiCaller>;
  const as = (node: string) => `BerthNode ${node}:${keys[node]}`;
  /** The reason of the node's last key refusal, as `berth node timeline` shows it. */
  const refusal = (node: string) => {
    const { events } = JSON.parse(daemon.cli(['node', 'timeline', node, '--json']).stdout) as { events: { step: string; detail?: { reason?: string } }[] };
    return String(events.filter((e) => e.step === 'key-refused').at(-1)?.detail?.reason ?? '');
  };

  before(async () => {
    daemon = await startDaemon();
    call = nodeApiCaller(daemon);
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    await writeFakeImageVersion(daemon.stateDir, 'img', 2);
    for (const args of [
      ['profile', 'define', 'p1', '--image', 'img@1'],
      ['node', 'define', 'a', 'net.eth0.ipv4_address=127.0.0.1/8', `crypted.rootpassword=$6$salt$${'a'.repeat(86)}`],
      ['node', 'define', 'b', 'net.eth0.ipv4_address=127.0.0.2/8', `crypted.rootpassword=$6$salt$${'b'.repeat(86)}`],
    ]) {
      daemon.ok(args);
    }
  });
  after(async () => {
    await daemon.stop();
    daemon.cleanup();
  });

  test('no key before the node is armed', async () => {
    const r = await call('/node/v1/key', { body: { node: 'a' } });
    assert.equal(r.status, 403);
    assert.doesNotMatch(r.json.error.message, /armed|127\.0\.0/, 'a stranger learns nothing about the node');
    assert.match(refusal('a'), /not armed/, 'the administrator sees why');
  });

  test('berth deploy arms; a key only from the node\'s own address; once disarms', async () => {
    const d = daemon.cli(['deploy', 'a,b', 'p1', '--no-wait']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /deploying img@1 \(profile p1\) to a,b, armed once/);
    const spoof = await call('/node/v1/key', { body: { node: 'a' }, from: '127.0.0.2' });
    assert.equal(spoof.status, 403);
    assert.match(refusal('a'), /not its address/);
    const a = await call('/node/v1/key', { body: { node: 'a' } });
    assert.equal(a.status, 200);
    assert.match(a.json.key, /^[A-Za-z0-9_-]{43}$/);
    keys['a'] = a.json.key;
    const again = await call('/node/v1/key', { body: { node: 'a' } });
    assert.equal(again.status, 403, 'once: the grant disarmed it');
    const b = await call('/node/v1/key', { body: { node: 'b' }, from: '127.0.0.2' });
    assert.equal(b.status, 200);
    keys['b'] = b.json.key;
    const unknown = await call('/node/v1/key', { body: { node: 'nosuch' } });
    assert.equal(unknown.status, 403);
    const status = JSON.parse(daemon.cli(['deploy', 'status', 'a,b', '--json']).stdout);
    assert.deepEqual(status.map((r: any) => [r.node, r.state, r.pending, r.armed, r.key]), [['a', 'pending', 'p1', null, true], ['b', 'pending', 'p1', null, true]]);
  });

  const routes: { name: string; path: (n: string) => string; body?: unknown }[] = [
    { name: 'deployment', path: (n) => `/node/v1/nodes/${n}/deployment` },
    { name: 'image-secret', path: (n) => `/node/v1/nodes/${n}/image-secret?image=img@1` },
    { name: 'root-password', path: (n) => `/node/v1/nodes/${n}/root-password` },
    { name: 'boot-env', path: (n) => `/node/v1/nodes/${n}/boot-env?image=img@1` },
    { name: 'authorized-keys', path: (n) => `/node/v1/nodes/${n}/authorized-keys` },
    { name: 'ssh-host-certificates', path: (n) => `/node/v1/nodes/${n}/ssh-host-certificates`, body: { publicKeys: [HOST_KEY] } },
    { name: 'events', path: (n) => `/node/v1/nodes/${n}/events`, body: { step: 'test' } },
  ];

  test('authorization matrix: every node route refuses other nodes, bad keys and admins', async () => {
    const token = daemon.cli(['token', 'create', 'ops']).stdout.trim().split('\n').find((l) => l.startsWith('berth_'))!;
    for (const route of routes) {
      for (const [who, target] of [['a', 'a'], ['b', 'b']]) {
        const own = await call(route.path(target!), { auth: as(who!), body: route.body, from: who === 'a' ? '127.0.0.1' : '127.0.0.2' });
        assert.equal(own.status, 200, `${route.name}: ${who} reads its own (${JSON.stringify(own.json)})`);
      }
      for (const [who, target] of [['a', 'b'], ['b', 'a']]) {
        const cross = await call(route.path(target!), { auth: as(who!), body: route.body });
        assert.equal(cross.status, 403, `${route.name}: ${who}'s key must not open ${target}'s data`);
      }
      assert.equal((await call(route.path('a'), { body: route.body })).status, 401, `${route.name}: no credentials`);
      assert.equal((await call(route.path('a'), { auth: `BerthNode a:${keys['b']}`, body: route.body })).status, 401, `${route.name}: b's key claimed as a`);
      assert.equal((await call(route.path('a'), { auth: `Bearer ${token}`, body: route.body })).status, 401, `${route.name}: an admin token is not a node key`);
    }
    assert.equal((await call('/api/v1/nodes', { auth: as('a') })).status, 403, 'a node key does not open the admin API');
  });

  test('secrets: image key only for the version the node deploys; root hash only its own', async () => {
    const secret = await call('/node/v1/nodes/a/image-secret?image=img@1', { auth: as('a') });
    assert.equal(secret.json.key.length, 128);
    assert.equal(secret.json.verity.rootHash.length, 64);
    assert.deepEqual(readFileSync(join(daemon.stateDir, 'private/images/img/1.key')).toString('hex'), secret.json.key);
    const other = await call('/node/v1/nodes/a/image-secret?image=img@2', { auth: as('a') });
    assert.equal(other.status, 403);
    assert.match(other.json.error.message, /not deploying img@2/);
    const env = await call('/node/v1/nodes/a/boot-env?image=img@1', { auth: as('a') });
    assert.match(env.json, /^BERTH_IMAGE='img@1'$/m);
    assert.match(env.json, new RegExp(`^BERTH_IMAGE_KEY_BASE64='${Buffer.from(secret.json.key, 'hex').toString('base64').replace(/[+/]/g, '\\$&')}'$`, 'm'));
    assert.match(env.json, /^BERTH_CRYPT_IV_LARGE_SECTORS='1'$/m);
    assert.ok(env.json.split('\n').filter(Boolean).every((l: string) => /^BERTH_[A-Z0-9_]+='[^']*'$/.test(l)), 'only plain assignments');
    assert.equal((await call('/node/v1/nodes/a/boot-env?image=img@2', { auth: as('a') })).status, 403);
    const certs = await call('/node/v1/nodes/a/ssh-host-certificates', { auth: as('a'), body: { publicKeys: [HOST_KEY] } });
    assert.equal(certs.status, 200);
    assert.match(certs.json.certificates[0], /^ssh-ed25519-cert-v01@openssh.com /);
    assert.deepEqual(certs.json.principals, ['a', '127.0.0.1']);
    const hash = await call('/node/v1/nodes/a/root-password', { auth: as('a') });
    assert.match(hash.json.hash, /^\$6\$salt\$a+$/);
  });

  test('booted report sets state and current profile; revoked keys open nothing', async () => {
    // As after a boot on a key sealed in the TPM: armed once, never asked for a key.
    assert.equal(daemon.cli(['node', 'set', 'a', 'deployment.armed=once']).code, 0);
    const r = await call('/node/v1/nodes/a/events', { auth: as('a'), body: { step: 'switch-root', state: 'booted', detail: { image: 'img@1' } } });
    assert.equal(r.status, 200);
    const show = daemon.cli(['node', 'show', 'a', 'deployment.*']).stdout;
    assert.match(show, /deployment\.state: booted/);
    assert.match(show, /deployment\.profile: p1/);
    assert.doesNotMatch(show, /deployment\.armed/, 'once is used up by the boot');
    assert.match(daemon.cli(['node', 'timeline', 'a']).stdout, /node +switch-root/);
    const revoke = daemon.cli(['node', 'revoke-key', 'a']);
    assert.equal(revoke.code, 0);
    assert.match(revoke.stdout, /revoked the node keys of a/);
    for (const route of routes) assert.equal((await call(route.path('a'), { auth: as('a'), body: route.body })).status, 401, `${route.name} after revoke`);
    assert.equal((await call('/node/v1/nodes/b/deployment', { auth: as('b'), from: '127.0.0.2' })).status, 200, 'b is untouched');
  });

  test('deploy refuses what cannot boot and locked nodes, arming nothing', () => {
    const missing = daemon.cli(['deploy', 'a', 'no-such-profile', '--no-wait']);
    assert.equal(missing.code, 3);
    assert.equal(daemon.cli(['node', 'set', 'b', 'deployment.lock=locked']).code, 0);
    const locked = daemon.cli(['deploy', 'a,b', 'p1', '--no-wait']);
    assert.equal(locked.code, 4);
    assert.match(locked.stderr, /deployment\.lock is locked on b/);
    assert.doesNotMatch(daemon.cli(['node', 'show', 'a', 'deployment.armed']).stdout, /once/);
  });
});
