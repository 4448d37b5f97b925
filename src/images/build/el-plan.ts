/**
 * Enterprise Linux 9 image trees (Rocky Linux, AlmaLinux) built with the host's
 * dnf into an empty root (dnf(8) --installroot; dnf.conf(5)).
 *
 * Why each part is there:
 * - rpm database. dnf writes the database through the host's librpm, so the
 *   host's %_dbpath decides where it lands: Debian's rpm uses ~/.rpmdb (Debian
 *   bug #1004863), Fedora and EL10 /usr/lib/sysimage/rpm, while EL9's own rpm
 *   reads /var/lib/rpm (sqlite). berth writes an .rpmmacros pinning path and
 *   backend into a directory of its cache and runs rpm and dnf with HOME there
 *   (rpm reads ~/.rpmmacros last, so it wins over the host's macros).
 *   `rpm --initdb` then creates the database early, so a host rpm without the
 *   backend fails before anything is downloaded; the last step asks the image's
 *   own rpm to read it.
 * - repositories. `--disablerepo=*` keeps the host's repos out (dnf 4 reads the
 *   host's reposdir while the tree has none); `--repofrompath` repos are enabled
 *   whatever the disable patterns say. Ids carry a `berth-` prefix so they cannot
 *   collide with a host repo called baseos. Each gets gpgcheck=1 and the
 *   distribution's key URL; dnf imports the key into the tree's database (-y
 *   accepts it). --nogpgcheck is never used.
 * - `--releasever` and `module_platform_id`: both would otherwise be read from
 *   the tree, which is empty at that point (dnf5-installroot(7) says the same).
 * - cache. `--setopt=cachedir` on the command line is a host path and
 *   keepcache=True keeps the packages there between builds. dnf 4 still writes
 *   one file, expired_repos.json, to <root>/<cachedir> (dnf issue #2011, fixed
 *   in 2026 by dnf PR #2332); three steps remove it and the directories it
 *   needed, except directories of the FHS, which packages own.
 * - repo files in the image. The release package installs the distribution's
 *   own repo files, pointing at its public mirrors, and the signing key under
 *   /etc/pki/rpm-gpg. When the build used a site mirror, berth rewrites the
 *   files that define baseos and appstream to use it (same ids, the installed
 *   key), so dnf in the image keeps working where the public mirrors are not
 *   reachable. Those files are %config(noreplace), so updates keep them.
 */
import { BerthError } from '../../errors.ts';
import { rpmArch } from './distros.ts';
import type { RpmRepository, RpmSources } from './distros.ts';
import type { BuildStep, FamilyPlan, PlanInput } from './build-plan.ts';

export function planElBuild(input: PlanInput): FamilyPlan {
  const { distro, root, cacheDir } = input;
  const rpm = distro.rpm;
  if (!rpm || rpm.releasever === undefined || rpm.gpgKeyUrl === undefined || rpm.gpgKeyFile === undefined) {
    throw new BerthError('BERTH_INTERNAL', `distro ${distro.id} is in the el family but lacks its rpm repository facts`);
  }
  const arch = rpmArch(input.arch);
  const home = `${cacheDir}/rpm-home`;
  const dnfCache = `${cacheDir}/dnf`;
  const strayCache = `${root}${dnfCache}`;

  const repoArgs = rpm.repositories.flatMap((repo) => [
    `--repofrompath=berth-${repo.id},${input.mirror}/${repo.path.replaceAll('{arch}', arch)}`,
    `--setopt=berth-${repo.id}.gpgcheck=1`,
    `--setopt=berth-${repo.id}.gpgkey=${rpm.gpgKeyUrl}`,
  ]);

  const steps: BuildStep[] = [
    { description: `create ${home}, the HOME of rpm and dnf during the build`, command: 'mkdir', args: ['-p', home] },
    {
      description: `pin the rpm database to ${rpm.database.path} (${rpm.database.backend}), where ${distro.name}'s own rpm reads it, whatever the host's rpm defaults to`,
      command: 'tee',
      args: [`${home}/.rpmmacros`],
      input: rpmMacros(rpm),
    },
    { description: `create the image root ${root}`, command: 'mkdir', args: ['-p', root] },
    {
      description: 'create the rpm database in the tree',
      command: 'rpm',
      args: ['--root', root, '--initdb'],
      env: { HOME: home },
    },
    {
      description:
        `install ${distro.name} ${distro.version} ${arch} into ${root} from ${input.mirror}, ` +
        `signatures checked with ${rpm.gpgKeyUrl}, packages kept in ${dnfCache}`,
      command: 'dnf',
      args: [
        `--installroot=${root}`,
        `--releasever=${rpm.releasever}`,
        `--forcearch=${arch}`,
        ...(rpm.modulePlatformId === undefined ? [] : [`--setopt=module_platform_id=${rpm.modulePlatformId}`]),
        `--setopt=cachedir=${dnfCache}`,
        '--setopt=keepcache=True',
        '--setopt=install_weak_deps=False',
        '--disablerepo=*',
        ...repoArgs,
        '-y',
        'install',
        ...input.packages,
      ],
      env: { HOME: home },
    },
  ];

  if (input.siteMirror) steps.push(...siteRepoFileSteps(input, rpm));

  steps.push(
    {
      description: `dnf 4 leaves expired_repos.json in ${strayCache} (dnf issue #2011); make sure that directory exists so the clean-up below is the same with a dnf that does not`,
      command: 'mkdir',
      args: ['-p', strayCache],
    },
    {
      description: `empty ${strayCache}: cache files do not belong in the image`,
      command: 'find',
      args: [strayCache, '-mindepth', '1', '-delete'],
    },
    {
      description: `remove ${strayCache} and the directories above it that dnf created for it (never a directory of the FHS)`,
      command: 'rmdir',
      args: ['--ignore-fail-on-non-empty', ...strayDirectories(root, dnfCache)],
    },
    {
      description: `check that ${distro.name}'s own rpm reads the database in the tree`,
      command: 'chroot',
      args: [root, 'rpm', '--query', 'rpm'],
    },
  );
  return { steps, requiredFiles: [] };
}

