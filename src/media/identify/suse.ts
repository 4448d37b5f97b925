/**
 * SUSE Linux Enterprise Server and openSUSE Leap: release 15 is installed by
 * YaST with an AutoYaST profile, release 16 by Agama with a JSON profile.
 *
 * Markers, and who writes them:
 * - `media.1/products`, read by libzypp to find the products on a medium;
 *   one line per product, `<folder> <name> <version>-<release>`:
 *   `/ openSUSE-Leap 15.6-1` (Leap 15.6), `/Product-SLES SLES 15.6-0` beside
 *   the `/Module-*` lines on the SLE 15 Full ISO, `/ SLES 16.0-1`
 *   (product-composer's createmediadir.py: `'/ ' + name + ' ' + version + '-1'`).
 * - `media.1/media`: line 1 `<vendor> - <medium>`, line 2 the medium's name,
 *   line 3 the number of media: `SUSE - SLE-15-SP6-Full-x86_64-...-Media1`.
 *   Used for the label, and for the SLE version when there is no products file.
 * - SLES 16 and Leap 16 ISOs are an Agama live ISO (kiwi: `LiveOS/squashfs.img`,
 *   `boot/x86_64/loader/linux` and `initrd`) with the product's package tree
 *   added under `install/` by product-composer (createagamaiso.py: mksusecd),
 *   so their products file is `install/media.1/products`.
 * - `content`, SUSE tags (SLE 12 and older): `LABEL SUSE Linux Enterprise
 *   Server 12 SP5`, `DISTRO cpe:/o:suse:sles:12:sp5,...`, `BASEARCHS x86_64`.
 *   Read only to name the release berth does not support.
 * - `.treeinfo` in productmd form with `[release] name = SUSE Linux
 *   Enterprise...` or `openSUSE...`, where a build writes one.
 * Kernel and initrd are `boot/<arch>/loader/linux` and `.../initrd` on every
 * SUSE installation medium since SLE 10 (the YaST installer's and kiwi's layout).
 */
import { BerthError } from '../../errors.ts';
import type { MediaArch } from '../media.ts';
import type { Detection, Detector } from './detector.ts';
import { unsupported } from './detector.ts';
import { firstLine, mediaArch, parseIni, says } from './marker-syntax.ts';
import type { MediaTree } from './media-tree.ts';

const SUPPORTED = 'SLES and openSUSE Leap 15 with AutoYaST, SLES and openSUSE Leap 16 with Agama';

interface Product {
  distro: 'sles' | 'opensuse-leap';
  version: string;
  /** Where it was read, for the evidence. */
  file: string;
  line: string;
}

export const suseDetector: Detector = {
  knows: 'SLES and openSUSE Leap 15 and 16 (media.1/products, install/media.1/products, .treeinfo)',
  lookedFor: ['media.1/products', 'content'],
  markers: ['media.1/products', 'media.1/media', 'install/media.1/products', 'install/media.1/media', 'content', '.treeinfo'],
  detect,
};

