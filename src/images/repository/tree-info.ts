/**
 * `trees/<name>/tree.json`: what an editable tree is and where it came from,
 * carried into every version packed from it. `modified` is berth's answer to
 * "which time does this tree have": it is the default SOURCE_DATE_EPOCH of a
 * pack, so packing the same tree twice gives the same bytes, and berth moves
 * it forward after every build, exec, unpack or capture.
 */
import { BerthError } from '../../errors.ts';
import { readIfExists, writeAtomic } from '../../util/files.ts';

export interface TreeInfo {
  name: string;
  /** How the tree was made. */
  origin: 'build' | 'unpack' | 'clone' | 'capture';
  distro?: string;
  arch?: string;
  /** Packages asked for at build time, beyond the distribution's base set. */
  packages?: string[];
  /** The version this tree was unpacked from (and what its next pack records as parent). */
  parent?: { name: string; version: number };
  /** For captures: the node and address it came from. */
  capturedFrom?: { node: string; host: string };
  created: string;
  modified: string;
}

export async function readTreeInfo(path: string, name: string): Promise<TreeInfo | undefined> {
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  try {
    const info = JSON.parse(text) as TreeInfo;
    if (typeof info !== 'object' || info === null || typeof info.origin !== 'string' || typeof info.modified !== 'string') throw new Error('missing origin or modified');
    return { ...info, name };
  } catch (e) {
    throw new BerthError('BERTH_CORRUPT', `${path} is damaged (${(e as Error).message}); fix or remove it`, { file: path });
  }
}

export async function writeTreeInfo(path: string, info: TreeInfo): Promise<void> {
  await writeAtomic(path, JSON.stringify(info, null, 2) + '\n', 0o644);
}

/** Seconds since the epoch, whole, as SOURCE_DATE_EPOCH wants them. */
export function epochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}
