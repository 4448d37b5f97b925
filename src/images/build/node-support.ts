/**
 * Puts berth's node-side boot code (src/node-side/) into an image tree and
 * has the image's own initramfs tool rebuild the initramfs with it, inside
 * the image's namespaces: the same path a kernel upgrade takes later.
 */
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { namespaceRun } from '../exec/namespace-exec.ts';

const NODE_SIDE = join(import.meta.dirname, '../../node-side');

/**
 * Source folder (under src/node-side) → destination in the image, and mode.
 * Whole folders, so a new part of the core or a new unit needs no change here.
 */
const FOLDERS: { source: string; target: string; mode: number; only?: RegExp }[] = [
  { source: 'core', target: 'usr/lib/berth', mode: 0o644, only: /^berth-.*\.sh$/ },
  { source: 'bin', target: 'usr/lib/berth', mode: 0o755 },
  { source: 'systemd', target: 'etc/systemd/system', mode: 0o644, only: /\.(service|timer)$/ },
  { source: 'systemd', target: 'etc/systemd/network', mode: 0o644, only: /\.network$/ },
  { source: 'initramfs-tools/hooks', target: 'usr/share/initramfs-tools/hooks', mode: 0o755 },
  { source: 'initramfs-tools/scripts', target: 'usr/share/initramfs-tools/scripts', mode: 0o644 },
  { source: 'dracut/90berth', target: 'usr/lib/dracut/modules.d/90berth', mode: 0o755 },
];

/** The systemd units berth ships that say where they belong ([Install]): the booted OS enables each. A timer's service has none. */
export async function nodeSideUnits(): Promise<string[]> {
  const units = (await readdir(join(NODE_SIDE, 'systemd'))).filter((f) => /\.(service|timer)$/.test(f)).sort();
  const installable: string[] = [];
  for (const unit of units) if ((await readFile(join(NODE_SIDE, 'systemd', unit), 'utf8')).includes('\n[Install]')) installable.push(unit);
  return installable;
}

export async function installNodeSupport(root: string): Promise<string[]> {
  const installed: string[] = [];
  for (const { source, target, mode, only } of FOLDERS) {
    const files = await readdir(join(NODE_SIDE, source)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const file of files.filter((f) => !only || only.test(f)).sort()) {
      const destination = join(root, target, file);
      await mkdir(dirname(destination), { recursive: true, mode: 0o755 });
      await copyFile(join(NODE_SIDE, source, file), destination);
      await chmod(destination, mode);
      installed.push(`/${target}/${file}`);
    }
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
  await namespaceRun(root, hostname, ['systemctl', 'enable', 'systemd-networkd.service', ...(await nodeSideUnits())]);
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
