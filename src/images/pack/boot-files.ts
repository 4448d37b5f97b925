/**
 * Finds the kernel and initramfs a version boots with: the newest kernel in
 * the tree's /boot (dpkg version order, so 6.1.0-10 beats 6.1.0-9) that has
 * an initramfs. Naming differs by family: Debian `initrd.img-<v>`, EL
 * `initramfs-<v>.img`, SUSE `initrd-<v>`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { compareDebianVersions } from '../packages/debian-version.ts';

export interface BootFiles {
  kernelVersion: string;
  kernel: string;
  initramfs: string;
}

export async function findBootFiles(root: string, image: string): Promise<BootFiles> {
  const boot = join(root, 'boot');
  const names = await readdir(boot).catch(() => [] as string[]);
  const versions = names.filter((n) => n.startsWith('vmlinuz-')).map((n) => n.slice('vmlinuz-'.length));
  if (versions.length === 0) {
    throw new BerthError('BERTH_BAD_INPUT', `image ${image} has no kernel: ${boot} holds no vmlinuz-*; install one (berth image exec ${image} -- apt-get install linux-image-amd64, or dnf install kernel)`);
  }
  versions.sort((a, b) => compareDebianVersions(safeVersion(b), safeVersion(a)));
  for (const version of versions) {
    for (const initramfs of [`initrd.img-${version}`, `initramfs-${version}.img`, `initrd-${version}`]) {
      const st = await stat(join(boot, initramfs)).catch(() => undefined);
      if (st?.isFile() && st.size > 0) return { kernelVersion: version, kernel: join(boot, `vmlinuz-${version}`), initramfs: join(boot, initramfs) };
    }
  }
  throw new BerthError('BERTH_BAD_INPUT', `image ${image} has kernel ${versions[0]} but no initramfs for it in ${boot}; create one: berth image exec ${image} -- update-initramfs -c -k ${versions[0]} (or dracut --regenerate-all)`);
}

/** Kernel versions are not always valid Debian versions (e.g. '5.14.0-362.el9.x86_64' is, '6.1.0-rc1+' too); fall back to a neutral form. */
function safeVersion(v: string): string {
  return /^[0-9][A-Za-z0-9.+~-]*$/.test(v) ? v : `0~${v.replace(/[^A-Za-z0-9.+~]/g, '.')}`;
}
