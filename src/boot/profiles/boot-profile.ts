/**
 * A boot profile as the boot services need it: which kernel and initrds to
 * load and with which arguments. It lives in `<state-dir>/profiles/<name>/`
 * beside those files, described by `profile.yaml`:
 *
 *   kernel: vmlinuz
 *   initrds: [initrd.gz]
 *   kernel_args: console=ttyS0 berth.node={node}
 *
 * Kernel arguments may use attribute expressions, evaluated per node. Image
 * profiles (`berth profile define`, a later part) write the same file.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';

export interface BootProfile {
  name: string;
  dir: string;
  kernel: string;
  initrds: string[];
  kernelArgs: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const FILE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

export function profileNameProblem(name: string): string | undefined {
  return NAME.test(name) ? undefined : `'${name}' is not a valid profile name (letters, digits, '.', '_', '-')`;
}

export async function loadBootProfile(profilesDir: string, name: string): Promise<BootProfile> {
  const problem = profileNameProblem(name);
  if (problem) throw new BerthError('BERTH_BAD_INPUT', problem);
  const dir = join(profilesDir, name);
  const file = join(dir, 'profile.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new BerthError('BERTH_NOT_FOUND', `profile '${name}' does not exist (no ${file})`);
  }
  const { parse } = await import('yaml');
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new BerthError('BERTH_CONFIG', `${file}: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  const doc = (raw ?? {}) as Record<string, unknown>;
  const kernel = doc['kernel'];
  const initrds = doc['initrds'] ?? [];
  const kernelArgs = doc['kernel_args'] ?? '';
  if (typeof kernel !== 'string' || !FILE.test(kernel)) throw new BerthError('BERTH_CONFIG', `${file}: kernel must name a file in the profile folder`, { file });
  if (!Array.isArray(initrds) || !initrds.every((i) => typeof i === 'string' && FILE.test(i))) {
    throw new BerthError('BERTH_CONFIG', `${file}: initrds must be a list of file names in the profile folder`, { file });
  }
  if (typeof kernelArgs !== 'string') throw new BerthError('BERTH_CONFIG', `${file}: kernel_args must be a string`, { file });
  for (const part of [kernel, ...(initrds as string[])]) {
    const s = await stat(join(dir, part)).catch(() => undefined);
    if (!s?.isFile()) throw new BerthError('BERTH_CONFIG', `${file}: ${part} is missing from ${dir}`, { file });
  }
  return { name, dir, kernel, initrds: initrds as string[], kernelArgs };
}
