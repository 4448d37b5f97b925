/**
 * The store is berth's only durable state besides bulk files under the state
 * dir. It is a versioned key/value space of JSON documents grouped by `kind`
 * ("node", "group", "token", ...), because that maps one-to-one onto etcd
 * (key = /berth/<kind>/<key>, mod revision per key, one global revision), so
 * the HA collective can swap the SQLite implementation for an etcd one and the
 * same conformance suite (test/store/conformance.ts) proves both.
 *
 * Every change goes through `write`, which is all-or-nothing: a change to
 * 10,000 nodes that fails on the 9,999th leaves the store as it was.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface StoredDocument<T = JsonValue> {
  kind: string;
  key: string;
  value: T;
  /** Store revision of the transaction that last wrote this key. */
  modRevision: number;
}

export interface StoreReader {
  get<T = JsonValue>(kind: string, key: string): StoredDocument<T> | undefined;
  /** All documents of a kind whose key starts with `prefix`, ordered by key (byte order). */
  list<T = JsonValue>(kind: string, prefix?: string): StoredDocument<T>[];
  count(kind: string): number;
}

export interface StoreTransaction extends StoreReader {
  put(kind: string, key: string, value: JsonValue): void;
  /** Returns whether the key existed. */
  delete(kind: string, key: string): boolean;
}

export interface StoreChange {
  revision: number;
  kind: string;
  key: string;
  /** undefined when deleted */
  value: JsonValue | undefined;
}

export interface Store {
  /** Consistent snapshot read. */
  read<T>(fn: (reader: StoreReader) => T): Promise<T>;
  /**
   * Runs `fn` as one transaction: either every put/delete it made is applied
   * (and the revision advances by one) or, if it throws, none is. Writers are
   * serialised. The callback is synchronous on purpose: a transaction must not
   * wait on the network while holding the write lock.
   */
  write<T>(fn: (tx: StoreTransaction) => T): Promise<T>;
  /** Current global revision; 0 for an empty store. */
  revision(): Promise<number>;
  /** Called after each committed transaction with its changes, in commit order. */
  onChange(listener: (changes: StoreChange[]) => void): () => void;
  close(): Promise<void>;
}
