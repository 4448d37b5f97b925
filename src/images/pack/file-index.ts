/**
 * A listing of every file in a version (path, type, mode, owner, size,
 * mtime), kept gzipped beside the artifact so `berth image diff` can say
 * which files changed between versions without decrypting either. Content
 * hashes are left out on purpose: they would cost a read of the whole tree
 * per pack, while size + mtime + mode catch what package upgrades and edits
 * change.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

/** [path, type, mode, uid, gid, size, mtime seconds, link target] */
export type FileEntry = [string, 'f' | 'd' | 'l' | 'c' | 'b' | 'p' | 's', number, number, number, number, number, string?];

export interface FileIndex {
  entries: FileEntry[];
  bytes: number;
}

/**
 * Synchronous on purpose: 20,000 lstat calls through the thread pool cost
 * several times their syscall time in promise overhead, and during a pack
 * the event loop has nothing else to do (mksquashfs runs in its own process).
 */
export async function indexTree(root: string): Promise<FileIndex> {
  const entries: FileEntry[] = [];
  let bytes = 0;
  const walk = (dir: string, prefix: string): void => {
    const names = readdirSync(dir).sort();
    for (const name of names) {
      const path = join(dir, name);
      const rel = `${prefix}/${name}`;
      const st = lstatSync(path);
      const type = st.isFile() ? 'f' : st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : 's';
      const entry: FileEntry = [rel, type, st.mode & 0o7777, st.uid, st.gid, type === 'f' ? st.size : 0, Math.floor(st.mtimeMs / 1000)];
      if (type === 'l') entry.push(readlinkSync(path));
      if (type === 'f') bytes += st.size;
      entries.push(entry);
      if (type === 'd') walk(path, rel);
    }
  };
  // After the caller's other work has started (mksquashfs spawned), not before it.
  await new Promise((resolve) => setImmediate(resolve));
  walk(root, '');
  return { entries, bytes };
}

export async function encodeFileIndex(index: FileIndex): Promise<Buffer> {
  return promisify(gzip)(Buffer.from(index.entries.map((e) => JSON.stringify(e)).join('\n') + '\n'));
}

export async function decodeFileIndex(data: Buffer): Promise<FileEntry[]> {
  const text = (await promisify(gunzip)(data)).toString('utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FileEntry);
}
