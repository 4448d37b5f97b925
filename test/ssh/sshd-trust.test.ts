/**
 * End to end with real OpenSSH: an sshd serving a host key with a certificate
 * from berth's CA, and an ssh client whose only known_hosts entry is
 * berth's `@cert-authority` line, with strict host key checking and only
 * certificate host key algorithms. The client must accept the right
 * certificate and refuse one for another name, an expired one, and one from
 * another CA.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareStateDir } from '../../src/state/state-dir.ts';
import { signHostKeys } from '../../src/ssh/host-certificate.ts';
import { knownHostsLine } from '../../src/ssh/known-hosts.ts';
import { hostPrincipals } from '../../src/ssh/principals.ts';
import { ensureSshCa } from '../../src/ssh/ssh-ca.ts';
import type { SshCa } from '../../src/ssh/ssh-ca.ts';
import { run } from '../../src/util/run.ts';
import { missingSshPrerequisite, startSshLab } from '../helpers/ssh-lab.ts';
import type { SshLab } from '../helpers/ssh-lab.ts';

const missing = await missingSshPrerequisite();

describe('host certificates against real OpenSSH', { skip: missing }, () => {
  let dir: string;
  let lab: SshLab;
  let ca: SshCa;
  let otherCa: SshCa;
  let port = 2200;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ssh-trust-'));
    ca = await ensureSshCa((await prepareStateDir(join(dir, 'berth'))).layout);
    otherCa = await ensureSshCa((await prepareStateDir(join(dir, 'other-berth'))).layout);
    lab = await startSshLab();
  });

  after(async () => {
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A node's boot: fresh host key, certificate from `signer`, sshd serving both. */
  async function bootNode(signer: SshCa, principals: string[], validitySeconds?: number): Promise<number> {
    port += 1;
    const hostKey = join(dir, `host_key_${port}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { timeoutMs: 10_000 });
    const { certificates } = await signHostKeys(signer, {
      node: 'n1',
      principals,
      publicKeys: [await readFile(`${hostKey}.pub`, 'utf8')],
      ...(validitySeconds === undefined ? {} : { validitySeconds }),
    });
    await lab.startSshd({ port, hostKey, certificate: certificates[0]! });
    return port;
  }

  test('the @cert-authority line makes ssh trust a certificate naming the address and the host name', async () => {
    const served = await bootNode(ca, hostPrincipals('n1', { hostnames: ['n1.cluster.example.org'], addresses: [`${lab.host}/30`], extra: [] }));
    const knownHosts = `${knownHostsLine(ca)}\n`;
    const byAddress = await lab.ssh({ port: served, knownHosts });
    assert.equal(byAddress.code, 0, byAddress.stderr);
    assert.equal(byAddress.stdout.trim(), 'berth-ssh-ok');
    // What `ssh n1.cluster.example.org` and `ssh n1` check: the name as typed, here through HostKeyAlias.
    for (const alias of ['n1.cluster.example.org', 'n1', 'N1']) {
      const byName = await lab.ssh({ port: served, knownHosts, alias });
      assert.equal(byName.code, 0, `${alias}: ${byName.stderr}`);
    }
    // The patterns narrow which hosts the CA is trusted for.
    const narrowed = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(ca, ['*.cluster.example.org'])}\n`, alias: 'n1.cluster.example.org' });
    assert.equal(narrowed.code, 0, narrowed.stderr);
    const outside = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(ca, ['*.cluster.example.org'])}\n` });
    assert.equal(outside.code, 255);
    assert.match(outside.stderr, /Host key verification failed/);
  });

  test('a certificate for another name is refused', async () => {
    const served = await bootNode(ca, ['n2', 'n2.cluster.example.org', '10.99.0.2']);
    const result = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(ca)}\n` });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Certificate invalid: name is not a listed principal/);
    assert.match(result.stderr, /Host key verification failed/);
    const byName = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(ca)}\n`, alias: 'n1' });
    assert.equal(byName.code, 255);
    assert.match(byName.stderr, /name is not a listed principal/);
  });

  test('an expired certificate is refused', async () => {
    const served = await bootNode(ca, [lab.host], 1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const result = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(ca)}\n` });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Certificate invalid: expired/);
    assert.match(result.stderr, /Host key verification failed/);
  });

  test('a certificate from another CA is refused', async () => {
    const served = await bootNode(otherCa, [lab.host]);
    const result = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(ca)}\n` });
    assert.equal(result.code, 255);
    // ssh finds no trusted CA for the certificate, so it knows no key for the host at all.
    assert.match(result.stderr, /No ED25519 host key is known for/);
    assert.match(result.stderr, /Host key verification failed/);
    // The same server is trusted by its own CA's line: the refusal is about the CA, nothing else.
    const own = await lab.ssh({ port: served, knownHosts: `${knownHostsLine(otherCa)}\n` });
    assert.equal(own.code, 0, own.stderr);
  });
});
