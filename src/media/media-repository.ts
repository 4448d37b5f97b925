/**
 * The imported media under a state dir: `media/<name>/` holds the media's
 * files as they are on the ISO (installers fetch them from
 * `/media/<name>/...`) and `media.json`, the MediaRecord.
 *
 * An import identifies first and copies after, so media berth cannot use is
 * refused before a byte is copied; from an ISO, only the marker files are
 * extracted for that (extract.ts). The copy goes to a hidden sibling folder,
 * gets its media.json, is flushed to disk, and appears with one rename, like
 * an image version (images/repository/image-repository.ts): a media folder is
 * whole or absent, never half-copied. Removal is the same rename in reverse.
 *
 * Hidden names under media/ (`.partial-*`, `.removing-*`, `.identify-*`,
 * `.<name>.lock`) are the work of imports and removals; list() skips them.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BerthError } from '../errors.ts';
import { acquireLockFile } from '../state/lock-file.ts';
import type { InstanceLock } from '../state/lock-file.ts';
import { hiddenSibling, removePublished, syncPath, withStagedDir } from '../state/staged-dir.ts';
import type { StateDirLayout } from '../state/state-dir.ts';
import { readIfExists, writeAtomic } from '../util/files.ts';
import { run, SubprocessError } from '../util/run.ts';
import { extractIso, identifyIso } from './extract.ts';
import { identifyTree } from './identify/index.ts';
import type { MediaIdentity } from './identify/index.ts';
import { directoryTree } from './identify/media-tree.ts';
import { INSTALL_FAMILIES, MEDIA_RECORD } from './media.ts';
import type { InstallFamily, MediaRecord } from './media.ts';
import { mediaNameProblem, requireMediaName } from './media-name.ts';
import { directoryDigest, fileDigest } from './source-digest.ts';

export interface MediaImportOptions {
  /** Folder name under media/; default `<distro>-<version>-<arch>`. */
  name?: string;
  /** Replace media of that name imported from another source. */
  force?: boolean;
}

export interface MediaImportResult {
  record: MediaRecord;
  /** True when the same source was already imported under that name: nothing was copied. */
  unchanged: boolean;
}

export type MediaEntry = { name: string; record: MediaRecord } | { name: string; damaged: string };

/** Families whose installer fetches the whole ISO (Ubuntu's live initrd: `url=<iso>`), so the import keeps one. */
const FAMILIES_SERVING_THE_ISO: readonly InstallFamily[] = ['autoinstall'];

type Fill = (partial: string, name: string, identity: MediaIdentity) => Promise<{ iso?: string; evidence?: MediaRecord['evidence'] }>;

export class MediaRepository {
  readonly state: StateDirLayout;

  constructor(state: StateDirLayout) {
    this.state = state;
  }

  /** The media's folder: its files, and media.json. The name is not checked beyond being one plain path segment. */
  folder(name: string): string {
    if (name === '' || name.includes('/') || name.startsWith('.')) throw new BerthError('BERTH_BAD_INPUT', `'${name}' is not a media name`);
    return join(this.state.media, name);
  }

  /** Every imported media, sorted by name; damaged ones with the reason, so `media list` can show them. */
  async list(): Promise<MediaEntry[]> {
    const entries = await readdir(this.state.media, { withFileTypes: true }).catch(() => []);
    const out: MediaEntry[] = [];
    for (const entry of entries.filter((e) => e.isDirectory() && mediaNameProblem(e.name) === undefined).sort((a, b) => a.name.localeCompare(b.name))) {
      try {
        out.push({ name: entry.name, record: await this.read(entry.name) });
      } catch (e) {
        if (!(e instanceof BerthError) || e.code !== 'BERTH_CORRUPT') throw e;
        out.push({ name: entry.name, damaged: e.message });
      }
    }
    return out;
  }

