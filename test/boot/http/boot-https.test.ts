/**
 * Boot HTTPS for a trusting iPXE build, against a real `berth serve`: with a
 * build for berth's CA in <state dir>/ipxe/, its loaders replace Debian's,
 * and the machine's script comes over HTTPS with its kernel and initrd URLs
 * on HTTPS too; a client that trusts another CA is refused. A build for
 * another CA is not served at all. The build here is a fixture (build.json
 * and marker files for loaders): what is tested is what berth serves; the
 * real build and a VM booting through it are test/slow/trusting-ipxe.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensurePki } from '../../../src/server/pki.ts';
import { prepareStateDir, stateDirLayout } from '../../../src/state/state-dir.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function curl(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'latin1' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function writeBuild(stateDir: string, fingerprint: string, httpsPort: number): Buffer {
  const dir = stateDirLayout(stateDir).ipxe;
  mkdirSync(dir, { recursive: true });
  const loader = randomBytes(4096);
  writeFileSync(join(dir, 'undionly.kpxe'), loader);
  writeFileSync(join(dir, 'snponly.efi'), loader);
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ source: { origin: 'fixture', version: 'fixture' }, caFingerprintSha256: fingerprint, caSubject: 'CN=x', chainUrl: `https://\${next-server}:${httpsPort}/boot/ipxe/\${netX/mac}`, httpsPort, options: [], loaders: {}, builtAt: new Date().toISOString(), buildSeconds: 0 }));
  return loader;
}

describe('boot HTTPS with a trusting iPXE build', () => {
  let d: Daemon;
  let stateDir: string;
  let ca: string;
  let httpsPort: number;
  let loader: Buffer;
  const otherDir = mkdtempSync(join(tmpdir(), 'berth-other-ca-'));

  before(async () => {
    // First start makes the CA; the build is made for it; the next start serves it.
    const first = await startDaemon();
    stateDir = first.stateDir;
    await first.stop();
    ca = join(stateDir, 'public', 'ca.pem');
    const fingerprint = new X509Certificate(readFileSync(ca)).fingerprint256;
    httpsPort = await freePort();
    loader = writeBuild(stateDir, fingerprint, httpsPort);
    d = await startDaemon({ stateDir });
    const profile = join(stateDir, 'profiles', 'test');
    mkdirSync(profile, { recursive: true });
    writeFileSync(join(profile, 'vmlinuz'), 'kernel bytes');
    writeFileSync(join(profile, 'initrd.gz'), 'initrd bytes');
    writeFileSync(join(profile, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0\n');
    assert.equal(d.cli(['node', 'define', 'n1', 'net.boot.hwaddr=52:54:00:00:00:01', 'deployment.pending_profile=test']).code, 0);
    const { layout } = await prepareStateDir(otherDir);
    await ensurePki(layout, { addresses: ['127.0.0.1'], hostnames: ['localhost'] });
  });
  after(async () => {
    await d?.stop();
    d?.cleanup();
    rmSync(otherDir, { recursive: true, force: true });
  });

  test("the build's loaders replace Debian's (TFTP root and /boot/loader/)", () => {
    assert.deepEqual(readFileSync(join(stateDir, 'tftp', 'undionly.kpxe')), loader);
    const status = JSON.parse(d.cli(['boot', 'status', '--json']).stdout);
    assert.equal(status.httpsPort, httpsPort);
    assert.equal(status.loaders, 'trusting');
    assert.match(d.cli(['boot', 'status']).stdout, new RegExp(`boot HTTPS port ${httpsPort} \\(trusting iPXE\\)`));
    const got = spawnSync('curl', ['-sS', `http://127.0.0.1:${status.httpPort}/boot/loader/undionly.kpxe`]);
    assert.deepEqual(got.stdout, loader);
  });

  test("the machine's script over HTTPS, verified against berth's CA, with kernel and initrd on HTTPS", () => {
    const base = `https://127.0.0.1:${httpsPort}`;
    const r = curl(['--cacert', ca, `${base}/boot/ipxe/52:54:00:00:00:01`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^kernel --name vmlinuz https://127\\.0\\.0\\.1:${httpsPort}/boot/profiles/test/vmlinuz\\?node=n1 `, 'm'));
    assert.match(r.stdout, new RegExp(`^initrd --name initrd\\.gz https://127\\.0\\.0\\.1:${httpsPort}/boot/profiles/test/initrd\\.gz\\?node=n1$`, 'm'));
    assert.doesNotMatch(r.stdout, /http:\/\//, 'no URL in clear');
    assert.equal(curl(['--cacert', ca, `${base}/boot/profiles/test/vmlinuz?node=n1`]).stdout, 'kernel bytes');
  });

  test('a client trusting another CA is refused the HTTPS boot endpoint', () => {
    const r = curl(['--cacert', join(otherDir, 'public', 'ca.pem'), `https://127.0.0.1:${httpsPort}/boot/ipxe/52:54:00:00:00:01`]);
    assert.equal(r.code, 60, `curl: certificate problem expected, got ${r.code} ${r.stderr}`);
  });

  test('a build for another CA is not served: Debian\'s loaders and no HTTPS endpoint, with a warning', async () => {
    await d.stop();
    const otherFingerprint = new X509Certificate(readFileSync(join(otherDir, 'public', 'ca.pem'))).fingerprint256;
    writeBuild(stateDir, otherFingerprint, httpsPort);
    d = await startDaemon({ stateDir });
    assert.match(d.log(), /not serving the trusting iPXE build/);
    assert.notDeepEqual(readFileSync(join(stateDir, 'tftp', 'undionly.kpxe')), readFileSync(join(stateDir, 'ipxe', 'undionly.kpxe')));
    assert.deepEqual(readFileSync(join(stateDir, 'tftp', 'undionly.kpxe')), readFileSync('/usr/lib/ipxe/undionly.kpxe'));
    assert.equal(curl(['--cacert', ca, `https://127.0.0.1:${httpsPort}/boot/ipxe/52:54:00:00:00:01`]).code, 7, 'nothing listens');
    const status = JSON.parse(d.cli(['boot', 'status', '--json']).stdout);
    assert.equal(status.httpsPort, null);
    assert.equal(status.loaders, 'debian');
    assert.doesNotMatch(d.cli(['boot', 'status']).stdout, /HTTPS/);
  });
});
