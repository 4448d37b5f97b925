/**
 * Where the lab keeps things. Named here and nowhere else.
 *
 * Labs live under /run: it is a tmpfs that a reboot empties, exactly like the
 * network namespaces themselves, so a state file can never outlive its lab by
 * a reboot and make `berth lab down` look for something long gone.
 */
import { join, resolve } from 'node:path';

/** Default parent of every lab's directory (state file, console logs, UEFI variables). */
export const defaultLabsRoot = process.env['BERTH_LAB_ROOT'] || '/run/berth-lab';

/** Downloaded kernels and built initramfs images; the repository's ignored `.cache/`. */
export const defaultCacheDir = process.env['BERTH_LAB_CACHE'] || join(resolve(import.meta.dirname, '../..'), '.cache/lab');

/** Every name this lab code gives a namespace starts with this; nothing else is ever deleted. */
export const namespacePrefix = 'berth-lab-';

/** A namespace name this code could have made: the prefix and six hex digits. */
export const labNamePattern = /^berth-lab-[0-9a-f]{6}$/;

export function stateFileOf(labDir: string): string {
  return join(labDir, 'state.json');
}
