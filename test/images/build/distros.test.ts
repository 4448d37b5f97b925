import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { listDistros, resolveDistro, rpmArch } from '../../../src/images/build/distros.ts';

const knownIds = [
  'debian-12',
  'debian-13',
  'ubuntu-22.04',
  'ubuntu-24.04',
  'rocky-9',
  'almalinux-9',
  'opensuse-leap-15.6',
  'sles-15',
];

describe('distro registry', () => {
  it('lists the distributions berth builds', () => {
    assert.deepEqual(
      listDistros().map((d) => d.id),
      knownIds,
    );
  });

  it('resolves ids to their family, version and codename', () => {
    const facts = listDistros().map((d) => [d.id, d.family, d.version, d.codename ?? null, d.initramfsTool]);
    assert.deepEqual(facts, [
      ['debian-12', 'debian', '12', 'bookworm', 'initramfs-tools'],
      ['debian-13', 'debian', '13', 'trixie', 'initramfs-tools'],
      ['ubuntu-22.04', 'debian', '22.04', 'jammy', 'initramfs-tools'],
      ['ubuntu-24.04', 'debian', '24.04', 'noble', 'initramfs-tools'],
      ['rocky-9', 'el', '9', null, 'dracut'],
      ['almalinux-9', 'el', '9', null, 'dracut'],
      ['opensuse-leap-15.6', 'suse', '15.6', null, 'dracut'],
      ['sles-15', 'suse', '15-SP6', null, 'dracut'],
    ]);
  });

  it('refuses an unknown id with BERTH_BAD_INPUT naming it and listing the known ones', () => {
    assert.throws(
      () => resolveDistro('centos-7'),
      (e: unknown) => {
        assert.ok(e instanceof BerthError);
        assert.equal(e.code, 'BERTH_BAD_INPUT');
        assert.match(e.message, /'centos-7'/);
        for (const id of knownIds) assert.ok(e.message.includes(id), `message lists ${id}: ${e.message}`);
        return true;
      },
    );
  });

  it('hands out copies, so a caller cannot change the registry', () => {
    const d = resolveDistro('debian-12');
    d.basePackages.push('sl');
    d.arches.length = 0;
    assert.ok(!resolveDistro('debian-12').basePackages.includes('sl'));
    assert.deepEqual(resolveDistro('debian-12').arches, ['amd64', 'arm64']);
  });

  // What every berth image needs, by family: the kernel, the initramfs tool,
  // systemd, sshd, cryptsetup, xfsprogs, zstd, kmod and iproute.
  const needs: Record<string, string[]> = {
    debian: ['initramfs-tools', 'systemd-sysv', 'udev', 'openssh-server', 'cryptsetup-bin', 'xfsprogs', 'zstd', 'kmod', 'iproute2', 'ca-certificates', 'curl', 'nbd-client', 'dmsetup', 'tpm2-tools', 'fdisk', 'dosfstools', 'e2fsprogs', 'grub2-common'],
    el: ['dracut', 'systemd', 'openssh-server', 'cryptsetup', 'xfsprogs', 'zstd', 'kmod', 'iproute', 'dnf', 'rpm', 'device-mapper', 'tpm2-tools', 'util-linux', 'dosfstools', 'e2fsprogs', 'tar', 'grub2-tools'],
    suse: ['dracut', 'systemd', 'udev', 'openssh-server', 'cryptsetup', 'xfsprogs', 'zstd', 'kmod', 'iproute2', 'zypper', 'rpm', 'nbd', 'device-mapper', 'tpm2.0-tools', 'util-linux', 'dosfstools', 'e2fsprogs', 'tar', 'grub2'],
  };

  for (const d of listDistros()) {
    it(`${d.id}: base packages hold what every image needs, and a kernel for each architecture`, () => {
      for (const p of needs[d.family] ?? []) assert.ok(d.basePackages.includes(p), `${d.id} lacks ${p}`);
      assert.ok(d.basePackages.includes(d.initramfsTool), `${d.id} lacks its initramfs tool ${d.initramfsTool}`);
      assert.deepEqual(Object.keys(d.kernelPackages).sort(), [...d.arches].sort());
      assert.deepEqual(Object.keys(d.bootloaderPackages).sort(), [...d.arches].sort(), 'GRUB modules for each architecture (install-to-disk)');
      assert.equal(new Set(d.basePackages).size, d.basePackages.length, 'no duplicates');
    });
  }

  it('names the kernel per architecture', () => {
    assert.deepEqual(resolveDistro('debian-12').kernelPackages, { amd64: 'linux-image-amd64', arm64: 'linux-image-arm64' });
    assert.deepEqual(resolveDistro('ubuntu-24.04').kernelPackages, { amd64: 'linux-image-generic', arm64: 'linux-image-generic' });
    assert.equal(resolveDistro('rocky-9').kernelPackages.arm64, 'kernel');
    assert.equal(resolveDistro('opensuse-leap-15.6').kernelPackages.amd64, 'kernel-default');
  });

  it('names GRUB module packages per architecture: BIOS and UEFI on amd64, UEFI on arm64, never a package that installs a boot loader', () => {
    assert.deepEqual(resolveDistro('debian-12').bootloaderPackages, { amd64: ['grub-pc-bin', 'grub-efi-amd64-bin'], arm64: ['grub-efi-arm64-bin'] });
    assert.deepEqual(resolveDistro('ubuntu-24.04').bootloaderPackages.amd64, ['grub-pc-bin', 'grub-efi-amd64-bin']);
    assert.deepEqual(resolveDistro('rocky-9').bootloaderPackages, { amd64: ['grub2-pc-modules', 'grub2-efi-x64-modules'], arm64: ['grub2-efi-aa64-modules'] });
    assert.deepEqual(resolveDistro('opensuse-leap-15.6').bootloaderPackages.arm64, ['grub2-arm64-efi']);
    // grub-pc and grub-efi-<arch> run grub-install from their maintainer scripts: in a build chroot, against the build host's disks.
    for (const d of listDistros()) {
      for (const p of [...d.basePackages, ...Object.values(d.bootloaderPackages).flat()]) assert.doesNotMatch(p, /^grub-(pc|efi-(amd64|arm64))$/, `${d.id}: ${p}`);
    }
  });

  it('maps Debian architecture names to rpm ones', () => {
    assert.equal(rpmArch('amd64'), 'x86_64');
    assert.equal(rpmArch('arm64'), 'aarch64');
    assert.throws(() => rpmArch('x86_64'), { code: 'BERTH_BAD_INPUT' });
  });
});
