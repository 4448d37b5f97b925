/**
 * `berth boot build-ipxe` refusing what cannot work, before compiling and
 * without leaving anything behind: no CA yet, a build tool missing, a source
 * that is no iPXE tree, a source too old to verify berth's EC certificates.
 * (The real build and a VM booting through it: test/slow/trusting-ipxe.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildTrustingIpxe, missingBuildPackages } from '../../../../src/boot/ipxe/build/ipxe-build.ts';
import { ensurePki } from '../../../../src/server/pki.ts';
import { prepareStateDir } from '../../../../src/state/state-dir.ts';
import type { StateDirLayout } from '../../../../src/state/state-dir.ts';
import { nullLogger } from '../../../../src/util/logger.ts';
import { BERTH } from '../../../helpers/daemon.ts';

describe('berth boot build-ipxe: bad inputs', () => {
  let dir: string;
  let layout: StateDirLayout;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ipxe-build-'));
    ({ layout } = await prepareStateDir(join(dir, 'state')));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const nothingWritten = async () => {
    assert.equal(existsSync(layout.ipxe), false, 'no ipxe/ published');
    const scratch = await readdir(join(layout.cache, 'ipxe')).catch(() => []);
    assert.deepEqual(scratch.filter((f) => f.startsWith('build-')), [], 'no scratch build folder left');
  };

  test('no CA yet: says to start berth serve once, through the real CLI too', async () => {
    await assert.rejects(buildTrustingIpxe({ layout, httpsPort: 4433, log: nullLogger() }), (e: any) => e.code === 'BERTH_CONFIG' && e.message.includes(layout.tls.publicCaCert) && /berth serve/.test(e.message));
    const r = spawnSync(BERTH, ['boot', 'build-ipxe', '--state-dir', layout.root], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no berth CA at .*public\/ca\.pem: start berth serve once/);
    await nothingWritten();
  });

  test('a build tool missing: names the Debian packages to install', async () => {
    await ensurePki(layout, { addresses: ['127.0.0.1'], hostnames: ['localhost'] });
    assert.deepEqual((await missingBuildPackages('/nonexistent')).filter((p) => p !== 'liblzma-dev'), ['gcc', 'make', 'perl', 'binutils', 'xz-utils']);
    await assert.rejects(
      buildTrustingIpxe({ layout, httpsPort: 4433, path: '/nonexistent', log: nullLogger() }),
      (e: any) => e.code === 'BERTH_CONFIG' && /needs the Debian packages gcc, make, perl, binutils, xz-utils/.test(e.message) && /apt-get install gcc make perl/.test(e.message) && /--install-deps/.test(e.message),
    );
    await nothingWritten();
  });

  test('a --source that is no iPXE tree, or does not exist', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await assert.rejects(buildTrustingIpxe({ layout, httpsPort: 4433, source: empty, log: nullLogger() }), (e: any) => e.code === 'BERTH_BAD_INPUT' && /not an iPXE source tree \(no src\/Makefile/.test(e.message));
    await assert.rejects(buildTrustingIpxe({ layout, httpsPort: 4433, source: join(dir, 'missing'), log: nullLogger() }), (e: any) => e.code === 'BERTH_BAD_INPUT' && /does not exist/.test(e.message));
    await assert.rejects(buildTrustingIpxe({ layout, httpsPort: 4433, source: join(dir, 'x.zip'), log: nullLogger() }), (e: any) => e.code === 'BERTH_BAD_INPUT');
    await nothingWritten();
  });

  test('a source without ECDSA (Debian 12 and 13 iPXE) is refused before compiling: berth\'s CA is EC P-256', async () => {
    const old = join(dir, 'old-ipxe');
    await mkdir(join(old, 'src', 'crypto'), { recursive: true });
    await writeFile(join(old, 'src', 'Makefile'), 'all:\n\tfalse\n');
    await writeFile(join(old, 'src', 'crypto', 'rsa.c'), '');
    await assert.rejects(
      buildTrustingIpxe({ layout, httpsPort: 4433, source: old, log: nullLogger() }),
      (e: any) => e.code === 'BERTH_BAD_INPUT' && /EC P-256/.test(e.message) && /no ECDSA support/.test(e.message) && /--source/.test(e.message),
    );
    await nothingWritten();
  });
});
