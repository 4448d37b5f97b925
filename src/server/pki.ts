/**
 * berth's own certificate authority. On first start it makes a CA and a
 * server certificate for the admin API and the HTTPS boot services; nodes and
 * admins trust the CA (public/ca.pem, pinned by its SHA-256 fingerprint), not
 * each server certificate, so the server certificate can be re-issued
 * whenever the host's addresses change without touching any client.
 *
 * The CA is never replaced silently: replacing it breaks trust on every node
 * and workstation, so that is left to an admin who knows it.
 *
 * Keys are EC P-256: accepted by the TLS stacks berth meets (Node, curl,
 * the initramfs' curl, Python) where Ed25519 certificates are not. iPXE
 * verifies ECDSA only since December 2025 (docs/boot.md, "iPXE version"),
 * which is why `berth boot build-ipxe` refuses older sources.
 * The `openssl` CLI does the X.509 work because Node's crypto can parse
 * certificates but not issue them.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelAddresses } from '../boot/dhcp/local-addresses.ts';
import { BerthError } from '../errors.ts';
import { readIfExists, writeAtomic } from '../util/files.ts';
import type { Logger } from '../util/logger.ts';
import { run } from '../util/run.ts';
import type { StateDirLayout } from '../state/state-dir.ts';

export interface PkiNames {
  /** IP addresses the server is reached at; each becomes an `IP:` subjectAltName. */
  addresses: string[];
  /** Host names the server is reached at; each becomes a `DNS:` subjectAltName. */
  hostnames: string[];
}

export interface Pki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** `AB:CD:...`, what admins compare and nodes pin. */
  caFingerprintSha256: string;
}

const caValidDays = 3650;
/** The longest validity Apple's and browsers' TLS stacks accept for a server certificate. */
const serverValidDays = 825;
/** Re-issue this long before expiry, so a server running for weeks never serves an expired certificate. */
const renewBeforeMs = 30 * 24 * 3600 * 1000;
const opensslTimeoutMs = 30_000;

export async function ensurePki(layout: StateDirLayout, names: PkiNames, opts: { log?: Logger } = {}): Promise<Pki> {
  const log = opts.log;
  const wanted = normalizeNames(names);
  const work = await mkdtemp(join(tmpdir(), 'berth-pki-'));
  try {
    const ca = await ensureCa(layout, work, log);
    const server = await ensureServerCert(layout, work, ca, wanted, log);
    if ((await readIfExists(layout.tls.publicCaCert)) !== ca.certPem) {
      await writeAtomic(layout.tls.publicCaCert, ca.certPem, 0o644);
    }
    return {
      caCertPem: ca.certPem,
      serverCertPem: server.certPem,
      serverKeyPem: server.keyPem,
      caFingerprintSha256: ca.cert.fingerprint256,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Where this host can be reached: every non-internal address plus loopback,
 * and its host name plus localhost. What the server certificate should name
 * by default; config adds `tls.addresses` and `tls.hostnames` to it.
 */
export function listServerAddresses(): PkiNames {
  const addresses = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal) addresses.add(a.address.replace(/%.*$/, ''));
    }
  }
  // Node does not list addresses of interfaces without carrier, such as a boot network's bridge before the first node powers on.
  for (const a of kernelAddresses()) if (!a.startsWith('fe80:')) addresses.add(a);
  return { addresses: [...addresses], hostnames: [...new Set([hostname(), 'localhost'])] };
}

interface Ca {
  certPem: string;
  cert: X509Certificate;
  keyPath: string;
  certPath: string;
}

