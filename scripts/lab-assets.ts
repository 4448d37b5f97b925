/**
 * Fetches and builds what lab VMs boot, into .cache/lab/: the Debian kernel
 * and the test initramfs (busybox-static from Debian, see src/lab/). Tests do
 * this themselves on first use; run it ahead to do the downloads at a
 * convenient time (CI image build). Prints the paths as JSON.
 *
 *   node scripts/lab-assets.ts [--cache DIR]
 */
import { debianKernel } from '../src/lab/kernel.ts';
import { buildTestInitramfs } from '../src/lab/test-initramfs.ts';
import { createLogger } from '../src/util/logger.ts';

const at = process.argv.indexOf('--cache');
const cacheDir = at > 0 ? process.argv[at + 1] : undefined;
const logger = createLogger();
const options = { ...(cacheDir ? { cacheDir } : {}), logger };
const [kernel, initramfs] = await Promise.all([debianKernel(options), buildTestInitramfs(options)]);
console.log(JSON.stringify({ kernel, initramfs }, null, 2));
