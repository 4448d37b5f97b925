/**
 * The distributions `berth image build` knows: where their packages come
 * from, which packages every berth image needs, and the few facts about each
 * that a build plan cannot guess (keyrings, repository layout, where the image's
 * own rpm expects its database).
 *
 * Architectures are always named the Debian way (amd64, arm64), whatever the
 * family; `rpmArch` maps them for dnf and zypper. The kernel package is listed
 * per architecture because Debian names it after the flavour
 * (linux-image-amd64, linux-image-arm64).
 *
 * Mirrors are plain http where the distribution's own default is http (apt
 * verifies the signed Release file, so TLS adds privacy, not integrity);
 * https for the rpm families, whose key download is the trust anchor.
 */
import { BerthError } from '../../errors.ts';

export interface DistroInfo {
  id: string;
  family: 'debian' | 'el' | 'suse';
  name: string;
  version: string;
  codename?: string;
  /** Debian-style names. */
  arches: string[];
  /** Empty when the distribution has no public mirror (SLES): the request must name one. */
  defaultMirror: string;
  /** packages every berth image needs, apart from the kernel (see `kernelPackages`) */
  basePackages: string[];
  initramfsTool: 'initramfs-tools' | 'dracut';
  /** The kernel package for each entry of `arches`. */
  kernelPackages: Record<string, string>;
  /**
   * GRUB's modules for each entry of `arches`, for install-to-disk (the
   * node's initramfs chroots into the image and runs its grub-install): a
   * BIOS and a UEFI platform on amd64, UEFI only on arm64. Only the module
   * packages, never the ones whose maintainer scripts install a boot loader
   * (Debian's grub-pc, grub-efi-amd64): those would run grub-install against
   * whatever disk the build host has.
   */
  bootloaderPackages: Record<string, string[]>;
  /** debian family only: how the apt sources are written. */
  apt?: AptSources;
  /** el and suse families only. */
  rpm?: RpmSources;
}

export interface AptSources {
  components: string[];
  /**
   * Keyring that signs the archive, named in every sources line as
   * `signed-by`. The same path must exist on the build host (package
   * debian-archive-keyring / ubuntu-keyring) and inside the image, where the
   * distribution's own keyring package puts it, so apt in the image verifies
   * with the key the image was built with.
   */
  keyring: string;
  securityMirror: string;
  /** Architectures served from other mirrors (Ubuntu keeps arm64 on ports.ubuntu.com). */
  archMirrors?: Record<string, { mirror: string; securityMirror: string }>;
}

export interface RpmRepository {
  /** dnf repo id / zypper alias. */
  id: string;
  name: string;
  /** Relative to the mirror; `{arch}` is replaced with the rpm architecture. */
  path: string;
  /** el only: the distribution's repo file that defines this id, rewritten when a site mirror is used. */
  file?: string;
}

export interface RpmSources {
  repositories: RpmRepository[];
  /** dnf's $releasever. */
  releasever?: string;
  /** dnf: without it modular filtering reads /etc/os-release from the still empty tree. */
  modulePlatformId?: string;
  /** The distribution's signing key, fetched from the distribution itself, never from a site mirror. */
  gpgKeyUrl?: string;
  /** Where the release package installs that key inside the image. */
  gpgKeyFile?: string;
  /**
   * The rpm database as the image's own rpm expects it. The host's rpm would
   * otherwise choose: Debian's rpm keeps it in ~/.rpmdb, Fedora's in
   * /usr/lib/sysimage/rpm, and openSUSE's rpm has no sqlite backend.
   */
  database: { path: string; backend: 'sqlite' | 'ndb' };
  /** Set when there is no public mirror: why, and what to pass instead. */
  mirrorRequired?: string;
}

const debianBase = [
  'initramfs-tools',
  'systemd-sysv',
  'udev',
  'openssh-server',
  'cryptsetup-bin',
  'xfsprogs',
  'zstd',
  'kmod',
  'iproute2',
  'ca-certificates',
  'curl',
  // tethered roots: one NBD path per berth server, dm-multipath over them
  'nbd-client',
  'dmsetup',
  // the node key sealed in the TPM under a PCR 15 policy
  'tpm2-tools',
  // install-to-disk, run from the image itself: sfdisk, the ESP's FAT, the root's ext4, grub-install and grub-mkconfig
  'fdisk',
  'dosfstools',
  'e2fsprogs',
  'grub2-common',
];

