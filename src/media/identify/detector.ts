/**
 * What every family detector is: the marker files it reads and a function
 * from a media tree to what the media is. A detector answers undefined for
 * media that are not its own, so the next one can try; media it knows but
 * berth cannot install (RHEL 7, Debian 10, SLES 12, Ubuntu desktop) are
 * refused here with BERTH_BAD_INPUT naming the release and what is supported,
 * rather than reported as unknown.
 */
import { BerthError } from '../../errors.ts';
import type { MediaRecord } from '../media.ts';
import type { MediaTree } from './media-tree.ts';

/** A record before import: everything the media itself says. */
export type MediaIdentity = Omit<MediaRecord, 'source' | 'imported' | 'iso'>;

/** What a detector finds; the name is chosen afterwards (identify/index.ts). */
export type Detection = Omit<MediaIdentity, 'name'>;

export interface Detector {
  /** The media it knows, for the unknown-media message: "Rocky Linux, AlmaLinux, ... (.treeinfo)". */
  readonly knows: string;
  /** The files whose absence makes it give up, named in the unknown-media message. */
  readonly lookedFor: string[];
  /**
   * Every file it may read, relative to the top of the media; `*` stands for
   * one path segment. Extracted from an ISO before identification.
   */
  readonly markers: string[];
  detect(tree: MediaTree): Promise<Detection | undefined>;
}

/** Media berth recognises but cannot install. */
export function unsupported(what: string, supported: string, evidence: string): BerthError {
  return new BerthError('BERTH_BAD_INPUT', `${what} is not supported (${evidence}); berth installs ${supported}`);
}
