/**
 * Who is calling. The unix socket is root-only by file mode, so whoever can
 * connect is the local administrator; over HTTPS every request carries a
 * bearer token created with `berth token create`.
 */
import type { IncomingMessage } from 'node:http';
import { BerthError } from '../errors.ts';
import type { TokenService } from '../tokens/token-service.ts';

export type Principal = { kind: 'local' } | { kind: 'token'; tokenId: string; tokenName: string };

export async function authenticate(request: IncomingMessage, local: boolean, tokens: TokenService): Promise<Principal> {
  if (local) return { kind: 'local' };
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new BerthError('BERTH_UNAUTHORIZED', 'this API needs a bearer token over HTTPS (create one with: berth token create <name>)');
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new BerthError('BERTH_UNAUTHORIZED', "the Authorization header must be 'Bearer <token>'");
  const token = await tokens.verify(match[1]!);
  if (!token) throw new BerthError('BERTH_UNAUTHORIZED', 'the bearer token is unknown, revoked or expired');
  return { kind: 'token', tokenId: token.id, tokenName: token.name };
}
