/**
 * What installation media is, from the media itself: distribution, version,
 * architecture, install family, label, installer kernel and initrds, and the
 * marker files that said so. One detector per family; the first that claims
 * the media answers. Media no detector claims is refused with a message
 * listing what was looked for and what was there, so the admin can tell a
 * wrong folder (one level too deep, a Packages ISO) from unsupported media.
 */
import { stat } from 'node:fs/promises';
import { BerthError } from '../../errors.ts';
import { defaultMediaName } from '../media-name.ts';
import type { Detector, MediaIdentity } from './detector.ts';
import { debianDetector } from './debian.ts';
import { esxiDetector } from './esxi.ts';
import { kickstartDetector } from './kickstart.ts';
import { firstLine, says } from './marker-syntax.ts';
import { directoryTree } from './media-tree.ts';
import type { MediaTree } from './media-tree.ts';
import { suseDetector } from './suse.ts';
import { ubuntuDetector } from './ubuntu.ts';

export type { MediaIdentity } from './detector.ts';
export type { MediaTree } from './media-tree.ts';

/**
 * In order: ESXi's boot.cfg and Debian's version.info are unambiguous;
 * Ubuntu before Debian (both have .disk/info and dists/); SUSE before the
 * Red Hat family, since both may carry a .treeinfo.
 */
const DETECTORS: Detector[] = [esxiDetector, ubuntuDetector, debianDetector, suseDetector, kickstartDetector];

/** Every marker file a detector may read (`*` is one path segment): what to extract from an ISO first. */
export const MARKER_PATTERNS: string[] = [...new Set(DETECTORS.flatMap((d) => d.markers))];

/** Identifies the media in a folder (an extracted ISO or a copied tree). */
export async function identifyMedia(dir: string): Promise<MediaIdentity> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new BerthError('BERTH_NOT_FOUND', `${dir} does not exist`, { file: dir });
  if (!st.isDirectory()) throw new BerthError('BERTH_BAD_INPUT', `${dir} is not a directory; to identify an ISO image, import it (berth media import ${dir})`, { file: dir });
  return identifyTree(directoryTree(dir));
}

export async function identifyTree(tree: MediaTree): Promise<MediaIdentity> {
  for (const detector of DETECTORS) {
    const found = await detector.detect(tree);
    if (found) return { name: defaultMediaName(found), ...found };
  }
  throw await unknownMedia(tree);
}

async function unknownMedia(tree: MediaTree): Promise<BerthError> {
  const lookedFor = [...new Set(DETECTORS.flatMap((d) => d.lookedFor))];
  const present: string[] = [];
  for (const marker of MARKER_PATTERNS.filter((m) => !m.includes('*'))) {
    const text = await tree.read(marker);
    // .treeinfo starts with a section header; its name line says more.
    if (text !== undefined) present.push(`${marker} ('${says(/^\s*name\s*=.*$/m.exec(text)?.[0] ?? firstLine(text), 80)}')`);
  }
  const top = await tree.list('');
  const shown = top.length > 20 ? [...top.slice(0, 20), `... (${top.length - 20} more)`] : top;
  const found = present.length > 0 ? `found ${present.join(', ')}, which name no media berth knows; ` : `no ${lookedFor.join(', ')}; `;
  return new BerthError(
    'BERTH_BAD_INPUT',
    `${tree.origin} is not installation media berth recognises: ${found}found top-level: ${shown.length > 0 ? shown.join(', ') : '(nothing)'}. ` +
      `berth knows: ${DETECTORS.map((d) => d.knows).join('; ')}`,
    { file: tree.origin },
  );
}