  /** The record, after checking that the kernel and initrds it names are there. */
  async read(name: string): Promise<MediaRecord> {
    requireMediaName(name);
    const dir = this.folder(name);
    const file = join(dir, MEDIA_RECORD);
    const text = await readIfExists(file).catch((e: Error) => {
      throw new BerthError('BERTH_CORRUPT', `media '${name}' is damaged: cannot read ${file}: ${e.message}`, { file });
    });
    if (text === undefined) {
      if (!(await stat(dir).catch(() => undefined))) throw new BerthError('BERTH_NOT_FOUND', `media '${name}' is not imported (berth media list shows what is)`);
      throw new BerthError('BERTH_CORRUPT', `media '${name}' is damaged: ${file} is missing; import it again with --force`, { file });
    }
    const record = parseMediaRecord(text, file, name);
    for (const part of [record.kernel, ...record.initrds, ...(record.iso ? [record.iso] : [])]) {
      const path = join(dir, part);
      if (!(await stat(path).catch(() => undefined))?.isFile()) {
        throw new BerthError('BERTH_CORRUPT', `media '${name}' is damaged: ${path} is missing; import it again with --force`, { file: path });
      }
    }
    return record;
  }

  /**
   * Imports an ISO image or a folder. The same source again under the same
   * name returns the existing record with `unchanged: true`; another source
   * under an existing name is refused (BERTH_CONFLICT) unless `force`.
   */
  async import(sourcePath: string, options: MediaImportOptions = {}): Promise<MediaImportResult> {
    if (options.name !== undefined) requireMediaName(options.name);
    const source = resolve(sourcePath);
    const st = await stat(source).catch(() => undefined);
    if (!st) throw new BerthError('BERTH_NOT_FOUND', `${source} does not exist`, { file: source });
    await mkdir(this.state.media, { recursive: true, mode: 0o755 });
    if (st.isDirectory()) return this.#importDirectory(source, options);
    return this.#importIso(source, options);
  }

  /**
   * Removes imported media. `inUse` names the profiles that install from it
   * (the caller knows profiles, this store does not); removal is refused
   * while there are any, unless `force`.
   */
  async remove(name: string, options: { inUse?: string[]; force?: boolean } = {}): Promise<void> {
    requireMediaName(name);
    const dir = this.folder(name);
    if (!(await stat(dir).catch(() => undefined))) throw new BerthError('BERTH_NOT_FOUND', `media '${name}' is not imported (berth media list shows what is)`);
    const inUse = options.inUse ?? [];
    if (inUse.length > 0 && !options.force) {
      throw new BerthError(
        'BERTH_CONFLICT',
        `media '${name}' is used by ${inUse.length === 1 ? 'profile' : 'profiles'} ${inUse.join(', ')}; point ${inUse.length === 1 ? 'it' : 'them'} at other media or remove ${inUse.length === 1 ? 'it' : 'them'} first, or force the removal`,
      );
    }
    const lock = await this.#lock(name);
    try {
      await removePublished(dir, { sync: true });
    } finally {
      await lock.release();
    }
  }

