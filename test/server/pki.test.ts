import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { createServer } from 'node:https';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ensurePki, listServerAddresses } from '../../src/server/pki.ts';
import { prepareStateDir } from '../../src/state/state-dir.ts';
import type { StateDirLayout } from '../../src/state/state-dir.ts';
import { run } from '../../src/util/run.ts';
import { BerthError } from '../../src/errors.ts';

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<StateDirLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-pki-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return (await prepareStateDir(dir)).layout;
}

const names = { addresses: ['127.0.0.1', '::1', '192.0.2.10'], hostnames: ['localhost', 'berth.example'] };

async function sanOf(certPath: string): Promise<string> {
  const { stdout } = await run('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', certPath]);
  return stdout.split('\n')[1]!.trim();
}

/** Handshake with only the CA as trust; resolves to the verification error, or 'ok'. */
async function handshake(port: number, ca: string, name: string): Promise<string> {
  // An IP literal is checked against IP SANs from `host`; a name is sent as SNI and checked against DNS SANs.
  const socket = connect(isIP(name) ? { host: name, port, ca } : { host: '127.0.0.1', port, ca, servername: name });
  try {
    await once(socket, 'secureConnect');
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  } finally {
    socket.destroy();
  }
}

test('first start makes a CA and a server certificate a client trusts with only the CA', async (t) => {
  const layout = await scratch(t);
  const pki = await ensurePki(layout, names);

  const server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (_req, res) => res.end('hi'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;

  assert.equal(await handshake(port, pki.caCertPem, '127.0.0.1'), 'ok');
  assert.equal(await handshake(port, pki.caCertPem, 'localhost'), 'ok');
  assert.equal(await handshake(port, pki.caCertPem, 'berth.example'), 'ok');
  assert.equal(await handshake(port, pki.caCertPem, 'other.example'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  // and a client without the CA does not trust it
  const systemOnly = await new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost' }, () => resolve('ok'));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  assert.notEqual(systemOnly, 'ok');

  const san = (await sanOf(layout.tls.serverCert)).split(', ').sort();
  assert.deepEqual(san, ['DNS:berth.example', 'DNS:localhost', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:127.0.0.1', 'IP Address:192.0.2.10']);
});

test('certificate properties: CA constraints, server usage, lifetimes, file modes', async (t) => {
  const layout = await scratch(t);
  const pki = await ensurePki(layout, names);
  const ca = new X509Certificate(pki.caCertPem);
  const leaf = new X509Certificate(pki.serverCertPem);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.checkIssued(ca));
  assert.equal(pki.caFingerprintSha256, ca.fingerprint256);
  assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const days = (c: X509Certificate) => Math.round((new Date(c.validTo).getTime() - Date.now()) / 86_400_000);
  assert.equal(days(ca), 3650);
  assert.equal(days(leaf), 825);

  const text = (await run('openssl', ['x509', '-noout', '-text', '-in', layout.tls.serverCert])).stdout;
  assert.match(text, /Extended Key Usage: *\n\s*TLS Web Server Authentication/);
  const caText = (await run('openssl', ['x509', '-noout', '-text', '-in', layout.tls.caCert])).stdout;
  assert.match(caText, /Basic Constraints: critical\n\s*CA:TRUE/);
  assert.match(caText, /Key Usage: critical\n\s*Certificate Sign, CRL Sign/);

  for (const key of [layout.tls.caKey, layout.tls.serverKey]) assert.equal((await stat(key)).mode & 0o777, 0o600, key);
  assert.equal(await readFile(layout.tls.publicCaCert, 'utf8'), pki.caCertPem);
});

test('later starts reuse everything', async (t) => {
  const layout = await scratch(t);
  const first = await ensurePki(layout, names);
  const second = await ensurePki(layout, { addresses: [...names.addresses].reverse(), hostnames: ['LOCALHOST', 'berth.example'] });
  assert.deepEqual(second, first);
});

test('changed addresses re-issue the server certificate from the same CA', async (t) => {
  const layout = await scratch(t);
  const first = await ensurePki(layout, names);
  const messages: string[] = [];
  const log = { info: (m: string, f: { reason?: string }) => messages.push(`${m}: ${f.reason}`), warn: () => {} } as never;
  const second = await ensurePki(layout, { ...names, addresses: [...names.addresses, '2001:db8::7'] }, { log });
  assert.equal(second.caCertPem, first.caCertPem);
  assert.equal(second.caFingerprintSha256, first.caFingerprintSha256);
  assert.notEqual(second.serverCertPem, first.serverCertPem);
  assert.ok(new X509Certificate(second.serverCertPem).checkIssued(new X509Certificate(first.caCertPem)));
  assert.match(await sanOf(layout.tls.serverCert), /IP Address:2001:DB8:0:0:0:0:0:7/);
  assert.deepEqual(messages, ['re-issuing TLS server certificate: names changed (added: IP:2001:db8::7; removed: none)']);
});

test('a lost server certificate is re-issued; a lost CA key is refused, never replaced', async (t) => {
  const layout = await scratch(t);
  const first = await ensurePki(layout, names);
  await unlink(layout.tls.serverCert);
  const second = await ensurePki(layout, names);
  assert.equal(second.caCertPem, first.caCertPem);

  await unlink(layout.tls.caKey);
  await assert.rejects(ensurePki(layout, names), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.code, 'BERTH_CONFIG');
    assert.match(e.message, /ca\.pem exists but its key .* is missing/);
    return true;
  });
});

test('a CA key without its certificate (crash on first start) gets a certificate for the same key', async (t) => {
  const layout = await scratch(t);
  const first = await ensurePki(layout, names);
  await unlink(layout.tls.caCert);
  const second = await ensurePki(layout, names);
  assert.notEqual(second.caCertPem, first.caCertPem);
  // same key and subject: the old server certificate still verifies and is kept
  assert.equal(second.serverCertPem, first.serverCertPem);
  assert.equal(new X509Certificate(second.caCertPem).subject, new X509Certificate(first.caCertPem).subject);
});

test('names that could inject openssl config are refused', async (t) => {
  const layout = await scratch(t);
  await assert.rejects(ensurePki(layout, { addresses: [], hostnames: ['a\n[ca_ext]'] }), /not a host name/);
  await assert.rejects(ensurePki(layout, { addresses: ['1.2.3'], hostnames: [] }), /not an IP address/);
});

test('listServerAddresses includes loopback and the host name', () => {
  const { addresses, hostnames } = listServerAddresses();
  assert.ok(addresses.includes('127.0.0.1'));
  assert.ok(addresses.includes('::1'));
  assert.ok(hostnames.includes('localhost'));
  assert.equal(new Set(addresses).size, addresses.length);
});