async function detect(tree: MediaTree): Promise<Detection | undefined> {
  const evidence: Detection['evidence'] = [];
  const product = (await fromProducts(tree)) ?? (await fromTreeinfo(tree)) ?? (await fromMediaFile(tree));
  if (!product) {
    await refuseOlder(tree);
    await refuseBareAgama(tree);
    return undefined;
  }
  evidence.push({ file: product.file, says: says(product.line) });
  const pretty = prettyName(product);
  const major = Number.parseInt(product.version, 10);
  if (major !== 15 && major !== 16) throw unsupported(pretty, SUPPORTED, `${product.file}: ${says(product.line)}`);

  const arch = await findArch(tree);
  if (!arch) throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${pretty} media without an installer for x86_64 or aarch64 (no boot/x86_64/loader/linux nor boot/aarch64/loader/linux)`);
  const kernel = await tree.file(`boot/${arch}/loader/linux`);
  const initrd = await tree.file(`boot/${arch}/loader/initrd`);
  if (!kernel || !initrd) {
    throw new BerthError('BERTH_BAD_INPUT', `${tree.origin}: ${pretty} media without boot/${arch}/loader/${kernel ? 'initrd' : 'linux'}: not an installation medium (a Packages or Source ISO?)`);
  }
  evidence.push({ file: kernel, says: 'installer kernel' }, { file: initrd, says: 'installer initrd' });
  const family = major === 16 ? 'agama' : 'autoyast';
  if (family === 'agama') {
    const live = await tree.file('LiveOS/squashfs.img');
    evidence.push({ file: live ?? 'LiveOS/squashfs.img', says: live ? 'Agama live root image' : 'no Agama live root image (LiveOS/squashfs.img) on the media' });
  }

  const mediaName = (await tree.read('media.1/media')) ?? (await tree.read('install/media.1/media'));
  const medium = mediaName?.split(/\r?\n/)[1]?.trim();
  return {
    distro: product.distro,
    version: product.version,
    arch,
    family,
    label: `${pretty} ${arch}${medium ? ` (${medium})` : ''}`,
    kernel,
    initrds: [initrd],
    evidence,
  };
}

/** The base product of a products file: SLES on the multi-product SLE media, else Leap. */
async function fromProducts(tree: MediaTree): Promise<Product | undefined> {
  for (const file of ['media.1/products', 'install/media.1/products']) {
    const text = await tree.read(file);
    if (text === undefined) continue;
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    const products = lines.map((line) => ({ line, parts: line.split(/\s+/) })).filter((p) => p.parts.length >= 3);
    const sles = products.find((p) => p.parts[1]!.toUpperCase() === 'SLES');
    if (sles) return { distro: 'sles', version: stripRelease(sles.parts[2]!), file, line: sles.line };
    const leap = products.find((p) => /^(openSUSE-Leap|Leap)$/i.test(p.parts[1]!));
    if (leap) return { distro: 'opensuse-leap', version: stripRelease(leap.parts[2]!), file, line: leap.line };
    const other = products.find((p) => !/^sle-module-|^Module-/i.test(p.parts[1]!)) ?? products[0];
    if (other) throw unsupported(`SUSE product ${other.parts[1]} ${stripRelease(other.parts[2]!)}`, SUPPORTED, `${file}: ${says(other.line)}`);
  }
  return undefined;
}

async function fromTreeinfo(tree: MediaTree): Promise<Product | undefined> {
  const text = await tree.read('.treeinfo');
  if (text === undefined) return undefined;
  const ini = parseIni(text);
  const name = ini.get('release')?.get('name') ?? ini.get('general')?.get('family') ?? '';
  const version = ini.get('release')?.get('version') ?? ini.get('general')?.get('version');
  if (!version || !/suse|agama/i.test(`${name} ${ini.get('general')?.get('name') ?? ''}`)) return undefined;
  const distro = /leap|opensuse/i.test(name) ? 'opensuse-leap' : 'sles';
  return { distro, version: stripRelease(version), file: '.treeinfo', line: `[release] name = ${name}, version = ${version}` };
}

/** `SUSE - SLE-15-SP6-Online-x86_64-...` or `openSUSE - openSUSE-Leap-15.6-DVD-...`, when no products file says more. */
async function fromMediaFile(tree: MediaTree): Promise<Product | undefined> {
  for (const file of ['media.1/media', 'install/media.1/media']) {
    const line = firstLine(await tree.read(file));
    const sle = /\bSLE-(\d+)(?:-SP(\d+))?-/.exec(line);
    if (sle) return { distro: 'sles', version: `${sle[1]}.${sle[2] ?? '0'}`, file, line };
    const leap = /openSUSE-Leap-(\d+\.\d+)-/i.exec(line);
    if (leap) return { distro: 'opensuse-leap', version: leap[1]!, file, line };
  }
  return undefined;
}

/** SLE 12 and older carry `content` (SUSE tags) instead of products: name the release in the refusal. */
async function refuseOlder(tree: MediaTree): Promise<void> {
  const text = await tree.read('content');
  if (text === undefined) return;
  const fields = new Map(text.split(/\r?\n/).map((l) => /^(\S+)\s+(.*)$/.exec(l.trim())).filter((m) => m !== null).map((m) => [m[1]!.toUpperCase(), m[2]!.trim()] as const));
  const label = fields.get('LABEL') ?? fields.get('SUMMARY') ?? fields.get('DISTRO')?.split(',').slice(1).join(',');
  if (!label || !/suse/i.test(label)) return;
  throw unsupported(label, SUPPORTED, `content: LABEL ${says(label)}`);
}

/** An Agama live ISO with no product tree (the upstream agama-installer ISO) names nothing to install. */
async function refuseBareAgama(tree: MediaTree): Promise<void> {
  if (!(await tree.file('LiveOS/squashfs.img')) || !(await findArch(tree))) return;
  throw new BerthError(
    'BERTH_BAD_INPUT',
    `${tree.origin} looks like an Agama live ISO (LiveOS/squashfs.img, boot/<arch>/loader/linux) but names no product: no media.1/products, install/media.1/products or .treeinfo; berth needs the SLES 16 or openSUSE Leap 16 installation ISO`,
  );
}

async function findArch(tree: MediaTree): Promise<MediaArch | undefined> {
  const treeinfo = await tree.read('.treeinfo');
  const declared = treeinfo ? mediaArch(parseIni(treeinfo).get('general')?.get('arch')) : undefined;
  if (declared) return declared;
  for (const arch of ['x86_64', 'aarch64'] as const) {
    if (await tree.file(`boot/${arch}/loader/linux`)) return arch;
  }
  return undefined;
}

function stripRelease(version: string): string {
  return version.replace(/-[^-]*$/, '');
}

function prettyName(product: Product): string {
  if (product.distro === 'opensuse-leap') return `openSUSE Leap ${product.version}`;
  const [major, minor] = product.version.split('.');
  // SLE 15 counts service packs (15.6 is "15 SP6"); SLE 16 has plain minor releases.
  if (Number(major) >= 16 || !minor || minor === '0') return `SUSE Linux Enterprise Server ${Number(major) >= 16 ? product.version : major}`;
  return `SUSE Linux Enterprise Server ${major} SP${minor}`;
}
