/**
 * Where an image's files live under the state dir. Every image path is built
 * here, from a name already checked by image-ref.ts, so no other module joins
 * user input into a path.
 *
 *   trees/<name>/root/               the editable root tree (build, exec, unpack, capture)
 *   trees/<name>/tree.json           where the tree came from (tree-info.ts)
 *   images/<name>/<n>/               version n, immutable once its folder has this name
 *   images/<name>/last-version       highest version ever published: numbers are never reused
 *   images/<name>/.lock              held while a version is published or removed
 *   images/<name>/.partial-*         a pack in progress (or interrupted: removed by the next pack)
 *   private/images/<name>/<n>.key    the version's 64-byte dm-crypt key, never under a served folder
 */
import { join } from 'node:path';
import type { StateDirLayout } from '../../state/state-dir.ts';
import { requireImageName } from './image-ref.ts';

export interface ImageLayout {
  treeDir: string;
  treeRoot: string;
  treeInfo: string;
  imageDir: string;
  lastVersion: string;
  lock: string;
  keyDir: string;
  versionDir(version: number): string;
  keyFile(version: number): string;
}

/** The version folder's files, named once. */
export const VERSION_FILES = {
  metadata: 'metadata.json',
  /** Encrypted squashfs, zero-padded to 4096 bytes, followed by the dm-verity hash tree. */
  artifact: 'root.img',
  kernel: 'vmlinuz',
  initramfs: 'initrd.img',
  manifest: 'manifest.json',
  files: 'files.json.gz',
} as const;

export function imageLayout(state: StateDirLayout, name: string): ImageLayout {
  requireImageName(name);
  const treeDir = join(state.trees, name);
  const imageDir = join(state.images, name);
  const keyDir = join(state.privateDir, 'images', name);
  return {
    treeDir,
    treeRoot: join(treeDir, 'root'),
    treeInfo: join(treeDir, 'tree.json'),
    imageDir,
    lastVersion: join(imageDir, 'last-version'),
    lock: join(imageDir, '.lock'),
    keyDir,
    versionDir: (version) => join(imageDir, String(version)),
    keyFile: (version) => join(keyDir, `${version}.key`),
  };
}
