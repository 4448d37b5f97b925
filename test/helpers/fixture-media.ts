/**
 * Installation media in miniature, for tests of identification and import:
 * the marker files of each release with the content and in the places the
 * real ISO has them, a few of the folders beside them, and a few bytes of
 * text where the kernel, initrd and squashfs images are. Each can be packed
 * into an ISO with xorriso, as the distribution's own build does.
 *
 * Where the content comes from (file layouts of the released ISOs):
 * - Rocky 9.4, Fedora 40, CentOS Stream 9: pungi/lorax. `.treeinfo` is
 *   productmd treeinfo 1.2 ([general] compatibility section, [header],
 *   [images-x86_64], [release], [stage2], [tree], [variant-*]); `.discinfo`
 *   is productmd discinfo 1.0 (timestamp, release, arch, disc numbers).
 * - Ubuntu 24.04.1 live server: `.disk/info` as on
 *   ubuntu-24.04.1-live-server-amd64.iso; casper/ with the layered squashfs
 *   names of 24.04 (ubuntu-server-minimal.ubuntu-server.installer.squashfs);
 *   `ubuntu -> .` is the ISO's real self-link.
 * - SLES 15 SP6 Full: one folder per module and product, listed in
 *   media.1/products as `/<folder> <product> <version>-<release>` (libzypp's
 *   products file); boot/x86_64/loader/{linux,initrd}.
 * - openSUSE Leap 15.6: `media.1/products` is `/ openSUSE-Leap 15.6-1` (the
 *   line on download.opensuse.org's Leap 15.6 tree); media.1/media is
 *   `<vendor> - <medium>`, medium, media count.
 * - SLES 16.0: an Agama live ISO (kiwi: LiveOS/squashfs.img,
 *   boot/x86_64/loader) with the product tree under install/, whose
 *   media.1/products product-composer writes as `/ SLES 16.0-1`.
 * - Debian 12.5 netinst: debian-cd. `.disk/info`, `dists/bookworm/Release`
 *   (with `dists/stable -> bookworm`), the d-i cdrom flavour in install.amd/
 *   and its graphical twin in install.amd/gtk/.
 * - ESXi 8.0 U2 (build 22380479): boot.cfg with the 8.0 module list,
 *   efi/boot/bootx64.efi, upgrade/metadata.xml. Packed without Rock Ridge and
 *   Joliet, in capitals, as VMware's ISO is.
 * The unsupported ones (RHEL 7.9, Debian 10, Ubuntu desktop, SLES 12 SP5)
 * carry just the markers that name them.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from '../../src/util/run.ts';

export interface FixtureExpectation {
  distro: string;
  version: string;
  arch: 'x86_64' | 'aarch64';
  family: string;
  kernel: string;
  initrds: string[];
}

interface Fixture {
  /** The ISO's volume id. */
  volumeId: string;
  files: Record<string, string>;
  links?: Record<string, string>;
  dirs?: string[];
  /** ESXi: plain ISO 9660, no Rock Ridge, no Joliet. */
  plainIso9660?: boolean;
  expected?: FixtureExpectation;
}

const treeinfo = (o: { family: string; name: string; short: string; version: string; variant: string; variants: string[]; packagedir: string; timestamp: number }) =>
  `[general]
; WARNING.0 = This section provides compatibility with pre-productmd treeinfos.
; WARNING.1 = Read productmd documentation for details about new format.
arch = x86_64
family = ${o.family}
name = ${o.family} ${o.version}
packagedir = ${o.packagedir}
platforms = x86_64,xen
repository = ${o.variant}
timestamp = ${o.timestamp}
variant = ${o.variant}
variants = ${o.variants.join(',')}
version = ${o.version}

[header]
type = productmd.treeinfo
version = 1.2

[images-x86_64]
boot.iso = images/boot.iso
efiboot.img = images/efiboot.img
initrd = images/pxeboot/initrd.img
kernel = images/pxeboot/vmlinuz

[images-xen]
initrd = images/pxeboot/initrd.img
kernel = images/pxeboot/vmlinuz

[release]
name = ${o.name}
short = ${o.short}
version = ${o.version}

[stage2]
mainimage = images/install.img

[tree]
arch = x86_64
build_timestamp = ${o.timestamp}
platforms = x86_64,xen
variants = ${o.variants.join(',')}
` +
  o.variants
    .map(
      (v) => `
[variant-${v}]
id = ${v}
name = ${v}
packages = ${v}/Packages
repository = ${v}
type = variant
uid = ${v}
`,
    )
    .join('');

