/**
 * Pack, unpack and the repository on small hand-made trees: every property
 * of a version (reproducible content, encryption in dm-crypt's format,
 * dm-verity checked by veritysetup, manifest with source packages, atomic
 * publish, numbering) without waiting for a distribution build. The real
 * Debian build is image-lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { indexTree } from '../../../src/images/pack/file-index.ts';
import { packImage } from '../../../src/images/pack/pack-image.ts';
import { verifyVerity } from '../../../src/images/pack/verity.ts';
import { ImageRepository } from '../../../src/images/repository/image-repository.ts';
import { writeTreeInfo } from '../../../src/images/repository/tree-info.ts';
import { cloneImage, unpackVersion } from '../../../src/images/unpack/unpack-version.ts';
import { prepareStateDir } from '../../../src/state/state-dir.ts';
import { SYNTHETIC_PACKAGES, writeSyntheticTree } from '../../helpers/synthetic-tree.ts';

const isRoot = process.getuid?.() === 0;

async function newRepo(dir: string, name = 'syn', tree: Parameters<typeof writeSyntheticTree>[1] = {}): Promise<ImageRepository> {
  const { layout } = await prepareStateDir(dir);
  const repo = new ImageRepository(layout);
  const l = repo.layout(name);
  mkdirSync(l.treeRoot, { recursive: true });
  writeSyntheticTree(l.treeRoot, tree);
  await writeTreeInfo(l.treeInfo, { name, origin: 'build', distro: 'debian-12', arch: 'amd64', created: '2026-01-01T00:00:00Z', modified: '2026-01-02T00:00:00Z' });
  return repo;
}

/** dm-crypt plain aes-xts-plain64, 4096-byte sectors, --iv-large-sectors, one sector at a time with Node's own XTS: the reference the fast path must match. */
function referenceDecrypt(cipher: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(cipher.length);
  for (let sector = 0; sector * 4096 < cipher.length; sector++) {
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64LE(BigInt(sector));
    const d = createDecipheriv('aes-256-xts', key, iv);
    d.update(cipher.subarray(sector * 4096, (sector + 1) * 4096)).copy(out, sector * 4096);
    d.final();
  }
  return out;
}

