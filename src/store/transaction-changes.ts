/**
 * What one transaction changed, key by key, so every implementation reports
 * the same thing to `onChange` and advances the revision by the same rule:
 *
 * - one StoreChange per key, carrying the key's final value (several puts to
 *   one key in a transaction are one change), in the order keys were first
 *   written;
 * - a put always counts, even of an identical value (as in etcd, where every
 *   put gets a new mod revision);
 * - a delete counts only if the key existed; a key created and deleted in the
 *   same transaction is no change at all.
 *
 * A transaction whose net change list is empty does not advance the revision
 * and is not reported.
 */
import type { StoreChange } from './store.ts';

interface KeyChange {
  kind: string;
  key: string;
  existedBefore: boolean;
  /** Final JSON text; undefined when the key ends up deleted. */
  json: string | undefined;
}

export class TransactionChanges {
  readonly #byKey = new Map<string, KeyChange>();

  /** `existed`: whether the key existed just before this put. */
  put(kind: string, key: string, json: string, existed: boolean): void {
    const id = kind + '\u0000' + key;
    const seen = this.#byKey.get(id);
    if (seen) seen.json = json;
    else this.#byKey.set(id, { kind, key, existedBefore: existed, json });
  }

  /** Call only when the delete removed something. */
  delete(kind: string, key: string): void {
    const id = kind + '\u0000' + key;
    const seen = this.#byKey.get(id);
    if (seen) seen.json = undefined;
    else this.#byKey.set(id, { kind, key, existedBefore: true, json: undefined });
  }

  /** The net changes, as raw JSON (not yet parsed; only listeners need values). */
  *net(): Generator<KeyChange> {
    for (const change of this.#byKey.values()) {
      if (change.json === undefined && !change.existedBefore) continue;
      yield change;
    }
  }

  isEmpty(): boolean {
    for (const _ of this.net()) return false;
    return true;
  }

  /** Parsed changes for onChange listeners. */
  toStoreChanges(revision: number): StoreChange[] {
    const out: StoreChange[] = [];
    for (const c of this.net()) {
      out.push({ revision, kind: c.kind, key: c.key, value: c.json === undefined ? undefined : JSON.parse(c.json) });
    }
    return out;
  }
}
