import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStateDir, stateDirLayout } from '../../src/state/state-dir.ts';
import { BerthError } from '../../src/errors.ts';

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

test('layout names every path under the root', () => {
  const l = stateDirLayout('/srv/berth');
  assert.equal(l.storeDb, '/srv/berth/store.db');
  assert.equal(l.adminSocket, '/srv/berth/admin.sock');
  assert.equal(l.serverLock, '/srv/berth/server.lock');
  assert.equal(l.privateDir, '/srv/berth/private');
  assert.equal(l.tls.caKey, '/srv/berth/private/ca-key.pem');
  assert.equal(l.tls.publicCaCert, '/srv/berth/public/ca.pem');
  assert.equal(stateDirLayout().root, '/var/lib/berth');
});

test('creates the tree with exact modes despite the umask', async (t) => {
  const root = join(await scratch(t), 'a', 'state');
  const old = process.umask(0o077);
  try {
    const { layout, repairs } = await prepareStateDir(root);
    assert.deepEqual(repairs, []);
    assert.equal(await modeOf(layout.root), 0o755);
    assert.equal(await modeOf(layout.privateDir), 0o700);
    for (const d of [layout.images, layout.trees, layout.media, layout.profiles, layout.publicDir]) {
      assert.equal(await modeOf(d), 0o755, d);
    }
  } finally {
    process.umask(old);
  }
  // a second run changes nothing
  assert.deepEqual((await prepareStateDir(root)).repairs, []);
});

test('repairs a private/ and keys readable by others, and says so', async (t) => {
  const root = await scratch(t);
  const { layout } = await prepareStateDir(root);
  await chmod(layout.privateDir, 0o755);
  await writeFile(layout.tls.caKey, 'secret', { mode: 0o644 });
  await chmod(layout.tls.caKey, 0o644);
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m) } as never;
  const { repairs } = await prepareStateDir(root, log);
  assert.equal(repairs.length, 2);
  assert.equal(warnings.length, 2);
  assert.match(repairs[0]!, /private had mode 755.*changed mode .* to 0700/);
  assert.equal(await modeOf(layout.privateDir), 0o700);
  assert.equal(await modeOf(layout.tls.caKey), 0o600);
});

test('refuses a private/ that is a symlink or a file', async (t) => {
  const root = await scratch(t);
  await mkdir(join(root, 'elsewhere'));
  await symlink(join(root, 'elsewhere'), join(root, 'private'));
  await assert.rejects(prepareStateDir(root), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.code, 'BERTH_CONFIG');
    assert.match(e.message, /private is a symbolic link/);
    return true;
  });
  const root2 = await scratch(t);
  await writeFile(join(root2, 'images'), '');
  await assert.rejects(prepareStateDir(root2), /images is not a directory/);
});

test('follows a symlinked images/ (bulk data on another disk is normal)', async (t) => {
  const root = await scratch(t);
  await mkdir(join(root, 'bigdisk'));
  await symlink(join(root, 'bigdisk'), join(root, 'images'));
  await prepareStateDir(root);
});

test('fixes a group-writable root', async (t) => {
  const root = await scratch(t);
  await chmod(root, 0o777);
  const { repairs } = await prepareStateDir(root);
  assert.equal(repairs.length, 1);
  assert.equal(await modeOf(root), 0o755);
});
