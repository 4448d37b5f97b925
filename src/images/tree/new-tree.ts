/**
 * Makes trees/<name> appear whole or not at all, for everything that makes a
 * tree (build, unpack, clone, capture): the work happens in a hidden sibling
 * folder that is renamed into place at the end, and a failure removes it.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { hiddenSibling, publishStaged } from '../../state/staged-dir.ts';
import type { ImageRepository } from '../repository/image-repository.ts';
import { writeTreeInfo } from '../repository/tree-info.ts';
import type { TreeInfo } from '../repository/tree-info.ts';
import { removeTree } from './remove-tree.ts';

export async function withNewTree(repo: ImageRepository, name: string, fill: (root: string) => Promise<TreeInfo>): Promise<TreeInfo> {
  const layout = repo.layout(name);
  if (await stat(layout.treeDir).catch(() => undefined)) {
    throw new BerthError('BERTH_EXISTS', `image '${name}' already has a tree at ${layout.treeDir}; remove it first (berth image remove ${name} --tree) or choose another name`);
  }
  const partial = hiddenSibling(layout.treeDir, 'partial');
  await mkdir(partial, { mode: 0o755 });
  try {
    const info = await fill(join(partial, 'root'));
    await writeTreeInfo(join(partial, 'tree.json'), info);
    await publishStaged(partial, layout.treeDir);
    return info;
  } catch (e) {
    await removeTree(partial).catch(() => {});
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new BerthError('BERTH_NO_SPACE', `no space left under ${repo.state.trees} while making the tree of ${name}`);
    throw e;
  }
}
