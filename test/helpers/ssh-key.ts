/**
 * OpenSSH key pairs for tests, made by the real ssh-keygen (ed25519, no
 * passphrase): an administrator's key the lab tests log in with, and
 * throwaway public keys for the node API's SSH host certificates.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a key pair to `file` and `file`.pub; returns the public key line. */
export function sshKeyPair(file: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen -f ${file} failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** A public key whose private half is thrown away at once: what a node sends to have its host key certified. */
export function throwawaySshPublicKey(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hostkey-'));
  try {
    return sshKeyPair(join(dir, 'k'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
