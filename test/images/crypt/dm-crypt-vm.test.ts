/**
 * The kernel reference check in a VM, for hosts without device-mapper (this
 * sandbox's kernel has loop but no dm): Debian's kernel (the lab's, with its
 * loop, dm-mod, dm-crypt and xts modules) boots under QEMU with an initramfs
 * holding busybox, this host's losetup and cryptsetup with their libraries,
 * the key and the ciphertexts. /init runs the same `cryptsetup open` as
 * dm-crypt-host.test.ts, compares /dev/mapper/<name> with the plaintext with
 * `cmp`, prints one result line per case and powers off.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { debianKernel } from '../../../src/lab/kernel.ts';
import type { KernelAsset } from '../../../src/lab/kernel.ts';
import { writeCpioNewc } from '../../../src/lab/cpio.ts';
import type { CpioEntry } from '../../../src/lab/cpio.ts';
import { defaultCacheDir } from '../../../src/lab/paths.ts';
import { run } from '../../../src/util/run.ts';
import { cryptsetupOpenArgs, kernelCases, prepareCaseFiles } from './dm-crypt-cases.ts';

const resultPattern = /^BERTH-CRYPT case=(\S+) open=(\S+) full=(\S+) first-sector=(\S+)/gm;
/**
 * Loaded with insmod in this order. There is no modprobe in the VM, so the
 * crypto API cannot pull in what xts(aes) is built from: ecb(aes) must be
 * there before dm-crypt asks for xts (else the table load fails with ENOENT).
 */
const modules = ['kernel/drivers/block/loop.ko', 'kernel/drivers/md/dm-mod.ko', 'kernel/drivers/md/dm-crypt.ko', 'kernel/crypto/ecb.ko', 'kernel/crypto/xts.ko'];

async function missingPrerequisite(): Promise<string | undefined> {
  for (const [tool, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['cryptsetup', 'cryptsetup-bin'], ['losetup', 'mount'], ['dpkg-deb', 'dpkg']]) {
    try {
      await run('sh', ['-c', `command -v ${tool}`], { timeoutMs: 10_000 });
    } catch {
      return `${tool} is not installed (Debian: apt-get install ${pkg})`;
    }
  }
  const busybox = await staticBusybox();
  if (!busybox) return `no static busybox in the lab cache ${defaultCacheDir}/busybox-static (run the lab tests once)`;
  return undefined;
}

async function staticBusybox(): Promise<string | undefined> {
  const root = join(defaultCacheDir, 'busybox-static');
  const versions = await readdir(root).catch(() => [] as string[]);
  return versions.length > 0 ? join(root, versions.sort().at(-1)!, 'busybox') : undefined;
}

