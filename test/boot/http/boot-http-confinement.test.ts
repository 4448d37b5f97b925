/**
 * What boot HTTP serves out of profiles/ and images/, against a real daemon:
 * only the files a kernel profile names (not profile.yaml, answer.tmpl or
 * anything else in its folder), only an image version's kernel, initramfs
 * and artifact, and only by a real path inside their own folder: a symlink
 * to private/ca-key.pem is a 404 and a drop count, not the CA key.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';
import { writeFakeImageVersion } from '../../helpers/fake-image-version.ts';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('boot HTTP: profile and image folders', () => {
  let d: Daemon;
  let port: number;
  let caKey: string;
  const dropped = (): Record<string, number> => JSON.parse(d.cli(['boot', 'status', '--json']).stdout).dropped;

  before(async () => {
    d = await startDaemon();
    port = JSON.parse(d.cli(['boot', 'status', '--json']).stdout).httpPort;
    caKey = readFileSync(join(d.stateDir, 'private/ca-key.pem'), 'latin1');
    const profile = join(d.stateDir, 'profiles', 'leaky');
    mkdirSync(profile, { recursive: true });
    // The kernel the profile names is a link out of its folder; the initrd is a real file.
    symlinkSync('../../private/ca-key.pem', join(profile, 'vmlinuz'));
    writeFileSync(join(profile, 'initrd.gz'), 'initrd bytes');
    writeFileSync(join(profile, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\n');
    writeFileSync(join(profile, 'answer.tmpl'), 'd-i passwd/root-password-crypted password {{ rootPasswordHash }}\n');
    writeFileSync(join(profile, 'notes.txt'), 'site notes\n');
    symlinkSync('../../private/ca-key.pem', join(profile, 'key.pem'));
    const version = await writeFakeImageVersion(d.stateDir, 'img', 1);
    rmSync(join(version.dir, 'vmlinuz'));
    symlinkSync(join(d.stateDir, 'private/ca-key.pem'), join(version.dir, 'vmlinuz'));
  });
  after(async () => {
    await d?.stop();
    d?.cleanup();
  });

  test('a profile serves the initrd it names, and neither its kernel linked out of the folder nor any other file', async () => {
    const before = dropped()['http.outside-folder'] ?? 0;
    const initrd = await get(port, '/boot/profiles/leaky/initrd.gz');
    assert.equal(initrd.status, 200);
    assert.equal(initrd.body, 'initrd bytes');
    const kernel = await get(port, '/boot/profiles/leaky/vmlinuz');
    assert.equal(kernel.status, 404, 'a symlink out of the profile folder is not followed');
    assert.doesNotMatch(kernel.body, /PRIVATE KEY/);
    assert.equal(dropped()['http.outside-folder'], before + 1, 'and it is counted');
    for (const file of ['profile.yaml', 'answer.tmpl', 'notes.txt', 'key.pem']) {
      const r = await get(port, `/boot/profiles/leaky/${file}`);
      assert.equal(r.status, 404, file);
      assert.ok(!r.body.includes(caKey.slice(0, 40)) && !r.body.includes('rootPasswordHash'), file);
    }
  });

  test("an image version's kernel linked out of its folder is a 404; its initramfs is served", async () => {
    const before = dropped()['http.outside-folder'] ?? 0;
    const kernel = await get(port, '/boot/images/img/1/vmlinuz');
    assert.equal(kernel.status, 404);
    assert.doesNotMatch(kernel.body, /PRIVATE KEY/);
    assert.equal(dropped()['http.outside-folder'], before + 1);
    assert.equal((await get(port, '/boot/images/img/1/initrd.img')).status, 200);
    assert.equal((await get(port, '/boot/images/img/1/metadata.json')).status, 404, 'nothing else of the version');
  });
});
