/**
 * The dm-verity hash tree, computed by berth while it encrypts (the
 * encryption workers hash each ciphertext block as they write it), instead of
 * a second pass over the artifact with `veritysetup format`. The on-disk
 * format is cryptsetup's (lib/verity in cryptsetup, and the kernel's
 * Documentation/admin-guide/device-mapper/verity.rst), version 1:
 *
 * - every block hash is SHA-256(salt ‖ block);
 * - a level packs 128 hashes (4096 / 32) per 4096-byte block, zero-padded;
 *   level 0 hashes the data blocks, level i+1 hashes the blocks of level i,
 *   until one block remains; the root hash is the hash of that block (or of
 *   the only data block when there is one);
 * - on disk: a 512-byte superblock at the hash offset, padded to a hash
 *   block, then the levels with the top (smallest) level first.
 *
 * `veritysetup verify` checks every version in the tests, and a test
 * compares these bytes with `veritysetup format` given the same salt and UUID.
 */
import { hash, randomBytes } from 'node:crypto';
import { BerthError } from '../../errors.ts';

export const VERITY_BLOCK = 4096;
const HASH_BYTES = 32;
const PER_BLOCK = VERITY_BLOCK / HASH_BYTES;

/** SHA-256(salt ‖ block) of each 4096-byte block of `data` (whole blocks only). */
export function hashBlocks(data: Uint8Array, salt: Uint8Array): Buffer {
  if (data.length % VERITY_BLOCK !== 0) throw new BerthError('BERTH_INTERNAL', `verity: ${data.length} bytes is not a whole number of blocks`);
  const count = data.length / VERITY_BLOCK;
  const out = Buffer.allocUnsafe(count * HASH_BYTES);
  const scratch = Buffer.allocUnsafe(salt.length + VERITY_BLOCK);
  scratch.set(salt, 0);
  for (let i = 0; i < count; i++) {
    scratch.set(data.subarray(i * VERITY_BLOCK, (i + 1) * VERITY_BLOCK), salt.length);
    hash('sha256', scratch, 'buffer').copy(out, i * HASH_BYTES);
  }
  return out;
}

export interface VerityTree {
  rootHash: string;
  /** Superblock (one hash block) followed by the levels, top first: what goes at the hash offset. */
  bytes: Buffer;
}

/** The tree above level-0 hashes (`dataHashes`: 32 bytes per data block, in order). */
export function buildVerityTree(dataHashes: Buffer, salt: Buffer, uuid: Buffer = randomBytes(16)): VerityTree {
  const dataBlocks = dataHashes.length / HASH_BYTES;
  if (!Number.isInteger(dataBlocks) || dataBlocks < 1) throw new BerthError('BERTH_INTERNAL', 'verity: no data blocks');
  const levels: Buffer[] = [];
  let hashes = dataHashes;
  while (hashes.length > HASH_BYTES) {
    const blocks = Math.ceil(hashes.length / HASH_BYTES / PER_BLOCK);
    const level = Buffer.alloc(blocks * VERITY_BLOCK);
    hashes.copy(level);
    levels.push(level);
    hashes = hashBlocks(level, salt);
  }
  const rootHash = hashes.toString('hex');
  return { rootHash, bytes: Buffer.concat([superblock(dataBlocks, salt, uuid), ...levels.reverse()]) };
}

/** cryptsetup's struct verity_sb, little-endian, padded to one hash block. */
function superblock(dataBlocks: number, salt: Buffer, uuid: Buffer): Buffer {
  if (salt.length > 256) throw new BerthError('BERTH_INTERNAL', 'verity: salt longer than 256 bytes');
  const sb = Buffer.alloc(VERITY_BLOCK);
  sb.write('verity\0\0', 0, 'latin1');
  sb.writeUInt32LE(1, 8); // superblock version
  sb.writeUInt32LE(1, 12); // hash type 1: normal (salt first), not Chrome OS
  uuid.copy(sb, 16, 0, 16);
  sb.write('sha256', 32, 'latin1');
  sb.writeUInt32LE(VERITY_BLOCK, 64); // data block size
  sb.writeUInt32LE(VERITY_BLOCK, 68); // hash block size
  sb.writeBigUInt64LE(BigInt(dataBlocks), 72);
  sb.writeUInt16LE(salt.length, 80);
  salt.copy(sb, 88);
  return sb;
}
