/**
 * `berth image pack <name>`: the tree becomes version n+1, immutable.
 *
 *   tree ──mksquashfs──▶ squashfs ──aes-xts-plain64 + block hashes──▶ root.img = ciphertext ‖ verity tree
 *        ──dpkg-query──▶ manifest.json
 *        ──walk────────▶ files.json.gz
 *        ──/boot───────▶ vmlinuz, initrd.img
 *
 * Everything happens in a hidden `.partial-*` folder beside the versions;
 * the version appears by one rename once all of it is on disk (and its key
 * in private/). The steps that only read the tree run while mksquashfs does,
 * so berth's own cost on top of mksquashfs is one pass that encrypts and
 * hashes on every CPU.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { VERSION } from '../../version.ts';
import { plainXtsKeyBytes } from '../crypt/plain-xts.ts';
import type { ImageRepository } from '../repository/image-repository.ts';
import { VERSION_FILES } from '../repository/image-layout.ts';
import { epochSeconds, writeTreeInfo } from '../repository/tree-info.ts';
import type { VersionMetadata } from '../repository/version-metadata.ts';
import { findBootFiles } from './boot-files.ts';
import { encryptArtifact } from './encrypt-artifact.ts';
import { encodeFileIndex, indexTree } from './file-index.ts';
import { readPackageManifest } from './package-manifest.ts';
import { DEFAULT_ZSTD_LEVEL, makeSquashfs } from './squashfs.ts';

export interface PackOptions {
  level?: number;
  /** SOURCE_DATE_EPOCH: the filesystem time, and file times newer than it are clamped to it. Without it the tree's time (tree.json `modified`) is the filesystem time and file times stay as they are. */
  sourceDateEpoch?: number;
  /** Recorded as how the version was made, e.g. the CLI command line. */
  command?: string;
  /** Called with each finished step and its duration, for progress output. */
  progress?(step: string, seconds: number): void;
}

/** Images are encrypted in 4096-byte sectors with --iv-large-sectors (src/images/crypt/README.md). */
const GEOMETRY = { sectorSize: 4096, ivLargeSectors: true } as const;

export async function packImage(repo: ImageRepository, name: string, options: PackOptions = {}): Promise<VersionMetadata> {
  const tree = await repo.requireTree(name);
  const layout = repo.layout(name);
  const boot = await findBootFiles(layout.treeRoot, name);
  const level = options.level ?? DEFAULT_ZSTD_LEVEL;
  const mkfsTime = options.sourceDateEpoch ?? epochSeconds(tree.modified);
  const clampFileTimes = options.sourceDateEpoch !== undefined;
  const lock = await repo.lock(name);
  let partial: string | undefined;
  try {
    await repo.removeLeftovers(name);
    const version = await repo.nextVersion(name);
    const previous = (await repo.versionNumbers(name)).at(-1);
    partial = await repo.partialDir(name);
    const dir = partial;
    const started = Date.now();
    const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      const result = await work();
      options.progress?.(step, (Date.now() - t) / 1000);
      return result;
    };

    const squashfsPath = join(dir, 'root.squashfs');
    const [, manifest, files] = await Promise.all([
      timed('squashfs', () => makeSquashfs(layout.treeRoot, squashfsPath, { level, mkfsTime, clampFileTimes })),
      timed('manifest', async () => {
        const m = await readPackageManifest(layout.treeRoot, name);
        await writeFile(join(dir, VERSION_FILES.manifest), JSON.stringify(m, null, 1) + '\n', { mode: 0o644 });
        return m;
      }),
      timed('file index', async () => {
        const index = await indexTree(layout.treeRoot);
        const encoded = await encodeFileIndex(index);
        await writeFile(join(dir, VERSION_FILES.files), encoded, { mode: 0o644 });
        return { count: index.entries.length, bytes: index.bytes };
      }),
      timed('boot files', async () => {
        await copyFile(boot.kernel, join(dir, VERSION_FILES.kernel));
        await copyFile(boot.initramfs, join(dir, VERSION_FILES.initramfs));
      }),
    ]);

    const key = randomBytes(plainXtsKeyBytes);
    const artifactPath = join(dir, VERSION_FILES.artifact);
    const encrypted = await timed('encrypt + verity', () => encryptArtifact(squashfsPath, artifactPath, key, GEOMETRY));
    await rm(squashfsPath);
    const { verity, artifactBytes } = encrypted;

    const [kernelSha256, initramfsSha256] = await Promise.all([sha256File(join(dir, VERSION_FILES.kernel)), sha256File(join(dir, VERSION_FILES.initramfs))]);
    const { name: _n, ...source } = tree;
    const metadata: VersionMetadata = {
      format: 1,
      name,
      version,
      created: new Date().toISOString(),
      builtBy: { user: process.env['SUDO_USER'] ?? userInfo().username, host: hostname(), berth: VERSION, command: options.command ?? `berth image pack ${name}` },
      parent: tree.parent ?? (previous !== undefined ? { name, version: previous } : null),
      source,
      squashfs: { compression: 'zstd', level, bytes: encrypted.plainBytes, sha256: encrypted.plainSha256, mkfsTime, clampedFileTimes: clampFileTimes, packSeconds: 0 },
      crypt: { cipher: 'aes-xts-plain64', keyBytes: 64, sectorSize: GEOMETRY.sectorSize, ivLargeSectors: GEOMETRY.ivLargeSectors, bytes: encrypted.cipherBytes },
      verity,
      artifact: { file: VERSION_FILES.artifact, bytes: artifactBytes },
      boot: { kernelVersion: boot.kernelVersion, kernel: VERSION_FILES.kernel, initramfs: VERSION_FILES.initramfs, kernelSha256, initramfsSha256 },
      manifest: { file: VERSION_FILES.manifest, format: manifest.format, packages: manifest.packages.length },
      files: { file: VERSION_FILES.files, ...files },
    };
    metadata.squashfs.packSeconds = (Date.now() - started) / 1000;
    await writeFile(join(dir, VERSION_FILES.metadata), JSON.stringify(metadata, null, 2) + '\n', { mode: 0o644 });
    await timed('publish', () => repo.publish(name, version, dir, key));
    partial = undefined;
    // The tree now descends from what was just packed.
    await writeTreeInfo(layout.treeInfo, { ...tree, parent: { name, version } });
    return metadata;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new BerthError('BERTH_NO_SPACE', `no space left on the device of ${layout.imageDir} while packing ${name}; nothing was published (free space, or pack with a higher --level)`, { file: layout.imageDir });
    }
    throw e;
  } finally {
    if (partial) await rm(partial, { recursive: true, force: true }).catch(() => {});
    await lock.release();
  }
}

export async function sha256File(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { createReadStream } = await import('node:fs');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
