/**
 * Encrypts a packed squashfs into the start of the version's artifact, on
 * all CPUs (crypt/parallel-file-crypt.ts), and appends the dm-verity tree of
 * the ciphertext, whose block hashes the same workers take as they write
 * (verity-tree.ts): one pass over the data instead of three. Meanwhile this
 * thread takes the content digest: SHA-256 of the plaintext, equal for equal
 * trees even though every version has its own key.
 *
 * The plaintext is zero-padded to a whole 4096-byte sector: dm-crypt and
 * dm-verity both work in those units, and squashfs ignores bytes past its
 * recorded size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { cryptFile } from '../crypt/parallel-file-crypt.ts';
import type { PlainXtsOptions } from '../crypt/plain-xts.ts';
import type { VerityParameters } from './verity.ts';
import { buildVerityTree } from './verity-tree.ts';

export const ARTIFACT_ALIGN = 4096;

export interface EncryptedArtifact {
  plainBytes: number;
  plainSha256: string;
  /** Encrypted bytes: plainBytes rounded up to ARTIFACT_ALIGN; the verity tree starts here. */
  cipherBytes: number;
  verity: VerityParameters;
  /** The whole artifact: ciphertext and verity tree. */
  artifactBytes: number;
}

export async function encryptArtifact(plainPath: string, artifactPath: string, key: Uint8Array, geometry: PlainXtsOptions): Promise<EncryptedArtifact> {
  const plainBytes = (await stat(plainPath)).size;
  const cipherBytes = Math.ceil(plainBytes / ARTIFACT_ALIGN) * ARTIFACT_ALIGN;
  const output = await open(artifactPath, 'wx', 0o644);
  try {
    await output.truncate(cipherBytes);
    const salt = randomBytes(32);
    const [plainSha256, blockHashes] = await Promise.all([sha256Of(plainPath), cryptFile('encrypt', plainPath, artifactPath, cipherBytes, key, geometry, { verifySalt: salt })]);
    const tree = buildVerityTree(blockHashes!, salt);
    await output.write(tree.bytes, 0, tree.bytes.length, cipherBytes);
    await output.sync();
    const verity: VerityParameters = {
      version: 1,
      hashAlgorithm: 'sha256',
      dataBlockSize: 4096,
      hashBlockSize: 4096,
      dataBlocks: cipherBytes / 4096,
      hashOffset: cipherBytes,
      salt: salt.toString('hex'),
      rootHash: tree.rootHash,
    };
    return { plainBytes, plainSha256, cipherBytes, verity, artifactBytes: cipherBytes + tree.bytes.length };
  } finally {
    await output.close();
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
