/**
 * How much a captured tree holds, for the capture's report: never follows
 * symlinks (the tree's absolute links point into the server's filesystem),
 * counts a hard-linked inode once, and counts a sparse file's apparent size
 * (what the packed image will hold), not its allocated blocks.
 */
import { opendir, lstat } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeTotals {
  /** Entries other than directories: regular files, symlinks, devices, FIFOs, sockets. */
  files: number;
  /** Sum of regular files' sizes. */
  bytes: number;
}

export async function treeTotals(root: string): Promise<TreeTotals> {
  const seen = new Set<string>();
  const totals: TreeTotals = { files: 0, bytes: 0 };
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for await (const entry of await opendir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      const stats = await lstat(path, { bigint: true });
      const inode = `${stats.dev}:${stats.ino}`;
      if (stats.nlink > 1n) {
        if (seen.has(inode)) continue;
        seen.add(inode);
      }
      totals.files++;
      if (stats.isFile()) totals.bytes += Number(stats.size);
    }
  }
  return totals;
}
