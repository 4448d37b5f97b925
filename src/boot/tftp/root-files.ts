/**
 * The only way the TFTP server touches the file system: a requested name is
 * turned into an open, regular file under the root, or into a refusal. TFTP
 * has no authentication, so this file is the server's whole security story.
 *
 * Names (normalizeRequestPath):
 * - leading "/" is stripped: PXE ROMs ask for "/pxelinux.0" meaning the root;
 * - "" and "." components are dropped, a ".." component is refused outright
 *   (never resolved, even if it would stay inside);
 * - backslashes are refused, not translated: we do not guess at Windows-style
 *   names ("boot\x64\wdsnbp.com"); publish such files under "/" names;
 * - control characters (NUL included, for callers other than the codec) and
 *   names over 1024 bytes are refused.
 *
 * Files (RootedFiles.open):
 * - realpath() of the joined name must stay under realpath(root): a symlink
 *   inside the root that points inside is fine, one that points out is refused;
 * - only regular files: directories, FIFOs, sockets and device files are
 *   refused by stat() *before* open(), because opening a FIFO blocks and
 *   opening some devices has side effects;
 * - opened O_NOFOLLOW|O_NONBLOCK, then fstat() must still say regular file
 *   and, on Linux, /proc/self/fd must still name a path under the root: a
 *   rename between the checks and open() cannot smuggle another file in;
 * - the file is opened once per transfer: a file replaced (renamed over)
 *   during a transfer is served as it was when the transfer started.
 */
import { constants, promises as fsPromises, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';

/** A stable reason, for drop counters and events. */
export type RefusalReason = 'bad-path' | 'outside-root' | 'not-found' | 'not-regular-file' | 'permission-denied' | 'open-failed';

export interface Refusal {
  /** TFTP error code to answer with: 1 file not found, 2 access violation. */
  tftpCode: 1 | 2;
  reason: RefusalReason;
  /** For the person at the console, sent in the ERROR packet. */
  message: string;
}

export interface OpenedFile {
  /** Real path, under the real root. */
  path: string;
  size: number;
  /** The descriptor, for a transfer worker thread of this process to read through; close() closes it. */
  fd: number;
  /** Reads contiguous file bytes from `position` into `buffers`, in order; resolves with the bytes read. */
  readv(buffers: Uint8Array[], position: number): Promise<number>;
  close(): Promise<void>;
}

export type OpenResult = { ok: true; file: OpenedFile } | { ok: false; refusal: Refusal };

/** The file-system calls RootedFiles makes; tests wrap them to see every path opened. */
export interface FileSystemCalls {
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<Stats>;
  open(path: string, flags: number): Promise<FileHandle>;
  readlink(path: string): Promise<string>;
}

const nodeFileSystem: FileSystemCalls = {
  realpath: (p) => fsPromises.realpath(p),
  stat: (p) => fsPromises.stat(p),
  open: (p, flags) => fsPromises.open(p, flags),
  readlink: (p) => fsPromises.readlink(p),
};

const maxNameBytes = 1024;

/** Pure: the path components under the root, or why the name is refused. */
export function normalizeRequestPath(name: string): { ok: true; components: string[] } | { ok: false; refusal: Refusal } {
  const refuse = (tftpCode: 1 | 2, message: string) => ({ ok: false as const, refusal: { tftpCode, reason: 'bad-path' as const, message } });
  if (Buffer.byteLength(name, 'utf8') > maxNameBytes) return refuse(2, `file name longer than ${maxNameBytes} bytes`);
  if (/[\x00-\x1f\x7f]/.test(name)) return refuse(2, 'control characters are not allowed in file names');
  if (name.includes('\\')) return refuse(2, "backslashes are not allowed in file names; use '/'");
  const components: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return refuse(2, "'..' is not allowed in file names");
    components.push(part);
  }
  if (components.length === 0) return refuse(1, 'no file name given');
  return { ok: true, components };
}

export class RootedFiles {
  /** realpath of the root. */
  readonly root: string;
  private readonly prefix: string;
  private readonly fs: FileSystemCalls;

  private constructor(root: string, fs: FileSystemCalls) {
    this.root = root;
    this.prefix = root.endsWith('/') ? root : `${root}/`;
    this.fs = fs;
  }

  /** Resolves the root once; throws BERTH_CONFIG when it is missing or not a directory. */
  static async at(root: string, fs: FileSystemCalls = nodeFileSystem): Promise<RootedFiles> {
    let real: string;
    try {
      real = await fs.realpath(root);
      if (!(await fs.stat(real)).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw new BerthError('BERTH_CONFIG', `TFTP root ${root} is not a readable directory: ${(e as Error).message}`, { file: root });
    }
    return new RootedFiles(real, fs);
  }

  async open(name: string): Promise<OpenResult> {
    const normalized = normalizeRequestPath(name);
    if (!normalized.ok) return normalized;
    const shown = normalized.components.join('/');
    const refuse = (tftpCode: 1 | 2, reason: RefusalReason, message: string): OpenResult => ({ ok: false, refusal: { tftpCode, reason, message } });

    let real: string;
    try {
      real = await this.fs.realpath(join(this.root, ...normalized.components));
    } catch (e) {
      return fromErrno(e, shown, refuse);
    }
    if (!this.isUnderRoot(real)) return refuse(2, 'outside-root', `${shown}: resolves outside the TFTP root`);
    try {
      const before = await this.fs.stat(real);
      if (!before.isFile()) return refuse(2, 'not-regular-file', `${shown}: not a regular file (${kindOf(before)})`);
    } catch (e) {
      return fromErrno(e, shown, refuse);
    }

    let handle: FileHandle;
    try {
      handle = await this.fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (e) {
      return fromErrno(e, shown, refuse);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return await closeWith(handle, refuse(2, 'not-regular-file', `${shown}: not a regular file (${kindOf(stats)})`));
      const opened = await this.openedPath(handle.fd);
      if (opened !== undefined && !this.isUnderRoot(opened)) {
        return await closeWith(handle, refuse(2, 'outside-root', `${shown}: resolves outside the TFTP root`));
      }
      return {
        ok: true,
        file: {
          path: real,
          size: stats.size,
          fd: handle.fd,
          readv: async (buffers, position) => (await handle.readv(buffers, position)).bytesRead,
          close: () => handle.close(),
        },
      };
    } catch (e) {
      return await closeWith(handle, refuse(2, 'open-failed', `${shown}: ${(e as Error).message}`));
    }
  }

  private isUnderRoot(real: string): boolean {
    return real.startsWith(this.prefix);
  }

  /** What the kernel says the descriptor is, where /proc tells us (Linux). */
  private async openedPath(fd: number): Promise<string | undefined> {
    if (process.platform !== 'linux') return undefined;
    try {
      return await this.fs.readlink(`/proc/self/fd/${fd}`);
    } catch {
      return undefined;
    }
  }
}

async function closeWith(handle: FileHandle, result: OpenResult): Promise<OpenResult> {
  await handle.close().catch(() => {});
  return result;
}

function fromErrno(e: unknown, shown: string, refuse: (code: 1 | 2, reason: RefusalReason, message: string) => OpenResult): OpenResult {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return refuse(1, 'not-found', `${shown}: file not found`);
  if (code === 'EACCES' || code === 'EPERM') return refuse(2, 'permission-denied', `${shown}: permission denied`);
  if (code === 'ELOOP') return refuse(2, 'bad-path', `${shown}: too many levels of symbolic links`);
  return refuse(2, 'open-failed', `${shown}: cannot open (${code ?? (e as Error).message})`);
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'special file';
}
