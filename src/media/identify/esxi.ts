/**
 * VMware ESXi 7.0 and later, installed by its own installer ("weasel") with
 * an ESXi kickstart file named on the boot.cfg `kernelopt` line.
 *
 * Markers, from the installer ISO (VMware-VMvisor-Installer-<v>.x86_64.iso):
 * - `boot.cfg` (also `efi/boot/boot.cfg`): the multiboot loader's config,
 *   `title=Loading ESXi installer`, `kernel=/b.b00`, `modules=/jumpstrt.gz ---
 *   /useropts.gz --- ...`, and since 7.0 `build=8.0.2-0.0.22380479`.
 * - `upgrade/metadata.xml`: the upgrade bundle's metadata, with
 *   `<esxVersion>8.0.2</esxVersion>` (what VMware's own tools grep for).
 * - `vmware-esx-base-osl.txt` and similar `vmware*` files at the top.
 * The ISO is plain ISO 9660 (8.3 names in capitals, no Rock Ridge); extract.ts
 * maps the names to lowercase as Linux's isofs does, which is how boot.cfg
 * spells them.
 *
 * There is no Linux kernel and initrd: the node boots the loader
 * (`efi/boot/bootx64.efi`, which is mboot.efi; `mboot.c32` for BIOS) and the
 * loader reads boot.cfg and fetches the modules it lists. So the record's
 * kernel is the loader and its only "initrd" is boot.cfg.
 */
import { BerthError } from '../../errors.ts';
import type { Detection, Detector } from './detector.ts';
import { unsupported } from './detector.ts';
import { firstLine, parseFields, says, versionAtLeast } from './marker-syntax.ts';
import type { MediaTree } from './media-tree.ts';

const SUPPORTED = 'VMware ESXi 7.0 and later (x86_64) with an ESXi kickstart file';

export const esxiDetector: Detector = {
  knows: 'VMware ESXi 7.0 and later (boot.cfg, upgrade/metadata.xml)',
  lookedFor: ['boot.cfg'],
  markers: ['boot.cfg', 'efi/boot/boot.cfg', 'upgrade/metadata.xml'],
  detect,
};

async function detect(tree: MediaTree): Promise<Detection | undefined> {
  const bootCfg = (await tree.file('boot.cfg')) ?? (await tree.file('efi/boot/boot.cfg'));
  const text = bootCfg ? await tree.read(bootCfg) : undefined;
  if (!bootCfg || text === undefined) return undefined;
  const fields = parseFields(text, '=');
  const metadataFile = await tree.file('upgrade/metadata.xml');
  const vmwareFiles = (await tree.list('')).filter((f) => /^vmware/i.test(f));
  const title = fields.get('title') ?? '';
  if (!fields.has('kernel') || !(/esxi/i.test(title) || metadataFile || vmwareFiles.length > 0)) return undefined; // some other multiboot config

  const evidence: Detection['evidence'] = [{ file: bootCfg, says: says(['title', 'kernel', 'build'].filter((k) => fields.has(k)).map((k) => `${k}=${fields.get(k)}`).join(', ')) }];
  const metadata = metadataFile ? await tree.read(metadataFile) : undefined;
  const esxVersion = /<esxVersion>\s*([\d.]+)\s*<\/esxVersion>/.exec(metadata ?? '')?.[1];
  if (metadataFile) evidence.push({ file: metadataFile, says: esxVersion ? `esxVersion ${esxVersion}` : says(firstLine(metadata)) });
  for (const file of vmwareFiles.slice(0, 2)) evidence.push({ file, says: 'VMware file at the top of the media' });

  // build=8.0.2-0.0.22380479: the version, then the update level and the build number.
  const build = /^(\d+(?:\.\d+)*)-[\d.]*?(\d+)$/.exec(fields.get('build') ?? '');
  const version = esxVersion ?? build?.[1];
  if (!version) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ESXi media whose version neither upgrade/metadata.xml (<esxVersion>) nor boot.cfg (build=) states`);
  const what = `VMware ESXi ${version}`;
  if (!versionAtLeast(version, '7.0')) throw unsupported(what, SUPPORTED, evidence.map((e) => `${e.file}: ${e.says}`).join('; '));
  if (await tree.file('efi/boot/bootaa64.efi')) throw unsupported(`${what} for Arm`, SUPPORTED, 'efi/boot/bootaa64.efi');

  const loader = (await tree.file('efi/boot/bootx64.efi')) ?? (await tree.file('mboot.efi'));
  if (!loader) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${what} media without its UEFI loader (efi/boot/bootx64.efi or mboot.efi)`);
  evidence.push({ file: loader, says: 'UEFI loader (mboot.efi): reads boot.cfg, then loads the kernel and modules it lists' });
  const kernel = fields.get('kernel')!.replace(/^\/+/, '');
  const found = await tree.file(kernel);
  if (!found) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${what}: boot.cfg names kernel=${fields.get('kernel')}, which is not on the media`);
  evidence.push({ file: found, says: 'ESXi kernel (kernel= in boot.cfg)' });
  const biosLoader = await tree.file('mboot.c32');
  if (biosLoader) evidence.push({ file: biosLoader, says: 'BIOS loader (pxelinux COM32 module)' });

  return {
    distro: 'esxi',
    version,
    arch: 'x86_64',
    family: 'esxi',
    label: `VMware ESXi ${version}${build ? ` build ${build[2]}` : ''}`,
    kernel: loader,
    initrds: [bootCfg],
    evidence,
  };
}
