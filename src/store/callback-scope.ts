/**
 * The reader or transaction handed to a `read`/`write` callback is valid only
 * while that callback runs. Two ways to break that, both bugs, both refused
 * the same way by every implementation:
 *
 * - an async callback: the transaction would commit at its first `await`
 *   and later puts would land outside it (or, on SQLite, in someone else's);
 * - keeping the handle and using it after the callback returned.
 */
import { BerthError } from '../errors.ts';
import type { JsonValue, StoreReader, StoreTransaction } from './store.ts';

export interface Scope {
  live: boolean;
}

export function scopedReader(reader: StoreReader, scope: Scope): StoreReader {
  return {
    get<T = JsonValue>(kind: string, key: string) {
      check(scope);
      return reader.get<T>(kind, key);
    },
    list<T = JsonValue>(kind: string, prefix?: string) {
      check(scope);
      return reader.list<T>(kind, prefix);
    },
    count(kind: string) {
      check(scope);
      return reader.count(kind);
    },
  };
}

export function scopedTransaction(tx: StoreTransaction, scope: Scope): StoreTransaction {
  return {
    ...scopedReader(tx, scope),
    put(kind: string, key: string, value: JsonValue) {
      check(scope);
      tx.put(kind, key, value);
    },
    delete(kind: string, key: string) {
      check(scope);
      return tx.delete(kind, key);
    },
  };
}

/** Throws if a callback returned a promise (it was async). */
export function requireSynchronous(result: unknown, what: 'read' | 'write'): void {
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    // Swallow its outcome: we are reporting the misuse instead.
    Promise.resolve(result).catch(() => undefined);
    throw new BerthError('BERTH_INTERNAL', `store.${what} callback returned a promise; store callbacks must be synchronous`);
  }
}

function check(scope: Scope): void {
  if (!scope.live) throw new BerthError('BERTH_INTERNAL', 'store transaction used after its callback returned');
}