  async #importIso(source: string, options: MediaImportOptions): Promise<MediaImportResult> {
    const { image, identity } = await identifyIso(source, this.state.media);
    const digest = await fileDigest(source);
    return this.#publish(identity, { path: source, ...digest }, options, async (partial, name, found) => {
      await extractIso(image, partial);
      if (!FAMILIES_SERVING_THE_ISO.includes(found.family)) return {};
      const iso = await freeName(partial, `${name}.iso`);
      await copyFile(source, join(partial, iso), constants.COPYFILE_FICLONE);
      return { iso, evidence: [{ file: iso, says: `copy of ${basename(source)}: the live installer fetches the whole ISO (url=)` }] };
    });
  }

  async #importDirectory(source: string, options: MediaImportOptions): Promise<MediaImportResult> {
    const identity = await identifyTree(directoryTree(source));
    const digest = await directoryDigest(source);
    return this.#publish(identity, { path: source, bytes: digest.bytes, sha256: digest.sha256 }, options, async (partial, name, found) => {
      // -R without -L copies symbolic links as links; ownership is not kept: the files are served, not run.
      await run('cp', ['-R', '--preserve=mode,timestamps,links', '--reflink=auto', '--no-target-directory', source, partial]);
      await run('chmod', ['-R', 'u+rwX', partial]);
      if (!FAMILIES_SERVING_THE_ISO.includes(found.family)) return {};
      // The live installer loop-mounts the ISO it downloads and looks for casper/ in it; it never boots from it, so
      // an ISO made from the folder serves as well as the original.
      const iso = await freeName(partial, `${name}.iso`);
      const temp = hiddenSibling(join(this.state.media, `${name}.iso`), 'partial');
      try {
        await run('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', volumeId(found.label), '-o', temp, partial]);
        await rename(temp, join(partial, iso));
      } finally {
        await rm(temp, { force: true });
      }
      return { iso, evidence: [{ file: iso, says: 'ISO made from the folder with xorriso for the live installer, which fetches the whole ISO (url=)' }] };
    });
  }

  async #publish(identity: MediaIdentity, source: MediaRecord['source'], options: MediaImportOptions, fill: Fill): Promise<MediaImportResult> {
    const name = requireMediaName(options.name ?? identity.name);
    const lock = await this.#lock(name);
    try {
      await this.#removeLeftovers(name);
      const dir = this.folder(name);
      const present = await stat(dir).catch(() => undefined);
      let existing: MediaRecord | undefined;
      if (present) {
        try {
          existing = await this.read(name);
        } catch (e) {
          if (!(e instanceof BerthError) || e.code !== 'BERTH_CORRUPT') throw e;
          if (!options.force) throw new BerthError('BERTH_CONFLICT', `${e.message}; importing over it needs force`);
        }
      }
      if (existing && sameSource(existing, identity, source)) return { record: existing, unchanged: true };
      if (existing && !options.force) {
        throw new BerthError(
          'BERTH_CONFLICT',
          `media '${name}' already exists, imported from ${existing.source.path} on ${existing.imported} (${existing.label}, sha256 ${existing.source.sha256.slice(0, 12)}...); ` +
            `${source.path} is a different source (sha256 ${source.sha256.slice(0, 12)}...): choose another name, or force to replace it`,
        );
      }

      try {
        const record = await withStagedDir(dir, async (partial) => {
          const added = await fill(partial, name, identity);
          for (const part of [identity.kernel, ...identity.initrds]) {
            if (!(await stat(join(partial, part)).catch(() => undefined))?.isFile()) {
              throw new BerthError('BERTH_INTERNAL', `${part} was identified on ${source.path} but is not in the copy at ${partial}`);
            }
          }
          const record: MediaRecord = {
            name,
            distro: identity.distro,
            version: identity.version,
            arch: identity.arch,
            family: identity.family,
            label: identity.label,
            kernel: identity.kernel,
            initrds: identity.initrds,
            ...(added.iso ? { iso: added.iso } : {}),
            evidence: [...identity.evidence, ...(added.evidence ?? [])],
            source,
            imported: new Date().toISOString(),
          };
          await writeAtomic(join(partial, MEDIA_RECORD), `${JSON.stringify(record, null, 2)}\n`, 0o644);
          await syncPath(join(partial, MEDIA_RECORD));
          // Publishing runs one syncfs for the gigabytes just copied, rather than an fsync per file.
          return record;
        }, { purpose: 'partial', replace: present !== undefined, sync: 'filesystem' });
        return { record, unchanged: false };
      } catch (e) {
        throw noSpace(e, this.state.media, name);
      }
    } finally {
      await lock.release();
    }
  }

  /** Held while media of that name is imported or removed. */
  async #lock(name: string): Promise<InstanceLock> {
    const path = join(this.state.media, `.${name}.lock`);
    return acquireLockFile(path, {
      timeoutMs: 5000,
      busy: (holder) => new BerthError('BERTH_CONFLICT', `media '${name}' is busy: process ${holder.pid} on ${holder.hostname} is importing or removing it (since ${holder.since})`, { file: path }),
    });
  }

  /** What interrupted imports and removals of `name` left behind, and identification folders of dead processes. Call under #lock(name). */
  async #removeLeftovers(name: string): Promise<void> {
    for (const entry of await readdir(this.state.media).catch(() => [] as string[])) {
      const hidden = /^\.(partial|removing)-\d+-[0-9a-f]{8}-(.+)$/.exec(entry);
      const identify = /^\.identify-(\d+)-/.exec(entry);
      if ((hidden && (hidden[2] === name || hidden[2] === `${name}.iso`)) || (identify && !processAlive(Number(identify[1])))) {
        await rm(join(this.state.media, entry), { recursive: true, force: true });
      }
    }
  }
}

