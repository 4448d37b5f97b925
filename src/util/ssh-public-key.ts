/**
 * Strict parsing of one OpenSSH public key line (`type base64 [comment]`),
 * for keys berth is about to act on: a node's fresh host keys before the CA
 * signs them, administrators' keys before they reach root's authorized_keys,
 * the CA's own key.
 *
 * Strict because a key berth signs becomes a credential: the base64 must
 * decode, the blob must be exactly the structure its type defines (RFC 4253
 * section 6.6, RFC 5656 section 3.1, RFC 8709 section 4, OpenSSH's PROTOCOL.u2f
 * for the sk-* types), with nothing left over, and the type named inside the
 * blob must be the type named on the line. A key cut short or two keys pasted
 * into one line fail here, with a message that names where the key came from,
 * rather than later as a certificate OpenSSH will not load.
 *
 * No options prefix (`from="..." ssh-ed25519 ...`) in `parsePublicKey`:
 * those belong to authorized_keys lines only, read by `parseAuthorizedKey`.
 *
 * The one parser of OpenSSH public keys in berth, here in util/ so that both
 * ssh/ (the CA, host certificates, authorized_keys in admin-keys.ts) and the
 * inventory's `ssh.admin_keys` type (inventory/schema/validators/
 * ssh-public-keys.ts, a layer below ssh/) use it: a value accepted when it is
 * set is one the node's authorized_keys accepts at boot.
 */
import { BerthError } from '../errors.ts';

export interface PublicKey {
  type: string;
  base64: string;
  comment: string;
}

/**
 * Where the key came from, put before the reason in a BERTH_BAD_INPUT
 * ("node n1, host key 1: ..."); or a function that throws the caller's own
 * error for the reason (the inventory schema's ValueRejected).
 */
export type KeySource = string | ((reason: string) => never);

function failer(where: KeySource): (reason: string) => never {
  if (typeof where === 'function') return where;
  return (reason) => {
    throw new BerthError('BERTH_BAD_INPUT', `${where}: ${reason}`);
  };
}

/** The key types OpenSSH accepts for host and user keys; DSA is gone (disabled in 7.0, removed in 9.8). */
const keyTypes = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** OpenSSH's own ceiling on a public key blob (SSH_MAX_PUBKEY_BYTES in sshkey.h). */
const maxBlobBytes = 16384;
/** A 16384-bit RSA key is under 3 KiB of base64; the rest of this budget is for the comment. */
const maxLineLength = 8192;
const minimumRsaBits = 2048;
/** Uncompressed EC points (0x04 || X || Y), by curve. */
const ecPointLength: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };

export function parsePublicKey(line: string, where: KeySource): PublicKey {
  const fail = failer(where);
  // Before anything is quoted back: a private key must not end up in an error message or a log.
  if (/PRIVATE KEY/.test(line)) fail('this is a private key; give the public key instead (the .pub file, or ssh-keygen -y -f <key>)');
  const text = line.trim();
  if (text === '') fail('no public key given (expected "ssh-ed25519 AAAA... comment")');
  if (text.length > maxLineLength) fail(`the key line is ${text.length} characters long, more than the ${maxLineLength} a public key line can need`);
  if (/[\r\n]/.test(text)) fail('expected one key on one line, got several lines');
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(text)) fail('the key line contains control characters');

  const [type = '', base64 = '', ...commentWords] = text.split(/[ \t]+/);
  if (type === 'ssh-dss') fail('DSA keys (ssh-dss) are no longer accepted by OpenSSH; use an ed25519 key (ssh-keygen -t ed25519)');
  if (!keyTypes.has(type)) {
    const looksLikeOptions = /[=,"]/.test(type) || [...keyTypes].some((t) => text.includes(` ${t} `));
    fail(
      looksLikeOptions
        ? `${quote(text)} starts with options (${quote(type)}); give the bare key, "type base64 [comment]"`
        : `${quote(type)} is not an OpenSSH public key type (expected one of ${[...keyTypes].join(', ')})`,
    );
  }
  if (base64 === '') fail(`no key data after ${type}`);
  const shown = quote(base64.length > 24 ? `${base64.slice(0, 20)}...` : base64);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) fail(`the ${type} key ${shown} is not valid base64 (was it cut short when copied?)`);
  const blob = Buffer.from(base64, 'base64');
  if (blob.length > maxBlobBytes) fail(`the ${type} key is ${blob.length} bytes, more than OpenSSH's limit of ${maxBlobBytes}`);
  const problem = checkBlob(type, blob);
  if (problem !== undefined) fail(`the ${type} key ${shown} ${problem}`);
  return { type, base64, comment: commentWords.join(' ') };
}

