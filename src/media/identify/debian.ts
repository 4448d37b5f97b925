/**
 * Debian, installed by debian-installer with a preseed file (Debian 11 and
 * later), from two kinds of media:
 *
 * 1. A CD/DVD image (netinst, DVD, live), as debian-cd writes it:
 *    - `.disk/info`, one line: `Debian GNU/Linux 12.5.0 "Bookworm" - Official
 *      amd64 NETINST with firmware 20240210-11:27`.
 *    - `dists/<codename>/Release`, the archive's Release file: `Version: 12.5`,
 *      `Codename: bookworm`, `Architectures: amd64` (`dists/stable` is a
 *      symbolic link to it and is skipped).
 *    - the installer in `install.amd/` (arm64: `install.a64/`; live images:
 *      `install/`): `vmlinuz` and `initrd.gz`. That initrd is d-i's *cdrom*
 *      flavour, the only one debian-cd puts on the disc: it looks for the
 *      installation media on a local CD or USB drive first. The evidence says
 *      so, for the install family to deal with; the netboot directory below
 *      has the netboot flavour.
 * 2. A debian-installer netboot directory: the contents of netboot.tar.gz,
 *    or the Debian package debian-installer-12-netboot-amd64
 *    (/usr/lib/debian-installer/images/12/amd64/text):
 *    - `version.info`: `Debian version:  12 (bookworm)` and
 *      `Installer build: 20230607+deb12u15`.
 *    - `debian-installer/<arch>/linux` and `debian-installer/<arch>/initrd.gz`.
 */
import { BerthError } from '../../errors.ts';
import type { MediaArch } from '../media.ts';
import type { Detection, Detector } from './detector.ts';
import { unsupported } from './detector.ts';
import { firstLine, mediaArch, parseFields, says, versionAtLeast } from './marker-syntax.ts';
import type { MediaTree } from './media-tree.ts';

const MINIMUM = '11';
const SUPPORTED = 'Debian 11 and later with preseed, from a CD/DVD image or a debian-installer netboot directory';
/** debian-cd's installer folder per architecture. */
const INSTALL_DIRS: Record<MediaArch, string[]> = { x86_64: ['install.amd', 'install'], aarch64: ['install.a64', 'install'] };
const DEBIAN_ARCHES = /^(amd64|arm64|i386|armhf|armel|ppc64el|s390x|mips64el|riscv64|loong64)$/;

export const debianDetector: Detector = {
  knows: 'Debian CD/DVD images (.disk/info, dists/*/Release) and debian-installer netboot directories (version.info)',
  lookedFor: ['.disk/info', 'version.info'],
  markers: ['.disk/info', 'dists/*/Release', 'version.info'],
  async detect(tree) {
    return (await detectDisc(tree)) ?? (await detectNetboot(tree));
  },
};

