/**
 * A packed image version written by hand, for tests that need one without
 * running a pack: a version folder that passes ImageRepository.readVersion
 * (metadata.json with every field it checks, root.img of the recorded size,
 * vmlinuz, initrd.img, manifest.json, files.json.gz) and its 64-byte key.
 * The root image is zeros, not a real encrypted squashfs: fine for profiles
 * and boot scripts, useless for anything that opens it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { imageLayout, VERSION_FILES } from '../../src/images/repository/image-layout.ts';
import type { VersionMetadata } from '../../src/images/repository/version-metadata.ts';
import { stateDirLayout } from '../../src/state/state-dir.ts';

export interface FakeImageVersion {
  dir: string;
  metadata: VersionMetadata;
  kernel: Buffer;
  initramfs: Buffer;
}

export async function writeFakeImageVersion(
  stateDir: string,
  name: string,
  version: number,
  options: { kernel?: Buffer; initramfs?: Buffer; artifactBytes?: number } = {},
): Promise<FakeImageVersion> {
  const layout = imageLayout(stateDirLayout(stateDir), name);
  const dir = layout.versionDir(version);
  const kernel = options.kernel ?? Buffer.from(`fake kernel of ${name}@${version}\n`);
  const initramfs = options.initramfs ?? Buffer.from(`fake initramfs of ${name}@${version}\n`);
  const cryptBytes = 8192;
  const artifact = Buffer.alloc(options.artifactBytes ?? cryptBytes + 4096);
  const manifest = Buffer.from(JSON.stringify({ format: 'deb', packages: [{ name: 'base-files', version: '12.4' }] }) + '\n');
  const files = gzipSync(Buffer.from('[]\n'));
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  const created = new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString();
  const metadata: VersionMetadata = {
    format: 1,
    name,
    version,
    created,
    builtBy: { user: 'root', host: 'test', berth: '0.1.0', command: 'berth image pack (fake, test/helpers/fake-image-version.ts)' },
    parent: version > 1 ? { name, version: version - 1 } : null,
    source: { origin: 'build', distro: 'debian-12', arch: 'x86_64', created, modified: created },
    squashfs: { compression: 'zstd', level: 19, bytes: cryptBytes, sha256: sha256(artifact.subarray(0, cryptBytes)), mkfsTime: Math.floor(Date.parse(created) / 1000), clampedFileTimes: false, packSeconds: 0 },
    crypt: { cipher: 'aes-xts-plain64', keyBytes: 64, sectorSize: 4096, ivLargeSectors: true, bytes: cryptBytes },
    verity: { version: 1, hashAlgorithm: 'sha256', dataBlockSize: 4096, hashBlockSize: 4096, dataBlocks: cryptBytes / 4096, hashOffset: cryptBytes, salt: '00'.repeat(32), rootHash: sha256(Buffer.from(`root of ${name}@${version}`)) },
    artifact: { file: VERSION_FILES.artifact, bytes: artifact.length },
    boot: { kernelVersion: '6.1.0-test-amd64', kernel: VERSION_FILES.kernel, initramfs: VERSION_FILES.initramfs, kernelSha256: sha256(kernel), initramfsSha256: sha256(initramfs) },
    manifest: { file: VERSION_FILES.manifest, format: 'deb', packages: 1 },
    files: { file: VERSION_FILES.files, count: 0, bytes: 0 },
  };
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(join(dir, VERSION_FILES.artifact), artifact);
  await writeFile(join(dir, VERSION_FILES.kernel), kernel);
  await writeFile(join(dir, VERSION_FILES.initramfs), initramfs);
  await writeFile(join(dir, VERSION_FILES.manifest), manifest);
  await writeFile(join(dir, VERSION_FILES.files), files);
  await writeFile(join(dir, VERSION_FILES.metadata), JSON.stringify(metadata, null, 2) + '\n');
  await mkdir(layout.keyDir, { recursive: true, mode: 0o700 });
  await writeFile(layout.keyFile(version), randomBytes(64), { mode: 0o600 });
  const last = Number((await readFile(layout.lastVersion, 'utf8').catch(() => '0')).trim());
  await writeFile(layout.lastVersion, `${Math.max(last, version)}\n`);
  return { dir, metadata, kernel, initramfs };
}
