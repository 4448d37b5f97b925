/**
 * The "site layer": a small second initrd that iPXE loads after an image's
 * own initramfs, carrying what is particular to this berth installation and
 * not to the image: berth's TLS CA certificate, so the node can talk to the
 * node API over verified HTTPS. The kernel unpacks every initrd it is given
 * into the same root, so /etc/berth/ca.pem simply appears next to the
 * image's files. (The server's address travels on the kernel command line,
 * `berth.server=`, because it depends on the network the node boots from.)
 *
 * Format: cpio "newc" (the kernel's initramfs format,
 * Documentation/driver-api/early-userspace/buffer-format.rst), written here
 * because it is 30 lines and needs no tool: 110-byte ASCII hex headers,
 * names and data padded to 4 bytes, ended by TRAILER!!!.
 */
import { readFile, stat } from 'node:fs/promises';

interface Entry {
  name: string;
  mode: number;
  data?: Buffer;
}

export function newcArchive(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const entry of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = entry.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${entry.name}\0`);
    const fields = [ino++, entry.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'latin1');
    parts.push(header, name, pad(header.length + name.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

/** Rebuilt when the CA certificate changes (a restore, a CA rotation). */
export class SiteInitrd {
  readonly #caCert: string;
  #cached: { mtimeMs: number; bytes: Buffer } | undefined;

  constructor(caCertPath: string) {
    this.#caCert = caCertPath;
  }

  async bytes(): Promise<Buffer> {
    const st = await stat(this.#caCert);
    if (this.#cached?.mtimeMs === st.mtimeMs) return this.#cached.bytes;
    const ca = await readFile(this.#caCert);
    const bytes = newcArchive([
      { name: 'etc', mode: 0o040755 },
      { name: 'etc/berth', mode: 0o040755 },
      { name: 'etc/berth/ca.pem', mode: 0o100644, data: ca },
    ]);
    this.#cached = { mtimeMs: st.mtimeMs, bytes };
    return bytes;
  }
}
