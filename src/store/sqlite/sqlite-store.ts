/**
 * The single-server Store: one SQLite file (store.db in the state dir) opened
 * with Node's built-in node:sqlite. See ../README.md for the design and for
 * how the etcd implementation maps onto the same interface.
 *
 * Two connections to the same file:
 * - the writer runs every `write` as BEGIN IMMEDIATE ... COMMIT. IMMEDIATE
 *   takes the database write lock up front, so a second process (which berth
 *   does not intend, but a stray `berth` run against a live state dir could
 *   be) waits up to the busy timeout instead of interleaving; the revision is
 *   read under that lock so two processes can never hand out the same one.
 * - the reader serves `read` and `revision`. In WAL mode it sees the last
 *   committed state and never the writer's open transaction, which is what
 *   etcd gives too: a `read` called from inside a write callback does not see
 *   that transaction's puts (the transaction's own reader does).
 */
import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { BerthError } from '../../errors.ts';
import { requireSynchronous, scopedReader, scopedTransaction } from '../callback-scope.ts';
import { ChangeListeners } from '../listeners.ts';
import type { JsonValue, Store, StoreChange, StoreReader, StoreTransaction } from '../store.ts';
import { TransactionChanges } from '../transaction-changes.ts';
import { checkKey, checkKind, checkPrefix, encodeValue } from '../validation.ts';
import { WriteQueue } from '../write-queue.ts';
import { DocumentReadQueries, DocumentWriteQueries } from './document-queries.ts';
import { migrate } from './migrations.ts';
import { storeFailure } from './store-failure.ts';

export interface SqliteStoreOptions {
  /**
   * How long a write waits for another process's write lock before failing
   * with BERTH_STORE. Writes are synchronous, so this blocks the event loop
   * for at most that long; it only ever happens with a second process.
   * Default 5000.
   */
  busyTimeoutMs?: number;
  /**
   * 'full' (default): each commit is fsynced, so it survives power loss, as
   * an etcd commit does. 'normal': a commit survives the process being
   * killed but the last commits may be lost (never corrupted) on power loss
   * or OS crash; for tests and throwaway stores.
   */
  synchronous?: 'full' | 'normal';
  /** How many revisions of the change log to keep (migration 2). Default 10,000. */
  changeLogRevisions?: number;
}

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const synchronous = options.synchronous ?? 'full';
  const changeLogRevisions = options.changeLogRevisions ?? 10_000;

  keepOwnerOnly(path);
  const writer = connect(path, busyTimeoutMs, 'opening');
  let reader: DatabaseSync | undefined;
  try {
    configureWriter(writer, path, synchronous);
    migrate(writer, path);
    reader = connect(path, busyTimeoutMs, 'opening a reader on');
    reader.exec('PRAGMA query_only = ON');
    return new SqliteStore(path, writer, reader, changeLogRevisions);
  } catch (e) {
    reader?.close();
    writer.close();
    throw storeFailure(path, 'opening the store', e);
  }
}

/** The database file and the two SQLite keeps beside it in WAL mode; all hold documents (password hashes included). */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * The store holds what the API masks (crypted.* hashes, token hashes), so its
 * files are 0600. SQLite creates the -wal and -shm files with the mode of the
 * database file (os_unix.c, findCreateFileMode and unixOpenSharedMemory), so
 * creating store.db 0600 before SQLite first opens it is enough for new
 * files; files left 0644 by an older berth or a restore are tightened here
 * (the server also reports it: server/state-dir.ts).
 */
function keepOwnerOnly(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600));
    for (const file of sqliteFiles(path)) {
      let mode: number;
      try {
        mode = statSync(file).mode;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
    }
  } catch (e) {
    throw storeFailure(path, 'making the database files private', e);
  }
}

function connect(path: string, busyTimeoutMs: number, what: string): DatabaseSync {
  try {
    return new DatabaseSync(path, { timeout: busyTimeoutMs });
  } catch (e) {
    throw storeFailure(path, `${what} the database`, e);
  }
}

