/**
 * dm-verity over the encrypted image. The hash tree goes into the same
 * artifact file right after the ciphertext (`--hash-offset`), so one file
 * (one NBD export, one HTTP URL) carries everything a node needs besides the
 * key and the root hash. Packing computes the tree itself (verity-tree.ts);
 * `veritysetup` (cryptsetup's own tool, userspace for format and verify: no
 * device-mapper needed on the server) checks versions and is the reference
 * the tests hold berth's tree to.
 *
 * Verity sits over the ciphertext, not the plaintext: a node checks what it
 * received before decrypting it, and the server can verify a version without
 * its key.
 */
import { BerthError } from '../../errors.ts';
import { run } from '../../util/run.ts';
import type { VersionMetadata } from '../repository/version-metadata.ts';

/** As recorded in a version's metadata (the one definition). */
export type VerityParameters = VersionMetadata['verity'];

/** Reads every block and checks it against the root hash (`veritysetup verify`); throws BERTH_CORRUPT on mismatch. */
export async function verifyVerity(artifact: string, parameters: VerityParameters, what: string): Promise<void> {
  try {
    await run('veritysetup', ['verify', artifact, artifact, parameters.rootHash, `--hash-offset=${parameters.hashOffset}`]);
  } catch (e) {
    const detail = (e as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join('; ') || (e as Error).message;
    throw new BerthError('BERTH_CORRUPT', `${what} fails dm-verity verification: ${detail}`, { file: artifact });
  }
}
