/**
 * Admin API tokens for remote use over HTTPS. The secret is shown once at
 * creation; the store keeps only its SHA-256 (the secret is 32 random bytes,
 * so a slow password hash would add nothing). The token names its own id so
 * verification is one lookup and one constant-time compare.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BerthError } from '../errors.ts';
import type { Store } from '../store/store.ts';

const KIND = 'token';
const FORMAT = /^berth_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

export interface TokenInfo {
  id: string;
  name: string;
  created: string;
  /** ISO time after which the token is refused; absent = no expiry. */
  expires?: string;
}

interface StoredToken {
  name: string;
  created: string;
  expires?: string;
  sha256: string;
}

export class TokenService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async create(name: string, expires?: Date): Promise<{ token: string; info: TokenInfo }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name)) {
      throw new BerthError('BERTH_BAD_INPUT', `token name '${name}' must be 1-64 letters, digits, '-', '_', '.', '@'`);
    }
    if (expires !== undefined && expires.getTime() <= Date.now()) {
      throw new BerthError('BERTH_BAD_INPUT', `token expiry ${expires.toISOString()} is in the past`);
    }
    const id = randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(-10);
    const secret = randomBytes(32).toString('base64url');
    const token = `berth_${id}_${secret}`;
    const stored: StoredToken = { name, created: new Date().toISOString(), sha256: sha256(token) };
    if (expires) stored.expires = expires.toISOString();
    await this.#store.write((tx) => {
      for (const doc of tx.list<StoredToken>(KIND)) {
        if (doc.value.name === name) throw new BerthError('BERTH_EXISTS', `a token named '${name}' already exists`);
      }
      tx.put(KIND, id, { ...stored });
    });
    return { token, info: toInfo(id, stored) };
  }

  async list(): Promise<TokenInfo[]> {
    return this.#store.read((reader) => reader.list<StoredToken>(KIND).map((doc) => toInfo(doc.key, doc.value)));
  }

  /** Revokes by id or by name. */
  async revoke(idOrName: string): Promise<TokenInfo> {
    return this.#store.write((tx) => {
      const doc = tx.get<StoredToken>(KIND, idOrName) ?? tx.list<StoredToken>(KIND).find((d) => d.value.name === idOrName);
      if (!doc) throw new BerthError('BERTH_NOT_FOUND', `no token with id or name '${idOrName}'`);
      tx.delete(KIND, doc.key);
      return toInfo(doc.key, doc.value);
    });
  }

  async verify(token: string): Promise<TokenInfo | undefined> {
    const match = FORMAT.exec(token);
    if (!match) return undefined;
    const id = match[1]!;
    const doc = await this.#store.read((reader) => reader.get<StoredToken>(KIND, id));
    if (!doc) return undefined;
    const expected = Buffer.from(doc.value.sha256, 'hex');
    const actual = Buffer.from(sha256(token), 'hex');
    if (!timingSafeEqual(expected, actual)) return undefined;
    if (doc.value.expires !== undefined && Date.parse(doc.value.expires) <= Date.now()) return undefined;
    return toInfo(id, doc.value);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toInfo(id: string, stored: StoredToken): TokenInfo {
  const info: TokenInfo = { id, name: stored.name, created: stored.created };
  if (stored.expires !== undefined) info.expires = stored.expires;
  return info;
}
