/**
 * The exact argv of EL 9 builds (dnf --installroot), and a real run of the
 * steps that do not need dnf: writing the rpm macros and repo files through
 * stdin, and removing the cache directory dnf 4 leaves in the tree without
 * touching directories packages own.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planBuild } from '../../../src/images/build/build-plan.ts';
import type { BuildPlan, BuildStep } from '../../../src/images/build/build-plan.ts';
import { resolveDistro } from '../../../src/images/build/distros.ts';
import { run } from '../../../src/util/run.ts';

function runnable(plan: BuildPlan) {
  return plan.steps.map(({ command, args, env, input }) => ({ command, args, env, input }));
}

const elPackages = [
  'dracut', 'systemd', 'openssh-server', 'cryptsetup', 'xfsprogs', 'zstd', 'kmod', 'iproute', 'dnf', 'rpm', 'device-mapper', 'tpm2-tools',
  'util-linux', 'dosfstools', 'e2fsprogs', 'tar', 'grub2-tools',
];

describe('EL plan (dnf --installroot)', () => {
  it('builds rocky-9 amd64 from dl.rockylinux.org with signature checks and a host-side cache', () => {
    const plan = planBuild({
      distro: resolveDistro('rocky-9'),
      arch: 'amd64',
      packages: ['vim-enhanced'],
      root: '/var/lib/berth/build/db/root',
      cacheDir: '/var/lib/berth/cache/rocky-9-amd64',
    });
    const home = { HOME: '/var/lib/berth/cache/rocky-9-amd64/rpm-home' };
    const stray = '/var/lib/berth/build/db/root/var/lib/berth/cache/rocky-9-amd64/dnf';
    assert.deepEqual(runnable(plan), [
      { command: 'mkdir', args: ['-p', '/var/lib/berth/cache/rocky-9-amd64/rpm-home'], env: undefined, input: undefined },
      {
        command: 'tee',
        args: ['/var/lib/berth/cache/rocky-9-amd64/rpm-home/.rpmmacros'],
        env: undefined,
        input: '%_dbpath /var/lib/rpm\n%_db_backend sqlite\n',
      },
      { command: 'mkdir', args: ['-p', '/var/lib/berth/build/db/root'], env: undefined, input: undefined },
      { command: 'rpm', args: ['--root', '/var/lib/berth/build/db/root', '--initdb'], env: home, input: undefined },
      {
        command: 'dnf',
        args: [
          '--installroot=/var/lib/berth/build/db/root',
          '--releasever=9',
          '--forcearch=x86_64',
          '--setopt=module_platform_id=platform:el9',
          '--setopt=cachedir=/var/lib/berth/cache/rocky-9-amd64/dnf',
          '--setopt=keepcache=True',
          '--setopt=install_weak_deps=False',
          '--disablerepo=*',
          '--repofrompath=berth-baseos,https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/',
          '--setopt=berth-baseos.gpgcheck=1',
          '--setopt=berth-baseos.gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9',
          '--repofrompath=berth-appstream,https://dl.rockylinux.org/pub/rocky/9/AppStream/x86_64/os/',
          '--setopt=berth-appstream.gpgcheck=1',
          '--setopt=berth-appstream.gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9',
          '-y',
          'install',
          'kernel',
          'rocky-release',
          ...elPackages,
          'grub2-pc-modules',
          'grub2-efi-x64-modules',
          'vim-enhanced',
        ],
        env: home,
        input: undefined,
      },
      { command: 'mkdir', args: ['-p', stray], env: undefined, input: undefined },
      { command: 'find', args: [stray, '-mindepth', '1', '-delete'], env: undefined, input: undefined },
      {
        command: 'rmdir',
        args: [
          '--ignore-fail-on-non-empty',
          stray,
          '/var/lib/berth/build/db/root/var/lib/berth/cache/rocky-9-amd64',
          '/var/lib/berth/build/db/root/var/lib/berth/cache',
          '/var/lib/berth/build/db/root/var/lib/berth',
        ],
        env: undefined,
        input: undefined,
      },
      { command: 'chroot', args: ['/var/lib/berth/build/db/root', 'rpm', '--query', 'rpm'], env: undefined, input: undefined },
    ]);
    assert.ok(!plan.steps.some((s) => s.args.includes('--nogpgcheck')));
  });

  it('builds almalinux-9 arm64 from a site mirror and points the image repo files at it', () => {
    const plan = planBuild({
      distro: resolveDistro('almalinux-9'),
      arch: 'arm64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/almalinux-9-arm64',
      mirror: 'https://rpm.example.com/almalinux/',
    });
    const dnf = plan.steps.find((s) => s.command === 'dnf');
    assert.deepEqual(dnf?.args.slice(0, 15), [
      '--installroot=/srv/build/root',
      '--releasever=9',
      '--forcearch=aarch64',
      '--setopt=module_platform_id=platform:el9',
      '--setopt=cachedir=/srv/cache/almalinux-9-arm64/dnf',
      '--setopt=keepcache=True',
      '--setopt=install_weak_deps=False',
      '--disablerepo=*',
      '--repofrompath=berth-baseos,https://rpm.example.com/almalinux/9/BaseOS/aarch64/os/',
      '--setopt=berth-baseos.gpgcheck=1',
      // The key comes from the distribution, not from the site mirror.
      '--setopt=berth-baseos.gpgkey=https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9',
      '--repofrompath=berth-appstream,https://rpm.example.com/almalinux/9/AppStream/aarch64/os/',
      '--setopt=berth-appstream.gpgcheck=1',
      '--setopt=berth-appstream.gpgkey=https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9',
      '-y',
    ]);
    assert.deepEqual(dnf?.args.slice(15), ['install', 'kernel', 'almalinux-release', ...elPackages, 'grub2-efi-aa64-modules']);

    const repoFiles = runnable(plan).filter((s) => s.command === 'tee' && s.args.at(-1)?.startsWith('/srv/build/root/etc/yum.repos.d/'));
    assert.deepEqual(repoFiles, [
      {
        command: 'tee',
        args: ['/srv/build/root/etc/yum.repos.d/almalinux-baseos.repo'],
        env: undefined,
        input: [
          '# Written by berth: the site mirror almalinux-9 images were built from.',
          '',
          '[baseos]',
          'name=AlmaLinux $releasever - BaseOS',
          'baseurl=https://rpm.example.com/almalinux/9/BaseOS/$basearch/os/',
          'enabled=1',
          'gpgcheck=1',
          'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9',
          '',
        ].join('\n'),
      },
      {
        command: 'tee',
        args: ['/srv/build/root/etc/yum.repos.d/almalinux-appstream.repo'],
        env: undefined,
        input: [
          '# Written by berth: the site mirror almalinux-9 images were built from.',
          '',
          '[appstream]',
          'name=AlmaLinux $releasever - AppStream',
          'baseurl=https://rpm.example.com/almalinux/9/AppStream/$basearch/os/',
          'enabled=1',
          'gpgcheck=1',
          'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9',
          '',
        ].join('\n'),
      },
    ]);
    // The repo files come after dnf installed the release package that ships the originals.
    const commands = plan.steps.map((s) => s.command);
    assert.ok(commands.indexOf('dnf') < plan.steps.findIndex((s) => s.args.at(-1)?.endsWith('almalinux-baseos.repo')));
  });

  it('writes Rocky\'s BaseOS and AppStream into the one rocky.repo that defines both', () => {
    const plan = planBuild({
      distro: resolveDistro('rocky-9'),
      arch: 'amd64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/rocky-9-amd64',
      mirror: 'http://rpm.example.com/rocky',
    });
    const repoFiles = plan.steps.filter((s) => s.args.at(-1)?.includes('/etc/yum.repos.d/'));
    assert.equal(repoFiles.length, 1);
    assert.equal(repoFiles[0]?.args.at(-1), '/srv/build/root/etc/yum.repos.d/rocky.repo');
    assert.match(repoFiles[0]?.input ?? '', /\[baseos\]\n[^[]*baseurl=http:\/\/rpm\.example\.com\/rocky\/9\/BaseOS\/\$basearch\/os\/\n[^[]*\n\[appstream\]\n/);
  });

  it('writes no repo files when the build used the public mirrors (the release package has them)', () => {
    const plan = planBuild({
      distro: resolveDistro('almalinux-9'),
      arch: 'amd64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/almalinux-9-amd64',
    });
    assert.ok(!plan.steps.some((s) => s.args.some((a) => a.includes('yum.repos.d'))));
  });
});

/** Runs the steps whose commands are plain coreutils/findutils, the way the executor will: run() with input and env. */
async function runSteps(steps: BuildStep[]): Promise<void> {
  for (const step of steps) {
    await run(step.command, step.args, {
      timeoutMs: 10_000,
      ...(step.input === undefined ? {} : { input: step.input }),
      ...(step.env === undefined ? {} : { env: step.env }),
    });
  }
}

