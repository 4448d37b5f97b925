/**
 * Names of imported media. A name becomes a folder under media/ and a path
 * segment of every URL an installer fetches (`/media/<name>/...`), so it is
 * checked here once, before any path is built from it: lowercase letters,
 * digits, `.`, `-`, `_`, starting with a letter or digit, at most 64
 * characters, no `..`. Lowercase only, so `Rocky-9.4` and `rocky-9.4` can
 * never be two media that look the same in a profile.
 */
import { BerthError } from '../errors.ts';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function mediaNameProblem(name: string): string | undefined {
  if (NAME.test(name) && !name.includes('..')) return undefined;
  if (name === '') return 'media name is empty';
  if (name.includes('/')) return `media name '${name}' contains '/'; a name is one word such as 'rocky-9.4-x86_64'`;
  if (name.includes('..')) return `media name '${name}' contains '..'`;
  if (name.length > 64) return `media name '${name.slice(0, 20)}...' is longer than 64 characters`;
  if (/[A-Z]/.test(name)) return `media name '${name}' has uppercase letters; use '${name.toLowerCase()}'`;
  return `'${name}' is not a valid media name (lowercase letters, digits, '.', '_', '-'; starting with a letter or digit)`;
}

export function requireMediaName(name: string): string {
  const problem = mediaNameProblem(name);
  if (problem) throw new BerthError('BERTH_BAD_INPUT', problem);
  return name;
}

/** `<distro>-<version>-<arch>`, the name an import gets without `--name`: rocky-9.4-x86_64. */
export function defaultMediaName(identity: { distro: string; version: string; arch: string }): string {
  return `${identity.distro}-${identity.version}-${identity.arch}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
}
