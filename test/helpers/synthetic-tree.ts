/**
 * A small image tree made by hand, for tests of pack/unpack that should not
 * wait for a distribution build: a /boot with a kernel and initramfs (random
 * bytes: pack only copies them), a dpkg database with packages whose source
 * differs from the binary name, and files of every kind a root filesystem has.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SYNTHETIC_PACKAGES = [
  { name: 'libssl3', version: '3.0.15-1~deb12u1', arch: 'amd64', source: 'openssl', sourceVersion: '3.0.15-1~deb12u1' },
  { name: 'openssh-server', version: '1:9.2p1-2+deb12u3', arch: 'amd64', source: 'openssh', sourceVersion: '1:9.2p1-2+deb12u3' },
  { name: 'zstd', version: '1.5.4+dfsg2-5', arch: 'amd64', source: 'libzstd', sourceVersion: '1.5.4+dfsg2-5' },
];

export function writeSyntheticTree(root: string, options: { kernel?: boolean; packages?: typeof SYNTHETIC_PACKAGES; bigFileBytes?: number } = {}): void {
  const dir = (p: string, mode = 0o755) => {
    mkdirSync(join(root, p), { recursive: true });
    chmodSync(join(root, p), mode);
  };
  for (const d of ['boot', 'etc/ssh', 'usr/bin', 'var/lib/dpkg/info', 'proc', 'sys', 'dev', 'run', 'tmp', 'root']) dir(d);
  chmodSync(join(root, 'tmp'), 0o1777);
  chmodSync(join(root, 'root'), 0o700);
  if (options.kernel !== false) {
    writeFileSync(join(root, 'boot/vmlinuz-6.1.0-9-amd64'), randomBytes(4096));
    writeFileSync(join(root, 'boot/initrd.img-6.1.0-9-amd64'), randomBytes(8192));
    writeFileSync(join(root, 'boot/vmlinuz-6.1.0-10-amd64'), randomBytes(4096));
    writeFileSync(join(root, 'boot/initrd.img-6.1.0-10-amd64'), randomBytes(8192));
  }
  const packages = options.packages ?? SYNTHETIC_PACKAGES;
  writeFileSync(
    join(root, 'var/lib/dpkg/status'),
    packages
      .map((p) => {
        const source = p.source === p.name ? '' : p.sourceVersion === p.version ? `Source: ${p.source}\n` : `Source: ${p.source} (${p.sourceVersion})\n`;
        return `Package: ${p.name}\nStatus: install ok installed\nPriority: optional\nSection: misc\nMaintainer: t <t@example.org>\nArchitecture: ${p.arch}\n${source}Version: ${p.version}\nDescription: test package\n`;
      })
      .join('\n'),
  );
  writeFileSync(join(root, 'etc/hostname'), 'synthetic\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:$6$abc$def:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'usr/bin/tool'), '#!/bin/sh\necho tool\n', { mode: 0o4755 });
  chmodSync(join(root, 'usr/bin/tool'), 0o4755);
  writeFileSync(join(root, 'usr/bin/owned'), 'data\n');
  chownSync(join(root, 'usr/bin/owned'), 1234, 5678);
  linkSync(join(root, 'usr/bin/tool'), join(root, 'usr/bin/tool-hardlink'));
  symlinkSync('tool', join(root, 'usr/bin/tool-link'));
  writeFileSync(join(root, 'usr/bin/name with space'), 'x');
  if (options.bigFileBytes) writeFileSync(join(root, 'usr/bin/big.bin'), randomBytes(options.bigFileBytes));
  const fixed = new Date('2025-01-01T00:00:00Z');
  utimesSync(join(root, 'etc/hostname'), fixed, fixed);
}
