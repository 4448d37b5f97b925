/**
 * The prepared statements of one SQLite connection, prepared once at open
 * (preparing is parsing and planning SQL; doing it per call would dominate a
 * 100,000-put transaction). The store has two connections, a writer and a
 * reader, and each gets its own set.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { prefixUpperBound } from '../key-order.ts';
import type { StoredDocument } from '../store.ts';

/** [key, value, mod_revision]: rows as arrays, which node:sqlite builds faster than objects. */
type ListRow = [string, string, number];

// Prefix as a key range on the primary key, not LIKE/GLOB: LIKE is
// case-insensitive for ASCII and treats % and _ as wildcards, and neither
// would use the index with default settings. Exported so a test can check
// the query plan is a primary-key range search.
export const listFromSql = 'SELECT key, value, mod_revision FROM documents WHERE kind = ? AND key >= ? ORDER BY key';
export const listRangeSql =
  'SELECT key, value, mod_revision FROM documents WHERE kind = ? AND key >= ? AND key < ? ORDER BY key';

export class DocumentReadQueries {
  readonly #get: StatementSync;
  readonly #listFrom: StatementSync;
  readonly #listRange: StatementSync;
  readonly #count: StatementSync;
  readonly #revision: StatementSync;

  constructor(db: DatabaseSync) {
    this.#get = db.prepare('SELECT value, mod_revision FROM documents WHERE kind = ? AND key = ?');
    this.#listFrom = db.prepare(listFromSql, { returnArrays: true });
    this.#listRange = db.prepare(listRangeSql, { returnArrays: true });
    this.#count = db.prepare('SELECT count(*) AS n FROM documents WHERE kind = ?');
    this.#revision = db.prepare('SELECT revision FROM meta WHERE id = 1');
  }

  get<T>(kind: string, key: string): StoredDocument<T> | undefined {
    const row = this.#get.get(kind, key) as { value: string; mod_revision: number } | undefined;
    return row && { kind, key, value: JSON.parse(row.value) as T, modRevision: row.mod_revision };
  }

  list<T>(kind: string, prefix: string): StoredDocument<T>[] {
    const bound = prefixUpperBound(prefix);
    const rows = (bound === undefined ? this.#listFrom.all(kind, prefix) : this.#listRange.all(kind, prefix, bound)) as unknown as ListRow[];
    const out = new Array<StoredDocument<T>>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [key, value, modRevision] = rows[i]!;
      out[i] = { kind, key, value: JSON.parse(value) as T, modRevision };
    }
    return out;
  }

  count(kind: string): number {
    return (this.#count.get(kind) as { n: number }).n;
  }

  revision(): number {
    return (this.#revision.get() as { revision: number }).revision;
  }
}

export class DocumentWriteQueries extends DocumentReadQueries {
  readonly #insertNew: StatementSync;
  readonly #update: StatementSync;
  readonly #delete: StatementSync;
  readonly #logChange: StatementSync;
  readonly #compact: StatementSync;
  readonly #setRevision: StatementSync;

  constructor(db: DatabaseSync) {
    super(db);
    // Insert-or-ignore, then update if ignored: one statement for a new key
    // and, unlike an upsert, it tells us whether the key existed, which the
    // change list needs (see transaction-changes.ts).
    this.#insertNew = db.prepare(
      'INSERT INTO documents (kind, key, value, mod_revision) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO NOTHING',
    );
    this.#update = db.prepare('UPDATE documents SET value = ?, mod_revision = ? WHERE kind = ? AND key = ?');
    this.#delete = db.prepare('DELETE FROM documents WHERE kind = ? AND key = ?');
    this.#logChange = db.prepare('INSERT INTO changes (revision, kind, key, deleted) VALUES (?, ?, ?, ?)');
    this.#compact = db.prepare('DELETE FROM changes WHERE revision <= ?');
    this.#setRevision = db.prepare(
      'UPDATE meta SET revision = ?, compacted_revision = max(compacted_revision, ?) WHERE id = 1',
    );
  }

  /** Returns whether the key existed before. */
  put(kind: string, key: string, json: string, revision: number): boolean {
    if (Number(this.#insertNew.run(kind, key, json, revision).changes) === 1) return false;
    this.#update.run(json, revision, kind, key);
    return true;
  }

  /** Returns whether the key existed. */
  delete(kind: string, key: string): boolean {
    return Number(this.#delete.run(kind, key).changes) === 1;
  }

  logChange(revision: number, kind: string, key: string, deleted: boolean): void {
    this.#logChange.run(revision, kind, key, deleted ? 1 : 0);
  }

  /** Sets the revision and drops change-log entries at or below `compactTo`. */
  commitRevision(revision: number, compactTo: number): void {
    if (compactTo > 0) this.#compact.run(compactTo);
    this.#setRevision.run(revision, Math.max(0, compactTo));
  }
}
