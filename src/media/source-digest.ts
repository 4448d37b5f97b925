/**
 * What an import's source is, as a digest: the same digest means the same
 * source, so a re-import is recognised without copying anything.
 *
 * - An ISO: the SHA-256 of the file, the number distributions publish in
 *   their SHA256SUMS, so `berth media show` can be compared with it.
 * - A folder: the SHA-256 of its listing, one line per entry in byte order
 *   of the path, `<type> <bytes> <path>` (`l 0 <path> -> <target>` for
 *   links). Reading every byte of a copied DVD to notice a re-import would
 *   cost as much as the copy; installation media are never edited in place,
 *   so names and sizes tell two trees apart.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface SourceDigest {
  bytes: number;
  sha256: string;
}

export async function fileDigest(path: string): Promise<SourceDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

export async function directoryDigest(root: string): Promise<SourceDigest & { files: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let files = 0;
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(root, relative))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = relative ? `${relative}/${name}` : name;
      const st = await lstat(join(root, path));
      if (st.isDirectory()) {
        hash.update(`d 0 ${path}\n`);
        await walk(path);
      } else if (st.isSymbolicLink()) {
        hash.update(`l 0 ${path} -> ${await readlink(join(root, path))}\n`);
      } else if (st.isFile()) {
        hash.update(`f ${st.size} ${path}\n`);
        bytes += st.size;
        files += 1;
      } else {
        hash.update(`o 0 ${path}\n`);
      }
    }
  };
  await walk('');
  return { bytes, sha256: hash.digest('hex'), files };
}