const lorax = (what: string) => ({
  'images/pxeboot/vmlinuz': `fixture kernel: ${what}\n`,
  'images/pxeboot/initrd.img': `fixture initrd: ${what}\n`,
  'images/install.img': `fixture stage2: ${what}\n`,
  'EFI/BOOT/BOOTX64.EFI': 'fixture shim\n',
  'EFI/BOOT/grub.cfg': `menuentry 'Install ${what}' { linuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=x quiet }\n`,
});

const ESXI_BOOT_CFG = `bootstate=0
title=Loading ESXi installer
timeout=5
prefix=
kernel=/b.b00
kernelopt=runweasel cdromBoot
modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /uc_intel.b00 --- /uc_amd.b00 --- /uc_hygon.b00 --- /procfs.b00 --- /vmx.v00 --- /vim.v00 --- /tpm.v00 --- /sb.v00 --- /s.v00 --- /imgdb.tgz --- /basemisc.tgz --- /resvibs.tgz --- /esxupdt.v00 --- /tools.t00 --- /loadesx.v00 --- /xorg.v00 --- /gc.v00 --- /imgpayld.tgz
build=8.0.2-0.0.22380479
updated=0
`;

export const FIXTURE_MEDIA = {
  'rocky-9.4': {
    volumeId: 'Rocky-9-4-x86_64-dvd',
    files: {
      '.treeinfo': treeinfo({ family: 'Rocky Linux', name: 'Rocky Linux', short: 'Rocky', version: '9.4', variant: 'BaseOS', variants: ['AppStream', 'BaseOS'], packagedir: 'BaseOS/Packages', timestamp: 1715211418 }),
      '.discinfo': '1715211418.427932\nRocky Linux 9.4\nx86_64\nALL\n',
      ...lorax('Rocky Linux 9.4'),
      'BaseOS/repodata/repomd.xml': '<repomd/>\n',
      'AppStream/repodata/repomd.xml': '<repomd/>\n',
      'isolinux/isolinux.cfg': 'label linux\n  kernel vmlinuz\n',
    },
    expected: { distro: 'rocky', version: '9.4', arch: 'x86_64', family: 'kickstart', kernel: 'images/pxeboot/vmlinuz', initrds: ['images/pxeboot/initrd.img'] },
  },
  'fedora-40': {
    volumeId: 'Fedora-E-dvd-x86_64-40',
    files: {
      '.treeinfo': treeinfo({ family: 'Fedora', name: 'Fedora', short: 'Fedora', version: '40', variant: 'Everything', variants: ['Everything'], packagedir: 'Packages', timestamp: 1713311428 }),
      '.discinfo': '1713311428.412385\nFedora 40\nx86_64\n',
      ...lorax('Fedora 40'),
    },
    expected: { distro: 'fedora', version: '40', arch: 'x86_64', family: 'kickstart', kernel: 'images/pxeboot/vmlinuz', initrds: ['images/pxeboot/initrd.img'] },
  },
  'centos-stream-9': {
    volumeId: 'CentOS-Stream-9-BaseOS-x86_64',
    files: {
      '.treeinfo': treeinfo({ family: 'CentOS Stream', name: 'CentOS Stream', short: 'CentOS-Stream', version: '9', variant: 'BaseOS', variants: ['BaseOS'], packagedir: 'BaseOS/Packages', timestamp: 1717113600 }),
      '.discinfo': '1717113600.000000\nCentOS Stream 9\nx86_64\n',
      ...lorax('CentOS Stream 9'),
    },
    expected: { distro: 'centos-stream', version: '9', arch: 'x86_64', family: 'kickstart', kernel: 'images/pxeboot/vmlinuz', initrds: ['images/pxeboot/initrd.img'] },
  },
  'ubuntu-24.04.1': {
    volumeId: 'Ubuntu-Server 24.04.1 LTS amd64',
    files: {
      '.disk/info': 'Ubuntu-Server 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)',
      '.disk/casper-uuid-generic': '8d5f2f4e-0d2b-4bb0-9b53-2c1c3bd5a6c1\n',
      '.disk/base_installable': '',
      'casper/vmlinuz': 'fixture kernel: ubuntu 24.04.1\n',
      'casper/initrd': 'fixture initrd: ubuntu 24.04.1\n',
      'casper/ubuntu-server-minimal.squashfs': 'fixture squashfs\n',
      'casper/ubuntu-server-minimal.ubuntu-server.squashfs': 'fixture squashfs\n',
      'casper/ubuntu-server-minimal.ubuntu-server.installer.squashfs': 'fixture squashfs\n',
      'casper/install-sources.yaml': '- default: true\n  id: ubuntu-server\n',
      'dists/noble/Release': 'Origin: Ubuntu\nLabel: Ubuntu\nSuite: noble\nVersion: 24.04\nCodename: noble\nArchitectures: amd64\nComponents: main restricted\n',
      'boot/grub/grub.cfg': 'menuentry "Try or Install Ubuntu Server" { linux /casper/vmlinuz --- ; initrd /casper/initrd }\n',
      'EFI/boot/bootx64.efi': 'fixture shim\n',
    },
    links: { ubuntu: '.', 'dists/stable': 'noble' },
    expected: { distro: 'ubuntu', version: '24.04.1', arch: 'x86_64', family: 'autoinstall', kernel: 'casper/vmlinuz', initrds: ['casper/initrd'] },
  },
  'sles-15-sp6': {
    volumeId: 'SLE-15-SP6-Full-x86_64710.3.1',
    files: {
      'media.1/products':
        '/Module-Basesystem sle-module-basesystem 15.6-0\n/Module-Server-Applications sle-module-server-applications 15.6-0\n/Product-SLED SLED 15.6-0\n/Product-SLES SLES 15.6-0\n',
      'media.1/media': 'SUSE - SLE-15-SP6-Full-x86_64-Build710.3.1-Media1\nSLE-15-SP6-Full-x86_64-Build710.3.1-Media1\n1\n',
      'boot/x86_64/loader/linux': 'fixture kernel: sles 15 sp6\n',
      'boot/x86_64/loader/initrd': 'fixture initrd: sles 15 sp6\n',
      'boot/x86_64/bootinfo.txt': '',
      'Module-Basesystem/repodata/repomd.xml': '<repomd/>\n',
      'Module-Server-Applications/repodata/repomd.xml': '<repomd/>\n',
      'Product-SLES/repodata/repomd.xml': '<repomd/>\n',
      'Product-SLED/repodata/repomd.xml': '<repomd/>\n',
      CHECKSUMS: '0000  boot/x86_64/loader/linux\n',
      'EFI/BOOT/bootx64.efi': 'fixture shim\n',
    },
    expected: { distro: 'sles', version: '15.6', arch: 'x86_64', family: 'autoyast', kernel: 'boot/x86_64/loader/linux', initrds: ['boot/x86_64/loader/initrd'] },
  },
  'opensuse-leap-15.6': {
    volumeId: 'openSUSE-Leap-15.6-DVD-x86_64710',
    files: {
      'media.1/products': '/ openSUSE-Leap 15.6-1\n',
      'media.1/media': 'openSUSE - openSUSE-Leap-15.6-DVD-x86_64-Build710.3-Media\nopenSUSE-Leap-15.6-DVD-x86_64-Build710.3-Media\n1\n',
      'boot/x86_64/loader/linux': 'fixture kernel: leap 15.6\n',
      'boot/x86_64/loader/initrd': 'fixture initrd: leap 15.6\n',
      'repodata/repomd.xml': '<repomd/>\n',
      CHECKSUMS: '0000  boot/x86_64/loader/linux\n',
      'EFI/BOOT/bootx64.efi': 'fixture shim\n',
    },
    expected: { distro: 'opensuse-leap', version: '15.6', arch: 'x86_64', family: 'autoyast', kernel: 'boot/x86_64/loader/linux', initrds: ['boot/x86_64/loader/initrd'] },
  },
  'sles-16.0': {
    volumeId: 'SLES-16.0-x86_64',
    files: {
      'LiveOS/squashfs.img': 'fixture agama live root\n',
      'boot/x86_64/loader/linux': 'fixture kernel: agama\n',
      'boot/x86_64/loader/initrd': 'fixture initrd: agama\n',
      'boot/grub2/grub.cfg': 'menuentry "Install" { linux ($root)/boot/x86_64/loader/linux; initrd ($root)/boot/x86_64/loader/initrd }\n',
      'EFI/BOOT/bootx64.efi': 'fixture shim\n',
      'install/media.1/products': '/ SLES 16.0-1\n',
      'install/media.1/media': 'SUSE - SLES-16.0-x86_64-Build160000.1.1\nSLES-16.0-x86_64-Build160000.1.1\n1\n',
      'install/repodata/repomd.xml': '<repomd/>\n',
    },
    expected: { distro: 'sles', version: '16.0', arch: 'x86_64', family: 'agama', kernel: 'boot/x86_64/loader/linux', initrds: ['boot/x86_64/loader/initrd'] },
  },
  'debian-12.5': {
    volumeId: 'Debian 12.5.0 amd64 n',
    files: {
      '.disk/info': 'Debian GNU/Linux 12.5.0 "Bookworm" - Official amd64 NETINST with firmware 20240210-11:27',
      '.disk/base_installable': '',
      '.disk/cd_type': 'not_complete\n',
      'dists/bookworm/Release':
        'Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.5\nCodename: bookworm\nDate: Sat, 10 Feb 2024 10:04:29 UTC\nAcquire-By-Hash: yes\nArchitectures: amd64\nComponents: main non-free-firmware\nDescription: Debian 12.5 Released 10 February 2024\n',
      'install.amd/vmlinuz': 'fixture kernel: debian 12.5\n',
      'install.amd/initrd.gz': 'fixture initrd: debian 12.5 cdrom\n',
      'install.amd/gtk/vmlinuz': 'fixture kernel: debian 12.5 gtk\n',
      'install.amd/gtk/initrd.gz': 'fixture initrd: debian 12.5 gtk\n',
      'isolinux/isolinux.cfg': 'include menu.cfg\n',
      'pool/main/b/base-files/base-files_12.4+deb12u5_amd64.deb': 'fixture package\n',
    },
    links: { 'dists/stable': 'bookworm' },
    expected: { distro: 'debian', version: '12.5', arch: 'x86_64', family: 'preseed', kernel: 'install.amd/vmlinuz', initrds: ['install.amd/initrd.gz'] },
  },
  'esxi-8.0u2': {
    volumeId: 'ESXI-8.0U2-22380479-STANDARD',
    plainIso9660: true,
    files: {
      'boot.cfg': ESXI_BOOT_CFG,
      'efi/boot/boot.cfg': ESXI_BOOT_CFG,
      'efi/boot/bootx64.efi': 'fixture mboot.efi\n',
      'mboot.c32': 'fixture mboot.c32\n',
      'isolinux.cfg': 'DEFAULT menu.c32\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg\n',
      'b.b00': 'fixture vmkboot\n',
      'k.b00': 'fixture vmkernel\n',
      'jumpstrt.gz': 'fixture module\n',
      's.v00': 'fixture module\n',
      'imgpayld.tgz': 'fixture module\n',
      'upgrade/metadata.xml': '<?xml version="1.0" ?>\n<metadata>\n  <esxVersion>8.0.2</esxVersion>\n  <build>22380479</build>\n</metadata>\n',
      'upgrade/profile.xml': '<profile/>\n',
    },
    expected: { distro: 'esxi', version: '8.0.2', arch: 'x86_64', family: 'esxi', kernel: 'efi/boot/bootx64.efi', initrds: ['boot.cfg'] },
  },
  // Recognised, not supported:
  'rhel-7.9': {
    volumeId: 'RHEL-7.9 Server.x86_64',
    files: {
      '.treeinfo': treeinfo({ family: 'Red Hat Enterprise Linux', name: 'Red Hat Enterprise Linux', short: 'RHEL', version: '7.9', variant: 'Server', variants: ['Server'], packagedir: 'Packages', timestamp: 1598467353 }),
      '.discinfo': '1598467353.452358\nRed Hat Enterprise Linux 7.9\nx86_64\n1\n',
      ...lorax('RHEL 7.9'),
    },
  },
  'debian-10': {
    volumeId: 'Debian 10.13.0 amd64 n',
    files: {
      '.disk/info': 'Debian GNU/Linux 10.13.0 "Buster" - Official amd64 NETINST 20220910-10:39',
      'dists/buster/Release': 'Origin: Debian\nSuite: oldoldstable\nVersion: 10.13\nCodename: buster\nArchitectures: amd64\n',
      'install.amd/vmlinuz': 'fixture kernel\n',
      'install.amd/initrd.gz': 'fixture initrd\n',
    },
  },
  'ubuntu-desktop-24.04.1': {
    volumeId: 'Ubuntu 24.04.1 LTS amd64',
    files: {
      '.disk/info': 'Ubuntu 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)',
      'casper/vmlinuz': 'fixture kernel\n',
      'casper/initrd': 'fixture initrd\n',
      'casper/minimal.squashfs': 'fixture squashfs\n',
      'casper/minimal.standard.live.squashfs': 'fixture squashfs\n',
    },
  },
  'sles-12-sp5': {
    volumeId: 'SLE-12-SP5-Server-DVD-x86_64',
    files: {
      content: 'CONTENTSTYLE  11\nDATADIR       suse\nDISTRO        cpe:/o:suse:sles:12:sp5,SUSE Linux Enterprise Server 12 SP5\nLABEL         SUSE Linux Enterprise Server 12 SP5\nBASEARCHS     x86_64\nVENDOR        SUSE\n',
      'media.1/media': 'SUSE - SLE-12-SP5-Server-DVD-x86_64-GM-DVD1\n',
      'boot/x86_64/loader/linux': 'fixture kernel\n',
      'boot/x86_64/loader/initrd': 'fixture initrd\n',
    },
  },
  // Not installation media at all:
  unknown: {
    volumeId: 'RANDOM_DISC',
    files: { 'EFI/BOOT/BOOTX64.EFI': 'x\n', 'boot/grub/grub.cfg': '\n', README: 'hello\n' },
  },
} satisfies Record<string, Fixture>;

