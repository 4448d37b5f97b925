/**
 * Names of images and references to their versions, as users type them:
 * `compute` (the newest version), `compute@latest` (the same, explicit) and
 * `compute@3`. Names become folder names under the state dir, so they are
 * checked here once, before any path is built from them: no `/`, no `..`, no
 * leading dot or dash (a dot would hide a folder, a dash looks like an option
 * to every tool the name is passed to).
 */
import { BerthError } from '../../errors.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface ImageRef {
  name: string;
  /** A fixed version, or 'latest' resolved when used. */
  version: number | 'latest';
}

export function imageNameProblem(name: string): string | undefined {
  if (NAME.test(name) && !name.includes('..')) return undefined;
  if (name.includes('/')) return `image name '${name}' contains '/'; a name is one word such as 'compute' or 'debian-12'`;
  if (name.includes('..')) return `image name '${name}' contains '..'`;
  if (name === '') return 'image name is empty';
  if (name.length > 64) return `image name '${name.slice(0, 20)}...' is longer than 64 characters`;
  return `'${name}' is not a valid image name (letters, digits, '.', '_', '-'; starting with a letter or digit)`;
}

export function requireImageName(name: string): string {
  const problem = imageNameProblem(name);
  if (problem) throw new BerthError('BERTH_BAD_INPUT', problem);
  return name;
}

/** Parses `name`, `name@latest` or `name@<n>`; `defaultVersion` applies when no `@` is given. */
export function parseImageRef(text: string): ImageRef {
  const at = text.lastIndexOf('@');
  if (at < 0) return { name: requireImageName(text), version: 'latest' };
  const name = requireImageName(text.slice(0, at));
  const version = text.slice(at + 1);
  if (version === 'latest') return { name, version };
  if (!/^[1-9][0-9]{0,8}$/.test(version)) {
    throw new BerthError('BERTH_BAD_INPUT', `'${text}': the version after '@' must be a number such as ${name}@3, or 'latest'`);
  }
  return { name, version: Number(version) };
}

export function formatImageRef(ref: { name: string; version: number | 'latest' }): string {
  return `${ref.name}@${ref.version}`;
}
