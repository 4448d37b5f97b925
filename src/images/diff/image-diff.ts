/**
 * `berth image diff <a> <b>`: what changed between two versions, at the
 * level an administrator reviews a rollout at: packages added, removed,
 * upgraded and downgraded (old → new, ordered by the package format's own
 * rules), and a file-level summary from the versions' file indexes: counts,
 * bytes, and the changed paths grouped by top-level folder.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareDebianVersions } from '../packages/debian-version.ts';
import { compareRpmVersions } from '../packages/rpm-version.ts';
import type { ManifestPackage, PackageManifest } from '../pack/package-manifest.ts';
import { decodeFileIndex } from '../pack/file-index.ts';
import type { FileEntry } from '../pack/file-index.ts';
import type { ImageRepository } from '../repository/image-repository.ts';
import type { VersionMetadata } from '../repository/version-metadata.ts';

export interface PackageChange {
  name: string;
  arch: string;
  from: string;
  to: string;
  source: string;
}

export interface ImageDiff {
  from: string;
  to: string;
  packages: { added: ManifestPackage[]; removed: ManifestPackage[]; upgraded: PackageChange[]; downgraded: PackageChange[]; unchanged: number };
  files: {
    added: number;
    removed: number;
    changed: number;
    bytesBefore: number;
    bytesAfter: number;
    /** Per top-level folder (`/usr`, `/etc`...): counts of added, removed, changed. */
    byFolder: Record<string, { added: number; removed: number; changed: number }>;
    /** Up to `limit` changed paths with what changed. */
    sample: { path: string; change: 'added' | 'removed' | 'changed'; detail?: string }[];
  };
}

export async function diffVersions(repo: ImageRepository, a: VersionMetadata, b: VersionMetadata, limit = 50): Promise<ImageDiff> {
  const [ma, mb, fa, fb] = await Promise.all([readManifest(repo, a), readManifest(repo, b), readFiles(repo, a), readFiles(repo, b)]);
  return { from: `${a.name}@${a.version}`, to: `${b.name}@${b.version}`, packages: diffPackages(ma, mb), files: diffFiles(fa, fb, limit) };
}

export function diffPackages(a: PackageManifest, b: PackageManifest): ImageDiff['packages'] {
  const compare = b.format === 'rpm' ? compareRpmVersions : compareDebianVersions;
  const key = (p: ManifestPackage) => `${p.name}:${p.arch}`;
  const before = new Map(a.packages.map((p) => [key(p), p]));
  const after = new Map(b.packages.map((p) => [key(p), p]));
  const out: ImageDiff['packages'] = { added: [], removed: [], upgraded: [], downgraded: [], unchanged: 0 };
  for (const [k, p] of after) {
    const old = before.get(k);
    if (!old) out.added.push(p);
    else if (old.version === p.version) out.unchanged++;
    else {
      const change = { name: p.name, arch: p.arch, from: old.version, to: p.version, source: p.source };
      (compare(p.version, old.version) > 0 ? out.upgraded : out.downgraded).push(change);
    }
  }
  for (const [k, p] of before) if (!after.has(k)) out.removed.push(p);
  return out;
}

export function diffFiles(a: FileEntry[], b: FileEntry[], limit: number): ImageDiff['files'] {
  const before = new Map(a.map((e) => [e[0], e]));
  const after = new Map(b.map((e) => [e[0], e]));
  const out: ImageDiff['files'] = { added: 0, removed: 0, changed: 0, bytesBefore: 0, bytesAfter: 0, byFolder: {}, sample: [] };
  const note = (path: string, change: 'added' | 'removed' | 'changed', detail?: string) => {
    out[change]++;
    const folder = `/${path.split('/')[1] ?? ''}`;
    const counts = (out.byFolder[folder] ??= { added: 0, removed: 0, changed: 0 });
    counts[change]++;
    if (out.sample.length < limit) out.sample.push({ path, change, ...(detail ? { detail } : {}) });
  };
  for (const e of a) out.bytesBefore += e[5];
  for (const e of b) out.bytesAfter += e[5];
  for (const [path, e] of after) {
    const old = before.get(path);
    if (!old) note(path, 'added');
    else {
      const what = describeChange(old, e);
      if (what) note(path, 'changed', what);
    }
  }
  for (const path of before.keys()) if (!after.has(path)) note(path, 'removed');
  return out;
}

function describeChange(a: FileEntry, b: FileEntry): string | undefined {
  const parts: string[] = [];
  if (a[1] !== b[1]) parts.push(`type ${a[1]}→${b[1]}`);
  if (a[2] !== b[2]) parts.push(`mode ${a[2].toString(8)}→${b[2].toString(8)}`);
  if (a[3] !== b[3] || a[4] !== b[4]) parts.push(`owner ${a[3]}:${a[4]}→${b[3]}:${b[4]}`);
  if (a[5] !== b[5]) parts.push(`size ${a[5]}→${b[5]}`);
  else if (a[6] !== b[6] && a[1] === 'f') parts.push('modified');
  if (a[7] !== b[7]) parts.push(`link ${a[7] ?? ''}→${b[7] ?? ''}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

async function readManifest(repo: ImageRepository, v: VersionMetadata): Promise<PackageManifest> {
  return JSON.parse(await readFile(join(repo.layout(v.name).versionDir(v.version), v.manifest.file), 'utf8')) as PackageManifest;
}

async function readFiles(repo: ImageRepository, v: VersionMetadata): Promise<FileEntry[]> {
  return decodeFileIndex(await readFile(join(repo.layout(v.name).versionDir(v.version), v.files.file)));
}
