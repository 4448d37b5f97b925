/**
 * store.db and its -wal/-shm files hold the password hashes the API masks:
 * a real daemon creates them 0600, keeps them so through writes, and repairs
 * a store.db left 0644 (older berth, restore from backup) at the next start.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';

const HASH = '$6$saltsalt$' + 'a'.repeat(86);

function modes(stateDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['store.db', 'store.db-wal', 'store.db-shm']) {
    const path = join(stateDir, name);
    out[name] = existsSync(path) ? (statSync(path).mode & 0o777).toString(8) : 'absent';
  }
  return out;
}

test('store.db, -wal and -shm are 0600 from the start, after writes, and repaired at the next start', async () => {
  const first = await startDaemon();
  try {
    const all600 = { 'store.db': '600', 'store.db-wal': '600', 'store.db-shm': '600' };
    assert.deepEqual(modes(first.stateDir), all600, 'after start');
    const defined = first.cli(['node', 'define', 'n[1-3]', `crypted.rootpassword=${HASH}`]);
    assert.equal(defined.code, 0, defined.stderr);
    assert.deepEqual(modes(first.stateDir), all600, 'after a write');
    await first.stop();

    chmodSync(join(first.stateDir, 'store.db'), 0o644);
    const second = await startDaemon({ stateDir: first.stateDir });
    try {
      assert.deepEqual(modes(second.stateDir), all600, 'after restart');
      assert.match(second.log(), /store\.db was readable by group or others, and it holds password hashes; changed mode of \S+store\.db to 0600/);
      assert.doesNotMatch(second.log(), /\$6\$saltsalt/);
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    first.cleanup();
  }
});
