/**
 * Rewrites the per-machine files a captured tree must not carry to a fleet,
 * but whose presence matters (dropping them outright is capture-exclusions.ts):
 *
 * - /etc/machine-id is emptied, not deleted: an empty file tells systemd this
 *   is a first boot and makes it generate a new ID (and it can do so even on a
 *   read-only root); Debian's own images ship it empty.
 * - /etc/shadow keeps every account and field, but each password hash
 *   becomes `*` (no password login), so one node's root password does not
 *   become every deployed node's. Empty fields (no password needed) and
 *   lock markers (`!`, `!!`, `*`) are left as they are.
 *
 * The tree is the captured node's root, so its absolute symlinks point into
 * the *server's* filesystem: /etc/machine-id -> /var/lib/dbus/machine-id
 * opened naively would truncate the server's own file. Every path is
 * therefore walked component by component with lstat, and a symlink anywhere
 * on it means the file is left alone (and said so in `warnings`).
 *
 * Files are rewritten in place, not via writeAtomic's rename: in place keeps
 * the inode's owner, mode, xattrs and ACLs exactly as captured, and nothing
 * can observe a half-written file because the tree is still inside the
 * capture's private (0700) partial directory.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScrubReport {
  /** Image paths that were changed. */
  scrubbed: string[];
  /** Files that looked scrubbable but were left alone, and why. */
  warnings: string[];
}

export async function scrubTree(root: string): Promise<ScrubReport> {
  const report: ScrubReport = { scrubbed: [], warnings: [] };
  await scrubFile(root, '/etc/machine-id', report, (text) => (text.length > 0 ? '' : undefined));
  await scrubFile(root, '/etc/shadow', report, (text) => {
    const blanked = blankPasswordHashes(text);
    return blanked.replaced > 0 ? blanked.text : undefined;
  });
  return report;
}

/** `rewrite` returns the new content, or undefined when nothing needs to change. */
async function scrubFile(
  root: string,
  imagePath: string,
  report: ScrubReport,
  rewrite: (text: string) => string | undefined,
): Promise<void> {
  const problem = await regularFileProblem(root, imagePath);
  if (problem === 'absent') return;
  if (problem !== undefined) {
    report.warnings.push(`${imagePath} not scrubbed: ${problem}`);
    return;
  }
  // O_NOFOLLOW: the final component was checked above, this keeps it so.
  const handle = await open(join(root, imagePath), constants.O_RDWR | constants.O_NOFOLLOW);
  try {
    const text = (await handle.readFile()).toString('utf8');
    const next = rewrite(text);
    if (next === undefined) return;
    await handle.truncate(0);
    await handle.write(next, 0, 'utf8');
    report.scrubbed.push(imagePath);
  } finally {
    await handle.close();
  }
}

/** undefined when `root + imagePath` is a regular file reached without symlinks; else why not. */
async function regularFileProblem(root: string, imagePath: string): Promise<string | undefined> {
  const parts = imagePath.split('/').filter((p) => p !== '');
  let path = root;
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    let stats;
    try {
      stats = await lstat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw e;
    }
    const shown = '/' + parts.slice(0, i + 1).join('/');
    if (stats.isSymbolicLink()) return `${shown} is a symlink`;
    if (i < parts.length - 1 && !stats.isDirectory()) return 'absent';
    if (i === parts.length - 1 && !stats.isFile()) return `${shown} is not a regular file`;
  }
  return undefined;
}

/** Replaces every password hash in shadow(5) text by `*`; exported for tests. */
export function blankPasswordHashes(text: string): { text: string; replaced: number } {
  let replaced = 0;
  const lines = text.split('\n').map((line) => {
    const fields = line.split(':');
    if (fields.length < 2 || !isPasswordHash(fields[1]!)) return line;
    fields[1] = '*';
    replaced++;
    return fields.join(':');
  });
  return { text: lines.join('\n'), replaced };
}

/**
 * A hash, possibly locked with leading `!` ("!$6$..."). Not a hash: empty
 * (no password), `!`/`!!` (locked, never set), anything starting with `*`
 * (`*`, `*LK*`: no login).
 */
function isPasswordHash(field: string): boolean {
  const unlocked = field.replace(/^!+/, '');
  return unlocked !== '' && !unlocked.startsWith('*');
}
