/**
 * What is inside a version, package by package: binary name, version,
 * architecture, and the source package and source version it was built from.
 * Security advisories (DSA, CVE trackers) name source packages, so "which
 * images are unpatched for CVE-X" needs the source side, which a plain
 * `dpkg -l` does not show.
 *
 * Debian: the host's dpkg-query reads the tree's database (`--admindir`), so
 * nothing runs inside the image. RPM: rpm runs inside the image (the host has
 * no rpm), through the namespaces of `image exec`.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { run } from '../../util/run.ts';
import { namespaceRun } from '../exec/namespace-exec.ts';

export interface ManifestPackage {
  name: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
}

export interface PackageManifest {
  format: 'deb' | 'rpm';
  packages: ManifestPackage[];
}

export async function readPackageManifest(root: string, image: string): Promise<PackageManifest> {
  if (await stat(join(root, 'var/lib/dpkg/status')).catch(() => undefined)) {
    const { stdout } = await run('dpkg-query', [
      `--admindir=${join(root, 'var/lib/dpkg')}`, '-W',
      '-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n',
    ]);
    return { format: 'deb', packages: sortPackages(parseDpkgQuery(stdout)) };
  }
  if ((await stat(join(root, 'var/lib/rpm')).catch(() => undefined)) || (await stat(join(root, 'usr/lib/sysimage/rpm')).catch(() => undefined))) {
    const stdout = await namespaceRun(root, image, ['rpm', '-qa', '--qf', '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n']);
    return { format: 'rpm', packages: sortPackages(parseRpmQuery(stdout)) };
  }
  throw new BerthError('BERTH_BAD_INPUT', `image ${image} has no package database (neither var/lib/dpkg/status nor an rpm database under ${root}); berth packs distribution trees only`);
}

/** Lines of `status<TAB>name<TAB>version<TAB>arch<TAB>source<TAB>sourceVersion`; only installed packages ("ii"). */
export function parseDpkgQuery(text: string): ManifestPackage[] {
  const out: ManifestPackage[] = [];
  for (const line of text.split('\n')) {
    const [status, name, version, arch, source, sourceVersion] = line.split('\t');
    if (!status?.startsWith('ii') || !name || !version) continue;
    out.push({ name, version, arch: arch ?? '', source: source || name, sourceVersion: sourceVersion || version });
  }
  return out;
}

/** Lines of `name<TAB>epoch:version-release<TAB>arch<TAB>source rpm file name`. */
export function parseRpmQuery(text: string): ManifestPackage[] {
  const out: ManifestPackage[] = [];
  for (const line of text.split('\n')) {
    const [name, evr, arch, sourceRpm] = line.split('\t');
    if (!name || !evr || name === 'gpg-pubkey') continue;
    const version = evr.startsWith('0:') ? evr.slice(2) : evr;
    // bash-5.1.8-6.el9.src.rpm → source bash, version 5.1.8-6.el9 (name may contain dashes; the last two fields do not).
    const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(sourceRpm ?? '');
    out.push({ name, version, arch: arch ?? '', source: match?.[1] ?? name, sourceVersion: match ? `${match[2]}-${match[3]}` : version });
  }
  return out;
}

function sortPackages(list: ManifestPackage[]): ManifestPackage[] {
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0));
}
