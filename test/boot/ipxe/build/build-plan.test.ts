/** What a trusting iPXE build asks of iPXE's build system, decided from berth's real CA (server/pki.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IPXE_TARGETS, ipxeBuildPlan, parseBuildMetadata } from '../../../../src/boot/ipxe/build/build-plan.ts';
import { ensurePki } from '../../../../src/server/pki.ts';
import { prepareStateDir, stateDirLayout } from '../../../../src/state/state-dir.ts';

describe('trusting iPXE build plan', () => {
  let dir: string;
  let caPem: string;
  let serverPem: string;
  let fingerprint: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ipxe-plan-'));
    const { layout } = await prepareStateDir(dir);
    const pki = await ensurePki(layout, { addresses: ['127.0.0.1'], hostnames: ['localhost'] });
    caPem = await readFile(stateDirLayout(dir).tls.publicCaCert, 'utf8');
    serverPem = pki.serverCertPem;
    fingerprint = pki.caFingerprintSha256;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('HTTPS and the image trust commands on, no cross-signing downloads, berth CA as the only root and embedded, the chaining script embedded', () => {
    const plan = ipxeBuildPlan({ caPem, caFile: 'ca.pem', httpsPort: 4433 });
    assert.deepEqual(Object.keys(plan.configHeaders), ['general.h', 'crypto.h']);
    assert.match(plan.configHeaders['general.h']!, /^#define DOWNLOAD_PROTO_HTTPS$/m);
    assert.match(plan.configHeaders['general.h']!, /^#define IMAGE_TRUST_CMD$/m);
    assert.match(plan.configHeaders['crypto.h']!, /^#define CROSSCERT ""$/m, 'no cross-signed certificates fetched from ca.ipxe.org');
    assert.equal(plan.caFingerprintSha256, fingerprint);
    assert.equal(plan.caKeyType, 'ec');
    assert.equal(plan.chainUrl, 'https://${next-server}:4433/boot/ipxe/${netX/mac}');
    assert.match(plan.embeddedScript, /^#!ipxe\n/);
    assert.match(plan.embeddedScript, /^dhcp \|\| goto failed$/m);
    assert.match(plan.embeddedScript, /^chain --replace --autofree https:\/\/\$\{next-server\}:4433\/boot\/ipxe\/\$\{netX\/mac\} \|\| goto failed$/m);
    assert.doesNotMatch(plan.embeddedScript, /http:\/\//, 'nothing in clear');
    const args = plan.makeArgs({ ca: '/b/ca.pem', script: '/b/embed.ipxe', jobs: 2 });
    assert.deepEqual(args, ['-C', 'src', '-j2', 'NO_WERROR=1', 'TRUST=/b/ca.pem', 'CERT=/b/ca.pem', 'EMBED=/b/embed.ipxe', ...Object.values(IPXE_TARGETS)]);
    assert.deepEqual(Object.values(IPXE_TARGETS), ['bin/undionly.kpxe', 'bin-x86_64-efi/snponly.efi', 'bin-x86_64-efi/ipxe.efi']);
  });

  test('a fixed chain host and port', () => {
    const plan = ipxeBuildPlan({ caPem, caFile: 'ca.pem', httpsPort: 9443, server: 'boot.example.org' });
    assert.equal(plan.chainUrl, 'https://boot.example.org:9443/boot/ipxe/${netX/mac}');
  });

  test('bad inputs: a host that would inject iPXE commands, a port out of range, no certificate, a certificate that is no CA', () => {
    for (const server of ['a;shell', 'x y', '${ip}', 'h\nshell', '']) {
      assert.throws(() => ipxeBuildPlan({ caPem, caFile: 'ca.pem', httpsPort: 4433, server }), (e: any) => e.code === 'BERTH_BAD_INPUT' && /--chain-host/.test(e.message), server);
    }
    for (const port of [0, 65536, 1.5, Number.NaN]) {
      assert.throws(() => ipxeBuildPlan({ caPem, caFile: 'ca.pem', httpsPort: port }), (e: any) => e.code === 'BERTH_BAD_INPUT' && /--https-port/.test(e.message));
    }
    assert.throws(() => ipxeBuildPlan({ caPem: 'not a certificate', caFile: '/s/public/ca.pem', httpsPort: 4433 }), (e: any) => e.code === 'BERTH_CONFIG' && e.message.includes('/s/public/ca.pem'));
    assert.throws(() => ipxeBuildPlan({ caPem: serverPem, caFile: 'server.pem', httpsPort: 4433 }), (e: any) => e.code === 'BERTH_CONFIG' && /not a CA/.test(e.message));
  });

  test('build.json: damaged metadata is BERTH_CORRUPT, naming the file', () => {
    for (const text of ['{', '{}', '{"caFingerprintSha256":"AB","httpsPort":"x","loaders":{}}']) {
      assert.throws(() => parseBuildMetadata(text, '/s/ipxe/build.json'), (e: any) => e.code === 'BERTH_CORRUPT' && e.message.includes('/s/ipxe/build.json'));
    }
  });
});