/**
 * Directories of the base system layout (FHS 3.0, chapters 3 to 5): packages own
 * them, so they stay even when the stray cache was all they held.
 */
const systemDirectories = new Set([
  '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/media', '/mnt', '/opt', '/proc', '/root',
  '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var',
  '/usr/bin', '/usr/include', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/local', '/usr/sbin', '/usr/share', '/usr/src',
  '/usr/local/bin', '/usr/local/etc', '/usr/local/games', '/usr/local/include', '/usr/local/lib', '/usr/local/man',
  '/usr/local/sbin', '/usr/local/share', '/usr/local/src',
  '/var/account', '/var/cache', '/var/crash', '/var/games', '/var/lib', '/var/local', '/var/lock', '/var/log',
  '/var/mail', '/var/opt', '/var/run', '/var/spool', '/var/tmp',
]);

/** `<root>` + each prefix of `dir` that is not a system directory, deepest first (the order rmdir needs). */
function strayDirectories(root: string, dir: string): string[] {
  const parts = dir.split('/').slice(1);
  const prefixes = parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
  return prefixes
    .filter((p) => !systemDirectories.has(p))
    .reverse()
    .map((p) => `${root}${p}`);
}

function rpmMacros(rpm: RpmSources): string {
  return `%_dbpath ${rpm.database.path}\n%_db_backend ${rpm.database.backend}\n`;
}

/** One step per repo file, each file holding the repositories that the distribution defines in it. */
function siteRepoFileSteps(input: PlanInput, rpm: RpmSources): BuildStep[] {
  const byFile = new Map<string, RpmRepository[]>();
  for (const repo of rpm.repositories) {
    if (repo.file === undefined) continue;
    byFile.set(repo.file, [...(byFile.get(repo.file) ?? []), repo]);
  }
  return [...byFile].map(([file, repos]) => ({
    description: `point ${repos.map((r) => r.id).join(' and ')} in the image at the site mirror ${input.mirror}`,
    // The release package installed this file (mode 0644); tee keeps its mode.
    command: 'tee',
    args: [`${input.root}${file}`],
    input: repoFile(input, rpm, repos),
  }));
}

function repoFile(input: PlanInput, rpm: RpmSources, repos: RpmRepository[]): string {
  const { distro } = input;
  const sections = repos.map((repo) =>
    [
      `[${repo.id}]`,
      `name=${distro.name} $releasever - ${repo.name}`,
      `baseurl=${input.mirror}/${repo.path.replaceAll('{arch}', '$basearch')}`,
      'enabled=1',
      'gpgcheck=1',
      `gpgkey=file://${rpm.gpgKeyFile}`,
      '',
    ].join('\n'),
  );
  return `# Written by berth: the site mirror ${distro.id} images were built from.\n\n${sections.join('\n')}`;
}
