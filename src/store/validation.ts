/**
 * What a kind, key and value may be, checked the same way by every Store
 * implementation so that a caller's mistake fails identically on SQLite,
 * in memory and on etcd.
 *
 * - kind: non-empty, no '/', because the etcd key is /berth/<kind>/<key> and a
 *   '/' in the kind would make ('a/b', 'c') and ('a', 'b/c') the same key.
 * - key: non-empty; '/' allowed (it is after the kind's delimiter).
 * - both: well-formed Unicode (no lone surrogates, which have no UTF-8 form,
 *   so SQLite would store U+FFFD and the key would silently change) and no
 *   U+0000 (SQLite's text functions stop at NUL; refusing it keeps every
 *   implementation's behaviour defined).
 * - value: anything JSON.stringify accepts; it is stored as that JSON text,
 *   so what comes back is what JSON round-trips to (undefined members drop,
 *   NaN becomes null), identically in every implementation.
 */
import { BerthError } from '../errors.ts';
import type { JsonValue } from './store.ts';

export function checkKind(kind: string): void {
  if (typeof kind !== 'string' || kind === '') throw bad(`store kind must be a non-empty string, got ${describe(kind)}`);
  if (kind.includes('/')) throw bad(`store kind '${kind}' must not contain '/'`);
  checkText('kind', kind);
}

export function checkKey(kind: string, key: string): void {
  if (typeof key !== 'string' || key === '') throw bad(`store key of kind '${kind}' must be a non-empty string, got ${describe(key)}`);
  checkText('key', key);
}

export function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw bad(`store list prefix must be a string, got ${describe(prefix)}`);
  checkText('prefix', prefix);
}

/** The JSON text a value is stored as. */
export function encodeValue(kind: string, key: string, value: JsonValue): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw bad(`value for ${kind}/${key} is not JSON-serialisable: ${(e as Error).message}`);
  }
  if (json === undefined) throw bad(`value for ${kind}/${key} is not JSON-serialisable (${describe(value)})`);
  return json;
}

function checkText(what: string, text: string): void {
  if (!text.isWellFormed()) throw bad(`store ${what} ${JSON.stringify(text)} contains a lone surrogate (not valid Unicode)`);
  if (text.includes('\u0000')) throw bad(`store ${what} ${JSON.stringify(text)} contains U+0000`);
}

function describe(v: unknown): string {
  return v === undefined ? 'undefined' : typeof v === 'string' ? "''" : typeof v;
}

function bad(message: string): BerthError {
  return new BerthError('BERTH_BAD_INPUT', message);
}
