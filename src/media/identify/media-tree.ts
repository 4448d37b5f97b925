/**
 * The one view of installation media the detectors get: a few questions
 * about a file tree, answered either by a folder on disk or by the file
 * listing of an ISO plus the handful of small marker files extracted from it
 * (extract.ts), so an ISO is identified without copying gigabytes.
 *
 * Names are matched exactly first and then without regard to case: a tree
 * copied off a plain ISO 9660 disc (no Rock Ridge, no Joliet: ESXi's) on
 * another system may spell BOOT.CFG in capitals. Every answer is the path as
 * the tree spells it, so the record names files that really exist.
 *
 * Symbolic links are never followed: media have some (Debian's
 * dists/stable -> bookworm, Ubuntu's ubuntu -> .) and none of them is a
 * marker; following them could read outside the tree.
 */
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface MediaTree {
  /** What the tree is, for messages: a folder or an ISO file. */
  readonly origin: string;
  /** `path` as the tree spells it, when it is a regular file. */
  file(path: string): Promise<string | undefined>;
  /** `path` as the tree spells it, when it is a directory. */
  dir(path: string): Promise<string | undefined>;
  /** The text of a regular file, at most `MARKER_MAX_BYTES` of it; undefined when there is none. */
  read(path: string): Promise<string | undefined>;
  /** Entry names of a directory ('' is the top), sorted; empty when there is no such directory. */
  list(path: string): Promise<string[]>;
}

/** Marker files are a few lines; nothing larger is read (or extracted from an ISO). */
export const MARKER_MAX_BYTES = 256 * 1024;

export type EntryType = 'file' | 'dir' | 'link' | 'other';

/** A folder on disk. */
export function directoryTree(root: string): MediaTree {
  const resolve = async (path: string): Promise<{ path: string; type: EntryType } | undefined> => {
    const parts = segments(path);
    if (!parts) return undefined;
    let actual = '';
    let type: EntryType = 'dir';
    for (const segment of parts) {
      if (type !== 'dir') return undefined;
      let name: string | undefined = segment;
      let st = await lstat(join(root, actual, name)).catch(() => undefined);
      if (!st) {
        const entries = await readdir(join(root, actual)).catch(() => [] as string[]);
        name = entries.find((e) => e.toLowerCase() === segment.toLowerCase());
        if (name === undefined) return undefined;
        st = await lstat(join(root, actual, name)).catch(() => undefined);
        if (!st) return undefined;
      }
      actual = actual ? `${actual}/${name}` : name;
      type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
    }
    return { path: actual, type };
  };
  return {
    origin: root,
    async file(path) {
      const found = await resolve(path);
      return found?.type === 'file' ? found.path : undefined;
    },
    async dir(path) {
      const found = await resolve(path);
      return found?.type === 'dir' ? found.path : undefined;
    },
    async read(path) {
      const found = await resolve(path);
      if (found?.type !== 'file') return undefined;
      return readHead(join(root, found.path));
    },
    async list(path) {
      const found = await resolve(path);
      if (found?.type !== 'dir') return [];
      return (await readdir(join(root, found.path)).catch(() => [] as string[])).sort();
    },
  };
}

export interface ListedEntry {
  /** Relative path without a leading slash, as the ISO spells it. */
  path: string;
  type: EntryType;
  bytes: number;
}

/**
 * An ISO known by its listing; `markerDir` holds the marker files extracted
 * from it under the same relative paths (a missing one reads as absent).
 */
export function listedTree(origin: string, entries: ListedEntry[], markerDir: string): MediaTree {
  const exact = new Map<string, ListedEntry>();
  const folded = new Map<string, ListedEntry>();
  const children = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.path === '') continue;
    exact.set(entry.path, entry);
    if (!folded.has(entry.path.toLowerCase())) folded.set(entry.path.toLowerCase(), entry);
    const slash = entry.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : entry.path.slice(0, slash);
    children.set(parent, [...(children.get(parent) ?? []), entry.path.slice(slash + 1)]);
  }
  const resolve = (path: string): ListedEntry | undefined => {
    const parts = segments(path);
    if (!parts) return undefined;
    const clean = parts.join('/');
    if (clean === '') return { path: '', type: 'dir', bytes: 0 };
    return exact.get(clean) ?? folded.get(clean.toLowerCase());
  };
  return {
    origin,
    async file(path) {
      const found = resolve(path);
      return found?.type === 'file' ? found.path : undefined;
    },
    async dir(path) {
      const found = resolve(path);
      return found?.type === 'dir' ? found.path : undefined;
    },
    async read(path) {
      const found = resolve(path);
      if (found?.type !== 'file' || found.bytes > MARKER_MAX_BYTES) return undefined;
      return readHead(join(markerDir, found.path));
    },
    async list(path) {
      const found = resolve(path);
      if (found?.type !== 'dir') return [];
      return [...(children.get(found.path) ?? [])].sort();
    },
  };
}

/** The path's names, or undefined when it climbs out with `..` (never a marker). */
function segments(path: string): string[] | undefined {
  const parts = path.split('/').filter((s) => s !== '' && s !== '.');
  return parts.includes('..') ? undefined : parts;
}

async function readHead(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(MARKER_MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
