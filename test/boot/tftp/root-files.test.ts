import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { normalizeRequestPath, RootedFiles, type OpenResult } from '../../../src/boot/tftp/root-files.ts';

let base = '';
let root = '';
let files: RootedFiles;
let deviceMade = false;

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'berth-tftp-root-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(base, 'secret'), 'outside the root');
  writeFileSync(join(root, 'ipxe.efi'), 'EFI');
  writeFileSync(join(root, 'sub', 'deeper', 'grub.cfg'), 'menu');
  symlinkSync('sub/deeper/grub.cfg', join(root, 'link-inside'));
  symlinkSync('../secret', join(root, 'link-out'));
  symlinkSync('/etc/passwd', join(root, 'link-absolute'));
  symlinkSync(base, join(root, 'sub', 'dir-out'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  try {
    execFileSync('mknod', [join(root, 'null'), 'c', '1', '3'], { stdio: 'ignore' });
    deviceMade = true;
  } catch {
    // no CAP_MKNOD: that case is skipped
  }
  files = await RootedFiles.at(root);
});

after(() => rmSync(base, { recursive: true, force: true }));

async function refused(name: string): Promise<{ code: number; reason: string; message: string }> {
  const r = await files.open(name);
  if (r.ok) {
    await r.file.close();
    assert.fail(`${JSON.stringify(name)} was opened (${r.file.path})`);
  }
  return { code: r.refusal.tftpCode, reason: r.refusal.reason, message: r.refusal.message };
}

async function content(r: OpenResult): Promise<string> {
  assert.ok(r.ok, r.ok ? '' : r.refusal.message);
  const buf = Buffer.alloc(r.file.size);
  await r.file.readv([buf], 0);
  await r.file.close();
  return buf.toString();
}

test('names: leading slashes stripped, "." and empty components dropped', () => {
  assert.deepEqual(normalizeRequestPath('/ipxe.efi'), { ok: true, components: ['ipxe.efi'] });
  assert.deepEqual(normalizeRequestPath('//sub/./deeper//grub.cfg'), { ok: true, components: ['sub', 'deeper', 'grub.cfg'] });
});

test('names: "..", backslashes, control characters, empty and overlong names are refused', () => {
  for (const name of ['../etc/passwd', '/../etc/passwd', 'sub/../../secret', 'sub/..', '..', 'a/../b']) {
    const r = normalizeRequestPath(name);
    assert.ok(!r.ok && r.refusal.tftpCode === 2 && /'\.\.'/.test(r.refusal.message), name);
  }
  for (const name of ['..\\secret', 'boot\\x64\\wdsnbp.com']) {
    const r = normalizeRequestPath(name);
    assert.ok(!r.ok && /backslash/.test(r.refusal.message), name);
  }
  for (const name of ['a\0b', 'a\nb', 'a\x7fb']) assert.equal(normalizeRequestPath(name).ok, false, JSON.stringify(name));
  for (const name of ['', '/', '/./', '.']) {
    const r = normalizeRequestPath(name);
    assert.ok(!r.ok && r.refusal.tftpCode === 1, JSON.stringify(name));
  }
  assert.equal(normalizeRequestPath('a'.repeat(1025)).ok, false);
});

test('regular files under the root open; absolute names are taken relative to the root', async () => {
  assert.equal(await content(await files.open('ipxe.efi')), 'EFI');
  assert.equal(await content(await files.open('/ipxe.efi')), 'EFI');
  assert.equal(await content(await files.open('/sub/deeper/grub.cfg')), 'menu');
  assert.deepEqual(await refused('/etc/passwd'), { code: 1, reason: 'not-found', message: 'etc/passwd: file not found' });
});

test('path traversal is refused and nothing outside is read', async () => {
  for (const name of ['../secret', '/../secret', '../../../../etc/passwd', 'sub/../../secret']) {
    const r = await refused(name);
    assert.equal(r.code, 2, name);
    assert.equal(r.reason, 'bad-path', name);
  }
});

test('a symlink inside the root to a file inside is served', async () => {
  assert.equal(await content(await files.open('link-inside')), 'menu');
});

test('symlinks leading out of the root are refused, whether to a file or through a directory', async () => {
  for (const name of ['link-out', 'link-absolute', 'sub/dir-out/secret']) {
    const r = await refused(name);
    assert.equal(r.code, 2, name);
    assert.equal(r.reason, 'outside-root', name);
    assert.match(r.message, /outside the TFTP root/);
  }
  assert.equal((await refused('loop-a')).code, 2);
});

test('directories and FIFOs are refused without being opened (a FIFO open would block)', async () => {
  assert.deepEqual(await refused('sub'), { code: 2, reason: 'not-regular-file', message: 'sub: not a regular file (directory)' });
  assert.deepEqual(await refused('fifo'), { code: 2, reason: 'not-regular-file', message: 'fifo: not a regular file (FIFO)' });
});

test('device files are refused', { skip: !deviceMade ? 'cannot mknod here' : false }, async () => {
  assert.deepEqual(await refused('null'), { code: 2, reason: 'not-regular-file', message: 'null: not a regular file (character device)' });
});

test('an opened file keeps serving its old content when replaced during the transfer', async () => {
  writeFileSync(join(root, 'kernel'), 'old kernel');
  const r = await files.open('kernel');
  assert.ok(r.ok);
  writeFileSync(join(root, 'kernel.new'), 'NEW KERNEL!');
  renameSync(join(root, 'kernel.new'), join(root, 'kernel'));
  assert.equal(await content(r), 'old kernel');
});

test('a missing root is a configuration error', async () => {
  await assert.rejects(RootedFiles.at(join(base, 'nope')), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CONFIG');
  await assert.rejects(RootedFiles.at(join(root, 'ipxe.efi')), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CONFIG');
});
