import { quote, reject } from './rejection.ts';

/**
 * Key types OpenSSH accepts in authorized_keys. DSA is missing on purpose:
 * OpenSSH disabled it in 7.0 and removed it in 9.8, so such a key would
 * silently not work on the deployed node.
 */
const keyTypes = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

const minimumRsaBits = 2048;

/**
 * One or more authorized_keys lines ([options] type base64 [comment]), one per
 * line. Each key blob is decoded and must name the same type as its line: that
 * catches keys cut short or joined when pasted from a terminal.
 */
export function normalizeSshPublicKeys(value: string): string {
  // Before anything is quoted back: a private key must not end up in an error log.
  if (/PRIVATE KEY/.test(value)) reject('the value contains a private key; give the public key instead (the .pub file, or ssh-keygen -y -f <key>)');
  const lines = value.split(/\r?\n/);
  const out: string[] = [];
  const seen = new Map<string, number>();
  let keys = 0;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      out.push(line);
      return;
    }
    const where = lines.length > 1 ? `line ${index + 1}: ` : '';
    const key = parseKeyLine(line, where);
    const earlier = seen.get(key.blob);
    if (earlier !== undefined) reject(`${where}the same key is already on line ${earlier}`);
    seen.set(key.blob, index + 1);
    keys++;
    out.push([key.options, key.type, key.blob, key.comment].filter((part) => part !== '').join(' '));
  });
  if (keys === 0) reject(`${quote(value)} contains no SSH public key`);
  return out.join('\n');
}

interface KeyLine {
  options: string;
  type: string;
  blob: string;
  comment: string;
}

function parseKeyLine(line: string, where: string): KeyLine {
  const expected = 'expected a key type such as ssh-ed25519, then the base64 key, then an optional comment';
  let options = '';
  let rest = line;
  const first = line.split(/\s/, 1)[0]!;
  if (!keyTypes.has(first) && !first.startsWith('ssh-') && !first.startsWith('ecdsa-') && !first.startsWith('sk-')) {
    // sshd(8): options contain no spaces except inside double quotes.
    const end = optionsEnd(line);
    options = line.slice(0, end);
    rest = line.slice(end).trimStart();
  }
  const [type = '', blob = '', ...comment] = rest.split(/\s+/);
  if (type === 'ssh-dss') reject(`${where}DSA keys (ssh-dss) are no longer accepted by OpenSSH; use an ed25519 key (ssh-keygen -t ed25519)`);
  if (!keyTypes.has(type)) reject(`${where}${quote(line)} is not an OpenSSH public key (${expected})`);
  if (blob === '') reject(`${where}${quote(line)} has no key after ${type} (${expected})`);
  checkBlob(type, blob, where);
  return { options, type, blob, comment: comment.join(' ') };
}

function optionsEnd(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return i;
  }
  return line.length;
}

function checkBlob(type: string, blob: string, where: string): void {
  const shown = quote(blob.length > 24 ? `${blob.slice(0, 20)}...` : blob);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) {
    reject(`${where}the ${type} key ${shown} is not valid base64 (was it cut short when copied?)`);
  }
  const bytes = Buffer.from(blob, 'base64');
  const reader = new WireReader(bytes);
  // RFC 4253 section 6.6: the blob starts with the key type as an SSH string.
  const innerType = reader.string();
  if (innerType === undefined || innerType.toString('latin1') !== type) {
    reject(`${where}the key ${shown} is not a ${type} key (its data says otherwise; was it cut short or joined with another line?)`);
  }
  if (type === 'ssh-rsa') {
    reader.string(); // public exponent
    const modulus = reader.string();
    if (modulus === undefined) reject(`${where}the ssh-rsa key ${shown} is truncated`);
    const bits = mpintBits(modulus);
    if (bits < minimumRsaBits) reject(`${where}the ssh-rsa key has only ${bits} bits, too weak; use at least ${minimumRsaBits} bits or an ed25519 key`);
  } else if (type === 'ssh-ed25519') {
    const point = reader.string();
    if (point === undefined || point.length !== 32) reject(`${where}the ssh-ed25519 key ${shown} is truncated or malformed`);
  }
}

function mpintBits(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]!));
}

/** Reads RFC 4251 `string`s: a uint32 length, then that many bytes. */
class WireReader {
  private offset = 0;
  private readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  string(): Buffer | undefined {
    if (this.offset + 4 > this.bytes.length) return undefined;
    const length = this.bytes.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.bytes.length) return undefined;
    this.offset = start + length;
    return this.bytes.subarray(start, start + length);
  }
}
