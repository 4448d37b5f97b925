/**
 * The SQLite schema, as numbered steps. `PRAGMA user_version` holds the number
 * of the last step applied; each step runs in its own IMMEDIATE transaction
 * together with the user_version bump, so a crash mid-upgrade leaves the
 * database at the previous version, never between two.
 *
 * Steps are append-only: once released, a step never changes; a fix is a new
 * step. A database whose version is above the last step known here was
 * written by a newer berth, and opening it is refused rather than guessed at.
 */
import type { DatabaseSync } from 'node:sqlite';
import { BerthError } from '../../errors.ts';
import { storeFailure } from './store-failure.ts';

export interface Migration {
  version: number;
  description: string;
  up(db: DatabaseSync): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'documents keyed by (kind, key) and the global revision',
    up(db) {
      // WITHOUT ROWID: the table itself is the (kind, key) B-tree, so `list`
      // is one range scan with no second lookup per row, and the order it
      // returns is the BINARY collation, i.e. UTF-8 byte order.
      db.exec(`
        CREATE TABLE documents (
          kind         TEXT    NOT NULL,
          key          TEXT    NOT NULL,
          value        TEXT    NOT NULL,  -- JSON text
          mod_revision INTEGER NOT NULL,
          PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        CREATE TABLE meta (
          id       INTEGER PRIMARY KEY CHECK (id = 1),
          revision INTEGER NOT NULL
        );
        INSERT INTO meta (id, revision) VALUES (1, 0);
      `);
    },
  },
  {
    version: 2,
    description: 'change log: which keys each revision changed, for watch resume',
    up(db) {
      // etcd can replay history from a revision until it is compacted; this
      // log gives the SQLite store the same ability (a watcher that was away
      // can ask "what changed since revision N" and re-read those keys).
      // compacted_revision: history at or below it is gone. It starts at the
      // current revision because nothing before the upgrade was logged.
      db.exec(`
        CREATE TABLE changes (
          revision INTEGER NOT NULL,
          kind     TEXT    NOT NULL,
          key      TEXT    NOT NULL,
          deleted  INTEGER NOT NULL CHECK (deleted IN (0, 1)),
          PRIMARY KEY (revision, kind, key)
        ) WITHOUT ROWID;
        ALTER TABLE meta ADD COLUMN compacted_revision INTEGER NOT NULL DEFAULT 0;
        UPDATE meta SET compacted_revision = revision;
      `);
    },
  },
];

export const knownSchemaVersion = migrations[migrations.length - 1]!.version;

export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
}

/**
 * Brings the database at `path` up to `target` (default: the newest step).
 * `target` exists so tests can build an old-version database.
 */
export function migrate(db: DatabaseSync, path: string, target = knownSchemaVersion): void {
  const fileName = path.split('/').pop() || path;
  const found = read(path, () => schemaVersion(db));
  if (found > knownSchemaVersion) {
    throw new BerthError(
      'BERTH_STORE',
      `${fileName} schema version ${found} is newer than this berth (knows up to ${knownSchemaVersion}); upgrade berth`,
      { file: path },
    );
  }
  for (const step of migrations) {
    if (step.version > target) break;
    if (step.version <= found) continue;
    try {
      db.exec('BEGIN IMMEDIATE');
      // Re-read under the write lock: another process may have just done it.
      if (schemaVersion(db) < step.version) {
        step.up(db);
        db.exec(`PRAGMA user_version = ${step.version}`);
      }
      db.exec('COMMIT');
    } catch (e) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw storeFailure(path, `schema migration ${step.version} (${step.description})`, e);
    }
  }
}

function read<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storeFailure(path, 'reading the schema version', e);
  }
}
