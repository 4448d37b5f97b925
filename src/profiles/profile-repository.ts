/**
 * The profiles under `<state-dir>/profiles/`, one folder each:
 *
 *   profiles/<name>/profile.yaml     what it boots (profile-file.ts)
 *   profiles/<name>/post.d/          scripts for the node, by name order (profile.ts)
 *   profiles/<name>/firstboot.d/
 *   profiles/<name>/onboot.d/
 *   profiles/<name>/vmlinuz ...      a kernel profile's own kernel and initrds
 *   profiles/.new-* .removing-*      a define or remove in progress
 *
 * A profile appears whole and disappears whole: a new one is filled in a
 * hidden folder beside its place and renamed into it, a removed one is
 * renamed out of sight before it is deleted. The boot server reads profiles
 * at every boot, so it never sees half of one. (Profile names cannot start
 * with a dot, so the hidden folders never collide with a profile.)
 */
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { naturalSort } from '../inventory/noderange/natural-sort.ts';
import { removePublished, withStagedDir } from '../state/staged-dir.ts';
import { readIfExists, writeAtomic } from '../util/files.ts';
import { formatProfileFile, parseProfileFile, PROFILE_FILE } from './profile-file.ts';
import { profileNameProblem, requireProfileName } from './profile-name.ts';
import { SCRIPT_FOLDERS } from './profile.ts';
import type { Profile, ScriptFolder } from './profile.ts';

export type ProfileScripts = Record<ScriptFolder, string[]>;

export class ProfileRepository {
  readonly dir: string;

  constructor(profilesDir: string) {
    this.dir = profilesDir;
  }

  /** The profile's folder; the name is checked before it becomes a path. */
  folder(name: string): string {
    return join(this.dir, requireProfileName(name));
  }

  file(name: string): string {
    return join(this.folder(name), PROFILE_FILE);
  }

  /** Every folder that could be a profile, naturally sorted (p2 before p10); read() tells whether it is a valid one. */
  async names(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    return naturalSort(entries.filter((e) => e.isDirectory() && profileNameProblem(e.name) === undefined).map((e) => e.name));
  }

  /** Whether the profile's folder is there, whatever is in it. */
  async exists(name: string): Promise<boolean> {
    return (await stat(this.folder(name)).catch(() => undefined))?.isDirectory() === true;
  }

  async read(name: string): Promise<Profile> {
    const file = this.file(name);
    let text: string | undefined;
    try {
      text = await readIfExists(file);
    } catch (e) {
      throw new BerthError('BERTH_CONFIG', `cannot read ${file}: ${(e as Error).message}`, { file });
    }
    if (text === undefined) throw new BerthError('BERTH_NOT_FOUND', `no profile named '${name}' (no ${file})`);
    return parseProfileFile(text, file, name);
  }

  /**
   * Creates the profile's folder with profile.yaml, empty script folders and
   * `files` (name → content, e.g. an install profile's answer.tmpl); BERTH_EXISTS if the name is taken.
   */
  async create(profile: Profile, files: Record<string, string> = {}): Promise<void> {
    const target = this.folder(profile.name);
    try {
      // Publishing fails on a folder that has anything in it: that is the existence check, without a race.
      await withStagedDir(target, async (partial) => {
        await chmod(partial, 0o755);
        await writeFile(join(partial, PROFILE_FILE), formatProfileFile(profile), { mode: 0o644 });
        await chmod(join(partial, PROFILE_FILE), 0o644);
        for (const folder of SCRIPT_FOLDERS) await makeDir(join(partial, folder));
        for (const [name, content] of Object.entries(files)) await writeFile(join(partial, name), content, { mode: 0o644 });
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new BerthError('BERTH_EXISTS', `profile '${profile.name}' already exists (${target}); change it with: berth profile set ${profile.name} ...`);
      }
      throw e;
    }
  }

  /** Rewrites profile.yaml of an existing profile, keeping the comments in it. */
  async write(profile: Profile): Promise<void> {
    const file = this.file(profile.name);
    const previous = await readIfExists(file);
    if (previous === undefined) throw new BerthError('BERTH_NOT_FOUND', `no profile named '${profile.name}' (no ${file})`);
    await writeAtomic(file, formatProfileFile(profile, previous), 0o644);
  }

  /** Removes the profile's folder with everything in it (scripts, a kernel profile's files). */
  async remove(name: string): Promise<void> {
    if (!(await removePublished(this.folder(name)))) throw new BerthError('BERTH_NOT_FOUND', `no profile named '${name}'`);
  }

  /**
   * The scripts in each script folder, in the order the node runs them (byte
   * order of the names, as run-parts does); hidden files are not scripts
   * (editors leave `.swp` files), folders inside are skipped.
   */
  async scripts(name: string): Promise<ProfileScripts> {
    const out = {} as ProfileScripts;
    for (const folder of SCRIPT_FOLDERS) {
      const entries = await readdir(join(this.folder(name), folder), { withFileTypes: true }).catch(() => []);
      out[folder] = entries
        .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
        .map((e) => e.name)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }
    return out;
  }
}

/** mkdir with an exact mode: mkdir's own mode is filtered by the umask. */
async function makeDir(path: string): Promise<void> {
  await mkdir(path, { mode: 0o755 });
  await chmod(path, 0o755);
}
