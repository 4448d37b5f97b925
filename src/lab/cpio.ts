/**
 * Writes cpio archives in the "newc" format, the one the Linux kernel unpacks
 * as an initramfs (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Written here rather than by GNU cpio so the archive is reproducible without
 * root: entries are sorted, owned by root, stamped with one fixed time, and
 * device nodes (/dev/console) can be made without mknod.
 */

export type CpioEntry =
  | { type: 'directory'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char-device'; path: string; major: number; minor: number; mode?: number };

const fileTypeBits = { directory: 0o040000, file: 0o100000, symlink: 0o120000, 'char-device': 0o020000 } as const;
const defaultMode = { directory: 0o755, file: 0o644, symlink: 0o777, 'char-device': 0o600 } as const;

/**
 * The archive bytes. `mtime` (seconds since the epoch) is the same for every
 * entry; 0 by default so the same inputs always give the same bytes.
 */
export function writeCpioNewc(entries: CpioEntry[], mtime = 0): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chunks: Buffer[] = [];
  let inode = 1;
  let previous: string | undefined;
  for (const entry of sorted) {
    const path = entry.path.replace(/^\/+/, '');
    if (path === '' || path.split('/').includes('..')) {
      throw new RangeError(`cpio entry path ${JSON.stringify(entry.path)} must be relative and stay inside the archive`);
    }
    if (path === previous) throw new RangeError(`cpio entry ${JSON.stringify(entry.path)} appears twice`);
    previous = path;
    const data =
      entry.type === 'file' ? entry.data : entry.type === 'symlink' ? Buffer.from(entry.target, 'utf8') : Buffer.alloc(0);
    const mode = fileTypeBits[entry.type] | (entry.type === 'symlink' ? defaultMode.symlink : (entry.mode ?? defaultMode[entry.type]));
    const device = entry.type === 'char-device' ? entry : { major: 0, minor: 0 };
    chunks.push(
      header({
        inode: inode++,
        mode,
        nlink: entry.type === 'directory' ? 2 : 1,
        mtime,
        size: data.length,
        rdevMajor: device.major,
        rdevMinor: device.minor,
        name: path,
      }),
      data,
      padding(data.length),
    );
  }
  chunks.push(header({ inode: 0, mode: 0, nlink: 1, mtime: 0, size: 0, rdevMajor: 0, rdevMinor: 0, name: 'TRAILER!!!' }));
  return Buffer.concat(chunks);
}

interface HeaderFields {
  inode: number;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  name: string;
}

/** 110 bytes of "070701" and thirteen 8-digit hex fields, then the NUL-terminated name, padded to 4 bytes. */
function header(f: HeaderFields): Buffer {
  const name = Buffer.from(f.name + '\0', 'utf8');
  const fields = [f.inode, f.mode, 0, 0, f.nlink, f.mtime, f.size, 0, 0, f.rdevMajor, f.rdevMinor, name.length, 0];
  const text = '070701' + fields.map((n) => n.toString(16).padStart(8, '0')).join('');
  return Buffer.concat([Buffer.from(text, 'ascii'), name, padding(text.length + name.length)]);
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
