/**
 * `images/<name>/<n>/metadata.json`: everything needed to use, verify and
 * explain a packed version, except its key (private/). The node side opens
 * the artifact with exactly these parameters, so a field that is wrong here
 * is a node that reads garbage: reading a version checks the fields the boot
 * path depends on and calls anything else a damaged version.
 */
import { BerthError } from '../../errors.ts';
import type { TreeInfo } from './tree-info.ts';

export interface VersionMetadata {
  format: 1;
  name: string;
  version: number;
  created: string;
  /** Who and what made it: user, host, berth version, the command line. */
  builtBy: { user: string; host: string; berth: string; command: string };
  parent: { name: string; version: number } | null;
  source: Omit<TreeInfo, 'name'>;
  squashfs: {
    compression: 'zstd';
    level: number;
    /** Size before padding and encryption, and its SHA-256: the content digest, equal for equal trees. */
    bytes: number;
    sha256: string;
    /** The squashfs's own timestamp: SOURCE_DATE_EPOCH when given, else the tree's time. */
    mkfsTime: number;
    /** SOURCE_DATE_EPOCH was given, so file times newer than mkfsTime were clamped to it. */
    clampedFileTimes: boolean;
    packSeconds: number;
  };
  crypt: {
    cipher: 'aes-xts-plain64';
    keyBytes: 64;
    sectorSize: 512 | 4096;
    ivLargeSectors: boolean;
    /** Encrypted bytes at the start of the artifact (the squashfs zero-padded to 4096). */
    bytes: number;
  };
  verity: {
    version: 1;
    hashAlgorithm: 'sha256';
    dataBlockSize: 4096;
    hashBlockSize: 4096;
    dataBlocks: number;
    /** The hash tree (with its superblock) starts here in the artifact, right after the ciphertext. */
    hashOffset: number;
    salt: string;
    rootHash: string;
  };
  /** Integrity is the verity root hash's job; no whole-file digest (it would cost a pass over the artifact per pack). */
  artifact: { file: string; bytes: number };
  boot: { kernelVersion: string; kernel: string; initramfs: string; kernelSha256: string; initramfsSha256: string };
  manifest: { file: string; format: 'deb' | 'rpm'; packages: number };
  files: { file: string; count: number; bytes: number };
}

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);

/** Parses and checks a metadata.json; `where` names the file in errors. */
export function parseVersionMetadata(text: string, where: string, expect: { name: string; version: number }): VersionMetadata {
  const damaged = (why: string) => new BerthError('BERTH_CORRUPT', `image version ${expect.name}@${expect.version} is damaged: ${where}: ${why}`, { file: where });
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw damaged(`not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null) throw damaged('not an object');
  if (doc.format !== 1) throw damaged(`unknown format ${JSON.stringify(doc.format)}`);
  if (doc.name !== expect.name || doc.version !== expect.version) throw damaged(`it describes ${doc.name}@${doc.version}`);
  const checks: [boolean, string][] = [
    [typeof doc.created === 'string', 'created'],
    [Number.isSafeInteger(doc.squashfs?.bytes) && HEX(64).test(doc.squashfs?.sha256), 'squashfs'],
    [doc.crypt?.cipher === 'aes-xts-plain64' && (doc.crypt?.sectorSize === 512 || doc.crypt?.sectorSize === 4096) && typeof doc.crypt?.ivLargeSectors === 'boolean' && Number.isSafeInteger(doc.crypt?.bytes), 'crypt'],
    [HEX(64).test(doc.verity?.rootHash) && /^[0-9a-f]*$/.test(doc.verity?.salt) && Number.isSafeInteger(doc.verity?.dataBlocks) && doc.verity?.hashOffset === doc.crypt?.bytes, 'verity'],
    [typeof doc.artifact?.file === 'string' && Number.isSafeInteger(doc.artifact?.bytes), 'artifact'],
    [typeof doc.boot?.kernel === 'string' && typeof doc.boot?.initramfs === 'string' && typeof doc.boot?.kernelVersion === 'string', 'boot'],
    [typeof doc.manifest?.file === 'string' && (doc.manifest?.format === 'deb' || doc.manifest?.format === 'rpm'), 'manifest'],
  ];
  for (const [ok, field] of checks) if (!ok) throw damaged(`field '${field}' is missing or malformed`);
  return doc as VersionMetadata;
}
