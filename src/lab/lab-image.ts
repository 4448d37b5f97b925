/**
 * The lab's Debian 12 image tree, for the demo, the deployment benchmark and
 * the end-to-end tests: built once by the real `berth image build` into
 * .cache/lab-image/<key>/ (inside berth's checkout, which is where the lab
 * runs from) and copied into each lab's state dir, where it is packed with
 * the real `berth image pack`. The deployment tests run two at a time and
 * would otherwise each spend minutes building the same tree.
 *
 * The key hashes what changes the packages in the tree: the build code and
 * distribution table, and the extra packages. berth's node-side code is put
 * into each copy afresh (and the initramfs rebuilt), as `image build` does,
 * so editing it does not cost a rebuild. `flock` serialises the first build
 * between test processes; the others wait and then copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { enableNodeServices, installNodeSupport, regenerateInitramfs } from '../images/build/node-support.ts';
import { run } from '../util/run.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BERTH = join(ROOT, 'bin/berth');

const CACHE = join(ROOT, '.cache/lab-image');
/** Its own package cache: the image lifecycle test may run mmdebstrap at the same time. */
const PACKAGES = join(ROOT, '.cache/packages/debian-12-amd64-lab');
const INPUTS = ['src/images/build'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function treeKey(packages: string[]): string {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of filesUnder(join(ROOT, input))) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(packages.join(','));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Puts the lab tree at `<stateDir>/trees/<name>` (with its tree.json), as if
 * `berth image build <name> --distro debian-12 --packages ...` had run there.
 * `nodeSupport: false` leaves berth's node-side code out (and the initramfs
 * as Debian made it): a plain Debian system, as a distribution's installer
 * leaves one.
 */
export async function labImageTree(stateDir: string, name: string, packages: string[] = [], options: { nodeSupport?: boolean } = {}): Promise<void> {
  const key = treeKey(packages);
  const built = join(CACHE, key);
  await mkdir(CACHE, { recursive: true });
  await mkdir(PACKAGES, { recursive: true });
  if (!existsSync(join(built, 'done'))) {
    // Older keys are dropped by whoever builds a new one: each is a whole Debian tree.
    const args = [
      join(CACHE, '.lock'), 'sh', '-c',
      'test -e "$1/done" && exit 0; for old in "$2"/*/; do [ "$old" = "$1/" ] || rm -rf "$old"; done; rm -rf "$1"; ' +
        'dir=$1 berth=$3 cache=$4; shift 4; BERTH_STATE_DIR="$dir" "$berth" image build lab --distro debian-12 --package-cache "$cache" "$@" && touch "$dir/done"',
      'lab-image', built, CACHE, BERTH, PACKAGES,
    ];
    // Positional parameters after $4 are the build's extra options.
    if (packages.length > 0) args.push('--packages', packages.join(','));
    await run('flock', args, { timeoutMs: 20 * 60_000 }).catch((e: Error) => {
      throw new Error(`building the lab image tree failed: ${e.message}`);
    });
  }
  await mkdir(join(stateDir, 'trees'), { recursive: true });
  await rm(join(stateDir, 'trees', name), { recursive: true, force: true });
  await run('cp', ['-a', '--reflink=auto', join(built, 'trees', 'lab'), join(stateDir, 'trees', name)]);
  const root = join(stateDir, 'trees', name, 'root');
  if (!statSync(join(root, 'boot')).isDirectory()) throw new Error(`the lab tree copied to ${stateDir} has no /boot`);
  if (options.nodeSupport === false) return;
  await installNodeSupport(root);
  await enableNodeServices(root, name);
  await regenerateInitramfs(root, name, 'initramfs-tools');
}
