/**
 * planBuild's checks of the request, shared by all families: architecture,
 * package names, paths, mirrors. The argv of each family is in
 * debian-plan.test.ts, el-plan.test.ts and suse-plan.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { planBuild } from '../../../src/images/build/build-plan.ts';
import type { BuildRequest } from '../../../src/images/build/build-plan.ts';
import { resolveDistro } from '../../../src/images/build/distros.ts';

function request(id: string, more: Partial<BuildRequest> = {}): BuildRequest {
  return {
    distro: resolveDistro(id),
    arch: 'amd64',
    packages: [],
    root: '/var/lib/berth/images/build-1/root',
    cacheDir: `/var/lib/berth/cache/${id}-amd64`,
    ...more,
  };
}

function badInput(f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof BerthError, `BerthError, got ${String(e)}`);
    assert.equal(e.code, 'BERTH_BAD_INPUT');
    assert.match(e.message, message);
    return true;
  });
}

describe('planBuild: architecture', () => {
  it('refuses an architecture the distro does not support, listing the supported ones', () => {
    badInput(() => planBuild(request('debian-12', { arch: 'riscv64' })), /debian-12 cannot be built for architecture 'riscv64'.*supports amd64, arm64/);
    badInput(() => planBuild(request('rocky-9', { arch: 'armhf' })), /rocky-9 .*'armhf'/);
  });

  it('says how to spell it when given the rpm name', () => {
    badInput(() => planBuild(request('rocky-9', { arch: 'x86_64' })), /the Debian way: use amd64/);
    badInput(() => planBuild(request('sles-15', { arch: 'aarch64', mirror: 'https://rmt.example.com/repo' })), /use arm64/);
  });
});

describe('planBuild: package names', () => {
  it('takes valid names of each family', () => {
    planBuild(request('debian-12', { packages: ['g++', 'libstdc++6', 'python3.11', 'lsb-base'] }));
    planBuild(request('rocky-9', { packages: ['NetworkManager', 'perl-Data-Dumper', 'libstdc++', 'python3.11', 'gcc_toolset'] }));
    planBuild(request('opensuse-leap-15.6', { packages: ['MozillaFirefox', 'libX11-6'] }));
  });

  it('refuses names outside Debian policy, naming each bad one', () => {
    badInput(() => planBuild(request('debian-12', { packages: ['vim', 'NetworkManager'] })), /package name 'NetworkManager' not valid for debian-12.*Policy §5\.6\.1/);
    badInput(() => planBuild(request('ubuntu-24.04', { packages: ['x', 'ok', 'bad_name'] })), /package names 'x', 'bad_name' not valid/);
    badInput(() => planBuild(request('debian-13', { packages: ['vim=2:9.0'] })), /'vim=2:9\.0'/);
    badInput(() => planBuild(request('debian-12', { packages: ['-vim'] })), /'-vim'/);
  });

  it('refuses rpm names that are not letters, digits and . _ + -, or that would read as an option', () => {
    badInput(() => planBuild(request('rocky-9', { packages: ['--nogpgcheck'] })), /package name '--nogpgcheck' not valid for rocky-9.*RPM/);
    badInput(() => planBuild(request('almalinux-9', { packages: ['vim enhanced'] })), /'vim enhanced'/);
    badInput(() => planBuild(request('opensuse-leap-15.6', { packages: ['pattern:base'] })), /'pattern:base'/);
    badInput(() => planBuild(request('opensuse-leap-15.6', { packages: [''] })), /''/);
  });

  it('installs the kernel, the base packages, then the extra ones, each once', () => {
    const plan = planBuild(request('rocky-9', { packages: ['vim-enhanced', 'kernel', 'dnf', 'tmux'] }));
    const dnf = plan.steps.find((s) => s.command === 'dnf');
    assert.ok(dnf);
    const packages = dnf.args.slice(dnf.args.indexOf('install') + 1);
    assert.deepEqual(packages, [
      'kernel', 'rocky-release', 'dracut', 'systemd', 'openssh-server', 'cryptsetup', 'xfsprogs', 'zstd', 'kmod', 'iproute', 'dnf', 'rpm', 'device-mapper', 'tpm2-tools',
      'util-linux', 'dosfstools', 'e2fsprogs', 'tar', 'grub2-tools', 'grub2-pc-modules', 'grub2-efi-x64-modules',
      'vim-enhanced', 'tmux',
    ]);
  });
});

describe('planBuild: paths', () => {
  it('refuses a root or cache that is relative, /, not normalized or has odd characters', () => {
    badInput(() => planBuild(request('debian-12', { root: 'images/root' })), /root 'images\/root' must be a normalized absolute path/);
    badInput(() => planBuild(request('debian-12', { root: '/' })), /root '\/'/);
    badInput(() => planBuild(request('debian-12', { root: '/srv/../etc' })), /root '\/srv\/\.\.\/etc'/);
    badInput(() => planBuild(request('debian-12', { root: '/srv/root/' })), /root '\/srv\/root\/'/);
    badInput(() => planBuild(request('debian-12', { cacheDir: '/var/cache/my cache' })), /cache directory '\/var\/cache\/my cache'/);
    badInput(() => planBuild(request('debian-12', { cacheDir: '/var/cache/$(reboot)' })), /cache directory/);
  });

  it('refuses a cache inside the root (it would end up in the image) and a root inside the cache', () => {
    badInput(() => planBuild(request('debian-12', { root: '/srv/root', cacheDir: '/srv/root/var/cache/berth' })), /must not contain each other/);
    badInput(() => planBuild(request('rocky-9', { root: '/srv/cache/root', cacheDir: '/srv/cache' })), /must not contain each other/);
    badInput(() => planBuild(request('rocky-9', { root: '/srv/x', cacheDir: '/srv/x' })), /must not contain each other/);
    planBuild(request('rocky-9', { root: '/srv/x', cacheDir: '/srv/x-cache' }));
  });
});

describe('planBuild: mirrors', () => {
  it('refuses a mirror that is not http(s) or would break a sources line or repo file', () => {
    badInput(() => planBuild(request('debian-12', { mirror: 'ftp://ftp.debian.org/debian' })), /mirror 'ftp:\/\/ftp\.debian\.org\/debian' must be an http/);
    badInput(() => planBuild(request('debian-12', { mirror: 'deb.debian.org/debian' })), /must be an http/);
    badInput(() => planBuild(request('rocky-9', { mirror: 'https://m.example/rocky\ngpgcheck=0' })), /must be an http/);
    badInput(() => planBuild(request('debian-12', { mirror: 'http://m.example/debian [trusted=yes]' })), /must be an http/);
    badInput(() => planBuild(request('debian-12', { securityMirror: 'security.debian.org' })), /security mirror/);
  });

  it('drops trailing slashes of a mirror', () => {
    const plan = planBuild(request('debian-12', { mirror: 'http://mirror.example/debian//' }));
    assert.ok(plan.steps[1]?.args.includes('deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main non-free-firmware'));
  });

  it('refuses SLES without a mirror, saying why and what to pass', () => {
    badInput(() => planBuild(request('sles-15')), /sles-15 needs a mirror: SUSE serves SLES packages only to registered systems.*--mirror.*RMT/);
    badInput(() => planBuild(request('sles-15', { mirror: '' })), /registered/);
    planBuild(request('sles-15', { mirror: 'https://rmt.example.com/repo' }));
  });
});

describe('planBuild: what the host needs', () => {
  it('lists every command of the plan once, in first-use order, and the keyrings it reads', () => {
    const debian = planBuild(request('ubuntu-22.04'));
    assert.deepEqual(debian.requiredTools, ['mkdir', 'mmdebstrap']);
    assert.deepEqual(debian.requiredFiles, ['/usr/share/keyrings/ubuntu-archive-keyring.gpg']);
    assert.deepEqual(planBuild(request('almalinux-9')).requiredTools, ['mkdir', 'tee', 'rpm', 'dnf', 'find', 'rmdir', 'chroot']);
    assert.deepEqual(planBuild(request('opensuse-leap-15.6')).requiredTools, ['mkdir', 'tee', 'rpm', 'zypper', 'chroot']);
  });

  it('describes every step', () => {
    for (const id of ['debian-12', 'rocky-9', 'opensuse-leap-15.6']) {
      for (const step of planBuild(request(id)).steps) assert.ok(step.description.length > 20, `${id} ${step.command}`);
    }
  });
});
