/**
 * Debian and Ubuntu image trees, built with mmdebstrap (man mmdebstrap, 1.3),
 * falling back to debootstrap when only that is installed.
 *
 * mmdebstrap, as Debian's own tooling uses it:
 *   --variant=minbase            Essential + apt, then --include on top.
 *   sources as full "deb" lines  One line per suite: <codename>, -updates,
 *                                -security. mmdebstrap's own --components only
 *                                applies to URI-only mirrors, and only a URI
 *                                given alone would get the automatic signed-by,
 *                                so berth writes the lines itself, each with
 *                                [signed-by=<the distro's keyring>]. That also
 *                                makes --keyring unnecessary: it would only last
 *                                for the build, signed-by stays in the image.
 *   package cache                The sync-in / sync-out hooks from the manual's
 *                                EXAMPLES (for hosts without apt-cacher-ng), with
 *                                --skip=essential/unlink: without it mmdebstrap
 *                                deletes the Essential .debs it downloaded before
 *                                sync-out can copy them into the cache.
 *   last customize hook          Empties /var/cache/apt/archives/*.deb in the
 *                                tree. mmdebstrap's cleanup runs `apt-get clean`
 *                                as well; the hook keeps the guarantee in the
 *                                plan rather than in a default of the tool.
 *   --aptopt=Acquire::Retries    Kept in the image as /etc/apt/apt.conf.d/99mmdebstrap.
 *
 * debootstrap (fallback) differs: it resolves dependencies with its own, simpler
 * resolver, installs from the release suite only (no -updates, no -security: the
 * image gets those fixes at its first apt upgrade, for which berth writes the full
 * sources.list), keeps its package cache through --cache-dir (which must be an
 * absolute path) and needs a debootstrap new enough to know the codename.
 */
import { BerthError } from '../../errors.ts';
import type { AptSources } from './distros.ts';
import type { BuildStep, FamilyPlan, PlanInput } from './build-plan.ts';

export function planDebianBuild(input: PlanInput, hostHasTool?: (tool: string) => boolean): FamilyPlan {
  const apt = input.distro.apt;
  if (!apt || input.distro.codename === undefined) {
    throw new BerthError('BERTH_INTERNAL', `distro ${input.distro.id} is in the debian family but has no apt sources or codename`);
  }
  const useDebootstrap = hostHasTool !== undefined && !hostHasTool('mmdebstrap') && hostHasTool('debootstrap');
  const steps: BuildStep[] = [
    {
      description: `create the package cache ${input.cacheDir} (kept between builds of ${input.distro.id})`,
      command: 'mkdir',
      args: ['-p', input.cacheDir],
    },
  ];
  if (useDebootstrap) steps.push(...debootstrapSteps(input, apt, input.distro.codename));
  else steps.push(mmdebstrapStep(input, apt, input.distro.codename));
  return { steps, requiredFiles: [apt.keyring] };
}

/** The image's sources: the release, its -updates and -security suites, each signed-by the distro's keyring. */
function aptSourceLines(input: PlanInput, apt: AptSources, codename: string): string[] {
  const options = `[signed-by=${apt.keyring}]`;
  const components = apt.components.join(' ');
  return [
    `deb ${options} ${input.mirror} ${codename} ${components}`,
    `deb ${options} ${input.mirror} ${codename}-updates ${components}`,
    `deb ${options} ${input.securityMirror} ${codename}-security ${components}`,
  ];
}

function mmdebstrapStep(input: PlanInput, apt: AptSources, codename: string): BuildStep {
  return {
    description:
      `build the ${input.distro.name} ${input.distro.version} (${codename}) ${input.arch} tree in ${input.root} ` +
      `with mmdebstrap, reusing and refilling the package cache ${input.cacheDir}`,
    command: 'mmdebstrap',
    args: [
      '--variant=minbase',
      `--architectures=${input.arch}`,
      `--include=${input.packages.join(',')}`,
      '--aptopt=Acquire::Retries "3"',
      '--skip=essential/unlink',
      '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
      `--setup-hook=sync-in ${input.cacheDir} /var/cache/apt/archives/`,
      `--customize-hook=sync-out /var/cache/apt/archives ${input.cacheDir}`,
      '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
      codename,
      input.root,
      ...aptSourceLines(input, apt, codename),
    ],
  };
}

function debootstrapSteps(input: PlanInput, apt: AptSources, codename: string): BuildStep[] {
  return [
    {
      description:
        `build the ${input.distro.name} ${input.distro.version} (${codename}) ${input.arch} tree in ${input.root} ` +
        `with debootstrap (mmdebstrap is not installed), from the release suite only`,
      command: 'debootstrap',
      args: [
        '--variant=minbase',
        `--arch=${input.arch}`,
        `--components=${apt.components.join(',')}`,
        `--include=${input.packages.join(',')}`,
        `--cache-dir=${input.cacheDir}`,
        `--keyring=${apt.keyring}`,
        codename,
        input.root,
        input.mirror,
      ],
    },
    {
      description:
        'write the full sources.list (release, -updates, -security, signed-by the archive keyring); ' +
        'debootstrap writes only the release suite',
      command: 'tee',
      args: [`${input.root}/etc/apt/sources.list`],
      input: `${aptSourceLines(input, apt, codename).join('\n')}\n`,
    },
    {
      description: 'remove any .deb left in the tree, so the image does not carry the packages it was built from',
      command: 'find',
      args: [`${input.root}/var/cache/apt/archives`, '-maxdepth', '1', '-type', 'f', '-name', '*.deb', '-delete'],
    },
  ];
}
