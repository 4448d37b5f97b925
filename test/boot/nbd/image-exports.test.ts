/**
 * The NBD server inside `berth serve`: every packed version is an export
 * named `name@n`, the bytes are the version's artifact, `latest` and unknown
 * names are refused, the clients show in `berth boot status`, and a version
 * a node is reading over NBD is not removed from under it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../../../src/util/run.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';
import { writeFakeImageVersion } from '../../helpers/fake-image-version.ts';
import { RawClient } from './client-wire.ts';

let daemon: Daemon;
let port: number;

before(async () => {
  daemon = await startDaemon();
  await writeFakeImageVersion(daemon.stateDir, 'compute', 1, { artifactBytes: 3 * 4096 + 8192 });
  await writeFakeImageVersion(daemon.stateDir, 'compute', 2);
  const status = JSON.parse(daemon.cli(['boot', 'status', '--json']).stdout);
  port = status.nbd.port;
  assert.ok(port > 0, 'the NBD server listens');
});
after(async () => {
  await daemon?.stop();
});

test('each packed version is an export with its artifact as the bytes', async () => {
  const list = await run('nbdinfo', ['--list', '--json', `nbd://127.0.0.1:${port}`], { timeoutMs: 20_000 });
  const names = (JSON.parse(list.stdout).exports as { 'export-name': string; 'export-size': number }[]).map((e) => `${e['export-name']}=${e['export-size']}`).sort();
  assert.deepEqual(names, ['compute@1=20480', 'compute@2=12288']);
  const copy = await run('sh', ['-c', `nbdcopy nbd://127.0.0.1:${port}/compute@1 - | sha256sum`], { timeoutMs: 20_000 });
  const artifact = readFileSync(join(daemon.stateDir, 'images/compute/1/root.img'));
  assert.equal(copy.stdout.split(' ')[0], createHash('sha256').update(artifact).digest('hex'));
});

test('latest, unknown versions and names that are not image refs are not exports', async () => {
  for (const name of ['compute@latest', 'compute', 'compute@3', 'other@1', '../x@1']) {
    const r = await run('nbdinfo', [`nbd://127.0.0.1:${port}/${encodeURIComponent(name)}`], { timeoutMs: 20_000, allowedExitCodes: [0, 1] });
    assert.equal(r.code, 1, `${name} is refused`);
  }
});

test('a connected reader shows in boot status, and its version is not removed from under it', async () => {
  const client = await RawClient.connect(port);
  try {
    await client.handshake();
    assert.equal(await client.go('compute@2'), 12288);
    const status = JSON.parse(daemon.cli(['boot', 'status', '--json']).stdout);
    const clients = status.nbd.clients as { export: string; ip: string; node: string | null }[];
    assert.deepEqual(clients.map((c) => [c.export, c.ip, c.node]), [['compute@2', '127.0.0.1', null]]);
    const refused = daemon.cli(['image', 'remove', 'compute@2']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /compute@2 is the root of tethered nodes reading it over NBD now: 127\.0\.0\.1/);
    const removedOther = daemon.cli(['image', 'remove', 'compute@1']);
    assert.equal(removedOther.code, 0, removedOther.stderr);
  } finally {
    client.close();
  }
});
