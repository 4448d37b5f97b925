/**
 * Admin API tokens for remote use over HTTPS. The secret is shown once at
 * creation; the store keeps only its SHA-256 (the secret is 32 random bytes,
 * so a slow password hash would add nothing). The token names its own id so
 * verification is one lookup and one constant-time compare.
 *
 * A token can create tokens (so automation can hand out narrower-lived
 * ones), but never one that outlives it: each token records its creator, a
 * created token expires no later than its creator (a request without an
 * expiry inherits the creator's), and revoking a token revokes every token
 * it created, transitively. Only the unix socket (root) or a token without
 * expiry can create a token without expiry. Otherwise a stolen one-hour
 * token would be a permanent one.
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
  /** Id of the token that created this one; absent = created on the unix socket. */
  createdBy?: string;
}

interface StoredToken {
  name: string;
  created: string;
  expires?: string;
  createdBy?: string;
  sha256: string;
}

/** Who asks for a token: the unix socket (undefined) or the id of the bearer token used. */
export interface TokenCreator {
  tokenId: string;
}

export class TokenService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async create(name: string, expires?: Date, creator?: TokenCreator): Promise<{ token: string; info: TokenInfo }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name)) {
      throw new BerthError('BERTH_BAD_INPUT', `token name '${name}' must be 1-64 letters, digits, '-', '_', '.', '@'`);
    }
    const id = randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(-10);
    const secret = randomBytes(32).toString('base64url');
    const token = `berth_${id}_${secret}`;
    const stored: StoredToken = { name, created: new Date().toISOString(), sha256: sha256(token) };
    // In the transaction: a creator revoked meanwhile cannot create.
    await this.#store.write((tx) => {
      const expiry = creator ? boundedByCreator(tx.get<StoredToken>(KIND, creator.tokenId)?.value, creator.tokenId, expires) : expires;
      if (expiry !== undefined && expiry.getTime() <= Date.now()) {
        throw new BerthError('BERTH_BAD_INPUT', `token expiry ${expiry.toISOString()} is in the past`);
      }
      if (expiry) stored.expires = expiry.toISOString();
      if (creator) stored.createdBy = creator.tokenId;
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

  /** Revokes by id or by name, and with it every token it created, transitively. */
  async revoke(idOrName: string): Promise<{ revoked: TokenInfo; alsoRevoked: TokenInfo[] }> {
    return this.#store.write((tx) => {
      const all = tx.list<StoredToken>(KIND);
      const doc = all.find((d) => d.key === idOrName) ?? all.find((d) => d.value.name === idOrName);
      if (!doc) throw new BerthError('BERTH_NOT_FOUND', `no token with id or name '${idOrName}'`);
      const created = new Map<string, typeof all>();
      for (const d of all) {
        if (d.value.createdBy === undefined) continue;
        const siblings = created.get(d.value.createdBy) ?? [];
        siblings.push(d);
        created.set(d.value.createdBy, siblings);
      }
      const alsoRevoked: TokenInfo[] = [];
      const pending = [...(created.get(doc.key) ?? [])];
      for (let next = pending.pop(); next; next = pending.pop()) {
        tx.delete(KIND, next.key);
        alsoRevoked.push(toInfo(next.key, next.value));
        pending.push(...(created.get(next.key) ?? []));
      }
      tx.delete(KIND, doc.key);
      return { revoked: toInfo(doc.key, doc.value), alsoRevoked };
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

/**
 * The expiry of a token created with token `creatorId`: at most the
 * creator's, and the creator's when none is asked for.
 */
function boundedByCreator(creator: StoredToken | undefined, creatorId: string, requested: Date | undefined): Date | undefined {
  if (!creator || (creator.expires !== undefined && Date.parse(creator.expires) <= Date.now())) {
    throw new BerthError('BERTH_UNAUTHORIZED', `the token creating this one (id ${creatorId}) is revoked or expired`);
  }
  if (creator.expires === undefined) return requested;
  const limit = new Date(creator.expires);
  if (requested === undefined) return limit;
  if (requested.getTime() > limit.getTime()) {
    throw new BerthError(
      'BERTH_FORBIDDEN',
      `a token cannot outlive the token that creates it: '${creator.name}' expires ${creator.expires}, ` +
        `so ask for an expiry at or before that (or create the token as root on the server's unix socket)`,
    );
  }
  return requested;
}

function toInfo(id: string, stored: StoredToken): TokenInfo {
  const info: TokenInfo = { id, name: stored.name, created: stored.created };
  if (stored.expires !== undefined) info.expires = stored.expires;
  if (stored.createdBy !== undefined) info.createdBy = stored.createdBy;
  return info;
}
