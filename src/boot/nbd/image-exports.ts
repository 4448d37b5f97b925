/**
 * Which NBD exports berth has: one per packed image version, named as
 * profiles and boot scripts name it (`compute@3`), serving the version's
 * artifact (ciphertext under its dm-verity tree). Looked up at every
 * connection, so a newly packed version is served at once and a removed one
 * is not. No version is ever served by `latest`: a tethered node must keep
 * reading the same bytes for as long as it runs.
 *
 * The artifact is served to anyone who can reach the port, as boot HTTP
 * serves it: without the image key, which only the node API hands out, it
 * is noise, and dm-verity rejects any byte that is not what berth packed.
 */
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { formatImageRef, parseImageRef } from '../../images/repository/image-ref.ts';
import type { ImageRepository } from '../../images/repository/image-repository.ts';
import type { NbdExport } from './nbd-server.ts';

export function imageExports(images: ImageRepository): { exportFor(name: string): Promise<NbdExport | undefined>; listExports(): Promise<NbdExport[]> } {
  const exportOf = async (name: string, version: number): Promise<NbdExport | undefined> => {
    try {
      const metadata = await images.readVersion(name, version);
      return {
        name: formatImageRef({ name, version }),
        path: join(images.layout(name).versionDir(version), metadata.artifact.file),
        size: metadata.artifact.bytes,
        description: `berth image ${name}@${version} (encrypted, dm-verity)`,
      };
    } catch (e) {
      // A missing or damaged version is simply not an export; the client is told so.
      if (e instanceof BerthError && (e.code === 'BERTH_NOT_FOUND' || e.code === 'BERTH_CORRUPT' || e.code === 'BERTH_BAD_INPUT')) return undefined;
      throw e;
    }
  };
  return {
    exportFor: async (text) => {
      let ref;
      try {
        ref = parseImageRef(text);
      } catch {
        return undefined;
      }
      return ref.version === 'latest' ? undefined : exportOf(ref.name, ref.version);
    },
    listExports: async () => {
      const found: NbdExport[] = [];
      for (const name of await images.names()) {
        for (const version of await images.versionNumbers(name)) {
          const e = await exportOf(name, version);
          if (e) found.push(e);
        }
      }
      return found;
    },
  };
}