describe('image pack', { skip: !isRoot && 'needs root (ownership, mksquashfs of root-owned trees)' }, () => {
  let dir: string;
  let repo: ImageRepository;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-pack-'));
    repo = await newRepo(join(dir, 'state'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('makes version 1 with every part and the newest kernel', async () => {
    const m = await packImage(repo, 'syn', { level: 3 });
    assert.equal(m.version, 1);
    assert.equal(m.boot.kernelVersion, '6.1.0-10-amd64', 'dpkg order: 10 is newer than 9');
    const vdir = repo.layout('syn').versionDir(1);
    assert.deepEqual(readdirSync(vdir).sort(), ['files.json.gz', 'initrd.img', 'manifest.json', 'metadata.json', 'root.img', 'vmlinuz']);
    assert.deepEqual(readFileSync(join(vdir, 'vmlinuz')), readFileSync(join(repo.layout('syn').treeRoot, 'boot/vmlinuz-6.1.0-10-amd64')));
    assert.equal(statSync(join(vdir, 'root.img')).size, m.artifact.bytes);
    assert.equal(m.crypt.bytes % 4096, 0);
    assert.equal(m.verity.hashOffset, m.crypt.bytes);
    assert.equal(m.squashfs.mkfsTime, Date.parse('2026-01-02T00:00:00Z') / 1000);
    assert.equal(m.squashfs.clampedFileTimes, false);
    assert.equal(m.parent, null);
    assert.equal(m.source.origin, 'build');
    const key = statSync(repo.layout('syn').keyFile(1));
    assert.equal(key.size, 64);
    assert.equal(key.mode & 0o777, 0o600, 'key is private');
    assert.ok(repo.layout('syn').keyFile(1).startsWith(join(dir, 'state/private/')), 'key lives under private/, not in a served folder');
  });

  test('veritysetup verify accepts the version, and rejects one flipped ciphertext byte', async () => {
    const m = await repo.readVersion('syn', 1);
    const artifact = join(repo.layout('syn').versionDir(1), 'root.img');
    const r = spawnSync('veritysetup', ['verify', artifact, artifact, m.verity.rootHash, `--hash-offset=${m.verity.hashOffset}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const copy = join(dir, 'flipped.img');
    const bytes = readFileSync(artifact);
    bytes[5000] = bytes[5000]! ^ 1;
    writeFileSync(copy, bytes);
    await assert.rejects(verifyVerity(copy, m.verity, 'flipped copy'), (e: any) => e.code === 'BERTH_CORRUPT' && /verification/.test(e.message));
  });

  test('ciphertext is dm-crypt plain aes-xts-plain64 (4096, --iv-large-sectors) of the squashfs', async () => {
    const m = await repo.readVersion('syn', 1);
    const cipher = readFileSync(join(repo.layout('syn').versionDir(1), 'root.img')).subarray(0, m.crypt.bytes);
    const plain = referenceDecrypt(cipher, await repo.readKey('syn', 1));
    assert.equal(plain.subarray(0, 4).toString('latin1'), 'hsqs', 'a squashfs superblock');
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(plain.subarray(0, m.squashfs.bytes)).digest('hex'), m.squashfs.sha256);
    assert.ok(plain.subarray(m.squashfs.bytes).every((b) => b === 0), 'padded with zeros');
  });

  test('the squashfs is what plain mksquashfs makes of the tree with the same options', async () => {
    const m = await repo.readVersion('syn', 1);
    const out = join(dir, 'plain.sqfs');
    const r = spawnSync('mksquashfs', [repo.layout('syn').treeRoot, out, '-noappend', '-reproducible', '-comp', 'zstd', '-Xcompression-level', '3', '-mkfs-time', String(m.squashfs.mkfsTime), '-no-progress', '-quiet']);
    assert.equal(r.status, 0);
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(readFileSync(out)).digest('hex'), m.squashfs.sha256);
  });

  test('manifest lists binary and source packages', async () => {
    const manifest = JSON.parse(readFileSync(join(repo.layout('syn').versionDir(1), 'manifest.json'), 'utf8'));
    assert.equal(manifest.format, 'deb');
    assert.deepEqual(manifest.packages, SYNTHETIC_PACKAGES);
  });

  test('packing the same tree again gives byte-identical squashfs content under a new key', async () => {
    const m2 = await packImage(repo, 'syn', { level: 3 });
    const m1 = await repo.readVersion('syn', 1);
    assert.equal(m2.version, 2);
    assert.equal(m2.squashfs.sha256, m1.squashfs.sha256);
    assert.notEqual(m2.verity.rootHash, m1.verity.rootHash, 'different key, different ciphertext');
    assert.notDeepEqual(await repo.readKey('syn', 2), await repo.readKey('syn', 1));
    assert.deepEqual(m2.parent, { name: 'syn', version: 1 });
  });

  test('unpack gives back the same tree (types, modes, owners, links, sizes, times)', async () => {
    const { tree } = await unpackVersion(repo, 'syn@1', 'syn-copy');
    assert.equal(tree.origin, 'unpack');
    assert.deepEqual(tree.parent, { name: 'syn', version: 1 });
    const a = await indexTree(repo.layout('syn').treeRoot);
    const b = await indexTree(repo.layout('syn-copy').treeRoot);
    assert.deepEqual(b.entries, a.entries);
    const diff = spawnSync('diff', ['-r', '--no-dereference', repo.layout('syn').treeRoot, repo.layout('syn-copy').treeRoot], { encoding: 'utf8' });
    assert.equal(diff.status, 0, diff.stdout);
    const hard = statSync(join(repo.layout('syn-copy').treeRoot, 'usr/bin/tool-hardlink'));
    assert.equal(hard.ino, statSync(join(repo.layout('syn-copy').treeRoot, 'usr/bin/tool')).ino, 'hard link kept');
    await assert.rejects(unpackVersion(repo, 'syn@1', 'syn-copy'), (e: any) => e.code === 'BERTH_EXISTS');
  });

  test('clone copies the tree; a version of the clone starts at 1 with its origin recorded', async () => {
    const tree = await cloneImage(repo, 'syn', 'syn-clone');
    assert.equal(tree.origin, 'clone');
    const m = await packImage(repo, 'syn-clone', { level: 3 });
    assert.equal(m.version, 1);
    assert.equal(m.source.origin, 'clone');
    assert.deepEqual(m.parent, { name: 'syn', version: 2 }, 'lineage: the tree it was cloned from had last been packed as syn@2');
    const original = await repo.readVersion('syn', 2);
    assert.deepEqual([m.files.count, m.files.bytes], [original.files.count, original.files.bytes], 'same files as what it was cloned from');
  });

  test('an unpack whose key does not belong to the version fails and leaves no tree', async () => {
    const k1 = repo.layout('syn').keyFile(1);
    const saved = readFileSync(k1);
    writeFileSync(k1, readFileSync(repo.layout('syn').keyFile(2)));
    try {
      await assert.rejects(unpackVersion(repo, 'syn@1', 'wrong-key'), (e: any) => e.code === 'BERTH_CORRUPT' && /key/.test(e.message));
      assert.equal(readdirSync(join(dir, 'state/trees')).filter((n) => n.includes('wrong-key')).length, 0);
    } finally {
      writeFileSync(k1, saved);
    }
  });

  test('an interrupted pack leaves nothing visible; numbers are never reused', async () => {
    const l = repo.layout('syn');
    mkdirSync(join(l.imageDir, '.partial-99999-dead'));
    writeFileSync(join(l.imageDir, '.partial-99999-dead/root.img'), 'half');
    writeFileSync(l.keyFile(3), Buffer.alloc(64, 7), { mode: 0o600 });
    assert.deepEqual(await repo.versionNumbers('syn'), [1, 2]);
    await repo.removeVersion('syn', 2);
    const m = await packImage(repo, 'syn', { level: 3 });
    assert.equal(m.version, 3, 'version 2 was published once; its number is not reused');
    assert.ok(!readdirSync(l.imageDir).some((n) => n.startsWith('.partial-')), 'leftovers removed');
    assert.notDeepEqual(await repo.readKey('syn', 3), Buffer.alloc(64, 7), 'the stale key was replaced');
  });

  test('a damaged version is reported as damaged, naming the file', async () => {
    const l = repo.layout('syn');
    const meta = join(l.versionDir(1), 'metadata.json');
    const saved = readFileSync(meta, 'utf8');
    writeFileSync(meta, saved.replace(/"rootHash": "[0-9a-f]+"/, '"rootHash": "nothex"'));
    try {
      await assert.rejects(repo.readVersion('syn', 1), (e: any) => e.code === 'BERTH_CORRUPT' && e.message.includes('verity') && e.message.includes(meta));
      const versions = await repo.versions('syn');
      assert.ok(versions.some((v) => v.version === 1 && 'damaged' in v));
    } finally {
      writeFileSync(meta, saved);
    }
    rmSync(join(l.versionDir(1), 'root.img'));
    await assert.rejects(repo.readVersion('syn', 1), (e: any) => e.code === 'BERTH_CORRUPT' && /root\.img is missing/.test(e.message));
  });
});

describe('image pack refuses bad input without leaving a version', { skip: !isRoot && 'needs root' }, () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'berth-pack-bad-'))));
  after(() => {
    spawnSync('umount', [join(dir, 'small')]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tree without a kernel', async () => {
    const repo = await newRepo(join(dir, 'a'), 'nokernel', { kernel: false });
    await assert.rejects(packImage(repo, 'nokernel'), (e: any) => e.code === 'BERTH_BAD_INPUT' && /no kernel/.test(e.message) && /vmlinuz/.test(e.message));
    assert.deepEqual(await repo.versionNumbers('nokernel'), []);
  });

  test('names with / or ..', async () => {
    const repo = await newRepo(join(dir, 'b'));
    for (const bad of ['../etc', 'a/b', '..', '.hidden', '-x']) {
      await assert.rejects(packImage(repo, bad), (e: any) => e.code === 'BERTH_BAD_INPUT', bad);
    }
    assert.deepEqual(readdirSync(join(dir, 'b/images')), []);
  });

  test('a disk that fills up during the pack', async () => {
    const small = join(dir, 'small');
    mkdirSync(small);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', small]);
    assert.equal(m.status, 0, 'mount tmpfs');
    // 16 MiB of random data cannot compress: tree + squashfs + artifact need ~48 MiB.
    const repo = await newRepo(join(small, 'state'), 'big', { bigFileBytes: 12 * 1024 * 1024 });
    await assert.rejects(packImage(repo, 'big', { level: 1 }), (e: any) => e.code === 'BERTH_NO_SPACE' && /no space/i.test(e.message));
    assert.deepEqual(await repo.versionNumbers('big'), []);
    assert.deepEqual(readdirSync(repo.layout('big').imageDir).filter((n) => n.startsWith('.partial')), [], 'no partial left');
    assert.deepEqual(readdirSync(join(small, 'state/private')).filter((n) => n !== 'images'), []);
  });
});
