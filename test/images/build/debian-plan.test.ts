/**
 * The exact argv of Debian and Ubuntu builds. The arrays are written out by
 * hand from mmdebstrap(1) and debootstrap(8); mmdebstrap-simulate.test.ts
 * checks that the installed mmdebstrap accepts them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planBuild } from '../../../src/images/build/build-plan.ts';
import type { BuildPlan, BuildRequest } from '../../../src/images/build/build-plan.ts';
import { resolveDistro } from '../../../src/images/build/distros.ts';

/** The parts of a plan the executor runs; descriptions are prose and not pinned. */
function runnable(plan: BuildPlan) {
  return plan.steps.map(({ command, args, env, input }) => ({ command, args, env, input }));
}

const debianKeyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
const ubuntuKeyring = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

describe('Debian plan (mmdebstrap)', () => {
  const request: BuildRequest = {
    distro: resolveDistro('debian-12'),
    arch: 'amd64',
    packages: ['vim', 'lldpd'],
    root: '/var/lib/berth/build/web/root',
    cacheDir: '/var/lib/berth/cache/debian-12-amd64',
  };

  it('builds debian-12 amd64 with minbase, the base packages, cache hooks and signed sources', () => {
    assert.deepEqual(runnable(planBuild(request)), [
      { command: 'mkdir', args: ['-p', '/var/lib/berth/cache/debian-12-amd64'], env: undefined, input: undefined },
      {
        command: 'mmdebstrap',
        args: [
          '--variant=minbase',
          '--architectures=amd64',
          '--include=linux-image-amd64,initramfs-tools,systemd-sysv,udev,openssh-server,cryptsetup-bin,xfsprogs,zstd,kmod,iproute2,ca-certificates,curl,nbd-client,dmsetup,tpm2-tools,fdisk,dosfstools,e2fsprogs,grub2-common,grub-pc-bin,grub-efi-amd64-bin,vim,lldpd',
          '--aptopt=Acquire::Retries "3"',
          '--skip=essential/unlink',
          '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
          '--setup-hook=sync-in /var/lib/berth/cache/debian-12-amd64 /var/cache/apt/archives/',
          '--customize-hook=sync-out /var/cache/apt/archives /var/lib/berth/cache/debian-12-amd64',
          '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
          'bookworm',
          '/var/lib/berth/build/web/root',
          `deb [signed-by=${debianKeyring}] http://deb.debian.org/debian bookworm main non-free-firmware`,
          `deb [signed-by=${debianKeyring}] http://deb.debian.org/debian bookworm-updates main non-free-firmware`,
          `deb [signed-by=${debianKeyring}] http://security.debian.org/debian-security bookworm-security main non-free-firmware`,
        ],
        env: undefined,
        input: undefined,
      },
    ]);
  });

  it('uses mmdebstrap whenever the host has it, also when debootstrap is there too', () => {
    assert.deepEqual(planBuild(request, () => true).requiredTools, ['mkdir', 'mmdebstrap']);
    assert.deepEqual(planBuild(request, () => false).requiredTools, ['mkdir', 'mmdebstrap']);
  });

  it('builds from a site mirror and security mirror when given', () => {
    const plan = planBuild({
      ...request,
      distro: resolveDistro('debian-13'),
      arch: 'arm64',
      packages: [],
      mirror: 'https://apt.example.com/debian/',
      securityMirror: 'https://apt.example.com/debian-security',
    });
    const args = plan.steps[1]?.args ?? [];
    assert.equal(args[1], '--architectures=arm64');
    assert.equal(args[2], '--include=linux-image-arm64,initramfs-tools,systemd-sysv,udev,openssh-server,cryptsetup-bin,xfsprogs,zstd,kmod,iproute2,ca-certificates,curl,nbd-client,dmsetup,tpm2-tools,fdisk,dosfstools,e2fsprogs,grub2-common,grub-efi-arm64-bin');
    assert.deepEqual(args.slice(9), [
      'trixie',
      '/var/lib/berth/build/web/root',
      `deb [signed-by=${debianKeyring}] https://apt.example.com/debian trixie main non-free-firmware`,
      `deb [signed-by=${debianKeyring}] https://apt.example.com/debian trixie-updates main non-free-firmware`,
      `deb [signed-by=${debianKeyring}] https://apt.example.com/debian-security trixie-security main non-free-firmware`,
    ]);
  });
});

