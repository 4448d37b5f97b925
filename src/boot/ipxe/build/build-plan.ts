/**
 * What a trusting iPXE build is made of, decided from berth's CA alone: the
 * local config header, the embedded script, the `make` command line and the
 * metadata written beside the binaries. Pure, so what `berth boot build-ipxe`
 * asks of iPXE's build system is tested without compiling anything.
 *
 * iPXE's build options (https://ipxe.org/buildcfg, https://ipxe.org/crypto):
 *   DOWNLOAD_PROTO_HTTPS  the https:// scheme (left out of BIOS builds by default)
 *   IMAGE_TRUST_CMD       imgtrust / imgverify, for scripts signed with berth's CA later
 *   TRUST=ca.pem          the only roots iPXE accepts; replaces iPXE's own default root
 *   CERT=ca.pem           the CA certificate itself, embedded, so a server that sends
 *                         only its own certificate (as berth's does) still verifies
 *   EMBED=script          the script iPXE runs instead of its autoboot: it does DHCP
 *                         and chains the machine's script over HTTPS from berth
 *   CROSSCERT ""          no fetching of "cross-signed" certificates from ca.ipxe.org
 *                         (over plain HTTP) for a chain that does not end at berth's CA:
 *                         a certificate berth's CA did not sign is refused at once
 */
import { X509Certificate } from 'node:crypto';
import { BerthError } from '../../../errors.ts';

/** What each output is for; the TFTP and HTTP loader names berth already hands out (dhcp/boot-file.ts). */
export const IPXE_TARGETS = {
  'undionly.kpxe': 'bin/undionly.kpxe',
  'snponly.efi': 'bin-x86_64-efi/snponly.efi',
  'ipxe.efi': 'bin-x86_64-efi/ipxe.efi',
} as const;
export type IpxeLoader = keyof typeof IPXE_TARGETS;

/** Where the boot HTTPS listener answers unless the build says otherwise. */
export const DEFAULT_BOOT_HTTPS_PORT = 4433;

export interface IpxeBuildRequest {
  caPem: string;
  /** Where the CA came from, for error messages. */
  caFile: string;
  httpsPort: number;
  /**
   * The host in the chained URL: an address or name in berth's server
   * certificate. Default `${next-server}`, the address berth's DHCP puts in
   * siaddr (dhcp/reply.ts), so one build serves every boot network.
   */
  server?: string;
}

export interface IpxeBuildPlan {
  /** Files of src/config/local/ (general.h, crypto.h) and their text. */
  configHeaders: Record<string, string>;
  /** The EMBED= script. */
  embeddedScript: string;
  /** `make` arguments, given the paths of the CA and the script inside the build folder. */
  makeArgs(paths: { ca: string; script: string; jobs: number }): string[];
  caFingerprintSha256: string;
  caSubject: string;
  /** The key algorithm of the CA ('ec' or 'rsa'): iPXE verifies ECDSA only since December 2025. */
  caKeyType: string;
  chainUrl: string;
  httpsPort: number;
}

/** A host iPXE can put in a URL without quoting: an IPv4 address, a DNS name, or `${next-server}`. */
const SERVER = /^(\$\{next-server\}|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))$/;

export function ipxeBuildPlan(request: IpxeBuildRequest): IpxeBuildPlan {
  const { caPem, caFile, httpsPort } = request;
  if (!Number.isInteger(httpsPort) || httpsPort < 1 || httpsPort > 65535) {
    throw new BerthError('BERTH_BAD_INPUT', `--https-port must be a port number (1-65535), got ${httpsPort}`);
  }
  const server = request.server ?? '${next-server}';
  if (!SERVER.test(server)) {
    throw new BerthError('BERTH_BAD_INPUT', `--chain-host must be an IPv4 address or a host name in berth's server certificate, got '${server}'`);
  }
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch (e) {
    throw new BerthError('BERTH_CONFIG', `${caFile} is not a PEM certificate (${(e as Error).message}); it is written by berth serve on its first start`, { file: caFile });
  }
  if (!ca.ca) throw new BerthError('BERTH_CONFIG', `${caFile} is not a CA certificate (basicConstraints CA:FALSE); iPXE cannot anchor trust in it`, { file: caFile });
  const caKeyType = ca.publicKey.asymmetricKeyType ?? 'unknown';
  const chainUrl = `https://${server}:${httpsPort}/boot/ipxe/\${netX/mac}`;
  const fingerprint = ca.fingerprint256;
  const banner = '/* berth: written by berth boot build-ipxe (src/boot/ipxe/build/build-plan.ts) */';
  const configHeaders = {
    'general.h': [banner, '#define DOWNLOAD_PROTO_HTTPS', '#define IMAGE_TRUST_CMD', ''].join('\n'),
    'crypto.h': [banner, '#undef CROSSCERT', '#define CROSSCERT ""', ''].join('\n'),
  };
  const embeddedScript = [
    '#!ipxe',
    `# berth: trusts only the CA ${fingerprint}`,
    ':retry',
    'dhcp || goto failed',
    `chain --replace --autofree ${chainUrl} || goto failed`,
    ':failed',
    `echo berth: could not fetch this machine's script from ${chainUrl.replace('${netX/mac}', '')} over HTTPS; trying again in 10 seconds`,
    'sleep 10',
    'goto retry',
    '',
  ].join('\n');
  return {
    configHeaders,
    embeddedScript,
    makeArgs: ({ ca: caPath, script, jobs }) => [
      '-C', 'src',
      `-j${jobs}`,
      // iPXE builds with -Werror, and a newer compiler than the source was tested with warns about new things; a warning is no reason to stop here.
      'NO_WERROR=1',
      `TRUST=${caPath}`,
      `CERT=${caPath}`,
      `EMBED=${script}`,
      ...Object.values(IPXE_TARGETS),
    ],
    caFingerprintSha256: fingerprint,
    caSubject: ca.subject,
    caKeyType,
    chainUrl,
    httpsPort,
  };
}

/** build.json beside the binaries: what they trust and where they chain to. */
export interface IpxeBuildMetadata {
  /** Where the source came from, and its version when known. */
  source: { origin: string; version: string; sha256?: string };
  caFingerprintSha256: string;
  caSubject: string;
  chainUrl: string;
  httpsPort: number;
  options: string[];
  loaders: Partial<Record<IpxeLoader, { bytes: number; sha256: string }>>;
  builtAt: string;
  buildSeconds: number;
}

export function parseBuildMetadata(text: string, file: string): IpxeBuildMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BerthError('BERTH_CORRUPT', `${file} is not JSON (${(e as Error).message}); run berth boot build-ipxe again`, { file });
  }
  const m = value as Partial<IpxeBuildMetadata> | null;
  if (!m || typeof m.caFingerprintSha256 !== 'string' || !Number.isInteger(m.httpsPort) || typeof m.loaders !== 'object' || m.loaders === null) {
    throw new BerthError('BERTH_CORRUPT', `${file} lacks caFingerprintSha256, httpsPort or loaders; run berth boot build-ipxe again`, { file });
  }
  return m as IpxeBuildMetadata;
}
