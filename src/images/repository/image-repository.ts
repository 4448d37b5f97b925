/**
 * The images under a state dir: their editable trees and their immutable
 * versions. Publishing is one rename of a complete folder, so a version either
 * exists whole, with its key, or not at all; removal is the same rename in
 * reverse (out of sight first, deleted after).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { acquireLockFile } from '../../state/lock-file.ts';
import type { InstanceLock } from '../../state/lock-file.ts';
import { publishStaged, removePublished } from '../../state/staged-dir.ts';
import type { StateDirLayout } from '../../state/state-dir.ts';
import { readIfExists, writeAtomic } from '../../util/files.ts';
import { imageLayout } from './image-layout.ts';
import type { ImageLayout } from './image-layout.ts';
import { imageNameProblem, parseImageRef } from './image-ref.ts';
import type { ImageRef } from './image-ref.ts';
import { readTreeInfo } from './tree-info.ts';
import type { TreeInfo } from './tree-info.ts';
import { parseVersionMetadata } from './version-metadata.ts';
import type { VersionMetadata } from './version-metadata.ts';

export type VersionEntry = { version: number; metadata: VersionMetadata } | { version: number; damaged: string };

export class ImageRepository {
  readonly state: StateDirLayout;

  constructor(state: StateDirLayout) {
    this.state = state;
  }

  layout(name: string): ImageLayout {
    return imageLayout(this.state, name);
  }

  /** Every image that has a tree or at least one version folder, sorted. */
  async names(): Promise<string[]> {
    const names = new Set<string>();
    for (const dir of [this.state.trees, this.state.images]) {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory() && imageNameProblem(entry.name) === undefined) names.add(entry.name);
      }
    }
    return [...names].sort();
  }

  async tree(name: string): Promise<TreeInfo | undefined> {
    const layout = this.layout(name);
    const root = await stat(layout.treeRoot).catch(() => undefined);
    if (!root?.isDirectory()) return undefined;
    return (await readTreeInfo(layout.treeInfo, name)) ?? { name, origin: 'build', created: root.mtime.toISOString(), modified: root.mtime.toISOString() };
  }

  async requireTree(name: string): Promise<TreeInfo> {
    const tree = await this.tree(name);
    if (!tree) {
      const versions = await this.versionNumbers(name);
      const hint = versions.length > 0 ? `; unpack a version to edit it: berth image unpack ${name}@${versions.at(-1)}` : `; build one: berth image build ${name} --distro debian-12`;
      throw new BerthError('BERTH_NOT_FOUND', `image '${name}' has no tree at ${this.layout(name).treeRoot}${hint}`);
    }
    return tree;
  }

  /** Published version numbers, ascending. */
  async versionNumbers(name: string): Promise<number[]> {
    const entries = await readdir(this.layout(name).imageDir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && /^[1-9][0-9]*$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => a - b);
  }

  /** All versions, damaged ones included with the reason, so `image versions` can show them. */
  async versions(name: string): Promise<VersionEntry[]> {
    const out: VersionEntry[] = [];
    for (const version of await this.versionNumbers(name)) {
      try {
        out.push({ version, metadata: await this.readVersion(name, version) });
      } catch (e) {
        if (!(e instanceof BerthError) || e.code !== 'BERTH_CORRUPT') throw e;
        out.push({ version, damaged: e.message });
      }
    }
    return out;
  }

  /** A version's metadata, after checking that its files are there with the sizes it records. */
  async readVersion(name: string, version: number): Promise<VersionMetadata> {
    const layout = this.layout(name);
    const dir = layout.versionDir(version);
    const file = join(dir, 'metadata.json');
    const text = await readIfExists(file).catch((e: Error) => {
      throw new BerthError('BERTH_CORRUPT', `image version ${name}@${version} is damaged: cannot read ${file}: ${e.message}`, { file });
    });
    if (text === undefined) {
      if (!(await stat(dir).catch(() => undefined))) throw new BerthError('BERTH_NOT_FOUND', `image version ${name}@${version} does not exist`);
      throw new BerthError('BERTH_CORRUPT', `image version ${name}@${version} is damaged: ${file} is missing`, { file });
    }
    const metadata = parseVersionMetadata(text, file, { name, version });
    for (const [part, size] of [[metadata.artifact.file, metadata.artifact.bytes], [metadata.boot.kernel, undefined], [metadata.boot.initramfs, undefined], [metadata.manifest.file, undefined]] as const) {
      const path = join(dir, part);
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) throw new BerthError('BERTH_CORRUPT', `image version ${name}@${version} is damaged: ${path} is missing`, { file: path });
      if (size !== undefined && st.size !== size) {
        throw new BerthError('BERTH_CORRUPT', `image version ${name}@${version} is damaged: ${path} has ${st.size} bytes, metadata says ${size}`, { file: path });
      }
    }
    const key = await stat(layout.keyFile(version)).catch(() => undefined);
    if (key?.size !== 64) throw new BerthError('BERTH_CORRUPT', `image version ${name}@${version} is damaged: its key ${layout.keyFile(version)} is ${key ? `${key.size} bytes, not 64` : 'missing'}`, { file: layout.keyFile(version) });
    return metadata;
  }

  /** `name`, `name@latest` or `name@n` to the version it means now. */
  async resolve(ref: string | ImageRef): Promise<VersionMetadata> {
    const { name, version } = typeof ref === 'string' ? parseImageRef(ref) : ref;
    if (version !== 'latest') return this.readVersion(name, version);
    const numbers = await this.versionNumbers(name);
    if (numbers.length === 0) {
      const tree = await this.tree(name);
      throw new BerthError('BERTH_NOT_FOUND', tree ? `image '${name}' has no packed version yet; pack it: berth image pack ${name}` : `image '${name}' does not exist`);
    }
    return this.readVersion(name, numbers.at(-1)!);
  }

  async readKey(name: string, version: number): Promise<Buffer> {
    const key = await readFile(this.layout(name).keyFile(version));
    if (key.length !== 64) throw new BerthError('BERTH_CORRUPT', `key of ${name}@${version} is ${key.length} bytes, not 64`);
    return key;
  }

  /** Held while a version of `name` is allocated, published or removed. */
  async lock(name: string): Promise<InstanceLock> {
    const layout = this.layout(name);
    await mkdir(layout.imageDir, { recursive: true, mode: 0o755 });
    return acquireLockFile(layout.lock, {
      timeoutMs: 5000,
      busy: (holder) => new BerthError('BERTH_CONFLICT', `image '${name}' is busy: process ${holder.pid} on ${holder.hostname} is packing or removing a version (since ${holder.since})`, { file: layout.lock }),
    });
  }

  /** The number the next version gets; never one that was published before, even if removed since. Call under lock(). */
  async nextVersion(name: string): Promise<number> {
    const layout = this.layout(name);
    const last = Number((await readIfExists(layout.lastVersion))?.trim() ?? 0);
    const highest = (await this.versionNumbers(name)).at(-1) ?? 0;
    return Math.max(Number.isSafeInteger(last) ? last : 0, highest) + 1;
  }

  /** A fresh folder for a pack in progress, beside where the version will appear (same filesystem, so the publish rename is atomic). */
  async partialDir(name: string): Promise<string> {
    const dir = join(this.layout(name).imageDir, `.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** Removes what interrupted packs and removals left behind. Call under lock(): a live pack's folder is never touched then. */
  async removeLeftovers(name: string): Promise<string[]> {
    const layout = this.layout(name);
    const removed: string[] = [];
    for (const entry of await readdir(layout.imageDir).catch(() => [])) {
      if (entry.startsWith('.partial-') || entry.startsWith('.removing-')) {
        await rm(join(layout.imageDir, entry), { recursive: true, force: true });
        removed.push(entry);
      }
    }
    // Keys of versions that never got published (a crash between key and rename).
    const published = new Set(await this.versionNumbers(name));
    for (const entry of await readdir(layout.keyDir).catch(() => [])) {
      const match = /^([1-9][0-9]*)\.key(\.tmp-.*)?$/.exec(entry);
      if (match && (match[2] || !published.has(Number(match[1])))) {
        await rm(join(layout.keyDir, entry), { force: true });
        removed.push(`key ${entry}`);
      }
    }
    return removed;
  }

  /**
   * Makes a complete partial folder version `version`: key first (private,
   * 0600), then data synced, then the one rename that makes it visible.
   */
  async publish(name: string, version: number, partial: string, key: Buffer): Promise<void> {
    const layout = this.layout(name);
    await mkdir(layout.keyDir, { recursive: true, mode: 0o700 });
    await writeAtomic(layout.keyFile(version), key, 0o600);
    await publishStaged(partial, layout.versionDir(version), { sync: 'entries' });
    await writeAtomic(layout.lastVersion, `${version}\n`, 0o644);
  }

  /** Removes a published version (the caller has checked that no node uses it). */
  async removeVersion(name: string, version: number): Promise<void> {
    const layout = this.layout(name);
    const dir = layout.versionDir(version);
    if (!(await stat(dir).catch(() => undefined))) throw new BerthError('BERTH_NOT_FOUND', `image version ${name}@${version} does not exist`);
    // The data goes first: a key left by a crash here is swept with the other orphans (a version without its key could not be opened).
    await removePublished(dir, { sync: true });
    await rm(layout.keyFile(version), { force: true });
  }
}
