/**
 * The kernel reference check shared by the host test (dm-crypt-host.test.ts)
 * and the VM test (dm-crypt-vm.test.ts): which geometries to encrypt with,
 * which `cryptsetup open` to read them back with, and the files involved.
 * Both run the same cryptsetup command line; only the machine differs.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { encryptPlainXtsStream } from '../../../src/images/crypt/plain-xts-stream.ts';
import type { PlainXtsOptions } from '../../../src/images/crypt/plain-xts.ts';

export interface KernelCase {
  id: string;
  /** How berth encrypted the file. */
  encrypt: PlainXtsOptions;
  /** How the node opens it. */
  open: PlainXtsOptions;
  /** Whether the decrypted device must equal the plaintext. */
  expect: 'same' | 'differ';
}

export const kernelCases: KernelCase[] = [
  { id: 's512', encrypt: { sectorSize: 512, ivLargeSectors: false }, open: { sectorSize: 512, ivLargeSectors: false }, expect: 'same' },
  { id: 's4096-large', encrypt: { sectorSize: 4096, ivLargeSectors: true }, open: { sectorSize: 4096, ivLargeSectors: true }, expect: 'same' },
  { id: 's4096', encrypt: { sectorSize: 4096, ivLargeSectors: false }, open: { sectorSize: 4096, ivLargeSectors: false }, expect: 'same' },
  // The mistake the image metadata exists to prevent: opens without error, reads garbage.
  { id: 'mismatch', encrypt: { sectorSize: 4096, ivLargeSectors: true }, open: { sectorSize: 4096, ivLargeSectors: false }, expect: 'differ' },
];

export const plaintextBytes = 8 * 1024 * 1024;

export interface CaseFiles {
  plaintext: string;
  /** The first 4096 bytes of the plaintext: sector 0 has IV 0 under every setting. */
  firstSector: string;
  keyFile: string;
  ciphertext: (c: KernelCase) => string;
}

/** Random plaintext and key, and one ciphertext per case, encrypted file to file through the streaming API. */
export async function prepareCaseFiles(dir: string): Promise<CaseFiles> {
  const plain = randomBytes(plaintextBytes);
  const key = randomBytes(64);
  const files: CaseFiles = {
    plaintext: join(dir, 'plain.img'),
    firstSector: join(dir, 'plain.first'),
    keyFile: join(dir, 'image.key'),
    ciphertext: (c) => join(dir, `${c.id}.enc`),
  };
  await writeFile(files.plaintext, plain);
  await writeFile(files.firstSector, plain.subarray(0, 4096));
  await writeFile(files.keyFile, key, { mode: 0o600 });
  for (const c of kernelCases) {
    await pipeline(createReadStream(files.plaintext), (source) => encryptPlainXtsStream(source, key, c.encrypt), createWriteStream(files.ciphertext(c)));
  }
  return files;
}

/** Arguments of the node's `cryptsetup open` (DESIGN.md, "Image artifact"). */
export function cryptsetupOpenArgs(open: PlainXtsOptions, keyFile: string, device: string, name: string): string[] {
  return [
    'open',
    '--type', 'plain',
    '--cipher', 'aes-xts-plain64',
    '--key-size', '512',
    '--key-file', keyFile,
    '--sector-size', String(open.sectorSize),
    ...(open.ivLargeSectors ? ['--iv-large-sectors'] : []),
    '--readonly',
    device,
    name,
  ];
}
