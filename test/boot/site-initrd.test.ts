/** The site initrd is a cpio archive the real cpio tool (and so the kernel's format) reads. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SiteInitrd } from '../../src/boot/site/site-initrd.ts';

test('site initrd unpacks with cpio to etc/berth/ca.pem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-site-'));
  try {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), ca);
    const archive = await new SiteInitrd(join(dir, 'ca.pem')).bytes();
    const out = join(dir, 'out');
    spawnSync('mkdir', [out]);
    const r = spawnSync('cpio', ['-idm', '--quiet'], { cwd: out, input: archive });
    assert.equal(r.status, 0, r.stderr?.toString());
    assert.equal(readFileSync(join(out, 'etc/berth/ca.pem'), 'utf8'), ca);
    assert.equal(statSync(join(out, 'etc/berth')).mode & 0o777, 0o755);
    const list = spawnSync('cpio', ['-it', '--quiet'], { input: archive, encoding: 'utf8' });
    assert.deepEqual(list.stdout.trim().split('\n'), ['etc', 'etc/berth', 'etc/berth/ca.pem']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
