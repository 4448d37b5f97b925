/**
 * The build plan of `berth image build <name> --distro <id> [--packages a,b]
 * [--arch amd64]`: the exact commands that build an image root tree for a
 * distribution. Pure: a request in, argv arrays out; nothing here touches the
 * disk or the network. The executor runs the steps in order with `run()`
 * (each step's `input`, when set, goes to the command's stdin), stops at the
 * first failure and owns clean-up of a half-built root.
 *
 * This module checks the request once (architecture, package names, paths,
 * mirrors) and hands a checked `PlanInput` to the family's planner
 * (debian-plan.ts, el-plan.ts, suse-plan.ts), which only has to know its
 * package manager.
 *
 * Why the checks are strict: every value ends up in an argv, a repo file or a
 * sources.list line, and some of those are parsed again by the tools (mmdebstrap
 * splits special hooks like a shell does; .repo files are line based). A
 * package called `--nogpgcheck` or a mirror with a newline in it must never
 * reach them.
 */
import { posix } from 'node:path';
import { BerthError } from '../../errors.ts';
import type { DistroInfo } from './distros.ts';
import { planDebianBuild } from './debian-plan.ts';
import { planElBuild } from './el-plan.ts';
import { planSuseBuild } from './suse-plan.ts';

export interface BuildRequest {
  distro: DistroInfo;
  /** Debian-style: amd64, arm64. */
  arch: string;
  /** Extra packages, on top of the distro's kernel and base packages. */
  packages: string[];
  /** Absolute path of the root tree to create (empty or missing). */
  root: string;
  /** Absolute path of this distro's package cache, kept between builds, outside `root`. */
  cacheDir: string;
  /** Replaces the distro's default mirror (for the Debian family: the main archive and its -updates suite). */
  mirror?: string;
  /** Debian family only: replaces the security archive (Debian keeps it apart from the main archive). */
  securityMirror?: string;
}

export interface BuildStep {
  /** For people: what the step does and, where it is not obvious, why. */
  description: string;
  command: string;
  args: string[];
  /** Added to the environment the executor runs the command with. */
  env?: Record<string, string>;
  /**
   * Written to the command's stdin (run()'s `input`). Files are written with
   * `tee <path>` and this input, without a shell. (Not `install /dev/stdin`:
   * Node gives a child a socket as stdin, and opening /dev/stdin on a socket
   * fails with ENXIO.)
   */
  input?: string;
}

export interface BuildPlan {
  steps: BuildStep[];
  /** tool that must exist on the host, e.g. mmdebstrap: every command the steps run, in first-use order */
  requiredTools: string[];
  /** Files that must exist on the host (archive keyrings), so the executor can say which package to install. */
  requiredFiles: string[];
}

/** The request after checking, as the family planners receive it. */
export interface PlanInput {
  distro: DistroInfo;
  arch: string;
  /** Kernel, base packages, then the requested ones; duplicates dropped. */
  packages: string[];
  root: string;
  cacheDir: string;
  /** The mirror to build from, without a trailing slash. */
  mirror: string;
  /** True when the request named the mirror (the image then keeps using it). */
  siteMirror: boolean;
  /** Debian family: the security archive, without a trailing slash. */
  securityMirror: string;
}

/** What a family planner returns; `planBuild` adds `requiredTools`. */
export interface FamilyPlan {
  steps: BuildStep[];
  requiredFiles: string[];
}

export function planBuild(request: BuildRequest, hostHasTool?: (tool: string) => boolean): BuildPlan {
  const input = checkRequest(request);
  let plan: FamilyPlan;
  switch (input.distro.family) {
    case 'debian':
      plan = planDebianBuild(input, hostHasTool);
      break;
    case 'el':
      plan = planElBuild(input);
      break;
    case 'suse':
      plan = planSuseBuild(input);
      break;
    default:
      throw new BerthError('BERTH_INTERNAL', `distro ${input.distro.id} has unknown family '${String(input.distro.family)}'`);
  }
  const requiredTools = [...new Set(plan.steps.map((s) => s.command))];
  return { steps: plan.steps, requiredTools, requiredFiles: plan.requiredFiles };
}

