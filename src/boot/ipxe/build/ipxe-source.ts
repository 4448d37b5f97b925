/**
 * Where the iPXE source of a trusting build comes from, unpacked into a
 * scratch folder:
 *
 * - a folder (a git checkout of https://github.com/ipxe/ipxe) or a tarball
 *   the administrator names (`--source`), copied so their tree stays clean;
 * - otherwise Debian's `ipxe` source package for this release, fetched by
 *   apt itself from a private apt configuration (a `deb-src` line of our
 *   own, nothing written under /etc/apt): apt checks the archive's signed
 *   InRelease, then the Sources index, then each file's SHA-256, which a
 *   plain download of the pool files would not. dpkg-source then unpacks it
 *   with Debian's patches. The downloaded files stay in the cache.
 *
 * Whether the source can do what berth needs is checked before compiling:
 * berth's CA is EC P-256 (server/pki.ts), and iPXE verifies ECDSA only since
 * December 2025 (upstream commit 4e3cbeef8, "[crypto] Add support for ECDSA
 * signatures"); Debian 12's 1.0.0+git-20190125 and Debian 13's
 * 1.21.1+git20250501 both predate it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BerthError } from '../../../errors.ts';
import { SubprocessError, run } from '../../../util/run.ts';

export interface IpxeSource {
  /** The unpacked tree: `src/Makefile` is inside. */
  tree: string;
  origin: string;
  version: string;
  sha256?: string;
}

export interface SourceOptions {
  /** `--source`: a folder or a .tar(.xz|.gz|.bz2) file. */
  source?: string;
  /** Scratch folder to unpack into (emptied by the caller). */
  work: string;
  /** Kept between builds: Debian's source files. */
  cacheDir: string;
  /** Debian mirror for the source package. */
  mirror: string;
}

const TARBALL = /\.(tar|tar\.xz|tar\.gz|tgz|tar\.bz2)$/;

export async function obtainIpxeSource(options: SourceOptions): Promise<IpxeSource> {
  if (options.source !== undefined) return localSource(resolve(options.source), options.work);
  return debianSource(options);
}

async function localSource(path: string, work: string): Promise<IpxeSource> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new BerthError('BERTH_BAD_INPUT', `--source ${path} does not exist; give an iPXE source folder (git clone https://github.com/ipxe/ipxe) or tarball`);
  const tree = join(work, 'ipxe');
  if (st.isDirectory()) {
    await requireTree(path, `--source ${path}`);
    await run('cp', ['-a', '--', path, tree], { timeoutMs: 10 * 60_000 });
    const commit = await run('git', ['-C', path, 'describe', '--always', '--dirty', '--abbrev=12'], { timeoutMs: 30_000 }).then((r) => r.stdout.trim(), () => undefined);
    return { tree, origin: path, version: commit ?? basename(path) };
  }
  if (!TARBALL.test(path)) throw new BerthError('BERTH_BAD_INPUT', `--source ${path} is neither a folder nor a .tar, .tar.xz, .tar.gz or .tar.bz2 file`);
  await mkdir(tree);
  await run('tar', ['-xf', path, '-C', tree, '--strip-components=1', '--no-same-owner'], { timeoutMs: 10 * 60_000 });
  await requireTree(tree, `--source ${path}`);
  return { tree, origin: path, version: basename(path).replace(TARBALL, ''), sha256: await sha256File(path) };
}

async function debianSource(options: SourceOptions): Promise<IpxeSource> {
  const release = /^VERSION_CODENAME=(\S+)$/m.exec(await readFile('/etc/os-release', 'utf8').catch(() => ''))?.[1];
  if (!release) throw new BerthError('BERTH_CONFIG', 'cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release) to fetch its ipxe source; give --source');
  const apt = join(options.cacheDir, 'apt');
  for (const dir of ['lists/partial', 'archives/partial', 'download']) await mkdir(join(apt, dir), { recursive: true });
  const sourcesList = join(apt, 'sources.list');
  await writeFile(sourcesList, `deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${options.mirror} ${release} main\n`);
  const config = [
    '-o', `Dir::Etc::SourceList=${sourcesList}`,
    '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State::Lists=${join(apt, 'lists')}`,
    '-o', `Dir::Cache=${apt}`,
    // Our cache folder is root's, not _apt's.
    '-o', 'APT::Sandbox::User=root',
  ];
  const download = join(apt, 'download');
  try {
    await run('apt-get', [...config, 'update'], { timeoutMs: 10 * 60_000 });
    await run('apt-get', [...config, 'source', '--download-only', 'ipxe'], { cwd: download, timeoutMs: 20 * 60_000 });
  } catch (e) {
    if (!(e instanceof SubprocessError)) throw e;
    throw new BerthError(
      'BERTH_UNAVAILABLE',
      `cannot fetch Debian's ipxe source package from ${options.mirror} (${release}): ${e.message}\n` +
        'give an iPXE source instead: --source <folder or tarball> (git clone https://github.com/ipxe/ipxe)',
    );
  }
  const dsc = (await readdir(download)).filter((f) => f.endsWith('.dsc')).sort().at(-1);
  if (!dsc) throw new BerthError('BERTH_SUBPROCESS', `apt-get source left no .dsc in ${download}`);
  const tree = join(options.work, 'ipxe');
  await run('dpkg-source', ['--no-check', '-x', join(download, dsc), tree], { timeoutMs: 10 * 60_000 });
  await requireTree(tree, `Debian's ${dsc}`);
  return { tree, origin: `debian:${options.mirror} ${release}`, version: dsc.replace(/^ipxe_/, '').replace(/\.dsc$/, ''), sha256: await sha256File(join(download, dsc)) };
}

async function requireTree(tree: string, what: string): Promise<void> {
  const makefile = await stat(join(tree, 'src', 'Makefile')).catch(() => undefined);
  if (!makefile?.isFile()) throw new BerthError('BERTH_BAD_INPUT', `${what} is not an iPXE source tree (no src/Makefile in it)`);
}

/** Why `tree` cannot build an iPXE that talks to a server with a `keyType` certificate, or undefined. */
export async function sourceCannotTrust(tree: string, keyType: string): Promise<string | undefined> {
  if (keyType !== 'ec') return undefined;
  const ecdsa = await stat(join(tree, 'src', 'crypto', 'ecdsa.c')).catch(() => undefined);
  if (ecdsa) return undefined;
  return (
    "berth's CA and server certificate are EC P-256 (server/pki.ts), and this iPXE source has no ECDSA support (no src/crypto/ecdsa.c): " +
    'iPXE verifies ECDSA since December 2025 (upstream commit 4e3cbeef8); Debian 12 and 13 ship older iPXE. ' +
    'Give a newer source: --source <folder or tarball> (git clone https://github.com/ipxe/ipxe)'
  );
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
