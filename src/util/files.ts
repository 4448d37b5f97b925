/** File helpers shared by everything that keeps state in files under the state dir. */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';

/** The file's text, or undefined when it does not exist; other errors are thrown. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Temp file beside the target, then rename: a crash never leaves half a file (or half a key) behind. */
export async function writeAtomic(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(temp, content, { mode, flag: 'wx' });
  await chmod(temp, mode); // writeFile's mode is filtered by the umask
  await rename(temp, path);
}