/** The executable and every shared library it loads (ldd), as initramfs entries at the same paths. */
function withLibraries(executable: string): string[] {
  const ldd = execFileSync('ldd', [executable], { encoding: 'utf8' });
  const libs = [...ldd.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
  return [executable, ...libs];
}

function initScript(): string {
  const lines = [
    '#!/bin/sh',
    'export PATH=/bin:/sbin:/usr/bin:/usr/sbin',
    '/bin/busybox --install -s /bin',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'mkdir -p /run/cryptsetup /tmp',
    // No udev here: libdevmapper must create /dev/mapper nodes itself.
    'export DM_DISABLE_UDEV=1',
    ...modules.map((m) => `insmod /modules/${basename(m)} || echo "BERTH-CRYPT insmod failed: ${basename(m)}"`),
    'echo "BERTH-CRYPT kernel $(uname -r)"',
    'head -c 4096 /data/plain.img > /tmp/plain.first',
  ];
  for (const c of kernelCases) {
    const name = `berth-${c.id}`;
    const open = cryptsetupOpenArgs(c.open, '/data/image.key', '$loop', name).join(' ');
    lines.push(
      // Full paths: Debian's static busybox prefers its own applets (losetup) to $PATH.
      `loop=$(/usr/sbin/losetup --find --show --read-only /data/${c.id}.enc)`,
      `if /usr/sbin/cryptsetup ${open}; then`,
      `  if cmp -s /dev/mapper/${name} /data/plain.img; then full=same; else full=differ; fi`,
      `  head -c 4096 /dev/mapper/${name} > /tmp/first`,
      `  if cmp -s /tmp/first /tmp/plain.first; then first=same; else first=differ; fi`,
      `  echo "BERTH-CRYPT case=${c.id} open=ok full=$full first-sector=$first"`,
      `  /usr/sbin/cryptsetup close ${name}`,
      'else',
      `  echo "BERTH-CRYPT case=${c.id} open=failed full=- first-sector=-"`,
      'fi',
      '/usr/sbin/losetup -d $loop',
    );
  }
  lines.push('echo BERTH-CRYPT done', 'sleep 1', 'poweroff -f', '');
  return lines.join('\n');
}

const skip = await missingPrerequisite();

describe('dm-crypt of Debian kernel in a VM decrypts what berth encrypted', { skip: skip ?? false, timeout: 600_000 }, () => {
  let dir = '';
  let console = '';
  let kernel: KernelAsset;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-crypt-vm-'));
    const files = await prepareCaseFiles(dir);
    kernel = await debianKernel();
    const tree = join(dir, 'deb');
    await run('dpkg-deb', ['-x', kernel.deb, tree], { timeoutMs: 120_000 });

    const entries: CpioEntry[] = [
      ...['bin', 'sbin', 'dev', 'proc', 'sys', 'run', 'tmp', 'data', 'modules', 'lib', 'lib64', 'usr', 'usr/bin', 'usr/sbin'].map(
        (d): CpioEntry => ({ type: 'directory', path: d }),
      ),
      { type: 'char-device', path: 'dev/console', major: 5, minor: 1 },
      { type: 'file', path: 'bin/busybox', data: await readFile((await staticBusybox())!), mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'file', path: 'init', data: Buffer.from(initScript()), mode: 0o755 },
      { type: 'file', path: 'data/plain.img', data: await readFile(files.plaintext) },
      { type: 'file', path: 'data/image.key', data: await readFile(files.keyFile), mode: 0o600 },
    ];
    for (const c of kernelCases) entries.push({ type: 'file', path: `data/${c.id}.enc`, data: await readFile(files.ciphertext(c)) });
    for (const m of modules) entries.push({ type: 'file', path: `modules/${basename(m)}`, data: await readFile(join(tree, 'lib/modules', kernel.abi, m)) });

    const seen = new Set<string>();
    const dirs = new Set<string>();
    for (const tool of ['/usr/sbin/cryptsetup', '/usr/sbin/losetup']) {
      for (const path of withLibraries(tool)) {
        if (seen.has(path)) continue;
        seen.add(path);
        for (let d = path.slice(0, path.lastIndexOf('/')); d.length > 1; d = d.slice(0, d.lastIndexOf('/'))) dirs.add(d.slice(1));
        entries.push({ type: 'file', path: path.slice(1), data: await readFile(path), mode: 0o755 });
      }
    }
    for (const d of dirs) if (!entries.some((e) => e.path === d)) entries.push({ type: 'directory', path: d });

    const initrd = join(dir, 'initrd.cpio');
    // Uncompressed: the payload is random bytes, and the kernel unpacks plain cpio.
    await writeFile(initrd, writeCpioNewc(entries));

    const result = await run(
      'qemu-system-x86_64',
      ['-nodefaults', '-display', 'none', '-serial', 'stdio', '-no-reboot', '-m', '1024', '-kernel', kernel.vmlinuz, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 loglevel=3'],
      { timeoutMs: 540_000 },
    );
    console = result.stdout;
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('boots, loads dm-crypt and reports every case', () => {
    assert.doesNotMatch(console, /insmod failed/);
    assert.match(console, /BERTH-CRYPT done/, `console:\n${console.slice(-3000)}`);
  });

  for (const c of kernelCases) {
    const flags = `--sector-size ${c.open.sectorSize}${c.open.ivLargeSectors ? ' --iv-large-sectors' : ''}`;
    it(`${c.id}: opened with ${flags}, the device reads ${c.expect === 'same' ? 'the plaintext' : 'garbage'}`, () => {
      const line = [...console.matchAll(resultPattern)].find((m) => m[1] === c.id);
      assert.ok(line, `no result for ${c.id}; console:\n${console.slice(-3000)}`);
      assert.equal(line[2], 'ok', `cryptsetup open failed for ${c.id}; console:\n${console.slice(-3000)}`);
      assert.equal(line[3], c.expect);
      // Sector 0 has IV 0 under every setting, so even the mismatch gets it right.
      assert.equal(line[4], 'same');
    });
  }
});
