/** The exact argv of openSUSE Leap and SLES builds (zypper --root). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planBuild } from '../../../src/images/build/build-plan.ts';
import type { BuildPlan } from '../../../src/images/build/build-plan.ts';
import { resolveDistro } from '../../../src/images/build/distros.ts';

function runnable(plan: BuildPlan) {
  return plan.steps.map(({ command, args, env, input }) => ({ command, args, env, input }));
}

const susePackages = [
  'dracut', 'systemd', 'systemd-sysvinit', 'udev', 'openssh-server', 'cryptsetup', 'xfsprogs', 'zstd', 'kmod', 'iproute2',
  'zypper', 'rpm', 'ca-certificates', 'curl', 'nbd', 'device-mapper', 'tpm2.0-tools', 'util-linux', 'dosfstools', 'e2fsprogs', 'tar', 'grub2',
];

describe('SUSE plan (zypper --root)', () => {
  it('builds opensuse-leap-15.6 amd64 from download.opensuse.org with the package cache outside the tree', () => {
    const root = '/var/lib/berth/build/hpc/root';
    const cache = '/var/lib/berth/cache/opensuse-leap-15.6-amd64';
    const env = { HOME: `${cache}/zypp-home`, ZYPP_CONF: `${cache}/zypp-home/zypp.conf` };
    const zypper = ['--root', root, '--non-interactive', '--gpg-auto-import-keys', '--pkg-cache-dir', `${cache}/packages`];
    const plan = planBuild({
      distro: resolveDistro('opensuse-leap-15.6'),
      arch: 'amd64',
      packages: ['slurm'],
      root,
      cacheDir: cache,
    });
    assert.deepEqual(runnable(plan), [
      { command: 'mkdir', args: ['-p', `${cache}/zypp-home`], env: undefined, input: undefined },
      {
        command: 'tee',
        args: [`${cache}/zypp-home/.rpmmacros`],
        env: undefined,
        input: '%_dbpath /usr/lib/sysimage/rpm\n%_db_backend ndb\n',
      },
      {
        command: 'tee',
        args: [`${cache}/zypp-home/zypp.conf`],
        env: undefined,
        input: '# Written by berth for building opensuse-leap-15.6 trees.\n[main]\narch = x86_64\n',
      },
      { command: 'mkdir', args: ['-p', root], env: undefined, input: undefined },
      { command: 'rpm', args: ['--root', root, '--initdb'], env: { HOME: `${cache}/zypp-home` }, input: undefined },
      {
        command: 'zypper',
        args: [...zypper, 'addrepo', '--keep-packages', 'https://download.opensuse.org/distribution/leap/15.6/repo/oss/', 'repo-oss'],
        env,
        input: undefined,
      },
      {
        command: 'zypper',
        args: [...zypper, 'addrepo', '--keep-packages', 'https://download.opensuse.org/update/leap/15.6/oss/', 'repo-update'],
        env,
        input: undefined,
      },
      {
        command: 'zypper',
        args: [...zypper, 'addrepo', '--keep-packages', 'https://download.opensuse.org/update/leap/15.6/sle/', 'repo-sle-update'],
        env,
        input: undefined,
      },
      {
        command: 'zypper',
        args: [...zypper, 'addrepo', '--keep-packages', 'https://download.opensuse.org/update/leap/15.6/backports/', 'repo-backports-update'],
        env,
        input: undefined,
      },
      { command: 'zypper', args: [...zypper, 'refresh'], env, input: undefined },
      {
        command: 'zypper',
        args: [...zypper, 'install', '--no-recommends', '--auto-agree-with-licenses', 'kernel-default', 'openSUSE-release', ...susePackages, 'grub2-i386-pc', 'grub2-x86_64-efi', 'slurm'],
        env,
        input: undefined,
      },
      { command: 'zypper', args: ['--root', root, '--non-interactive', 'modifyrepo', '--no-keep-packages', '--all'], env, input: undefined },
      { command: 'zypper', args: ['--root', root, '--non-interactive', 'clean', '--all'], env, input: undefined },
      { command: 'chroot', args: [root, 'rpm', '--query', 'rpm'], env: undefined, input: undefined },
    ]);
  });

  it('builds sles-15 arm64 from the registered mirror: SLES product and Basesystem module, pool and updates', () => {
    const plan = planBuild({
      distro: resolveDistro('sles-15'),
      arch: 'arm64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/sles-15-arm64',
      mirror: 'https://rmt.example.com/repo/',
    });
    const addrepo = plan.steps.filter((s) => s.args.includes('addrepo')).map((s) => s.args.slice(-2));
    assert.deepEqual(addrepo, [
      ['https://rmt.example.com/repo/SUSE/Products/SLE-Product-SLES/15-SP6/aarch64/product/', 'SLE-Product-SLES-Pool'],
      ['https://rmt.example.com/repo/SUSE/Updates/SLE-Product-SLES/15-SP6/aarch64/update/', 'SLE-Product-SLES-Updates'],
      ['https://rmt.example.com/repo/SUSE/Products/SLE-Module-Basesystem/15-SP6/aarch64/product/', 'SLE-Module-Basesystem-Pool'],
      ['https://rmt.example.com/repo/SUSE/Updates/SLE-Module-Basesystem/15-SP6/aarch64/update/', 'SLE-Module-Basesystem-Updates'],
    ]);
    assert.equal(plan.steps[2]?.input, '# Written by berth for building sles-15 trees.\n[main]\narch = aarch64\n');
    const install = plan.steps.find((s) => s.args.includes('install'));
    assert.deepEqual(install?.args.slice(install.args.indexOf('install') + 1), [
      '--no-recommends', '--auto-agree-with-licenses', 'kernel-default', 'sles-release', ...susePackages, 'grub2-arm64-efi',
    ]);
  });

  it('never hands the package cache to `clean`, which would empty it', () => {
    const plan = planBuild({
      distro: resolveDistro('opensuse-leap-15.6'),
      arch: 'amd64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/leap',
    });
    const clean = plan.steps.find((s) => s.args.includes('clean'));
    assert.ok(clean && !clean.args.includes('--pkg-cache-dir'));
  });
});
