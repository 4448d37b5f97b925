/**
 * dm-verity over the encrypted image, with veritysetup (cryptsetup's own
 * tool, userspace for format and verify: no device-mapper needed on the
 * server). The hash tree goes into the same artifact file right after the
 * ciphertext (`--hash-offset`), so one file (one NBD export, one HTTP URL)
 * carries everything a node needs besides the key and the root hash.
 *
 * Verity sits over the ciphertext, not the plaintext: a node checks what it
 * received before decrypting it, and the server can verify a version without
 * its key.
 */
import { randomBytes } from 'node:crypto';
import { BerthError } from '../../errors.ts';
import { run } from '../../util/run.ts';

export interface VerityParameters {
  version: 1;
  hashAlgorithm: 'sha256';
  dataBlockSize: 4096;
  hashBlockSize: 4096;
  dataBlocks: number;
  hashOffset: number;
  salt: string;
  rootHash: string;
}

/** Writes the hash tree (with its superblock) at `dataBytes` in `artifact`; returns what opening it needs. */
export async function formatVerity(artifact: string, dataBytes: number): Promise<VerityParameters> {
  if (dataBytes % 4096 !== 0) throw new BerthError('BERTH_INTERNAL', `verity data size ${dataBytes} is not a multiple of 4096`);
  const salt = randomBytes(32).toString('hex');
  const dataBlocks = dataBytes / 4096;
  const { stdout } = await run('veritysetup', [
    'format', artifact, artifact,
    `--hash-offset=${dataBytes}`, `--data-blocks=${dataBlocks}`,
    '--hash=sha256', '--data-block-size=4096', '--hash-block-size=4096', '--format=1', `--salt=${salt}`,
  ]);
  const rootHash = /^Root hash:\s*([0-9a-f]{64})\s*$/m.exec(stdout)?.[1];
  if (!rootHash) throw new BerthError('BERTH_SUBPROCESS', `veritysetup format printed no root hash:\n${stdout}`);
  return { version: 1, hashAlgorithm: 'sha256', dataBlockSize: 4096, hashBlockSize: 4096, dataBlocks, hashOffset: dataBytes, salt, rootHash };
}

/** Reads every block and checks it against the root hash (`veritysetup verify`); throws BERTH_CORRUPT on mismatch. */
export async function verifyVerity(artifact: string, parameters: VerityParameters, what: string): Promise<void> {
  try {
    await run('veritysetup', ['verify', artifact, artifact, parameters.rootHash, `--hash-offset=${parameters.hashOffset}`]);
  } catch (e) {
    const detail = (e as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join('; ') || (e as Error).message;
    throw new BerthError('BERTH_CORRUPT', `${what} fails dm-verity verification: ${detail}`, { file: artifact });
  }
}
