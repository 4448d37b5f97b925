/**
 * `berth image unpack <name>@<n> [--as <new>]` and `berth image clone`:
 * versions back into editable trees.
 *
 * Unpacking checks before it trusts: dm-verity over the whole artifact first
 * (a flipped byte on disk is reported as such, not as a squashfs error), then
 * the decrypted squashfs against the content digest in the metadata, which
 * also catches a key that does not belong to the version.
 */
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { run } from '../../util/run.ts';
import { PlainXtsSectors, plainXtsChunkBytes } from '../crypt/plain-xts.ts';
import { verifyVerity } from '../pack/verity.ts';
import type { ImageRepository } from '../repository/image-repository.ts';
import { parseImageRef, requireImageName } from '../repository/image-ref.ts';
import type { TreeInfo } from '../repository/tree-info.ts';
import type { VersionMetadata } from '../repository/version-metadata.ts';
import { copyTree } from '../tree/copy-tree.ts';
import { withNewTree } from '../tree/new-tree.ts';

export async function unpackVersion(repo: ImageRepository, ref: string, as?: string): Promise<{ metadata: VersionMetadata; tree: TreeInfo }> {
  const metadata = await repo.resolve(ref);
  const target = as === undefined ? metadata.name : requireImageName(as);
  return withNewTree(repo, target, async (root) => {
    const artifact = join(repo.layout(metadata.name).versionDir(metadata.version), metadata.artifact.file);
    await verifyVerity(artifact, metadata.verity, `${metadata.name}@${metadata.version}`);
    const squashfs = `${root}.squashfs`;
    try {
      await decryptSquashfs(artifact, squashfs, await repo.readKey(metadata.name, metadata.version), metadata);
      await run('unsquashfs', ['-d', root, '-no-progress', '-quiet', squashfs]);
    } finally {
      await rm(squashfs, { force: true });
    }
    const { created: _c, modified: _m, ...source } = metadata.source;
    const now = new Date().toISOString();
    return { ...source, name: target, origin: 'unpack', parent: { name: metadata.name, version: metadata.version }, created: now, modified: now };
  }).then((tree) => ({ metadata, tree }));
}

/** A new image from another's tree, or from its newest version when it has no tree. */
export async function cloneImage(repo: ImageRepository, from: string, to: string): Promise<TreeInfo> {
  const { name } = parseImageRef(from);
  requireImageName(to);
  const source = await repo.tree(name);
  if (!source) return (await unpackVersion(repo, from, to)).tree;
  const sourceRoot = repo.layout(name).treeRoot;
  return withNewTree(repo, to, async (root) => {
    await copyTree(sourceRoot, root);
    const now = new Date().toISOString();
    const { name: _n, created: _c, ...rest } = source;
    return { ...rest, name: to, origin: 'clone', created: now, modified: now };
  });
}

async function decryptSquashfs(artifact: string, output: string, key: Buffer, metadata: VersionMetadata): Promise<void> {
  const sectors = new PlainXtsSectors('decrypt', key, { sectorSize: metadata.crypt.sectorSize, ivLargeSectors: metadata.crypt.ivLargeSectors });
  const hash = createHash('sha256');
  const input = await open(artifact, 'r');
  const out = await open(output, 'wx', 0o600);
  try {
    const buffer = Buffer.alloc(plainXtsChunkBytes);
    for (let position = 0; position < metadata.crypt.bytes; ) {
      const want = Math.min(buffer.length, metadata.crypt.bytes - position);
      const { bytesRead } = await input.read(buffer, 0, want, position);
      if (bytesRead !== want) throw new BerthError('BERTH_CORRUPT', `${artifact} is shorter than its metadata says`, { file: artifact });
      const plain = sectors.convert(buffer.subarray(0, want), position);
      const keep = Math.min(want, metadata.squashfs.bytes - position);
      if (keep > 0) {
        hash.update(plain.subarray(0, keep));
        await out.write(plain, 0, keep, position);
      }
      position += want;
    }
  } finally {
    await input.close();
    await out.close();
  }
  if (hash.digest('hex') !== metadata.squashfs.sha256) {
    throw new BerthError('BERTH_CORRUPT', `${metadata.name}@${metadata.version} decrypts to content that does not match its digest: its key (private/images/${metadata.name}/${metadata.version}.key) does not belong to it`);
  }
}