export type FixtureName = keyof typeof FIXTURE_MEDIA;

/** The installable fixtures, with what identification must say about them. */
export const SUPPORTED_FIXTURES = (Object.keys(FIXTURE_MEDIA) as FixtureName[]).filter((n) => 'expected' in FIXTURE_MEDIA[n]);

export function fixtureExpectation(name: FixtureName): FixtureExpectation {
  const fixture: Fixture = FIXTURE_MEDIA[name];
  if (!fixture.expected) throw new Error(`fixture ${name} is not installable media`);
  return fixture.expected;
}

/** Writes the fixture's tree into `root` (created), and returns `root`. */
export function writeFixtureMedia(name: FixtureName, root: string): string {
  const fixture: Fixture = FIXTURE_MEDIA[name];
  mkdirSync(root, { recursive: true });
  for (const dir of fixture.dirs ?? []) mkdirSync(join(root, dir), { recursive: true });
  for (const [path, content] of Object.entries(fixture.files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const [path, target] of Object.entries(fixture.links ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return root;
}

/**
 * Packs the fixture into `<parent>/<name>.iso` the way its distribution does:
 * Rock Ridge and Joliet (xorriso -as mkisofs -R -J), or for ESXi plain ISO
 * 9660 with capitalised 8.3 names. Returns the ISO's path.
 */
export async function makeFixtureIso(name: FixtureName, parent: string): Promise<string> {
  const fixture: Fixture = FIXTURE_MEDIA[name];
  const tree = writeFixtureMedia(name, join(parent, `${name}.tree`));
  const iso = join(parent, `${name}.iso`);
  if (fixture.plainIso9660) {
    await run('xorriso', ['-rockridge', 'off', '-joliet', 'off', '-volid', fixture.volumeId, '-outdev', iso, '-map', tree, '/']);
  } else {
    await run('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', fixture.volumeId, '-o', iso, tree]);
  }
  return iso;
}