describe('Ubuntu plan (mmdebstrap)', () => {
  const base = 'initramfs-tools,systemd-sysv,udev,openssh-server,cryptsetup-bin,xfsprogs,zstd,kmod,iproute2,ca-certificates,curl,nbd-client,dmsetup,tpm2-tools,fdisk,dosfstools,e2fsprogs,grub2-common';

  it('builds ubuntu-24.04 amd64 from archive.ubuntu.com and security.ubuntu.com with main and universe', () => {
    const plan = planBuild({
      distro: resolveDistro('ubuntu-24.04'),
      arch: 'amd64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/ubuntu-24.04-amd64',
    });
    assert.deepEqual(plan.steps[1]?.args, [
      '--variant=minbase',
      '--architectures=amd64',
      `--include=linux-image-generic,${base},grub-pc-bin,grub-efi-amd64-bin`,
      '--aptopt=Acquire::Retries "3"',
      '--skip=essential/unlink',
      '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
      '--setup-hook=sync-in /srv/cache/ubuntu-24.04-amd64 /var/cache/apt/archives/',
      '--customize-hook=sync-out /var/cache/apt/archives /srv/cache/ubuntu-24.04-amd64',
      '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
      'noble',
      '/srv/build/root',
      `deb [signed-by=${ubuntuKeyring}] http://archive.ubuntu.com/ubuntu noble main universe`,
      `deb [signed-by=${ubuntuKeyring}] http://archive.ubuntu.com/ubuntu noble-updates main universe`,
      `deb [signed-by=${ubuntuKeyring}] http://security.ubuntu.com/ubuntu noble-security main universe`,
    ]);
    assert.deepEqual(plan.requiredFiles, [ubuntuKeyring]);
  });

  it('builds arm64 from ports.ubuntu.com, where Ubuntu keeps every architecture but amd64 and i386', () => {
    const plan = planBuild({
      distro: resolveDistro('ubuntu-22.04'),
      arch: 'arm64',
      packages: [],
      root: '/srv/build/root',
      cacheDir: '/srv/cache/ubuntu-22.04-arm64',
    });
    assert.deepEqual(plan.steps[1]?.args.slice(9), [
      'jammy',
      '/srv/build/root',
      `deb [signed-by=${ubuntuKeyring}] http://ports.ubuntu.com/ubuntu-ports jammy main universe`,
      `deb [signed-by=${ubuntuKeyring}] http://ports.ubuntu.com/ubuntu-ports jammy-updates main universe`,
      `deb [signed-by=${ubuntuKeyring}] http://ports.ubuntu.com/ubuntu-ports jammy-security main universe`,
    ]);
  });
});

describe('Debian plan without mmdebstrap (debootstrap)', () => {
  it('falls back to debootstrap with --cache-dir, then writes the full sources.list and drops left-over .debs', () => {
    const plan = planBuild(
      {
        distro: resolveDistro('debian-12'),
        arch: 'amd64',
        packages: ['vim'],
        root: '/var/lib/berth/build/web/root',
        cacheDir: '/var/lib/berth/cache/debian-12-amd64',
      },
      (tool) => tool === 'debootstrap',
    );
    assert.deepEqual(runnable(plan), [
      { command: 'mkdir', args: ['-p', '/var/lib/berth/cache/debian-12-amd64'], env: undefined, input: undefined },
      {
        command: 'debootstrap',
        args: [
          '--variant=minbase',
          '--arch=amd64',
          '--components=main,non-free-firmware',
          '--include=linux-image-amd64,initramfs-tools,systemd-sysv,udev,openssh-server,cryptsetup-bin,xfsprogs,zstd,kmod,iproute2,ca-certificates,curl,nbd-client,dmsetup,tpm2-tools,fdisk,dosfstools,e2fsprogs,grub2-common,grub-pc-bin,grub-efi-amd64-bin,vim',
          '--cache-dir=/var/lib/berth/cache/debian-12-amd64',
          `--keyring=${debianKeyring}`,
          'bookworm',
          '/var/lib/berth/build/web/root',
          'http://deb.debian.org/debian',
        ],
        env: undefined,
        input: undefined,
      },
      {
        command: 'tee',
        args: ['/var/lib/berth/build/web/root/etc/apt/sources.list'],
        env: undefined,
        input:
          `deb [signed-by=${debianKeyring}] http://deb.debian.org/debian bookworm main non-free-firmware\n` +
          `deb [signed-by=${debianKeyring}] http://deb.debian.org/debian bookworm-updates main non-free-firmware\n` +
          `deb [signed-by=${debianKeyring}] http://security.debian.org/debian-security bookworm-security main non-free-firmware\n`,
      },
      {
        command: 'find',
        args: ['/var/lib/berth/build/web/root/var/cache/apt/archives', '-maxdepth', '1', '-type', 'f', '-name', '*.deb', '-delete'],
        env: undefined,
        input: undefined,
      },
    ]);
    assert.deepEqual(plan.requiredTools, ['mkdir', 'debootstrap', 'tee', 'find']);
  });
});