describe('EL plan steps that need no dnf, run for real', () => {
  it('writes the rpm macros and the repo files with tee and stdin, keeping the mode of the file the release package installed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-el-plan-'));
    try {
      const plan = planBuild({
        distro: resolveDistro('rocky-9'),
        arch: 'arm64',
        packages: [],
        root: `${dir}/root`,
        cacheDir: `${dir}/cache`,
        mirror: 'https://rpm.example.com/rocky',
      });
      // What rocky-release installs, before berth rewrites it.
      await mkdir(`${dir}/root/etc/yum.repos.d`, { recursive: true });
      await writeFile(`${dir}/root/etc/yum.repos.d/rocky.repo`, '[baseos]\nmirrorlist=https://mirrors.rockylinux.org/\n'.repeat(20), { mode: 0o644 });
      const writes = plan.steps.filter(
        (s) => s.command === 'tee' || (s.command === 'mkdir' && s.args[1] === `${dir}/cache/rpm-home`),
      );
      assert.deepEqual(writes.map((s) => s.command), ['mkdir', 'tee', 'tee']);
      await runSteps(writes);
      assert.equal(await readFile(`${dir}/cache/rpm-home/.rpmmacros`, 'utf8'), '%_dbpath /var/lib/rpm\n%_db_backend sqlite\n');
      const repo = await readFile(`${dir}/root/etc/yum.repos.d/rocky.repo`, 'utf8');
      assert.equal(repo, writes[2]?.input, 'the file holds exactly the input, nothing of the old one');
      assert.match(repo, /^gpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-Rocky-9$/m);
      assert.equal((await stat(`${dir}/root/etc/yum.repos.d/rocky.repo`)).mode & 0o777, 0o644);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes the cache dnf 4 left in the tree and the directories made for it, but no directory a package owns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-el-plan-'));
    try {
      const root = `${dir}/root`;
      const cacheDir = '/var/cache/berth/rocky-9-amd64';
      const plan = planBuild({ distro: resolveDistro('rocky-9'), arch: 'amd64', packages: [], root, cacheDir: `${cacheDir}` });
      // What the tree looks like after dnf 4: the stray cache, and /var/cache
      // (owned by the filesystem package) otherwise empty.
      await mkdir(`${root}${cacheDir}/dnf`, { recursive: true });
      await writeFile(`${root}${cacheDir}/dnf/expired_repos.json`, '[]');
      await mkdir(`${root}/var/lib/rpm`, { recursive: true });
      const cleanup = plan.steps.slice(plan.steps.findIndex((s) => s.command === 'dnf') + 1, -1);
      assert.deepEqual(cleanup.map((s) => s.command), ['mkdir', 'find', 'rmdir']);
      await runSteps(cleanup);
      await assert.rejects(stat(`${root}/var/cache/berth`), { code: 'ENOENT' });
      assert.ok((await stat(`${root}/var/cache`)).isDirectory(), '/var/cache stays even though it is empty');
      assert.ok((await stat(`${root}/var/lib/rpm`)).isDirectory());

      // Same steps with a dnf that has no such bug: nothing to remove, no failure.
      await runSteps(cleanup);
      await assert.rejects(stat(`${root}/var/cache/berth`), { code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