/**
 * One authorized_keys line: optional options, then a key as parsePublicKey
 * reads it. sshd(8): options come first, comma separated, with no spaces
 * except inside double quotes; a line starting with a key type has none.
 * The options are kept as written.
 */
export function parseAuthorizedKey(line: string, where: KeySource): { options: string; key: PublicKey } {
  const fail = failer(where);
  const text = line.trim();
  if (/PRIVATE KEY/.test(text)) return { options: '', key: parsePublicKey(text, where) };
  const first = text.split(/[ \t]/, 1)[0]!;
  if (/^(ssh-|ecdsa-|sk-)/.test(first)) return { options: '', key: parsePublicKey(text, where) };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) {
      const options = text.slice(0, i);
      if (/[\x00-\x1f\x7f]/.test(options)) break;
      return { options, key: parsePublicKey(text.slice(i).trimStart(), where) };
    }
  }
  return fail(`expected [options] type base64 [comment], got ${quote(text)}`);
}

/** What is wrong with the blob for its type, or undefined when it is well formed. */
function checkBlob(type: string, blob: Buffer): string | undefined {
  const reader = new WireReader(blob);
  const inner = reader.string()?.toString('latin1');
  if (inner !== type) {
    return inner === undefined || !/^[\x21-\x7e]+$/.test(inner)
      ? 'is not a well-formed key (its data does not start with a key type; was it cut short?)'
      : `says inside that it is a ${inner} key (was the line edited, or joined with another key?)`;
  }
  const truncated = 'is truncated or malformed (was it cut short when copied?)';
  switch (type) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com': {
      if (reader.string()?.length !== 32) return truncated;
      if (type.startsWith('sk-') && reader.string() === undefined) return truncated; // the FIDO application, "ssh:" by default
      break;
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = type.startsWith('sk-') ? 'nistp256' : type.slice('ecdsa-sha2-'.length);
      const named = reader.string()?.toString('latin1');
      if (named === undefined) return truncated;
      if (named !== curve) return `names the curve ${quote(named)} where ${type} needs ${curve}`;
      const point = reader.string();
      if (point === undefined || point.length !== ecPointLength[curve] || point[0] !== 4) return truncated;
      if (type.startsWith('sk-') && reader.string() === undefined) return truncated;
      break;
    }
    case 'ssh-rsa': {
      const exponent = reader.string();
      const modulus = reader.string();
      if (exponent === undefined || modulus === undefined) return truncated;
      const bits = mpintBits(modulus);
      if (bits < minimumRsaBits) return `has only ${bits} bits, too weak; use at least ${minimumRsaBits} bits or an ed25519 key`;
      break;
    }
  }
  if (!reader.atEnd()) return 'has data after the end of the key (were two keys joined?)';
  return undefined;
}

function mpintBits(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]!));
}

/** The text as shown in a message: JSON-quoted (control characters escaped), long text cut. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Reads RFC 4251 `string`s: a uint32 length, then that many bytes. */
class WireReader {
  #offset = 0;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  string(): Buffer | undefined {
    if (this.#offset + 4 > this.#bytes.length) return undefined;
    const length = this.#bytes.readUInt32BE(this.#offset);
    const start = this.#offset + 4;
    if (start + length > this.#bytes.length) return undefined;
    this.#offset = start + length;
    return this.#bytes.subarray(start, start + length);
  }

  atEnd(): boolean {
    return this.#offset === this.#bytes.length;
  }
}