async function ensureCa(layout: StateDirLayout, work: string, log?: Logger): Promise<Ca> {
  const { caKey: keyPath, caCert: certPath } = layout.tls;
  let keyPem = await readIfExists(keyPath);
  let certPem = await readIfExists(certPath);

  if (keyPem === undefined && certPem !== undefined) {
    throw new BerthError(
      'BERTH_CONFIG',
      `the TLS CA certificate ${certPath} exists but its key ${keyPath} is missing; restore the key from backup, ` +
        `or remove ${certPath} to make a new CA (every node and client trusting the old one must then be given ${layout.tls.publicCaCert})`,
      { file: keyPath },
    );
  }
  if (keyPem === undefined) {
    keyPem = await generateKey();
    await writeAtomic(keyPath, keyPem, 0o600);
    log?.info('created TLS certificate authority', { path: certPath });
  } else if (certPem === undefined) {
    // A crash between writing key and certificate on first start. The subject
    // is derived from the key, so a new self-signed certificate for the same
    // key verifies everything the lost one issued.
    log?.warn('CA key without certificate; issuing a new CA certificate for the same key', { path: certPath });
  }
  if (certPem === undefined) {
    const config = join(work, 'ca.cnf');
    await writeFile(
      config,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        'x509_extensions = ca_ext',
        '[dn]',
        `CN = berth CA ${publicKeyId(keyPem)}`,
        '[ca_ext]',
        // pathlen:0 - this CA signs server certificates only, never another CA.
        'basicConstraints = critical, CA:TRUE, pathlen:0',
        'keyUsage = critical, keyCertSign, cRLSign',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    const { stdout } = await openssl(['req', '-x509', '-new', '-config', config, '-key', keyPath, '-sha256', '-days', String(caValidDays), '-set_serial', randomSerial()]);
    certPem = stdout;
    await writeAtomic(certPath, certPem, 0o644);
  }

  const cert = parseCert(certPem, certPath);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new BerthError('BERTH_CONFIG', `the TLS CA certificate ${certPath} does not belong to the key ${keyPath}; restore the pair from backup`, { file: certPath });
  }
  const left = new Date(cert.validTo).getTime() - Date.now();
  if (left <= 0) {
    throw new BerthError(
      'BERTH_CONFIG',
      `the TLS CA certificate ${certPath} expired on ${cert.validTo}; remove ${certPath} and ${keyPath} to make a new CA, ` +
        `then give ${layout.tls.publicCaCert} to every node and client`,
      { file: certPath },
    );
  }
  if (left < serverValidDays * 24 * 3600 * 1000) {
    log?.warn('TLS CA certificate expires soon; plan its replacement', { path: certPath, expires: cert.validTo });
  }
  return { certPem, cert, keyPath, certPath };
}

