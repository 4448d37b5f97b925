/**
 * berth's SSH certificate authority: one ed25519 key, made by ssh-keygen on
 * the first start and kept in private/ssh-ca (0600). Its public half is
 * copied to public/ssh-ca.pub, since it is what every admin's known_hosts
 * trusts (`berth ssh known-hosts`).
 *
 * Like the TLS CA (server/pki.ts) it is never replaced silently: a new CA key
 * would make every admin's known_hosts line useless at once. A key that
 * cannot be read, is encrypted, or is not ed25519 stops the server with
 * BERTH_CONFIG naming the file, and the admin decides (restore it from
 * backup, or remove it and hand out the new line).
 *
 * The public key is derived from the private key on every start
 * (`ssh-keygen -y`), never read from a .pub file beside it: that proves the
 * key loads, and a stale or swapped .pub cannot make berth advertise a CA
 * that does not sign its certificates.
 *
 * ed25519: small, fast, and accepted by every OpenSSH since 6.5 (2014); the
 * CA's algorithm is independent of the host keys it signs (RSA and ECDSA host
 * keys get ed25519-signed certificates).
 */
import { lstat, mkdtemp, chmod, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { StateDirLayout } from '../state/state-dir.ts';
import { readIfExists, writeAtomic } from '../util/files.ts';
import type { Logger } from '../util/logger.ts';
import { SubprocessError, run } from '../util/run.ts';
import { parsePublicKey } from '../util/ssh-public-key.ts';

export interface SshCa {
  /** `ssh-ed25519 AAAA... berth-ssh-ca@<host>` */
  publicKey: string;
  /** The private key, for `ssh-keygen -s`. */
  keyFile: string;
  /** Where the last issued certificate serial is kept (certificate-serial.ts). */
  serialFile: string;
}

const keygenTimeoutMs = 30_000;

export async function ensureSshCa(layout: StateDirLayout, log?: Logger): Promise<SshCa> {
  const { caKey: keyFile, caSerial: serialFile, publicCaKey } = layout.ssh;
  const existing = await lstatIfExists(keyFile);
  if (existing === undefined) {
    await createKey(layout.privateDir, keyFile);
    log?.info('created SSH certificate authority', { path: keyFile });
  } else {
    if (!existing.isFile()) {
      throw new BerthError('BERTH_CONFIG', `the SSH CA key ${keyFile} is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; berth keeps the key itself there`, { file: keyFile });
    }
    // ssh-keygen refuses a key others can read; prepareStateDir repairs this too, but not every caller runs it.
    if ((existing.mode & 0o077) !== 0) {
      await chmod(keyFile, 0o600);
      log?.warn('SSH CA key was readable by group or others; changed its mode to 0600', { path: keyFile });
    }
  }

  const publicKey = await derivePublicKey(keyFile);
  if ((await readIfExists(publicCaKey)) !== `${publicKey}\n`) {
    await writeAtomic(publicCaKey, `${publicKey}\n`, 0o644);
  }
  return { publicKey, keyFile, serialFile };
}

/**
 * ssh-keygen writes into a fresh 0700 directory inside private/, and the key
 * is renamed into place only when complete: a crash never leaves a half key
 * at the path the next start would trust.
 */
async function createKey(privateDir: string, keyFile: string): Promise<void> {
  const work = await mkdtemp(join(privateDir, '.ssh-ca-'));
  try {
    const fresh = join(work, 'ssh-ca');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `berth-ssh-ca@${hostname()}`, '-f', fresh], { timeoutMs: keygenTimeoutMs });
    await chmod(fresh, 0o600);
    await rename(fresh, keyFile);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function derivePublicKey(keyFile: string): Promise<string> {
  let stdout: string;
  try {
    // -P '': an encrypted key fails here instead of waiting for a passphrase nobody will type.
    ({ stdout } = await run('ssh-keygen', ['-y', '-P', '', '-f', keyFile], { timeoutMs: keygenTimeoutMs }));
  } catch (e) {
    if (!(e instanceof SubprocessError) || e.exitCode === null) throw e;
    const why = e.stderr.trim().split('\n').pop() || `ssh-keygen exited with ${e.exitCode}`;
    throw new BerthError(
      'BERTH_CONFIG',
      `the SSH CA key ${keyFile} cannot be loaded (${why}); restore it from backup, or remove it to make a new CA ` +
        `(every admin must then replace the @cert-authority line from 'berth ssh known-hosts')`,
      { file: keyFile },
    );
  }
  let key;
  try {
    key = parsePublicKey(stdout, `the public half of ${keyFile}`);
  } catch (e) {
    throw new BerthError('BERTH_CONFIG', `the SSH CA key ${keyFile} is damaged: ${(e as Error).message}`, { file: keyFile });
  }
  if (key.type !== 'ssh-ed25519') {
    throw new BerthError(
      'BERTH_CONFIG',
      `the SSH CA key ${keyFile} is a ${key.type} key; berth's SSH CA is ed25519. Restore the original key, or remove the file to make a new CA`,
      { file: keyFile },
    );
  }
  return `${key.type} ${key.base64} ${key.comment || `berth-ssh-ca@${hostname()}`}`;
}

async function lstatIfExists(path: string) {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
