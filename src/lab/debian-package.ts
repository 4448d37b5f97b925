/**
 * Files taken from Debian packages without installing them on the host:
 * `apt-get download` into the cache, `dpkg-deb -x` into a scratch tree, keep
 * what the caller picks, publish it by one rename, delete the tree. The host
 * stays as it was (its own kernel, its own `busybox` package, which conflicts
 * with `busybox-static`).
 *
 * Cached under `<cache>/<package>/<version>/` with the .deb kept beside the
 * picked files.
 */
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { nullLogger } from '../util/logger.ts';
import { run } from '../util/run.ts';

export interface FetchedPackage {
  package: string;
  version: string;
  /** Where the picked files are. */
  dir: string;
  deb: string;
}

export interface FetchPackageOptions {
  package: string;
  cacheDir: string;
  /** Copies what is wanted from the unpacked package (`tree`) into `out`. */
  pick: (tree: string, out: string) => Promise<void>;
  logger?: Logger;
}

export async function fetchDebianPackage(options: FetchPackageOptions): Promise<FetchedPackage> {
  const logger = options.logger ?? nullLogger();
  const base = join(options.cacheDir, options.package);
  let version: string;
  try {
    version = await candidateVersion(options.package);
  } catch (e) {
    // Offline, or apt lists missing: any version fetched before will do for a lab.
    const cached = await cachedVersions(options.package, base);
    if (cached.length === 0) throw e;
    logger.warn('cannot ask apt for the current package version; using a cached one', { package: options.package, version: cached.at(-1)!.version });
    return cached.at(-1)!;
  }
  const existing = (await cachedVersions(options.package, base)).find((p) => p.version === version);
  if (existing) return existing;

  logger.info('fetching Debian package for the lab', { package: options.package, version });
  await mkdir(base, { recursive: true });
  const work = await mkdtemp(join(base, '.fetch-'));
  try {
    await run('apt-get', ['download', `${options.package}=${version}`], { cwd: work, timeoutMs: 15 * 60_000 });
    const debName = (await readdir(work)).find((f) => f.endsWith('.deb'));
    if (!debName) throw new BerthError('BERTH_SUBPROCESS', `apt-get download ${options.package} left no .deb in ${work}`);
    await run('dpkg-deb', ['-x', debName, 'tree'], { cwd: work, timeoutMs: 5 * 60_000 });
    const out = join(work, 'out');
    await mkdir(out);
    await options.pick(join(work, 'tree'), out);
    await rename(join(work, debName), join(out, debName));
    // Publish the whole directory at once: a half-fetched package is never seen.
    try {
      await rename(out, join(base, dirName(version)));
    } catch (e) {
      // Several test files start labs at once on a fresh clone: if another
      // fetch published the same version first, use that one.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const fetched = (await cachedVersions(options.package, base)).find((p) => p.version === version);
  if (!fetched) throw new BerthError('BERTH_INTERNAL', `${options.package} ${version} was fetched but is not in ${base}`);
  return fetched;
}

/** The version apt would install, e.g. 1:1.35.0-4+deb12u1+b1. */
async function candidateVersion(pkg: string): Promise<string> {
  const { stdout } = await run('apt-cache', ['show', '--no-all-versions', pkg], { timeoutMs: 60_000 });
  const version = /^Version: (\S+)$/m.exec(stdout)?.[1];
  if (!version) throw new BerthError('BERTH_SUBPROCESS', `apt-cache show ${pkg} names no version`);
  return version;
}

/** Epochs have a colon, which is awkward in paths; "1:1.35" is stored as "1%3a1.35" as apt does for .deb names. */
function dirName(version: string): string {
  return version.replaceAll(':', '%3a');
}

async function cachedVersions(pkg: string, base: string): Promise<FetchedPackage[]> {
  const found: FetchedPackage[] = [];
  const dirs = (await readdir(base).catch(() => [] as string[])).filter((d) => !d.startsWith('.'));
  for (const d of dirs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const deb = (await readdir(join(base, d)).catch(() => [] as string[])).find((f) => f.endsWith('.deb'));
    if (deb) found.push({ package: pkg, version: d.replaceAll('%3a', ':'), dir: join(base, d), deb: join(base, d, deb) });
  }
  return found;
}
