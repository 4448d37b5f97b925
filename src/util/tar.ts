/**
 * Writes small POSIX ustar archives in memory: berth's node support files for
 * scripted installs, unpacked by the installed system's own `tar -x`.
 * Entries are root-owned with one fixed time, so the same inputs give the
 * same bytes; paths must fit ustar's 100-byte name field. No directory
 * entries: `tar -x` makes missing parents, and an entry for `etc/` would
 * reset the mode and time of the target's own /etc.
 */
export interface TarFile {
  path: string;
  data: Buffer;
  mode: number;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, length, 'ascii');
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0');
}

export function writeTar(files: TarFile[], mtime = 0): Buffer {
  const chunks: Buffer[] = [];
  const entry = (path: string, type: '0', mode: number, data: Buffer) => {
    if (Buffer.byteLength(path) > 99 || path.startsWith('/') || path.split('/').includes('..')) {
      throw new RangeError(`tar entry path ${JSON.stringify(path)} must be relative, stay inside the archive and fit 99 bytes`);
    }
    const header = Buffer.alloc(BLOCK);
    field(header, 0, 100, path);
    field(header, 100, 8, octal(mode, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(data.length, 12));
    field(header, 136, 12, octal(mtime, 12));
    header.fill(' ', 148, 156);
    field(header, 156, 1, type);
    field(header, 257, 6, 'ustar');
    field(header, 263, 2, '00');
    field(header, 265, 32, 'root');
    field(header, 297, 32, 'root');
    let sum = 0;
    for (const byte of header) sum += byte;
    field(header, 148, 8, `${octal(sum, 7)}\0`);
    chunks.push(header, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  };
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    entry(file.path, '0', file.mode, file.data);
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}
