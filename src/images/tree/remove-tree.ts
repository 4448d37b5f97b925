/**
 * Deleting an image tree safely. A tree can have something mounted inside
 * it (an interrupted mmdebstrap leaves proc/ or dev/ mounted; an admin may
 * bind-mount a folder in), and a recursive delete through a mount would
 * delete the mounted filesystem's files: on a bind mount of the host's /,
 * the host. So mounts below the tree are found in /proc/self/mountinfo and
 * detached first, and the delete refuses if any remain.
 */
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BerthError } from '../../errors.ts';
import { run } from '../../util/run.ts';

export async function mountsBelow(path: string): Promise<string[]> {
  const base = resolve(path);
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (!mountPoint) continue;
    const decoded = mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (decoded === base || decoded.startsWith(`${base}/`)) out.push(decoded);
  }
  return out.sort((a, b) => b.length - a.length);
}

export async function removeTree(path: string): Promise<void> {
  for (const mount of await mountsBelow(path)) {
    await run('umount', ['--lazy', mount]).catch(() => {});
  }
  const left = await mountsBelow(path);
  if (left.length > 0) {
    throw new BerthError('BERTH_CONFLICT', `not deleting ${path}: ${left.join(', ')} ${left.length === 1 ? 'is' : 'are'} still mounted inside it; unmount first`, { file: path });
  }
  await rm(path, { recursive: true, force: true });
}
