import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../src/errors.ts';
import { listFromSql, listRangeSql } from '../../src/store/sqlite/document-queries.ts';
import { migrate } from '../../src/store/sqlite/migrations.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { storeConformance } from './conformance.ts';
import { tempDir } from './temp-dir.ts';

storeConformance('sqlite', async () => {
  const temp = await tempDir('store');
  const path = join(temp.dir, 'store.db');
  const opened: Store[] = [await openSqliteStore(path)];
  return {
    store: opened[0]!,
    reopen: async () => {
      const store = await openSqliteStore(path);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await temp.remove();
    },
  };
});

describe('SQLite store specifics', () => {
  it('opens the file in WAL mode', async () => {
    const temp = await tempDir('store');
    const path = join(temp.dir, 'store.db');
    try {
      await (await openSqliteStore(path)).close();
      const raw = new DatabaseSync(path);
      assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      raw.close();
    } finally {
      await temp.remove();
    }
  });

  it('serves list from a primary-key range search, not a scan', () => {
    const db = new DatabaseSync(':memory:');
    migrate(db, ':memory:');
    const plan = (sql: string, ...params: string[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
    const range = plan(listRangeSql, 'node', 'a', 'b');
    assert.match(range, /SEARCH documents USING PRIMARY KEY \(kind=\? AND key>\? AND key<\?\)/);
    assert.doesNotMatch(range, /TEMP B-TREE/, 'rows come out of the index already ordered');
    assert.match(plan(listFromSql, 'node', 'a'), /SEARCH documents USING PRIMARY KEY \(kind=\? AND key>\?\)/);
    db.close();
  });

  it('reports an unopenable file as BERTH_STORE naming it', async () => {
    const path = '/nonexistent-dir/for/berth/store.db';
    await assert.rejects(openSqliteStore(path), (e: unknown) => {
      return e instanceof BerthError && e.code === 'BERTH_STORE' && e.message.includes(path) && e.where.file === path;
    });
  });

  it('keeps revisions unique across two connections to one file', async () => {
    // Two Store objects on one file stand in for two processes: each write
    // must read the revision under the write lock, or both would hand out
    // the same number.
    const temp = await tempDir('store');
    const path = join(temp.dir, 'store.db');
    const a = await openSqliteStore(path, { synchronous: 'normal' });
    const b = await openSqliteStore(path, { synchronous: 'normal' });
    try {
      await a.write((tx) => tx.put('counter', 'c', 0));
      const increment = (store: Store) =>
        store.write((tx) => {
          tx.put('counter', 'c', tx.get<number>('counter', 'c')!.value + 1);
        });
      await Promise.all(Array.from({ length: 40 }, (_, i) => increment(i % 2 ? a : b)));
      assert.deepEqual(await b.read((r) => r.get('counter', 'c')), { kind: 'counter', key: 'c', value: 40, modRevision: 41 });
      assert.equal(await a.revision(), 41);
    } finally {
      await a.close();
      await b.close();
      await temp.remove();
    }
  });

  it('waits for another process holding the write lock, up to the busy timeout', async () => {
    const temp = await tempDir('store');
    const path = join(temp.dir, 'store.db');
    const store = await openSqliteStore(path, { busyTimeoutMs: 5000 });
    const impatient = await openSqliteStore(path, { busyTimeoutMs: 50 });
    try {
      const holder = await holdWriteLock(path, 400);
      const started = performance.now();
      await assert.rejects(
        impatient.write((tx) => tx.put('node', 'x', 1)),
        (e: unknown) => e instanceof BerthError && e.code === 'BERTH_STORE' && e.message.includes(path) && /locked/.test(e.message),
      );
      await store.write((tx) => tx.put('node', 'a', 1));
      const waited = performance.now() - started;
      assert.ok(waited >= 250, `the write waited for the lock (${waited.toFixed(0)} ms)`);
      await holder.exited;
      assert.equal(await store.revision(), 1);
    } finally {
      await store.close();
      await impatient.close();
      await temp.remove();
    }
  });
});

/** Starts a child that holds the write lock for `ms`; resolves once it has it. */
async function holdWriteLock(path: string, ms: number): Promise<{ exited: Promise<void> }> {
  const fixture = fileURLToPath(new URL('./fixtures/hold-write-lock.ts', import.meta.url));
  const child = spawn(process.execPath, [fixture, path, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => assert.equal(code, 0, 'lock holder exit code'));
  for await (const chunk of child.stdout) if (String(chunk).includes('locked')) break;
  return { exited };
}
