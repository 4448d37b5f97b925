/**
 * A Linux kernel for lab VMs: the vmlinuz of the kernel package Debian's
 * `linux-image-amd64` currently depends on, taken from the package without
 * installing it (debian-package.ts). The .deb is kept in the cache for tests
 * that will need its modules.
 */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { run } from '../util/run.ts';
import { fetchDebianPackage } from './debian-package.ts';
import { defaultCacheDir } from './paths.ts';

export interface KernelAsset {
  /** Kernel ABI, e.g. 6.1.0-26-amd64. */
  abi: string;
  /** Path to the bzImage. */
  vmlinuz: string;
  /** The downloaded package, for its modules. */
  deb: string;
}

export async function debianKernel(options: { cacheDir?: string; logger?: Logger } = {}): Promise<KernelAsset> {
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const abi = await currentKernelAbi();
  const fetched = await fetchDebianPackage({
    package: `linux-image-${abi}`,
    cacheDir,
    ...(options.logger ? { logger: options.logger } : {}),
    async pick(tree, out) {
      const boot = await readdir(join(tree, 'boot'));
      if (!boot.includes(`vmlinuz-${abi}`)) {
        throw new BerthError('BERTH_SUBPROCESS', `linux-image-${abi} has no boot/vmlinuz-${abi} (it has: ${boot.join(', ')})`);
      }
      await copyFile(join(tree, 'boot', `vmlinuz-${abi}`), join(out, 'vmlinuz'));
    },
  });
  return { abi, vmlinuz: join(fetched.dir, 'vmlinuz'), deb: fetched.deb };
}

/** The ABI `linux-image-amd64` currently depends on, e.g. 6.1.0-26-amd64. */
async function currentKernelAbi(): Promise<string> {
  const { stdout } = await run('apt-cache', ['show', '--no-all-versions', 'linux-image-amd64'], { timeoutMs: 60_000 });
  const depends = /^Depends:.*$/m.exec(stdout)?.[0] ?? '';
  const match = /linux-image-(\d[\w.+~-]*?-amd64)\b/.exec(depends);
  if (!match) {
    throw new BerthError('BERTH_SUBPROCESS', `cannot find the kernel package linux-image-amd64 depends on (its Depends line: ${JSON.stringify(depends)})`);
  }
  return match[1]!;
}