async function detectDisc(tree: MediaTree): Promise<Detection | undefined> {
  const line = firstLine(await tree.read('.disk/info'));
  if (!/^Debian GNU\/Linux\b/i.test(line)) return undefined;
  const head = /^Debian GNU\/Linux\s+(?<version>\d+(?:\.\d+)*)/i.exec(line)?.groups;
  const tail = line.split(' - ').slice(1).join(' - ').split(/\s+/);
  const archName = tail.find((t) => DEBIAN_ARCHES.test(t));
  const evidence: Detection['evidence'] = [{ file: '.disk/info', says: says(line) }];

  const release = await findRelease(tree);
  if (release) evidence.push({ file: release.file, says: says(`Version: ${release.fields.get('version') ?? '?'}, Codename: ${release.fields.get('codename') ?? '?'}, Architectures: ${release.fields.get('architectures') ?? '?'}`) });
  const version = release?.fields.get('version') ?? head?.version;
  if (!version) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: .disk/info names Debian but no version, and there is no dists/*/Release with one: '${says(line)}'`);
  const what = `Debian ${version}${archName ? ` (${archName})` : ''}`;
  if (!versionAtLeast(version, MINIMUM)) throw unsupported(what, SUPPORTED, evidence.map((e) => `${e.file}: ${e.says}`).join('; '));
  const arch = mediaArch(archName ?? release?.fields.get('architectures')?.split(/\s+/)[0]);
  if (!arch) throw unsupported(`${what}: architecture ${archName ?? 'unknown'}`, 'amd64 (x86_64) and arm64 (aarch64) media', `.disk/info: ${says(line)}`);

  for (const dir of INSTALL_DIRS[arch]) {
    const kernel = await tree.file(`${dir}/vmlinuz`);
    const initrd = await tree.file(`${dir}/initrd.gz`);
    if (!kernel || !initrd) continue;
    evidence.push(
      { file: kernel, says: 'installer kernel' },
      { file: initrd, says: "installer initrd, cdrom flavour: it looks for the installation media on a local CD/USB drive first; a debian-installer netboot directory has the netboot flavour" },
    );
    return { distro: 'debian', version, arch, family: 'preseed', label: line, kernel, initrds: [initrd], evidence };
  }
  throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${what} has no installer (${INSTALL_DIRS[arch].map((d) => `${d}/vmlinuz`).join(' or ')}): a live image without debian-installer cannot be installed unattended`);
}

async function findRelease(tree: MediaTree): Promise<{ file: string; fields: Map<string, string> } | undefined> {
  const dists = await tree.dir('dists');
  if (!dists) return undefined;
  for (const suite of await tree.list(dists)) {
    const file = await tree.file(`${dists}/${suite}/Release`);
    if (!file) continue;
    const fields = parseFields((await tree.read(file)) ?? '', ':');
    if (fields.has('version')) return { file, fields };
  }
  return undefined;
}

async function detectNetboot(tree: MediaTree): Promise<Detection | undefined> {
  const text = await tree.read('version.info');
  if (text === undefined) return undefined;
  const fields = parseFields(text, ':');
  const evidence: Detection['evidence'] = [{ file: 'version.info', says: says(text) }];
  const ubuntu = fields.get('ubuntu version');
  if (ubuntu) throw unsupported(`Ubuntu ${ubuntu}: a debian-installer netboot directory`, 'Ubuntu Server from the live server ISO (20.04 and later)', `version.info: ${says(text)}`);
  const debian = /^(?<version>\d+(?:\.\d+)*)\s*(?:\((?<codename>[^)]+)\))?/.exec(fields.get('debian version') ?? '')?.groups;
  if (!debian) return undefined;
  const what = `Debian ${debian.version} netboot installer`;
  if (!versionAtLeast(debian.version!, MINIMUM)) throw unsupported(what, SUPPORTED, `version.info: ${says(text)}`);

  const installer = await tree.dir('debian-installer');
  const arches = installer ? await tree.list(installer) : [];
  for (const archName of arches) {
    const arch = mediaArch(archName);
    if (!arch) continue;
    const kernel = await tree.file(`${installer}/${archName}/linux`);
    const initrd = await tree.file(`${installer}/${archName}/initrd.gz`);
    if (!kernel || !initrd) continue;
    evidence.push({ file: kernel, says: 'installer kernel' }, { file: initrd, says: 'installer initrd, netboot flavour: fetches the installer components from the mirror' });
    const build = fields.get('installer build');
    return {
      distro: 'debian',
      version: debian.version!,
      arch,
      family: 'preseed',
      label: `Debian ${debian.version}${debian.codename ? ` (${debian.codename})` : ''} netboot installer ${archName}${build ? `, build ${build}` : ''}`,
      kernel,
      initrds: [initrd],
      evidence,
    };
  }
  const found = arches.length > 0 ? `found debian-installer/${arches.join(', debian-installer/')}` : 'no debian-installer/ folder';
  throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${what} without debian-installer/amd64/linux and initrd.gz (or arm64/): ${found}`);
}
