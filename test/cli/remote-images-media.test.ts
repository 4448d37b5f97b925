/**
 * The read-only image and media commands from another machine: `image
 * list/show/versions/diff` and `media list/show` with --server answer what
 * they answer on the server host itself, through the API (only building,
 * packing and importing, which move gigabytes, stay on the server host).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MediaRepository } from '../../src/media/media-repository.ts';
import { stateDirLayout } from '../../src/state/state-dir.ts';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';
import { writeFixtureMedia } from '../helpers/fixture-media.ts';

describe('image and media commands against a remote server', () => {
  let d: Daemon;
  let remote: Record<string, string>;
  let scratch: string;
  const local = (args: string[]) => {
    const r = d.cli(args, { env: { BERTH_STATE_DIR: d.stateDir } });
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const far = (args: string[]) => {
    const r = d.cli(args, { env: remote });
    assert.equal(r.code, 0, `berth ${args.join(' ')} --server: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startDaemon();
    await writeFakeImageVersion(d.stateDir, 'compute', 1);
    await writeFakeImageVersion(d.stateDir, 'compute', 2);
    await mkdir(join(d.stateDir, 'trees', 'fresh', 'root'), { recursive: true });
    scratch = mkdtempSync(join(tmpdir(), 'berth-media-'));
    await new MediaRepository(stateDirLayout(d.stateDir)).import(writeFixtureMedia('debian-12.5', join(scratch, 'debian')), { name: 'deb12' });
    await mkdir(join(d.stateDir, 'profiles', 'deb12-default'), { recursive: true });
    await writeFile(join(d.stateDir, 'profiles', 'deb12-default', 'profile.yaml'), 'media: deb12\n');
    const token = d.cli(['token', 'create', 'far']);
    assert.equal(token.code, 0, token.stderr);
    // Nothing of the server's files is reachable from "there": no socket, no state dir.
    remote = {
      BERTH_SERVER: `127.0.0.1:${d.httpsPort}`,
      BERTH_TOKEN: token.stdout.trim(),
      BERTH_CA: join(d.stateDir, 'public/ca.pem'),
      BERTH_SOCKET: '/nonexistent/admin.sock',
      BERTH_STATE_DIR: '/nonexistent',
    };
  });
  after(async () => {
    await d.stop();
    d.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  for (const args of [
    ['image', 'list'],
    ['image', 'show', 'compute'],
    ['image', 'show', 'compute@1', '--packages'],
    ['image', 'show', 'fresh'],
    ['image', 'versions', 'compute'],
    ['image', 'diff', 'compute@1', 'compute@2'],
    ['media', 'list'],
    ['media', 'show', 'deb12'],
  ]) {
    test(`${args.join(' ')}: the same answer from the server host and through --server`, () => {
      const here = local(args);
      assert.equal(far(args), here);
      assert.deepEqual(JSON.parse(far([...args, '--json'])), JSON.parse(local([...args, '--json'])));
    });
  }

  test('what the output says', () => {
    assert.match(far(['image', 'list']), /^compute +@2 +2 /m);
    assert.match(far(['image', 'versions', 'compute']), /^compute@1 /m);
    assert.match(far(['image', 'show', 'fresh']), /tree only/);
    assert.match(far(['media', 'list']), /^deb12 +debian +12/m);
    assert.match(far(['media', 'show', 'deb12']), /^deb12: profiles: deb12-default$/m);
  });

  test('a missing image or media is not found (exit 3), remote as local', () => {
    for (const args of [['image', 'show', 'nosuch'], ['image', 'versions', 'nosuch'], ['image', 'show', 'compute@9'], ['media', 'show', 'nosuch']]) {
      const r = d.cli(args, { env: remote });
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});
