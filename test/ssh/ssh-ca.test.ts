import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { prepareStateDir } from '../../src/state/state-dir.ts';
import type { StateDirLayout } from '../../src/state/state-dir.ts';
import { nextSerial } from '../../src/ssh/certificate-serial.ts';
import { signHostKeys } from '../../src/ssh/host-certificate.ts';
import { ensureSshCa } from '../../src/ssh/ssh-ca.ts';
import type { SshCa } from '../../src/ssh/ssh-ca.ts';
import { run } from '../../src/util/run.ts';

let dir: string;
let layout: StateDirLayout;
let ca: SshCa;
const hostKeys: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-ssh-ca-'));
  ({ layout } = await prepareStateDir(join(dir, 'state')));
  ca = await ensureSshCa(layout);
  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `root@node-${type}`, '-f', join(dir, `host_${type}`)], { timeoutMs: 30_000 });
    hostKeys[type] = await readFile(join(dir, `host_${type}.pub`), 'utf8');
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freshLayout(name: string): Promise<StateDirLayout> {
  return (await prepareStateDir(join(dir, name))).layout;
}

function configError(file: string, pattern: RegExp) {
  return (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CONFIG' && e.where.file === file && e.message.includes(file) && pattern.test(e.message);
}

/** `ssh-keygen -L` of a certificate, as the fields it prints. */
async function inspect(certificate: string): Promise<string> {
  const file = join(dir, `inspect-${Math.random().toString(16).slice(2)}-cert.pub`);
  await writeFile(file, `${certificate}\n`);
  try {
    return (await run('ssh-keygen', ['-L', '-f', file], { timeoutMs: 10_000 })).stdout;
  } finally {
    await rm(file, { force: true });
  }
}

describe('ensureSshCa', () => {
  test('creates an ed25519 key, 0600 under private/, its public half in public/', async () => {
    assert.equal(ca.keyFile, join(layout.privateDir, 'ssh-ca'));
    assert.equal((await stat(ca.keyFile)).mode & 0o777, 0o600);
    assert.match(ca.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ berth-ssh-ca@\S+$/);
    assert.equal(await readFile(join(layout.publicDir, 'ssh-ca.pub'), 'utf8'), `${ca.publicKey}\n`);
    const { stdout } = await run('ssh-keygen', ['-y', '-f', ca.keyFile], { timeoutMs: 10_000 });
    assert.equal(stdout.split(' ').slice(0, 2).join(' '), ca.publicKey.split(' ').slice(0, 2).join(' '));
  });

  test('is idempotent: the same key on every start, and a lost public copy comes back', async () => {
    const key = await readFile(ca.keyFile);
    const again = await ensureSshCa(layout);
    assert.deepEqual(again, ca);
    assert.deepEqual(await readFile(ca.keyFile), key);
    await rm(layout.ssh.publicCaKey);
    await writeFile(layout.ssh.caKey + '.pub', 'ssh-ed25519 AAAA stale and ignored\n');
    assert.deepEqual(await ensureSshCa(layout), ca);
    assert.equal(await readFile(layout.ssh.publicCaKey, 'utf8'), `${ca.publicKey}\n`);
    await rm(layout.ssh.caKey + '.pub');
  });

  test('tightens a key left readable by others', async () => {
    const other = await freshLayout('loose');
    await ensureSshCa(other);
    await chmod(other.ssh.caKey, 0o644);
    await ensureSshCa(other);
    assert.equal((await stat(other.ssh.caKey)).mode & 0o777, 0o600);
  });

  test('a damaged key stops start-up with BERTH_CONFIG naming the file', async () => {
    const garbage = await freshLayout('garbage');
    await writeFile(garbage.ssh.caKey, 'not a key at all\n', { mode: 0o600 });
    await assert.rejects(ensureSshCa(garbage), configError(garbage.ssh.caKey, /cannot be loaded/));

    const truncated = await freshLayout('truncated');
    await ensureSshCa(truncated);
    const text = await readFile(truncated.ssh.caKey, 'utf8');
    await writeFile(truncated.ssh.caKey, text.slice(0, text.length / 2), { mode: 0o600 });
    await assert.rejects(ensureSshCa(truncated), configError(truncated.ssh.caKey, /cannot be loaded/));

    const rsa = await freshLayout('rsa');
    await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa.ssh.caKey], { timeoutMs: 30_000 });
    await assert.rejects(ensureSshCa(rsa), configError(rsa.ssh.caKey, /is a ssh-rsa key; berth's SSH CA is ed25519/));

    const encrypted = await freshLayout('encrypted');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret passphrase', '-f', encrypted.ssh.caKey], { timeoutMs: 30_000 });
    await assert.rejects(ensureSshCa(encrypted), configError(encrypted.ssh.caKey, /cannot be loaded/));

    const directory = await freshLayout('directory');
    await rm(directory.ssh.caKey, { force: true });
    await run('mkdir', [directory.ssh.caKey]);
    await assert.rejects(ensureSshCa(directory), configError(directory.ssh.caKey, /not a regular file/));
  });
});

describe('signHostKeys', () => {
  test('signs each host key; ssh-keygen -L shows principals, validity, serial and key id', async () => {
    const before = Date.now();
    const result = await signHostKeys(ca, {
      node: 'n1',
      principals: ['n1', 'n1.cluster.example.org', '10.1.0.5'],
      publicKeys: [hostKeys['ed25519']!, hostKeys['ecdsa']!, hostKeys['rsa']!],
    });
    assert.equal(result.certificates.length, 3);
    assert.match(result.certificates[0]!, /^ssh-ed25519-cert-v01@openssh\.com AAAA\S+ n1$/);
    assert.match(result.certificates[1]!, /^ecdsa-sha2-nistp256-cert-v01@openssh\.com /);
    assert.match(result.certificates[2]!, /^ssh-rsa-cert-v01@openssh\.com /);
    assert.match(result.serial, /^\d+$/);
    const expiry = new Date(result.validBefore).getTime();
    const thirtyDays = 30 * 24 * 3600 * 1000;
    assert.ok(expiry >= Math.floor(before / 1000) * 1000 + thirtyDays && expiry <= Date.now() + thirtyDays, result.validBefore);

    const caFingerprint = (await run('ssh-keygen', ['-l', '-f', layout.ssh.publicCaKey], { timeoutMs: 10_000 })).stdout.split(' ')[1]!;
    for (const [i, certificate] of result.certificates.entries()) {
      const text = await inspect(certificate);
      assert.match(text, /Type: \S+-cert-v01@openssh\.com host certificate/);
      assert.ok(text.includes(`Signing CA: ED25519 ${caFingerprint}`), text);
      assert.ok(text.includes(`Key ID: "n1:${result.serial}"`), text);
      assert.ok(text.includes(`Serial: ${result.serial}\n`), text);
      assert.match(text, /Principals: \n\s+n1\n\s+n1\.cluster\.example\.org\n\s+10\.1\.0\.5\n/);
      assert.match(text, /Critical Options: \(none\)/);
      assert.match(text, /Extensions: \(none\)/);
      // ssh-keygen prints local time; compare in seconds since the epoch.
      const valid = /Valid: from (\S+) to (\S+)/.exec(text)!;
      const from = Date.parse(new Date(valid[1]!).toISOString());
      const to = Date.parse(new Date(valid[2]!).toISOString());
      assert.equal(to, expiry, `certificate ${i}: ${text}`);
      assert.equal(to - from, thirtyDays + 300_000);
      // The certificate is for the key that was sent.
      const certified = (await run('ssh-keygen', ['-l', '-f', join(dir, `host_${['ed25519', 'ecdsa', 'rsa'][i]}.pub`)], { timeoutMs: 10_000 })).stdout.split(' ')[1]!;
      assert.ok(text.includes(certified), text);
    }
  });

  test('validitySeconds sets the end; serials never repeat and grow', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => signHostKeys(ca, { node: 'n2', principals: ['n2'], publicKeys: [hostKeys['ed25519']!], validitySeconds: 3600 })),
    );
    const serials = results.map((r) => BigInt(r.serial));
    assert.equal(new Set(serials).size, 5);
    const later = await signHostKeys(ca, { node: 'n2', principals: ['n2'], publicKeys: [hostKeys['ed25519']!], validitySeconds: 3600 });
    assert.ok(serials.every((s) => BigInt(later.serial) > s));
    const expiry = new Date(later.validBefore).getTime();
    assert.ok(Math.abs(expiry - (Date.now() + 3600_000)) < 5000, later.validBefore);
    assert.equal((await readFile(layout.ssh.caSerial, 'utf8')).trim(), later.serial);
  });

  test('rejects bad requests before signing anything', async () => {
    const bad = (request: Parameters<typeof signHostKeys>[1], pattern: RegExp) =>
      assert.rejects(signHostKeys(ca, request), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT' && pattern.test(e.message));
    const key = hostKeys['ed25519']!;
    await bad({ node: 'n1', principals: ['n1,evil.example.org'], publicKeys: [key] }, /comma/);
    await bad({ node: 'n1', principals: ['*'], publicKeys: [key] }, /wildcard/);
    await bad({ node: 'n1', principals: [], publicKeys: [key] }, /at least one principal/);
    await bad({ node: 'n1', principals: ['n1'], publicKeys: [] }, /no host public keys/);
    await bad({ node: 'n1', principals: ['n1'], publicKeys: ['garbage'] }, /^node n1, host key 1: "garbage" is not an OpenSSH public key type/);
    await bad({ node: 'n1', principals: ['n1'], publicKeys: [key, hostKeys['rsa']!, `ssh-rsa ${key.split(' ')[1]}`] }, /^node n1, host key 3: .*says inside that it is a ssh-ed25519 key/);
    await bad({ node: 'n1', principals: ['n1'], publicKeys: [key, key] }, /two ssh-ed25519 host keys/);
    await bad({ node: 'n1', principals: ['n1'], publicKeys: [key], validitySeconds: 0 }, /validity/);
    await bad({ node: 'n1', principals: ['n1'], publicKeys: [key], validitySeconds: 400 * 86400 }, /validity/);
    await bad({ node: 'n 1', principals: ['n1'], publicKeys: [key] }, /not a node name/);
  });
});

describe('certificate serials', () => {
  test('survive a clock stepped backwards', async () => {
    const file = join(dir, 'serial-test');
    const first = await nextSerial(file, () => 2_000_000_000_000);
    assert.equal(first, 2_000_000_000_000n << 20n);
    const second = await nextSerial(file, () => 1_000_000_000_000);
    assert.equal(second, first + 1n);
    assert.equal(await readFile(file, 'utf8'), `${second}\n`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('a damaged serial file is BERTH_CONFIG naming it', async () => {
    const file = join(dir, 'serial-bad');
    await writeFile(file, 'twelve\n');
    await assert.rejects(nextSerial(file), configError(file, /last SSH certificate serial/));
  });
});