// EL has no nbd-client outside EPEL: tethered EL images need `--packages nbd` with EPEL enabled.
// util-linux (sfdisk), dosfstools, e2fsprogs, tar and grub2-tools: install-to-disk (declared; not tested on EL yet).
const elBase = [
  'dracut', 'systemd', 'openssh-server', 'cryptsetup', 'xfsprogs', 'zstd', 'kmod', 'iproute', 'dnf', 'rpm', 'device-mapper', 'tpm2-tools',
  'util-linux', 'dosfstools', 'e2fsprogs', 'tar', 'grub2-tools',
];

const suseBase = [
  'dracut',
  'systemd',
  'systemd-sysvinit',
  'udev',
  'openssh-server',
  'cryptsetup',
  'xfsprogs',
  'zstd',
  'kmod',
  'iproute2',
  'zypper',
  'rpm',
  'ca-certificates',
  'curl',
  'nbd',
  'device-mapper',
  'tpm2.0-tools',
  // install-to-disk (declared; not tested on SUSE yet): util-linux has sfdisk, grub2 has grub2-install
  'util-linux',
  'dosfstools',
  'e2fsprogs',
  'tar',
  'grub2',
];

/** grub-pc-bin is built for amd64 (and i386) only; arm64 machines boot UEFI. */
const debianBootloaders: Record<string, string[]> = { amd64: ['grub-pc-bin', 'grub-efi-amd64-bin'], arm64: ['grub-efi-arm64-bin'] };

function debian(version: string, codename: string): DistroInfo {
  return {
    id: `debian-${version}`,
    family: 'debian',
    name: 'Debian',
    version,
    codename,
    arches: ['amd64', 'arm64'],
    defaultMirror: 'http://deb.debian.org/debian',
    basePackages: debianBase,
    initramfsTool: 'initramfs-tools',
    kernelPackages: { amd64: 'linux-image-amd64', arm64: 'linux-image-arm64' },
    bootloaderPackages: debianBootloaders,
    apt: {
      // non-free-firmware: NIC and storage firmware, enabled by Debian's own installer since 12.
      components: ['main', 'non-free-firmware'],
      keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
      securityMirror: 'http://security.debian.org/debian-security',
    },
  };
}

function ubuntu(version: string, codename: string): DistroInfo {
  const ports = 'http://ports.ubuntu.com/ubuntu-ports';
  return {
    id: `ubuntu-${version}`,
    family: 'debian',
    name: 'Ubuntu',
    version,
    codename,
    arches: ['amd64', 'arm64'],
    defaultMirror: 'http://archive.ubuntu.com/ubuntu',
    basePackages: debianBase,
    initramfsTool: 'initramfs-tools',
    kernelPackages: { amd64: 'linux-image-generic', arm64: 'linux-image-generic' },
    bootloaderPackages: debianBootloaders,
    apt: {
      components: ['main', 'universe'],
      keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
      securityMirror: 'http://security.ubuntu.com/ubuntu',
      archMirrors: { arm64: { mirror: ports, securityMirror: ports } },
    },
  };
}

function el(
  id: string,
  name: string,
  releasePackage: string,
  mirror: string,
  gpgKeyUrl: string,
  gpgKeyFile: string,
  repoFiles: { baseos: string; appstream: string },
): DistroInfo {
  return {
    id,
    family: 'el',
    name,
    version: '9',
    arches: ['amd64', 'arm64'],
    defaultMirror: mirror,
    // The release package brings /etc/os-release, the signing keys under
    // /etc/pki/rpm-gpg and the distribution's repo files.
    basePackages: [releasePackage, ...elBase],
    initramfsTool: 'dracut',
    kernelPackages: { amd64: 'kernel', arm64: 'kernel' },
    bootloaderPackages: { amd64: ['grub2-pc-modules', 'grub2-efi-x64-modules'], arm64: ['grub2-efi-aa64-modules'] },
    rpm: {
      repositories: [
        { id: 'baseos', name: 'BaseOS', path: '9/BaseOS/{arch}/os/', file: repoFiles.baseos },
        { id: 'appstream', name: 'AppStream', path: '9/AppStream/{arch}/os/', file: repoFiles.appstream },
      ],
      releasever: '9',
      modulePlatformId: 'platform:el9',
      gpgKeyUrl,
      gpgKeyFile,
      database: { path: '/var/lib/rpm', backend: 'sqlite' },
    },
  };
}

