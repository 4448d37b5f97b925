/**
 * An in-memory Store for unit tests of other modules: same semantics as the
 * SQLite store (it passes the same conformance suite), nothing on disk.
 *
 * Values are kept as JSON text, exactly like SQLite, so a test against this
 * store sees the same round-trip behaviour (and cannot mutate stored state
 * through an object it put or got).
 *
 * A transaction writes into an overlay that is merged into the committed maps
 * only when the callback returns, so a throw needs no undo and `read` during a
 * transaction still sees the committed state.
 */
import { BerthError } from '../errors.ts';
import { requireSynchronous, scopedReader, scopedTransaction } from './callback-scope.ts';
import { compareKeys } from './key-order.ts';
import { ChangeListeners } from './listeners.ts';
import type { JsonValue, Store, StoreChange, StoreReader, StoredDocument, StoreTransaction } from './store.ts';
import { TransactionChanges } from './transaction-changes.ts';
import { checkKey, checkKind, checkPrefix, encodeValue } from './validation.ts';
import { WriteQueue } from './write-queue.ts';

interface Row {
  json: string;
  modRevision: number;
}

/** One kind's documents, with its keys sorted lazily for `list`. */
class KindTable {
  readonly rows = new Map<string, Row>();
  #sorted: string[] | undefined;

  set(key: string, row: Row): void {
    if (!this.rows.has(key)) this.#sorted = undefined;
    this.rows.set(key, row);
  }

  delete(key: string): void {
    if (this.rows.delete(key)) this.#sorted = undefined;
  }

  /** Keys starting with `prefix`, in key order. */
  keys(prefix: string): string[] {
    this.#sorted ??= [...this.rows.keys()].sort(compareKeys);
    const sorted = this.#sorted;
    // Keys with a prefix are contiguous in key order: binary-search the first.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(sorted[mid]!, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < sorted.length && sorted[i]!.startsWith(prefix); i++) out.push(sorted[i]!);
    return out;
  }
}

function toDocument<T>(kind: string, key: string, row: Row): StoredDocument<T> {
  return { kind, key, value: JSON.parse(row.json) as T, modRevision: row.modRevision };
}

export function createMemoryStore(): Store {
  const kinds = new Map<string, KindTable>();
  const listeners = new ChangeListeners();
  const writes = new WriteQueue();
  let revision = 0;
  let closed = false;

  const table = (kind: string): KindTable | undefined => kinds.get(kind);

  const committed: StoreReader = {
    get<T = JsonValue>(kind: string, key: string) {
      checkKind(kind);
      checkKey(kind, key);
      const row = table(kind)?.rows.get(key);
      return row && toDocument<T>(kind, key, row);
    },
    list<T = JsonValue>(kind: string, prefix = '') {
      checkKind(kind);
      checkPrefix(prefix);
      const t = table(kind);
      if (!t) return [];
      return t.keys(prefix).map((key) => toDocument<T>(kind, key, t.rows.get(key)!));
    },
    count(kind: string) {
      checkKind(kind);
      return table(kind)?.rows.size ?? 0;
    },
  };

  function ensureOpen(): void {
    if (closed) throw new BerthError('BERTH_STORE', 'memory store is closed');
  }

  function runWrite<T>(fn: (tx: StoreTransaction) => T): T {
    ensureOpen();
    const next = revision + 1;
    // kind -> key -> pending row (undefined = deleted in this transaction)
    const overlay = new Map<string, Map<string, Row | undefined>>();
    const changes = new TransactionChanges();

    const pending = (kind: string, key: string): Row | undefined => {
      const o = overlay.get(kind);
      if (o?.has(key)) return o.get(key);
      return table(kind)?.rows.get(key);
    };
    const stage = (kind: string, key: string, row: Row | undefined): void => {
      let o = overlay.get(kind);
      if (!o) overlay.set(kind, (o = new Map()));
      o.set(key, row);
    };

    const tx: StoreTransaction = {
      get<T = JsonValue>(kind: string, key: string) {
        checkKind(kind);
        checkKey(kind, key);
        const row = pending(kind, key);
        return row && toDocument<T>(kind, key, row);
      },
      list<T = JsonValue>(kind: string, prefix = '') {
        checkKind(kind);
        checkPrefix(prefix);
        const o = overlay.get(kind);
        if (!o) return committed.list<T>(kind, prefix);
        const keys = new Set(table(kind)?.keys(prefix));
        for (const [key, row] of o) {
          if (!key.startsWith(prefix)) continue;
          if (row) keys.add(key);
          else keys.delete(key);
        }
        return [...keys].sort(compareKeys).map((key) => toDocument<T>(kind, key, pending(kind, key)!));
      },
      count(kind: string) {
        checkKind(kind);
        let n = table(kind)?.rows.size ?? 0;
        for (const [key, row] of overlay.get(kind) ?? []) {
          const before = table(kind)?.rows.has(key) ?? false;
          n += (row ? 1 : 0) - (before ? 1 : 0);
        }
        return n;
      },
      put(kind: string, key: string, value: JsonValue) {
        checkKind(kind);
        checkKey(kind, key);
        const json = encodeValue(kind, key, value);
        changes.put(kind, key, json, pending(kind, key) !== undefined);
        stage(kind, key, { json, modRevision: next });
      },
      delete(kind: string, key: string) {
        checkKind(kind);
        checkKey(kind, key);
        if (pending(kind, key) === undefined) return false;
        changes.delete(kind, key);
        stage(kind, key, undefined);
        return true;
      },
    };

    const scope = { live: true };
    let result: T;
    try {
      result = fn(scopedTransaction(tx, scope));
      requireSynchronous(result, 'write');
    } finally {
      scope.live = false;
    }
    if (changes.isEmpty()) return result;

    for (const [kind, rows] of overlay) {
      let t = kinds.get(kind);
      if (!t) kinds.set(kind, (t = new KindTable()));
      for (const [key, row] of rows) {
        if (row) t.set(key, row);
        else t.delete(key);
      }
      if (t.rows.size === 0) kinds.delete(kind);
    }
    revision = next;
    if (listeners.size > 0) listeners.emit(changes.toStoreChanges(next));
    return result;
  }

  return {
    async read<T>(fn: (reader: StoreReader) => T): Promise<T> {
      ensureOpen();
      const scope = { live: true };
      try {
        const result = fn(scopedReader(committed, scope));
        requireSynchronous(result, 'read');
        return result;
      } finally {
        scope.live = false;
      }
    },
    write<T>(fn: (tx: StoreTransaction) => T): Promise<T> {
      return writes.run(() => runWrite(fn));
    },
    async revision() {
      ensureOpen();
      return revision;
    },
    onChange(listener: (changes: StoreChange[]) => void) {
      return listeners.add(listener);
    },
    async close() {
      closed = true;
    },
  };
}
