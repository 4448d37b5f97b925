/**
 * Directories that appear whole or not at all: filled under a hidden staging
 * name in the same parent (same file system, so rename(2) is atomic), then
 * published with one rename; removed by renaming them aside first, so a
 * reader never sees half a directory and a crash leaves only a hidden
 * leftover that the next start may sweep. Image versions and trees, media,
 * profiles and the trusting iPXE build all publish this way.
 *
 * rename(2) onto an existing non-empty directory fails with ENOTEMPTY (or
 * EEXIST), which is the existence check without a race; onto an *empty*
 * directory it replaces it silently, which is why `replace` is explicit.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from '../util/run.ts';

/**
 * A hidden name beside `target`, `.<purpose>-<pid>-<random>-<name>`, never a
 * name berth lists: the process id tells a live one from a leftover, and the
 * name comes last so a leftover of `a` is not mistaken for one of `ab`.
 */
export function hiddenSibling(target: string, purpose: string): string {
  return join(dirname(target), `.${purpose}-${process.pid}-${randomBytes(4).toString('hex')}-${basename(target)}`);
}

export interface PublishOptions {
  /** Move an existing `target` aside and remove it after the new one is in place. Default: fail on a non-empty target. */
  replace?: boolean;
  /**
   * How the staged data reaches the disk before the rename publishes it:
   * `entries` fsyncs each top-level entry and the folder (a few files);
   * `filesystem` runs one syncfs over the file system (gigabytes of media);
   * `none` for data that can be made again.
   */
  sync?: 'entries' | 'filesystem' | 'none';
}

/** Makes `staged` visible as `target` in one rename. ENOTEMPTY/EEXIST from rename when `target` exists and `replace` is not set. */
export async function publishStaged(staged: string, target: string, options: PublishOptions = {}): Promise<void> {
  if (options.sync === 'entries') {
    for (const entry of await readdir(staged)) await syncPath(join(staged, entry));
    await syncPath(staged);
  } else if (options.sync === 'filesystem') {
    await syncFileSystem(staged);
  }
  let old: string | undefined;
  if (options.replace && (await stat(target).catch(() => undefined))) {
    old = hiddenSibling(target, 'removing');
    await rename(target, old);
  }
  await rename(staged, target);
  if (options.sync !== 'none' && options.sync !== undefined) await syncPath(dirname(target));
  if (old) await rm(old, { recursive: true, force: true });
}

/**
 * Runs `fill` on a fresh hidden staging folder beside `target` and publishes
 * it; on any failure the staging folder is removed and the error rethrown.
 */
export async function withStagedDir<T>(target: string, fill: (staged: string) => Promise<T>, options: PublishOptions & { purpose?: string } = {}): Promise<T> {
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const staged = hiddenSibling(target, options.purpose ?? 'new');
  await mkdir(staged, { mode: 0o755 });
  try {
    const result = await fill(staged);
    await publishStaged(staged, target, options);
    return result;
  } catch (e) {
    await rm(staged, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** Removes `dir` by renaming it aside first; false when it did not exist. */
export async function removePublished(dir: string, options: { sync?: boolean } = {}): Promise<boolean> {
  const gone = hiddenSibling(dir, 'removing');
  try {
    await rename(dir, gone);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (options.sync) await syncPath(dirname(dir));
  await rm(gone, { recursive: true, force: true });
  return true;
}

/** fsync of a file or directory (a directory's fsync makes its entries durable). */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** One syncfs(2) for everything under `path`'s file system (coreutils `sync --file-system`). */
async function syncFileSystem(path: string): Promise<void> {
  await run('sync', ['--file-system', path]);
}
