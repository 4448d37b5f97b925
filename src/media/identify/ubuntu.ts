/**
 * Ubuntu Server, installed by Subiquity from the live server ISO with an
 * autoinstall file (Ubuntu 20.04 and later).
 *
 * Markers, as Ubuntu's ISO builds (livecd-rootfs, debian-cd) write them:
 * - `.disk/info`, one line: `Ubuntu-Server 24.04.1 LTS "Noble Numbat" -
 *   Release amd64 (20240827)`. Desktop ISOs say `Ubuntu 24.04.1 LTS ...`
 *   (flavours `Kubuntu ...`), the server ISO `Ubuntu-Server`.
 * - `casper/`: the live system. `casper/vmlinuz` and `casper/initrd` boot it;
 *   the Subiquity installer layer is `casper/*.installer.squashfs` (22.04+:
 *   ubuntu-server-minimal.ubuntu-server.installer.squashfs; 20.04:
 *   installer.squashfs).
 * The live initrd finds its root by downloading the whole ISO (`url=`), so
 * the importer keeps a copy of the ISO beside the tree (MediaRecord.iso).
 */
import { BerthError } from '../../errors.ts';
import type { Detection, Detector } from './detector.ts';
import { unsupported } from './detector.ts';
import { firstLine, mediaArch, says, versionAtLeast } from './marker-syntax.ts';
import type { MediaTree } from './media-tree.ts';

const INFO = /^(?<flavour>[A-Za-z]*ubuntu)(?<server>-Server)?\s+(?<version>\d+\.\d+(?:\.\d+)?)(?:\s+LTS)?\s+"(?<codename>[^"]*)"\s+-\s+(?<kind>\S+)\s+(?<arch>[a-z0-9_]+)/i;
const SUPPORTED = 'Ubuntu Server from the live server ISO (ubuntu-<version>-live-server-<arch>.iso), 20.04 and later, with autoinstall';

export const ubuntuDetector: Detector = {
  knows: 'Ubuntu Server live ISO (.disk/info, casper/)',
  lookedFor: ['.disk/info'],
  markers: ['.disk/info'],
  detect,
};

async function detect(tree: MediaTree): Promise<Detection | undefined> {
  const line = firstLine(await tree.read('.disk/info'));
  if (!/^[a-z]*ubuntu/i.test(line)) return undefined;
  const info = INFO.exec(line)?.groups;
  if (!info) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: .disk/info names Ubuntu but not in the form 'Ubuntu-Server 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)': '${says(line)}'`);
  const evidence: Detection['evidence'] = [{ file: '.disk/info', says: says(line) }];
  const what = `${info.flavour}${info.server ?? ''} ${info.version} (${info.arch})`;

  const casper = await tree.dir('casper');
  const casperFiles = casper ? await tree.list(casper) : [];
  const installerLayer = casperFiles.find((f) => /(^|\.)installer\.squashfs$/.test(f));
  if (!info.server && !installerLayer) throw unsupported(`${what}: desktop media`, SUPPORTED, `.disk/info: ${says(line)}; no server installer in casper/`);
  if (!versionAtLeast(info.version!, '20.04')) throw unsupported(what, SUPPORTED, `.disk/info: ${says(line)}`);
  if (!casper) throw unsupported(`${what} without casper/ (the debian-installer based server ISO)`, SUPPORTED, `.disk/info: ${says(line)}`);
  const arch = mediaArch(info.arch);
  if (!arch) throw unsupported(`${what}: architecture ${info.arch}`, 'x86_64 (amd64) and aarch64 (arm64) media', `.disk/info: ${says(line)}`);

  const kernel = casperFiles.find((f) => f === 'vmlinuz') ?? casperFiles.find((f) => /^vmlinuz(\.efi)?$/.test(f));
  const initrd = casperFiles.find((f) => f === 'initrd') ?? casperFiles.find((f) => /^initrd(\.lz|\.gz)?$/.test(f));
  if (!kernel || !initrd) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${what} has no ${kernel ? 'casper/initrd' : 'casper/vmlinuz'}, which boots the live installer`);
  evidence.push({ file: `${casper}/${kernel}`, says: 'live installer kernel' }, { file: `${casper}/${initrd}`, says: 'live installer initrd' });
  if (installerLayer) evidence.push({ file: `${casper}/${installerLayer}`, says: 'Subiquity installer layer' });

  return {
    distro: 'ubuntu',
    version: info.version!,
    arch,
    family: 'autoinstall',
    label: line,
    kernel: `${casper}/${kernel}`,
    initrds: [`${casper}/${initrd}`],
    evidence,
  };
}
