/**
 * Signing a node's host keys with berth's SSH CA. A node makes fresh host
 * keys on every boot (the image carries none, so no two nodes share one) and
 * sends their public halves through the node API; berth returns one host
 * certificate per key (PROTOCOL.certkeys), which sshd serves through
 * `HostCertificate` next to `HostKey`.
 *
 * ssh-keygen does the signing, as openssl does the X.509 work for the TLS CA:
 * the certificate format has details (nonce, reserved fields, signature
 * algorithm per key type) that a hand-made encoder would have to keep up
 * with. It runs on copies of the public keys in a private temp directory,
 * because ssh-keygen writes `<file>-cert.pub` beside its input.
 *
 * The validity window starts five minutes in the past, so a node whose clock
 * runs a little behind the admin's workstation does not see a certificate
 * "not yet valid". Its end is short (30 days by default) because every boot
 * renews it; it is given to ssh-keygen as absolute seconds since the epoch
 * so `validBefore` is exactly what the certificate says.
 *
 * Host certificates carry no critical options or extensions (ssh-keygen adds
 * none to host certificates, and berth asks for none).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { run } from '../util/run.ts';
import { nextSerial } from './certificate-serial.ts';
import { checkPrincipal } from './principals.ts';
import { parsePublicKey } from '../util/ssh-public-key.ts';
import type { SshCa } from './ssh-ca.ts';

export interface HostCertificateRequest {
  node: string;
  /** From hostPrincipals(): every name and address the node is reached by. */
  principals: string[];
  /** The node's fresh host public keys, one per key type (`ssh-ed25519 AAAA...`). */
  publicKeys: string[];
  /** Default 30 days; renewed at every boot. */
  validitySeconds?: number;
}

export interface HostCertificates {
  /** `<type>-cert-v01@openssh.com AAAA... <node>`, in the order of `publicKeys`. */
  certificates: string[];
  /** Decimal; the same for all certificates of one request, so one KRL entry revokes that boot's certificates. */
  serial: string;
  /** ISO time the certificates expire. */
  validBefore: string;
}

export const defaultValiditySeconds = 30 * 24 * 3600;
/** A certificate valid for years is a key nobody can take back; a node that stays up that long can ask again. */
const maxValiditySeconds = 366 * 24 * 3600;
/** Tolerance for a node clock behind the client's. */
const clockSkewSeconds = 300;
/** A node has one host key per type; more than this is not a host's key set. */
const maxKeys = 8;
const maxPrincipals = 256;
const keygenTimeoutMs = 30_000;

export async function signHostKeys(ca: SshCa, request: HostCertificateRequest): Promise<HostCertificates> {
  const node = request.node;
  if (!/^[^\s,\x00-\x1f\x7f]{1,253}$/.test(node)) throw new BerthError('BERTH_BAD_INPUT', `${JSON.stringify(node)} is not a node name that can go into a certificate's key id`);

  const principals = [...new Set(request.principals.map((p) => checkPrincipal(p, `node ${node}`)))];
  if (principals.length === 0) throw new BerthError('BERTH_BAD_INPUT', `node ${node}: a host certificate needs at least one principal (a name or address)`, { node });
  if (principals.length > maxPrincipals) throw new BerthError('BERTH_BAD_INPUT', `node ${node}: ${principals.length} principals, more than ${maxPrincipals}`, { node });

  if (request.publicKeys.length === 0) throw new BerthError('BERTH_BAD_INPUT', `node ${node}: no host public keys to sign`, { node });
  if (request.publicKeys.length > maxKeys) throw new BerthError('BERTH_BAD_INPUT', `node ${node}: ${request.publicKeys.length} host keys, more than ${maxKeys} (one per key type is expected)`, { node });
  const keys = request.publicKeys.map((line, i) => parsePublicKey(line, `node ${node}, host key ${i + 1}`));
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key.type)) throw new BerthError('BERTH_BAD_INPUT', `node ${node}: two ${key.type} host keys; a host has one key per type`, { node });
    seen.add(key.type);
  }

  const validity = request.validitySeconds ?? defaultValiditySeconds;
  if (!Number.isInteger(validity) || validity < 1 || validity > maxValiditySeconds) {
    throw new BerthError('BERTH_BAD_INPUT', `node ${node}: validity of ${validity} seconds is not between 1 and ${maxValiditySeconds} (366 days)`, { node });
  }

  const serial = await nextSerial(ca.serialFile);
  const now = Math.floor(Date.now() / 1000);
  const validAfter = now - clockSkewSeconds;
  const validBefore = now + validity;
  const work = await mkdtemp(join(tmpdir(), 'berth-ssh-sign-'));
  try {
    const files = keys.map((_, i) => join(work, `host-key-${i}.pub`));
    // The node's own comment is dropped: the certificate's comment names the node instead.
    await Promise.all(keys.map((key, i) => writeFile(files[i]!, `${key.type} ${key.base64} ${node}\n`, { mode: 0o600 })));
    await run(
      'ssh-keygen',
      [
        '-q',
        '-s', ca.keyFile,
        '-h',
        // Key id: what sshd logs and what an admin greps for: which node, which boot.
        '-I', `${node}:${serial}`,
        '-n', principals.join(','),
        '-V', `0x${validAfter.toString(16)}:0x${validBefore.toString(16)}`,
        '-z', String(serial),
        ...files,
      ],
      { timeoutMs: keygenTimeoutMs },
    );
    const certificates = await Promise.all(files.map(async (file) => (await readFile(file.replace(/\.pub$/, '-cert.pub'), 'utf8')).trim()));
    return { certificates, serial: String(serial), validBefore: new Date(validBefore * 1000).toISOString() };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
