/**
 * Who is calling. The unix socket is root-only by file mode, so whoever can
 * connect is the local administrator; over HTTPS every request carries a
 * bearer token created with `berth token create`.
 */
import type { IncomingMessage } from 'node:http';
import { BerthError } from '../errors.ts';
import type { TokenService } from '../tokens/token-service.ts';

export type Principal =
  | { kind: 'local' }
  | { kind: 'token'; tokenId: string; tokenName: string }
  /** A node with a valid node API key (deploy/node-keys.ts): only its own data. */
  | { kind: 'node'; node: string }
  /** Nobody in particular: only routes that authenticate by other means (the node key request). */
  | { kind: 'anonymous' };

/** Who a route is for: administrators (default), nodes with their key, or anyone. */
export type RouteAuth = 'admin' | 'node' | 'none';

export interface NodeKeyVerifier {
  verify(node: string, key: string): Promise<boolean>;
}

export async function authenticate(request: IncomingMessage, local: boolean, tokens: TokenService, mode: RouteAuth = 'admin', nodeKeys?: NodeKeyVerifier): Promise<Principal> {
  const header = request.headers.authorization;
  if (mode === 'none') return local ? { kind: 'local' } : { kind: 'anonymous' };
  if (mode === 'node') {
    if (local) throw new BerthError('BERTH_FORBIDDEN', 'the node API is for nodes over HTTPS, with their node key');
    const match = /^BerthNode\s+([^:\s]+):(\S+)$/.exec(header ?? '');
    if (!match) throw new BerthError('BERTH_UNAUTHORIZED', "the node API needs 'Authorization: BerthNode <node>:<key>'");
    if (!nodeKeys || !(await nodeKeys.verify(match[1]!, match[2]!))) throw new BerthError('BERTH_UNAUTHORIZED', `the node key of ${match[1]} is unknown or revoked`);
    return { kind: 'node', node: match[1]! };
  }
  if (local) return { kind: 'local' };
  if (header?.startsWith('BerthNode ')) throw new BerthError('BERTH_FORBIDDEN', 'a node key does not open the admin API');
  if (header === undefined) {
    throw new BerthError('BERTH_UNAUTHORIZED', 'this API needs a bearer token over HTTPS (create one with: berth token create <name>)');
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new BerthError('BERTH_UNAUTHORIZED', "the Authorization header must be 'Bearer <token>'");
  const token = await tokens.verify(match[1]!);
  if (!token) throw new BerthError('BERTH_UNAUTHORIZED', 'the bearer token is unknown, revoked or expired');
  return { kind: 'token', tokenId: token.id, tokenName: token.name };
}
