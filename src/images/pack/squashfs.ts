/**
 * The squashfs of a tree, with mksquashfs (squashfs-tools), made
 * reproducible: `-reproducible` (the default since 4.4, given explicitly)
 * orders output independently of thread timing, directories are sorted by
 * name, and the filesystem's own time is fixed (`-mkfs-time`) to the tree's
 * time, so the same tree packs to the same bytes. File times are kept as
 * they are, unless the caller sets SOURCE_DATE_EPOCH: then mksquashfs uses
 * it for the filesystem time and clamps newer file times to it, as
 * reproducible-builds.org defines it, for builds that must match bytes
 * across different trees and machines.
 *
 * Ownership is kept as it is in the tree, not forced to root: a tree is
 * always built and unpacked by root, so its files are root's except where the
 * distribution itself assigns another owner (`/var/log/journal` to
 * systemd-journal, `/var/cache/man` to man), and forcing those to root would
 * break the services that own them.
 */
import { BerthError } from '../../errors.ts';
import { SubprocessError, run } from '../../util/run.ts';

export interface SquashfsOptions {
  /** zstd level 1..22. */
  level: number;
  /** The filesystem's creation time (seconds). */
  mkfsTime: number;
  /** SOURCE_DATE_EPOCH semantics: also clamp file times to mkfsTime. */
  clampFileTimes: boolean;
  /** Limits mksquashfs's threads (default: all CPUs). */
  processors?: number;
}

export const DEFAULT_ZSTD_LEVEL = 6;

export function mksquashfsArgs(root: string, output: string, options: SquashfsOptions): string[] {
  return [
    root, output, '-noappend', '-reproducible',
    '-comp', 'zstd', '-Xcompression-level', String(options.level),
    ...(options.clampFileTimes ? [] : ['-mkfs-time', String(options.mkfsTime)]),
    '-no-progress', '-quiet',
    ...(options.processors ? ['-processors', String(options.processors)] : []),
  ];
}

export async function makeSquashfs(root: string, output: string, options: SquashfsOptions): Promise<void> {
  if (!Number.isInteger(options.level) || options.level < 1 || options.level > 22) {
    throw new BerthError('BERTH_BAD_INPUT', `zstd level ${options.level} is out of range: use 1 (fastest) to 22 (smallest)`);
  }
  try {
    // mksquashfs reads SOURCE_DATE_EPOCH from the environment: set it only when clamping, and never inherit the caller's.
    const env = { SOURCE_DATE_EPOCH: options.clampFileTimes ? String(options.mkfsTime) : undefined };
    await run('mksquashfs', mksquashfsArgs(root, output, options), { env });
  } catch (e) {
    if (e instanceof SubprocessError && /No space left on device/i.test(e.stderr)) {
      throw new BerthError('BERTH_NO_SPACE', `no space left on the device of ${output} while writing the squashfs of ${root}`, { file: output });
    }
    throw e;
  }
}
