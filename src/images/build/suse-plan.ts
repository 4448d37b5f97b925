/**
 * openSUSE Leap and SLES image trees built with the host's zypper into an
 * empty root (zypper(8): --root, addrepo, refresh, install; zypp.conf).
 *
 * Why each part is there:
 * - rpm database. As for EL (el-plan.ts): the host's librpm decides where the
 *   database goes and in which format. SUSE's rpm reads /usr/lib/sysimage/rpm
 *   and has no sqlite backend (mkosi forces ndb for the same reason), so berth
 *   pins both in an .rpmmacros and runs rpm and zypper with HOME pointing at
 *   it; the last step asks the image's own rpm to read the result.
 * - architecture. zypper has no --forcearch; libzypp takes `arch` from
 *   zypp.conf, whose path ZYPP_CONF overrides. berth writes a zypp.conf with
 *   only that setting, which also keeps a SUSE host's own zypp.conf out of the
 *   build.
 * - repositories. `addrepo` under --root writes the .repo files into the tree,
 *   so zypper in the image uses the same mirror later. --keep-packages makes
 *   zypper keep what it downloads; --pkg-cache-dir (a host path, like the cache
 *   options kiwi passes together with --root) puts it in berth's cache. After
 *   the install the image's repos are switched back to --no-keep-packages and
 *   `clean --all` (without --pkg-cache-dir, so it only sees the tree's
 *   /var/cache/zypp) drops metadata the image would otherwise carry.
 * - keys. --gpg-auto-import-keys trusts the key a repository presents: the
 *   trust comes from fetching the metadata over https from the distribution
 *   (or a registered site mirror), not from a key pinned by berth.
 * - --no-recommends keeps the tree minimal; --auto-agree-with-licenses answers
 *   the license prompts non-interactive mode would otherwise abort on (SLES
 *   product packages carry one), as SUSE's own kiwi does.
 * - SLES. Packages come only from a registered mirror (RMT or SMT); the request
 *   must name it (build-plan.ts refuses the request otherwise). The tree itself
 *   is not registered.
 */
import { BerthError } from '../../errors.ts';
import { rpmArch } from './distros.ts';
import type { BuildStep, FamilyPlan, PlanInput } from './build-plan.ts';

export function planSuseBuild(input: PlanInput): FamilyPlan {
  const { distro, root, cacheDir } = input;
  const rpm = distro.rpm;
  if (!rpm) throw new BerthError('BERTH_INTERNAL', `distro ${distro.id} is in the suse family but lacks its rpm repository facts`);
  const arch = rpmArch(input.arch);
  const home = `${cacheDir}/zypp-home`;
  const env = { HOME: home, ZYPP_CONF: `${home}/zypp.conf` };
  const packageCache = `${cacheDir}/packages`;
  const zypper = ['--root', root, '--non-interactive', '--gpg-auto-import-keys', '--pkg-cache-dir', packageCache];

  const steps: BuildStep[] = [
    { description: `create ${home}, the HOME of rpm and zypper during the build`, command: 'mkdir', args: ['-p', home] },
    {
      description: `pin the rpm database to ${rpm.database.path} (${rpm.database.backend}), where ${distro.name}'s own rpm reads it, whatever the host's rpm defaults to`,
      command: 'tee',
      args: [`${home}/.rpmmacros`],
      input: `%_dbpath ${rpm.database.path}\n%_db_backend ${rpm.database.backend}\n`,
    },
    {
      description: `tell libzypp to install ${arch} packages, with no other zypp.conf setting from the host`,
      command: 'tee',
      args: [`${home}/zypp.conf`],
      input: `# Written by berth for building ${distro.id} trees.\n[main]\narch = ${arch}\n`,
    },
    { description: `create the image root ${root}`, command: 'mkdir', args: ['-p', root] },
    { description: 'create the rpm database in the tree', command: 'rpm', args: ['--root', root, '--initdb'], env: { HOME: home } },
    ...rpm.repositories.map((repo) => ({
      description: `add repository ${repo.id} (${repo.name}) to the tree, keeping downloaded packages`,
      command: 'zypper',
      args: [...zypper, 'addrepo', '--keep-packages', `${input.mirror}/${repo.path.replaceAll('{arch}', arch)}`, repo.id],
      env,
    })),
    {
      description: `fetch the repositories' metadata and import their signing keys into the tree`,
      command: 'zypper',
      args: [...zypper, 'refresh'],
      env,
    },
    {
      description: `install ${distro.name} ${distro.version} ${arch} into ${root}, packages kept in ${packageCache}`,
      command: 'zypper',
      args: [...zypper, 'install', '--no-recommends', '--auto-agree-with-licenses', ...input.packages],
      env,
    },
    {
      description: 'stop the repositories in the image from keeping every package they download',
      command: 'zypper',
      args: ['--root', root, '--non-interactive', 'modifyrepo', '--no-keep-packages', '--all'],
      env,
    },
    {
      description: "drop the tree's own zypper caches (metadata); berth's package cache is outside the tree and untouched",
      command: 'zypper',
      args: ['--root', root, '--non-interactive', 'clean', '--all'],
      env,
    },
    {
      description: `check that ${distro.name}'s own rpm reads the database in the tree`,
      command: 'chroot',
      args: [root, 'rpm', '--query', 'rpm'],
    },
  ];
  return { steps, requiredFiles: [] };
}
