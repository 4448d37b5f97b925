/**
 * Red Hat's family (RHEL, Rocky Linux, AlmaLinux, CentOS Stream, Fedora),
 * installed by Anaconda with a kickstart file.
 *
 * Markers, as pungi and lorax write them on every DVD, boot and netinst ISO:
 * - `.treeinfo`, productmd's INI (productmd docs, "treeinfo-1.2"):
 *   `[release] name = Rocky Linux, version = 9.4` (what the product is),
 *   `[general] arch = x86_64` (the pre-productmd section, kept for
 *   compatibility, also `family`/`version` in trees older than productmd),
 *   `[images-x86_64] kernel = images/pxeboot/vmlinuz, initrd =
 *   images/pxeboot/initrd.img` (the PXE kernel and initrd), `[stage2]
 *   mainimage = images/install.img` (the installer's root image).
 * - `.discinfo` (productmd "discinfo-1.0"): line 1 build timestamp, line 2
 *   the release ("Fedora Server 21", "Rocky Linux 9.4"), line 3 the
 *   architecture, line 4 disc numbers ("ALL").
 * The kernel and initrd are taken from .treeinfo when it names them;
 * images/pxeboot/ is where lorax has always put them otherwise.
 */
import { BerthError } from '../../errors.ts';
import type { Detection, Detector } from './detector.ts';
import { unsupported } from './detector.ts';
import { mediaArch, parseIni, says, versionAtLeast } from './marker-syntax.ts';
import type { MediaTree } from './media-tree.ts';

const PRODUCTS: { match: RegExp; distro: string; name: string; minimum?: string }[] = [
  { match: /^red hat enterprise linux/i, distro: 'rhel', name: 'Red Hat Enterprise Linux', minimum: '8' },
  { match: /^rocky( linux)?\b/i, distro: 'rocky', name: 'Rocky Linux', minimum: '8' },
  { match: /^alma ?linux\b/i, distro: 'almalinux', name: 'AlmaLinux', minimum: '8' },
  { match: /^centos[ -]stream\b/i, distro: 'centos-stream', name: 'CentOS Stream', minimum: '9' },
  // CentOS Linux (7, 8) ended in 2024 and 2021; named so the refusal says what it is.
  { match: /^centos( linux)?\b/i, distro: 'centos', name: 'CentOS Linux' },
  { match: /^fedora\b/i, distro: 'fedora', name: 'Fedora', minimum: '38' },
];

const SUPPORTED = 'with kickstart: Red Hat Enterprise Linux, Rocky Linux and AlmaLinux 8 and later, CentOS Stream 9 and later, Fedora 38 and later';

export const kickstartDetector: Detector = {
  knows: 'RHEL, Rocky Linux, AlmaLinux, CentOS Stream, Fedora (.treeinfo, .discinfo)',
  lookedFor: ['.treeinfo', '.discinfo'],
  markers: ['.treeinfo', '.discinfo'],
  detect,
};

async function detect(tree: MediaTree): Promise<Detection | undefined> {
  const treeinfoText = await tree.read('.treeinfo');
  const discinfoText = await tree.read('.discinfo');
  if (treeinfoText === undefined && discinfoText === undefined) return undefined;

  const ini = parseIni(treeinfoText ?? '');
  const release = ini.get('release');
  const general = ini.get('general');
  const discinfo = (discinfoText ?? '').split(/\r?\n/).map((l) => l.trim());
  const discRelease = discinfo[1] ?? '';

  // productmd's [release] first; [general] family/version in older trees; .discinfo alone last.
  const productName = release?.get('name') ?? general?.get('family') ?? discRelease.replace(/\s*[\d.]+$/, '');
  const product = PRODUCTS.find((p) => p.match.test(productName));
  if (!product) return undefined; // another family's .treeinfo (SUSE), or a layered add-on ISO
  const version = release?.get('version') ?? general?.get('version') ?? /(\d+(?:\.\d+)*)\s*$/.exec(discRelease)?.[1];
  if (!version) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: .treeinfo and .discinfo name ${product.name} but no version`);

  const archName = general?.get('arch') ?? ini.get('tree')?.get('arch') ?? discinfo[2];
  const arch = mediaArch(archName);
  const evidence: Detection['evidence'] = [];
  if (treeinfoText !== undefined) {
    const parts = [
      release ? `[release] name = ${release.get('name') ?? '?'}, version = ${release.get('version') ?? '?'}` : `[general] family = ${general?.get('family') ?? '?'}, version = ${general?.get('version') ?? '?'}`,
      `arch = ${archName ?? '?'}`,
    ];
    evidence.push({ file: '.treeinfo', says: says(parts.join('; ')) });
  }
  if (discinfoText !== undefined) evidence.push({ file: '.discinfo', says: says(discinfo.filter((l) => l !== '').join(' | ')) });

  const what = `${product.name} ${version}${archName ? ` (${archName})` : ''}`;
  if (!product.minimum || !versionAtLeast(version, product.minimum)) throw unsupported(what, SUPPORTED, evidence.map((e) => `${e.file}: ${e.says}`).join('; '));
  if (!arch) throw unsupported(`${what}: architecture ${archName ?? 'unknown'}`, 'x86_64 and aarch64 media', `${tree.origin}`);

  const images = ini.get(`images-${archName}`) ?? ini.get(`images-${arch}`);
  const kernel = await requireFile(tree, images?.get('kernel') ?? 'images/pxeboot/vmlinuz', what, 'kernel');
  const initrd = await requireFile(tree, images?.get('initrd') ?? 'images/pxeboot/initrd.img', what, 'initrd');
  evidence.push({ file: kernel, says: 'installer kernel' }, { file: initrd, says: 'installer initrd' });

  const stage2 = ini.get('stage2')?.get('mainimage');
  if (stage2) {
    const found = await tree.file(stage2);
    evidence.push({ file: found ?? stage2, says: found ? 'installer root image ([stage2] mainimage)' : 'installer root image named by [stage2], missing on the media' });
  }
  // A DVD carries the packages (BaseOS/, AppStream/, or Packages/ for Fedora); a boot or netinst ISO does not.
  const repositories = [];
  for (const dir of ['BaseOS', 'AppStream', 'Packages']) {
    const found = await tree.dir(dir);
    if (found) repositories.push(found);
  }
  evidence.push({
    file: repositories[0] ?? '.treeinfo',
    says: repositories.length > 0 ? `package repositories on the media: ${repositories.join(', ')}` : 'no package repository on the media (boot or netinst ISO): installs need a network repository',
  });

  const label = /[a-z]/i.test(discRelease) ? discRelease : (general?.get('name') ?? `${product.name} ${version}`);
  return {
    distro: product.distro,
    version,
    arch,
    family: 'kickstart',
    label: label.includes(arch) ? label : `${label} ${arch}`,
    kernel,
    initrds: [initrd],
    evidence,
  };
}

async function requireFile(tree: MediaTree, path: string, what: string, role: string): Promise<string> {
  const found = await tree.file(path);
  if (!found) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${what} has no installer ${role} at ${path} (named by .treeinfo, or lorax's default place)`);
  return found;
}
