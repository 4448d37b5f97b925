/**
 * A node key belongs to a machine, not to a name (security issue: node keys
 * bound to machines). Against a real daemon over HTTPS:
 * - after `node remove c` and a new `node define c`, c's old key opens
 *   nothing of the new c (root password hash, image key, SSH certificates),
 *   and `deploy status` shows no key for the new c;
 * - a new hardware address is another machine: the key dies;
 * - a swap rename keeps each machine's key with its own record, so neither
 *   machine can read the other's secrets under its old name;
 * - an import that drops a node drops its key;
 * - `deployment.armed` is per node: a group's `once` could never be used up;
 * - a refused key request tells the requester nothing; the reason is in the
 *   timeline;
 * - `deployment.lock=locked` refuses new keys, and a key already held keeps
 *   booting the node (as its description says).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';
import { nodeApiCaller } from '../helpers/node-api-call.ts';
import { throwawaySshPublicKey } from '../helpers/ssh-key.ts';

const HOST_KEY = throwawaySshPublicKey();
const hash = (c: string) => `crypted.rootpassword=$6$salt$${c.repeat(86)}`;

describe('node keys bound to machines', () => {
  let daemon: Daemon;
  let call: ReturnType<typeof nodeApiCaller>;
  const ok = (args: string[]) => daemon.ok(args);
  /** Deploys p1 to `node` and takes the key it is granted, asking from `from`. */
  const keyFor = async (node: string, from: string) => {
    ok(['deploy', node, 'p1', '--no-wait']);
    const r = await call('/node/v1/key', { body: { node }, from });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.key as string;
  };
  const keyStatus = (node: string) => (JSON.parse(ok(['deploy', 'status', node, '--json'])) as { key: boolean }[])[0]!.key;
  /** What a key opens for a node: one status per secret-bearing route. */
  const opens = async (node: string, key: string, from = '127.0.0.1') => {
    const auth = `BerthNode ${node}:${key}`;
    return [
      (await call(`/node/v1/nodes/${node}/root-password`, { auth, from })).status,
      (await call(`/node/v1/nodes/${node}/image-secret?image=img@1`, { auth, from })).status,
      (await call(`/node/v1/nodes/${node}/ssh-host-certificates`, { auth, from, body: { publicKeys: [HOST_KEY] } })).status,
    ];
  };

  before(async () => {
    daemon = await startDaemon();
    call = nodeApiCaller(daemon);
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    ok(['profile', 'define', 'p1', '--image', 'img@1']);
  });
  after(async () => {
    await daemon.stop();
    daemon.cleanup();
  });

  test('remove and define again: the old key opens nothing of the new node', async () => {
    ok(['node', 'define', 'c', 'net.eth0.ipv4_address=127.0.0.1/8', 'net.eth0.hwaddr=52:54:00:00:00:01', hash('c')]);
    const old = await keyFor('c', '127.0.0.1');
    assert.deepEqual(await opens('c', old), [200, 200, 200]);
    ok(['node', 'remove', 'c', '--yes']);
    ok(['node', 'define', 'c', 'net.eth0.ipv4_address=127.0.0.1/8', 'net.eth0.hwaddr=52:54:00:00:00:02', hash('d')]);
    ok(['node', 'set', 'c', 'deployment.pending_profile=p1']);
    assert.deepEqual(await opens('c', old), [401, 401, 401], 'the old machine reads nothing of the new c');
    assert.equal(keyStatus('c'), false, 'deploy status: the new c, never armed, holds no key');
    ok(['node', 'remove', 'c', '--yes']);
  });

  test('a new hardware address is another machine: its key dies', async () => {
    ok(['node', 'define', 'h', 'net.eth0.ipv4_address=127.0.0.1/8', 'net.eth0.hwaddr=52:54:00:00:01:01', hash('h')]);
    const key = await keyFor('h', '127.0.0.1');
    ok(['node', 'set', 'h', 'crypted.rootpassword=$6$salt$' + 'i'.repeat(86)]);
    assert.deepEqual(await opens('h', key), [200, 200, 200], 'other attributes leave the key alone');
    ok(['node', 'set', 'h', 'net.eth0.hwaddr=52:54:00:00:01:02']);
    assert.deepEqual(await opens('h', key), [401, 401, 401]);
    assert.equal(keyStatus('h'), false);
    ok(['node', 'remove', 'h', '--yes']);
  });

  test('a swap rename keeps each machine with its own record and key', async () => {
    ok(['node', 'define', 'n1', 'net.eth0.ipv4_address=127.0.0.1/8', hash('1')]);
    ok(['node', 'define', 'n2', 'net.eth0.ipv4_address=127.0.0.2/8', hash('2')]);
    const k1 = await keyFor('n1', '127.0.0.1');
    const k2 = await keyFor('n2', '127.0.0.2');
    ok(['node', 'rename', 'n[1-2]', 'n{3-n1}', '--yes']);
    // Each machine asks under the name it booted with: neither reads the other's secrets.
    assert.deepEqual(await opens('n1', k1), [401, 401, 401], "n1's machine cannot read the record now named n1 (n2's)");
    assert.deepEqual(await opens('n2', k2, '127.0.0.2'), [401, 401, 401]);
    // Under its new name, a machine's key opens its own record, which moved with it.
    const moved = await call('/node/v1/nodes/n2/root-password', { auth: `BerthNode n2:${k1}` });
    assert.equal(moved.status, 200);
    assert.match(moved.json.hash, /\$1+$/, "the machine once named n1 reads its own hash, never n2's");
    assert.equal(keyStatus('n1'), true);
    ok(['node', 'remove', 'n1,n2', '--yes']);
  });

  test('an import that drops a node drops its key', async () => {
    ok(['node', 'define', 'i1', 'net.eth0.ipv4_address=127.0.0.1/8', hash('i')]);
    const key = await keyFor('i1', '127.0.0.1');
    const file = join(daemon.stateDir, 'empty.yaml');
    writeFileSync(file, 'format: 1\ngroups: {}\nnodes: {}\n');
    ok(['inventory', 'import', file]);
    ok(['node', 'define', 'i1', 'net.eth0.ipv4_address=127.0.0.1/8', 'deployment.pending_profile=p1', hash('j')]);
    assert.deepEqual(await opens('i1', key), [401, 401, 401]);
    ok(['node', 'remove', 'i1', '--yes']);
  });

  test('deployment.armed is per node: a group cannot hold a once that is never used up', () => {
    ok(['group', 'define', 'g']);
    const r = daemon.cli(['group', 'set', 'g', 'deployment.armed=once']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /deployment\.armed is set per node.*berth node set g deployment\.armed=once/);
    const defined = daemon.cli(['group', 'define', 'g2', 'deployment.armed=continuous']);
    assert.equal(defined.code, 2);
    ok(['node', 'define', 'm', 'groups=g', 'net.eth0.ipv4_address=127.0.0.1/8']);
    ok(['node', 'set', 'g', 'deployment.armed=once']);
    assert.match(ok(['node', 'show', 'm', 'deployment.armed', '--provenance']), /once/);
    ok(['node', 'remove', 'm', '--yes']);
  });

  test('a refused key request tells the requester nothing; the timeline says why', async () => {
    ok(['node', 'define', 'r', 'net.eth0.ipv4_address=127.0.0.5/8']);
    const refused = await call('/node/v1/key', { body: { node: 'r' }, from: '127.0.0.5' });
    assert.equal(refused.status, 403);
    ok(['node', 'set', 'r', 'deployment.armed=once']);
    const stranger = await call('/node/v1/key', { body: { node: 'r' }, from: '127.0.0.6' });
    assert.equal(stranger.status, 403);
    const unknown = await call('/node/v1/key', { body: { node: 'nosuch' } });
    assert.equal(unknown.status, 403);
    assert.equal(refused.json.error.message, stranger.json.error.message, 'one answer whatever the reason');
    assert.equal(refused.json.error.message, unknown.json.error.message);
    assert.doesNotMatch(refused.json.error.message, /127\.0\.0|armed|lock/);
    const { events } = JSON.parse(ok(['node', 'timeline', 'r', '--json'])) as { events: { step: string; detail?: { reason?: string } }[] };
    const reasons = events.filter((e) => e.step === 'key-refused').map((e) => e.detail?.reason ?? '');
    assert.match(reasons.join('\n'), /not armed/);
    assert.match(reasons.join('\n'), /127\.0\.0\.6, which is not its address/);
    ok(['node', 'remove', 'r', '--yes']);
  });

  test('locked refuses new keys; a key already held keeps booting the node', async () => {
    ok(['node', 'define', 'l', 'net.eth0.ipv4_address=127.0.0.1/8', hash('l')]);
    const key = await keyFor('l', '127.0.0.1');
    ok(['node', 'set', 'l', 'deployment.lock=locked', 'deployment.armed=continuous']);
    const again = await call('/node/v1/key', { body: { node: 'l' } });
    assert.equal(again.status, 403, 'no new key while locked');
    assert.deepEqual(await opens('l', key), [200, 200, 200], 'the key it holds still boots it');
    ok(['node', 'revoke-key', 'l']);
    assert.deepEqual(await opens('l', key), [401, 401, 401], 'revoke-key cuts it off');
    assert.match(ok(['attributes', 'deployment.lock']), /keeps using it.*revoke-key/s);
  });
});
