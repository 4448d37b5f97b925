/**
 * The lab's test initramfs: busybox and an /init that prints one marker line
 * on the console and powers off. A VM printing the marker proves the whole
 * boot path worked (DHCP, TFTP, iPXE, HTTP, kernel, initrd, the command line)
 * without any of berth's own node-side code.
 *
 *   BERTH-LAB-MARKER node=<berth.node=...> mac=<from BOOTIF=...> uuid=<SMBIOS UUID>
 *
 * `BOOTIF=01-aa-bb-...` is the pxelinux convention (iPXE: `${netX/mac:hexhyp}`)
 * for telling the kernel which NIC booted; the initramfs has no NIC drivers,
 * so the command line is where the MAC comes from. The UUID is read from
 * /sys/class/dmi/id (DMI is built into Debian's kernel).
 *
 * Cached by content: the file name is the hash of everything that goes in.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { writeCpioNewc } from './cpio.ts';
import type { CpioEntry } from './cpio.ts';
import { fetchDebianPackage } from './debian-package.ts';
import { defaultCacheDir } from './paths.ts';

export const markerPrefix = 'BERTH-LAB-MARKER';

/** Matches the marker line; groups: node, mac, uuid. */
export const markerPattern = /BERTH-LAB-MARKER node=(\S+) mac=(\S+) uuid=(\S+)/;

export interface Marker {
  node: string;
  mac: string;
  uuid: string;
}

export function parseMarker(match: RegExpMatchArray): Marker {
  return { node: match[1]!, mac: match[2]!, uuid: match[3]! };
}

/** The marker as the test initramfs prints it; for the tests of consumers. */
export function formatMarker(m: Marker): string {
  return `${markerPrefix} node=${m.node} mac=${m.mac} uuid=${m.uuid}`;
}

const initScript = `#!/bin/sh
# berth lab test initramfs: print the marker, power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
node=none
mac=none
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    berth.node=*) node=\${arg#berth.node=} ;;
    BOOTIF=01-*) mac=$(echo "\${arg#BOOTIF=01-}" | tr - : | tr A-F a-f) ;;
  esac
done
uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null | tr A-F a-f)
echo "${markerPrefix} node=$node mac=$mac uuid=\${uuid:-none}"
# Let the serial port drain before the power goes.
sleep 1
poweroff -f
`;

/** Bumped whenever the layout below changes, so old cached builds are not reused. */
const layoutVersion = 'berth-lab-test-initramfs/1';

export interface TestInitramfs {
  path: string;
  sha256: string;
}

export interface TestInitramfsOptions {
  cacheDir?: string;
  /** A statically linked busybox; default: taken from Debian's busybox-static package, fetched into the cache. */
  busybox?: string;
  logger?: Logger;
}

export async function buildTestInitramfs(options: TestInitramfsOptions = {}): Promise<TestInitramfs> {
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const busyboxPath = options.busybox ?? (await staticBusybox(cacheDir, options.logger));
  const busybox = await readFile(busyboxPath).catch((e: NodeJS.ErrnoException) => {
    throw new BerthError('BERTH_CONFIG', `cannot read busybox at ${busyboxPath} (${e.code})`, { file: busyboxPath });
  });
  // A dynamically linked busybox would find no libc in the initramfs.
  if (hasInterpreter(busybox)) {
    throw new BerthError('BERTH_CONFIG', `${busyboxPath} is dynamically linked and would find no libc in the initramfs; use a static busybox (Debian: busybox-static)`, { file: busyboxPath });
  }

  const key = createHash('sha256').update(layoutVersion).update('\0').update(initScript).update('\0').update(busybox).digest('hex');
  const dir = join(cacheDir, 'initramfs');
  const path = join(dir, `test-${key.slice(0, 16)}.cpio.gz`);
  if (await stat(path).then(() => true, () => false)) {
    return { path, sha256: createHash('sha256').update(await readFile(path)).digest('hex') };
  }

  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sbin', 'sys', 'usr', 'usr/bin', 'usr/sbin'].map((d): CpioEntry => ({ type: 'directory', path: d })),
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'init', data: Buffer.from(initScript), mode: 0o755 },
    // The kernel opens /dev/console for init's stdin/stdout/stderr before
    // init can mount devtmpfs; without this node the marker goes nowhere.
    { type: 'char-device', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'char-device', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
  ];
  // Level 9 and Node's gzip header (no name, mtime 0) make the bytes a function of the input.
  const image = gzipSync(writeCpioNewc(entries), { level: 9 });
  await mkdir(dir, { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, image);
  await rename(temp, path);
  return { path, sha256: createHash('sha256').update(image).digest('hex') };
}

/**
 * busybox from the busybox-static package, not the host's /bin/busybox: that
 * is often the dynamically linked `busybox` package (the two conflict, and
 * initramfs-tools wants the dynamic one), which would find no libc in the
 * initramfs.
 */
async function staticBusybox(cacheDir: string, logger: Logger | undefined): Promise<string> {
  const fetched = await fetchDebianPackage({
    package: 'busybox-static',
    cacheDir,
    ...(logger ? { logger } : {}),
    pick: (tree, out) => copyFile(join(tree, 'bin/busybox'), join(out, 'busybox')),
  });
  return join(fetched.dir, 'busybox');
}

/** True for an ELF64 executable with a PT_INTERP program header, i.e. one that needs a dynamic loader. */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 <= elf.length && elf.readUInt32LE(at) === 3) return true; // PT_INTERP
  }
  return false;
}