function checkRequest(request: BuildRequest): PlanInput {
  const { distro, arch } = request;
  if (!distro.arches.includes(arch)) {
    const debianName = Object.entries({ x86_64: 'amd64', aarch64: 'arm64' }).find(([rpm]) => rpm === arch)?.[1];
    const hint = debianName ? ` (berth names architectures the Debian way: use ${debianName})` : '';
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `${distro.id} cannot be built for architecture '${arch}'${hint}; it supports ${distro.arches.join(', ')}`,
      { input: arch },
    );
  }
  const kernel = distro.kernelPackages[arch];
  if (kernel === undefined) {
    throw new BerthError('BERTH_INTERNAL', `distro ${distro.id} lists ${arch} but names no kernel package for it`);
  }

  const root = checkPath('root', request.root);
  const cacheDir = checkPath('cache directory', request.cacheDir);
  if (isWithin(cacheDir, root) || isWithin(root, cacheDir)) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `the package cache ${cacheDir} and the image root ${root} must not contain each other: ` +
        'the cache would end up in the image, or the build would write into the cache',
    );
  }

  const packages = [...new Set([kernel, ...distro.basePackages, ...(distro.bootloaderPackages[arch] ?? []), ...request.packages])];
  checkPackageNames(distro, request.packages);

  const archMirrors = distro.apt?.archMirrors?.[arch];
  let mirror = request.mirror;
  if (mirror === undefined || mirror === '') {
    mirror = archMirrors?.mirror ?? distro.defaultMirror;
    if (mirror === '') {
      throw new BerthError(
        'BERTH_BAD_INPUT',
        `${distro.id} needs a mirror: ${distro.rpm?.mirrorRequired ?? 'it has no public one'}`,
      );
    }
  }
  const securityMirror =
    request.securityMirror !== undefined && request.securityMirror !== ''
      ? request.securityMirror
      : (archMirrors?.securityMirror ?? distro.apt?.securityMirror ?? '');

  return {
    distro,
    arch,
    packages,
    root,
    cacheDir,
    mirror: checkMirror('mirror', mirror),
    siteMirror: request.mirror !== undefined && request.mirror !== '',
    securityMirror: securityMirror === '' ? '' : checkMirror('security mirror', securityMirror),
  };
}

/** Characters berth's own state paths use; anything else is refused rather than quoted. */
const safePath = /^\/[A-Za-z0-9._+@:/-]*$/;

function checkPath(what: string, path: string): string {
  if (typeof path !== 'string' || !safePath.test(path) || posix.normalize(path) !== path || path.endsWith('/')) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `the ${what} '${path}' must be a normalized absolute path other than / (no '..', no trailing '/') ` +
        'made of letters, digits and . _ + @ : - only',
      { input: String(path) },
    );
  }
  return path;
}

function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}

function checkMirror(what: string, mirror: string): string {
  let url: URL | undefined;
  try {
    url = new URL(mirror);
  } catch {
    url = undefined;
  }
  // Quotes, brackets, spaces and control characters would break out of a
  // sources.list line or a .repo file; URL() would percent-encode some of them
  // silently, so the raw text is checked.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || /[\s"'<>[\]\\`{}|^]/.test(mirror)) {
    throw new BerthError('BERTH_BAD_INPUT', `the ${what} '${mirror}' must be an http:// or https:// URL without spaces or quotes`, {
      input: mirror,
    });
  }
  return mirror.replace(/\/+$/, '');
}

/**
 * Debian Policy §5.6.1: at least two characters, lowercase letters, digits and
 * + - . only, starting with a letter or digit.
 */
const debianPackageName = /^[a-z0-9][a-z0-9+.-]+$/;
/**
 * RPM names: letters, digits and . _ + -. berth also wants the first character
 * to be a letter, digit or _, so that no name can read as an option.
 */
const rpmPackageName = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

function checkPackageNames(distro: DistroInfo, packages: string[]): void {
  const [grammar, rule] =
    distro.family === 'debian'
      ? [debianPackageName, 'Debian package names (Policy §5.6.1) are lowercase letters, digits and + - ., at least two characters, starting with a letter or digit']
      : [rpmPackageName, 'RPM package names are letters, digits and . _ + -, starting with a letter, digit or _'];
  const bad = packages.filter((p) => typeof p !== 'string' || !grammar.test(p));
  if (bad.length > 0) {
    const quoted = bad.map((p) => `'${String(p)}'`).join(', ');
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `${bad.length === 1 ? 'package name' : 'package names'} ${quoted} not valid for ${distro.id}: ${rule}`,
      { input: String(bad[0]) },
    );
  }
}
