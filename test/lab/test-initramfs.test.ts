import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildTestInitramfs, formatMarker, markerPattern, parseMarker } from '../../src/lab/test-initramfs.ts';
import { run } from '../../src/util/run.ts';

describe('test initramfs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-initramfs-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('is reproducible: two builds from scratch give the same bytes, cached under a name from the content', async () => {
    const first = await buildTestInitramfs();
    const again = await buildTestInitramfs({ cacheDir: join(scratch, 'cache'), busybox: await busyboxOf(first.path) });
    assert.equal(again.sha256, first.sha256);
    assert.match(first.path, /\/initramfs\/test-[0-9a-f]{16}\.cpio\.gz$/);
  });

  it('holds a static busybox, /bin/sh, /init and /dev/console', async () => {
    const { path } = await buildTestInitramfs();
    const { stdout } = await run('cpio', ['-it', '--quiet'], { input: gunzipSync(readFileSync(path)) });
    for (const p of ['bin/busybox', 'bin/sh', 'init', 'dev/console']) assert.ok(stdout.split('\n').includes(p), `${p} is in the archive`);
  });

  it('marker lines parse back into node, MAC and UUID', () => {
    const marker = { node: 'n0001', mac: '52:54:00:aa:bb:01', uuid: '6f1c0c51-1e7e-4d43-9f0f-1a2b3c4d5e6f' };
    const line = `[    3.2] noise\n${formatMarker(marker)}\r\n`;
    assert.deepEqual(parseMarker(line.match(markerPattern)!), marker);
  });

  /** Extracts bin/busybox from a built image into the scratch dir, as a busybox source for a fresh build. */
  async function busyboxOf(image: string): Promise<string> {
    const dir = join(scratch, 'extract');
    mkdirSync(dir, { recursive: true });
    await run('cpio', ['-id', '--quiet', 'bin/busybox'], { input: gunzipSync(readFileSync(image)), cwd: dir });
    return join(dir, 'bin/busybox');
  }
});