function configureWriter(db: DatabaseSync, path: string, synchronous: 'full' | 'normal'): void {
  // WAL: readers never block the writer nor see its open transaction, and a
  // commit is an append to the -wal file, so a process killed mid-commit
  // leaves a torn tail that recovery ignores (the transaction is absent).
  const mode = (db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
  if (mode !== 'wal') {
    throw new BerthError('BERTH_STORE', `${path}: cannot switch to WAL journal mode (got '${mode}')`, { file: path });
  }
  db.exec(`PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // A 100,000-document transaction grows the WAL to tens of MB; after the
  // checkpoint, truncate it back instead of keeping that space forever.
  db.exec('PRAGMA journal_size_limit = 67108864');
}

class SqliteStore implements Store {
  readonly #path: string;
  readonly #writer: DatabaseSync;
  readonly #reader: DatabaseSync;
  readonly #writeQueries: DocumentWriteQueries;
  readonly #readQueries: DocumentReadQueries;
  readonly #changeLogRevisions: number;
  readonly #listeners = new ChangeListeners();
  readonly #writes = new WriteQueue();
  #closed = false;

  constructor(path: string, writer: DatabaseSync, reader: DatabaseSync, changeLogRevisions: number) {
    this.#path = path;
    this.#writer = writer;
    this.#reader = reader;
    this.#changeLogRevisions = changeLogRevisions;
    this.#writeQueries = new DocumentWriteQueries(writer);
    this.#readQueries = new DocumentReadQueries(reader);
  }

  async read<T>(fn: (reader: StoreReader) => T): Promise<T> {
    this.#ensureOpen();
    const db = this.#reader;
    // A read started inside another read's callback shares its snapshot.
    const outer = !db.isTransaction;
    // Deferred BEGIN: the snapshot is fixed by the first SELECT and holds for
    // every statement until COMMIT, so a multi-list read is consistent.
    if (outer) this.#sql(() => db.exec('BEGIN'), 'starting a read transaction');
    const scope = { live: true };
    try {
      const result = fn(scopedReader(this.#readerOn(this.#readQueries), scope));
      requireSynchronous(result, 'read');
      return result;
    } finally {
      scope.live = false;
      if (outer) this.#sql(() => db.exec('COMMIT'), 'ending a read transaction');
    }
  }

  write<T>(fn: (tx: StoreTransaction) => T): Promise<T> {
    return this.#writes.run(() => this.#runWrite(fn));
  }

  async revision(): Promise<number> {
    this.#ensureOpen();
    return this.#sql(() => this.#readQueries.revision(), 'reading the revision');
  }

  onChange(listener: (changes: StoreChange[]) => void): () => void {
    return this.#listeners.add(listener);
  }

  close(): Promise<void> {
    // Queued behind any running write so a close from inside a callback or
    // listener does not pull the connection out from under a transaction.
    return this.#writes.run(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#sql(() => {
        this.#reader.close();
        this.#writer.exec('PRAGMA optimize');
        this.#writer.close();
      }, 'closing the database');
    });
  }

  #runWrite<T>(fn: (tx: StoreTransaction) => T): T {
    this.#ensureOpen();
    const db = this.#writer;
    const q = this.#writeQueries;
    this.#sql(() => db.exec('BEGIN IMMEDIATE'), 'starting a write transaction');
    let result: T;
    let changes: TransactionChanges;
    let next: number;
    try {
      next = this.#sql(() => q.revision(), 'reading the revision') + 1;
      changes = new TransactionChanges();
      const scope = { live: true };
      try {
        result = fn(scopedTransaction(this.#transaction(q, changes, next), scope));
        requireSynchronous(result, 'write');
      } finally {
        scope.live = false;
      }
      if (changes.isEmpty()) {
        // Nothing to keep (reads only, or a key created and deleted again):
        // the revision does not move and nothing is reported.
        this.#sql(() => db.exec('ROLLBACK'), 'ending a read-only write transaction');
        return result;
      }
      this.#sql(() => {
        for (const c of changes.net()) q.logChange(next, c.kind, c.key, c.json === undefined);
        q.commitRevision(next, next - this.#changeLogRevisions);
        db.exec('COMMIT');
      }, `committing revision ${next}`);
    } catch (e) {
      // SQLite may already have rolled back by itself (e.g. on a full disk).
      if (db.isTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // The original error says more than a failed rollback would.
        }
      }
      throw e;
    }
    if (this.#listeners.size > 0) this.#listeners.emit(changes.toStoreChanges(next));
    return result;
  }

  /** The transaction handed to a write callback: reads see its own writes. */
  #transaction(q: DocumentWriteQueries, changes: TransactionChanges, revision: number): StoreTransaction {
    return {
      ...this.#readerOn(q),
      put: (kind: string, key: string, value: JsonValue) => {
        checkKind(kind);
        checkKey(kind, key);
        const json = encodeValue(kind, key, value);
        const existed = this.#sql(() => q.put(kind, key, json, revision), `writing ${kind}/${key}`);
        changes.put(kind, key, json, existed);
      },
      delete: (kind: string, key: string) => {
        checkKind(kind);
        checkKey(kind, key);
        const existed = this.#sql(() => q.delete(kind, key), `deleting ${kind}/${key}`);
        if (existed) changes.delete(kind, key);
        return existed;
      },
    };
  }

  /** Validating reader over one connection's statements. */
  #readerOn(q: DocumentReadQueries): StoreReader {
    return {
      get: <T = JsonValue>(kind: string, key: string) => {
        checkKind(kind);
        checkKey(kind, key);
        return this.#sql(() => q.get<T>(kind, key), `reading ${kind}/${key}`);
      },
      list: <T = JsonValue>(kind: string, prefix = '') => {
        checkKind(kind);
        checkPrefix(prefix);
        return this.#sql(() => q.list<T>(kind, prefix), `listing ${kind}/${prefix}*`);
      },
      count: (kind: string) => {
        checkKind(kind);
        return this.#sql(() => q.count(kind), `counting ${kind}`);
      },
    };
  }

  /** Runs SQLite calls, turning their errors into BERTH_STORE naming the file. */
  #sql<T>(fn: () => T, what: string): T {
    try {
      return fn();
    } catch (e) {
      throw storeFailure(this.#path, what, e);
    }
  }

  #ensureOpen(): void {
    if (this.#closed) throw new BerthError('BERTH_STORE', `${this.#path}: store is closed`, { file: this.#path });
  }
}
