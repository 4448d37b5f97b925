/**
 * The node API's part in install-to-disk against a real daemon over HTTPS:
 * a profile's script folders for the node that deploys it, and only for it
 * and only for its pending profile; the disk the install erases in boot-env.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';
import { nodeApiCaller } from '../helpers/node-api-call.ts';

describe('node API: profile scripts and the install disk', () => {
  let daemon: Daemon;
  let call: ReturnType<typeof nodeApiCaller>;
  const keys: Record<string, string> = {};
  const as = (node: string) => `BerthNode ${node}:${keys[node]}`;
  const cli = (args: string[]) => daemon.ok(args);
  const script = (profile: string, folder: string, name: string, text: string) => {
    const file = join(daemon.stateDir, 'profiles', profile, folder, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  };

  before(async () => {
    daemon = await startDaemon();
    call = nodeApiCaller(daemon);
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    cli(['profile', 'define', 'disk', '--image', 'img@1', '--boot-method', 'installtodisk']);
    cli(['profile', 'define', 'other', '--image', 'img@1', '--boot-method', 'installtodisk']);
    cli(['node', 'define', 'a', 'net.eth0.ipv4_address=127.0.0.1/8', 'deployment.install_disk=/dev/disk/by-path/pci-0000:00:1f.2-ata-1']);
    cli(['node', 'define', 'b', 'net.eth0.ipv4_address=127.0.0.2/8']);
    script('disk', 'post.d', '20-second', '#!/bin/sh\necho second\n');
    script('disk', 'post.d', '10-first', '#!/bin/sh\necho "first: $BERTH_NODE"\n');
    script('disk', 'post.d', '.10-first.swp', 'editor leftovers');
    script('disk', 'firstboot.d', '50-hello', '#!/bin/sh\necho hello\n');
    script('other', 'post.d', '10-other', '#!/bin/sh\necho other\n');
    cli(['deploy', 'a', 'disk', '--no-wait']);
    cli(['deploy', 'b', 'other', '--no-wait']);
    for (const [node, from] of [['a', '127.0.0.1'], ['b', '127.0.0.2']] as const) {
      const r = await call('/node/v1/key', { body: { node }, from });
      assert.equal(r.status, 200, r.text);
      keys[node] = JSON.parse(r.text).key;
    }
  });
  after(async () => {
    await daemon.stop();
    daemon.cleanup();
  });

  test('a folder of the pending profile as `<name> <base64>` lines, in the order the node runs them, hidden files left out', async () => {
    const post = await call('/node/v1/nodes/a/scripts/post.d', { auth: as('a') });
    assert.equal(post.status, 200, post.text);
    const lines = post.text.split('\n').filter(Boolean).map((l) => l.split(' '));
    assert.deepEqual(lines.map(([name]) => name), ['10-first', '20-second']);
    assert.equal(Buffer.from(lines[0]![1]!, 'base64').toString(), '#!/bin/sh\necho "first: $BERTH_NODE"\n');
    const firstboot = await call('/node/v1/nodes/a/scripts/firstboot.d', { auth: as('a') });
    assert.match(firstboot.text, /^50-hello [A-Za-z0-9+/=]+\n$/);
    assert.equal((await call('/node/v1/nodes/a/scripts/onboot.d', { auth: as('a') })).text, '', 'an empty folder: no lines');
    assert.match(cli(['node', 'timeline', 'a']), /api +scripts/);
  });

  test('only the node itself, only known folders, only while a deployment is pending', async () => {
    assert.equal((await call('/node/v1/nodes/a/scripts/post.d', { auth: as('b'), from: '127.0.0.2' })).status, 403, "b's key does not open a's scripts");
    assert.equal((await call('/node/v1/nodes/a/scripts/post.d')).status, 401);
    const b = await call('/node/v1/nodes/b/scripts/post.d', { auth: as('b'), from: '127.0.0.2' });
    assert.match(b.text, /^10-other /, "b gets its own profile's scripts");
    assert.equal((await call('/node/v1/nodes/a/scripts/..', { auth: as('a') })).status, 404);
    assert.equal((await call('/node/v1/nodes/a/scripts/pre.d', { auth: as('a') })).status, 404);
    cli(['node', 'unset', 'b', 'deployment.pending_profile']);
    const none = await call('/node/v1/nodes/b/scripts/post.d', { auth: as('b'), from: '127.0.0.2' });
    assert.equal(none.status, 403);
    assert.match(none.text, /no deployment pending/);
  });

  test('a script name the node could not use as a file name is refused, saying which file', async () => {
    script('disk', 'post.d', '30 bad name', 'x');
    const r = await call('/node/v1/nodes/a/scripts/post.d', { auth: as('a') });
    assert.notEqual(r.status, 200);
    assert.match(r.text, /post\.d\/30 bad name: its name has characters/);
  });

  test('boot-env carries deployment.install_disk in base64 (by-path names have colons)', async () => {
    const env = await call('/node/v1/nodes/a/boot-env?image=img@1', { auth: as('a') });
    assert.equal(env.status, 200, env.text);
    const line = /^BERTH_INSTALL_DISK_BASE64='([A-Za-z0-9+/=]*)'$/m.exec(env.text);
    assert.ok(line, env.text);
    assert.equal(Buffer.from(line[1]!, 'base64').toString(), '/dev/disk/by-path/pci-0000:00:1f.2-ata-1');
  });
});
