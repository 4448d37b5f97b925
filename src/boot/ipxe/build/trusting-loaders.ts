/**
 * Whether the boot services serve a trusting iPXE build (ipxe-build.ts)
 * instead of Debian's loaders: only when `<state dir>/ipxe/build.json`
 * exists and names the CA berth has now. A build for another CA (the state
 * dir restored over, the CA replaced) would refuse berth's server and leave
 * every node unbootable, so it is set aside with a warning.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { BerthError } from '../../../errors.ts';
import type { StateDirLayout } from '../../../state/state-dir.ts';
import { readIfExists } from '../../../util/files.ts';
import { parseBuildMetadata } from './build-plan.ts';
import type { IpxeBuildMetadata } from './build-plan.ts';

export type TrustingBuild = { dir: string; metadata: IpxeBuildMetadata } | { unused: string } | undefined;

/** The usable build, the reason it is not used, or undefined when none was made. */
export async function currentTrustingBuild(layout: StateDirLayout): Promise<TrustingBuild> {
  const file = join(layout.ipxe, 'build.json');
  const text = await readIfExists(file);
  if (text === undefined) return undefined;
  let metadata: IpxeBuildMetadata;
  try {
    metadata = parseBuildMetadata(text, file);
  } catch (e) {
    if (e instanceof BerthError) return { unused: e.message };
    throw e;
  }
  const caPem = await readIfExists(layout.tls.publicCaCert);
  const current = caPem === undefined ? undefined : new X509Certificate(caPem).fingerprint256;
  if (current !== metadata.caFingerprintSha256) {
    return { unused: `${file} trusts the CA ${metadata.caFingerprintSha256}, but berth's CA is ${current ?? 'not made yet'}; run berth boot build-ipxe again` };
  }
  return { dir: layout.ipxe, metadata };
}
