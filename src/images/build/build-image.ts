/**
 * `berth image build <name> --distro <id>`: a new tree from the
 * distribution's repositories (the plan: build-plan.ts), with berth's
 * node-side boot support installed and the initramfs rebuilt by the image's
 * own tool. The tree appears under trees/<name> only when all of that
 * succeeded (see withNewTree); a failed build leaves nothing behind except
 * the package cache, which is the point of the cache.
 */
import { mkdir, stat } from 'node:fs/promises';
import { BerthError } from '../../errors.ts';
import { SubprocessError, run } from '../../util/run.ts';
import type { ImageRepository } from '../repository/image-repository.ts';
import { requireImageName } from '../repository/image-ref.ts';
import type { TreeInfo } from '../repository/tree-info.ts';
import { withNewTree } from '../tree/new-tree.ts';
import { planBuild } from './build-plan.ts';
import { resolveDistro } from './distros.ts';
import { enableNodeServices, installNodeSupport, regenerateInitramfs } from './node-support.ts';

export interface BuildOptions {
  distro: string;
  arch?: string;
  packages?: string[];
  mirror?: string;
  /** Where downloaded packages are kept between builds; <state>/cache/packages/<distro>-<arch> by default. */
  packageCache?: string;
  /** Each step as it starts, for progress output. */
  progress?(step: string): void;
  /** Where the tools' own output goes while they run (the CLI passes its stderr). */
  output?: NodeJS.WritableStream;
}

export async function buildImage(repo: ImageRepository, name: string, options: BuildOptions): Promise<TreeInfo> {
  requireImageName(name);
  const distro = resolveDistro(options.distro);
  const arch = options.arch ?? (await hostArch());
  const packages = options.packages ?? [];
  const cacheDir = options.packageCache ?? `${repo.state.root}/cache/packages/${distro.id}-${arch}`;
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  return withNewTree(repo, name, async (root) => {
    const plan = planBuild({ distro, arch, packages, root, cacheDir, ...(options.mirror ? { mirror: options.mirror } : {}) }, toolExists);
    for (const tool of plan.requiredTools) {
      if (!toolExists(tool)) throw new BerthError('BERTH_UNAVAILABLE', `building ${distro.id} images needs '${tool}' on this host, and it is not installed`);
    }
    for (const file of plan.requiredFiles) {
      if (!(await stat(file).catch(() => undefined))) {
        const hint = file.includes('ubuntu') ? 'ubuntu-keyring' : file.includes('debian') ? 'debian-archive-keyring' : 'the distribution\'s keyring package';
        throw new BerthError('BERTH_UNAVAILABLE', `building ${distro.id} images needs ${file} on this host to check the archive's signatures (apt-get install ${hint})`);
      }
    }
    for (const step of plan.steps) {
      options.progress?.(step.description);
      try {
        await run(step.command, step.args, { ...(step.env ? { env: step.env } : {}), ...(step.input !== undefined ? { input: step.input } : {}) });
      } catch (e) {
        throw explainBuildFailure(e, distro.id, packages);
      }
    }
    options.progress?.('installing berth node-side boot support');
    await installNodeSupport(root);
    await enableNodeServices(root, name);
    options.progress?.(`rebuilding the initramfs with ${distro.initramfsTool}`);
    await regenerateInitramfs(root, name, distro.initramfsTool);
    const now = new Date().toISOString();
    return { name, origin: 'build', distro: distro.id, arch, packages, created: now, modified: now };
  });
}

/** Turns the package manager's words for "no such package" into an error naming the package. */
function explainBuildFailure(e: unknown, distro: string, asked: string[]): unknown {
  if (!(e instanceof SubprocessError)) return e;
  const text = `${e.stderr}\n${e.stdout}`;
  const missing = new Set<string>();
  for (const m of text.matchAll(/Unable to locate package ([^\s]+)|Package '?([^\s']+)'? has no installation candidate|No match for argument: ([^\s]+)|No provider of '([^']+)' found|package '([^']+)' not found/g)) {
    const name = m.slice(1).find((x) => x !== undefined);
    if (name) missing.add(name);
  }
  if (missing.size > 0) {
    const list = [...missing];
    const yours = list.filter((p) => asked.includes(p));
    return new BerthError('BERTH_BAD_INPUT', `${distro} has no package ${list.map((p) => `'${p}'`).join(', ')}${yours.length < list.length ? ' (from berth\'s base set: check the mirror)' : ''}; nothing was built`);
  }
  if (/Temporary failure resolving|Could not resolve|Failed to fetch|Cannot download|Curl error/i.test(text)) {
    return new BerthError('BERTH_UNAVAILABLE', `the ${distro} package repository is unreachable: ${e.stderr.trim().split('\n').slice(-3).join('; ')}`);
  }
  if (/No space left on device/i.test(text)) return new BerthError('BERTH_NO_SPACE', `no space left while building ${distro}: ${e.stderr.trim().split('\n').slice(-2).join('; ')}`);
  return e;
}

function toolExists(tool: string): boolean {
  const { accessSync, constants } = process.getBuiltinModule('node:fs');
  return (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((dir) => {
    try {
      accessSync(`${dir}/${tool}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function hostArch(): Promise<string> {
  const { stdout } = await run('dpkg', ['--print-architecture']).catch(() => ({ stdout: process.arch === 'arm64' ? 'arm64' : 'amd64' }));
  return stdout.trim();
}