async function ensureServerCert(
  layout: StateDirLayout,
  work: string,
  ca: Ca,
  wanted: NormalizedNames,
  log?: Logger,
): Promise<{ certPem: string; keyPem: string }> {
  const { serverKey: keyPath, serverCert: certPath } = layout.tls;
  let keyPem = await readIfExists(keyPath);
  const certPem = await readIfExists(certPath);

  if (keyPem !== undefined && certPem !== undefined) {
    const why = reasonToReissue(certPem, keyPem, ca, wanted);
    if (why === undefined) return { certPem, keyPem };
    log?.info('re-issuing TLS server certificate', { reason: why, path: certPath });
  } else {
    log?.info('issuing TLS server certificate', { path: certPath, names: wanted.sans.join(',') });
  }

  if (keyPem === undefined || !isValidKey(keyPem)) {
    keyPem = await generateKey();
    await writeAtomic(keyPath, keyPem, 0o600);
  }
  const reqConfig = join(work, 'server-req.cnf');
  await writeFile(reqConfig, ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${wanted.hostnames[0] ?? 'berth'}`, ''].join('\n'));
  const extConfig = join(work, 'server-ext.cnf');
  await writeFile(
    extConfig,
    [
      '[server_ext]',
      'basicConstraints = critical, CA:FALSE',
      // digitalSignature only: ECDHE with an EC key signs, it never encrypts a key.
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid, issuer',
      `subjectAltName = ${wanted.sans.join(', ')}`,
      '',
    ].join('\n'),
  );
  const csr = await openssl(['req', '-new', '-config', reqConfig, '-key', keyPath, '-sha256']);
  const cert = await openssl(
    ['x509', '-req', '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', randomSerial(), '-days', String(serverValidDays), '-sha256', '-extfile', extConfig, '-extensions', 'server_ext'],
    csr.stdout,
  );
  await writeAtomic(certPath, cert.stdout, 0o644);
  return { certPem: cert.stdout, keyPem };
}

/** Why the existing server certificate cannot be kept, or undefined when it can. */
function reasonToReissue(certPem: string, keyPem: string, ca: Ca, wanted: NormalizedNames): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'certificate does not parse';
  }
  if (!isValidKey(keyPem) || !cert.checkPrivateKey(createPrivateKey(keyPem))) return 'certificate does not match key';
  if (!cert.checkIssued(ca.cert) || !cert.verify(ca.cert.publicKey)) return 'certificate not issued by the current CA';
  if (new Date(cert.validTo).getTime() - Date.now() < renewBeforeMs) return `certificate expires ${cert.validTo}`;
  const have = parseSans(cert.subjectAltName ?? '');
  if (have.join(',') !== wanted.sans.join(',')) {
    const added = wanted.sans.filter((s) => !have.includes(s));
    const removed = have.filter((s) => !wanted.sans.includes(s));
    return `names changed (added: ${added.join(' ') || 'none'}; removed: ${removed.join(' ') || 'none'})`;
  }
  return undefined;
}

interface NormalizedNames {
  hostnames: string[];
  /** Sorted `IP:...`/`DNS:...` entries, in openssl's config syntax. */
  sans: string[];
}

/** Host names go into an openssl config file, so anything but a plain name could inject config lines. */
const hostnamePattern = /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

function normalizeNames(names: PkiNames): NormalizedNames {
  const sans = new Set<string>();
  const hostnames: string[] = [];
  for (const a of names.addresses) {
    if (isIP(a) === 0) throw new BerthError('BERTH_CONFIG', `not an IP address for the TLS certificate: ${JSON.stringify(a)}`);
    sans.add(`IP:${canonicalIp(a)}`);
  }
  for (const h of names.hostnames) {
    if (!hostnamePattern.test(h)) throw new BerthError('BERTH_CONFIG', `not a host name for the TLS certificate: ${JSON.stringify(h)}`);
    const lower = h.toLowerCase();
    if (!sans.has(`DNS:${lower}`)) hostnames.push(lower);
    sans.add(`DNS:${lower}`);
  }
  if (sans.size === 0) throw new BerthError('BERTH_CONFIG', 'the TLS server certificate needs at least one address or host name');
  return { hostnames, sans: [...sans].sort() };
}

/** Parses Node's rendering ("DNS:a, IP Address:0:0:0:0:0:0:0:1") into the sorted form of normalizeNames. */
function parseSans(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(', ')) {
    if (part.startsWith('DNS:')) out.push(`DNS:${part.slice(4).toLowerCase()}`);
    else if (part.startsWith('IP Address:')) out.push(`IP:${canonicalIp(part.slice(11))}`);
  }
  return out.sort();
}

/** One spelling per address: `::1` and `0:0:0:0:0:0:0:1` must compare equal. */
function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** Short, stable id of a key, so two berth installations' CAs have different names. */
function publicKeyId(keyPem: string): string {
  const spki = createPublicKey(keyPem).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest('hex').slice(0, 12);
}

function isValidKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function parseCert(pem: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new BerthError('BERTH_CONFIG', `${path} is not a PEM certificate: ${(e as Error).message}`, { file: path });
  }
}

async function generateKey(): Promise<string> {
  return (await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])).stdout;
}

/** Positive 127-bit serial: unique without keeping a serial file. */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  return `0x${b.toString('hex')}`;
}

function openssl(args: string[], input?: string) {
  return run('openssl', args, { timeoutMs: opensslTimeoutMs, ...(input !== undefined ? { input } : {}) });
}


