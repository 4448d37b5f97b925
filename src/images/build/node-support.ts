/**
 * Puts berth's node-side boot code (src/node-side/) into an image tree and
 * has the image's own initramfs tool rebuild the initramfs with it, inside
 * the image's namespaces: the same path a kernel upgrade takes later.
 */
import { chmod, copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { namespaceRun } from '../exec/namespace-exec.ts';

const NODE_SIDE = join(import.meta.dirname, '../../node-side');

/** Source (under src/node-side) → destination in the image, and mode. */
const FILES: [string, string, number][] = [
  ['core/berth-boot.sh', 'usr/lib/berth/berth-boot.sh', 0o644],
  ['core/berth-report.sh', 'usr/lib/berth/berth-report', 0o755],
  ['systemd/berth-booted.service', 'etc/systemd/system/berth-booted.service', 0o644],
  ['systemd/80-berth-dhcp.network', 'etc/systemd/network/80-berth-dhcp.network', 0o644],
  ['initramfs-tools/hooks/berth', 'usr/share/initramfs-tools/hooks/berth', 0o755],
  ['initramfs-tools/scripts/berth', 'usr/share/initramfs-tools/scripts/berth', 0o644],
  ['dracut/90berth/module-setup.sh', 'usr/lib/dracut/modules.d/90berth/module-setup.sh', 0o755],
  ['dracut/90berth/berth-cmdline.sh', 'usr/lib/dracut/modules.d/90berth/berth-cmdline.sh', 0o755],
  ['dracut/90berth/berth-mount-root.sh', 'usr/lib/dracut/modules.d/90berth/berth-mount-root.sh', 0o755],
];

export async function installNodeSupport(root: string): Promise<string[]> {
  const installed: string[] = [];
  for (const [source, target, mode] of FILES) {
    const destination = join(root, target);
    await mkdir(dirname(destination), { recursive: true, mode: 0o755 });
    await copyFile(join(NODE_SIDE, source), destination);
    await chmod(destination, mode);
    installed.push(`/${target}`);
  }
  // dracut only includes modules it is told about; check() returns 255 to stay out of other initramfs builds.
  const dracutConf = join(root, 'etc/dracut.conf.d/90-berth.conf');
  await mkdir(dirname(dracutConf), { recursive: true, mode: 0o755 });
  await writeFile(dracutConf, '# berth: diskless boot support (root=berth)\nadd_dracutmodules+=" berth "\n', { mode: 0o644 });
  installed.push('/etc/dracut.conf.d/90-berth.conf');
  return installed;
}

/** Services the booted OS runs for berth: DHCP on every wired interface, and the `booted` report. */
export async function enableNodeServices(root: string, hostname: string): Promise<void> {
  await namespaceRun(root, hostname, ['systemctl', 'enable', 'systemd-networkd.service', 'berth-booted.service']);
}

export type InitramfsTool = 'initramfs-tools' | 'dracut';

/** Rebuilds the initramfs of every kernel in the tree with the image's own tool. */
export async function regenerateInitramfs(root: string, hostname: string, tool: InitramfsTool): Promise<void> {
  const kernels = (await readdir(join(root, 'boot')).catch(() => [])).filter((f) => f.startsWith('vmlinuz-'));
  if (kernels.length === 0) throw new BerthError('BERTH_BAD_INPUT', `image ${hostname} has no kernel in /boot (no vmlinuz-*); install the distribution's kernel package`);
  if (tool === 'dracut') {
    await namespaceRun(root, hostname, ['dracut', '--regenerate-all', '--force']);
    return;
  }
  for (const kernel of kernels) {
    const version = kernel.slice('vmlinuz-'.length);
    const exists = await stat(join(root, 'boot', `initrd.img-${version}`)).catch(() => undefined);
    await namespaceRun(root, hostname, ['update-initramfs', exists ? '-u' : '-c', '-k', version]);
  }
}