function suse(
  id: string,
  name: string,
  version: string,
  releasePackage: string,
  defaultMirror: string,
  repositories: RpmRepository[],
  mirrorRequired?: string,
): DistroInfo {
  const info: DistroInfo = {
    id,
    family: 'suse',
    name,
    version,
    arches: ['amd64', 'arm64'],
    defaultMirror,
    basePackages: [releasePackage, ...suseBase],
    initramfsTool: 'dracut',
    kernelPackages: { amd64: 'kernel-default', arm64: 'kernel-default' },
    bootloaderPackages: { amd64: ['grub2-i386-pc', 'grub2-x86_64-efi'], arm64: ['grub2-arm64-efi'] },
    rpm: { repositories, database: { path: '/usr/lib/sysimage/rpm', backend: 'ndb' } },
  };
  if (mirrorRequired !== undefined && info.rpm) info.rpm.mirrorRequired = mirrorRequired;
  return info;
}

/** SCC and RMT layout: <mirror>/SUSE/{Products,Updates}/<product>/<version>/<arch>/{product,update}/ */
function sleRepositories(product: string, version: string): RpmRepository[] {
  return [
    { id: `${product}-Pool`, name: `${product} ${version} Pool`, path: `SUSE/Products/${product}/${version}/{arch}/product/` },
    { id: `${product}-Updates`, name: `${product} ${version} Updates`, path: `SUSE/Updates/${product}/${version}/{arch}/update/` },
  ];
}

const distros: DistroInfo[] = [
  debian('12', 'bookworm'),
  debian('13', 'trixie'),
  ubuntu('22.04', 'jammy'),
  ubuntu('24.04', 'noble'),
  el(
    'rocky-9',
    'Rocky Linux',
    'rocky-release',
    'https://dl.rockylinux.org/pub/rocky',
    'https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9',
    '/etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9',
    { baseos: '/etc/yum.repos.d/rocky.repo', appstream: '/etc/yum.repos.d/rocky.repo' },
  ),
  el(
    'almalinux-9',
    'AlmaLinux',
    'almalinux-release',
    'https://repo.almalinux.org/almalinux',
    'https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9',
    '/etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9',
    { baseos: '/etc/yum.repos.d/almalinux-baseos.repo', appstream: '/etc/yum.repos.d/almalinux-appstream.repo' },
  ),
  // Since Leap 15.3 every architecture lives in the same repositories; the
  // three update repositories carry Leap's own, SLE's and Backports' fixes.
  suse('opensuse-leap-15.6', 'openSUSE Leap', '15.6', 'openSUSE-release', 'https://download.opensuse.org', [
    { id: 'repo-oss', name: 'Main Repository', path: 'distribution/leap/15.6/repo/oss/' },
    { id: 'repo-update', name: 'Main Update Repository', path: 'update/leap/15.6/oss/' },
    { id: 'repo-sle-update', name: 'Update repository with updates from SUSE Linux Enterprise 15', path: 'update/leap/15.6/sle/' },
    { id: 'repo-backports-update', name: 'Update repository of openSUSE Backports', path: 'update/leap/15.6/backports/' },
  ]),
  suse(
    'sles-15',
    'SUSE Linux Enterprise Server',
    '15-SP6',
    'sles-release',
    '',
    [...sleRepositories('SLE-Product-SLES', '15-SP6'), ...sleRepositories('SLE-Module-Basesystem', '15-SP6')],
    'SUSE serves SLES packages only to registered systems, so berth builds SLES from a mirror your site has ' +
      'registered: pass --mirror with the repository root of your RMT or SMT server (for RMT, ' +
      'https://<rmt-host>/repo), under which SUSE/Products/... and SUSE/Updates/... are found',
  ),
];

export function listDistros(): DistroInfo[] {
  return distros.map((d) => structuredClone(d));
}

/** The distro by id; unknown id -> BERTH_BAD_INPUT naming it and listing the known ones. */
export function resolveDistro(id: string): DistroInfo {
  const found = distros.find((d) => d.id === id);
  if (!found) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `unknown distribution '${id}'; berth can build: ${distros.map((d) => d.id).join(', ')}`,
      { input: id },
    );
  }
  return structuredClone(found);
}

const rpmArches: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };

/** dnf/zypper name for a Debian-style architecture name. */
export function rpmArch(arch: string): string {
  const mapped = rpmArches[arch];
  if (mapped === undefined) {
    throw new BerthError('BERTH_BAD_INPUT', `no rpm architecture known for '${arch}'; berth maps ${Object.keys(rpmArches).join(', ')}`);
  }
  return mapped;
}
