import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { knownSchemaVersion, migrate, migrations, schemaVersion } from '../../src/store/sqlite/migrations.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from './temp-dir.ts';

describe('SQLite schema migrations', () => {
  it('numbers steps 1, 2, 3... with no gaps', () => {
    assert.deepEqual(migrations.map((m) => m.version), Array.from({ length: migrations.length }, (_, i) => i + 1));
    assert.equal(knownSchemaVersion, migrations.length);
  });

  it('creates a new database at the newest version', async () => {
    const temp = await tempDir('migrate');
    const path = join(temp.dir, 'store.db');
    try {
      await (await openSqliteStore(path)).close();
      const raw = new DatabaseSync(path);
      assert.equal(schemaVersion(raw), knownSchemaVersion);
      raw.close();
    } finally {
      await temp.remove();
    }
  });

  it('upgrades a version-1 database, keeping its documents and revision', async () => {
    const temp = await tempDir('migrate');
    const path = join(temp.dir, 'store.db');
    try {
      const old = new DatabaseSync(path);
      migrate(old, path, 1);
      assert.equal(schemaVersion(old), 1);
      old.exec(`INSERT INTO documents VALUES ('node', 'n1', '{"a":1}', 7); UPDATE meta SET revision = 7;`);
      old.close();

      const store = await openSqliteStore(path);
      assert.equal(await store.revision(), 7);
      assert.deepEqual(await store.read((r) => r.get('node', 'n1')), { kind: 'node', key: 'n1', value: { a: 1 }, modRevision: 7 });
      await store.write((tx) => {
        tx.put('node', 'n2', 2);
        tx.delete('node', 'n1');
      });
      await store.close();

      const raw = new DatabaseSync(path);
      assert.equal(schemaVersion(raw), 2);
      // History before the upgrade was never logged, so it counts as compacted.
      assert.deepEqual({ ...raw.prepare('SELECT revision, compacted_revision FROM meta').get() }, { revision: 8, compacted_revision: 7 });
      assert.deepEqual(
        raw.prepare('SELECT revision, kind, key, deleted FROM changes ORDER BY revision, kind, key').all().map((r) => ({ ...r })),
        [
          { revision: 8, kind: 'node', key: 'n1', deleted: 1 },
          { revision: 8, kind: 'node', key: 'n2', deleted: 0 },
        ],
      );
      raw.close();
    } finally {
      await temp.remove();
    }
  });

  it('compacts the change log to the configured number of revisions', async () => {
    const temp = await tempDir('migrate');
    const path = join(temp.dir, 'store.db');
    try {
      const store = await openSqliteStore(path, { changeLogRevisions: 3 });
      for (let i = 0; i < 10; i++) await store.write((tx) => tx.put('node', `n${i}`, i));
      await store.close();
      const raw = new DatabaseSync(path);
      assert.deepEqual(raw.prepare('SELECT revision FROM changes ORDER BY revision').all().map((r) => r.revision), [8, 9, 10]);
      assert.equal(raw.prepare('SELECT compacted_revision FROM meta').get()!.compacted_revision, 7);
      raw.close();
    } finally {
      await temp.remove();
    }
  });

  it('refuses a database written by a newer berth', async () => {
    const temp = await tempDir('migrate');
    const path = join(temp.dir, 'store.db');
    try {
      const raw = new DatabaseSync(path);
      raw.exec('PRAGMA user_version = 7');
      raw.close();
      await assert.rejects(openSqliteStore(path), (e: unknown) => {
        assert.ok(e instanceof BerthError);
        assert.equal(e.code, 'BERTH_STORE');
        assert.equal(e.message, `store.db schema version 7 is newer than this berth (knows up to ${knownSchemaVersion}); upgrade berth`);
        assert.equal(e.where.file, path);
        return true;
      });
      const after = new DatabaseSync(path);
      assert.equal(schemaVersion(after), 7, 'left untouched');
      after.close();
    } finally {
      await temp.remove();
    }
  });

  it('rolls a failing step back whole, leaving the previous version', async () => {
    const temp = await tempDir('migrate');
    const path = join(temp.dir, 'store.db');
    try {
      const raw = new DatabaseSync(path);
      migrate(raw, path, 1);
      // Make step 2 fail halfway: its CREATE TABLE succeeds, then ALTER
      // TABLE meta hits a column that already exists.
      raw.exec('ALTER TABLE meta ADD COLUMN compacted_revision INTEGER');
      assert.throws(
        () => migrate(raw, path),
        (e: unknown) => e instanceof BerthError && e.code === 'BERTH_STORE' && /schema migration 2/.test(e.message) && e.message.includes(path),
      );
      assert.equal(schemaVersion(raw), 1);
      assert.equal(raw.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'changes'").get()!.n, 0);
      raw.close();
    } finally {
      await temp.remove();
    }
  });
});