/** Same media, same source bytes: a re-import that has nothing to do. */
function sameSource(existing: MediaRecord, identity: MediaIdentity, source: MediaRecord['source']): boolean {
  return (
    existing.source.sha256 === source.sha256 &&
    existing.source.bytes === source.bytes &&
    existing.distro === identity.distro &&
    existing.version === identity.version &&
    existing.arch === identity.arch &&
    existing.family === identity.family
  );
}

/** `wanted`, or `<stem>-<n>.iso` if the media itself has a file of that name. */
async function freeName(dir: string, wanted: string): Promise<string> {
  let candidate = wanted;
  for (let n = 2; await stat(join(dir, candidate)).catch(() => undefined); n++) candidate = wanted.replace(/\.iso$/, `-${n}.iso`);
  return candidate;
}

/** An ISO 9660 volume id: at most 32 of A-Z, 0-9 and _. */
function volumeId(label: string): string {
  return label.toUpperCase().replace(/[^A-Z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 32) || 'BERTH_MEDIA';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function noSpace(e: unknown, where: string, name: string): unknown {
  const full = (e as NodeJS.ErrnoException).code === 'ENOSPC' || (e instanceof SubprocessError && /No space left on device/i.test(e.stderr));
  return full ? new BerthError('BERTH_NO_SPACE', `no space left under ${where} while importing media '${name}'; nothing was kept`) : e;
}

/** Checks media.json's shape: a damaged record is reported as damaged, not as a crash later. */
export function parseMediaRecord(text: string, file: string, name: string): MediaRecord {
  const damaged = (why: string) => new BerthError('BERTH_CORRUPT', `media '${name}' is damaged: ${file} ${why}; import it again with --force`, { file });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw damaged(`is not JSON (${(e as Error).message})`);
  }
  const r = value as Partial<MediaRecord> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw damaged('is not a JSON object');
  for (const key of ['name', 'distro', 'version', 'label', 'kernel', 'imported'] as const) {
    if (typeof r[key] !== 'string' || r[key] === '') throw damaged(`has no ${key}`);
  }
  if (r.name !== name) throw damaged(`names the media '${r.name}', but it is in the folder of '${name}'`);
  if (r.arch !== 'x86_64' && r.arch !== 'aarch64') throw damaged(`has arch ${JSON.stringify(r.arch)}, not x86_64 or aarch64`);
  if (!INSTALL_FAMILIES.includes(r.family as InstallFamily)) throw damaged(`has family ${JSON.stringify(r.family)}, not one of ${INSTALL_FAMILIES.join(', ')}`);
  if (!Array.isArray(r.initrds) || !r.initrds.every((i) => typeof i === 'string')) throw damaged('has no initrds list');
  if (r.iso !== undefined && typeof r.iso !== 'string') throw damaged('has an iso that is not a path');
  if (!Array.isArray(r.evidence)) throw damaged('has no evidence list');
  const s = r.source;
  if (typeof s !== 'object' || s === null || typeof s.path !== 'string' || typeof s.bytes !== 'number' || typeof s.sha256 !== 'string') throw damaged('has no source {path, bytes, sha256}');
  for (const part of [r.kernel!, ...r.initrds, ...(r.iso ? [r.iso] : [])]) {
    if (part.startsWith('/') || part.split('/').includes('..')) throw damaged(`names ${part}, which is not a path inside the media`);
  }
  return r as MediaRecord;
}
